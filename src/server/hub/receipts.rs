//! Read receipts: who has read how far, told to the other members of a private
//! conversation or a small room (and always to the reader's own tabs and devices, so
//! that they agree on what is read), at most about once a second per conversation;
//! in a bigger room, only how many have read each author's newest text, to its author.
//!
//! A user who does not share them ([`ClientMsg::ShareReceipts`]) is not told of, and
//! is told nothing of others' (as most chats do it); their own devices still agree.
//!
//! [`ClientMsg::ShareReceipts`]: crate::protocol::ClientMsg::ShareReceipts

use std::{
    collections::{BTreeMap, HashSet},
    time::Duration,
};

use crate::{
    protocol::{ConversationId, ConversationInfo, ReadMark, ServerMsg, UserId},
    server::{bus::Event, store::UserRow},
};

use super::{encode, internal, ConnId, Done, Refusal, State};

/// How long read marks wait to be told together.
const COALESCE: Duration = Duration::from_secs(1);

/// Read marks not told yet, and who does not share theirs.
#[derive(Default)]
pub(super) struct Receipts {
    /// Users who do not share read receipts (loaded at start, kept in step).
    off: HashSet<UserId>,
    /// Per conversation, each reader's newest mark since the last telling.
    pending: BTreeMap<ConversationId, BTreeMap<UserId, ReadMark>>,
    /// A telling is due (a timer runs).
    scheduled: bool,
}

impl Receipts {
    pub(super) fn new(off: impl IntoIterator<Item = UserId>) -> Self {
        Self {
            off: off.into_iter().collect(),
            ..Self::default()
        }
    }

    pub(super) fn shares(&self, user: UserId) -> bool {
        !self.off.contains(&user)
    }
}

impl State {
    /// `user` has read `conversation` up to `seq` (here or on another server): told
    /// with the others of the next second.
    pub(super) fn receipt(
        &mut self,
        conversation: ConversationId,
        user: UserId,
        seq: u64,
        at_ms: i64,
    ) {
        let marks = self.receipts.pending.entry(conversation).or_default();
        let mark = marks.entry(user).or_insert(ReadMark { user, seq, at_ms });
        if seq >= mark.seq {
            *mark = ReadMark { user, seq, at_ms };
        }
        if !self.receipts.scheduled {
            self.receipts.scheduled = true;
            let done = self.done.clone();
            tokio::spawn(async move {
                tokio::time::sleep(COALESCE).await;
                let _ = done.send(Done::TellReceipts);
            });
        }
    }

    /// Tells the read marks of the last second: in a private conversation or a room
    /// of up to [`RECEIPTS_MAX_MEMBERS`](crate::protocol::RECEIPTS_MAX_MEMBERS), those who share them to the members who
    /// share theirs; every reader's own to their own tabs.
    pub(super) fn tell_receipts(&mut self) {
        self.receipts.scheduled = false;
        let pending = std::mem::take(&mut self.receipts.pending);
        for (conversation, marks) in pending {
            // A big room's members are not even looked at (general's, every second).
            let small = self.conversations.tells_receipts(conversation);
            let shared: Vec<ReadMark> = marks
                .values()
                .filter(|m| small && self.receipts.shares(m.user))
                .cloned()
                .collect();
            if !small {
                let receipts = &self.receipts;
                let counts = self
                    .conversations
                    .read_counts(conversation, |u| receipts.shares(u));
                for (author, count) in counts {
                    let frame = encode(&ServerMsg::ReadCount {
                        conversation,
                        seq: count.seq,
                        count: count.count,
                    });
                    self.send_to_user(author, &frame, false);
                }
            }
            let mut told = HashSet::new();
            if !shared.is_empty() {
                let frame = encode(&ServerMsg::Read {
                    conversation,
                    reads: shared,
                });
                let sharing: Vec<UserId> = self
                    .conversations
                    .members(conversation)
                    .filter(|u| self.receipts.shares(*u))
                    .collect();
                // Their own marks are in the frame of those who share.
                told.extend(sharing.iter().filter(|u| marks.contains_key(u)).copied());
                self.send_to_users(sharing, &frame, false);
            }
            for (user, mark) in &marks {
                if told.contains(user) {
                    continue;
                }
                let own = encode(&ServerMsg::Read {
                    conversation,
                    reads: vec![mark.clone()],
                });
                self.send_to_user(*user, &own, false);
            }
        }
    }

    /// Others' read marks in a snapshot's conversations (for a user who shares).
    pub(super) fn fill_reads(&self, infos: &mut [ConversationInfo], user: UserId) {
        if !self.receipts.shares(user) {
            return;
        }
        for info in infos {
            if !self.conversations.tells_receipts(info.id) {
                let receipts = &self.receipts;
                info.read_count = self
                    .conversations
                    .read_count_of(info.id, user, |u| receipts.shares(u));
                continue;
            }
            info.reads = self
                .conversations
                .read_marks(info.id)
                .into_iter()
                .filter(|m| m.user != user && m.seq > 0 && self.receipts.shares(m.user))
                .collect();
        }
    }

    /// The user turns sharing their read receipts on or off (stored, then told to
    /// every tab of theirs, here and on the other servers).
    pub(super) fn share_receipts(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        on: bool,
    ) -> Result<(), Refusal> {
        let store = self.store.clone();
        let id = user.id;
        self.spawn_io(
            conn,
            async move { store.share_receipts(id, on).await },
            move |state, stored| {
                stored.map_err(internal)?;
                state.bus.publish(Event::ReceiptsShared { user: id, on });
                state.receipts_shared(id, on);
                Ok(())
            },
        );
        Ok(())
    }

    /// A user's choice, made here or on another server.
    pub(super) fn receipts_shared(&mut self, user: UserId, on: bool) {
        if on {
            self.receipts.off.remove(&user);
        } else {
            self.receipts.off.insert(user);
        }
        self.send_to_user(user, &encode(&ServerMsg::ReceiptsShared { on }), true);
    }
}
