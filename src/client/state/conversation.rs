//! One conversation as the client holds it: a run of its messages (texts and lines;
//! the changes among them are applied to the messages they change), the cursor it
//! resumes from, and its unread and mention counts.

use std::collections::{BTreeMap, HashSet};

use crate::protocol::{
    Author, ChatMessage, ConversationInfo, ConversationKind, Cursor, MessageBody, MessageId,
    ReadMark, Seq, UserId,
};

/// Most messages one conversation keeps while new ones arrive: past it the oldest are
/// dropped (scrolling up brings them back), so a busy room's memory and DOM stay flat.
pub const MAX_KEPT: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub info: ConversationInfo,
    /// Known messages: ascending sequence numbers, each once; consecutive but for
    /// those of people the user blocks, which the server does not send.
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
    /// The newest number received since the run began (a change may be newer than
    /// the newest message): where a resume continues from.
    newest_seen: Seq,
    /// Texts by others not read yet, and those of them that mention the user.
    unread: u64,
    mentions: u64,
    /// Numbers up to this are in `unread` (the server counted them in `ready`); what
    /// arrives after it is counted here.
    counted_through: Seq,
    /// A room's members (for `@` completion), as the server listed them and join and
    /// leave lines newer than its answer changed them; `None` until then.
    pub(super) members: Option<Members>,
    /// They were asked for (once per conversation).
    pub(super) members_asked: bool,
    /// How far the other members have read, as far as they share it.
    pub reads: BTreeMap<UserId, ReadMark>,
    /// In a big room: how many have read up to the user's newest text (the server
    /// tells the count, not who).
    pub read_count: Option<crate::protocol::ReadCount>,
}

/// A room's members as of a number of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Members {
    pub(super) users: BTreeMap<UserId, Author>,
    /// Join and leave lines up to this number are in `users` already.
    pub(super) as_of: Seq,
}

impl Conversation {
    pub(super) fn new(info: ConversationInfo) -> Self {
        let mut c = Self {
            read_reported: info.read_seq,
            info: info.clone(),
            messages: Vec::new(),
            ids: HashSet::new(),
            loaded: false,
            reached_start: false,
            typing: BTreeMap::new(),
            newest_seen: 0,
            unread: 0,
            mentions: 0,
            counted_through: 0,
            members: None,
            members_asked: false,
            reads: BTreeMap::new(),
            read_count: None,
        };
        c.counted_by_server(&info);
        c.set_reads(&info);
        c
    }

    /// Others' read marks as a snapshot gave them.
    pub(super) fn set_reads(&mut self, info: &ConversationInfo) {
        self.reads = info.reads.iter().map(|m| (m.user, m.clone())).collect();
        self.read_count = info.read_count;
    }

    /// How many have read up to the user's newest text (in a big room).
    pub(super) fn read_count(&mut self, count: crate::protocol::ReadCount) {
        if self.read_count.is_none_or(|known| known.seq <= count.seq) {
            self.read_count = Some(count);
        }
    }

    /// Someone else has read up to a mark (never back).
    pub(super) fn read_by(&mut self, mark: ReadMark) {
        match self.reads.get(&mark.user) {
            Some(known) if known.seq >= mark.seq => {}
            _ => {
                self.reads.insert(mark.user, mark);
            }
        }
    }

    /// The user read up to `seq` on another tab or device: what is unread here is
    /// what comes after it.
    pub(super) fn read_elsewhere(&mut self, seq: Seq, me: UserId) {
        if seq <= self.info.read_seq {
            return;
        }
        self.info.read_seq = seq;
        self.read_reported = self.read_reported.max(seq);
        if seq >= self.info.last_seq {
            self.unread = 0;
            self.mentions = 0;
            return;
        }
        // Counted again from the messages here, when they reach back far enough.
        let after: Vec<&ChatMessage> = self
            .messages
            .iter()
            .filter(|m| m.seq > seq && m.counts_as_unread() && m.author.id != me)
            .collect();
        if self.messages.first().is_some_and(|m| m.seq <= seq + 1) {
            self.unread = after.len() as u64;
            self.mentions = after.iter().filter(|m| m.mentions.contains(&me)).count() as u64;
        }
    }

    /// The counts as the server gave them (in `ready`), up to its newest number.
    pub(super) fn counted_by_server(&mut self, info: &ConversationInfo) {
        self.unread = u64::from(info.unread);
        self.mentions = u64::from(info.mentions);
        self.counted_through = info.last_seq;
    }

    /// Takes a message that arrived (live or replayed), counting it if it is new
    /// here and newer than what the server counted: a text by someone else after
    /// the read mark is unread (and one that mentions `me`, a mention).
    pub(super) fn receive(&mut self, message: ChatMessage, me: Option<UserId>) {
        if message.seq > self.counted_through
            && message.seq > self.info.read_seq
            && message.counts_as_unread()
            && Some(message.author.id) != me
            && !self.ids.contains(&message.id)
        {
            self.unread += 1;
            if me.is_some_and(|me| message.mentions.contains(&me)) {
                self.mentions += 1;
            }
        }
        if let Some(members) = self.members.as_mut().filter(|m| message.seq > m.as_of) {
            match message.body {
                MessageBody::Joined => {
                    members
                        .users
                        .insert(message.author.id, message.author.clone());
                }
                MessageBody::Left => {
                    members.users.remove(&message.author.id);
                }
                _ => {}
            }
        }
        self.insert(message);
    }

    /// The server's list of members (`members`), as of the newest number known here:
    /// the server answered after sending everything before it on this connection.
    pub(super) fn set_members(&mut self, users: Vec<Author>) {
        self.members = Some(Members {
            users: users.into_iter().map(|u| (u.id, u)).collect(),
            as_of: self.newest_seen.max(self.info.last_seq),
        });
    }

    /// Everything up to the newest message is read.
    pub(super) fn read_all(&mut self) {
        self.info.read_seq = self.info.read_seq.max(self.info.last_seq);
        self.unread = 0;
        self.mentions = 0;
    }

    /// Applies a change (edit, deletion, reaction) to the message it changes, if that
    /// one is here; returns whether anything shown changed.
    pub(super) fn apply_change(&mut self, change: &ChatMessage) -> bool {
        self.info.last_seq = self.info.last_seq.max(change.seq);
        self.newest_seen = self.newest_seen.max(change.seq);
        let Some(target) = change.target() else {
            return false;
        };
        let at = self.messages.partition_point(|m| m.seq < target);
        let changed = match self.messages.get_mut(at) {
            Some(m) if m.seq == target => m.apply(change),
            _ => false,
        };
        // Replies quote the message as it is now (as the server's history does).
        if changed {
            if let Some(m) = self.messages.get(at) {
                let (text, deleted) = match &m.body {
                    crate::protocol::MessageBody::Text { text } => (text.clone(), m.deleted),
                    _ => (String::new(), m.deleted),
                };
                for reply in &mut self.messages[at + 1..] {
                    if let Some(quote) = reply.reply_to.as_mut().filter(|q| q.seq == target) {
                        quote.snippet = crate::protocol::snippet(&text);
                        quote.deleted = deleted;
                    }
                }
            }
        }
        changed
    }

    /// Adds a message unless its id is known; keeps the order by sequence number.
    /// A new message past [`MAX_KEPT`] drops the oldest; an older page the reader asked
    /// for is kept whole.
    pub(super) fn insert(&mut self, message: ChatMessage) {
        if message.target().is_some() {
            self.apply_change(&message);
            return;
        }
        if !self.ids.insert(message.id) {
            // Known (shown at its ack, or loaded before): a copy at least as new
            // takes its place, with what the server added (a reply's quote).
            let at = self.messages.partition_point(|m| m.seq < message.seq);
            if let Some(m) = self.messages.get_mut(at) {
                if m.id == message.id && message.revision >= m.revision && *m != message {
                    *m = message;
                }
            }
            return;
        }
        self.info.last_seq = self.info.last_seq.max(message.seq);
        self.newest_seen = self.newest_seen.max(message.seq);
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

    /// Forgets the messages of `author` (the user blocked them) and that they are
    /// typing; returns whether any went.
    pub(super) fn drop_author(&mut self, author: UserId) -> bool {
        let before = self.messages.len();
        self.messages.retain(|m| m.author.id != author);
        self.ids = self.messages.iter().map(|m| m.id).collect();
        let typed = self.typing.remove(&author).is_some();
        before != self.messages.len() || typed
    }

    /// Forgets every message (the server said to reload the newest page).
    pub(super) fn clear(&mut self) {
        self.messages.clear();
        self.ids.clear();
        self.newest_seen = 0;
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

    /// The newest message (or change) known: where a resume continues from.
    pub fn cursor(&self) -> Option<Cursor> {
        self.messages.last().map(|m| Cursor {
            conversation: self.info.id,
            seq: m.seq.max(self.newest_seen),
        })
    }

    /// Older messages than the first known exist (sequence numbers start at 1).
    pub fn has_more(&self) -> bool {
        !self.reached_start && self.messages.first().is_some_and(|m| m.seq > 1)
    }

    /// Texts by others not read yet (join/leave lines and changes never count).
    pub fn unread(&self) -> u64 {
        self.unread
    }

    /// How many of the unread texts mention the user.
    pub fn mentions(&self) -> u64 {
        self.mentions
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
