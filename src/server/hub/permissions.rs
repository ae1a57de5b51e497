//! Who may do what: the one check every request of a signed-in user passes through
//! before it is served ([`State::authorize`], called by `requests.rs`), from what the
//! request needs ([`need_of`]) and the user's role in the room ([`State::role_in`]).
//!
//! The rules: a conversation's requests need its membership; writing (sending,
//! replying, editing, reacting, typing) needs no timeout in force, and in a private
//! conversation no block between its two people (opening one too); moderating needs
//! a moderator's role or above, over someone of a lower role only (invite links
//! too); a room's privacy is its owner's; a role is given only below one's own, but
//! the owner hands the room over. Instance admins are above
//! everyone, in every room, member or not.

use crate::protocol::{ClientMsg, ConversationId, ErrorCode, Role, ServerMsg, UserId};

use super::{refuse, Refusal, State};

/// What a request needs of its user, besides a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Nothing more (or its handler checks what it is about: a room by name, a user).
    Session,
    /// Membership of the conversation.
    Member(ConversationId),
    /// Membership, and no timeout in force there (nor a block between the two people
    /// of a private conversation).
    Writer(ConversationId),
    /// A private conversation with this user: no block between the two.
    Peer(UserId),
    /// A moderator's role in the room (or above).
    Moderator(ConversationId),
    /// The room's owner's (or an admin's).
    Owner(ConversationId),
    /// A moderator's role in the room, above that of this user.
    Over(ConversationId, UserId),
    /// Giving this user this role in the room.
    Grant(ConversationId, UserId, Role),
    /// An instance admin's, over this user (not an admin).
    Admin(UserId),
    /// An instance admin's.
    Instance,
}

/// What `msg` needs of its user.
pub(super) fn need_of(msg: &ClientMsg) -> Need {
    match *msg {
        ClientMsg::Send { conversation, .. }
        | ClientMsg::Edit { conversation, .. }
        | ClientMsg::React { conversation, .. }
        | ClientMsg::Typing { conversation } => Need::Writer(conversation),
        // Deleting one's own message is allowed in a timeout; someone else's is a
        // moderator's removal, checked once the message's author is known
        // ([`State::may_act_on`]).
        ClientMsg::Delete { conversation, .. }
        | ClientMsg::History { conversation, .. }
        | ClientMsg::Members { conversation }
        | ClientMsg::MarkRead { conversation, .. }
        | ClientMsg::Search {
            conversation: Some(conversation),
            ..
        } => Need::Member(conversation),
        ClientMsg::Kick { conversation, user }
        | ClientMsg::Ban {
            conversation, user, ..
        }
        | ClientMsg::Unban { conversation, user }
        | ClientMsg::Timeout {
            conversation, user, ..
        } => Need::Over(conversation, user),
        ClientMsg::AuditLog { conversation, .. }
        | ClientMsg::CreateInvite { conversation, .. }
        | ClientMsg::Invites { conversation }
        | ClientMsg::RevokeInvite { conversation, .. }
        | ClientMsg::SetSlowMode { conversation, .. } => Need::Moderator(conversation),
        ClientMsg::SetPrivate { conversation, .. } => Need::Owner(conversation),
        ClientMsg::BanFromServer { user } => Need::Admin(user),
        ClientMsg::OpenDirect { user } => Need::Peer(user),
        ClientMsg::Report { conversation, .. } => Need::Member(conversation),
        ClientMsg::Reports {
            conversation: Some(conversation),
        } => Need::Moderator(conversation),
        ClientMsg::Reports { conversation: None } => Need::Instance,
        // Its room is read first; then [`Need::Moderator`] of it.
        ClientMsg::HandleReport { .. } => Need::Session,
        ClientMsg::SetRole {
            conversation,
            user,
            role,
        } => Need::Grant(conversation, user, role),
        _ => Need::Session,
    }
}

fn not_allowed(message: impl Into<String>) -> Refusal {
    refuse(ErrorCode::NotAllowed, message)
}

impl State {
    /// The user's role in the room: an admin's anywhere, the room's while a member.
    pub(super) fn role_in(&self, room: ConversationId, user: UserId) -> Role {
        if self.admins.contains(&user) {
            Role::Admin
        } else if self.conversations.is_member(room, user) {
            self.conversations.role(room, user)
        } else {
            Role::Member
        }
    }

    /// Whether `user` may make the request that needs `need`.
    pub(super) fn authorize(&self, user: UserId, need: Need) -> Result<(), Refusal> {
        match need {
            Need::Session => Ok(()),
            Need::Member(conversation) => self.require_member(conversation, user),
            Need::Writer(conversation) => {
                self.require_member(conversation, user)?;
                let now = crate::server::unix_millis();
                match self.conversations.timed_out_until(conversation, user, now) {
                    Some(until) => Err(Refusal(Box::new(ServerMsg::Error {
                        code: ErrorCode::TimedOut,
                        message: "A moderator has timed you out here; you can read, not write."
                            .into(),
                        retry_after_ms: Some((until - now).max(0) as u64),
                        client_id: None,
                    }))),
                    None => match self.conversations.direct_peer(conversation, user) {
                        Some(peer) => self.authorize(user, Need::Peer(peer)),
                        None => Ok(()),
                    },
                }
            }
            Need::Peer(peer) if self.blocks.between(user, peer) => Err(refuse(
                ErrorCode::DirectClosed,
                "No private messages can pass between you and this person.",
            )),
            Need::Peer(_) => Ok(()),
            Need::Moderator(room) => self.require_moderator(room, user).map(|_| ()),
            Need::Owner(room) => match self.require_moderator(room, user)? {
                Role::Owner | Role::Admin => Ok(()),
                _ => Err(not_allowed(
                    "Only the room's owner (or an admin) can do that.",
                )),
            },
            Need::Over(room, target) => self.may_act_on(room, user, target),
            Need::Grant(room, target, role) => self.may_grant(room, user, target, role),
            Need::Instance if self.admins.contains(&user) => Ok(()),
            Need::Instance => Err(not_allowed("Only an instance admin can do that.")),
            Need::Admin(target) => {
                if !self.admins.contains(&user) {
                    Err(not_allowed("Only an instance admin can do that."))
                } else if target == user || self.admins.contains(&target) {
                    Err(not_allowed("Admins do not ban themselves or each other."))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The user's role in a room where they moderate.
    fn require_moderator(&self, room: ConversationId, user: UserId) -> Result<Role, Refusal> {
        if !self.conversations.is_room(room) {
            return Err(refuse(
                ErrorCode::NoSuchConversation,
                "There is no such room.",
            ));
        }
        let role = self.role_in(room, user);
        if role.moderates() {
            Ok(role)
        } else if self.conversations.is_member(room, user) {
            Err(not_allowed("Only the room's moderators can do that."))
        } else {
            Err(refuse(
                ErrorCode::NotAMember,
                "You are not a member of this conversation.",
            ))
        }
    }

    /// Whether `actor` may moderate `target` in the room: a moderator (or above) over
    /// a lower role.
    pub(super) fn may_act_on(
        &self,
        room: ConversationId,
        actor: UserId,
        target: UserId,
    ) -> Result<(), Refusal> {
        let role = self.require_moderator(room, actor)?;
        if actor == target {
            return Err(not_allowed("You cannot do that to yourself."));
        }
        if self.role_in(room, target) >= role {
            return Err(not_allowed(
                "They have a role as high as yours here, or higher.",
            ));
        }
        Ok(())
    }

    /// Whether `actor` may give `target` the room role `role`.
    fn may_grant(
        &self,
        room: ConversationId,
        actor: UserId,
        target: UserId,
        role: Role,
    ) -> Result<(), Refusal> {
        self.may_act_on(room, actor, target)?;
        if !self.conversations.is_member(room, target) {
            return Err(refuse(
                ErrorCode::NotAMember,
                "Only a member of the room can have a role in it.",
            ));
        }
        let own = self.role_in(room, actor);
        let allowed = match role {
            Role::Admin => false,
            // The owner hands the room over (an admin may too); `general` has none.
            Role::Owner => own >= Role::Owner && self.general() != Some(room),
            Role::Moderator | Role::Member => own > Role::Moderator,
        };
        if allowed {
            Ok(())
        } else if role == Role::Admin {
            Err(not_allowed("Instance admins are named by the operator."))
        } else {
            Err(not_allowed(
                "Only the room's owner (or an admin) gives roles in it.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientMsgId;

    #[test]
    fn every_conversation_request_names_what_it_needs() {
        let c = ConversationId(4);
        let u = UserId(9);
        let send = ClientMsg::Send {
            conversation: c,
            client_id: ClientMsgId("x".into()),
            text: "t".into(),
            reply_to: None,
            mentions: vec![],
        };
        assert_eq!(need_of(&send), Need::Writer(c));
        assert_eq!(
            need_of(&ClientMsg::Typing { conversation: c }),
            Need::Writer(c)
        );
        assert_eq!(
            need_of(&ClientMsg::Members { conversation: c }),
            Need::Member(c)
        );
        assert_eq!(
            need_of(&ClientMsg::Ban {
                conversation: c,
                user: u,
                remove_last_s: 0
            }),
            Need::Over(c, u)
        );
        assert_eq!(
            need_of(&ClientMsg::AuditLog {
                conversation: c,
                before: None
            }),
            Need::Moderator(c)
        );
        assert_eq!(
            need_of(&ClientMsg::SetPrivate {
                conversation: c,
                private: true
            }),
            Need::Owner(c)
        );
        assert_eq!(
            need_of(&ClientMsg::CreateInvite {
                conversation: c,
                expires_in_s: 0,
                max_uses: 1
            }),
            Need::Moderator(c)
        );
        assert_eq!(
            need_of(&ClientMsg::JoinInvite { code: "x".into() }),
            Need::Session,
            "an invite is for those who are not members"
        );
        assert_eq!(
            need_of(&ClientMsg::Search {
                query: "q".into(),
                conversation: None
            }),
            Need::Session,
            "storage searches the user's own conversations only"
        );
    }
}
