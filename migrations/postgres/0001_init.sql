-- The schema of migrations/sqlite/ in PostgreSQL's types: the same tables, keys and
-- meaning (see there). Times are Unix milliseconds, ids 64-bit.

CREATE TABLE users (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nickname    TEXT   NOT NULL,
    -- UTS #39 confusable skeleton of the lower-cased nickname.
    skeleton    TEXT   NOT NULL,
    avatar      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX users_by_skeleton ON users (skeleton);

-- Sessions: only the SHA-256 of the secret token is kept.
CREATE TABLE sessions (
    token_hash   BYTEA  PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Who holds each nickname skeleton while their session is alive (touched together).
CREATE TABLE nickname_claims (
    skeleton     TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX nickname_claims_by_user ON nickname_claims (user_id);

-- Rooms and private conversations alike. A message takes the next number by
-- locking its conversation's row until its transaction ends: gapless, on any server.
CREATE TABLE conversations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_name   TEXT   UNIQUE,
    -- "<lower id>:<higher id>" of a private conversation's two users.
    direct_key  TEXT   UNIQUE,
    last_seq    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    CHECK ((room_name IS NULL) <> (direct_key IS NULL))
);

CREATE TABLE members (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    read_seq        BIGINT NOT NULL DEFAULT 0,
    joined_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    author_id       BIGINT NOT NULL REFERENCES users (id),
    -- 'text', 'joined' or 'left'
    kind            TEXT   NOT NULL,
    body            TEXT   NOT NULL DEFAULT '',
    client_id       TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (conversation_id, seq),
    -- The idempotency key: one message per author and client id.
    UNIQUE (author_id, client_id)
);
