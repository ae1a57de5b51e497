//! Storage behind one seam, [`Storage`]: users, sessions, nickname claims,
//! conversations, members and messages, in SQLite (embedded, the default: one server)
//! or PostgreSQL (several servers sharing one history), chosen by the database URL.
//!
//! Both keep the same schema and the same promises: a message is acknowledged only
//! once committed; sequence numbers are gapless per conversation; a client id is
//! stored once per author (the idempotency key, unique in the database); a nickname
//! belongs to one live session at a time (a unique claim in the database, so that
//! two servers signing people up at once cannot both hand it out).
//!
//! Messages, read marks and session touches are queued ([`Storage::submit`]) and
//! committed in groups by a writer task; the rarer writes and the reads are awaited.
//! None of it runs on the hub's task.

pub mod blocks;
pub mod devices;
pub mod files;
pub mod invites;
mod message_rows;
pub mod moderation;
pub mod passkeys;
mod postgres;
mod search_text;
mod sql;
mod sqlite;

use std::{ops::Deref, sync::Arc, time::Duration};

use async_trait::async_trait;

use crate::protocol::{
    AuditEntry, AuditId, Author, ChatMessage, ClientMsgId, ConversationId, InviteInfo, LinkId,
    MessageBody, MessageId, PasskeyId, Quote, ReportId, ReportInfo, Seq, UserId,
};
use devices::{Claimed, Decided, LinkClaim, LinkOffer, SessionRow};
use message_rows::{
    may_have_reactions, mentions_column, reactions, reactions_of, MessageRow, ReactionRow,
    SELECT_MESSAGE, SHOWN_KINDS,
};
use moderation::{Moderated, Moderation};
use passkeys::{NewCeremony, NewPasskey, PasskeyRow, PasskeySignIn, StoredPasskey, TakenCeremony};
pub use search_text::search_words;
use search_text::searchable;

/// What storage fails with. The hub and the server name only this, not a driver's
/// own type.
pub type Error = sqlx::Error;
pub type Result<T> = std::result::Result<T, Error>;

/// Jobs a writer holds before it refuses more (the hub then refuses the send).
const WRITE_QUEUE: usize = 16_384;

/// Most jobs a writer commits in one transaction.
pub const MAX_BATCH: usize = 256;

/// What to do once a message's group has committed (or failed).
pub type Completion = Box<dyn FnOnce(Result<Stored>) + Send>;

/// A write queued for the writer ([`Storage::submit`]).
pub enum WriteJob {
    /// Store a message with the next sequence number of its conversation.
    Message {
        conversation: ConversationId,
        author: UserRow,
        body: MessageBody,
        client_id: Option<ClientMsgId>,
        /// The message a text answers, as the server found it before queuing.
        reply_to: Option<Box<Quote>>,
        /// Members of the conversation a text or an edit mentions.
        mentions: Vec<UserId>,
        at_ms: i64,
        done: Completion,
    },
    /// Everything up to `seq` was seen by `user` (never past the newest message), at `at_ms`.
    MarkRead {
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
        at_ms: i64,
    },
    /// Record a session's last use (it, and its nickname claim, expire after the idle time).
    TouchSession { token_hash: [u8; 32], at_ms: i64 },
    /// The same for every session connected now (the device list's "last seen").
    TouchSessions {
        token_hashes: Vec<[u8; 32]>,
        at_ms: i64,
    },
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The writer is this far behind; the caller should refuse and let the client retry.
    Full,
    /// The writer has stopped (shutdown or a dead database).
    Closed,
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
    /// When members' read marks last moved (those known), for read receipts.
    pub read_at: Vec<(UserId, i64)>,
    /// A room's roles, bans and timeouts.
    pub moderation: moderation::RoomModeration,
    /// A private room (see [`invites`]).
    pub private: bool,
    /// A room's slow mode: seconds between one member's messages (0: off).
    pub slow_mode_s: u32,
}

/// What came of joining a room ([`Storage::join_room`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    /// A member now.
    New,
    /// A member already.
    Already,
    /// Banned from it: not a member.
    Banned,
    /// It is private and they were not a member: not one now (only an invite lets
    /// them in).
    Private,
}

/// A user to create, with its first session and its claim on the nickname.
pub struct NewUser {
    nickname: String,
    skeleton: String,
    avatar: String,
    token_hash: Vec<u8>,
    now_ms: i64,
    /// The browser that signs up (its `User-Agent`), for the device list.
    user_agent: String,
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
            user_agent: String::new(),
        }
    }

    /// The same, signing up from the browser of this `User-Agent`.
    pub fn on(mut self, user_agent: &str) -> Self {
        self.user_agent = devices::kept_user_agent(user_agent);
        self
    }
}

/// What a storage backend does. Both backends run the same tests (below).
#[async_trait]
pub trait Storage: Send + Sync {
    /// Queues a write without waiting; a full queue is refused at once.
    fn submit(&self, job: WriteJob) -> std::result::Result<(), QueueError>;

    /// Whether a read and a write both complete within `patience` (readiness).
    async fn responds_within(&self, patience: Duration) -> bool;

    /// Stores what the writer still holds, then closes every connection.
    async fn close(&self);

    /// Every conversation with its members: the hub's picture of who is where.
    async fn conversations(&self) -> Result<Vec<ConversationRow>>;

    /// Signs a new user up in one transaction: claims the nickname's skeleton unless
    /// someone whose session is alive (used since `alive_since_ms`) holds it, creates
    /// the user and its session, and makes it a member of `join`. `None` if taken.
    async fn sign_up(
        &self,
        new: NewUser,
        alive_since_ms: i64,
        join: Option<ConversationId>,
    ) -> Result<Option<UserRow>>;

    /// The user of a live session, touching the session (and its claim) so it stays alive.
    async fn session_user(
        &self,
        token_hash: &[u8],
        alive_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<UserRow>>;

    /// Ends a session and frees its nickname.
    async fn delete_session(&self, token_hash: &[u8]) -> Result<()>;

    async fn user(&self, id: UserId) -> Result<Option<UserRow>>;

    /// These users, in no particular order; unknown ids are left out.
    async fn users(&self, ids: &[UserId]) -> Result<Vec<UserRow>>;

    /// The room's id, creating the room if it does not exist, and whether it was created.
    async fn ensure_room(&self, name: &str, now_ms: i64) -> Result<(ConversationId, bool)>;

    /// Makes `user` a member of the room `name` unless they are banned from it,
    /// creating the room if needed (they own it then): the room, whether it was
    /// created, and what came of joining.
    async fn join_room(
        &self,
        name: &str,
        user: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool, Joining)>;

    /// The private conversation of two users (both members), creating it if needed.
    async fn ensure_direct(
        &self,
        a: UserId,
        b: UserId,
        now_ms: i64,
    ) -> Result<(ConversationId, bool)>;

    /// Adds a member who has read everything so far; false if they already were one.
    async fn add_member(
        &self,
        conversation: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Result<bool>;

    /// Removes a member; false if they were not one.
    async fn remove_member(&self, conversation: ConversationId, user: UserId) -> Result<bool>;

    /// The newest number of a conversation (`None` if there is no such conversation).
    async fn last_seq(&self, conversation: ConversationId) -> Result<Option<Seq>>;

    /// Up to `limit` messages before `before` (or the newest), oldest first, and
    /// whether older ones exist; as `reader` reads them (none by those they block).
    async fn history(
        &self,
        conversation: ConversationId,
        before: Option<Seq>,
        limit: u32,
        reader: UserId,
    ) -> Result<(Vec<ChatMessage>, bool)>;

    /// The message `author` sent under `client_id`, if it was stored.
    async fn message_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientMsgId,
    ) -> Result<Option<ChatMessage>>;

    /// The messages of a conversation with `after < seq <= up_to`, oldest first
    /// (what a resuming client, or a server that fell behind, missed).
    async fn messages_between(
        &self,
        conversation: ConversationId,
        after: Seq,
        up_to: Seq,
    ) -> Result<Vec<ChatMessage>>;

    /// Message `seq` of a conversation as it is now.
    async fn message_at(
        &self,
        conversation: ConversationId,
        seq: Seq,
    ) -> Result<Option<ChatMessage>>;

    /// Texts matching every word of `query` (see [`search_words`]) in the conversations
    /// `user` is a member of (or only in `within`), newest first, as they are now.
    async fn search(
        &self,
        user: UserId,
        query: &str,
        within: Option<ConversationId>,
        limit: u32,
    ) -> Result<Vec<ChatMessage>>;

    /// Per conversation of `user`: texts by others after their read mark (within the
    /// newest [`UNREAD_WINDOW`] numbers), and how many of them mention `user`.
    async fn unread(&self, user: UserId) -> Result<Vec<Unread>>;

    /// Stores a code offered for linking a device (only its hash), replacing the
    /// offering session's unredeemed offers.
    async fn offer_link(&self, offer: LinkOffer) -> Result<LinkId>;

    /// Withdraws a session's unredeemed offers.
    async fn withdraw_offers(&self, offered_by: [u8; 32]) -> Result<()>;

    /// Redeems a code for a new device, once: the first claim takes it.
    async fn claim_link(&self, claim: LinkClaim) -> Result<Claimed>;

    /// `user` allows (the new device's session is created) or refuses a redeemed
    /// link; `None` if it is not waiting for that (any more).
    async fn decide_link(
        &self,
        link: LinkId,
        user: UserId,
        accept: bool,
        now_ms: i64,
    ) -> Result<Option<Decided>>;

    /// The device that redeemed the link is no longer waiting.
    async fn abandon_link(&self, link: LinkId, now_ms: i64) -> Result<()>;

    /// The live sessions (used since `alive_since_ms`) of `user`, last used first.
    async fn sessions_of(&self, user: UserId, alive_since_ms: i64) -> Result<Vec<SessionRow>>;

    /// Whether `user` shares read receipts.
    async fn share_receipts(&self, user: UserId, on: bool) -> Result<()>;

    /// The users who do not share read receipts.
    async fn receipts_off(&self) -> Result<Vec<UserId>>;

    /// Keeps a passkey ceremony's state until it is taken or expires (and forgets
    /// the expired ones).
    async fn put_ceremony(&self, ceremony: NewCeremony) -> Result<()>;

    /// Takes the ceremony `id` begun by `user` (`None`: a sign-in), once, before it
    /// expires.
    async fn take_ceremony(
        &self,
        id: String,
        user: Option<UserId>,
        now_ms: i64,
    ) -> Result<Option<TakenCeremony>>;

    /// The passkeys of `user`, oldest first.
    async fn passkeys_of(&self, user: UserId) -> Result<Vec<PasskeyRow>>;

    /// Registers a passkey; false if its credential is registered already.
    async fn add_passkey(&self, passkey: NewPasskey) -> Result<bool>;

    /// Removes one of `user`'s passkeys; false if there was no such one.
    async fn remove_passkey(&self, user: UserId, passkey: PasskeyId) -> Result<bool>;

    /// The passkey of a credential id, if one is registered.
    async fn passkey_by_credential(&self, credential_id: Vec<u8>) -> Result<Option<StoredPasskey>>;

    /// A verified sign-in: the passkey's new record, a new session of its user and
    /// their nickname claim renewed. `None` if the passkey was removed meanwhile.
    async fn passkey_sign_in(&self, sign_in: PasskeySignIn) -> Result<Option<UserId>>;

    /// Carries out a moderator's action and writes it in the room's audit log, in one
    /// transaction; `None` if the target or the actor is no user.
    async fn moderate(&self, action: Moderation) -> Result<Option<Moderated>>;

    /// A page of a room's audit log before `before`, newest first, and whether
    /// there are older entries.
    async fn audit_log(
        &self,
        room: ConversationId,
        before: Option<AuditId>,
        limit: u32,
    ) -> Result<(Vec<AuditEntry>, bool)>;

    /// The instance admins.
    async fn admins(&self) -> Result<Vec<UserId>>;

    /// The instance admins with their names (for `chat admin list`).
    async fn admin_users(&self) -> Result<Vec<UserRow>>;

    /// Makes the user who holds (or last held) the nickname of skeleton `skeleton`
    /// an instance admin, or not; `None` if nobody has that name.
    async fn set_admin(&self, skeleton: &str, on: bool, now_ms: i64) -> Result<Option<UserRow>>;

    /// The user who holds (or last held) the nickname of skeleton `skeleton`.
    async fn user_by_skeleton(&self, skeleton: &str) -> Result<Option<UserRow>>;

    /// Bans `user` from the server (`by` an admin, or the operator: `None`): every
    /// session of theirs ends and their nickname is kept from anyone else; or lifts it.
    /// `None` if there is no such user.
    async fn ban_from_server(
        &self,
        user: UserId,
        by: Option<UserId>,
        on: bool,
        now_ms: i64,
    ) -> Result<Option<UserRow>>;

    /// The users banned from the server.
    async fn server_bans(&self) -> Result<Vec<UserId>>;

    /// Stores a report of a text (one not deleted): the report, or `None` if there is no
    /// such text.
    async fn report(&self, report: moderation::NewReport) -> Result<Option<ReportInfo>>;

    /// The open reports of a room (`None`: of every room), newest first.
    async fn open_reports(
        &self,
        room: Option<ConversationId>,
        limit: u32,
    ) -> Result<Vec<ReportInfo>>;

    /// The room of an open report.
    async fn report_room(&self, report: ReportId) -> Result<Option<ConversationId>>;

    /// Marks an open report handled: its room, or `None` if it is not open.
    async fn handle_report(
        &self,
        report: ReportId,
        by: UserId,
        now_ms: i64,
    ) -> Result<Option<ConversationId>>;

    /// Changes a room setting (privacy, slow mode), with its audit entry: `None` if
    /// it was so already.
    async fn set_room_setting(
        &self,
        room: ConversationId,
        actor: UserId,
        setting: invites::RoomSetting,
        now_ms: i64,
    ) -> Result<Option<AuditEntry>>;

    /// Stores an invite link with its audit entry: `None` if the room has
    /// [`INVITES_PER_ROOM`](crate::protocol::INVITES_PER_ROOM) live ones already.
    async fn create_invite(&self, invite: invites::NewInvite) -> Result<Option<AuditEntry>>;

    /// The room's live invite links at `now_ms`, newest first.
    async fn invites(&self, room: ConversationId, now_ms: i64) -> Result<Vec<InviteInfo>>;

    /// Revokes a live invite link of the room, with its audit entry: `None` if it has
    /// no such link.
    async fn revoke_invite(
        &self,
        room: ConversationId,
        code: &str,
        actor: UserId,
        now_ms: i64,
    ) -> Result<Option<AuditEntry>>;

    /// Follows an invite link: checks it, counts the use and makes the member, at once.
    async fn use_invite(&self, code: &str, user: UserId, now_ms: i64)
        -> Result<invites::InviteUse>;

    /// `blocker` blocks `blocked` (`on`), or no longer does.
    async fn set_block(
        &self,
        blocker: UserId,
        blocked: UserId,
        on: bool,
        now_ms: i64,
    ) -> Result<blocks::Blocking>;

    /// Whom `user` blocks, and who blocks them.
    async fn blocks_of(&self, user: UserId) -> Result<blocks::BlocksOf>;

    /// Records an uploaded file (its bytes are stored already): its number, or none if
    /// the uploader is not a member of the conversation.
    async fn add_file(&self, file: files::NewFile) -> Result<Option<crate::protocol::FileId>>;

    /// File `file`, if `reader` may read it (see [`files::FileRow`]).
    async fn readable_file(
        &self,
        file: crate::protocol::FileId,
        reader: UserId,
    ) -> Result<Option<files::FileRow>>;

    /// Whether `user` is a member of `conversation` now.
    async fn is_member(&self, conversation: ConversationId, user: UserId) -> Result<bool>;

    /// The bytes `user` keeps in files, and how many they uploaded since `since_ms`.
    async fn uploaded(&self, user: UserId, since_ms: i64) -> Result<files::Uploaded>;
}

/// What a member has not read of one conversation (see [`Storage::unread`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Unread {
    pub conversation_id: i64,
    pub unread: i64,
    pub mentions: i64,
}

pub use crate::protocol::UNREAD_WINDOW;

/// Handle to the storage backend; cheap to clone.
#[derive(Clone)]
pub struct Store(Arc<dyn Storage>);

impl Deref for Store {
    type Target = dyn Storage;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` or `postgresql://` is PostgreSQL; `sqlite:` or a plain path is SQLite.
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The URL with its password (if any) left out, for logs and errors.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

impl Store {
    /// Opens the database at `url` (creating it if needed), brings its schema up to
    /// date with the migrations embedded for its backend, and starts the writer.
    pub async fn open(url: &str) -> Result<Self> {
        let storage: Arc<dyn Storage> = match Backend::of(url) {
            Backend::Sqlite => Arc::new(sqlite::SqliteStore::open(url).await?),
            Backend::Postgres => Arc::new(postgres::PgStore::open(url).await?),
        };
        let store = Self(storage);
        store.ensure_room(crate::protocol::GENERAL_ROOM, 0).await?;
        Ok(store)
    }

    /// Stores one message and waits for its commit.
    pub async fn insert_message(
        &self,
        conversation: ConversationId,
        author: &UserRow,
        body: &MessageBody,
        client_id: Option<&ClientMsgId>,
        at_ms: i64,
    ) -> Result<Stored> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = WriteJob::Message {
            conversation,
            author: author.clone(),
            body: body.clone(),
            client_id: client_id.cloned(),
            reply_to: None,
            mentions: Vec::new(),
            at_ms,
            done: Box::new(move |result| {
                let _ = tx.send(result);
            }),
        };
        self.submit(job)
            .map_err(|e| Error::Protocol(format!("not queued: {e:?}")))?;
        rx.await.map_err(|_| Error::PoolClosed)?
    }

    /// Creates a user and its session, taking the nickname whoever held it.
    #[cfg(test)]
    pub async fn create_user(
        &self,
        nickname: &str,
        skeleton: &str,
        avatar: &str,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<UserRow> {
        let new = NewUser::new(nickname, skeleton, avatar, token_hash, now_ms);
        self.sign_up(new, i64::MAX, None)
            .await?
            .ok_or_else(|| Error::Protocol("nickname not taken over".into()))
    }
}

/// A user row (`SELECT id, nickname, avatar FROM users`).
#[derive(sqlx::FromRow)]
struct UserFields {
    id: i64,
    nickname: String,
    avatar: String,
}

impl From<UserFields> for UserRow {
    fn from(row: UserFields) -> Self {
        UserRow {
            id: UserId(row.id),
            nickname: row.nickname,
            avatar: row.avatar,
        }
    }
}

/// A conversation row ([`sql::SELECT_CONVERSATIONS`]).
#[derive(sqlx::FromRow)]
struct ConversationFields {
    id: i64,
    room_name: Option<String>,
    direct_key: Option<String>,
    last_seq: i64,
    private: bool,
    slow_mode_s: i64,
}

/// Puts the members (`conversation_id, user_id, read_seq, read_at`) into their
/// conversations.
fn conversation_rows(
    conversations: Vec<ConversationFields>,
    members: Vec<(i64, i64, i64, i64)>,
    mut moderation: std::collections::HashMap<ConversationId, moderation::RoomModeration>,
) -> Vec<ConversationRow> {
    let mut rows: Vec<ConversationRow> = conversations
        .into_iter()
        .map(|r| ConversationRow {
            id: ConversationId(r.id),
            room: r.room_name,
            direct: r.direct_key.as_deref().and_then(direct_pair),
            last_seq: r.last_seq as Seq,
            members: Vec::new(),
            read_at: Vec::new(),
            moderation: moderation.remove(&ConversationId(r.id)).unwrap_or_default(),
            private: r.private,
            slow_mode_s: r
                .slow_mode_s
                .clamp(0, i64::from(crate::protocol::SLOW_MODE_MAX_S))
                as u32,
        })
        .collect();
    let index: std::collections::HashMap<ConversationId, usize> =
        rows.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    for (conversation, user, read, read_at) in members {
        if let Some(&i) = index.get(&ConversationId(conversation)) {
            rows[i].members.push((UserId(user), read as Seq));
            if read_at > 0 {
                rows[i].read_at.push((UserId(user), read_at));
            }
        }
    }
    rows
}

/// The key of two users' private conversation, `"<lower id>:<higher id>"`, and the pair.
fn direct_key(a: UserId, b: UserId) -> (String, [UserId; 2]) {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    (format!("{lo}:{hi}"), [lo, hi])
}

/// The two users of a private conversation's key.
fn direct_pair(key: &str) -> Option<[UserId; 2]> {
    let (a, b) = key.split_once(':')?;
    Some([UserId(a.parse().ok()?), UserId(b.parse().ok()?)])
}

/// The columns a message is stored in: kind, body, target (see the migrations).
struct Columns<'a> {
    kind: &'static str,
    body: std::borrow::Cow<'a, str>,
    target: Option<i64>,
}

/// A message of a writer's group, waiting for its number.
struct NewMessage {
    conversation: ConversationId,
    author: UserRow,
    body: MessageBody,
    client_id: Option<ClientMsgId>,
    reply_to: Option<Box<Quote>>,
    mentions: Vec<UserId>,
    at_ms: i64,
}

impl NewMessage {
    /// The message as stored under `id` and `seq`.
    fn stored_as(&self, id: MessageId, seq: Seq) -> ChatMessage {
        let mut message = ChatMessage::new(
            id,
            self.conversation,
            seq,
            Author {
                id: self.author.id,
                nickname: self.author.nickname.clone(),
                avatar: self.author.avatar.clone(),
            },
            self.at_ms,
            self.body.clone(),
            self.client_id.clone(),
        );
        message.reply_to = self.reply_to.clone();
        message.mentions = self.mentions.clone();
        message
    }

    fn columns(&self) -> Columns<'_> {
        let (kind, body, target) = match &self.body {
            MessageBody::Text { text } => ("text", text.as_str().into(), None),
            MessageBody::Joined => ("joined", "".into(), None),
            MessageBody::Left => ("left", "".into(), None),
            MessageBody::Kicked => ("kicked", "".into(), None),
            MessageBody::Banned => ("banned", "".into(), None),
            MessageBody::Edited { target, text } => ("edited", text.as_str().into(), Some(target)),
            MessageBody::Deleted { target } => ("deleted", "".into(), Some(target)),
            MessageBody::Removed { target } => ("removed", "".into(), Some(target)),
            MessageBody::Reacted { target, emoji, on } => (
                "reacted",
                format!("{}{emoji}", if *on { '+' } else { '-' }).into(),
                Some(target),
            ),
        };
        let target = target
            .map(|t| *t as i64)
            .or(self.reply_to.as_ref().map(|q| q.seq as i64));
        Columns { kind, body, target }
    }

    /// The mentions column of this message.
    fn mentions(&self) -> String {
        mentions_column(&self.mentions)
    }
}

/// A job of a writer's group: a message (with its completion), or another write.
enum Part<J> {
    Message(NewMessage, Completion),
    Other(J),
}

impl<J> Part<J> {
    fn map_other<K>(self, f: impl FnOnce(J) -> K) -> Part<K> {
        match self {
            Part::Message(m, done) => Part::Message(m, done),
            Part::Other(j) => Part::Other(f(j)),
        }
    }
}

/// Splits a writer's group into its messages (in queue order, with their completions)
/// and the other jobs.
fn split_group<J>(
    group: Vec<J>,
    part: impl Fn(J) -> Part<J>,
) -> (Vec<NewMessage>, Vec<Completion>, Vec<J>) {
    let (mut messages, mut completions, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for job in group {
        match part(job) {
            Part::Message(m, done) => {
                messages.push(m);
                completions.push(done);
            }
            Part::Other(other) => others.push(other),
        }
    }
    (messages, completions, others)
}

impl WriteJob {
    /// A message's fields and completion, or the job as it was.
    fn part(self) -> Part<Self> {
        match self {
            WriteJob::Message {
                conversation,
                author,
                body,
                client_id,
                reply_to,
                mentions,
                at_ms,
                done,
            } => Part::Message(
                NewMessage {
                    conversation,
                    author,
                    body,
                    client_id,
                    reply_to,
                    mentions,
                    at_ms,
                },
                done,
            ),
            other => Part::Other(other),
        }
    }
}

/// Waits for a writer's next group: what is queued, up to [`MAX_BATCH`] jobs; 0 once
/// the queue is closed and empty. A stop closes the queue: what is queued is still
/// taken (and stored), nothing new is.
async fn next_group<J>(
    rx: &mut tokio::sync::mpsc::Receiver<J>,
    stop: &tokio::sync::Notify,
    jobs: &mut Vec<J>,
) -> usize {
    loop {
        tokio::select! {
            received = rx.recv_many(jobs, MAX_BATCH) => return received,
            _ = stop.notified() => rx.close(),
        }
    }
}

/// What a job of a group that failed to commit is answered with.
fn not_stored(e: &Error) -> Error {
    Error::Protocol(format!("not stored: {e}"))
}

#[cfg(test)]
mod tests;
