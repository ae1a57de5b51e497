//! Storage with sqlx: users, sessions, conversations, members and messages in SQLite
//! (WAL mode, migrations embedded in the binary). Message ids, sequence numbers and
//! timestamps are assigned here, inside the transaction that stores the message.

use std::{str::FromStr, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Row, SqlitePool,
};

use crate::protocol::{
    Author, ChatMessage, ClientMsgId, ConversationId, ConversationInfo, ConversationKind,
    MessageBody, MessageId, RoomInfo, Seq, UserId, GENERAL_ROOM,
};

pub type Result<T> = std::result::Result<T, sqlx::Error>;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    pub nickname: String,
    pub avatar: String,
}

/// Result of storing a message: the message, and whether it was already there
/// (the same client id sent again).
#[derive(Debug, Clone)]
pub struct Stored {
    pub message: ChatMessage,
    pub duplicate: bool,
}

impl Store {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain
    /// path) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable at each commit under WAL for a process crash; an OS crash may lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Self { pool };
        store.ensure_room(GENERAL_ROOM, 0).await?;
        Ok(store)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- users and sessions ----

    /// A user with this skeleton who has a session that is still alive.
    pub async fn active_user_by_skeleton(
        &self,
        skeleton: &str,
        alive_since_ms: i64,
    ) -> Result<Option<UserId>> {
        let row = sqlx::query(
            "SELECT u.id FROM users u JOIN sessions s ON s.user_id = u.id
             WHERE u.skeleton = ? AND s.last_seen_at >= ? LIMIT 1",
        )
        .bind(skeleton)
        .bind(alive_since_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| UserId(r.get(0))))
    }

    /// Creates a user and its first session.
    pub async fn create_user(
        &self,
        nickname: &str,
        skeleton: &str,
        avatar: &str,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<UserRow> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (nickname, skeleton, avatar, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(nickname)
        .bind(skeleton)
        .bind(avatar)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(id)
            .bind(now_ms)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(UserRow {
            id: UserId(id),
            nickname: nickname.to_string(),
            avatar: avatar.to_string(),
        })
    }

    /// The user of a live session, touching the session so it stays alive.
    pub async fn session_user(
        &self,
        token_hash: &[u8],
        alive_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        let row = sqlx::query(
            "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at >= ?
             RETURNING user_id",
        )
        .bind(now_ms)
        .bind(token_hash)
        .bind(alive_since_ms)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => self.user(UserId(row.get(0))).await,
            None => Ok(None),
        }
    }

    pub async fn touch_session(&self, token_hash: &[u8], now_ms: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(now_ms)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        let row = sqlx::query("SELECT id, nickname, avatar FROM users WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| user_row(&r)))
    }

    // ---- conversations ----

    /// The room's id, creating the room if it does not exist.
    pub async fn ensure_room(&self, name: &str, now_ms: i64) -> Result<(ConversationId, bool)> {
        let inserted = sqlx::query(
            "INSERT OR IGNORE INTO conversations (room_name, created_at) VALUES (?, ?)",
        )
        .bind(name)
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0;
        let id: i64 = sqlx::query_scalar("SELECT id FROM conversations WHERE room_name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok((ConversationId(id), inserted))
    }

    /// The private conversation of two users, creating it if needed.
    pub async fn ensure_direct(
        &self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool)> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let key = format!("{lo}:{hi}");
        let mut tx = self.pool.begin().await?;
        let created = sqlx::query(
            "INSERT OR IGNORE INTO conversations (direct_key, created_at) VALUES (?, ?)",
        )
        .bind(&key)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let id: i64 = sqlx::query_scalar("SELECT id FROM conversations WHERE direct_key = ?")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
        for user in [lo, hi] {
            sqlx::query("INSERT OR IGNORE INTO members (conversation_id, user_id, joined_at) VALUES (?, ?, ?)")
                .bind(id)
                .bind(user.0)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok((ConversationId(id), created))
    }

    /// Every room with its member count, by name.
    pub async fn rooms(&self) -> Result<Vec<RoomInfo>> {
        let rows = sqlx::query(&format!("{SELECT_ROOM} ORDER BY c.room_name"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(room_info).collect())
    }

    pub async fn room(&self, id: ConversationId) -> Result<Option<RoomInfo>> {
        let row = sqlx::query(&format!("{SELECT_ROOM} AND c.id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(room_info))
    }

    /// The conversations a user is a member of, as that user sees them.
    pub async fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>> {
        let rows = sqlx::query(&format!(
            "{SELECT_MEMBERSHIP} WHERE m.user_id = ? ORDER BY c.id"
        ))
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().filter_map(conversation_info).collect())
    }

    /// One conversation as `user` (a member) sees it.
    pub async fn conversation_for(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<Option<ConversationInfo>> {
        let row = sqlx::query(&format!(
            "{SELECT_MEMBERSHIP} WHERE m.user_id = ? AND c.id = ?"
        ))
        .bind(user.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().and_then(conversation_info))
    }

    /// Adds a member; false if they already were one.
    pub async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO members (conversation_id, user_id, read_seq, joined_at)
             SELECT ?, ?, last_seq, ? FROM conversations WHERE id = ?",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(now_ms)
        .bind(conversation.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a member; false if they were not one.
    pub async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM members WHERE conversation_id = ? AND user_id = ?")
            .bind(conversation.0)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn members(&self, conversation: ConversationId) -> Result<Vec<UserId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM members WHERE conversation_id = ?")
                .bind(conversation.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// Users who share a private conversation with `user`.
    pub async fn direct_peers(&self, user: UserId) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.id, u.nickname, u.avatar
             FROM members me JOIN conversations c ON c.id = me.conversation_id AND c.direct_key IS NOT NULL
             JOIN members other ON other.conversation_id = c.id AND other.user_id <> me.user_id
             JOIN users u ON u.id = other.user_id
             WHERE me.user_id = ?",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(user_row).collect())
    }

    // ---- messages ----

    /// Stores a message with the next sequence number of its conversation. A text
    /// with a `client_id` this author used before is not stored again: the earlier
    /// message is returned, marked duplicate.
    pub async fn insert_message(
        &self,
        conversation: ConversationId,
        author: &UserRow,
        body: &MessageBody,
        client_id: Option<&ClientMsgId>,
        now_ms: i64,
    ) -> Result<Stored> {
        let mut tx = self.pool.begin().await?;
        if let Some(client_id) = client_id {
            let existing = sqlx::query(&format!(
                "{SELECT_MESSAGE} WHERE m.author_id = ? AND m.client_id = ?"
            ))
            .bind(author.id.0)
            .bind(&client_id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                return Ok(Stored {
                    message: chat_message(&row),
                    duplicate: true,
                });
            }
        }
        let seq: i64 = sqlx::query_scalar(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
        )
        .bind(conversation.0)
        .fetch_one(&mut *tx)
        .await?;
        let (kind, text) = match body {
            MessageBody::Text { text } => ("text", text.as_str()),
            MessageBody::Joined => ("joined", ""),
            MessageBody::Left => ("left", ""),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (conversation_id, seq, author_id, kind, body, client_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(conversation.0)
        .bind(seq)
        .bind(author.id.0)
        .bind(kind)
        .bind(text)
        .bind(client_id.map(|c| c.0.as_str()))
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        // What you wrote yourself is read.
        sqlx::query("UPDATE members SET read_seq = MAX(read_seq, ?) WHERE conversation_id = ? AND user_id = ?")
            .bind(seq)
            .bind(conversation.0)
            .bind(author.id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Stored {
            message: ChatMessage {
                id: MessageId(id),
                conversation,
                seq: seq as Seq,
                author: Author {
                    id: author.id,
                    nickname: author.nickname.clone(),
                    avatar: author.avatar.clone(),
                },
                sent_at_ms: now_ms,
                body: body.clone(),
                client_id: client_id.cloned(),
            },
            duplicate: false,
        })
    }

    /// Up to `limit` messages before `before` (or the newest), oldest first, and
    /// whether older ones exist.
    pub async fn history(
        &self,
        conversation: ConversationId,
        before: Option<Seq>,
        limit: u32,
    ) -> Result<(Vec<ChatMessage>, bool)> {
        let before = before.map_or(i64::MAX, |s| s as i64);
        let rows = sqlx::query(&format!(
            "{SELECT_MESSAGE} WHERE m.conversation_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?"
        ))
        .bind(conversation.0)
        .bind(before)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let has_more = rows.len() > limit as usize;
        let mut messages: Vec<ChatMessage> =
            rows.iter().take(limit as usize).map(chat_message).collect();
        messages.reverse();
        Ok((messages, has_more))
    }

    /// The messages of a conversation with `after < seq <= up_to`, oldest first
    /// (what a resuming client missed).
    pub async fn messages_between(
        &self,
        conversation: ConversationId,
        after: Seq,
        up_to: Seq,
    ) -> Result<Vec<ChatMessage>> {
        let rows = sqlx::query(&format!(
            "{SELECT_MESSAGE} WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq"
        ))
        .bind(conversation.0)
        .bind(after as i64)
        .bind(up_to as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(chat_message).collect())
    }

    pub async fn mark_read(
        &self,
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE members SET read_seq = MIN(MAX(read_seq, ?), (SELECT last_seq FROM conversations WHERE id = ?))
             WHERE conversation_id = ? AND user_id = ?",
        )
        .bind(seq as i64)
        .bind(conversation.0)
        .bind(conversation.0)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Columns read by [`room_info`].
const SELECT_ROOM: &str = "SELECT c.id, c.room_name,
        (SELECT COUNT(*) FROM members m WHERE m.conversation_id = c.id)
    FROM conversations c WHERE c.room_name IS NOT NULL";

/// Columns read by [`conversation_info`]: a conversation as one member sees it.
const SELECT_MEMBERSHIP: &str = "SELECT c.id, c.room_name, c.direct_key, c.last_seq, m.read_seq,
        (SELECT COUNT(*) FROM members x WHERE x.conversation_id = c.id)
    FROM members m JOIN conversations c ON c.id = m.conversation_id";

const SELECT_MESSAGE: &str =
    "SELECT m.id, m.conversation_id, m.seq, m.author_id, u.nickname, u.avatar,
        m.created_at, m.kind, m.body, m.client_id
    FROM messages m JOIN users u ON u.id = m.author_id";

fn chat_message(row: &sqlx::sqlite::SqliteRow) -> ChatMessage {
    let kind: String = row.get(7);
    let body = match kind.as_str() {
        "joined" => MessageBody::Joined,
        "left" => MessageBody::Left,
        _ => MessageBody::Text { text: row.get(8) },
    };
    ChatMessage {
        id: MessageId(row.get(0)),
        conversation: ConversationId(row.get(1)),
        seq: row.get::<i64, _>(2) as Seq,
        author: Author {
            id: UserId(row.get(3)),
            nickname: row.get(4),
            avatar: row.get(5),
        },
        sent_at_ms: row.get(6),
        body,
        client_id: row.get::<Option<String>, _>(9).map(ClientMsgId),
    }
}

fn room_info(row: &sqlx::sqlite::SqliteRow) -> RoomInfo {
    RoomInfo {
        id: ConversationId(row.get(0)),
        name: row.get(1),
        member_count: row.get::<i64, _>(2) as u32,
    }
}

fn user_row(row: &sqlx::sqlite::SqliteRow) -> UserRow {
    UserRow {
        id: UserId(row.get(0)),
        nickname: row.get(1),
        avatar: row.get(2),
    }
}

/// Columns: id, room_name, direct_key, last_seq, read_seq, member count.
fn conversation_info(row: &sqlx::sqlite::SqliteRow) -> Option<ConversationInfo> {
    let room: Option<String> = row.get(1);
    let direct: Option<String> = row.get(2);
    let kind = match (room, direct) {
        (Some(name), _) => ConversationKind::Room {
            name,
            member_count: row.get::<i64, _>(5) as u32,
        },
        (None, Some(key)) => {
            let (a, b) = key.split_once(':')?;
            ConversationKind::Direct {
                users: [UserId(a.parse().ok()?), UserId(b.parse().ok()?)],
            }
        }
        (None, None) => return None,
    };
    Some(ConversationInfo {
        id: ConversationId(row.get(0)),
        kind,
        last_seq: row.get::<i64, _>(3) as Seq,
        read_seq: row.get::<i64, _>(4) as Seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("chat.db").to_str().unwrap())
            .await
            .unwrap();
        (dir, store)
    }

    fn text(t: &str) -> MessageBody {
        MessageBody::Text { text: t.into() }
    }

    #[tokio::test]
    async fn messages_get_gapless_sequence_numbers_per_conversation() {
        let (_dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"t1", 1)
            .await
            .unwrap();
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        let (other, created) = store.ensure_room("other", 0).await.unwrap();
        assert!(created);
        for (i, conv) in [general, general, other, general].into_iter().enumerate() {
            store
                .insert_message(conv, &ann, &text(&format!("m{i}")), None, 10)
                .await
                .unwrap();
        }
        let (page, more) = store.history(general, None, 50).await.unwrap();
        assert!(!more);
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3]);
        let (page, _) = store.history(other, None, 50).await.unwrap();
        assert_eq!(page[0].seq, 1);
        assert_eq!(page[0].body, text("m2"));
    }

    #[tokio::test]
    async fn the_same_client_id_stores_one_message() {
        let (_dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"t1", 1)
            .await
            .unwrap();
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        let id = ClientMsgId("k1".into());
        let first = store
            .insert_message(general, &ann, &text("hi"), Some(&id), 5)
            .await
            .unwrap();
        let again = store
            .insert_message(general, &ann, &text("hi"), Some(&id), 9)
            .await
            .unwrap();
        assert!(!first.duplicate);
        assert!(again.duplicate);
        assert_eq!(first.message, again.message);
        assert_eq!(store.history(general, None, 50).await.unwrap().0.len(), 1);
    }

    #[tokio::test]
    async fn history_pages_backwards() {
        let (_dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"t1", 1)
            .await
            .unwrap();
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        for i in 0..120 {
            store
                .insert_message(general, &ann, &text(&i.to_string()), None, i)
                .await
                .unwrap();
        }
        let (newest, more) = store.history(general, None, 50).await.unwrap();
        assert!(more);
        assert_eq!((newest[0].seq, newest[49].seq), (71, 120));
        let (older, more) = store.history(general, Some(71), 50).await.unwrap();
        assert!(more);
        assert_eq!((older[0].seq, older[49].seq), (21, 70));
        let (oldest, more) = store.history(general, Some(21), 50).await.unwrap();
        assert!(!more);
        assert_eq!(oldest.len(), 20);

        let missed = store.messages_between(general, 100, 110).await.unwrap();
        assert_eq!(
            missed.iter().map(|m| m.seq).collect::<Vec<_>>(),
            (101..=110).collect::<Vec<_>>()
        );
        assert!(store
            .messages_between(general, 120, 120)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn sessions_expire_and_free_the_nickname() {
        let (_dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"tok", 100)
            .await
            .unwrap();
        assert_eq!(
            store.active_user_by_skeleton("ann", 50).await.unwrap(),
            Some(ann.id)
        );
        assert_eq!(
            store.session_user(b"tok", 50, 200).await.unwrap(),
            Some(ann.clone())
        );
        // Alive since 300 means: seen at 300 or later. Last seen at 200: expired.
        assert_eq!(
            store.active_user_by_skeleton("ann", 300).await.unwrap(),
            None
        );
        assert_eq!(store.session_user(b"tok", 300, 400).await.unwrap(), None);
        store.delete_session(b"tok").await.unwrap();
        assert_eq!(store.active_user_by_skeleton("ann", 0).await.unwrap(), None);
    }

    #[tokio::test]
    async fn data_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        let path = path.to_str().unwrap();
        {
            let store = Store::open(path).await.unwrap();
            let ann = store
                .create_user("Ann", "ann", "fox", b"t", 1)
                .await
                .unwrap();
            let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
            store
                .insert_message(general, &ann, &text("kept"), None, 2)
                .await
                .unwrap();
            store.close().await;
        }
        let store = Store::open(path).await.unwrap();
        let (general, created) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        assert!(!created);
        let (page, _) = store.history(general, None, 50).await.unwrap();
        assert_eq!(page[0].body, text("kept"));
    }

    #[tokio::test]
    async fn direct_conversations_have_exactly_their_two_members() {
        let (_dir, store) = temp_store().await;
        let a = store.create_user("A", "a", "fox", b"1", 1).await.unwrap();
        let b = store.create_user("B", "b", "owl", b"2", 1).await.unwrap();
        let (c1, created) = store.ensure_direct(b.id, a.id, 3).await.unwrap();
        let (c2, again) = store.ensure_direct(a.id, b.id, 4).await.unwrap();
        assert!(created && !again);
        assert_eq!(c1, c2);
        let mut members = store.members(c1).await.unwrap();
        members.sort();
        assert_eq!(members, [a.id, b.id]);
        let info = store.conversation_for(c1, a.id).await.unwrap().unwrap();
        assert_eq!(
            info.kind,
            ConversationKind::Direct {
                users: [a.id, b.id]
            }
        );
        assert_eq!(store.direct_peers(a.id).await.unwrap(), vec![b]);
    }
}
