//! Statements both backends run as they are: `$n` parameters (which SQLite reads as
//! numbered too), `ON CONFLICT`, `RETURNING`, and no function only one of them has.
//! What differs (a list bound as one parameter, the writer's group insert) stays
//! with each backend.

pub(super) const SELECT_CONVERSATIONS: &str =
    "SELECT id, room_name, direct_key, last_seq FROM conversations ORDER BY id";

pub(super) const SELECT_MEMBERS: &str = "SELECT conversation_id, user_id, read_seq FROM members";

pub(super) const SELECT_USER: &str = "SELECT id, nickname, avatar FROM users WHERE id = $1";

pub(super) const INSERT_USER: &str =
    "INSERT INTO users (nickname, skeleton, avatar, created_at) VALUES ($1, $2, $3, $4) RETURNING id";

pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)";

/// Takes the skeleton for `$2` unless its holder was seen at `$4` or later (alive).
/// Returns a row only if taken. On PostgreSQL a sign-up racing another waits for it
/// on the unique key, then sees its claim (alive) and takes nothing.
pub(super) const CLAIM_NICKNAME: &str =
    "INSERT INTO nickname_claims (skeleton, user_id, last_seen_at) VALUES ($1, $2, $3)
     ON CONFLICT (skeleton) DO UPDATE SET user_id = excluded.user_id, last_seen_at = excluded.last_seen_at
     WHERE nickname_claims.last_seen_at < $4
     RETURNING user_id";

/// Touches a live session (seen at `$3` or later): its user, or no row.
pub(super) const TOUCH_LIVE_SESSION: &str =
    "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at >= $3
     RETURNING user_id";

/// Moves a session's last use forward (never back): its user, or no row.
pub(super) const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1
     RETURNING user_id";

/// Keeps a user's nickname claim alive as long as their session.
pub(super) const TOUCH_CLAIM: &str =
    "UPDATE nickname_claims SET last_seen_at = $1 WHERE user_id = $2 AND last_seen_at < $1";

pub(super) const DELETE_SESSION: &str =
    "DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id";

/// Frees the nickname of a user with no session left.
pub(super) const FREE_CLAIM: &str = "DELETE FROM nickname_claims WHERE user_id = $1
     AND NOT EXISTS (SELECT 1 FROM sessions WHERE user_id = $1)";

pub(super) const INSERT_ROOM: &str =
    "INSERT INTO conversations (room_name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";

pub(super) const ROOM_ID: &str = "SELECT id FROM conversations WHERE room_name = $1";

pub(super) const INSERT_DIRECT: &str =
    "INSERT INTO conversations (direct_key, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";

pub(super) const LAST_SEQ: &str = "SELECT last_seq FROM conversations WHERE id = $1";

pub(super) const DIRECT_ID: &str = "SELECT id FROM conversations WHERE direct_key = $1";

/// Adds a member who has read everything so far (nothing if they already are one).
pub(super) const INSERT_MEMBER: &str =
    "INSERT INTO members (conversation_id, user_id, read_seq, joined_at)
     SELECT id, $2, last_seq, $3 FROM conversations WHERE id = $1
     ON CONFLICT DO NOTHING";

pub(super) const DELETE_MEMBER: &str =
    "DELETE FROM members WHERE conversation_id = $1 AND user_id = $2";

/// Everything up to `$1` was read by `$3` in `$2`: moves forward, never past the newest.
pub(super) const MARK_READ: &str = "UPDATE members SET read_seq =
        (SELECT CASE WHEN last_seq < $1 THEN last_seq ELSE $1 END FROM conversations WHERE id = $2)
     WHERE conversation_id = $2 AND user_id = $3 AND read_seq < $1
       AND read_seq < (SELECT last_seq FROM conversations WHERE id = $2)";

/// One message; nothing (no row) if its author already sent its client id.
pub(super) const INSERT_MESSAGE: &str =
    "INSERT INTO messages (conversation_id, seq, author_id, kind, body, client_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (author_id, client_id) DO NOTHING RETURNING id";

/// `$1` conversation, `$2` before (exclusive), `$3` how many.
pub(super) fn history() -> String {
    format!(
        "{} WHERE m.conversation_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3",
        super::SELECT_MESSAGE
    )
}

/// `$1` conversation, `$2` after (exclusive), `$3` up to (inclusive).
pub(super) fn messages_between() -> String {
    format!(
        "{} WHERE m.conversation_id = $1 AND m.seq > $2 AND m.seq <= $3 ORDER BY m.seq",
        super::SELECT_MESSAGE
    )
}

/// `$1` author, `$2` client id.
pub(super) fn message_by_client_id() -> String {
    format!(
        "{} WHERE m.author_id = $1 AND m.client_id = $2",
        super::SELECT_MESSAGE
    )
}
