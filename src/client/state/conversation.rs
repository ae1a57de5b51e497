//! One conversation as the client holds it: a gapless run of its messages, the
//! cursor it resumes from, and its unread count.

use std::collections::BTreeMap;

use crate::protocol::{ChatMessage, ConversationInfo, ConversationKind, Cursor, UserId};

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub info: ConversationInfo,
    /// Known messages: consecutive sequence numbers, ascending, each once.
    pub messages: Vec<ChatMessage>,
    /// The newest page is known: loaded, replayed, or restored from storage.
    pub loaded: bool,
    /// The server said no older message exists than the first known.
    pub reached_start: bool,
    /// Who is typing, until when (ms).
    pub typing: BTreeMap<UserId, f64>,
}

impl Conversation {
    pub(super) fn new(info: ConversationInfo) -> Self {
        Self {
            info,
            messages: Vec::new(),
            loaded: false,
            reached_start: false,
            typing: BTreeMap::new(),
        }
    }

    /// Adds a message unless its id is known; keeps the order by sequence number.
    pub(super) fn insert(&mut self, message: ChatMessage) {
        if self.messages.iter().rev().any(|m| m.id == message.id) {
            return;
        }
        self.info.last_seq = self.info.last_seq.max(message.seq);
        let at = self.messages.partition_point(|m| m.seq < message.seq);
        self.messages.insert(at, message);
    }

    /// The newest message known: where a resume continues from.
    pub fn cursor(&self) -> Option<Cursor> {
        self.messages.last().map(|m| Cursor {
            conversation: self.info.id,
            seq: m.seq,
        })
    }

    /// Older messages than the first known exist (sequence numbers start at 1).
    pub fn has_more(&self) -> bool {
        !self.reached_start && self.messages.first().is_some_and(|m| m.seq > 1)
    }

    pub fn unread(&self) -> u64 {
        self.info.last_seq.saturating_sub(self.info.read_seq)
    }

    pub fn room_name(&self) -> Option<&str> {
        match &self.info.kind {
            ConversationKind::Room { name, .. } => Some(name),
            ConversationKind::Direct { .. } => None,
        }
    }

    /// The other user of a private conversation.
    pub fn peer(&self, me: UserId) -> Option<UserId> {
        match self.info.kind {
            ConversationKind::Direct { users } => users.into_iter().find(|u| *u != me).or(Some(me)),
            ConversationKind::Room { .. } => None,
        }
    }
}
