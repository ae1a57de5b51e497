-- A private room: not listed, not found by name, joined only with an invite (or by
-- those who were members when it became private). Its owner switches it.
ALTER TABLE conversations ADD COLUMN private INTEGER NOT NULL DEFAULT 0;

-- Invite links to a room, made by its moderators: good until `expires_at` (NULL:
-- never) for `max_uses` joins (NULL: any number), unless revoked. A join that finds
-- the user a member already, or banned, uses none.
CREATE TABLE invites (
    code            TEXT    PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    created_by      INTEGER NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    max_uses        INTEGER,
    uses            INTEGER NOT NULL DEFAULT 0,
    revoked_at      INTEGER
);
CREATE INDEX invites_of_room ON invites (conversation_id, created_at) WHERE revoked_at IS NULL;
