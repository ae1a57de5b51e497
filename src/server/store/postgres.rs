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
    PgPool, Postgres,
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
        index_unsearched(&pool).await?;
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
        let moderation = moderation_same::rooms(&mut tx).await?;
        tx.commit().await?;
        Ok(conversation_rows(conversations, members, moderation))
    }

    async fn sign_up(
        &self,
        new: NewUser,
        alive_since_ms: i64,
        join: Option<ConversationId>,
    ) -> Result<Option<UserRow>> {
        let mut conn = self.pool.acquire().await?;
        same::sign_up(&mut conn, new, alive_since_ms, join).await
    }

    async fn session_user(
        &self,
        token_hash: &[u8],
        alive_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<UserRow>> {
        let mut conn = self.pool.acquire().await?;
        same::touch_live_session(&mut conn, token_hash, alive_since_ms, now_ms).await
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        same::delete_session(&mut conn, token_hash).await
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        same::user(&self.pool, id).await
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
        same::insert_room(&mut conn, name, now_ms).await
    }

    async fn join_room(
        &self,
        name: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool, super::Joining)> {
        let mut conn = self.pool.acquire().await?;
        same::join_room(&mut conn, name, user, now_ms).await
    }

    async fn ensure_direct(
        &self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool)> {
        let mut conn = self.pool.acquire().await?;
        same::ensure_direct(&mut conn, a, b, now_ms).await
    }

    async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        same::insert_member(&mut conn, conversation, user, now_ms).await
    }

    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        same::remove_member(&mut conn, conversation, user).await
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
        let words = ts_query(&search_words(query));
        same::search(&self.pool, SEARCH_MATCH, words, user, within, limit).await
    }

    async fn unread(&self, user: UserId) -> Result<Vec<Unread>> {
        same::unread(&self.pool, user).await
    }

    async fn offer_link(&self, offer: LinkOffer) -> Result<LinkId> {
        let mut conn = self.pool.acquire().await?;
        devices_same::offer_link(&mut conn, offer).await
    }

    async fn withdraw_offers(&self, offered_by: [u8; 32]) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        devices_same::withdraw_offers(&mut conn, offered_by).await
    }

    async fn claim_link(&self, claim: LinkClaim) -> Result<Claimed> {
        let mut conn = self.pool.acquire().await?;
        devices_same::claim_link(&mut conn, claim).await
    }

    async fn decide_link(
        &self,
        link: LinkId,
        user: UserId,
        accept: bool,
        now_ms: i64,
    ) -> Result<Option<Decided>> {
        let mut conn = self.pool.acquire().await?;
        devices_same::decide_link(&mut conn, link, user, accept, now_ms).await
    }

    async fn abandon_link(&self, link: LinkId, now_ms: i64) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        devices_same::abandon_link(&mut conn, link, now_ms).await
    }

    async fn sessions_of(&self, user: UserId, alive_since_ms: i64) -> Result<Vec<SessionRow>> {
        devices_same::sessions_of(&self.pool, user, alive_since_ms).await
    }

    async fn share_receipts(&self, user: UserId, on: bool) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        devices_same::share_receipts(&mut conn, user, on).await
    }

    async fn receipts_off(&self) -> Result<Vec<UserId>> {
        devices_same::receipts_off(&self.pool).await
    }

    async fn put_ceremony(&self, ceremony: NewCeremony) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        passkeys_same::put_ceremony(&mut conn, ceremony).await
    }

    async fn take_ceremony(
        &self,
        id: String,
        user: Option<UserId>,
        now_ms: i64,
    ) -> Result<Option<TakenCeremony>> {
        let mut conn = self.pool.acquire().await?;
        passkeys_same::take_ceremony(&mut conn, id, user, now_ms).await
    }

    async fn passkeys_of(&self, user: UserId) -> Result<Vec<PasskeyRow>> {
        passkeys_same::passkeys_of(&self.pool, user).await
    }

    async fn add_passkey(&self, passkey: NewPasskey) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        passkeys_same::add_passkey(&mut conn, passkey).await
    }

    async fn remove_passkey(&self, user: UserId, passkey: PasskeyId) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        passkeys_same::remove_passkey(&mut conn, user, passkey).await
    }

    async fn passkey_by_credential(&self, credential_id: Vec<u8>) -> Result<Option<StoredPasskey>> {
        passkeys_same::passkey_by_credential(&self.pool, credential_id).await
    }

    async fn passkey_sign_in(&self, sign_in: PasskeySignIn) -> Result<Option<UserId>> {
        let mut conn = self.pool.acquire().await?;
        passkeys_same::passkey_sign_in(&mut conn, sign_in).await
    }

    async fn moderate(&self, action: Moderation) -> Result<Option<Moderated>> {
        let mut conn = self.pool.acquire().await?;
        moderation_same::moderate(&mut conn, action).await
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
        let mut conn = self.pool.acquire().await?;
        moderation_same::set_admin(&mut conn, skeleton, on, now_ms).await
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
        let mut conn = self.pool.acquire().await?;
        moderation_same::ban_from_server(&mut conn, user, by, on, now_ms).await
    }

    async fn server_bans(&self) -> Result<Vec<UserId>> {
        moderation_same::server_bans(&self.pool).await
    }

    async fn report(
        &self,
        report: super::moderation::NewReport,
    ) -> Result<Option<crate::protocol::ReportInfo>> {
        let mut conn = self.pool.acquire().await?;
        moderation_same::report(&mut conn, report).await
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
        let mut conn = self.pool.acquire().await?;
        moderation_same::handle_report(&mut conn, report, by, now_ms).await
    }

    async fn set_room_setting(
        &self,
        room: ConversationId,
        actor: UserId,
        setting: super::invites::RoomSetting,
        now_ms: i64,
    ) -> Result<Option<crate::protocol::AuditEntry>> {
        let mut conn = self.pool.acquire().await?;
        invites_same::set_room_setting(&mut conn, room, actor, setting, now_ms).await
    }

    async fn create_invite(
        &self,
        invite: super::invites::NewInvite,
    ) -> Result<Option<crate::protocol::AuditEntry>> {
        let mut conn = self.pool.acquire().await?;
        invites_same::create_invite(&mut conn, invite).await
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
        let mut conn = self.pool.acquire().await?;
        invites_same::revoke_invite(&mut conn, room, code, actor, now_ms).await
    }

    async fn use_invite(
        &self,
        code: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<super::invites::InviteUse> {
        let mut conn = self.pool.acquire().await?;
        invites_same::use_invite(&mut conn, code, user, now_ms).await
    }

    async fn set_block(
        &self,
        blocker: UserId,
        blocked: UserId,
        on: bool,
        now_ms: i64,
    ) -> Result<super::blocks::Blocking> {
        let mut conn = self.pool.acquire().await?;
        blocks_same::set_block(&mut conn, blocker, blocked, on, now_ms).await
    }

    async fn blocks_of(&self, user: UserId) -> Result<super::blocks::BlocksOf> {
        blocks_same::blocks_of(&self.pool, user).await
    }

    async fn add_file(
        &self,
        file: super::files::NewFile,
    ) -> Result<Option<crate::protocol::FileId>> {
        let mut conn = self.pool.acquire().await?;
        files_same::add_file(&mut conn, file).await
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

/// The search index's statements: `$1` message id, `$2` its text as
/// [`searchable`](super::searchable) made it.
const SEARCH_INSERT: &str = "INSERT INTO message_search (message_id, doc)
    VALUES ($1, to_tsvector('simple', $2))";
const SEARCH_DELETE: &str = "DELETE FROM message_search WHERE message_id = $1";

/// Many texts at once: `$1` their message ids, `$2` their texts as `searchable` made
/// them (an id already indexed, by another server starting at the same time, is left).
const SEARCH_INSERT_MANY: &str = "INSERT INTO message_search (message_id, doc)
    SELECT id, to_tsvector('simple', body) FROM unnest($1::bigint[], $2::text[]) AS v(id, body)
    ON CONFLICT (message_id) DO NOTHING";

/// The index's match of the words (`$1`, see `ts_query`).
const SEARCH_MATCH: &str =
    "SELECT message_id FROM message_search WHERE doc @@ to_tsquery('simple', $1)";

/// The words of a query as a `tsquery`: each word's parts in a row (`<->`), every
/// word required (`&`), each part quoted.
fn ts_query(words: &[String]) -> String {
    let words: Vec<String> = words
        .iter()
        .map(|w| {
            let parts: Vec<String> = w.split(' ').map(|p| format!("'{p}'")).collect();
            parts.join(" <-> ")
        })
        .collect();
    words.join(" & ")
}

/// Indexes the texts stored before the search index existed (or past its newest
/// entry), a thousand at a time.
async fn index_unsearched(pool: &PgPool) -> Result<()> {
    loop {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, body FROM messages WHERE kind = 'text' AND deleted_at IS NULL
               AND id > (SELECT COALESCE(MAX(message_id), 0) FROM message_search)
             ORDER BY id LIMIT 1000",
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        tracing::info!(texts = rows.len(), "indexing texts for search");
        let (ids, texts): (Vec<i64>, Vec<String>) = rows
            .into_iter()
            .map(|(id, body)| (id, searchable(&body).into_owned()))
            .unzip();
        sqlx::query(SEARCH_INSERT_MANY)
            .bind(&ids)
            .bind(&texts)
            .execute(pool)
            .await?;
    }
}

/// Reactions of a list of messages: the list is an array parameter (`message_ids`).
const REACTIONS_OF: &str = super::reactions_of!("= ANY($1)");

fn message_ids(ids: &[i64]) -> &[i64] {
    ids
}

/// The statements both backends run alike, for PostgreSQL.
pub(super) mod same {
    super::super::sql::statements_for!(sqlx::PgPool, sqlx::PgConnection);
}

/// The device statements, for PostgreSQL.
mod devices_same {
    super::super::devices::device_statements_for!(sqlx::PgPool, sqlx::PgConnection);
}

/// The moderation statements, for PostgreSQL.
mod moderation_same {
    super::super::moderation::moderation_statements_for!(sqlx::PgPool, sqlx::PgConnection);
}

/// The private rooms' and invites' statements, for PostgreSQL.
mod invites_same {
    super::super::invites::invite_statements_for!(sqlx::PgPool, sqlx::PgConnection);
}

/// The passkey statements, for PostgreSQL.
mod passkeys_same {
    super::super::passkeys::passkey_statements_for!(sqlx::PgPool, sqlx::PgConnection);
}

/// The block statements, for PostgreSQL.
mod blocks_same {
    super::super::blocks::block_statements_for!(sqlx::PgPool, sqlx::PgConnection);
}

mod files_same {
    super::super::files::file_statements_for!(sqlx::PgPool, sqlx::PgConnection);
}
