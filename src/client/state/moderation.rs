//! What the client knows of moderation: who moderates each room (and so which
//! actions to offer), the user's own timeouts, a removal from a room, and the audit
//! log a moderator opened. The server decides all of it; this only shows it.

use super::ChatState;
use crate::protocol::{
    AuditEntry, ConversationId, ConversationKind, Removal, Role, ServerMsg, UserId,
};

/// The user was removed from a room: which, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub room: String,
    pub how: Removal,
}

/// A room's audit log, newest first, as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    pub conversation: ConversationId,
    pub entries: Vec<AuditEntry>,
    pub has_more: bool,
}

impl ChatState {
    /// Applies a message about membership or moderation.
    pub(super) fn moderation(&mut self, msg: ServerMsg, now_ms: f64) {
        match msg {
            ServerMsg::Left {
                conversation,
                removed,
            } => {
                let gone = match self.conversations.remove(&conversation) {
                    Some(c) => match c.info.kind {
                        ConversationKind::Room { name, .. } => Some(name),
                        ConversationKind::Direct { .. } => None,
                    },
                    // Removed while this client was away: gone at its `ready`.
                    None => self.gone_rooms.remove(&conversation),
                };
                if let (Some(how), Some(room)) = (removed, gone) {
                    self.removed = Some(Removed { room, how });
                }
                if self.audit.as_ref().map(|a| a.conversation) == Some(conversation) {
                    self.audit = None;
                    self.changes.moderation = true;
                }
            }
            ServerMsg::Staff {
                conversation,
                staff,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.info.staff = staff;
                }
            }
            ServerMsg::TimedOut {
                conversation,
                until_ms,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.info.timed_out_until_ms = (until_ms as f64 > now_ms).then_some(until_ms);
                }
            }
            ServerMsg::SlowMode {
                conversation,
                seconds,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.info.slow_mode_s = seconds;
                }
            }
            ServerMsg::AuditLog {
                conversation,
                entries,
                has_more,
            } => match &mut self.audit {
                // A further page of the log already shown.
                Some(shown) if shown.conversation == conversation && !shown.entries.is_empty() => {
                    let oldest = shown.entries.last().map(|e| e.id);
                    shown.entries.extend(
                        entries
                            .into_iter()
                            .filter(|e| oldest.is_some_and(|o| e.id < o)),
                    );
                    shown.has_more = has_more;
                }
                _ => {
                    self.audit = Some(AuditView {
                        conversation,
                        entries,
                        has_more,
                    })
                }
            },
            ServerMsg::Audited {
                conversation,
                entry,
            } => {
                if let Some(shown) = &mut self.audit {
                    if shown.conversation == conversation
                        && !shown.entries.iter().any(|e| e.id == entry.id)
                    {
                        shown.entries.insert(0, entry);
                    }
                }
            }
            _ => {}
        }
    }

    /// The user's role in a conversation: an admin's anywhere, else the room's.
    pub fn my_role(&self, conversation: ConversationId) -> Role {
        if self.admin {
            return Role::Admin;
        }
        match (self.me(), self.conversations.get(&conversation)) {
            (Some(me), Some(c)) => c.info.staff.role_of(me.id),
            _ => Role::Member,
        }
    }

    /// Whether the user may moderate `target` in the conversation (a room where
    /// their role is a moderator's or above, and above the target's).
    pub fn may_moderate(&self, conversation: ConversationId, target: UserId) -> bool {
        let Some(c) = self.conversations.get(&conversation) else {
            return false;
        };
        let mine = self.my_role(conversation);
        matches!(c.info.kind, ConversationKind::Room { .. })
            && mine.moderates()
            && self.me().is_some_and(|me| me.id != target)
            && c.info.staff.role_of(target) < mine
    }

    /// Until when the user may not write to the conversation (Unix ms), if now.
    pub fn timed_out_until(&self, conversation: ConversationId, now_ms: f64) -> Option<i64> {
        self.conversations
            .get(&conversation)?
            .info
            .timed_out_until_ms
            .filter(|until| *until as f64 > now_ms)
    }

    /// The room's slow mode, if it holds the user (seconds between their messages):
    /// its moderators are not held.
    pub fn slow_mode_for_me(&self, conversation: ConversationId) -> Option<u32> {
        let seconds = self.conversations.get(&conversation)?.info.slow_mode_s;
        (seconds > 0 && !self.my_role(conversation).moderates()).then_some(seconds)
    }

    /// The room's slow mode (seconds between one member's messages; 0: off).
    pub fn slow_mode(&self, conversation: ConversationId) -> u32 {
        self.conversations
            .get(&conversation)
            .map_or(0, |c| c.info.slow_mode_s)
    }

    /// The removal notice was read.
    pub fn dismiss_removed(&mut self) {
        self.removed = None;
        self.changes.session = true;
    }

    /// The audit log is asked for anew (its first page), or closed.
    pub fn open_audit(&mut self, conversation: Option<ConversationId>) {
        self.audit = conversation.map(|conversation| AuditView {
            conversation,
            entries: Vec::new(),
            has_more: false,
        });
        self.changes.moderation = true;
    }
}
