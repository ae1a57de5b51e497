//! What the browser keeps of a session between page loads, and the state made again
//! from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Changes, ChatState, Conversation, Pending, Session};
use crate::protocol::{
    ChatMessage, ConversationId, ConversationInfo, RoomInfo, UserInfo, HISTORY_PAGE,
};

/// What the browser keeps of a session between page loads (besides the token and
/// the outbox): enough to show the chat, its newest messages and the cursors
/// while offline, and to resume without reloading what was already shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub me: UserInfo,
    pub users: Vec<UserInfo>,
    pub rooms: Vec<RoomInfo>,
    pub conversations: Vec<SavedConversation>,
    /// The people the user blocks (so that a `ready` that no longer lists one is
    /// seen as an unblock).
    #[serde(default)]
    pub blocked: Vec<UserInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedConversation {
    pub info: ConversationInfo,
    /// The newest messages known, consecutive (at most a page).
    pub messages: Vec<ChatMessage>,
}

impl ChatState {
    /// What to keep in browser storage; `None` without a session.
    pub fn saved(&self) -> Option<Saved> {
        let me = self.me()?.clone();
        let page = HISTORY_PAGE as usize;
        Some(Saved {
            me,
            users: self.users.values().cloned().collect(),
            rooms: self.rooms.values().cloned().collect(),
            conversations: self
                .conversations
                .values()
                .map(|c| SavedConversation {
                    info: c.info.clone(),
                    messages: c.messages[c.messages.len().saturating_sub(page)..].to_vec(),
                })
                .collect(),
            blocked: self.blocked.values().cloned().collect(),
        })
    }

    /// The state of a page load before the server has answered: the saved session
    /// and the stored outbox (only the entries of the saved user's conversations).
    /// What the page itself brought (an invite link it was opened with) is kept.
    pub fn restore(&mut self, saved: Saved, mut outbox: Vec<Pending>) {
        let conversations: BTreeMap<ConversationId, Conversation> = saved
            .conversations
            .into_iter()
            .map(|s| {
                let mut c = Conversation::new(s.info);
                for m in s.messages {
                    c.insert(m);
                }
                c.loaded = !c.messages.is_empty();
                (c.info.id, c)
            })
            .collect();
        outbox.retain(|p| conversations.contains_key(&p.conversation));
        outbox.sort_by(|a, b| (a.queued_ms, &a.client_id).cmp(&(b.queued_ms, &b.client_id)));
        *self = Self {
            pending_invite: self.pending_invite.take(),
            session: Session::Ready(saved.me),
            // Until the server tells: those known to be online.
            online_count: saved.users.iter().filter(|u| u.online).count() as u32,
            users: saved.users.into_iter().map(|u| (u.id, u)).collect(),
            rooms: saved.rooms.into_iter().map(|r| (r.id, r)).collect(),
            blocked: saved.blocked.into_iter().map(|u| (u.id, u)).collect(),
            conversations,
            outbox,
            changes: Changes {
                all: true,
                ..Changes::default()
            },
            ..Self::default()
        };
    }
}
