-- One person on several devices. Each session remembers the browser that holds it
-- (its User-Agent, for the device list).
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- Codes a signed-in session offers for linking a new device: only the code's SHA-256
-- is kept. Redeemed once (claimed_at), then allowed or refused (decided_at) by the
-- user before expires_at; the new device's session is made from claim_token_hash.
CREATE TABLE device_links (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash        BLOB    NOT NULL UNIQUE,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    -- The token hash of the session that offered the code.
    offered_by       BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    claimed_at       INTEGER,
    claim_token_hash BLOB,
    claim_user_agent TEXT,
    decided_at       INTEGER,
    accepted         INTEGER
);
CREATE INDEX device_links_by_offerer ON device_links (offered_by);
CREATE INDEX device_links_by_expiry ON device_links (expires_at);

-- Read receipts: when each member's read mark last moved, and who shares theirs.
ALTER TABLE members ADD COLUMN read_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN share_receipts INTEGER NOT NULL DEFAULT 1;
