-- Roles, bans, timeouts, the audit log and instance admins: as migrations/sqlite/0007
-- (see there), in PostgreSQL's types.
CREATE TABLE room_roles (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    role            TEXT   NOT NULL CHECK (role IN ('owner', 'moderator')),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE UNIQUE INDEX one_owner_per_room ON room_roles (conversation_id) WHERE role = 'owner';

CREATE TABLE room_bans (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    banned_by       BIGINT NOT NULL REFERENCES users (id),
    banned_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE room_timeouts (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    until_ms        BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE audit_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    actor_id        BIGINT NOT NULL REFERENCES users (id),
    target_id       BIGINT REFERENCES users (id),
    action          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX audit_log_by_room ON audit_log (conversation_id, id);

CREATE TABLE instance_admins (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    granted_at BIGINT NOT NULL
);

ALTER TABLE messages ADD COLUMN removed_by BIGINT REFERENCES users (id);

INSERT INTO room_roles (conversation_id, user_id, role)
SELECT c.id,
       (SELECT m.user_id FROM members m WHERE m.conversation_id = c.id
        ORDER BY m.joined_at, m.user_id LIMIT 1),
       'owner'
FROM conversations c
WHERE c.room_name IS NOT NULL AND c.room_name <> 'general'
  AND EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = c.id);
