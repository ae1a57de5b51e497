-- As migrations/sqlite/0009 (see there): private rooms, invite links.
ALTER TABLE conversations ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE invites (
    code            TEXT   PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    created_by      BIGINT NOT NULL REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    max_uses        BIGINT,
    uses            BIGINT NOT NULL DEFAULT 0,
    revoked_at      BIGINT
);
CREATE INDEX invites_of_room ON invites (conversation_id, created_at) WHERE revoked_at IS NULL;
