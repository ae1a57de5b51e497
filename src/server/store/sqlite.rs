//! SQLite, the embedded default: one file (WAL mode), one server.
//!
//! Every write goes through one task that owns the write connection ([`writer`]):
//! messages, read marks and session touches in groups, and the rarer writes (a new
//! user, a room, a membership) inside the next group's transaction. Reads go through
//! a small pool. WAL checkpoints run on a timer of their own, not inside a commit.

mod writer;

use std::{str::FromStr, sync::Arc, time::Duration};

use async_trait::async_trait;
use sqlx::{
    sqlite::{
        SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
        SqliteSynchronous,
    },
    ConnectOptions, Connection, SqlitePool,
};
use tokio::{sync::Mutex, task::JoinHandle};

use super::{
    conversation_rows, direct_key, sql, ConversationFields, ConversationRow, MessageRow, NewUser,
    QueueError, Result, Storage, UserFields, UserRow, WriteJob, WRITE_QUEUE,
};
use crate::protocol::{ChatMessage, ClientMsgId, ConversationId, Seq, UserId};
use writer::Writer;

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// The writer's task and the checkpointer's.
type StorageTasks = (JoinHandle<()>, JoinHandle<()>);

pub(super) struct SqliteStore {
    pool: SqlitePool,
    writer: Writer,
    /// The writer's task (awaited by `close`) and the checkpointer's (stopped there).
    tasks: Arc<Mutex<Option<StorageTasks>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain
    /// path), brings its schema up to date and starts the writer.
    pub(super) async fn open(url: &str) -> Result<Self> {
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
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let (writer, writer_task) = Writer::start(options.connect().await?, WRITE_QUEUE);
        let checkpointer = tokio::spawn(checkpoint_now_and_then(pool.clone()));
        Ok(Self {
            pool,
            writer,
            tasks: Arc::new(Mutex::new(Some((writer_task, checkpointer)))),
        })
    }

    /// The user and session of `new`, and its claim on the nickname (unless someone
    /// alive holds it): all of it or nothing (a savepoint in the group's transaction).
    async fn sign_up_on(
        conn: &mut SqliteConnection,
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
            .execute(&mut *tx)
            .await?;
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
}

#[async_trait]
impl Storage for SqliteStore {
    fn submit(&self, job: WriteJob) -> std::result::Result<(), QueueError> {
        self.writer.submit(job)
    }

    async fn responds_within(&self, patience: Duration) -> bool {
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

    async fn close(&self) {
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

    async fn conversations(&self) -> Result<Vec<ConversationRow>> {
        let conversations: Vec<ConversationFields> = sqlx::query_as(sql::SELECT_CONVERSATIONS)
            .fetch_all(&self.pool)
            .await?;
        let members = sqlx::query_as(sql::SELECT_MEMBERS)
            .fetch_all(&self.pool)
            .await?;
        Ok(conversation_rows(conversations, members))
    }

    async fn sign_up(
        &self,
        new: NewUser,
        alive_since_ms: i64,
        join: Option<ConversationId>,
    ) -> Result<Option<UserRow>> {
        self.writer
            .run(move |conn| Box::pin(Self::sign_up_on(conn, new, alive_since_ms, join)))
            .await
    }

    async fn session_user(
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
                    let user: Option<i64> = sqlx::query_scalar(sql::TOUCH_LIVE_SESSION)
                        .bind(now_ms)
                        .bind(&token_hash)
                        .bind(alive_since_ms)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some(user) = user {
                        sqlx::query(sql::TOUCH_CLAIM)
                            .bind(now_ms)
                            .bind(user)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(user)
                })
            })
            .await?;
        match user {
            Some(id) => self.user(UserId(id)).await,
            None => Ok(None),
        }
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        let token_hash = token_hash.to_vec();
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let user: Option<i64> = sqlx::query_scalar(sql::DELETE_SESSION)
                        .bind(&token_hash)
                        .fetch_optional(&mut *conn)
                        .await?;
                    if let Some(user) = user {
                        sqlx::query(sql::FREE_CLAIM)
                            .bind(user)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        let row: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(UserRow::from))
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<UserRow>> {
        let ids = serde_json::to_string(&ids.iter().map(|u| u.0).collect::<Vec<i64>>())
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let rows: Vec<UserFields> = sqlx::query_as(
            "SELECT id, nickname, avatar FROM users WHERE id IN (SELECT value FROM json_each($1))",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(UserRow::from).collect())
    }

    async fn ensure_room(&self, name: &str, now_ms: i64) -> Result<(ConversationId, bool)> {
        let name = name.to_string();
        self.writer
            .run(move |conn| Box::pin(async move { insert_room(conn, &name, now_ms).await }))
            .await
    }

    async fn join_room(
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

    async fn ensure_direct(
        &self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool)> {
        let (key, pair) = direct_key(a, b);
        self.writer
            .run(move |conn| {
                Box::pin(async move {
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
                })
            })
            .await
    }

    async fn add_member(
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

    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(sql::DELETE_MEMBER)
                        .bind(conversation.0)
                        .bind(user.0)
                        .execute(conn)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
    }

    async fn last_seq(&self, conversation: ConversationId) -> Result<Option<Seq>> {
        let last: Option<i64> = sqlx::query_scalar(sql::LAST_SEQ)
            .bind(conversation.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(last.map(|s| s as Seq))
    }

    async fn history(
        &self,
        conversation: ConversationId,
        before: Option<Seq>,
        limit: u32,
    ) -> Result<(Vec<ChatMessage>, bool)> {
        let rows: Vec<MessageRow> = sqlx::query_as(&sql::history())
            .bind(conversation.0)
            .bind(before.map_or(i64::MAX, |s| s as i64))
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        Ok(super::newest_page(rows, limit))
    }

    async fn message_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientMsgId,
    ) -> Result<Option<ChatMessage>> {
        let row: Option<MessageRow> = sqlx::query_as(&sql::message_by_client_id())
            .bind(author.0)
            .bind(&client_id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(ChatMessage::from))
    }

    async fn messages_between(
        &self,
        conversation: ConversationId,
        after: Seq,
        up_to: Seq,
    ) -> Result<Vec<ChatMessage>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&sql::messages_between())
            .bind(conversation.0)
            .bind(after as i64)
            .bind(up_to as i64)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ChatMessage::from).collect())
    }
}

/// The room's id, creating it if needed, and whether it was created.
async fn insert_room(
    conn: &mut SqliteConnection,
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

/// Adds a member who has read everything so far; false if they already were one.
async fn insert_member(
    conn: &mut SqliteConnection,
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
