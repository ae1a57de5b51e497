//! What the protocol's messages carry about users, conversations and messages: the
//! records a snapshot, a page of history or a live message is made of.

use serde::{Deserialize, Serialize};

use super::*;

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
    /// How far the other members have read (in a private conversation or a room of
    /// up to [`RECEIPTS_MAX_MEMBERS`], of those who share it, for a user who does).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<ReadMark>,
    /// In a bigger room: how many others have read up to this user's newest text, if
    /// it is among the room's recent ones (see [`ServerMsg::ReadCount`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_count: Option<ReadCount>,
    /// A room's owner and moderators.
    #[serde(default, skip_serializing_if = "Staff::is_empty")]
    pub staff: Staff,
    /// This user may not write here until then (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed_out_until_ms: Option<i64>,
    /// The room's slow mode: seconds between one member's messages (0: off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub slow_mode_s: u32,
}

/// How many have read up to a text of the user's (see [`ServerMsg::ReadCount`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadCount {
    pub seq: Seq,
    pub count: u32,
}

/// Rooms with more members than this tell a text's author how many have read it, not
/// who (private conversations and smaller rooms tell each member's mark).
pub const RECEIPTS_MAX_MEMBERS: usize = 50;

/// A member has read a conversation up to `seq` (at `at_ms`, 0 if not known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    pub user: UserId,
    pub seq: Seq,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub at_ms: i64,
}

/// How far back from the newest message unread messages are counted.
pub const UNREAD_WINDOW: Seq = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConversationKind {
    Room {
        name: String,
        member_count: u32,
        /// Unlisted, joined only with an invite.
        #[serde(default, skip_serializing_if = "is_false")]
        private: bool,
    },
    /// A private conversation between exactly two users (ascending ids).
    Direct { users: [UserId; 2] },
}

/// A room in the room list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub id: ConversationId,
    pub name: String,
    pub member_count: u32,
    /// Listed to its members only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub private: bool,
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
    /// Deleted by a moderator (`deleted` too): "removed by a moderator".
    #[serde(default, skip_serializing_if = "is_false")]
    pub removed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Number of the newest change (edit, deletion, reaction) this state includes: a
    /// change numbered at or below it is already in, and is not applied again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: Seq,
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
    /// System line: a moderator removed the author from the room.
    Kicked,
    /// System line: a moderator banned the author from the room.
    Banned,
    /// A change: the author's message `target` now reads `text`.
    Edited {
        target: Seq,
        text: String,
    },
    /// A change: the author deleted their message `target`.
    Deleted {
        target: Seq,
    },
    /// A change: the author, a moderator, removed someone else's message `target`.
    Removed {
        target: Seq,
    },
    /// A change: the author added (`on`) or took back their `emoji` on message `target`.
    Reacted {
        target: Seq,
        emoji: String,
        on: bool,
    },
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
