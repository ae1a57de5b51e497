//! Wire types of the WebSocket protocol, shared by the server and the WASM client,
//! and the validation rules both sides apply (the server is the one that enforces them).
//!
//! Every frame is one JSON object with a `"type"` tag. `docs/PROTOCOL.md` shows an
//! example of each message; a test parses those examples against these types.

use serde::{Deserialize, Serialize};

mod changes;
mod devices;
mod errors;
mod files;
mod invites;
mod moderation;
mod passkeys;
mod records;
mod rules;

pub use changes::Draft;
pub use devices::*;
pub use errors::*;
pub use files::*;
pub use invites::*;
pub use moderation::*;
pub use passkeys::*;
pub use records::*;
pub use rules::*;

/// Version of this protocol, sent in [`ServerMsg::Welcome`]; bumped on breaking changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Path of the WebSocket endpoint on the server.
pub const WS_PATH: &str = "/ws";

/// The room every user is in.
pub const GENERAL_ROOM: &str = "general";

/// Messages per history page.
pub const HISTORY_PAGE: u32 = 50;

/// Most messages one `history` with `from` returns: how far back a jump to a quoted
/// message or a search result may load at once.
pub const HISTORY_SPAN: u32 = 500;

/// Most members one `members` answer lists.
pub const MEMBERS_LISTED: usize = 500;

/// Most results of one `search`.
pub const SEARCH_RESULTS: u32 = 50;

/// The emoji a message can be reacted to with.
pub const REACTIONS: &[&str] = &["👍", "❤️", "😂", "🎉", "😮", "😢"];

/// Most users one message mentions.
pub const MAX_MENTIONS: usize = 20;
/// How many people one user may block.
pub const MAX_BLOCKS: usize = 1000;

/// Characters of the original that a reply quotes.
pub const QUOTE_CHARS: usize = 120;

/// Longest search query, in characters.
pub const QUERY_MAX_CHARS: usize = 100;

/// Most rooms listed in `ready` besides the user's own: the largest ones.
pub const ROOMS_PAGE: usize = 100;

/// Most users online listed in `ready`; past it, presence is told only to those who
/// share a room or a private conversation (other than `general`) with the user.
pub const PEOPLE_PAGE: usize = 100;

/// Most users or rooms in one frame of the snapshot (`ready`, then `people` and
/// `rooms`): a socket's write buffer keeps the size of the largest frame it sent, so
/// no frame of an idle connection's life is large.
pub const SNAPSHOT_CHUNK: usize = 32;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user, assigned by the server. Never a nickname: a nickname can pass to
    /// someone else once its session has expired, the id never does.
    UserId
);
id_type!(
    /// A room or a private conversation, assigned by the server.
    ConversationId
);
id_type!(
    /// A stored message; increases with every message the server stores.
    MessageId
);

/// Position of a message within its conversation: 1, 2, 3… with no gaps.
pub type Seq = u64;

/// Idempotency key a client gives each message it sends; unique per user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientMsgId(pub String);

/// Messages a client sends to the server. Unknown fields are ignored (so a client's
/// claim of who it is never reaches the server's logic); unknown types are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Application-level liveness probe; the server answers with [`ServerMsg::Pong`].
    Ping { nonce: u64 },
    /// Start a new session under a nickname with an avatar from [`AVATARS`].
    Login { nickname: String, avatar: String },
    /// Continue the session of a token received in an earlier [`ServerMsg::Ready`].
    /// `cursors` name the last message the client has of each conversation; the
    /// server replays what came after ([`ServerMsg::Replay`]) before anything new.
    Resume {
        token: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cursors: Vec<Cursor>,
    },
    /// End the session: every connection of it is closed, the nickname is free again.
    Logout,
    /// Post a text message to a conversation the user is a member of, perhaps in
    /// reply to one of its messages, perhaps mentioning some of its members.
    Send {
        conversation: ConversationId,
        client_id: ClientMsgId,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Seq>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<UserId>,
    },
    /// Change the text of one of the user's own messages (message `seq`).
    Edit {
        conversation: ConversationId,
        client_id: ClientMsgId,
        seq: Seq,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<UserId>,
    },
    /// Delete one of the user's own messages ("message deleted" stays in its place),
    /// or, by a moderator, anyone's ("removed by a moderator").
    Delete {
        conversation: ConversationId,
        client_id: ClientMsgId,
        seq: Seq,
    },
    /// Add (`on`) or take back the user's reaction `emoji` (one of [`REACTIONS`]).
    React {
        conversation: ConversationId,
        client_id: ClientMsgId,
        seq: Seq,
        emoji: String,
        on: bool,
    },
    /// Join a room, creating it if it does not exist.
    JoinRoom { name: String },
    /// Leave a room (not `general`).
    LeaveRoom { conversation: ConversationId },
    /// Open (or find) the private conversation with another user.
    OpenDirect { user: UserId },
    /// Ask for the page of messages before `before` (the newest page if absent); with
    /// `from`, every message back to that one too (at most [`HISTORY_SPAN`]), so that
    /// a quoted message or a search result can be shown in its place.
    History {
        conversation: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Seq>,
    },
    /// Full-text search of the user's conversations (or one of them), newest first.
    Search {
        query: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<ConversationId>,
    },
    /// Who is in a conversation (for `@` completion), answered with `members`.
    Members { conversation: ConversationId },
    /// The user is typing in a conversation; repeat at most every few seconds.
    Typing { conversation: ConversationId },
    /// Everything up to `seq` in the conversation has been seen.
    MarkRead {
        conversation: ConversationId,
        seq: Seq,
    },
    /// A signed-in device offers a one-time code for a new device of the same user
    /// (answered with `link_code`); `origin` (the page's, `https://host`) makes the
    /// QR code of the link that carries it. A new offer replaces this session's last.
    LinkStart {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    /// A device without a session redeems a code shown on a signed-in one; it waits
    /// (`link_waiting`) until that one confirms, then gets its own session (`ready`).
    LinkRedeem { code: String },
    /// The signed-in device allows (or refuses) the device that redeemed its code.
    LinkConfirm { link: LinkId, accept: bool },
    /// The signed-in device withdraws its code offer (its dialog was closed).
    LinkCancel,
    /// The user's sessions (devices), answered with `devices`.
    Devices,
    /// Ends one of the user's sessions: its tabs close at once, on every server.
    EndSession { device: DeviceId },
    /// Ends every session of the user's but this one.
    EndOtherSessions,
    /// Whether others see how far this user has read (and this user, theirs); the
    /// user's own devices agree on it either way. On unless turned off.
    ShareReceipts { on: bool },
    /// A signed-in user begins adding a passkey named `name` (empty: after the
    /// device); answered with `passkey_creation`.
    PasskeyAddStart {
        #[serde(default)]
        name: String,
    },
    /// The browser's new credential (`PublicKeyCredential.toJSON()`) for the ceremony
    /// of `passkey_creation`; answered with `passkeys`.
    PasskeyAdd {
        ceremony: CeremonyId,
        credential: serde_json::Value,
    },
    /// The user's passkeys, answered with `passkeys`.
    Passkeys,
    /// Removes one of the user's passkeys; answered with `passkeys`.
    PasskeyRemove { passkey: PasskeyId },
    /// A connection without a session begins signing in with a passkey; answered with
    /// `passkey_request`.
    PasskeySignInStart,
    /// The owner (or an admin) makes a member a moderator or a member again; with
    /// `owner`, hands the room over (the old owner becomes a moderator).
    SetRole {
        conversation: ConversationId,
        user: UserId,
        role: Role,
    },
    /// A moderator removes a member from a room; they may join again.
    Kick {
        conversation: ConversationId,
        user: UserId,
    },
    /// A moderator removes a user from a room for good, and their texts of the last
    /// `remove_last_s` seconds (at most [`BAN_REMOVE_MAX_S`]; 0: none).
    Ban {
        conversation: ConversationId,
        user: UserId,
        #[serde(default, skip_serializing_if = "is_zero")]
        remove_last_s: u32,
    },
    /// A moderator lets a banned user join again.
    Unban {
        conversation: ConversationId,
        user: UserId,
    },
    /// A moderator keeps a member from writing (sending, replying, editing, reacting,
    /// typing) for `seconds` (at most [`TIMEOUT_MAX_S`]; 0 lifts it).
    Timeout {
        conversation: ConversationId,
        user: UserId,
        seconds: u32,
    },
    /// Reports message `seq` of a conversation to its moderators and the instance
    /// admins, with a reason (up to [`REPORT_REASON_MAX_CHARS`]); answered with
    /// `reported`.
    Report {
        conversation: ConversationId,
        seq: Seq,
        #[serde(default)]
        reason: String,
    },
    /// The open reports of a room (for its moderators), or of every room (`None`, for
    /// an instance admin); answered with `reports`.
    Reports {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<ConversationId>,
    },
    /// A moderator of the report's room (or an admin) marks it handled.
    HandleReport { report: ReportId },
    /// An instance admin bans a user from the server: every session of theirs ends, on
    /// every server, and their nickname is kept from anyone else.
    BanFromServer { user: UserId },
    /// The owner (or an admin) makes the room private (unlisted, joined only with an
    /// invite) or public again; not `general`.
    SetPrivate {
        conversation: ConversationId,
        private: bool,
    },
    /// A moderator puts the room in slow mode: each member waits `seconds` (at most
    /// [`SLOW_MODE_MAX_S`]; 0: off) between their messages; moderators do not.
    SetSlowMode {
        conversation: ConversationId,
        seconds: u32,
    },
    /// A moderator makes an invite link to the room, good for `expires_in_s` seconds
    /// (at most [`INVITE_MAX_S`]; 0: no expiry) and `max_uses` joins (at most
    /// [`INVITE_MAX_USES`]; 0: no limit); answered with `invites`.
    CreateInvite {
        conversation: ConversationId,
        #[serde(default)]
        expires_in_s: u32,
        #[serde(default)]
        max_uses: u32,
    },
    /// The room's live invite links (for its moderators), answered with `invites`.
    Invites { conversation: ConversationId },
    /// A moderator revokes an invite link; answered with `invites`.
    RevokeInvite {
        conversation: ConversationId,
        code: String,
    },
    /// Joins the room of an invite link (private or not); answered with
    /// `invite_accepted` (and `joined`, for a new member).
    JoinInvite { code: String },
    /// The user blocks a person (at most [`MAX_BLOCKS`]): nothing of theirs reaches the
    /// user any more, nor any private message between them; they are not told.
    /// Answered with `blocked`, to every tab of the user.
    Block { user: UserId },
    /// The user no longer blocks a person; answered with `blocked`.
    Unblock { user: UserId },
    /// The room's audit log, newest first, before the entry `before`; for its
    /// moderators and owner.
    AuditLog {
        conversation: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<AuditId>,
    },
    /// The browser's assertion (`PublicKeyCredential.toJSON()`) for the ceremony of
    /// `passkey_request`; answered with `ready` (a new session of the passkey's user).
    PasskeySignIn {
        ceremony: CeremonyId,
        credential: serde_json::Value,
    },
}

/// Messages the server sends to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First message on every connection: the link is up once the client has read it.
    Welcome {
        protocol: u32,
        /// How often the client should send [`ClientMsg::Ping`], in milliseconds.
        ping_interval_ms: u64,
        /// Server clock (Unix milliseconds), so clients can tell their own skew.
        server_time_ms: i64,
        /// The one origin passkeys work at (`http://localhost:3000`), if the server
        /// has them: a page at another address offers a link there instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passkey_origin: Option<String>,
    },
    /// Answer to [`ClientMsg::Ping`].
    Pong { nonce: u64 },
    /// The session is established (after `login` or `resume`): who you are and what there is.
    Ready {
        me: UserInfo,
        /// The session's secret, sent only in answer to `login`; keep it to `resume`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// Conversations the user is a member of.
        conversations: Vec<ConversationInfo>,
        /// The first [`SNAPSHOT_CHUNK`] of the user's rooms and up to [`ROOMS_PAGE`]
        /// others (the largest), with their member counts; the rest follow at once in
        /// [`ServerMsg::Rooms`]. Any other room can still be joined by its name.
        rooms: Vec<RoomInfo>,
        /// The first [`SNAPSHOT_CHUNK`] of the peers of the user's private conversations
        /// and up to [`PEOPLE_PAGE`] users online (by nickname); the rest follow at once
        /// in [`ServerMsg::People`].
        users: Vec<UserInfo>,
        /// How many users are online in all (`users` may list fewer).
        #[serde(default)]
        online_count: u32,
        /// Whether this user shares read receipts ([`ClientMsg::ShareReceipts`]).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        share_receipts: bool,
        /// The user is an instance admin: a moderator of every room, above its owner.
        #[serde(default, skip_serializing_if = "is_false")]
        admin: bool,
        /// Everyone the user blocks (see [`ServerMsg::Blocked`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        blocked: Vec<UserInfo>,
    },
    /// How many users are online changed (told a few times a second at most).
    Online { count: u32 },
    /// A new message in one of the user's conversations (own messages included).
    Message { message: ChatMessage },
    /// The sender's message (or edit, deletion, reaction) was stored.
    Ack {
        client_id: ClientMsgId,
        id: MessageId,
        conversation: ConversationId,
        seq: Seq,
        sent_at_ms: i64,
    },
    /// Messages of a conversation after the client's cursor, oldest first: the answer
    /// to `resume`, sent right after `ready` and before any live message. A long gap
    /// comes in several of these, in order.
    Replay {
        conversation: ConversationId,
        messages: Vec<ChatMessage>,
    },
    /// The gap after the client's cursor is too long to replay (or the cursor is
    /// ahead of the server): drop what is shown of this conversation and load its
    /// newest page with `history`.
    Reload { conversation: ConversationId },
    /// A page of a conversation's messages, oldest first.
    History {
        conversation: ConversationId,
        messages: Vec<ChatMessage>,
        /// There are older messages than the first of this page.
        has_more: bool,
    },
    /// The user is now a member of this conversation (joined a room, opened or received a private one).
    Joined { conversation: ConversationInfo },
    /// The user is no longer a member of this conversation: they left, or were
    /// `removed` by a moderator.
    Left {
        conversation: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        removed: Option<Removal>,
    },
    /// Who moderates a room changed (told to its members).
    Staff {
        conversation: ConversationId,
        #[serde(flatten)]
        staff: Staff,
    },
    /// The room's slow mode changed (told to its members): `seconds` between one
    /// member's messages, 0 when off.
    SlowMode {
        conversation: ConversationId,
        seconds: u32,
    },
    /// The user may not write to the room until `until_ms` (0: they may again).
    TimedOut {
        conversation: ConversationId,
        until_ms: i64,
    },
    /// The answer to `audit_log`: entries newest first, and whether older ones exist.
    AuditLog {
        conversation: ConversationId,
        entries: Vec<AuditEntry>,
        has_more: bool,
    },
    /// The answer to `report`: the moderators were told.
    Reported {
        conversation: ConversationId,
        seq: Seq,
    },
    /// The answer to `reports`: open reports, newest first.
    Reports {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<ConversationId>,
        reports: Vec<ReportInfo>,
    },
    /// A new report, to the room's moderators and the instance admins online.
    ReportFiled { report: ReportInfo },
    /// The operator made the user an instance admin (`true`) or took it back: told to
    /// their tabs at once, so that what an admin may do shows without a reload.
    InstanceAdmin { admin: bool },
    /// A report was marked handled (by this user or another moderator).
    ReportHandled {
        conversation: ConversationId,
        report: ReportId,
    },
    /// The room is private now (told to everyone: whoever had it listed drops it) or
    /// public again (told to its members).
    Privacy {
        conversation: ConversationId,
        private: bool,
    },
    /// The room's live invite links (to a moderator who asked, made or revoked one).
    Invites {
        conversation: ConversationId,
        invites: Vec<InviteInfo>,
    },
    /// The user followed an invite link and is a member of this room (`joined` told
    /// the rest).
    InviteAccepted {
        conversation: ConversationId,
        name: String,
    },
    /// Everyone the user blocks, to every tab of the user when it changes (`ready`
    /// lists them too). Their messages, reactions and typing are not sent to the user
    /// (live, in replay, history, search or unread counts).
    Blocked { users: Vec<UserInfo> },
    /// A new entry of the audit log of a room, to its moderators and owner.
    Audited {
        conversation: ConversationId,
        entry: AuditEntry,
    },
    /// Rooms created or whose member count changed (several changes, told at once): the
    /// [`ROOMS_PAGE`] largest to everyone, others to their members.
    Rooms { rooms: Vec<RoomInfo> },
    /// More of the users of the snapshot that `ready` began (added to those known).
    People { users: Vec<UserInfo> },
    /// A user came online, went offline, or is newly known to this client.
    Presence { user: UserInfo },
    /// Someone is typing; show it for 5 s unless repeated.
    Typing {
        conversation: ConversationId,
        user: UserId,
    },
    /// The answer to `search`: matching messages, newest first, as they are now.
    SearchResults {
        query: String,
        messages: Vec<ChatMessage>,
    },
    /// The answer to `members`: the conversation's members, at most [`MEMBERS_LISTED`]
    /// (the longest-standing users first), and how many more there are.
    Members {
        conversation: ConversationId,
        users: Vec<Author>,
        #[serde(default, skip_serializing_if = "is_zero")]
        more: u32,
    },
    /// The answer to `link_start`: a code (and a QR code of the link that carries
    /// it, if an origin was given), valid until `expires_at_ms` and once.
    LinkCode {
        code: String,
        expires_at_ms: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qr: Option<QrCode>,
    },
    /// The answer to `link_redeem`: the code is good; the device that showed it must
    /// now allow this one (before `expires_at_ms`). `ready` follows if it does.
    LinkWaiting {
        nickname: String,
        avatar: String,
        expires_at_ms: i64,
    },
    /// To the device that offered a code: this device redeemed it; allow it or not.
    LinkRequest { link: LinkId, device: DeviceInfo },
    /// A link was decided (here or in another tab): its dialog can close.
    LinkDone { link: LinkId, accepted: bool },
    /// The user's sessions, the one that asked marked `current`.
    Devices { devices: Vec<Device> },
    /// How far members have read a conversation (several marks, told at once): those
    /// of others in a private conversation or a room of up to
    /// [`RECEIPTS_MAX_MEMBERS`] who share them, and the user's own from other tabs.
    Read {
        conversation: ConversationId,
        reads: Vec<ReadMark>,
    },
    /// In a room of more than [`RECEIPTS_MAX_MEMBERS`]: how many other members (of
    /// those who share receipts) have read up to the user's newest text, `seq`. Told
    /// to its author only, at most about once a second, when the count moved.
    ReadCount {
        conversation: ConversationId,
        seq: Seq,
        count: u32,
    },
    /// The user's choice of sharing read receipts (made in this tab or another).
    ReceiptsShared { on: bool },
    /// The answer to `passkey_add_start`: `options` for the browser's
    /// `PublicKeyCredential.parseCreationOptionsFromJSON`, good once and for minutes.
    PasskeyCreation {
        ceremony: CeremonyId,
        options: serde_json::Value,
    },
    /// The answer to `passkey_sign_in_start`: `options` for
    /// `PublicKeyCredential.parseRequestOptionsFromJSON` (no credentials named: the
    /// browser offers the passkeys it holds for this site).
    PasskeyRequest {
        ceremony: CeremonyId,
        options: serde_json::Value,
    },
    /// The user's passkeys (after `passkeys`, an addition or a removal).
    Passkeys { passkeys: Vec<PasskeyInfo> },
    /// A request could not be carried out; the connection stays open.
    Error {
        code: ErrorCode,
        message: String,
        /// For `rate_limited`: when sending is allowed again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
        /// For a refused `send`: the client id of the message that was not stored.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<ClientMsgId>,
    },
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

impl ClientMsg {
    /// The idempotency key of a request the server acknowledges with `ack` (send,
    /// edit, delete, react): its refusal names it too.
    pub fn client_id(&self) -> Option<&ClientMsgId> {
        match self {
            ClientMsg::Send { client_id, .. }
            | ClientMsg::Edit { client_id, .. }
            | ClientMsg::Delete { client_id, .. }
            | ClientMsg::React { client_id, .. } => Some(client_id),
            _ => None,
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising these plain data types cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ServerMsg {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMsg::Error {
            code,
            message: message.into(),
            retry_after_ms: None,
            client_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip() {
        let msg = ClientMsg::Ping { nonce: 42 };
        let json = msg.to_json();
        assert_eq!(json, r#"{"type":"ping","nonce":42}"#);
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), msg);
        let send = ClientMsg::Send {
            conversation: ConversationId(3),
            client_id: ClientMsgId("c-1".into()),
            text: "hi".into(),
            reply_to: Some(2),
            mentions: vec![UserId(4)],
        };
        assert_eq!(
            serde_json::from_str::<ClientMsg>(&send.to_json()).unwrap(),
            send
        );
        let history: ClientMsg =
            serde_json::from_str(r#"{"type":"history","conversation":3}"#).unwrap();
        assert_eq!(
            history,
            ClientMsg::History {
                conversation: ConversationId(3),
                before: None,
                from: None,
            }
        );
    }

    #[test]
    fn server_messages_round_trip() {
        let author = Author {
            id: UserId(1),
            nickname: "Ann".into(),
            avatar: "fox".into(),
        };
        for msg in [
            ServerMsg::Welcome {
                protocol: PROTOCOL_VERSION,
                ping_interval_ms: 20_000,
                server_time_ms: 1,
                passkey_origin: Some("http://localhost:3000".into()),
            },
            ServerMsg::Pong { nonce: 7 },
            ServerMsg::error(ErrorCode::MalformedMessage, "bad"),
            ServerMsg::Message {
                message: ChatMessage::new(
                    MessageId(9),
                    ConversationId(1),
                    4,
                    author.clone(),
                    5,
                    MessageBody::Text {
                        text: "hello".into(),
                    },
                    Some(ClientMsgId("x".into())),
                ),
            },
            ServerMsg::Joined {
                conversation: ConversationInfo {
                    id: ConversationId(2),
                    kind: ConversationKind::Direct {
                        users: [UserId(1), UserId(2)],
                    },
                    last_seq: 0,
                    read_seq: 0,
                    unread: 0,
                    mentions: 0,
                    reads: vec![],
                    read_count: None,
                    staff: Staff::default(),
                    timed_out_until_ms: None,
                    slow_mode_s: 0,
                },
            },
        ] {
            let back: ServerMsg = serde_json::from_str(&msg.to_json()).unwrap();
            assert_eq!(back, msg);
        }
    }

    #[test]
    fn unknown_types_are_rejected_and_unknown_fields_dropped() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"nuke"}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"nonce":1}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>("not json").is_err());
        let spoofed: ClientMsg = serde_json::from_str(
            r#"{"type":"send","conversation":1,"client_id":"a","text":"t","author":{"id":2}}"#,
        )
        .unwrap();
        assert!(matches!(spoofed, ClientMsg::Send { .. }));
    }
}
