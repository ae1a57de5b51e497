//! PostgreSQL: one database shared by several servers.
//!
//! Messages, read marks and session touches go through this server's writer
//! ([`writer`]), which commits messages in groups and numbers them under a lock on
//! their conversations' rows, so that servers writing to one conversation take turns
//! and its numbers stay gapless. The rarer writes and the reads run on the pool, each
//! in a transaction of its own where it needs one; the unique keys (nickname claims,
//! client ids, room names) decide between servers, not anyone's memory.

mod writer;

use std::{str::FromStr, sync::Arc, time::Duration};

use async_trait::async_trait;
use sqlx::{
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgConnection, PgPool, Postgres,
};
use tokio::{sync::Mutex, task::JoinHandle};

use super::{
    conversation_rows, direct_key, sql, ConversationFields, ConversationRow, MessageRow, NewUser,
    QueueError, Result, Storage, UserFields, UserRow, WriteJob, WRITE_QUEUE,
};
use crate::protocol::{ChatMessage, ClientMsgId, ConversationId, Seq, UserId};
use writer::Writer;

/// Connections of one server: the writer's groups, reads and the rarer writes.
const POOL_SIZE: u32 = 8;

pub(super) struct PgStore {
    pool: PgPool,
    writer: Writer,
    /// The writer's task, awaited by `close`.
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl PgStore {
    /// Connects to the database at `url` (creating the database if the server has
    /// none of that name), brings its schema up to date (servers starting together
    /// take turns: the migrator holds an advisory lock) and starts the writer.
    pub(super) async fn open(url: &str) -> Result<Self> {
        if !Postgres::database_exists(url).await? {
            if let Err(e) = Postgres::create_database(url).await {
                // Another server may have created it meanwhile.
                if !Postgres::database_exists(url).await? {
                    return Err(e);
                }
            }
        }
        let options = PgConnectOptions::from_str(url)?.application_name("chat");
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let (writer, task) = Writer::start(pool.clone(), WRITE_QUEUE);
        Ok(Self {
            pool,
            writer,
            task: Arc::new(Mutex::new(Some(task))),
        })
    }
}

#[async_trait]
impl Storage for PgStore {
    fn submit(&self, job: WriteJob) -> std::result::Result<(), QueueError> {
        self.writer.submit(job)
    }

    async fn responds_within(&self, patience: Duration) -> bool {
        let check = async {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            self.writer.flush().await
        };
        matches!(tokio::time::timeout(patience, check).await, Ok(Ok(())))
    }

    async fn close(&self) {
        if let Some(task) = self.task.lock().await.take() {
            self.writer.stop();
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the writer failed");
            }
        }
        self.pool.close().await;
    }

    async fn conversations(&self) -> Result<Vec<ConversationRow>> {
        // One snapshot for both: a member of a conversation not yet seen is not possible.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let conversations: Vec<ConversationFields> = sqlx::query_as(sql::SELECT_CONVERSATIONS)
            .fetch_all(&mut *tx)
            .await?;
        let members = sqlx::query_as(sql::SELECT_MEMBERS)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(conversation_rows(conversations, members))
    }

    async fn sign_up(
        &self,
        new: NewUser,
        alive_since_ms: i64,
        join: Option<ConversationId>,
    ) -> Result<Option<UserRow>> {
        let mut tx = self.pool.begin().await?;
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
        // A sign-up with the same skeleton on another server waits here for ours to
        // end, then finds the claim alive.
        let claimed: Option<i64> = sqlx::query_scalar(sql::CLAIM_NICKNAME)
            .bind(&new.skeleton)
            .bind(id)
            .bind(new.now_ms)
            .bind(alive_since_ms)
            .fetch_optional(&mut *tx)
            .await?;
        if claimed.is_none() {
            tx.rollback().await?;
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

    async fn session_user(
        &self,
        token_hash: &[u8],
        alive_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        let mut tx = self.pool.begin().await?;
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

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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

    async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        let row: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(UserRow::from))
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<UserRow>> {
        let ids: Vec<i64> = ids.iter().map(|u| u.0).collect();
        let rows: Vec<UserFields> =
            sqlx::query_as("SELECT id, nickname, avatar FROM users WHERE id = ANY($1)")
                .bind(ids)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(UserRow::from).collect())
    }

    async fn ensure_room(&self, name: &str, now_ms: i64) -> Result<(ConversationId, bool)> {
        let mut conn = self.pool.acquire().await?;
        insert_room(&mut conn, name, now_ms).await
    }

    async fn join_room(
        &self,
        name: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool, bool)> {
        let mut tx = self.pool.begin().await?;
        let (room, created) = insert_room(&mut tx, name, now_ms).await?;
        let joined = insert_member(&mut tx, room, user, now_ms).await?;
        tx.commit().await?;
        Ok((room, created, joined))
    }

    async fn ensure_direct(
        &self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool)> {
        let (key, pair) = direct_key(a, b);
        let mut tx = self.pool.begin().await?;
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

    async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        insert_member(&mut conn, conversation, user, now_ms).await
    }

    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        let done = sqlx::query(sql::DELETE_MEMBER)
            .bind(conversation.0)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
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

/// The room's id, creating it if needed, and whether it was created (a room created
/// by another server at the same moment is found, not created twice).
async fn insert_room(
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
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
