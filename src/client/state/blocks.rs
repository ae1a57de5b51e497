//! The people the user blocks: the server sends nothing of theirs, and what the
//! client had of them before goes when they are blocked (no placeholder). Unblocked,
//! they come back as conversations load again.

use std::collections::BTreeMap;

use super::ChatState;
use crate::protocol::{ConversationId, ConversationKind, UserId, UserInfo};

impl ChatState {
    /// The user blocks exactly these people now (`ready`, `blocked`).
    pub(super) fn set_blocked(&mut self, users: Vec<UserInfo>) {
        let new: BTreeMap<UserId, UserInfo> = users.into_iter().map(|u| (u.id, u)).collect();
        let unblocked = self.blocked.keys().any(|id| !new.contains_key(id));
        for id in new.keys().filter(|id| !self.blocked.contains_key(id)) {
            for c in self.conversations.values_mut() {
                if c.drop_author(*id) {
                    self.changes.messages.insert(c.info.id);
                }
            }
        }
        if unblocked {
            // Their messages were never sent here: each conversation loads again.
            for c in self.conversations.values_mut() {
                c.clear();
                self.changes.messages.insert(c.info.id);
            }
        }
        if new != self.blocked {
            self.blocked = new;
            self.changes.people = true;
        }
    }

    /// Whether the user blocks this person.
    pub fn blocks(&self, user: UserId) -> bool {
        self.blocked.contains_key(&user)
    }

    /// The person the user blocks whose private conversation this is (it is closed).
    pub fn blocked_peer(&self, conversation: ConversationId) -> Option<UserInfo> {
        let me = self.me()?.id;
        let c = self.conversations.get(&conversation)?;
        let ConversationKind::Direct { users } = c.info.kind else {
            return None;
        };
        let peer = if users[0] == me { users[1] } else { users[0] };
        self.blocked.get(&peer).cloned()
    }

    /// The people the user blocks, by nickname.
    pub fn blocked_people(&self) -> Vec<UserInfo> {
        let mut people: Vec<UserInfo> = self.blocked.values().cloned().collect();
        people.sort_by_key(|u| u.nickname.to_lowercase());
        people
    }
}
