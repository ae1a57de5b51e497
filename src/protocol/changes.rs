//! A stored message as readers hold it, and how its changes (edits, deletions,
//! reactions, themselves messages) apply to it: one rule for the server's storage and
//! every browser, so all of them end with the same message.

use super::{
    rules::snippet, Author, ChatMessage, ClientMsg, ClientMsgId, ConversationId, MessageBody,
    MessageId, Quote, Reaction, Reactor, Seq, UserId,
};

impl ChatMessage {
    /// A new message as it is first stored: no reply, mention or change yet.
    pub fn new(
        id: MessageId,
        conversation: ConversationId,
        seq: Seq,
        author: Author,
        sent_at_ms: i64,
        body: MessageBody,
        client_id: Option<ClientMsgId>,
    ) -> Self {
        Self {
            id,
            conversation,
            seq,
            author,
            sent_at_ms,
            body,
            client_id,
            reply_to: None,
            mentions: Vec::new(),
            edited_at_ms: None,
            deleted: false,
            removed: false,
            reactions: Vec::new(),
            revision: 0,
        }
    }

    /// The message a change (edit, deletion, reaction) applies to.
    pub fn target(&self) -> Option<Seq> {
        match self.body {
            MessageBody::Edited { target, .. }
            | MessageBody::Deleted { target }
            | MessageBody::Removed { target }
            | MessageBody::Reacted { target, .. } => Some(target),
            MessageBody::Text { .. } | MessageBody::Joined | MessageBody::Left => None,
            MessageBody::Kicked | MessageBody::Banned => None,
        }
    }

    /// A system line (joined, left, removed, banned) rather than something written.
    pub fn is_system_line(&self) -> bool {
        matches!(
            self.body,
            MessageBody::Joined | MessageBody::Left | MessageBody::Kicked | MessageBody::Banned
        )
    }

    /// Whether it counts as unread for a member who is not its author: text, not a
    /// join/leave line or a change.
    pub fn counts_as_unread(&self) -> bool {
        matches!(self.body, MessageBody::Text { .. }) && !self.deleted
    }

    /// What a reply to this message quotes of it: a text that is not deleted.
    pub fn quote(&self) -> Option<Quote> {
        match &self.body {
            MessageBody::Text { text } if !self.deleted => Some(Quote {
                seq: self.seq,
                author: self.author.id,
                nickname: self.author.nickname.clone(),
                snippet: snippet(text),
                deleted: false,
            }),
            _ => None,
        }
    }

    /// Applies `change` (a message whose [`target`](Self::target) is this one) unless
    /// this state already includes it; the same rules on the server and in browsers,
    /// so every reader ends with the same message. Returns whether anything changed.
    pub fn apply(&mut self, change: &ChatMessage) -> bool {
        if change.target() != Some(self.seq)
            || change.conversation != self.conversation
            || change.seq <= self.revision
            || self.deleted
            || !matches!(self.body, MessageBody::Text { .. })
        {
            return false;
        }
        match &change.body {
            MessageBody::Edited { text, .. } => {
                if change.author.id != self.author.id {
                    return false;
                }
                self.body = MessageBody::Text { text: text.clone() };
                self.mentions = change.mentions.clone();
                self.edited_at_ms = Some(change.sent_at_ms);
            }
            MessageBody::Deleted { .. } | MessageBody::Removed { .. } => {
                // Only its author deletes a message; a removal is stored only when the
                // server found its author (a moderator) allowed to make it.
                let removal = matches!(change.body, MessageBody::Removed { .. });
                if change.author.id != self.author.id && !removal {
                    return false;
                }
                self.body = MessageBody::Text {
                    text: String::new(),
                };
                self.mentions.clear();
                self.reactions.clear();
                self.deleted = true;
                self.removed = removal;
            }
            MessageBody::Reacted { emoji, on, .. } => {
                let reactor = Reactor {
                    id: change.author.id,
                    nickname: change.author.nickname.clone(),
                };
                let at = self.reactions.iter().position(|r| r.emoji == *emoji);
                match (at, on) {
                    (Some(i), true) => {
                        if !self.reactions[i].users.iter().any(|u| u.id == reactor.id) {
                            self.reactions[i].users.push(reactor);
                        }
                    }
                    (None, true) => self.reactions.push(Reaction {
                        emoji: emoji.clone(),
                        users: vec![reactor],
                    }),
                    (Some(i), false) => {
                        self.reactions[i].users.retain(|u| u.id != reactor.id);
                        if self.reactions[i].users.is_empty() {
                            self.reactions.remove(i);
                        }
                    }
                    (None, false) => {}
                }
            }
            MessageBody::Text { .. }
            | MessageBody::Joined
            | MessageBody::Left
            | MessageBody::Kicked
            | MessageBody::Banned => return false,
        }
        self.revision = change.seq;
        true
    }
}

/// A text or a change as a client asked for it (`send`, `edit`, `delete`, `react`):
/// the body it is stored with, the message a text answers, the people it mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub conversation: ConversationId,
    pub client_id: ClientMsgId,
    pub body: MessageBody,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
}

impl Draft {
    /// The message this draft names: the one it answers or changes.
    pub fn names(&self) -> Option<Seq> {
        match self.body {
            MessageBody::Edited { target, .. }
            | MessageBody::Deleted { target }
            | MessageBody::Removed { target }
            | MessageBody::Reacted { target, .. } => Some(target),
            _ => self.reply_to,
        }
    }
}

impl ClientMsg {
    /// The draft of a `send`, `edit`, `delete` or `react`; any other request as it was.
    pub fn into_draft(self) -> Result<Draft, ClientMsg> {
        let (conversation, client_id, body, reply_to, mentions) = match self {
            ClientMsg::Send {
                conversation,
                client_id,
                text,
                reply_to,
                mentions,
            } => (
                conversation,
                client_id,
                MessageBody::Text { text },
                reply_to,
                mentions,
            ),
            ClientMsg::Edit {
                conversation,
                client_id,
                seq,
                text,
                mentions,
            } => (
                conversation,
                client_id,
                MessageBody::Edited { target: seq, text },
                None,
                mentions,
            ),
            ClientMsg::Delete {
                conversation,
                client_id,
                seq,
            } => (
                conversation,
                client_id,
                MessageBody::Deleted { target: seq },
                None,
                Vec::new(),
            ),
            ClientMsg::React {
                conversation,
                client_id,
                seq,
                emoji,
                on,
            } => (
                conversation,
                client_id,
                MessageBody::Reacted {
                    target: seq,
                    emoji,
                    on,
                },
                None,
                Vec::new(),
            ),
            other => return Err(other),
        };
        Ok(Draft {
            conversation,
            client_id,
            body,
            reply_to,
            mentions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: Seq, author: i64, body: MessageBody) -> ChatMessage {
        let author = Author {
            id: UserId(author),
            nickname: format!("u{author}"),
            avatar: "fox".into(),
        };
        ChatMessage::new(
            MessageId(seq as i64),
            ConversationId(1),
            seq,
            author,
            seq as i64,
            body,
            None,
        )
    }

    #[test]
    fn changes_apply_once_in_order_and_only_as_allowed() {
        let text = |t: &str| MessageBody::Text { text: t.into() };
        let mut m = at(1, 7, text("helo"));
        // Someone else cannot edit or delete it.
        assert!(!m.apply(&at(
            2,
            8,
            MessageBody::Edited {
                target: 1,
                text: "x".into()
            }
        )));
        assert!(!m.apply(&at(2, 8, MessageBody::Deleted { target: 1 })));
        // A change of another message does nothing.
        assert!(!m.apply(&at(
            2,
            7,
            MessageBody::Edited {
                target: 9,
                text: "x".into()
            }
        )));
        let edit = at(
            3,
            7,
            MessageBody::Edited {
                target: 1,
                text: "hello".into(),
            },
        );
        assert!(m.apply(&edit));
        assert_eq!(
            (m.body.clone(), m.edited_at_ms, m.revision),
            (text("hello"), Some(3), 3)
        );
        // Applied again (a replay, a second tab): nothing.
        assert!(!m.apply(&edit));
        let react = |seq, who, on| {
            at(
                seq,
                who,
                MessageBody::Reacted {
                    target: 1,
                    emoji: "👍".into(),
                    on,
                },
            )
        };
        assert!(m.apply(&react(4, 8, true)));
        assert!(m.apply(&react(5, 9, true)));
        assert!(!m.apply(&react(5, 9, true)), "the same change twice");
        assert!(
            m.apply(&react(6, 8, true)),
            "set semantics: already there, still a change"
        );
        assert_eq!(m.reactions[0].users.len(), 2);
        assert!(m.apply(&react(7, 8, false)));
        assert_eq!(
            m.reactions[0].users,
            vec![Reactor {
                id: UserId(9),
                nickname: "u9".into()
            }]
        );
        assert!(m.apply(&react(8, 9, false)));
        assert!(m.reactions.is_empty());
        // An older change arriving late is already in.
        assert!(!m.apply(&react(2, 8, true)));
        assert!(m.apply(&at(9, 7, MessageBody::Deleted { target: 1 })));
        assert!(m.deleted && m.reactions.is_empty() && m.body == text(""));
        assert!(
            !m.apply(&react(10, 8, true)),
            "a deleted message takes no reaction"
        );
        assert!(!m.apply(&at(
            11,
            7,
            MessageBody::Edited {
                target: 1,
                text: "back".into()
            }
        )));
        // System lines take no change.
        let mut line = at(1, 7, MessageBody::Joined);
        assert!(!line.apply(&react(2, 8, true)));
    }

    #[test]
    fn a_moderator_removes_someone_elses_message_a_member_cannot_delete_it() {
        let mut m = at(
            1,
            7,
            MessageBody::Text {
                text: "spam".into(),
            },
        );
        assert!(!m.apply(&at(2, 8, MessageBody::Deleted { target: 1 })));
        assert!(!m.deleted);
        assert!(m.apply(&at(3, 8, MessageBody::Removed { target: 1 })));
        assert!(m.deleted && m.removed);
        assert_eq!(m.body, MessageBody::Text { text: "".into() });
        assert!(
            !m.apply(&at(4, 8, MessageBody::Removed { target: 1 })),
            "once"
        );
        assert!(at(5, 7, MessageBody::Kicked).is_system_line());
    }
}
