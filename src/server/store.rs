//! Storage with sqlx: users, sessions, conversations, members and messages in SQLite
//! (WAL mode, migrations embedded in the binary).
//!
//! Every write goes through one task that owns the write connection and commits in
//! groups ([`writer`]): messages, read marks, session touches, and the rarer ones (a
//! new user, a room, a membership). Reads go through a small pool. None of it runs on
//! the hub's task. WAL checkpoints run on a
//! timer of their own, not inside a commit.

pub mod writer;

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    sqlite::{
        SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
        SqliteSynchronous,
    },
    ConnectOptions, Connection, Row, SqlitePool,
};
use tokio::{sync::Mutex, task::JoinHandle};

use crate::protocol::{
    Author, ChatMessage, ClientMsgId, ConversationId, MessageBody, MessageId, Seq, UserId,
    GENERAL_ROOM,
};
pub use writer::{QueueError, WriteJob, Writer};

/// What storage fails with. The hub and the server name only this, not the driver's
/// type, so that another backend can stand behind the same seam.
pub type Error = sqlx::Error;
pub type Result<T> = std::result::Result<T, Error>;

/// Jobs the writer holds before it refuses more (the hub then refuses the send).
const WRITE_QUEUE: usize = 16_384;

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// The writer's task and the checkpointer's.
type StorageTasks = (JoinHandle<()>, JoinHandle<()>);

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    writer: Writer,
    /// The writer's task (awaited by [`Store::close`]) and the checkpointer's (stopped there).
    tasks: Arc<Mutex<Option<StorageTasks>>>,
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

/// A conversation as the hub keeps it in memory: what it is, how far it has got,
/// and who is in it with how far each member has read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: ConversationId,
    /// A room's name, or `None` for a private conversation.
    pub room: Option<String>,
    /// The two users of a private conversation.
    pub direct: Option<[UserId; 2]>,
    pub last_seq: Seq,
    pub members: Vec<(UserId, Seq)>,
}

impl Store {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain
    /// path), brings its schema up to date and starts the writer.
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
            .busy_timeout(Duration::from_secs(5))
            // Checkpoints run on their own timer (below), not in whichever commit crosses the limit.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let (writer, writer_task) = Writer::start(options.connect().await?, WRITE_QUEUE);
        let checkpointer = tokio::spawn(checkpoint_now_and_then(pool.clone()));
        let store = Self {
            pool,
            writer,
            tasks: Arc::new(Mutex::new(Some((writer_task, checkpointer)))),
        };
        store.ensure_room(GENERAL_ROOM, 0).await?;
        Ok(store)
    }

    /// The writer of messages, read marks and session touches.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Stores what the writer still holds, then closes every connection.
    /// Whether a read and a write (a no-op through the writer's queue) both complete
    /// within `patience`: storage is there and the writer task is moving.
    pub async fn responds_within(&self, patience: std::time::Duration) -> bool {
        let check = async {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            self.writer
                .run(|conn| {
                    Box::pin(async move { sqlx::query("SELECT 1").execute(conn).await.map(|_| ()) })
                })
                .await
        };
        matches!(tokio::time::timeout(patience, check).await, Ok(Ok(())))
    }

    pub async fn close(&self) {
        if let Some((writer, checkpointer)) = self.tasks.lock().await.take() {
            self.writer.stop();
            if let Err(e) = writer.await {
                tracing::warn!(error = %e, "the writer failed");
            }
            checkpointer.abort();
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "the last checkpoint failed");
        }
        self.pool.close().await;
    }

    /// Every conversation with its members: the hub's picture of who is where, loaded once.
    pub async fn conversations(&self) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(
            "SELECT id, room_name, direct_key, last_seq FROM conversations ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut conversations: Vec<ConversationRow> = rows
            .iter()
            .map(|r| ConversationRow {
                id: ConversationId(r.get("id")),
                room: r.get("room_name"),
                direct: r
                    .get::<Option<String>, _>("direct_key")
                    .as_deref()
                    .and_then(direct_pair),
                last_seq: r.get::<i64, _>("last_seq") as Seq,
                members: Vec::new(),
            })
            .collect();
        let index: std::collections::HashMap<ConversationId, usize> = conversations
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let members = sqlx::query("SELECT conversation_id, user_id, read_seq FROM members")
            .fetch_all(&self.pool)
            .await?;
        for m in &members {
            if let Some(&i) = index.get(&ConversationId(m.get("conversation_id"))) {
                conversations[i]
                    .members
                    .push((UserId(m.get("user_id")), m.get::<i64, _>("read_seq") as Seq));
            }
        }
        Ok(conversations)
    }

    // ---- users and sessions ----

    /// Creates a user and its first session.
    pub async fn create_user(
        &self,
        nickname: &str,
        skeleton: &str,
        avatar: &str,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<UserRow> {
        let new = NewUser::new(nickname, skeleton, avatar, token_hash, now_ms);
        self.writer
            .run(move |conn| Box::pin(async move { new.insert(conn).await }))
            .await
    }

    /// Logs in a new user in one write: unless someone whose session is alive (used
    /// since `alive_since_ms`) has the skeleton, creates the user and its session and
    /// makes it a member of `join`. `None` if the name is taken.
    pub async fn sign_up(
        &self,
        new: NewUser,
        alive_since_ms: i64,
        join: Option<ConversationId>,
    ) -> Result<Option<UserRow>> {
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    // All of it or nothing (a savepoint in the group's transaction): a
                    // failure half-way must not leave a nickname taken and no session
                    // handed out.
                    let mut tx = conn.begin().await?;
                    let taken: Option<i64> = sqlx::query_scalar(
                        "SELECT u.id FROM users u JOIN sessions s ON s.user_id = u.id
                         WHERE u.skeleton = ? AND s.last_seen_at >= ? LIMIT 1",
                    )
                    .bind(&new.skeleton)
                    .bind(alive_since_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if taken.is_some() {
                        return Ok(None);
                    }
                    let now_ms = new.now_ms;
                    let user = new.insert(&mut tx).await?;
                    if let Some(room) = join {
                        insert_member(&mut tx, room, user.id, now_ms).await?;
                    }
                    tx.commit().await?;
                    Ok(Some(user))
                })
            })
            .await
    }

    /// The user of a live session, touching the session so it stays alive.
    pub async fn session_user(
        &self,
        token_hash: &[u8],
        alive_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        let token_hash = token_hash.to_vec();
        let user: Option<i64> = self
            .writer
            .run(move |conn| {
                Box::pin(async move {
                    sqlx::query_scalar(
                        "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at >= ?
                         RETURNING user_id",
                    )
                    .bind(now_ms)
                    .bind(&token_hash)
                    .bind(alive_since_ms)
                    .fetch_optional(conn)
                    .await
                })
            })
            .await?;
        match user {
            Some(id) => self.user(UserId(id)).await,
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        let token_hash = token_hash.to_vec();
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
                        .bind(&token_hash)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .await
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
        let name = name.to_string();
        self.writer
            .run(move |conn| Box::pin(async move { insert_room(conn, &name, now_ms).await }))
            .await
    }

    /// Makes `user` a member of the room `name`, creating the room if needed, in one
    /// write: the room, whether it was created, and whether they were new to it.
    pub async fn join_room(
        &self,
        name: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool, bool)> {
        let name = name.to_string();
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let (room, created) = insert_room(&mut *conn, &name, now_ms).await?;
                    let joined = insert_member(conn, room, user, now_ms).await?;
                    Ok((room, created, joined))
                })
            })
            .await
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
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let mut tx = conn.begin().await?;
                    let created = sqlx::query(
                        "INSERT OR IGNORE INTO conversations (direct_key, created_at) VALUES (?, ?)",
                    )
                    .bind(&key)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        > 0;
                    let id: i64 =
                        sqlx::query_scalar("SELECT id FROM conversations WHERE direct_key = ?")
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
                })
            })
            .await
    }

    /// Adds a member; false if they already were one.
    pub async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Result<bool> {
        self.writer
            .run(move |conn| {
                Box::pin(async move { insert_member(conn, conversation, user, now_ms).await })
            })
            .await
    }

    /// Removes a member; false if they were not one.
    pub async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "DELETE FROM members WHERE conversation_id = ? AND user_id = ?",
                    )
                    .bind(conversation.0)
                    .bind(user.0)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
    }

    /// These users, in no particular order; unknown ids are left out.
    pub async fn users(&self, ids: &[UserId]) -> Result<Vec<UserRow>> {
        let ids = serde_json::to_string(&ids.iter().map(|u| u.0).collect::<Vec<i64>>())
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let rows = sqlx::query(
            "SELECT id, nickname, avatar FROM users WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(user_row).collect())
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

    /// The message `author` sent under `client_id`, if it was stored.
    pub async fn message_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientMsgId,
    ) -> Result<Option<ChatMessage>> {
        let row = sqlx::query(&format!(
            "{SELECT_MESSAGE} WHERE m.author_id = ? AND m.client_id = ?"
        ))
        .bind(author.0)
        .bind(&client_id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(chat_message))
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
}

/// A user to create, with its first session.
pub struct NewUser {
    nickname: String,
    skeleton: String,
    avatar: String,
    token_hash: Vec<u8>,
    now_ms: i64,
}

impl NewUser {
    pub fn new(
        nickname: &str,
        skeleton: &str,
        avatar: &str,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Self {
        Self {
            nickname: nickname.into(),
            skeleton: skeleton.into(),
            avatar: avatar.into(),
            token_hash: token_hash.into(),
            now_ms,
        }
    }

    /// Inserts the user and the session together (a savepoint), or neither.
    async fn insert(self, conn: &mut SqliteConnection) -> Result<UserRow> {
        let mut tx = conn.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (nickname, skeleton, avatar, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(&self.nickname)
        .bind(&self.skeleton)
        .bind(&self.avatar)
        .bind(self.now_ms)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&self.token_hash)
        .bind(id)
        .bind(self.now_ms)
        .bind(self.now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserRow {
            id: UserId(id),
            nickname: self.nickname,
            avatar: self.avatar,
        })
    }
}

/// The room's id, creating it if needed, and whether it was created.
async fn insert_room(
    conn: &mut SqliteConnection,
    name: &str,
    now_ms: i64,
) -> Result<(ConversationId, bool)> {
    let inserted =
        sqlx::query("INSERT OR IGNORE INTO conversations (room_name, created_at) VALUES (?, ?)")
            .bind(name)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            > 0;
    let id: i64 = sqlx::query_scalar("SELECT id FROM conversations WHERE room_name = ?")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok((ConversationId(id), inserted))
}

/// Adds a member who has read everything so far; false if they already were one.
async fn insert_member(
    conn: &mut SqliteConnection,
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
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Copies the WAL back into the database now and then (PASSIVE: never waits for,
/// nor blocks, the writer or readers).
async fn checkpoint_now_and_then(pool: SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// The two users of a private conversation's key, `"<lower id>:<higher id>"`.
fn direct_pair(key: &str) -> Option<[UserId; 2]> {
    let (a, b) = key.split_once(':')?;
    Some([UserId(a.parse().ok()?), UserId(b.parse().ok()?)])
}

pub(crate) const SELECT_MESSAGE: &str =
    "SELECT m.id, m.conversation_id, m.seq, m.author_id, u.nickname, u.avatar,
        m.created_at, m.kind, m.body, m.client_id
    FROM messages m JOIN users u ON u.id = m.author_id";

/// A message row of [`SELECT_MESSAGE`].
pub(crate) fn chat_message(row: &SqliteRow) -> ChatMessage {
    let kind: String = row.get("kind");
    let body = match kind.as_str() {
        "joined" => MessageBody::Joined,
        "left" => MessageBody::Left,
        _ => MessageBody::Text {
            text: row.get("body"),
        },
    };
    ChatMessage {
        id: MessageId(row.get("id")),
        conversation: ConversationId(row.get("conversation_id")),
        seq: row.get::<i64, _>("seq") as Seq,
        author: Author {
            id: UserId(row.get("author_id")),
            nickname: row.get("nickname"),
            avatar: row.get("avatar"),
        },
        sent_at_ms: row.get("created_at"),
        body,
        client_id: row.get::<Option<String>, _>("client_id").map(ClientMsgId),
    }
}

fn user_row(row: &SqliteRow) -> UserRow {
    UserRow {
        id: UserId(row.get("id")),
        nickname: row.get("nickname"),
        avatar: row.get("avatar"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) async fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("chat.db").to_str().unwrap())
            .await
            .unwrap();
        (dir, store)
    }

    /// A store with one user, Ann, and the room general (she is not a member).
    pub(super) async fn ann_and_general() -> (tempfile::TempDir, Store, UserRow, ConversationId) {
        let (dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"t1", 1)
            .await
            .unwrap();
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        (dir, store, ann, general)
    }

    pub(super) fn text(t: &str) -> MessageBody {
        MessageBody::Text { text: t.into() }
    }

    #[tokio::test]
    async fn messages_get_gapless_sequence_numbers_per_conversation() {
        let (_dir, store, ann, general) = ann_and_general().await;
        let (other, created) = store.ensure_room("other", 0).await.unwrap();
        assert!(created);
        for (i, conv) in [general, general, other, general].into_iter().enumerate() {
            store
                .writer()
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
        let (_dir, store, ann, general) = ann_and_general().await;
        let id = ClientMsgId("k1".into());
        let first = store
            .writer()
            .insert_message(general, &ann, &text("hi"), Some(&id), 5)
            .await
            .unwrap();
        let again = store
            .writer()
            .insert_message(general, &ann, &text("hi"), Some(&id), 9)
            .await
            .unwrap();
        assert!(!first.duplicate);
        assert!(again.duplicate);
        assert_eq!(first.message, again.message);
        assert_eq!(store.history(general, None, 50).await.unwrap().0.len(), 1);
    }

    #[tokio::test]
    async fn a_write_that_fails_fails_alone_and_whole() {
        let (_dir, store) = temp_store().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"tok", 1)
            .await
            .unwrap();
        // The same token hash again: the session cannot be stored, so neither is the user.
        assert!(store
            .create_user("Bob", "bob", "owl", b"tok", 1)
            .await
            .is_err());
        assert_eq!(store.users(&[UserId(ann.id.0 + 1)]).await.unwrap(), vec![]);
        // The writer goes on.
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        let stored = store
            .writer()
            .insert_message(general, &ann, &text("still here"), None, 2)
            .await
            .unwrap();
        assert_eq!(stored.message.seq, 1);
        let carol = store
            .create_user("Carol", "carol", "cat", b"tok2", 3)
            .await
            .unwrap();
        assert_eq!(store.users(&[carol.id]).await.unwrap(), vec![carol]);
    }

    #[tokio::test]
    async fn history_pages_backwards() {
        let (_dir, store, ann, general) = ann_and_general().await;
        for i in 0..120 {
            store
                .writer()
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
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        let sign_up = |token: &'static [u8], alive_since: i64| {
            let new = NewUser::new("ANN", "ann", "owl", token, 500);
            store.sign_up(new, alive_since, Some(general))
        };
        let ann = store
            .create_user("Ann", "ann", "fox", b"tok", 100)
            .await
            .unwrap();
        assert_eq!(sign_up(b"t2", 50).await.unwrap(), None, "taken");
        assert_eq!(
            store.session_user(b"tok", 50, 200).await.unwrap(),
            Some(ann.clone())
        );
        // Alive since 300 means: seen at 300 or later. Last seen at 200: expired.
        assert_eq!(store.session_user(b"tok", 300, 400).await.unwrap(), None);
        let again = sign_up(b"t3", 300).await.unwrap().expect("free again");
        assert_ne!(again.id, ann.id, "a new user, not the old one");
        let members = store.conversations().await.unwrap();
        let general_row = members.iter().find(|c| c.id == general).unwrap();
        assert_eq!(general_row.members, vec![(again.id, 0)], "joined general");
        // Logging out frees the name at once.
        store.delete_session(b"t3").await.unwrap();
        assert!(sign_up(b"t4", 300).await.unwrap().is_some());
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
                .writer()
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
        let all = store.conversations().await.unwrap();
        let direct = all.iter().find(|c| c.id == c1).unwrap();
        let mut members: Vec<UserId> = direct.members.iter().map(|(u, _)| *u).collect();
        members.sort();
        assert_eq!(members, [a.id, b.id]);
        assert_eq!(direct.direct, Some([a.id, b.id]));
        assert_eq!(direct.room, None);
        assert_eq!(store.users(&[b.id, UserId(999)]).await.unwrap(), vec![b]);
    }
}
