//! Wire types of the WebSocket protocol, shared by the server and the WASM client,
//! and the validation rules both sides apply (the server is the one that enforces them).
//!
//! Every frame is one JSON object with a `"type"` tag. `docs/PROTOCOL.md` shows an
//! example of each message; a test parses those examples against these types.

use serde::{Deserialize, Serialize};

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

/// Most results of one `search`.
pub const SEARCH_RESULTS: u32 = 50;

/// The emoji a message can be reacted to with.
pub const REACTIONS: &[&str] = &["👍", "❤️", "😂", "🎉", "😮", "😢"];

/// Most users one message mentions.
pub const MAX_MENTIONS: usize = 20;

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
    /// Delete one of the user's own messages; "message deleted" stays in its place.
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
    /// The user is typing in a conversation; repeat at most every few seconds.
    Typing { conversation: ConversationId },
    /// Everything up to `seq` in the conversation has been seen.
    MarkRead {
        conversation: ConversationId,
        seq: Seq,
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
    /// The user is no longer a member of this conversation.
    Left { conversation: ConversationId },
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

/// The newest message a client has of one conversation (see [`ClientMsg::Resume`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub conversation: ConversationId,
    pub seq: Seq,
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub nickname: String,
    pub avatar: String,
    pub online: bool,
}

/// A conversation the user is a member of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationInfo {
    pub id: ConversationId,
    #[serde(flatten)]
    pub kind: ConversationKind,
    /// Sequence number of the newest message.
    pub last_seq: Seq,
    /// Sequence number of the newest message this user has read.
    pub read_seq: Seq,
    /// Messages by others after `read_seq` up to `last_seq` that count as unread (not
    /// join/leave lines, edits, deletions or reactions), counted over the newest
    /// [`UNREAD_WINDOW`] numbers at most.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unread: u32,
    /// How many of those mention this user.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mentions: u32,
}

/// How far back from the newest message unread messages are counted.
pub const UNREAD_WINDOW: Seq = 1000;

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConversationKind {
    Room {
        name: String,
        member_count: u32,
    },
    /// A private conversation between exactly two users (ascending ids).
    Direct {
        users: [UserId; 2],
    },
}

/// A room in the room list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub id: ConversationId,
    pub name: String,
    pub member_count: u32,
}

/// A stored message. The author, time, id and sequence number are the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub author: Author,
    pub sent_at_ms: i64,
    #[serde(flatten)]
    pub body: MessageBody,
    /// The sender's idempotency key (text messages and changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMsgId>,
    /// The message this one answers (text messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Box<Quote>>,
    /// Members of the conversation this message mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// When the text was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at_ms: Option<i64>,
    /// Deleted by its author: no text, no reactions; "message deleted" in its place.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Number of the newest change (edit, deletion, reaction) this state includes: a
    /// change numbered at or below it is already in, and is not applied again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: Seq,
}

impl ChatMessage {
    /// A new message as it is first stored: no reply, mention or change yet.
    pub fn new(
        id: MessageId,
        conversation: ConversationId,
        seq: Seq,
        author: Author,
        sent_at_ms: i64,
        body: MessageBody,
        client_id: Option<ClientMsgId>,
    ) -> Self {
        Self {
            id,
            conversation,
            seq,
            author,
            sent_at_ms,
            body,
            client_id,
            reply_to: None,
            mentions: Vec::new(),
            edited_at_ms: None,
            deleted: false,
            reactions: Vec::new(),
            revision: 0,
        }
    }

    /// The message a change (edit, deletion, reaction) applies to.
    pub fn target(&self) -> Option<Seq> {
        match self.body {
            MessageBody::Edited { target, .. }
            | MessageBody::Deleted { target }
            | MessageBody::Reacted { target, .. } => Some(target),
            MessageBody::Text { .. } | MessageBody::Joined | MessageBody::Left => None,
        }
    }

    /// Whether it counts as unread for a member who is not its author: text, not a
    /// join/leave line or a change.
    pub fn counts_as_unread(&self) -> bool {
        matches!(self.body, MessageBody::Text { .. }) && !self.deleted
    }

    /// Applies `change` (a message whose [`target`](Self::target) is this one) unless
    /// this state already includes it; the same rules on the server and in browsers,
    /// so every reader ends with the same message. Returns whether anything changed.
    pub fn apply(&mut self, change: &ChatMessage) -> bool {
        if change.target() != Some(self.seq)
            || change.conversation != self.conversation
            || change.seq <= self.revision
            || self.deleted
            || !matches!(self.body, MessageBody::Text { .. })
        {
            return false;
        }
        match &change.body {
            MessageBody::Edited { text, .. } => {
                if change.author.id != self.author.id {
                    return false;
                }
                self.body = MessageBody::Text { text: text.clone() };
                self.mentions = change.mentions.clone();
                self.edited_at_ms = Some(change.sent_at_ms);
            }
            MessageBody::Deleted { .. } => {
                if change.author.id != self.author.id {
                    return false;
                }
                self.body = MessageBody::Text {
                    text: String::new(),
                };
                self.mentions.clear();
                self.reactions.clear();
                self.deleted = true;
            }
            MessageBody::Reacted { emoji, on, .. } => {
                let reactor = Reactor {
                    id: change.author.id,
                    nickname: change.author.nickname.clone(),
                };
                let at = self.reactions.iter().position(|r| r.emoji == *emoji);
                match (at, on) {
                    (Some(i), true) => {
                        if !self.reactions[i].users.iter().any(|u| u.id == reactor.id) {
                            self.reactions[i].users.push(reactor);
                        }
                    }
                    (None, true) => self.reactions.push(Reaction {
                        emoji: emoji.clone(),
                        users: vec![reactor],
                    }),
                    (Some(i), false) => {
                        self.reactions[i].users.retain(|u| u.id != reactor.id);
                        if self.reactions[i].users.is_empty() {
                            self.reactions.remove(i);
                        }
                    }
                    (None, false) => {}
                }
            }
            MessageBody::Text { .. } | MessageBody::Joined | MessageBody::Left => return false,
        }
        self.revision = change.seq;
        true
    }
}

/// What a reply shows of the message it answers (as it is now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub seq: Seq,
    pub author: UserId,
    pub nickname: String,
    /// The first [`QUOTE_CHARS`] characters of its text (empty once deleted).
    pub snippet: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// One emoji on a message and who put it there, in the order they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<Reactor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reactor {
    pub id: UserId,
    pub nickname: String,
}

/// Who wrote a message, as they were when they wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: UserId,
    pub nickname: String,
    pub avatar: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageBody {
    Text {
        text: String,
    },
    /// System line: the author joined the room.
    Joined,
    /// System line: the author left the room.
    Left,
    /// A change: the author's message `target` now reads `text`.
    Edited {
        target: Seq,
        text: String,
    },
    /// A change: the author deleted their message `target`.
    Deleted {
        target: Seq,
    },
    /// A change: the author added (`on`) or took back their `emoji` on message `target`.
    Reacted {
        target: Seq,
        emoji: String,
        on: bool,
    },
}

/// Machine-readable reason of a [`ServerMsg::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON, or not a known client message.
    MalformedMessage,
    /// Binary frames are not part of the protocol.
    UnsupportedFrame,
    /// Log in or resume first.
    NotLoggedIn,
    /// This connection already has a session.
    AlreadyLoggedIn,
    InvalidNickname,
    /// Someone with an active session uses this nickname or one that looks the same.
    NicknameTaken,
    InvalidAvatar,
    InvalidRoomName,
    InvalidText,
    InvalidClientId,
    /// The session token is unknown or expired: log in again.
    SessionInvalid,
    NoSuchConversation,
    NoSuchUser,
    NotAMember,
    /// No message with this number in this conversation (or not one that can be
    /// answered, changed or reacted to: a join line, a deleted message).
    NoSuchMessage,
    /// Only the author of a message can edit or delete it.
    NotYourMessage,
    /// Not one of [`REACTIONS`].
    InvalidReaction,
    /// A search query must have a word in it, and at most [`QUERY_MAX_CHARS`] characters.
    InvalidQuery,
    /// `general` cannot be left.
    CannotLeave,
    /// Too many messages; see `retry_after_ms`.
    RateLimited,
    /// The server failed; the request may be retried.
    Internal,
}

impl ErrorCode {
    /// The code as it is on the wire (`rate_limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedMessage => "malformed_message",
            Self::UnsupportedFrame => "unsupported_frame",
            Self::NotLoggedIn => "not_logged_in",
            Self::AlreadyLoggedIn => "already_logged_in",
            Self::InvalidNickname => "invalid_nickname",
            Self::NicknameTaken => "nickname_taken",
            Self::InvalidAvatar => "invalid_avatar",
            Self::InvalidRoomName => "invalid_room_name",
            Self::InvalidText => "invalid_text",
            Self::InvalidClientId => "invalid_client_id",
            Self::SessionInvalid => "session_invalid",
            Self::NoSuchConversation => "no_such_conversation",
            Self::NoSuchUser => "no_such_user",
            Self::NotAMember => "not_a_member",
            Self::NoSuchMessage => "no_such_message",
            Self::NotYourMessage => "not_your_message",
            Self::InvalidReaction => "invalid_reaction",
            Self::InvalidQuery => "invalid_query",
            Self::CannotLeave => "cannot_leave",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }
}

/// WebSocket close codes the server uses, and what a client should do on each.
pub mod close_code {
    /// Server shutting down: reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket framing rules (RFC 6455).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was not UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Repeated abuse (malformed frames, floods): show the reason, then retry.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame exceeded the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server is overloaded: reconnect later, with a longer backoff.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The peer was silent for longer than the heartbeat timeout.
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
    /// The session was ended (logout from any tab): go back to the login page.
    pub const LOGGED_OUT: u16 = 4001;
    /// The connection could not keep up with its messages: reconnect and resume
    /// from the cursors, without resetting the backoff; nothing is lost.
    pub const TOO_SLOW: u16 = 4002;
    /// The connection neither logged in nor resumed in time (`login_timeout_secs`):
    /// connect again when there is a login to send.
    pub const LOGIN_TIMEOUT: u16 = 4003;
}

/// The avatars shipped in `public/avatars/<id>.svg`; the server accepts no other id.
pub const AVATARS: &[&str] = &[
    "fox", "owl", "cat", "bear", "frog", "panda", "tiger", "koala", "rabbit", "penguin", "whale",
    "octopus",
];

/// Path of an avatar's picture on the site.
pub fn avatar_url(id: &str) -> String {
    format!("/avatars/{id}.svg")
}

/// Most cursors a `resume` carries: with a token, 256 cursors of ten-digit numbers take
/// about 12 KiB, within the 16 KiB frame limit.
pub const MAX_RESUME_CURSORS: usize = 256;

pub const NICKNAME_MAX_CHARS: usize = 24;
pub const ROOM_NAME_MAX_CHARS: usize = 32;
pub const TEXT_MAX_CHARS: usize = 2000;
pub const CLIENT_ID_MAX_CHARS: usize = 64;

/// A rule an input broke; the message names it for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: ErrorCode,
    pub message: String,
}

fn invalid(code: ErrorCode, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
}

/// Trims and NFKC-normalises a nickname, then checks its length and characters.
/// Returns the nickname as it will be stored and shown. The browser skips NFKC (its
/// tables would weigh on the WASM): its check is a hint, the server's is the rule.
pub fn normalize_nickname(raw: &str) -> Result<String, Invalid> {
    #[cfg(feature = "ssr")]
    let name: String = {
        use unicode_normalization::UnicodeNormalization;
        raw.trim().nfkc().collect()
    };
    #[cfg(not(feature = "ssr"))]
    let name = raw.to_string();
    let name = name.trim().to_string();
    let len = name.chars().count();
    if len == 0 {
        return Err(invalid(ErrorCode::InvalidNickname, "Choose a nickname."));
    }
    if len > NICKNAME_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidNickname,
            format!("A nickname has at most {NICKNAME_MAX_CHARS} characters."),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.')))
    {
        return Err(invalid(
            ErrorCode::InvalidNickname,
            format!("“{bad}” is not allowed: use letters, digits, spaces and _ - . only."),
        ));
    }
    if name.contains("  ") {
        return Err(invalid(
            ErrorCode::InvalidNickname,
            "Use single spaces between words.",
        ));
    }
    Ok(name)
}

/// Checks a room name: 1–32 of `a-z`, `0-9`, `-`, `_`.
pub fn validate_room_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() || name.chars().count() > ROOM_NAME_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidRoomName,
            format!("A room name has 1 to {ROOM_NAME_MAX_CHARS} characters."),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(invalid(
            ErrorCode::InvalidRoomName,
            "A room name uses only a-z, 0-9, - and _.",
        ));
    }
    Ok(())
}

/// Checks an avatar id against [`AVATARS`].
pub fn validate_avatar(id: &str) -> Result<(), Invalid> {
    if AVATARS.contains(&id) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidAvatar,
            "Choose one of the avatars shown.",
        ))
    }
}

/// Trims a message text and checks its length and characters; returns what is stored.
pub fn normalize_text(raw: &str) -> Result<String, Invalid> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err(invalid(
            ErrorCode::InvalidText,
            "A message cannot be empty.",
        ));
    }
    if len > TEXT_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidText,
            format!("A message has at most {TEXT_MAX_CHARS} characters ({len} given)."),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(
            ErrorCode::InvalidText,
            "A message cannot contain control characters other than newline and tab.",
        ));
    }
    if let Some(bad) = text.chars().find(|c| is_bidi_override(*c)) {
        return Err(invalid(
            ErrorCode::InvalidText,
            format!(
                "A message cannot contain the direction control U+{:04X}: it would reorder what others see.",
                bad as u32
            ),
        ));
    }
    Ok(text.to_string())
}

/// The bidirectional embedding, override and isolate controls (format characters,
/// invisible): text after one is shown reordered, so a message could read otherwise
/// than it is written ("Trojan Source"). The marks U+200E/U+200F only nudge
/// neutral characters and stay allowed.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a send's idempotency key: 1–64 printable ASCII characters.
pub fn validate_client_id(id: &ClientMsgId) -> Result<(), Invalid> {
    let ok = !id.0.is_empty()
        && id.0.len() <= CLIENT_ID_MAX_CHARS
        && id.0.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidClientId,
            format!("client_id must be 1 to {CLIENT_ID_MAX_CHARS} printable ASCII characters."),
        ))
    }
}

/// Checks a reaction against [`REACTIONS`].
pub fn validate_reaction(emoji: &str) -> Result<(), Invalid> {
    if REACTIONS.contains(&emoji) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidReaction,
            format!("React with one of {}.", REACTIONS.join(" ")),
        ))
    }
}

/// Trims a search query and checks it: something to look for, not too long.
pub fn normalize_query(raw: &str) -> Result<String, Invalid> {
    let query = raw.trim();
    if !query.chars().any(char::is_alphanumeric) {
        return Err(invalid(
            ErrorCode::InvalidQuery,
            "Type a word to search for.",
        ));
    }
    if query.chars().count() > QUERY_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidQuery,
            format!("A search has at most {QUERY_MAX_CHARS} characters."),
        ));
    }
    Ok(query.to_string())
}

/// The first [`QUOTE_CHARS`] characters of a text, for a reply's quote.
pub fn snippet(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
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

impl From<Invalid> for ServerMsg {
    fn from(e: Invalid) -> Self {
        ServerMsg::error(e.code, e.message)
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

    #[test]
    fn nicknames_are_trimmed_normalised_and_checked() {
        assert_eq!(normalize_nickname("  Alice  ").unwrap(), "Alice");
        // NFKC folds fullwidth letters.
        assert_eq!(normalize_nickname("Ａlice").unwrap(), "Alice");
        assert_eq!(normalize_nickname("Zoë_2.0-x").unwrap(), "Zoë_2.0-x");
        assert_eq!(normalize_nickname("李雷").unwrap(), "李雷");
        for bad in [
            "",
            "   ",
            "a<b",
            "x\u{0007}",
            "emoji😀",
            "a  b",
            &"n".repeat(25),
        ] {
            let err = normalize_nickname(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidNickname, "{bad:?}");
        }
        assert!(normalize_nickname(&"n".repeat(24)).is_ok());
    }

    #[test]
    fn room_names_avatars_texts_and_client_ids_are_checked() {
        assert!(validate_room_name("rust-lang_2").is_ok());
        for bad in ["", "Rust", "a b", "ü", &"r".repeat(33)] {
            assert_eq!(
                validate_room_name(bad).unwrap_err().code,
                ErrorCode::InvalidRoomName
            );
        }
        assert!(validate_avatar("fox").is_ok());
        assert!(validate_avatar("../../etc/passwd").is_err());
        assert!(AVATARS.len() >= 12);

        assert_eq!(normalize_text("  hi\nthere\t ").unwrap(), "hi\nthere");
        assert!(normalize_text(" \n ").is_err());
        assert!(normalize_text(&"é".repeat(2000)).is_ok());
        let err = normalize_text(&"é".repeat(2001)).unwrap_err();
        assert!(err.message.contains("2000"), "{}", err.message);
        assert!(normalize_text("bell\u{0007}").is_err());
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::NotAMember,
            ErrorCode::MalformedMessage,
        ] {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        // "Trojan Source": an override or isolate would reorder what others read.
        for control in ['\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}'] {
            let err = normalize_text(&format!("pay {control}01$ now")).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidText);
            assert!(err.message.contains("direction control"), "{}", err.message);
        }
        // Right-to-left text and its marks are fine.
        assert!(normalize_text("שלום \u{200F}עולם مرحبا").is_ok());

        assert!(validate_client_id(&ClientMsgId("m-1a2b".into())).is_ok());
        assert!(validate_client_id(&ClientMsgId(String::new())).is_err());
        assert!(validate_client_id(&ClientMsgId("a b".into())).is_err());
        assert!(validate_client_id(&ClientMsgId("x".repeat(65))).is_err());
    }

    fn at(seq: Seq, author: i64, body: MessageBody) -> ChatMessage {
        let author = Author {
            id: UserId(author),
            nickname: format!("u{author}"),
            avatar: "fox".into(),
        };
        ChatMessage::new(
            MessageId(seq as i64),
            ConversationId(1),
            seq,
            author,
            seq as i64,
            body,
            None,
        )
    }

    #[test]
    fn changes_apply_once_in_order_and_only_as_allowed() {
        let text = |t: &str| MessageBody::Text { text: t.into() };
        let mut m = at(1, 7, text("helo"));
        // Someone else cannot edit or delete it.
        assert!(!m.apply(&at(
            2,
            8,
            MessageBody::Edited {
                target: 1,
                text: "x".into()
            }
        )));
        assert!(!m.apply(&at(2, 8, MessageBody::Deleted { target: 1 })));
        // A change of another message does nothing.
        assert!(!m.apply(&at(
            2,
            7,
            MessageBody::Edited {
                target: 9,
                text: "x".into()
            }
        )));
        let edit = at(
            3,
            7,
            MessageBody::Edited {
                target: 1,
                text: "hello".into(),
            },
        );
        assert!(m.apply(&edit));
        assert_eq!(
            (m.body.clone(), m.edited_at_ms, m.revision),
            (text("hello"), Some(3), 3)
        );
        // Applied again (a replay, a second tab): nothing.
        assert!(!m.apply(&edit));
        let react = |seq, who, on| {
            at(
                seq,
                who,
                MessageBody::Reacted {
                    target: 1,
                    emoji: "👍".into(),
                    on,
                },
            )
        };
        assert!(m.apply(&react(4, 8, true)));
        assert!(m.apply(&react(5, 9, true)));
        assert!(!m.apply(&react(5, 9, true)), "the same change twice");
        assert!(
            m.apply(&react(6, 8, true)),
            "set semantics: already there, still a change"
        );
        assert_eq!(m.reactions[0].users.len(), 2);
        assert!(m.apply(&react(7, 8, false)));
        assert_eq!(
            m.reactions[0].users,
            vec![Reactor {
                id: UserId(9),
                nickname: "u9".into()
            }]
        );
        assert!(m.apply(&react(8, 9, false)));
        assert!(m.reactions.is_empty());
        // An older change arriving late is already in.
        assert!(!m.apply(&react(2, 8, true)));
        assert!(m.apply(&at(9, 7, MessageBody::Deleted { target: 1 })));
        assert!(m.deleted && m.reactions.is_empty() && m.body == text(""));
        assert!(
            !m.apply(&react(10, 8, true)),
            "a deleted message takes no reaction"
        );
        assert!(!m.apply(&at(
            11,
            7,
            MessageBody::Edited {
                target: 1,
                text: "back".into()
            }
        )));
        // System lines take no change.
        let mut line = at(1, 7, MessageBody::Joined);
        assert!(!line.apply(&react(2, 8, true)));
    }

    #[test]
    fn snippets_queries_and_reactions_are_checked() {
        assert_eq!(snippet("short"), "short");
        let long = "字".repeat(QUOTE_CHARS + 5);
        assert_eq!(snippet(&long).chars().count(), QUOTE_CHARS + 1);
        assert!(validate_reaction("👍").is_ok());
        assert_eq!(
            validate_reaction("💩").unwrap_err().code,
            ErrorCode::InvalidReaction
        );
        assert_eq!(normalize_query("  你好 ").unwrap(), "你好");
        assert!(normalize_query(" \"* ").is_err());
        assert!(normalize_query(&"a".repeat(QUERY_MAX_CHARS + 1)).is_err());
    }
}
