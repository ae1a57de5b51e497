//! What moderators do in a room: kick, ban (perhaps removing the banned user's recent
//! texts), unban, time out, give roles, read the audit log; and what instance admins do
//! on the whole server: ban a user from it. The request was allowed by
//! [`super::permissions`]; here it is stored with its audit entry (one transaction),
//! then the hub's memory, the other servers and the people concerned follow.

use crate::{
    protocol::{
        AuditEntry, AuditId, ConversationId, ErrorCode, MessageBody, Removal, Role, ServerMsg,
        UserId, AUDIT_PAGE, BAN_REMOVE_MAX_S, TIMEOUT_MAX_S,
    },
    server::{
        bus::{Event, Sanction},
        store::moderation::{Act, Moderated, Moderation},
        unix_millis,
    },
};

use super::{encode, internal, refuse, ConnId, Origin, Refusal, State, UserRow};

/// A moderator's request, as the hub carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    Kick,
    /// Removing their texts of the last this many seconds (0: none).
    Ban {
        remove_last_s: u32,
    },
    Unban,
    /// For this many seconds (0: lift it).
    Timeout {
        seconds: u32,
    },
    SetRole(Role),
}

impl Request {
    /// The act to store, its times taken from `now_ms` (and kept within their limits).
    fn act(self, now_ms: i64) -> Act {
        match self {
            Request::Kick => Act::Kick,
            Request::Ban { remove_last_s } => Act::Ban {
                remove_since_ms: (remove_last_s > 0)
                    .then(|| now_ms - i64::from(remove_last_s.min(BAN_REMOVE_MAX_S)) * 1000),
            },
            Request::Unban => Act::Unban,
            Request::Timeout { seconds: 0 } => Act::Timeout { until_ms: 0 },
            Request::Timeout { seconds } => Act::Timeout {
                until_ms: now_ms + i64::from(seconds.min(TIMEOUT_MAX_S)) * 1000,
            },
            Request::SetRole(role) => Act::SetRole(role),
        }
    }
}

impl State {
    /// Carries out a moderator's request (allowed already) on `target` in `room`.
    pub(super) fn moderate(
        &mut self,
        conn: ConnId,
        actor: &UserRow,
        room: ConversationId,
        target: UserId,
        request: Request,
    ) -> Result<(), Refusal> {
        let member = self.conversations.is_member(room, target);
        match request {
            Request::Kick | Request::Ban { .. } if self.general() == Some(room) => {
                return Err(refuse(
                    ErrorCode::CannotLeave,
                    "Everyone stays in general: time them out instead.",
                ));
            }
            Request::Kick | Request::Timeout { .. } | Request::SetRole(_) if !member => {
                return Err(refuse(
                    ErrorCode::NotAMember,
                    "They are not a member of this room.",
                ));
            }
            Request::Unban if !self.conversations.is_banned(room, target) => {
                return Err(refuse(
                    ErrorCode::NoSuchUser,
                    "They are not banned from this room.",
                ));
            }
            _ => {}
        }
        let moderation = Moderation {
            room,
            actor: actor.id,
            target,
            act: request.act(unix_millis()),
            now_ms: unix_millis(),
        };
        let (store, actor) = (self.store.clone(), actor.clone());
        let act = moderation.act.clone();
        self.spawn_io(
            conn,
            async move { store.moderate(moderation).await },
            move |state, done| match done.map_err(internal)? {
                Some(moderated) => state.moderated(room, &actor, &act, moderated),
                None => Err(refuse(ErrorCode::NoSuchUser, "There is no such user.")),
            },
        );
        Ok(())
    }

    /// A moderator's act is stored: memory, the other servers, the people concerned.
    fn moderated(
        &mut self,
        room: ConversationId,
        actor: &UserRow,
        act: &Act,
        done: Moderated,
    ) -> Result<(), Refusal> {
        let target = done.target.id;
        let change = match act {
            Act::Kick => Sanction::Role { role: Role::Member },
            Act::Ban { .. } => Sanction::Banned { on: true },
            Act::Unban => Sanction::Banned { on: false },
            Act::Timeout { until_ms } => Sanction::TimedOut {
                until_ms: *until_ms,
            },
            Act::SetRole(role) => Sanction::Role { role: *role },
        };
        self.sanction(room, target, change);
        self.bus.publish(Event::Moderated {
            conversation: room,
            user: target,
            change,
            entry: Some(done.entry.clone()),
        });
        self.tell_audited(room, done.entry);
        let removal = match act {
            Act::Kick => Some(Removal::Kicked),
            Act::Ban { .. } => Some(Removal::Banned),
            _ => None,
        };
        if let Some(removal) = removal {
            if done.removed_member || self.conversations.is_member(room, target) {
                self.out_of_room(room, &done.target, Some(removal))?;
            }
        }
        // A ban's removals: each a change of its own, by the moderator, like any other.
        for seq in done.to_remove {
            self.store_message(
                room,
                actor,
                MessageBody::Removed { target: seq },
                (None, Vec::new()),
                Origin::Elsewhere,
            )?;
        }
        Ok(())
    }

    /// Applies what a moderator's act (here or on another server) changed of `user` in
    /// the room, and tells those it concerns: the room's members a new staff, the
    /// user a timeout.
    pub(super) fn sanction(&mut self, room: ConversationId, user: UserId, change: Sanction) {
        let staff = self.conversations.staff(room);
        match change {
            Sanction::Role { role } => self.conversations.set_role(room, user, role),
            Sanction::Banned { on } => self.conversations.set_banned(room, user, on),
            Sanction::TimedOut { until_ms } => {
                self.conversations.set_timeout(room, user, until_ms);
                let told = ServerMsg::TimedOut {
                    conversation: room,
                    until_ms,
                };
                self.send_to_user(user, &encode(&told), true);
            }
            Sanction::Noted => {}
        }
        if self.conversations.staff(room) != staff {
            self.tell_staff(room);
        }
    }

    /// Tells the room's members who moderates it now.
    pub(super) fn tell_staff(&mut self, room: ConversationId) {
        let frame = encode(&ServerMsg::Staff {
            conversation: room,
            staff: self.conversations.staff(room),
        });
        self.fan_out(room, &frame, None, true);
    }

    /// Tells the room's moderators here (owner, moderators, admins who are members)
    /// of a new entry of its log.
    pub(super) fn tell_audited(&mut self, room: ConversationId, entry: AuditEntry) {
        let mut staff = self.conversations.moderating_members(room);
        staff.extend(
            self.admins
                .iter()
                .filter(|a| self.conversations.is_member(room, **a))
                .copied(),
        );
        staff.sort_unstable();
        staff.dedup();
        let frame = encode(&ServerMsg::Audited {
            conversation: room,
            entry,
        });
        self.send_to_users(staff, &frame, true);
    }

    /// A page of the room's audit log (the user moderates it).
    pub(super) fn audit_log(
        &mut self,
        conn: ConnId,
        room: ConversationId,
        before: Option<AuditId>,
    ) -> Result<(), Refusal> {
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.audit_log(room, before, AUDIT_PAGE).await },
            move |state, page| {
                let (entries, has_more) = page.map_err(internal)?;
                let reply = ServerMsg::AuditLog {
                    conversation: room,
                    entries,
                    has_more,
                };
                state.send_to_conn(conn, &encode(&reply), true);
                Ok(())
            },
        );
        Ok(())
    }

    /// An instance admin bans `target` from the server: storage ends their sessions
    /// and keeps their name; their tabs close here and on every other server.
    pub(super) fn ban_from_server(
        &mut self,
        conn: ConnId,
        actor: &UserRow,
        target: UserId,
    ) -> Result<(), Refusal> {
        let (store, by) = (self.store.clone(), actor.id);
        self.spawn_io(
            conn,
            async move {
                store
                    .ban_from_server(target, Some(by), true, unix_millis())
                    .await
            },
            move |state, banned| match banned.map_err(internal)? {
                Some(user) => {
                    tracing::warn!(user = %user.id, by = %by, "banned from the server");
                    state.bus.publish(Event::BannedFromServer { user: user.id });
                    state.banned_from_server(user.id);
                    Ok(())
                }
                None => Err(refuse(ErrorCode::NoSuchUser, "There is no such user.")),
            },
        );
        Ok(())
    }

    /// `user` is banned from the server (here, elsewhere, or by the operator): every
    /// tab of theirs here closes.
    pub(super) fn banned_from_server(&mut self, user: UserId) {
        self.server_banned.insert(user);
        self.end_user(user);
    }

    /// The instance admins and the users banned from the server as storage has them
    /// now (read every few seconds: the operator names them with `chat admin`, on any
    /// server or none).
    pub(super) fn admins_read(
        &mut self,
        read: crate::server::store::Result<(Vec<UserId>, Vec<UserId>)>,
    ) {
        match read {
            Ok((admins, banned)) => {
                let admins: std::collections::HashSet<UserId> = admins.into_iter().collect();
                if admins != self.admins {
                    tracing::info!(admins = admins.len(), "instance admins changed");
                    // Their tabs here are told at once (each server tells its own).
                    let named: Vec<UserId> = admins.difference(&self.admins).copied().collect();
                    let unnamed: Vec<UserId> = self.admins.difference(&admins).copied().collect();
                    for (admin, users) in [(true, named), (false, unnamed)] {
                        let frame = encode(&ServerMsg::InstanceAdmin { admin });
                        self.send_to_users(users, &frame, true);
                    }
                    self.admins = admins;
                }
                let banned: std::collections::HashSet<UserId> = banned.into_iter().collect();
                for user in banned.difference(&self.server_banned.clone()) {
                    self.banned_from_server(*user);
                }
                self.server_banned = banned;
            }
            Err(e) => tracing::warn!(error = %e, "could not read the instance admins"),
        }
    }

    /// Reads the instance admins every [`ADMINS_EVERY`].
    pub(super) fn read_admins_now_and_then(&self) {
        let (store, done) = (self.store.clone(), self.done.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(ADMINS_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if done
                    .send(super::Done::Admins(instance_roles(&store).await))
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

/// The instance admins and the users banned from the server.
pub(super) async fn instance_roles(
    store: &crate::server::store::Store,
) -> crate::server::store::Result<(Vec<UserId>, Vec<UserId>)> {
    Ok((store.admins().await?, store.server_bans().await?))
}

/// How often the instance admins are read from storage.
const ADMINS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
