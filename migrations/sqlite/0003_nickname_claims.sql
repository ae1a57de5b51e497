-- Who holds each nickname skeleton, and until when: a claim is alive while its
-- session is (touched together), and taken over only once it is not. The unique key
-- is what keeps a name to one person when several servers sign people up at once.
CREATE TABLE nickname_claims (
    skeleton     TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX nickname_claims_by_user ON nickname_claims (user_id);

-- Today's holders: per skeleton, the user whose session was used last.
INSERT INTO nickname_claims (skeleton, user_id, last_seen_at)
    SELECT u.skeleton, u.id, MAX(s.last_seen_at)
    FROM users u JOIN sessions s ON s.user_id = u.id
    GROUP BY u.skeleton;
