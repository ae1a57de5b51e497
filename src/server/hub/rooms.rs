//! Rooms and private conversations: join (creating the room), leave, open a private
//! conversation. Storage first, then the hub's memory, then the people concerned.

use crate::{
    protocol::{
        validate_room_name, Author, ConversationId, ErrorCode, MessageBody, Removal, ServerMsg,
        UserId, MEMBERS_LISTED,
    },
    server::{
        bus::{Event, Sanction},
        unix_millis,
    },
};

/// A user as the bus carries them.
pub(super) fn author(user: &UserRow) -> Author {
    Author {
        id: user.id,
        nickname: user.nickname.clone(),
        avatar: user.avatar.clone(),
    }
}

use super::{encode, internal, presence::user_info, refuse, ConnId, Refusal, State, UserRow};
use crate::{protocol::Role, server::store::Joining};

pub(super) fn banned() -> Refusal {
    refuse(ErrorCode::Banned, "You are banned from this room.")
}

impl State {
    /// Who is in a conversation (the user is in it): ids from memory, names from storage
    /// (off the hub's task), at most [`MEMBERS_LISTED`].
    pub(super) fn list_members(
        &mut self,
        conn: ConnId,
        conversation: ConversationId,
    ) -> Result<(), Refusal> {
        let mut ids: Vec<UserId> = self.conversations.members(conversation).collect();
        ids.sort_unstable();
        let more = ids.len().saturating_sub(MEMBERS_LISTED);
        ids.truncate(MEMBERS_LISTED);
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.users(&ids).await },
            move |state, found| {
                let mut users: Vec<Author> = found.map_err(internal)?.iter().map(author).collect();
                users.sort_by_key(|u| u.id);
                let reply = ServerMsg::Members {
                    conversation,
                    users,
                    more: u32::try_from(more).unwrap_or(u32::MAX),
                };
                state.send_to_conn(conn, &encode(&reply), true);
                Ok(())
            },
        );
        Ok(())
    }

    pub(super) fn join_room(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        name: &str,
    ) -> Result<(), Refusal> {
        validate_room_name(name)?;
        if let Some(room) = self.conversations.room_by_name(name) {
            if self.conversations.is_member(room, user.id) {
                return Ok(());
            }
            if self.conversations.is_banned(room, user.id) {
                return Err(banned());
            }
            if self.conversations.is_private(room) {
                return Err(super::invites::room_unavailable());
            }
        }
        let (store, name, user) = (self.store.clone(), name.to_string(), user.clone());
        let now = unix_millis();
        let room_name = name.clone();
        self.spawn_io(
            conn,
            async move {
                let (room, created, joining) = store.join_room(&room_name, user.id, now).await?;
                let last_seq = store.last_seq(room).await?.unwrap_or_default();
                Ok::<_, crate::server::store::Error>((room, created, joining, last_seq))
            },
            move |state, joined| {
                let (room, created, joining, last_seq) = joined.map_err(internal)?;
                state.conversations.insert_room(room, &name, last_seq);
                match joining {
                    Joining::Banned => {
                        state.conversations.set_banned(room, user.id, true);
                        return Err(banned());
                    }
                    Joining::Private => {
                        state.conversations.set_private(room, true);
                        return Err(super::invites::room_unavailable());
                    }
                    Joining::New | Joining::Already => {}
                }
                let joined = state.joined_room(room, &user);
                if created {
                    tracing::info!(room = %name, "room created");
                    // After its join: another server learns of the room from that.
                    state.sanction(room, user.id, Sanction::Role { role: Role::Owner });
                    state.bus.publish(Event::Moderated {
                        conversation: room,
                        user: user.id,
                        change: Sanction::Role { role: Role::Owner },
                        entry: None,
                    });
                }
                joined
            },
        );
        Ok(())
    }

    /// Makes `user` a member of the room (already so in storage): tells their tabs,
    /// posts the join line, and after it tells everyone the new member count. Nothing
    /// happens if they already were one.
    pub(super) fn joined_room(
        &mut self,
        room: ConversationId,
        user: &UserRow,
    ) -> Result<(), Refusal> {
        if !self.conversations.add_member(room, user.id) {
            return Ok(());
        }
        self.publish_joined(room, user.id);
        self.tell_joined(room, user.id);
        self.post_system_line(room, user, MessageBody::Joined)
    }

    pub(super) fn leave_room(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        room: ConversationId,
    ) -> Result<(), Refusal> {
        if !self.conversations.is_room(room) {
            return Err(refuse(
                ErrorCode::NoSuchConversation,
                "There is no such room.",
            ));
        }
        if self.general() == Some(room) {
            return Err(refuse(ErrorCode::CannotLeave, "Everyone stays in general."));
        }
        self.require_member(room, user.id)?;
        let (store, user) = (self.store.clone(), user.clone());
        let user_id = user.id;
        self.spawn_io(
            conn,
            async move { store.remove_member(room, user_id).await },
            move |state, removed| {
                removed.map_err(internal)?;
                state.out_of_room(room, &user, None)
            },
        );
        Ok(())
    }

    /// `user` is no longer a member of the room (in storage already): left, or
    /// `removed` by a moderator. Their tabs and the other servers are told, and the
    /// room gets its system line. Nothing happens if they were not a member here.
    pub(super) fn out_of_room(
        &mut self,
        room: ConversationId,
        user: &UserRow,
        removed: Option<Removal>,
    ) -> Result<(), Refusal> {
        if !self.conversations.remove_member(room, user.id) {
            return Ok(());
        }
        self.bus.publish(Event::Left {
            conversation: room,
            user: user.id,
            removed,
        });
        let left = ServerMsg::Left {
            conversation: room,
            removed,
        };
        self.send_to_user(user.id, &encode(&left), true);
        let line = match removed {
            None => MessageBody::Left,
            Some(Removal::Kicked) => MessageBody::Kicked,
            Some(Removal::Banned) => MessageBody::Banned,
        };
        self.post_system_line(room, user, line)
    }

    pub(super) fn open_direct(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        peer: UserId,
    ) -> Result<(), Refusal> {
        if peer == user.id {
            return Err(refuse(
                ErrorCode::NoSuchUser,
                "Pick someone other than yourself.",
            ));
        }
        if let Some(conversation) = self.conversations.direct_between(user.id, peer) {
            // The opener's tabs learn of it again; the peer knows already.
            self.tell_joined(conversation, user.id);
            return Ok(());
        }
        let (store, user) = (self.store.clone(), user.clone());
        let user_id = user.id;
        self.spawn_io(
            conn,
            async move {
                let Some(peer_row) = store.user(peer).await? else {
                    return Ok(None);
                };
                let (conversation, _) = store.ensure_direct(user_id, peer, unix_millis()).await?;
                let last_seq = store.last_seq(conversation).await?.unwrap_or_default();
                Ok::<_, crate::server::store::Error>(Some((conversation, peer_row, last_seq)))
            },
            move |state, opened| {
                let Some((conversation, peer_row, last_seq)) = opened.map_err(internal)? else {
                    return Err(refuse(ErrorCode::NoSuchUser, "There is no such user."));
                };
                let new = state.conversations.direct_between(user.id, peer).is_none();
                state
                    .conversations
                    .insert_direct(conversation, user.id, peer, last_seq);
                // The opener's tabs always learn of it; the peer's once, when it is new.
                state.tell_joined(conversation, user.id);
                if new {
                    state.bus.publish(Event::DirectOpened {
                        conversation,
                        users: [author(&user), author(&peer_row)],
                        last_seq,
                    });
                    state.tell_direct_opened(conversation, &user, &peer_row);
                }
                Ok(())
            },
        );
        Ok(())
    }

    /// Tells the peer's tabs of a new private conversation, and each side about the
    /// other (even when offline).
    pub(super) fn tell_direct_opened(
        &mut self,
        conversation: ConversationId,
        opener: &UserRow,
        peer: &UserRow,
    ) {
        self.tell_joined(conversation, peer.id);
        let online = |id| self.is_online(id);
        let to_opener = encode(&ServerMsg::Presence {
            user: user_info(peer, online(peer.id)),
        });
        let to_peer = encode(&ServerMsg::Presence {
            user: user_info(opener, online(opener.id)),
        });
        self.send_to_user(opener.id, &to_opener, true);
        self.send_to_user(peer.id, &to_peer, true);
    }

    /// Tells the other servers that `user` joined the room.
    pub(super) fn publish_joined(&mut self, room: ConversationId, user: UserId) {
        if let Some(info) = self.conversations.room_info(room) {
            self.bus.publish(Event::Joined {
                conversation: room,
                name: info.name,
                user,
                last_seq: self.conversations.last_seq(room).unwrap_or_default(),
                private: info.private,
            });
        }
    }

    /// Tells every tab of `user` that they are a member of `conversation`.
    pub(super) fn tell_joined(&mut self, conversation: ConversationId, user: UserId) {
        if let Some(info) = self.conversations.info_for(conversation, user) {
            self.send_to_user(
                user,
                &encode(&ServerMsg::Joined { conversation: info }),
                true,
            );
        }
    }
}
