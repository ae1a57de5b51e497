-- A person one user blocked: their messages do not reach the blocker (live, in history,
-- replay, search and unread counts), and no private message passes between them.
-- The blocked person is not told.
CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL REFERENCES users (id),
    blocked_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_of_blocked ON blocks (blocked_id);
