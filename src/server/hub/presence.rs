//! Who is online: a user with at least one connection, or whose last one closed less
//! than the grace period ago (a reload does not flap). Announced once per user, not
//! per tab.

use std::collections::HashSet;

use crate::protocol::{ServerMsg, UserId, UserInfo};

use super::{encode, ConnId, Done, State};
use crate::server::store::UserRow;

/// A user who is online: has connections, or lost the last one less than the grace period ago.
pub(super) struct Live {
    pub(super) user: UserRow,
    pub(super) conns: HashSet<ConnId>,
    /// Matches the pending grace timer, so an older timer is ignored.
    pub(super) grace: Option<u64>,
}

pub(super) fn user_info(user: &UserRow, online: bool) -> UserInfo {
    UserInfo {
        id: user.id,
        nickname: user.nickname.clone(),
        avatar: user.avatar.clone(),
        online,
    }
}

impl State {
    /// Adds a connection to its user; true if the user was not online before.
    pub(super) fn attach(&mut self, user: &UserRow, conn: ConnId) -> bool {
        match self.live.get_mut(&user.id) {
            Some(live) => {
                live.conns.insert(conn);
                live.grace = None;
                false
            }
            None => {
                self.live.insert(
                    user.id,
                    Live {
                        user: user.clone(),
                        conns: HashSet::from([conn]),
                        grace: None,
                    },
                );
                true
            }
        }
    }

    /// Tells everyone else that `user` is online.
    pub(super) fn announce_online(&mut self, user: &UserRow) {
        tracing::info!(user = %user.id, "online");
        let presence = encode(&ServerMsg::Presence {
            user: user_info(user, true),
        });
        self.broadcast(&presence, Some(user.id), false);
    }

    /// Removes a connection from its user; the user's last one starts the grace period.
    pub(super) fn detach(&mut self, user: UserId, conn: ConnId) {
        let Some(live) = self.live.get_mut(&user) else {
            return;
        };
        live.conns.remove(&conn);
        if live.conns.is_empty() && live.grace.is_none() {
            self.grace_epoch += 1;
            live.grace = Some(self.grace_epoch);
            let (epoch, grace, done) = (
                self.grace_epoch,
                self.settings.presence_grace,
                self.done.clone(),
            );
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                let _ = done.send(Done::GraceOver(user, epoch));
            });
        }
    }

    pub(super) fn grace_over(&mut self, user: UserId, epoch: u64) {
        if self
            .live
            .get(&user)
            .is_some_and(|l| l.conns.is_empty() && l.grace == Some(epoch))
        {
            self.go_offline(user);
        }
    }

    pub(super) fn go_offline(&mut self, user: UserId) {
        if let Some(live) = self.live.remove(&user) {
            tracing::info!(user = %user, "offline");
            let presence = encode(&ServerMsg::Presence {
                user: user_info(&live.user, false),
            });
            self.broadcast(&presence, None, false);
        }
    }
}
