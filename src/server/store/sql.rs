//! Statements both backends run as they are: `$n` parameters (which SQLite reads as
//! numbered too), `ON CONFLICT`, `RETURNING`, and no function only one of them has.
//! What differs (a list bound as one parameter, the writer's group insert) stays
//! with each backend.

pub(super) const SELECT_CONVERSATIONS: &str =
    "SELECT id, room_name, direct_key, last_seq, private, slow_mode_s FROM conversations ORDER BY id";

pub(super) const SELECT_MEMBERS: &str =
    "SELECT conversation_id, user_id, read_seq, read_at FROM members";

pub(super) const SELECT_USER: &str = "SELECT id, nickname, avatar FROM users WHERE id = $1";

pub(super) const INSERT_USER: &str =
    "INSERT INTO users (nickname, skeleton, avatar, created_at) VALUES ($1, $2, $3, $4) RETURNING id";

pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent)
     VALUES ($1, $2, $3, $3, $4)";

/// Takes the skeleton for `$2` unless its holder was seen at `$4` or later (alive) or
/// has a passkey, is an instance admin, or was banned from the server (each keeps the
/// name past the idle expiry).
/// Returns a row only if taken. On PostgreSQL a sign-up racing another waits for it
/// on the unique key, then sees its claim (alive) and takes nothing.
pub(super) const CLAIM_NICKNAME: &str =
    "INSERT INTO nickname_claims (skeleton, user_id, last_seen_at) VALUES ($1, $2, $3)
     ON CONFLICT (skeleton) DO UPDATE SET user_id = excluded.user_id, last_seen_at = excluded.last_seen_at
     WHERE nickname_claims.last_seen_at < $4
       AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = nickname_claims.user_id)
       AND NOT EXISTS (SELECT 1 FROM instance_admins a WHERE a.user_id = nickname_claims.user_id)
       AND NOT EXISTS (SELECT 1 FROM server_bans b WHERE b.user_id = nickname_claims.user_id)
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

/// Frees the nickname of a user with no session left (and no passkey, and not an admin).
pub(super) const FREE_CLAIM: &str = "DELETE FROM nickname_claims WHERE user_id = $1
     AND NOT EXISTS (SELECT 1 FROM sessions WHERE user_id = $1)
     AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)
     AND NOT EXISTS (SELECT 1 FROM instance_admins WHERE user_id = $1)
     AND NOT EXISTS (SELECT 1 FROM server_bans WHERE user_id = $1)";

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

/// Everything up to `$1` was read by `$3` in `$2` (at `$4`): moves forward, never past
/// the newest.
pub(super) const MARK_READ: &str = "UPDATE members SET read_seq =
        (SELECT CASE WHEN last_seq < $1 THEN last_seq ELSE $1 END FROM conversations WHERE id = $2),
        read_at = $4
     WHERE conversation_id = $2 AND user_id = $3 AND read_seq < $1
       AND read_seq < (SELECT last_seq FROM conversations WHERE id = $2)";

/// One message; nothing (no row) if its author already sent its client id.
pub(super) const INSERT_MESSAGE: &str =
    "INSERT INTO messages (conversation_id, seq, author_id, kind, body, client_id, created_at,
        target_seq, mentions)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (author_id, client_id) DO NOTHING RETURNING id";

/// An edit (`$4`, at `$3`) of the text `$6` of `$5` by its author `$7`: the id of
/// the text, or no row if it is not (or no longer) one that can be edited.
pub(super) const APPLY_EDIT: &str =
    "UPDATE messages SET body = $1, mentions = $2, edited_at = $3, revision = $4
     WHERE conversation_id = $5 AND seq = $6 AND author_id = $7 AND kind = 'text'
       AND deleted_at IS NULL RETURNING id";

/// A deletion (`$2`, at `$1`) of the text `$4` of `$3` by its author `$5`: the text's
/// id and author.
pub(super) const APPLY_DELETE: &str =
    "UPDATE messages SET body = '', mentions = '', deleted_at = $1, revision = $2
     WHERE conversation_id = $3 AND seq = $4 AND author_id = $5 AND kind = 'text'
       AND deleted_at IS NULL RETURNING id, author_id";

/// A moderator's removal (`$2`, at `$1`, by `$5`) of the text `$4` of `$3`, whoever
/// wrote it.
pub(super) const APPLY_REMOVAL: &str =
    "UPDATE messages SET body = '', mentions = '', deleted_at = $1, revision = $2, removed_by = $5
     WHERE conversation_id = $3 AND seq = $4 AND kind = 'text'
       AND deleted_at IS NULL RETURNING id, author_id";

/// A reaction (`$1`) to the text `$3` of `$2`: the id of the text, if it takes one.
pub(super) const APPLY_REACTION: &str = "UPDATE messages SET revision = $1
     WHERE conversation_id = $2 AND seq = $3 AND kind = 'text' AND deleted_at IS NULL
     RETURNING id";

pub(super) const ADD_REACTION: &str =
    "INSERT INTO reactions (message_id, emoji, user_id, seq) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING";

pub(super) const REMOVE_REACTION: &str =
    "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3";

pub(super) const DELETE_REACTIONS: &str = "DELETE FROM reactions WHERE message_id = $1";

/// `$1` user: per conversation, texts by others (not blocked) after the read mark
/// within the newest [`UNREAD_WINDOW`](super::UNREAD_WINDOW) numbers, and those that
/// mention `$2` (the user's id as text).
pub(super) fn unread() -> String {
    format!(
        "SELECT mb.conversation_id, COUNT(*) AS unread,
            SUM(CASE WHEN (' ' || m.mentions || ' ') LIKE ('% ' || $2 || ' %') THEN 1 ELSE 0 END)
                AS mentions
         FROM members mb
         JOIN conversations c ON c.id = mb.conversation_id
         JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq > mb.read_seq
             AND m.seq > c.last_seq - {}
         WHERE mb.user_id = $1 AND m.kind = 'text' AND m.deleted_at IS NULL
             AND m.author_id <> $1 AND {}
         GROUP BY mb.conversation_id",
        super::UNREAD_WINDOW,
        super::blocks::not_blocked_by!("1")
    )
}

/// `$1` conversation, `$2` before (exclusive), `$3` how many, `$4` for whom (none of
/// those they block).
pub(super) fn history() -> String {
    format!(
        "{} WHERE m.conversation_id = $1 AND m.seq < $2 AND {} AND {}
         ORDER BY m.seq DESC LIMIT $3",
        super::SELECT_MESSAGE,
        super::SHOWN_KINDS,
        super::blocks::not_blocked_by!("4")
    )
}

/// `$1` conversation, `$2` number.
pub(super) fn message_at() -> String {
    format!(
        "{} WHERE m.conversation_id = $1 AND m.seq = $2",
        super::SELECT_MESSAGE
    )
}

/// `$1` the backend's match of the words (`matching`), `$2` user (none of those they
/// block), `$3` only this conversation (0: all of the user's), `$4` how many.
pub(super) fn search(matching: &str) -> String {
    format!(
        "{} JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = $2
         WHERE m.id IN ({matching}) AND ($3 = 0 OR m.conversation_id = $3)
             AND m.kind = 'text' AND m.deleted_at IS NULL AND {}
         ORDER BY m.id DESC LIMIT $4",
        super::SELECT_MESSAGE,
        super::blocks::not_blocked_by!("2")
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

/// The statements above, run the same way on either backend: one copy of the code,
/// compiled for each driver (`$pool` and `$conn`, its pool and connection types).
/// Writes take a connection (SQLite's writer's, or one from PostgreSQL's pool); a
/// `begin` on it is a transaction, or a savepoint inside the writer's group.
macro_rules! statements_for {
    ($pool:ty, $conn:ty) => {
        use sqlx::Connection as _;

        use crate::protocol::{ChatMessage, ClientMsgId, ConversationId, MessageBody, Seq, UserId};
        use crate::server::store::{
            may_have_reactions, mentions_column, reactions, searchable, sql, MessageRow, NewUser,
            ReactionRow, Result, Unread, UserFields, UserRow,
        };

        /// Messages of `rows`, each with its reactions (read, in one statement, for
        /// those that may have some).
        async fn with_reactions(pool: &$pool, rows: Vec<MessageRow>) -> Result<Vec<ChatMessage>> {
            let mut messages: Vec<ChatMessage> = rows.into_iter().map(ChatMessage::from).collect();
            let ids: Vec<i64> = messages
                .iter()
                .filter(|m| may_have_reactions(m))
                .map(|m| m.id.0)
                .collect();
            if ids.is_empty() {
                return Ok(messages);
            }
            let rows: Vec<ReactionRow> = sqlx::query_as(super::REACTIONS_OF)
                .bind(super::message_ids(&ids))
                .fetch_all(pool)
                .await?;
            let mut rows = rows.into_iter().peekable();
            // Both are in message id order (rows by the statement's ORDER BY).
            let mut by_id: Vec<&mut ChatMessage> = messages.iter_mut().collect();
            by_id.sort_by_key(|m| m.id);
            for m in by_id {
                let mut own = Vec::new();
                while let Some(row) = rows.next_if(|r| r.message_id == m.id.0) {
                    own.push(row);
                }
                m.reactions = reactions(own);
            }
            Ok(messages)
        }

        pub(super) async fn message_at(
            pool: &$pool,
            conversation: ConversationId,
            seq: Seq,
        ) -> Result<Option<ChatMessage>> {
            let row: Option<MessageRow> = sqlx::query_as(&sql::message_at())
                .bind(conversation.0)
                .bind(seq as i64)
                .fetch_optional(pool)
                .await?;
            Ok(with_reactions(pool, row.into_iter().collect()).await?.pop())
        }

        pub(super) async fn unread(pool: &$pool, user: UserId) -> Result<Vec<Unread>> {
            sqlx::query_as(&sql::unread())
                .bind(user.0)
                .bind(user.0.to_string())
                .fetch_all(pool)
                .await
        }

        /// Searches with the backend's match (`matching`, the words bound as `$1`).
        pub(super) async fn search(
            pool: &$pool,
            matching: &str,
            words: String,
            user: UserId,
            within: Option<ConversationId>,
            limit: u32,
        ) -> Result<Vec<ChatMessage>> {
            let rows: Vec<MessageRow> = sqlx::query_as(&sql::search(matching))
                .bind(words)
                .bind(user.0)
                .bind(within.map_or(0, |c| c.0))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            with_reactions(pool, rows).await
        }

        /// Makes the change `m` (a stored edit, deletion or reaction) in the message it
        /// changes, and in the search index; a change of a message that cannot take it
        /// (deleted meanwhile) changes nothing, as it does in every reader
        /// ([`ChatMessage::apply`]).
        /// Takes message `id` out of the search index, and puts its text back in when it
        /// has one (an edit; a deleted message has none).
        async fn reindex(conn: &mut $conn, id: i64, text: Option<&str>) -> Result<()> {
            sqlx::query(super::SEARCH_DELETE)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            if let Some(text) = text {
                sqlx::query(super::SEARCH_INSERT)
                    .bind(id)
                    .bind(searchable(text).as_ref())
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        pub(super) async fn apply_change(conn: &mut $conn, m: &ChatMessage) -> Result<()> {
            let (c, seq, author) = (m.conversation.0, m.seq as i64, m.author.id.0);
            match &m.body {
                MessageBody::Edited { target, text } => {
                    let id: Option<i64> = sqlx::query_scalar(sql::APPLY_EDIT)
                        .bind(text)
                        .bind(mentions_column(&m.mentions))
                        .bind(m.sent_at_ms)
                        .bind(seq)
                        .bind(c)
                        .bind(*target as i64)
                        .bind(author)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some(id) = id {
                        reindex(conn, id, Some(text)).await?;
                    }
                }
                MessageBody::Deleted { target } | MessageBody::Removed { target } => {
                    // Its author's deletion, or a moderator's removal: the same emptying.
                    let removal = matches!(m.body, MessageBody::Removed { .. });
                    let statement = if removal {
                        sql::APPLY_REMOVAL
                    } else {
                        sql::APPLY_DELETE
                    };
                    let found: Option<(i64, i64)> = sqlx::query_as(statement)
                        .bind(m.sent_at_ms)
                        .bind(seq)
                        .bind(c)
                        .bind(*target as i64)
                        .bind(author)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some((id, target_author)) = found {
                        sqlx::query(sql::DELETE_REACTIONS)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        reindex(conn, id, None).await?;
                        // A moderator's own removal is in the log; a ban's removals
                        // (no client id) are in the ban's entry.
                        if removal && m.client_id.is_some() {
                            let action =
                                crate::protocol::AuditAction::MessageRemoved { seq: *target };
                            sqlx::query(crate::server::store::moderation::AUDIT)
                                .bind(c)
                                .bind(author)
                                .bind(target_author)
                                .bind(serde_json::to_string(&action).unwrap_or_default())
                                .bind(m.sent_at_ms)
                                .fetch_one(&mut *conn)
                                .await?;
                        }
                    }
                }
                MessageBody::Reacted { target, emoji, on } => {
                    let id: Option<i64> = sqlx::query_scalar(sql::APPLY_REACTION)
                        .bind(seq)
                        .bind(c)
                        .bind(*target as i64)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some(id) = id {
                        let statement = if *on {
                            sql::ADD_REACTION
                        } else {
                            sql::REMOVE_REACTION
                        };
                        let query = sqlx::query(statement).bind(id).bind(emoji).bind(author);
                        let query = if *on { query.bind(seq) } else { query };
                        query.execute(&mut *conn).await?;
                    }
                }
                MessageBody::Text { .. }
                | MessageBody::Joined
                | MessageBody::Left
                | MessageBody::Kicked
                | MessageBody::Banned => {}
            }
            Ok(())
        }

        pub(super) async fn user(pool: &$pool, id: UserId) -> Result<Option<UserRow>> {
            let row: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
                .bind(id.0)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(UserRow::from))
        }

        pub(super) async fn last_seq(
            pool: &$pool,
            conversation: ConversationId,
        ) -> Result<Option<Seq>> {
            let last: Option<i64> = sqlx::query_scalar(sql::LAST_SEQ)
                .bind(conversation.0)
                .fetch_optional(pool)
                .await?;
            Ok(last.map(|s| s as Seq))
        }

        pub(super) async fn history(
            pool: &$pool,
            conversation: ConversationId,
            before: Option<Seq>,
            limit: u32,
            reader: UserId,
        ) -> Result<(Vec<ChatMessage>, bool)> {
            let rows: Vec<MessageRow> = sqlx::query_as(&sql::history())
                .bind(conversation.0)
                .bind(before.map_or(i64::MAX, |s| s as i64))
                .bind(i64::from(limit) + 1)
                .bind(reader.0)
                .fetch_all(pool)
                .await?;
            let has_more = rows.len() > limit as usize;
            let mut messages =
                with_reactions(pool, rows.into_iter().take(limit as usize).collect()).await?;
            messages.reverse();
            Ok((messages, has_more))
        }

        pub(super) async fn message_by_client_id(
            pool: &$pool,
            author: UserId,
            client_id: &ClientMsgId,
        ) -> Result<Option<ChatMessage>> {
            let row: Option<MessageRow> = sqlx::query_as(&sql::message_by_client_id())
                .bind(author.0)
                .bind(&client_id.0)
                .fetch_optional(pool)
                .await?;
            Ok(with_reactions(pool, row.into_iter().collect()).await?.pop())
        }

        pub(super) async fn messages_between(
            pool: &$pool,
            conversation: ConversationId,
            after: Seq,
            up_to: Seq,
        ) -> Result<Vec<ChatMessage>> {
            let rows: Vec<MessageRow> = sqlx::query_as(&sql::messages_between())
                .bind(conversation.0)
                .bind(after as i64)
                .bind(up_to as i64)
                .fetch_all(pool)
                .await?;
            with_reactions(pool, rows).await
        }

        /// The user and session of `new`, and its claim on the nickname (unless someone
        /// alive holds it), and a membership of `join`: all of it or nothing.
        pub(super) async fn sign_up(
            conn: &mut $conn,
            new: NewUser,
            alive_since_ms: i64,
            join: Option<ConversationId>,
        ) -> Result<Option<UserRow>> {
            let mut tx = conn.begin().await?;
            let id: i64 = sqlx::query_scalar(sql::INSERT_USER)
                .bind(&new.nickname)
                .bind(&new.skeleton)
                .bind(&new.avatar)
                .bind(new.now_ms)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(sql::INSERT_SESSION)
                .bind(&new.token_hash)
                .bind(id)
                .bind(new.now_ms)
                .bind(&new.user_agent)
                .execute(&mut *tx)
                .await?;
            // On PostgreSQL a sign-up with the same skeleton on another server waits here
            // for this one to end, then finds the claim alive.
            let claimed: Option<i64> = sqlx::query_scalar(sql::CLAIM_NICKNAME)
                .bind(&new.skeleton)
                .bind(id)
                .bind(new.now_ms)
                .bind(alive_since_ms)
                .fetch_optional(&mut *tx)
                .await?;
            if claimed.is_none() {
                tx.rollback().await?; // nor the user, nor the session
                return Ok(None);
            }
            if let Some(room) = join {
                insert_member(&mut tx, room, UserId(id), new.now_ms).await?;
            }
            tx.commit().await?;
            Ok(Some(UserRow {
                id: UserId(id),
                nickname: new.nickname,
                avatar: new.avatar,
            }))
        }

        /// The user of a live session (seen since `alive_since_ms`), touching the
        /// session and the user's nickname claim.
        pub(super) async fn touch_live_session(
            conn: &mut $conn,
            token_hash: &[u8],
            alive_since_ms: i64,
            now_ms: i64,
        ) -> Result<Option<UserRow>> {
            let mut tx = conn.begin().await?;
            let user: Option<i64> = sqlx::query_scalar(sql::TOUCH_LIVE_SESSION)
                .bind(now_ms)
                .bind(token_hash)
                .bind(alive_since_ms)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user) = user else {
                return Ok(None);
            };
            sqlx::query(sql::TOUCH_CLAIM)
                .bind(now_ms)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            let row: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(row.map(UserRow::from))
        }

        /// A session's last use moves forward (never back), and its claim's with it.
        pub(super) async fn touch_session(
            conn: &mut $conn,
            token_hash: &[u8],
            at_ms: i64,
        ) -> Result<()> {
            let user: Option<i64> = sqlx::query_scalar(sql::TOUCH_SESSION)
                .bind(at_ms)
                .bind(token_hash)
                .fetch_optional(&mut *conn)
                .await?;
            if let Some(user) = user {
                sqlx::query(sql::TOUCH_CLAIM)
                    .bind(at_ms)
                    .bind(user)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Ends a session and frees its nickname (if the user has no other).
        pub(super) async fn delete_session(conn: &mut $conn, token_hash: &[u8]) -> Result<()> {
            let mut tx = conn.begin().await?;
            let user: Option<i64> = sqlx::query_scalar(sql::DELETE_SESSION)
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(user) = user {
                sqlx::query(sql::FREE_CLAIM)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }

        pub(super) async fn mark_read(
            conn: &mut $conn,
            conversation: ConversationId,
            user: UserId,
            seq: Seq,
            at_ms: i64,
        ) -> Result<()> {
            sqlx::query(sql::MARK_READ)
                .bind(seq as i64)
                .bind(conversation.0)
                .bind(user.0)
                .bind(at_ms)
                .execute(conn)
                .await?;
            Ok(())
        }

        /// The room's id, creating it if needed, and whether it was created (a room
        /// created by another request or server at the same moment is found).
        pub(super) async fn insert_room(
            conn: &mut $conn,
            name: &str,
            now_ms: i64,
        ) -> Result<(ConversationId, bool)> {
            let inserted = sqlx::query(sql::INSERT_ROOM)
                .bind(name)
                .bind(now_ms)
                .execute(&mut *conn)
                .await?
                .rows_affected()
                > 0;
            let id: i64 = sqlx::query_scalar(sql::ROOM_ID)
                .bind(name)
                .fetch_one(&mut *conn)
                .await?;
            Ok((ConversationId(id), inserted))
        }

        /// Joins `user` to the room `name`, creating it if needed (its creator is its
        /// owner): the room, whether it was created, and what came of joining it.
        pub(super) async fn join_room(
            conn: &mut $conn,
            name: &str,
            user: UserId,
            now_ms: i64,
        ) -> Result<(ConversationId, bool, crate::server::store::Joining)> {
            use crate::server::store::{moderation, Joining};
            let mut tx = conn.begin().await?;
            let (room, created) = insert_room(&mut tx, name, now_ms).await?;
            let banned: Option<i32> = sqlx::query_scalar(moderation::IS_BANNED)
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
            if banned.is_some() {
                return Ok((room, created, Joining::Banned));
            }
            let closed: Option<i32> = sqlx::query_scalar(crate::server::store::invites::CLOSED_TO)
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
            if closed.is_some() {
                return Ok((room, created, Joining::Private));
            }
            if created {
                sqlx::query(moderation::SET_ROLE)
                    .bind(room.0)
                    .bind(user.0)
                    .bind(crate::protocol::Role::Owner.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            let joined = insert_member(&mut tx, room, user, now_ms).await?;
            tx.commit().await?;
            let joining = if joined {
                Joining::New
            } else {
                Joining::Already
            };
            Ok((room, created, joining))
        }

        /// The private conversation of two users, both members, creating it if needed.
        pub(super) async fn ensure_direct(
            conn: &mut $conn,
            a: UserId,
            b: UserId,
            now_ms: i64,
        ) -> Result<(ConversationId, bool)> {
            let (key, pair) = crate::server::store::direct_key(a, b);
            let mut tx = conn.begin().await?;
            let created = sqlx::query(sql::INSERT_DIRECT)
                .bind(&key)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            let id: i64 = sqlx::query_scalar(sql::DIRECT_ID)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await?;
            for user in pair {
                insert_member(&mut tx, ConversationId(id), user, now_ms).await?;
            }
            tx.commit().await?;
            Ok((ConversationId(id), created))
        }

        /// Adds a member who has read everything so far; false if they already were one.
        pub(super) async fn insert_member(
            conn: &mut $conn,
            conversation: ConversationId,
            user: UserId,
            now_ms: i64,
        ) -> Result<bool> {
            let done = sqlx::query(sql::INSERT_MEMBER)
                .bind(conversation.0)
                .bind(user.0)
                .bind(now_ms)
                .execute(conn)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        /// Removes a member; false if they were not one.
        pub(super) async fn remove_member(
            conn: &mut $conn,
            conversation: ConversationId,
            user: UserId,
        ) -> Result<bool> {
            let done = sqlx::query(sql::DELETE_MEMBER)
                .bind(conversation.0)
                .bind(user.0)
                .execute(conn)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    };
}
pub(super) use statements_for;
