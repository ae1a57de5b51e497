//! Private rooms and invite links: the owner switches a room's privacy; its moderators
//! make, list and revoke links; anyone signed in follows one. A private room is kept
//! off everyone's list but its members' (here and, through the bus, on every server);
//! joining it by name is refused like any name that cannot be had.

use crate::{
    protocol::{
        AuditEntry, ConversationId, ErrorCode, InviteInfo, ServerMsg, INVITE_CODE_LEN,
        INVITE_MAX_S, INVITE_MAX_USES,
    },
    server::{
        bus::Event,
        store::{
            invites::{InviteUse, NewInvite, RoomSetting},
            Joining,
        },
        unix_millis,
    },
};

use super::{encode, internal, refuse, ConnId, Refusal, State, UserRow};

/// A new invite code: [`INVITE_CODE_LEN`] random characters of base64url's alphabet
/// (132 bits).
fn new_code() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..INVITE_CODE_LEN)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn invalid_invite() -> Refusal {
    refuse(
        ErrorCode::InvalidInvite,
        "This invite link does not work: it has expired, been used up or been revoked.",
    )
}

/// The refusal of a private room's name to a non-member.
pub(super) fn room_unavailable() -> Refusal {
    refuse(
        ErrorCode::RoomUnavailable,
        "There is no room of that name you can join; pick another name.",
    )
}

impl State {
    /// The owner (allowed already) makes the room private or public.
    pub(super) fn set_private(
        &mut self,
        conn: ConnId,
        actor: &UserRow,
        room: ConversationId,
        private: bool,
    ) -> Result<(), Refusal> {
        if self.general() == Some(room) {
            return Err(refuse(
                ErrorCode::NotAllowed,
                "General is open to everyone.",
            ));
        }
        if self.conversations.is_private(room) == private {
            return Ok(());
        }
        let (store, actor) = (self.store.clone(), actor.id);
        self.spawn_io(
            conn,
            async move {
                let setting = RoomSetting::Private(private);
                store
                    .set_room_setting(room, actor, setting, unix_millis())
                    .await
            },
            move |state, done| {
                // `None`: it was so already in storage (switched on another server).
                let entry = done.map_err(internal)?;
                state.bus.publish(Event::Privacy {
                    conversation: room,
                    private,
                    entry: entry.clone(),
                });
                state.privacy_changed(room, private, entry);
                Ok(())
            },
        );
        Ok(())
    }

    /// The room is private (or public) now, here or on another server: memory, the
    /// people here, and its moderators the audit entry.
    pub(super) fn privacy_changed(
        &mut self,
        room: ConversationId,
        private: bool,
        entry: Option<AuditEntry>,
    ) {
        if self.conversations.set_private(room, private) {
            tracing::info!(%room, private, "room privacy changed");
            let frame = encode(&ServerMsg::Privacy {
                conversation: room,
                private,
            });
            if private {
                // Whoever had it listed drops it; members mark it.
                self.broadcast(&frame, None, true);
            } else {
                self.fan_out(room, &frame, None, true);
                // Listed again, if it is one of the largest.
                self.room_count_changed(room);
            }
        }
        if let Some(entry) = entry {
            self.tell_audited(room, entry);
        }
    }

    /// A moderator (allowed already) makes an invite link; the room's links follow.
    pub(super) fn create_invite(
        &mut self,
        conn: ConnId,
        actor: &UserRow,
        room: ConversationId,
        expires_in_s: u32,
        max_uses: u32,
    ) -> Result<(), Refusal> {
        if expires_in_s > INVITE_MAX_S || max_uses > INVITE_MAX_USES {
            return Err(refuse(
                ErrorCode::InvalidInvite,
                format!(
                    "An invite lasts at most {} days and allows at most {INVITE_MAX_USES} joins.",
                    INVITE_MAX_S / 86_400
                ),
            ));
        }
        let now = unix_millis();
        let new = NewInvite {
            room,
            by: actor.id,
            code: new_code(),
            now_ms: now,
            expires_at_ms: (expires_in_s > 0).then(|| now + i64::from(expires_in_s) * 1000),
            max_uses: (max_uses > 0).then_some(max_uses),
        };
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move {
                let entry = store.create_invite(new).await?;
                let invites = store.invites(room, now).await?;
                Ok::<_, crate::server::store::Error>((entry, invites))
            },
            move |state, done| {
                let (entry, invites) = done.map_err(internal)?;
                let Some(entry) = entry else {
                    return Err(refuse(
                        ErrorCode::InvalidInvite,
                        "This room has as many live invites as it may: revoke one first.",
                    ));
                };
                state.audited_elsewhere_too(room, entry);
                state.tell_invites(conn, room, invites);
                Ok(())
            },
        );
        Ok(())
    }

    /// A moderator's list of the room's live invite links; after revoking `revoke`.
    pub(super) fn list_invites(
        &mut self,
        conn: ConnId,
        actor: &UserRow,
        room: ConversationId,
        revoke: Option<String>,
    ) -> Result<(), Refusal> {
        let (store, actor) = (self.store.clone(), actor.id);
        self.spawn_io(
            conn,
            async move {
                let now = unix_millis();
                let revoked = match revoke {
                    Some(code) => Some(store.revoke_invite(room, &code, actor, now).await?),
                    None => None,
                };
                let invites = store.invites(room, now).await?;
                Ok::<_, crate::server::store::Error>((revoked, invites))
            },
            move |state, done| {
                let (revoked, invites) = done.map_err(internal)?;
                match revoked {
                    Some(Some(entry)) => state.audited_elsewhere_too(room, entry),
                    Some(None) => {
                        state.tell_invites(conn, room, invites);
                        return Err(invalid_invite());
                    }
                    None => {}
                }
                state.tell_invites(conn, room, invites);
                Ok(())
            },
        );
        Ok(())
    }

    fn tell_invites(&mut self, conn: ConnId, room: ConversationId, invites: Vec<InviteInfo>) {
        let reply = ServerMsg::Invites {
            conversation: room,
            invites,
        };
        self.send_to_conn(conn, &encode(&reply), true);
    }

    /// An audit entry of this server's: to the room's moderators here and elsewhere.
    fn audited_elsewhere_too(&mut self, room: ConversationId, entry: AuditEntry) {
        self.bus.publish(Event::Moderated {
            conversation: room,
            user: entry.actor.id,
            change: crate::server::bus::Sanction::Noted,
            entry: Some(entry.clone()),
        });
        self.tell_audited(room, entry);
    }

    /// Follows an invite link: in storage first (the use is counted there), then the
    /// room is joined as by name.
    pub(super) fn join_invite(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        code: &str,
    ) -> Result<(), Refusal> {
        if !crate::protocol::is_invite_code(code) {
            return Err(invalid_invite());
        }
        let (store, code, user) = (self.store.clone(), code.to_string(), user.clone());
        self.spawn_io(
            conn,
            async move { store.use_invite(&code, user.id, unix_millis()).await },
            move |state, used| {
                let InviteUse::Room {
                    room,
                    name,
                    last_seq,
                    private,
                    joining,
                } = used.map_err(internal)?
                else {
                    return Err(invalid_invite());
                };
                state.conversations.insert_room(room, &name, last_seq);
                state.conversations.set_private(room, private);
                if joining == Joining::Banned {
                    state.conversations.set_banned(room, user.id, true);
                    return Err(super::rooms::banned());
                }
                tracing::info!(%room, user = %user.id, ?joining, "invite followed");
                state.joined_room(room, &user)?;
                let accepted = ServerMsg::InviteAccepted {
                    conversation: room,
                    name,
                };
                state.send_to_conn(conn, &encode(&accepted), true);
                Ok(())
            },
        );
        Ok(())
    }
}
