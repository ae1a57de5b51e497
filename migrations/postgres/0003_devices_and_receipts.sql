-- One person on several devices. Each session remembers the browser that holds it
-- (its User-Agent, for the device list).
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- Codes a signed-in session offers for linking a new device: only the code's SHA-256
-- is kept. Redeemed once (claimed_at), then allowed or refused (decided_at) by the
-- user before expires_at; the new device's session is made from claim_token_hash.
-- In the database, so a code offered on one server is redeemed on another.
CREATE TABLE device_links (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code_hash        BYTEA  NOT NULL UNIQUE,
    user_id          BIGINT NOT NULL REFERENCES users (id),
    -- The token hash of the session that offered the code.
    offered_by       BYTEA  NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    claimed_at       BIGINT,
    claim_token_hash BYTEA,
    claim_user_agent TEXT,
    decided_at       BIGINT,
    accepted         BIGINT
);
CREATE INDEX device_links_by_offerer ON device_links (offered_by);
CREATE INDEX device_links_by_expiry ON device_links (expires_at);

-- Read receipts: when each member's read mark last moved, and who shares theirs.
ALTER TABLE members ADD COLUMN read_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN share_receipts BIGINT NOT NULL DEFAULT 1;
