//! The outbox: the user's messages (and edits, deletions, reactions) the server has
//! not acknowledged, sent one at a time in the order written, again after each
//! reconnect, with the same client id.

use serde::{Deserialize, Serialize};

use super::{ChatState, Reaction};
use crate::protocol::{
    Author, ChatMessage, ClientMsg, ClientMsgId, ConversationId, ErrorCode, MessageId, Quote, Seq,
    UserId,
};

/// What a pending entry does to a message already there, instead of posting a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Its text becomes the entry's text.
    Edit {
        seq: Seq,
    },
    Delete {
        seq: Seq,
    },
    React {
        seq: Seq,
        emoji: String,
        on: bool,
    },
}

/// What the user writes: a text (perhaps a reply, with mentions), or a change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub change: Option<Change>,
}

impl Draft {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// A deletion or a reaction: a change with no text of its own.
    pub fn change(change: Change) -> Self {
        Self {
            change: Some(change),
            ..Self::default()
        }
    }
}

impl From<&str> for Draft {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for Draft {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

/// Messages of the outbox sent and not yet answered, at most. One: each goes out when
/// the one before is answered, so they are stored in the order written even when the
/// server's rate limit refuses one for a while (a long outbox written offline); a
/// human types slower than a round trip, and the rate limit is below one per round trip.
pub const OUTBOX_IN_FLIGHT: usize = 1;

/// Reads `failed` as stored now (a refusal's code) or as stored before the texts were
/// translated (the server's words): an entry written then is kept, not dropped.
fn refusal_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ErrorCode>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Code(ErrorCode),
        Text(serde::de::IgnoredAny),
    }
    Ok(
        Option::<Stored>::deserialize(d)?.map(|stored| match stored {
            Stored::Code(code) => code,
            // What was refused is not known any more; the user can retry or discard it.
            Stored::Text(_) => ErrorCode::Internal,
        }),
    )
}

/// A message of the user's own that the server has not acknowledged. Kept in
/// browser storage too, so it survives a reload and is sent again, same client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub conversation: ConversationId,
    pub client_id: ClientMsgId,
    pub text: String,
    /// When it was written (client clock, ms): the order of the outbox.
    pub queued_ms: u64,
    /// Why it was refused; `None` while it is on its way.
    #[serde(default, deserialize_with = "refusal_or_text")]
    pub failed: Option<ErrorCode>,
    /// Sent on the current connection, its answer not in yet.
    #[serde(skip)]
    pub sent: bool,
    /// The message a text answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Seq>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// Set for an edit, deletion or reaction rather than a new text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

impl Pending {
    pub(super) fn request(&self) -> ClientMsg {
        let (conversation, client_id) = (self.conversation, self.client_id.clone());
        match self.change.clone() {
            None => ClientMsg::Send {
                conversation,
                client_id,
                text: self.text.clone(),
                reply_to: self.reply_to,
                mentions: self.mentions.clone(),
            },
            Some(Change::Edit { seq }) => ClientMsg::Edit {
                conversation,
                client_id,
                seq,
                text: self.text.clone(),
                mentions: self.mentions.clone(),
            },
            Some(Change::Delete { seq }) => ClientMsg::Delete {
                conversation,
                client_id,
                seq,
            },
            Some(Change::React { seq, emoji, on }) => ClientMsg::React {
                conversation,
                client_id,
                seq,
                emoji,
                on,
            },
        }
    }

    /// The message the server stored for this entry (its ack says where): a text, or
    /// the change to apply to the message it changes; stored as the server stores its
    /// request ([`ClientMsg::into_draft`]). `quoted` is a reply's quote.
    pub(super) fn stored_as(
        &self,
        (id, seq, sent_at_ms): (MessageId, Seq, i64),
        author: Author,
        quoted: Option<Quote>,
    ) -> Option<ChatMessage> {
        let draft = self.request().into_draft().ok()?;
        let mut m = ChatMessage::new(
            id,
            draft.conversation,
            seq,
            author,
            sent_at_ms,
            draft.body,
            Some(draft.client_id),
        );
        m.mentions = draft.mentions;
        m.reply_to = quoted.map(Box::new);
        Some(m)
    }
}

impl ChatState {
    pub(super) fn take_pending(
        &mut self,
        client_id: &ClientMsgId,
        reactions: &mut Vec<Reaction>,
    ) -> Option<Pending> {
        let at = self.outbox.iter().position(|p| &p.client_id == client_id)?;
        reactions.push(Reaction::DropPending(client_id.clone()));
        self.changes.outbox = true;
        let done = self.outbox.remove(at);
        self.pump(reactions);
        Some(done)
    }

    /// Sends the next messages of the outbox, in order, up to [`OUTBOX_IN_FLIGHT`].
    pub(super) fn pump(&mut self, reactions: &mut Vec<Reaction>) {
        if self.me().is_none() {
            return;
        }
        let mut in_flight = self.outbox.iter().filter(|p| p.sent).count();
        let mut out = Vec::new();
        for p in &mut self.outbox {
            if in_flight >= OUTBOX_IN_FLIGHT {
                break;
            }
            if !p.sent && p.failed.is_none() {
                p.sent = true;
                in_flight += 1;
                out.push(p.request());
            }
        }
        if !out.is_empty() {
            reactions.push(Reaction::Send(out));
        }
    }

    /// Puts a message the user writes into the outbox; returns the outbox entry to
    /// store and what to send now, or `None` if the conversation is unknown.
    pub fn send(
        &mut self,
        conversation: ConversationId,
        client_id: ClientMsgId,
        draft: Draft,
        now_ms: f64,
    ) -> Option<(Pending, Vec<Reaction>)> {
        self.conversations.get(&conversation)?;
        let pending = Pending {
            conversation,
            client_id,
            text: draft.text,
            queued_ms: now_ms.max(0.0) as u64,
            failed: None,
            sent: false,
            reply_to: draft.reply_to,
            mentions: draft.mentions,
            change: draft.change,
        };
        self.outbox.push(pending.clone());
        self.changes.outbox = true;
        let mut reactions = Vec::new();
        self.pump(&mut reactions);
        Some((pending, reactions))
    }

    /// Puts a refused message back on its way; returns the outbox entry to store and
    /// what to send now.
    pub fn retry(&mut self, client_id: &ClientMsgId) -> Option<(Pending, Vec<Reaction>)> {
        let p = self.outbox.iter_mut().find(|p| &p.client_id == client_id)?;
        p.failed = None;
        p.sent = false;
        let stored = p.clone();
        self.changes.outbox = true;
        let mut reactions = Vec::new();
        self.pump(&mut reactions);
        Some((stored, reactions))
    }

    /// Drops a refused message from the outbox (the user gave up on it); returns
    /// whether it was there.
    pub fn discard(&mut self, client_id: &ClientMsgId) -> bool {
        let before = self.outbox.len();
        self.outbox
            .retain(|p| !(&p.client_id == client_id && p.failed.is_some()));
        self.changes.outbox |= self.outbox.len() < before;
        self.outbox.len() < before
    }

    /// The user's unacknowledged texts in a conversation, oldest first (changes
    /// show in the messages they change once stored).
    pub fn pending_in(&self, conversation: ConversationId) -> Vec<Pending> {
        self.outbox
            .iter()
            .filter(|p| p.conversation == conversation && p.change.is_none())
            .cloned()
            .collect()
    }
}
