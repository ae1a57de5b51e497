-- Users an instance admin banned from the server: every session ended, no new one (a
-- passkey signs them in no more), and the nickname kept from anyone else.
CREATE TABLE server_bans (
    user_id   INTEGER PRIMARY KEY REFERENCES users (id),
    -- NULL: by the operator (`chat admin ban NAME`).
    banned_by INTEGER REFERENCES users (id),
    banned_at INTEGER NOT NULL
);

-- A member's report of a message (`seq` of a conversation), for the room's moderators
-- and the instance admins, until one of them marks it handled. The reporter is shown to
-- them, never to the reported.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    reporter_id     INTEGER NOT NULL REFERENCES users (id),
    reported_id     INTEGER NOT NULL REFERENCES users (id),
    reason          TEXT    NOT NULL,
    snippet         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    handled_by      INTEGER REFERENCES users (id),
    handled_at      INTEGER
);
CREATE INDEX reports_open ON reports (conversation_id, id) WHERE handled_at IS NULL;
