//! Each conversation's messages go to this server's connections in sequence order,
//! with no gap and none twice, wherever they were committed.
//!
//! One server alone commits a conversation's messages in order, so each arrives next
//! in line and goes straight out. With several servers, two can commit numbers 5 and 6
//! and publish them so that 6 arrives first: it waits here, briefly, for 5; if 5 has
//! not come by then (lost on the bus), what is missing is read from storage. A
//! conversation's `last_seq` in the hub's memory is the newest number delivered here,
//! so a snapshot or a replay never tells a client of a message it was not given.

use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

use std::collections::HashSet;

use crate::protocol::{ChatMessage, ConversationId, Seq, ServerMsg, UserId};

use super::{
    encode,
    replay::{hide_others_client_ids, REPLAY_CHUNK},
    Done, Frame, Origin, State,
};

/// How long a message that arrived ahead of a missing one waits before the missing
/// ones are read from storage (they are usually on the bus, a moment behind).
const HOLD: Duration = Duration::from_millis(50);

/// Longest wait between reads of storage that keep failing.
const FILL_RETRY_MAX: Duration = Duration::from_secs(2);

/// Messages waiting for an earlier one, per conversation.
#[derive(Default)]
pub(super) struct Waiting {
    ahead: HashMap<ConversationId, Ahead>,
    /// While what a read of storage found goes out: the messages delivered, to be
    /// sent as `replay` frames of up to [`REPLAY_CHUNK`] each rather than one frame
    /// apiece (hundreds missed during a Redis outage would overflow a client's queue).
    pub(super) batch: Option<Vec<ChatMessage>>,
}

#[derive(Default)]
struct Ahead {
    /// By number: the message, and everyone waiting for it to go out (acks, counts).
    messages: BTreeMap<Seq, (ChatMessage, Vec<Origin>)>,
    /// A read of storage is on its way (or scheduled): no second one.
    filling: bool,
    /// Storage reads that failed in a row (for the backoff).
    failures: u32,
    /// Read up to at least this number (a resync learnt that storage has it).
    up_to: Seq,
}

impl State {
    /// A stored message is here (committed by this server or another, or read from
    /// storage): delivers it if it is next in line, with any that waited for it;
    /// holds it if an earlier one is missing; only answers its origin if it was
    /// delivered already.
    pub(super) fn arrive(&mut self, message: ChatMessage, origin: Origin) {
        let (conversation, seq) = (message.conversation, message.seq);
        let Some(last) = self.conversations.last_seq(conversation) else {
            // Not a conversation this server knows of (yet): nobody here to tell.
            self.answer_origin(origin, &message);
            return;
        };
        if seq <= last {
            self.answer_origin(origin, &message);
            return;
        }
        if seq == last + 1 && !self.waiting.ahead.contains_key(&conversation) {
            // Next in line with nothing waiting: one server's own commits always are.
            self.fan_out_message(message, [origin]);
            return;
        }
        let ahead = self.waiting.ahead.entry(conversation).or_default();
        ahead
            .messages
            .entry(seq)
            .or_insert_with(|| (message, Vec::new()))
            .1
            .push(origin);
        self.deliver_in_order(conversation);
    }

    /// Delivers what is next in line; if something is still missing, reads it soon.
    fn deliver_in_order(&mut self, conversation: ConversationId) {
        loop {
            let Some(last) = self.conversations.last_seq(conversation) else {
                self.waiting.ahead.remove(&conversation);
                return;
            };
            let Some(ahead) = self.waiting.ahead.get_mut(&conversation) else {
                return;
            };
            match ahead.messages.first_key_value().map(|(seq, _)| *seq) {
                // Delivered meanwhile (read from storage): only its origins are owed.
                Some(seq) if seq <= last => {
                    if let Some((_, (message, origins))) = ahead.messages.pop_first() {
                        for origin in origins {
                            self.answer_origin(origin, &message);
                        }
                    }
                }
                Some(seq) if seq == last + 1 => {
                    if let Some((_, (message, origins))) = ahead.messages.pop_first() {
                        self.fan_out_message(message, origins);
                    }
                }
                Some(_) => {
                    self.fill_soon(conversation);
                    return;
                }
                None => {
                    if ahead.up_to > last {
                        self.fill_soon(conversation);
                    } else if !ahead.filling {
                        self.waiting.ahead.remove(&conversation);
                    }
                    return;
                }
            }
        }
    }

    /// Reads what is missing from storage after [`HOLD`] (or a backoff after failures).
    pub(super) fn fill_soon(&mut self, conversation: ConversationId) {
        let ahead = self.waiting.ahead.entry(conversation).or_default();
        if ahead.filling {
            return;
        }
        ahead.filling = true;
        let wait = match ahead.failures {
            0 => HOLD,
            n => (HOLD * 2u32.saturating_pow(n)).min(FILL_RETRY_MAX),
        };
        let done = self.done.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let _ = done.send(Done::Fill(conversation));
        });
    }

    /// Storage knows of messages up to `up_to` in this conversation: deliver them.
    pub(super) fn fill_up_to(&mut self, conversation: ConversationId, up_to: Seq) {
        let ahead = self.waiting.ahead.entry(conversation).or_default();
        ahead.up_to = ahead.up_to.max(up_to);
        self.deliver_in_order(conversation);
    }

    /// Time to read what is still missing.
    pub(super) fn fill(&mut self, conversation: ConversationId) {
        let Some(last) = self.conversations.last_seq(conversation) else {
            self.waiting.ahead.remove(&conversation);
            return;
        };
        let Some(ahead) = self.waiting.ahead.get_mut(&conversation) else {
            return;
        };
        let newest_waiting = ahead.messages.last_key_value().map_or(0, |(s, _)| *s);
        let up_to = newest_waiting.max(ahead.up_to);
        if up_to <= last {
            ahead.filling = false;
            self.deliver_in_order(conversation);
            return;
        }
        tracing::debug!(%conversation, after = last, up_to, "reading missed messages from storage");
        let (store, done) = (self.store.clone(), self.done.clone());
        tokio::spawn(async move {
            let read = store.messages_between(conversation, last, up_to).await;
            let _ = done.send(Done::Filled(conversation, read));
        });
    }

    /// Sends messages delivered together as `replay` frames: one set for everyone,
    /// and for each author among them one with their own client ids.
    fn send_batch(&mut self, conversation: ConversationId, batch: Vec<ChatMessage>) {
        if batch.is_empty() {
            return;
        }
        let frames_of = |mut messages: Vec<ChatMessage>, reader: Option<UserId>| -> Vec<Frame> {
            match reader {
                Some(reader) => hide_others_client_ids(&mut messages, reader),
                None => messages.iter_mut().for_each(|m| m.client_id = None),
            }
            messages
                .chunks(REPLAY_CHUNK)
                .map(|chunk| {
                    encode(&ServerMsg::Replay {
                        conversation,
                        messages: chunk.to_vec(),
                    })
                })
                .collect()
        };
        let authors: HashSet<UserId> = batch
            .iter()
            .filter(|m| m.client_id.is_some())
            .map(|m| m.author.id)
            .collect();
        let (first, last) = match (batch.first(), batch.last()) {
            (Some(f), Some(l)) => (f.seq, l.seq),
            _ => return,
        };
        let mut shared: Option<Vec<Frame>> = None;
        let members: Vec<UserId> = self.conversations.members(conversation).collect();
        // Authors of the batch someone blocks (none, nearly always).
        let blocked: HashSet<UserId> = batch
            .iter()
            .filter(|m| super::blocks::blockable(m))
            .map(|m| m.author.id)
            .filter(|a| self.blocks.blockers_of(*a).is_some())
            .collect();
        for user in members {
            // A reader who blocks some of the authors gets the rest of the batch.
            let hides: HashSet<UserId> = blocked
                .iter()
                .copied()
                .filter(|a| self.blocks.blocks(user, *a))
                .collect();
            let batch: &Vec<ChatMessage> = &batch;
            let filtered;
            let (batch, own) = if hides.is_empty() {
                (batch, authors.contains(&user))
            } else {
                filtered = batch
                    .iter()
                    .filter(|m| !hides.contains(&m.author.id) || !super::blocks::blockable(m))
                    .cloned()
                    .collect::<Vec<_>>();
                // Not the shared frames: treated as the reader's own.
                (&filtered, true)
            };
            for conn in self.conns_of([user]) {
                // A connection spared some of these (it has them) gets the rest only.
                let spared = self
                    .conns
                    .get(&conn)
                    .and_then(|c| c.spared.get(&conversation).copied());
                let frames = match spared {
                    Some(upto) if upto >= last => continue,
                    Some(upto) if upto >= first => {
                        self.unspare(conn, conversation);
                        let rest: Vec<ChatMessage> =
                            batch.iter().filter(|m| m.seq > upto).cloned().collect();
                        frames_of(rest, own.then_some(user))
                    }
                    _ => {
                        if spared.is_some() {
                            self.unspare(conn, conversation);
                        }
                        if own {
                            frames_of(batch.clone(), Some(user))
                        } else {
                            shared
                                .get_or_insert_with(|| frames_of(batch.clone(), None))
                                .clone()
                        }
                    }
                };
                for frame in &frames {
                    self.send_to_conn(conn, frame, true);
                }
            }
        }
    }

    /// What storage had: each message goes in line like any other.
    pub(super) fn filled(
        &mut self,
        conversation: ConversationId,
        read: crate::server::store::Result<Vec<ChatMessage>>,
    ) {
        match read {
            Ok(messages) => {
                // Still `filling` meanwhile: no second read for the gap being closed.
                self.waiting.batch = Some(Vec::new());
                for message in messages {
                    self.arrive(message, Origin::Elsewhere);
                }
                let batch = self.waiting.batch.take().unwrap_or_default();
                self.send_batch(conversation, batch);
                if let Some(ahead) = self.waiting.ahead.get_mut(&conversation) {
                    ahead.filling = false;
                    ahead.failures = 0;
                }
                self.deliver_in_order(conversation);
            }
            Err(e) => {
                tracing::warn!(error = %e, %conversation, "reading missed messages failed; trying again");
                if let Some(ahead) = self.waiting.ahead.get_mut(&conversation) {
                    ahead.filling = false;
                    ahead.failures = ahead.failures.saturating_add(1);
                }
                self.fill_soon(conversation);
            }
        }
    }
}
