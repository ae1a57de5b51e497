-- Who moderates each room: one owner (its creator, unless handed over) and the
-- moderators the owner appoints. Kept apart from membership, so a role outlasts
-- leaving; a kick or a ban takes it away.
CREATE TABLE room_roles (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'moderator')),
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX one_owner_per_room ON room_roles (conversation_id) WHERE role = 'owner';

-- Who may not (re)join a room.
CREATE TABLE room_bans (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    banned_by       INTEGER NOT NULL REFERENCES users (id),
    banned_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;

-- Who may read a room but not write to it, until a time (Unix ms).
CREATE TABLE room_timeouts (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    until_ms        INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;

-- What the moderators of a room did, for its moderators and owner to read. `action`
-- is the protocol's AuditAction as JSON.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    actor_id        INTEGER NOT NULL REFERENCES users (id),
    target_id       INTEGER REFERENCES users (id),
    action          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX audit_log_by_room ON audit_log (conversation_id, id);

-- The operator's instance admins (`chat admin grant NAME`): they act in every room.
-- An admin keeps the nickname past the idle expiry, as a passkey's user does.
CREATE TABLE instance_admins (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    granted_at INTEGER NOT NULL
);

-- A text a moderator removed: who did (it reads "removed by a moderator").
ALTER TABLE messages ADD COLUMN removed_by INTEGER REFERENCES users (id);

-- Rooms made before roles: their earliest member is taken for their creator.
INSERT INTO room_roles (conversation_id, user_id, role)
SELECT c.id,
       (SELECT m.user_id FROM members m WHERE m.conversation_id = c.id
        ORDER BY m.joined_at, m.user_id LIMIT 1),
       'owner'
FROM conversations c
WHERE c.room_name IS NOT NULL AND c.room_name <> 'general'
  AND EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = c.id);
