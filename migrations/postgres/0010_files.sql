-- As migrations/sqlite/0012 (see there): uploaded files.
CREATE TABLE files (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id),
    uploader_id     BIGINT  NOT NULL REFERENCES users (id),
    name            TEXT    NOT NULL,
    mime            TEXT    NOT NULL,
    size            BIGINT  NOT NULL,
    sha256          TEXT    NOT NULL,
    width           BIGINT,
    height          BIGINT,
    has_thumbnail   BOOLEAN NOT NULL DEFAULT FALSE,
    seq             BIGINT,
    created_at      BIGINT  NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX files_of_uploader ON files (uploader_id, created_at);
CREATE INDEX files_of_content ON files (sha256);
