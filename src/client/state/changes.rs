//! What an update of the state changed, so the view re-renders only what shows it:
//! a message in a busy room touches that room's messages and nothing else.

use std::collections::BTreeSet;

use super::ChatState;
use crate::protocol::{ConversationId, ErrorCode, ServerMsg};

/// Parts of the state an update touched; the socket turns each into a reactive
/// notification (one per part, one per conversation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Everything (a new session, a logout, a restore).
    pub all: bool,
    /// The session, the login error and the notice.
    pub session: bool,
    /// The people known and the online count.
    pub people: bool,
    /// The rooms listed and which conversations are ours.
    pub rooms: bool,
    /// The search and its results.
    pub search: bool,
    /// The outbox.
    pub outbox: bool,
    /// This person's devices: the link offered, its requests, the device list.
    pub devices: bool,
    /// The audit log shown.
    pub moderation: bool,
    /// Conversations whose messages (or loaded / start flags) changed.
    pub messages: BTreeSet<ConversationId>,
    /// Conversations whose info (unread, last sequence, member count) or typing changed.
    pub conversations: BTreeSet<ConversationId>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// What applying `msg` may change, known before it is applied.
    pub(super) fn of(msg: &ServerMsg) -> Self {
        let mut c = Self::default();
        match msg {
            ServerMsg::Pong { .. } => {}
            ServerMsg::Welcome { .. }
            | ServerMsg::PasskeyCreation { .. }
            | ServerMsg::PasskeyRequest { .. }
            | ServerMsg::Passkeys { .. } => c.devices = true,
            ServerMsg::SearchResults { .. } => c.search = true,
            ServerMsg::Ready { .. } => c.all = true,
            ServerMsg::Message { message } => c.message(message.conversation),
            ServerMsg::Replay { conversation, .. } | ServerMsg::Ack { conversation, .. } => {
                c.message(*conversation)
            }
            ServerMsg::Reload { conversation } | ServerMsg::History { conversation, .. } => {
                c.messages.insert(*conversation);
            }
            ServerMsg::Joined { conversation } => {
                c.rooms = true;
                c.message(conversation.id);
            }
            ServerMsg::Left {
                conversation,
                removed,
            } => {
                c.rooms = true;
                c.session |= removed.is_some();
                c.message(*conversation);
            }
            ServerMsg::Staff { conversation, .. }
            | ServerMsg::TimedOut { conversation, .. }
            | ServerMsg::SlowMode { conversation, .. } => {
                c.conversations.insert(*conversation);
            }
            ServerMsg::AuditLog { .. } | ServerMsg::Audited { .. } | ServerMsg::Invites { .. } => {
                c.moderation = true
            }
            ServerMsg::Privacy { conversation, .. } => {
                c.rooms = true;
                c.conversations.insert(*conversation);
            }
            ServerMsg::InviteAccepted { .. } => c.session = true,
            // Messages of every conversation may go ([`ChatState::set_blocked`]).
            ServerMsg::Blocked { .. } => c.all = true,
            // The user's role in every room changes with it.
            ServerMsg::InstanceAdmin { .. } => c.all = true,
            ServerMsg::Reported { .. }
            | ServerMsg::Reports { .. }
            | ServerMsg::ReportFiled { .. }
            | ServerMsg::ReportHandled { .. } => c.moderation = true,
            ServerMsg::Rooms { rooms } => {
                c.rooms = true;
                c.conversations.extend(rooms.iter().map(|r| r.id));
            }
            ServerMsg::Presence { .. } | ServerMsg::People { .. } | ServerMsg::Online { .. } => {
                c.people = true
            }
            ServerMsg::Typing { conversation, .. } | ServerMsg::Members { conversation, .. } => {
                c.conversations.insert(*conversation);
            }
            // A refusal of a message changes the outbox; others the session or notice.
            ServerMsg::Error {
                client_id: Some(_), ..
            } => c.outbox = true,
            ServerMsg::Error {
                code: ErrorCode::SessionInvalid,
                ..
            } => c.all = true,
            ServerMsg::Error { .. } => {
                c.session = true;
                c.devices = true;
            }
            ServerMsg::LinkWaiting { .. } => {
                c.session = true;
                c.devices = true;
            }
            ServerMsg::LinkCode { .. }
            | ServerMsg::LinkRequest { .. }
            | ServerMsg::LinkDone { .. }
            | ServerMsg::Devices { .. } => c.devices = true,
            ServerMsg::Read { conversation, .. } | ServerMsg::ReadCount { conversation, .. } => {
                c.conversations.insert(*conversation);
            }
            ServerMsg::ReceiptsShared { .. } => c.session = true,
        }
        c
    }

    /// A message came or went in a conversation: its list, its counts, maybe the outbox.
    fn message(&mut self, conversation: ConversationId) {
        self.messages.insert(conversation);
        self.conversations.insert(conversation);
        self.outbox = true;
    }

    pub fn merge(&mut self, other: Changes) {
        self.all |= other.all;
        self.session |= other.session;
        self.people |= other.people;
        self.rooms |= other.rooms;
        self.search |= other.search;
        self.outbox |= other.outbox;
        self.devices |= other.devices;
        self.moderation |= other.moderation;
        self.messages.extend(other.messages);
        self.conversations.extend(other.conversations);
    }
}

impl ChatState {
    /// What changed since the last call; the view notifies those who show it.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }
}
