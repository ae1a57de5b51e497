//! What a client is told when a request is refused ([`ErrorCode`], in an `error`
//! event, the connection staying open) or its connection is closed ([`close_code`]).

use serde::{Deserialize, Serialize};

/// Machine-readable reason of a [`ServerMsg::Error`](super::ServerMsg::Error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// Not one of [`REACTIONS`](super::REACTIONS).
    InvalidReaction,
    /// A search query must have a word in it, and at most [`QUERY_MAX_CHARS`](super::QUERY_MAX_CHARS) characters.
    InvalidQuery,
    /// `general` cannot be left.
    CannotLeave,
    /// Too many messages; see `retry_after_ms`.
    RateLimited,
    /// No link code like this one was offered (or it was mistyped).
    LinkCodeInvalid,
    /// The code's few minutes are over (or its device never answered): make a new one.
    LinkCodeExpired,
    /// The code was redeemed already; each is good once.
    LinkCodeUsed,
    /// The signed-in device refused this one.
    LinkDeclined,
    /// The device that redeemed the code is no longer waiting.
    LinkGone,
    /// None of the user's sessions has this id.
    NoSuchDevice,
    /// This server has no passkeys (no site address set for them).
    PasskeysOff,
    /// The passkey ceremony failed: not answered in time, answered twice, or the
    /// browser's answer did not verify. Start again.
    PasskeyFailed,
    /// The passkey is not (or no longer) one of a user's here.
    PasskeyUnknown,
    /// The user has [`PASSKEYS_MAX`](super::PASSKEYS_MAX) passkeys already, or the name is not one.
    PasskeyRefused,
    /// None of the user's passkeys has this id.
    NoSuchPasskey,
    /// The user's role in the room does not allow this (or not on that person).
    NotAllowed,
    /// The user is banned from this room.
    Banned,
    /// The user may not write to this room for now; see `retry_after_ms`.
    TimedOut,
    /// The room is in slow mode and the user's last message was too recent; the
    /// message may go again after `retry_after_ms`.
    SlowMode,
    /// An instance admin banned this account from the server.
    AccountBanned,
    /// A report's reason is too long, or names no message that can be reported.
    InvalidReport,
    /// None of the reports has this id (or it was handled already).
    NoSuchReport,
    /// No room of that name can be joined by this user: it is private (its name is
    /// kept), so only an invite lets them in.
    RoomUnavailable,
    /// The invite link is unknown, expired, used up or revoked (one answer for all:
    /// a guess learns nothing); or an invite asked for is out of bounds.
    InvalidInvite,
    /// No private message can pass between these two people (one blocks the other:
    /// which one is not said).
    DirectClosed,
    /// The user blocks [`MAX_BLOCKS`](super::MAX_BLOCKS) people already.
    TooManyBlocks,
    /// This server takes no uploads (`upload_max_bytes` is 0).
    UploadsOff,
    /// The file is over the server's size per file.
    FileTooLarge,
    /// The user's files take the server's room for one person already.
    UploadQuota,
    /// The file's content says it is a picture, but it cannot be read as one (damaged,
    /// or more pixels than the server decodes).
    InvalidImage,
    /// The server failed; the request may be retried.
    Internal,
}

impl ErrorCode {
    /// A refusal of linking this device (shown beside the code, not the nickname).
    pub fn is_link(self) -> bool {
        matches!(
            self,
            Self::LinkCodeInvalid
                | Self::LinkCodeExpired
                | Self::LinkCodeUsed
                | Self::LinkDeclined
                | Self::LinkGone
        )
    }

    /// A refusal of signing in with a passkey (shown beside its button).
    pub fn is_passkey(self) -> bool {
        matches!(
            self,
            Self::PasskeysOff | Self::PasskeyFailed | Self::PasskeyUnknown
        )
    }

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
            Self::LinkCodeInvalid => "link_code_invalid",
            Self::LinkCodeExpired => "link_code_expired",
            Self::LinkCodeUsed => "link_code_used",
            Self::LinkDeclined => "link_declined",
            Self::LinkGone => "link_gone",
            Self::NoSuchDevice => "no_such_device",
            Self::PasskeysOff => "passkeys_off",
            Self::PasskeyFailed => "passkey_failed",
            Self::PasskeyUnknown => "passkey_unknown",
            Self::PasskeyRefused => "passkey_refused",
            Self::NoSuchPasskey => "no_such_passkey",
            Self::NotAllowed => "not_allowed",
            Self::Banned => "banned",
            Self::TimedOut => "timed_out",
            Self::SlowMode => "slow_mode",
            Self::AccountBanned => "account_banned",
            Self::InvalidReport => "invalid_report",
            Self::NoSuchReport => "no_such_report",
            Self::RoomUnavailable => "room_unavailable",
            Self::InvalidInvite => "invalid_invite",
            Self::DirectClosed => "direct_closed",
            Self::TooManyBlocks => "too_many_blocks",
            Self::UploadsOff => "uploads_off",
            Self::FileTooLarge => "file_too_large",
            Self::UploadQuota => "upload_quota",
            Self::InvalidImage => "invalid_image",
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

    /// The reason of a [`POLICY_VIOLATION`] for too many invalid frames (a client
    /// shows the user what each reason means, in the user's language).
    pub const REASON_INVALID_FRAMES: &str = "too many invalid messages";
    /// The reason of a [`POLICY_VIOLATION`] for too many requests.
    pub const REASON_FLOOD: &str = "too many requests";
    /// The reason of a 4001 for a user an instance admin banned from the server.
    pub const REASON_BANNED: &str = "banned from the server";
}
