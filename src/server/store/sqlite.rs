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
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    ConnectOptions, SqlitePool,
};
use tokio::{sync::Mutex, task::JoinHandle};

use super::{
    conversation_rows,
    devices::{Claimed, Decided, LinkClaim, LinkOffer, SessionRow},
    moderation::{Moderated, Moderation},
    passkeys::{NewCeremony, NewPasskey, PasskeyRow, PasskeySignIn, StoredPasskey, TakenCeremony},
    search_words, searchable, sql, ConversationFields, ConversationRow, NewUser, QueueError,
    Result, Storage, Unread, UserFields, UserRow, WriteJob, WRITE_QUEUE,
};
use crate::protocol::{
    AuditEntry, AuditId, ChatMessage, ClientMsgId, ConversationId, LinkId, PasskeyId, Seq, UserId,
};
use writer::Writer;

/// The search index's statements: `$1` message id (the index's rowid), `$2` its text
/// as [`searchable`](super::searchable) made it.
const SEARCH_INSERT: &str = "INSERT INTO message_search (rowid, body) VALUES ($1, $2)";
const SEARCH_DELETE: &str = "DELETE FROM message_search WHERE rowid = $1";

/// The index's match of the words (`$1`, see `fts_query`).
const SEARCH_MATCH: &str = "SELECT rowid FROM message_search WHERE message_search MATCH $1";

/// The words of a query as an FTS5 query: each a quoted phrase, all of them required.
fn fts_query(words: &[String]) -> String {
    let phrases: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    phrases.join(" ")
}

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
        let mut conn = options.connect().await?;
        index_unsearched(&mut conn).await?;
        let (writer, writer_task) = Writer::start(conn, WRITE_QUEUE);
        let checkpointer = tokio::spawn(checkpoint_now_and_then(pool.clone()));
        Ok(Self {
            pool,
            writer,
            tasks: Arc::new(Mutex::new(Some((writer_task, checkpointer)))),
        })
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
        let mut conn = self.pool.acquire().await?;
        let moderation = moderation_same::rooms(&mut conn).await?;
        Ok(conversation_rows(conversations, members, moderation))
    }

    async fn sign_up(
        &self,
        new: NewUser,
        alive_since_ms: i64,
        join: Option<ConversationId>,
    ) -> Result<Option<UserRow>> {
        self.writer
            .run(move |conn| Box::pin(same::sign_up(conn, new, alive_since_ms, join)))
            .await
    }

    async fn session_user(
        &self,
        token_hash: &[u8],
        alive_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        let token_hash = token_hash.to_vec();
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    same::touch_live_session(conn, &token_hash, alive_since_ms, now_ms).await
                })
            })
            .await
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        let token_hash = token_hash.to_vec();
        self.writer
            .run(move |conn| Box::pin(async move { same::delete_session(conn, &token_hash).await }))
            .await
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        same::user(&self.pool, id).await
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
            .run(move |conn| Box::pin(async move { same::insert_room(conn, &name, now_ms).await }))
            .await
    }

    async fn join_room(
        &self,
        name: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool, super::Joining)> {
        let name = name.to_string();
        self.writer
            .run(move |conn| {
                Box::pin(async move { same::join_room(conn, &name, user, now_ms).await })
            })
            .await
    }

    async fn ensure_direct(
        &self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool)> {
        self.writer
            .run(move |conn| Box::pin(same::ensure_direct(conn, a, b, now_ms)))
            .await
    }

    async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Result<bool> {
        self.writer
            .run(move |conn| Box::pin(same::insert_member(conn, conversation, user, now_ms)))
            .await
    }

    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        self.writer
            .run(move |conn| Box::pin(same::remove_member(conn, conversation, user)))
            .await
    }

    async fn last_seq(&self, conversation: ConversationId) -> Result<Option<Seq>> {
        same::last_seq(&self.pool, conversation).await
    }

    async fn history(
        &self,
        conversation: ConversationId,
        before: Option<Seq>,
        limit: u32,
        reader: UserId,
    ) -> Result<(Vec<ChatMessage>, bool)> {
        same::history(&self.pool, conversation, before, limit, reader).await
    }

    async fn message_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientMsgId,
    ) -> Result<Option<ChatMessage>> {
        same::message_by_client_id(&self.pool, author, client_id).await
    }

    async fn messages_between(
        &self,
        conversation: ConversationId,
        after: Seq,
        up_to: Seq,
    ) -> Result<Vec<ChatMessage>> {
        same::messages_between(&self.pool, conversation, after, up_to).await
    }

    async fn message_at(
        &self,
        conversation: ConversationId,
        seq: Seq,
    ) -> Result<Option<ChatMessage>> {
        same::message_at(&self.pool, conversation, seq).await
    }

    async fn search(
        &self,
        user: UserId,
        query: &str,
        within: Option<ConversationId>,
        limit: u32,
    ) -> Result<Vec<ChatMessage>> {
        let words = fts_query(&search_words(query));
        same::search(&self.pool, SEARCH_MATCH, words, user, within, limit).await
    }

    async fn unread(&self, user: UserId) -> Result<Vec<Unread>> {
        same::unread(&self.pool, user).await
    }

    async fn offer_link(&self, offer: LinkOffer) -> Result<LinkId> {
        self.writer
            .run(move |conn| Box::pin(devices_same::offer_link(conn, offer)))
            .await
    }

    async fn withdraw_offers(&self, offered_by: [u8; 32]) -> Result<()> {
        self.writer
            .run(move |conn| Box::pin(devices_same::withdraw_offers(conn, offered_by)))
            .await
    }

    async fn claim_link(&self, claim: LinkClaim) -> Result<Claimed> {
        self.writer
            .run(move |conn| Box::pin(devices_same::claim_link(conn, claim)))
            .await
    }

    async fn decide_link(
        &self,
        link: LinkId,
        user: UserId,
        accept: bool,
        now_ms: i64,
    ) -> Result<Option<Decided>> {
        self.writer
            .run(move |conn| Box::pin(devices_same::decide_link(conn, link, user, accept, now_ms)))
            .await
    }

    async fn abandon_link(&self, link: LinkId, now_ms: i64) -> Result<()> {
        self.writer
            .run(move |conn| Box::pin(devices_same::abandon_link(conn, link, now_ms)))
            .await
    }

    async fn sessions_of(&self, user: UserId, alive_since_ms: i64) -> Result<Vec<SessionRow>> {
        devices_same::sessions_of(&self.pool, user, alive_since_ms).await
    }

    async fn share_receipts(&self, user: UserId, on: bool) -> Result<()> {
        self.writer
            .run(move |conn| Box::pin(devices_same::share_receipts(conn, user, on)))
            .await
    }

    async fn receipts_off(&self) -> Result<Vec<UserId>> {
        devices_same::receipts_off(&self.pool).await
    }

    async fn put_ceremony(&self, ceremony: NewCeremony) -> Result<()> {
        self.writer
            .run(move |conn| Box::pin(passkeys_same::put_ceremony(conn, ceremony)))
            .await
    }

    async fn take_ceremony(
        &self,
        id: String,
        user: Option<UserId>,
        now_ms: i64,
    ) -> Result<Option<TakenCeremony>> {
        self.writer
            .run(move |conn| Box::pin(passkeys_same::take_ceremony(conn, id, user, now_ms)))
            .await
    }

    async fn passkeys_of(&self, user: UserId) -> Result<Vec<PasskeyRow>> {
        passkeys_same::passkeys_of(&self.pool, user).await
    }

    async fn add_passkey(&self, passkey: NewPasskey) -> Result<bool> {
        self.writer
            .run(move |conn| Box::pin(passkeys_same::add_passkey(conn, passkey)))
            .await
    }

    async fn remove_passkey(&self, user: UserId, passkey: PasskeyId) -> Result<bool> {
        self.writer
            .run(move |conn| Box::pin(passkeys_same::remove_passkey(conn, user, passkey)))
            .await
    }

    async fn passkey_by_credential(&self, credential_id: Vec<u8>) -> Result<Option<StoredPasskey>> {
        passkeys_same::passkey_by_credential(&self.pool, credential_id).await
    }

    async fn passkey_sign_in(&self, sign_in: PasskeySignIn) -> Result<Option<UserId>> {
        self.writer
            .run(move |conn| Box::pin(passkeys_same::passkey_sign_in(conn, sign_in)))
            .await
    }

    async fn moderate(&self, action: Moderation) -> Result<Option<Moderated>> {
        self.writer
            .run(move |conn| Box::pin(moderation_same::moderate(conn, action)))
            .await
    }

    async fn audit_log(
        &self,
        room: ConversationId,
        before: Option<AuditId>,
        limit: u32,
    ) -> Result<(Vec<AuditEntry>, bool)> {
        moderation_same::audit_log(&self.pool, room, before, limit).await
    }

    async fn admins(&self) -> Result<Vec<UserId>> {
        moderation_same::admins(&self.pool).await
    }

    async fn admin_users(&self) -> Result<Vec<UserRow>> {
        moderation_same::admin_users(&self.pool).await
    }

    async fn set_admin(&self, skeleton: &str, on: bool, now_ms: i64) -> Result<Option<UserRow>> {
        let skeleton = skeleton.to_string();
        self.writer
            .run(move |conn| {
                Box::pin(
                    async move { moderation_same::set_admin(conn, &skeleton, on, now_ms).await },
                )
            })
            .await
    }

    async fn user_by_skeleton(&self, skeleton: &str) -> Result<Option<UserRow>> {
        moderation_same::user_by_skeleton(&self.pool, skeleton).await
    }

    async fn ban_from_server(
        &self,
        user: UserId,
        by: Option<UserId>,
        on: bool,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        self.writer
            .run(move |conn| Box::pin(moderation_same::ban_from_server(conn, user, by, on, now_ms)))
            .await
    }

    async fn server_bans(&self) -> Result<Vec<UserId>> {
        moderation_same::server_bans(&self.pool).await
    }

    async fn report(
        &self,
        report: super::moderation::NewReport,
    ) -> Result<Option<crate::protocol::ReportInfo>> {
        self.writer
            .run(move |conn| Box::pin(moderation_same::report(conn, report)))
            .await
    }

    async fn open_reports(
        &self,
        room: Option<ConversationId>,
        limit: u32,
    ) -> Result<Vec<crate::protocol::ReportInfo>> {
        moderation_same::open_reports(&self.pool, room, limit).await
    }

    async fn report_room(
        &self,
        report: crate::protocol::ReportId,
    ) -> Result<Option<ConversationId>> {
        moderation_same::report_room(&self.pool, report).await
    }

    async fn handle_report(
        &self,
        report: crate::protocol::ReportId,
        by: UserId,
        now_ms: i64,
    ) -> Result<Option<ConversationId>> {
        self.writer
            .run(move |conn| Box::pin(moderation_same::handle_report(conn, report, by, now_ms)))
            .await
    }

    async fn set_room_setting(
        &self,
        room: ConversationId,
        actor: UserId,
        setting: super::invites::RoomSetting,
        now_ms: i64,
    ) -> Result<Option<crate::protocol::AuditEntry>> {
        self.writer
            .run(move |conn| {
                Box::pin(invites_same::set_room_setting(
                    conn, room, actor, setting, now_ms,
                ))
            })
            .await
    }

    async fn create_invite(
        &self,
        invite: super::invites::NewInvite,
    ) -> Result<Option<crate::protocol::AuditEntry>> {
        self.writer
            .run(move |conn| Box::pin(invites_same::create_invite(conn, invite)))
            .await
    }

    async fn invites(
        &self,
        room: ConversationId,
        now_ms: i64,
    ) -> Result<Vec<crate::protocol::InviteInfo>> {
        invites_same::invites(&self.pool, room, now_ms).await
    }

    async fn revoke_invite(
        &self,
        room: ConversationId,
        code: &str,
        actor: UserId,
        now_ms: i64,
    ) -> Result<Option<crate::protocol::AuditEntry>> {
        let code = code.to_string();
        self.writer
            .run(move |conn| {
                Box::pin(async move {
                    invites_same::revoke_invite(conn, room, &code, actor, now_ms).await
                })
            })
            .await
    }

    async fn use_invite(
        &self,
        code: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<super::invites::InviteUse> {
        let code = code.to_string();
        self.writer
            .run(move |conn| {
                Box::pin(async move { invites_same::use_invite(conn, &code, user, now_ms).await })
            })
            .await
    }

    async fn set_block(
        &self,
        blocker: UserId,
        blocked: UserId,
        on: bool,
        now_ms: i64,
    ) -> Result<super::blocks::Blocking> {
        self.writer
            .run(move |conn| Box::pin(blocks_same::set_block(conn, blocker, blocked, on, now_ms)))
            .await
    }

    async fn blocks_of(&self, user: UserId) -> Result<super::blocks::BlocksOf> {
        blocks_same::blocks_of(&self.pool, user).await
    }

    async fn add_file(
        &self,
        file: super::files::NewFile,
    ) -> Result<Option<crate::protocol::FileId>> {
        self.writer
            .run(move |conn| Box::pin(files_same::add_file(conn, file)))
            .await
    }

    async fn readable_file(
        &self,
        file: crate::protocol::FileId,
        reader: UserId,
    ) -> Result<Option<super::files::FileRow>> {
        files_same::readable_file(&self.pool, file, reader).await
    }

    async fn is_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        files_same::is_member(&self.pool, conversation, user).await
    }

    async fn uploaded(&self, user: UserId, since_ms: i64) -> Result<super::files::Uploaded> {
        files_same::uploaded(&self.pool, user, since_ms).await
    }
}

/// Indexes the texts stored before the search index existed (or past its newest
/// entry), a thousand at a time.
async fn index_unsearched(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    loop {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, body FROM messages WHERE kind = 'text' AND deleted_at IS NULL
               AND id > (SELECT COALESCE(MAX(rowid), 0) FROM message_search)
             ORDER BY id LIMIT 1000",
        )
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        tracing::info!(texts = rows.len(), "indexing texts for search");
        let texts: Vec<(i64, String)> = rows
            .into_iter()
            .map(|(id, body)| (id, searchable(&body).into_owned()))
            .collect();
        writer::add_to_index(conn, &texts).await?;
    }
}

/// Reactions of a list of messages: the list is a JSON array (`message_ids`).
const REACTIONS_OF: &str = super::reactions_of!("IN (SELECT value FROM json_each($1))");

fn message_ids(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", ids.join(","))
}

/// The statements both backends run alike, for SQLite.
pub(super) mod same {
    super::super::sql::statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

/// The device statements, for SQLite.
mod devices_same {
    super::super::devices::device_statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

/// The moderation statements, for SQLite.
mod moderation_same {
    super::super::moderation::moderation_statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

/// The private rooms' and invites' statements, for SQLite.
mod invites_same {
    super::super::invites::invite_statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

/// The passkey statements, for SQLite.
mod passkeys_same {
    super::super::passkeys::passkey_statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
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

/// The block statements, for SQLite.
mod blocks_same {
    super::super::blocks::block_statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

mod files_same {
    super::super::files::file_statements_for!(sqlx::SqlitePool, sqlx::SqliteConnection);
}
