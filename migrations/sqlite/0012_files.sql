-- Uploaded files: what is known of each here, the bytes in the object store under
-- their SHA-256 (one copy of the same bytes however often they are uploaded).
CREATE TABLE files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The conversation it was uploaded to: only its members may read it.
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    uploader_id     INTEGER NOT NULL REFERENCES users (id),
    name            TEXT    NOT NULL,
    mime            TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    width           INTEGER,
    height          INTEGER,
    -- A picture's small copy is kept too (under the picture's hash).
    has_thumbnail   INTEGER NOT NULL DEFAULT 0,
    -- The message it is attached to; none yet: only its uploader may read it.
    seq             INTEGER,
    created_at      INTEGER NOT NULL,
    -- Set when its message is deleted: no longer served.
    deleted_at      INTEGER
);
CREATE INDEX files_of_uploader ON files (uploader_id, created_at);
CREATE INDEX files_of_content ON files (sha256);
