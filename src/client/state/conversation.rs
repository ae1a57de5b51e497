//! One conversation as the client holds it: a gapless run of its messages, the
//! cursor it resumes from, and its unread count.

use std::collections::{BTreeMap, HashSet};

use crate::protocol::{
    ChatMessage, ConversationInfo, ConversationKind, Cursor, MessageId, Seq, UserId,
};

/// Most messages one conversation keeps while new ones arrive: past it the oldest are
/// dropped (scrolling up brings them back), so a busy room's memory and DOM stay flat.
pub const MAX_KEPT: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub info: ConversationInfo,
    /// Known messages: consecutive sequence numbers, ascending, each once.
    pub(super) messages: Vec<ChatMessage>,
    /// The ids of `messages`: a message delivered twice is shown once.
    ids: HashSet<MessageId>,
    /// The newest page is known: loaded, replayed, or restored from storage.
    pub loaded: bool,
    /// The server said no older message exists than the first known.
    pub reached_start: bool,
    /// Who is typing, until when (ms).
    pub typing: BTreeMap<UserId, f64>,
    /// The read mark the server has been told of (or told us).
    pub(super) read_reported: Seq,
}

impl Conversation {
    pub(super) fn new(info: ConversationInfo) -> Self {
        Self {
            read_reported: info.read_seq,
            info,
            messages: Vec::new(),
            ids: HashSet::new(),
            loaded: false,
            reached_start: false,
            typing: BTreeMap::new(),
        }
    }

    /// Adds a message unless its id is known; keeps the order by sequence number.
    /// A new message past [`MAX_KEPT`] drops the oldest; an older page the reader asked
    /// for is kept whole.
    pub(super) fn insert(&mut self, message: ChatMessage) {
        if !self.ids.insert(message.id) {
            return;
        }
        self.info.last_seq = self.info.last_seq.max(message.seq);
        let at = self.messages.partition_point(|m| m.seq < message.seq);
        let newest = at == self.messages.len();
        self.messages.insert(at, message);
        if newest && self.messages.len() > MAX_KEPT {
            self.keep_newest(MAX_KEPT);
        }
    }

    /// Drops all but the newest `n` messages; returns whether any went.
    pub(super) fn keep_newest(&mut self, n: usize) -> bool {
        let drop = self.messages.len().saturating_sub(n);
        for m in self.messages.drain(..drop) {
            self.ids.remove(&m.id);
        }
        if drop > 0 {
            self.reached_start = false;
        }
        drop > 0
    }

    /// Forgets every message (the server said to reload the newest page).
    pub(super) fn clear(&mut self) {
        self.messages.clear();
        self.ids.clear();
        self.loaded = false;
        self.reached_start = false;
    }

    /// Known messages: consecutive sequence numbers, ascending, each once.
    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    /// The message with this sequence number, if known.
    pub fn by_seq(&self, seq: Seq) -> Option<&ChatMessage> {
        let at = self.messages.partition_point(|m| m.seq < seq);
        self.messages.get(at).filter(|m| m.seq == seq)
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
