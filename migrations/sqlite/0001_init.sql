-- Users: a nickname belongs to a user id; the same nickname may later belong to a
-- new user once every session of the old one has ended or expired.
CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    nickname    TEXT    NOT NULL,
    -- UTS #39 confusable skeleton of the lower-cased nickname: "Alice", "alice",
    -- "Ａlice" and Cyrillic "Аlice" share one.
    skeleton    TEXT    NOT NULL,
    avatar      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX users_by_skeleton ON users (skeleton);

-- Sessions: only the SHA-256 of the secret token is kept.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Rooms and private conversations alike.
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    room_name   TEXT UNIQUE,
    -- "<lower id>:<higher id>" of a private conversation's two users.
    direct_key  TEXT UNIQUE,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    CHECK ((room_name IS NULL) <> (direct_key IS NULL))
);

CREATE TABLE members (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    read_seq        INTEGER NOT NULL DEFAULT 0,
    joined_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
