-- Message ids come from the rowid, without AUTOINCREMENT: no sqlite_sequence row to
-- update with every message. Ids still only grow (messages are never deleted).
CREATE TABLE messages_new (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    author_id       INTEGER NOT NULL REFERENCES users (id),
    -- 'text', 'joined' or 'left'
    kind            TEXT    NOT NULL,
    body            TEXT    NOT NULL DEFAULT '',
    client_id       TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (author_id, client_id)
);
INSERT INTO messages_new (id, conversation_id, seq, author_id, kind, body, client_id, created_at)
    SELECT id, conversation_id, seq, author_id, kind, body, client_id, created_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
