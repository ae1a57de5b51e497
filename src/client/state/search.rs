//! The search and its results, and bringing a message into view (a quote or a search
//! result was opened), loading it first if needed.

use super::ChatState;
use crate::protocol::{ClientMsg, ConversationId, Seq};

impl ChatState {
    /// Starts a search; returns the request to send.
    pub fn search(&mut self, query: String, within: Option<ConversationId>) -> ClientMsg {
        self.search = Some((query.clone(), None));
        self.changes.search = true;
        ClientMsg::Search {
            query,
            conversation: within,
        }
    }

    pub fn clear_search(&mut self) {
        self.search = None;
        self.changes.search = true;
    }

    /// Brings message `seq` of a conversation into view: the request that loads it
    /// and everything after it, if it is not loaded yet.
    pub fn jump_to(&mut self, conversation: ConversationId, seq: Seq) -> Option<ClientMsg> {
        let c = self.conversations.get(&conversation)?;
        self.jump = Some((conversation, seq));
        self.changes.messages.insert(conversation);
        if c.by_seq(seq).is_some() {
            return None;
        }
        let first = c.messages.first().map(|m| m.seq);
        if first.is_some_and(|first| first < seq) {
            return None; // between known messages: a change's number, or not shown
        }
        Some(ClientMsg::History {
            conversation,
            before: first,
            from: Some(seq),
        })
    }

    /// The message to bring into view in `conversation`, once it is loaded; it is
    /// then taken (brought into view once).
    pub fn take_jump(&mut self, conversation: ConversationId) -> Option<Seq> {
        match self.jump {
            Some((c, seq)) if c == conversation => {
                let loaded = self
                    .conversations
                    .get(&c)
                    .is_some_and(|c| c.by_seq(seq).is_some());
                loaded.then(|| {
                    self.jump = None;
                    seq
                })
            }
            _ => None,
        }
    }
}
