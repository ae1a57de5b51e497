-- As migrations/sqlite/0008 (see there): bans from the server, reports.
CREATE TABLE server_bans (
    user_id   BIGINT PRIMARY KEY REFERENCES users (id),
    banned_by BIGINT REFERENCES users (id),
    banned_at BIGINT NOT NULL
);

CREATE TABLE reports (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    reporter_id     BIGINT NOT NULL REFERENCES users (id),
    reported_id     BIGINT NOT NULL REFERENCES users (id),
    reason          TEXT   NOT NULL,
    snippet         TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    handled_by      BIGINT REFERENCES users (id),
    handled_at      BIGINT
);
CREATE INDEX reports_open ON reports (conversation_id, id) WHERE handled_at IS NULL;
