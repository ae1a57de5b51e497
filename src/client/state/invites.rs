//! What the client knows of private rooms and invite links: which rooms are private,
//! the links of a room whose moderator opened them, and an invite the user followed
//! (taken off the address, sent once signed in, and the room opened once accepted).

use super::{ChatState, Reaction};
use crate::protocol::{ClientMsg, ConversationId, ConversationKind, InviteInfo, ServerMsg};

/// A room's live invite links, as the server last listed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteView {
    pub conversation: ConversationId,
    /// `None` until the server has answered.
    pub invites: Option<Vec<InviteInfo>>,
}

impl ChatState {
    /// Applies a message about privacy or invites.
    pub(super) fn invites(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Privacy {
                conversation,
                private,
            } => {
                let member = match self.conversations.get_mut(&conversation) {
                    Some(c) => {
                        if let ConversationKind::Room { private: p, .. } = &mut c.info.kind {
                            *p = private;
                        }
                        true
                    }
                    None => false,
                };
                if member {
                    if let Some(room) = self.rooms.get_mut(&conversation) {
                        room.private = private;
                    }
                } else if private {
                    self.rooms.remove(&conversation);
                }
            }
            ServerMsg::Invites {
                conversation,
                invites,
            } => {
                if let Some(view) = &mut self.invite_view {
                    if view.conversation == conversation {
                        view.invites = Some(invites);
                    }
                }
            }
            ServerMsg::InviteAccepted { name, .. } => {
                self.invited_to = Some(name);
            }
            _ => {}
        }
    }

    /// An invite link the user followed (the page's address had it, at load or when
    /// a link was opened in a tab already showing the chat). With a session on a live
    /// link the join goes out now (returned); else it waits for the next `ready`.
    pub fn follow_invite(&mut self, code: String, connected: bool) -> Option<ClientMsg> {
        if connected && self.me().is_some() {
            return Some(ClientMsg::JoinInvite { code });
        }
        self.pending_invite = Some(code);
        self.changes.session = true;
        None
    }

    /// At `ready`: the invite waiting for a session goes out.
    pub(super) fn send_pending_invite(&mut self, reactions: &mut Vec<Reaction>) {
        if let Some(code) = self.pending_invite.take() {
            reactions.push(Reaction::Send(vec![ClientMsg::JoinInvite { code }]));
        }
    }

    /// The room an accepted invite let the user into, once (the view opens it).
    pub fn take_invited_to(&mut self) -> Option<String> {
        self.invited_to.take()
    }

    /// Whether the conversation is a private room.
    pub fn is_private(&self, conversation: ConversationId) -> bool {
        self.conversations
            .get(&conversation)
            .is_some_and(|c| matches!(c.info.kind, ConversationKind::Room { private: true, .. }))
    }

    /// The invite links of a room are asked for anew, or closed.
    pub fn open_invites(&mut self, conversation: Option<ConversationId>) {
        self.invite_view = conversation.map(|conversation| InviteView {
            conversation,
            invites: None,
        });
        self.changes.moderation = true;
    }
}
