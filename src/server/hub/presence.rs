//! Who is online: a user with at least one connection, or whose last one closed less
//! than the grace period ago (a reload does not flap), here or on another server
//! ([`super::elsewhere`]). Announced once per user, not per tab nor per server.

use std::{collections::HashSet, time::Duration};

use crate::protocol::{
    ConversationId, RoomInfo, ServerMsg, UserId, UserInfo, PEOPLE_PAGE, ROOMS_PAGE, SNAPSHOT_CHUNK,
};

use super::{encode, rooms::author, ConnId, Done, State};
use crate::server::{bus::Event, store::UserRow};

/// How long count changes gather before they are told: a crowd logging in or joining
/// costs everyone one message per count per quarter second, not one per login.
const COUNTS_EVERY: Duration = Duration::from_millis(250);

/// Counts that changed and are not told yet.
#[derive(Default)]
pub(super) struct Counts {
    /// A [`Done::TellCounts`] is on its way.
    due: bool,
    /// The online count last told.
    told_online: Option<usize>,
    /// Rooms whose member count changed.
    rooms: HashSet<ConversationId>,
}

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
    /// Adds a connection to its user; true if the user was not online before (here
    /// or anywhere).
    pub(super) fn attach(&mut self, user: &UserRow, conn: ConnId) -> bool {
        if let Some(live) = self.live.get_mut(&user.id) {
            live.conns.insert(conn);
            live.grace = None;
            return false;
        }
        let anywhere = self.is_online(user.id);
        self.live.insert(
            user.id,
            Live {
                user: user.clone(),
                conns: HashSet::from([conn]),
                grace: None,
            },
        );
        self.presence_version += 1;
        self.bus.publish(Event::Online {
            user: author(user),
            version: self.presence_version,
        });
        if anywhere {
            return false;
        }
        self.live_by_name
            .insert((user.nickname.to_lowercase(), user.id));
        self.counts_changed();
        true
    }

    /// Whether the user is online, here or on another server.
    pub(super) fn is_online(&self, user: UserId) -> bool {
        self.live.contains_key(&user) || self.elsewhere.has(user)
    }

    /// An online user (here or on another server).
    pub(super) fn online_user(&self, user: UserId) -> Option<&UserRow> {
        self.live
            .get(&user)
            .map(|l| &l.user)
            .or_else(|| self.elsewhere.user(user))
    }

    /// How many users are online, on every server.
    pub(super) fn online_count(&self) -> usize {
        self.live.len() + self.elsewhere.not_in(&self.live)
    }

    /// The first page of the people list: users online by nickname.
    pub(super) fn people_page(&self) -> impl Iterator<Item = &UserRow> + '_ {
        self.live_by_name
            .iter()
            .take(PEOPLE_PAGE)
            .filter_map(|(_, id)| self.online_user(*id))
    }

    /// Who is told that `user` came or went: everyone while few are online; past a
    /// page of them, those who share a room (other than general) or a private
    /// conversation with the user, so one login costs the server O(1) for others.
    fn presence_audience(&self, user: UserId) -> Vec<UserId> {
        if self.live.len() <= PEOPLE_PAGE {
            return self.live.keys().copied().filter(|u| *u != user).collect();
        }
        let general = self.general();
        let mut audience: HashSet<UserId> = HashSet::new();
        for id in self.conversations.ids_of(user) {
            if Some(id) != general {
                audience.extend(self.conversations.members(id));
            }
        }
        audience.remove(&user);
        audience.into_iter().collect()
    }

    /// Tells those who should know that `user` is online.
    pub(super) fn announce_online(&mut self, user: &UserRow) {
        if !self
            .live_by_name
            .contains(&(user.nickname.to_lowercase(), user.id))
        {
            self.live_by_name
                .insert((user.nickname.to_lowercase(), user.id));
            self.counts_changed();
        }
        tracing::info!(user = %user.id, "online");
        let presence = encode(&ServerMsg::Presence {
            user: user_info(user, true),
        });
        let audience = self.presence_audience(user.id);
        self.send_to_users(audience, &presence, false);
    }

    /// The online count, or a room's member count, changed: told to everyone soon.
    pub(super) fn counts_changed(&mut self) {
        if self.counts.due {
            return;
        }
        self.counts.due = true;
        let done = self.done.clone();
        tokio::spawn(async move {
            tokio::time::sleep(COUNTS_EVERY).await;
            let _ = done.send(Done::TellCounts);
        });
    }

    /// Tells a room's new member count (soon, with other changes).
    pub(super) fn room_count_changed(&mut self, room: ConversationId) {
        self.counts.rooms.insert(room);
        self.counts_changed();
    }

    /// Tells everyone the counts that changed since the last time.
    pub(super) fn tell_counts(&mut self) {
        self.counts.due = false;
        let online = self.online_count();
        metrics::gauge!(crate::server::telemetry::name::USERS_ONLINE).set(online as f64);
        if self.counts.told_online != Some(online) {
            self.counts.told_online = Some(online);
            let count = encode(&ServerMsg::Online {
                count: online as u32,
            });
            self.broadcast(&count, None, false);
        }
        let changed: Vec<RoomInfo> = self
            .counts
            .rooms
            .drain()
            .filter_map(|room| self.conversations.room_info(room))
            .collect();
        if changed.is_empty() {
            return;
        }
        // The largest rooms are on everyone's list: their counts go to everyone. Any
        // other room's count goes to its members only: a storm of logins into a
        // thousand rooms costs each client a few frames a quarter second, not one
        // per room.
        let listed: HashSet<ConversationId> = self
            .conversations
            .largest_rooms(ROOMS_PAGE, |_| false)
            .into_iter()
            .collect();
        let (mut everyone, members_only): (Vec<RoomInfo>, Vec<RoomInfo>) =
            changed.into_iter().partition(|r| listed.contains(&r.id));
        everyone.sort_by_key(|r| r.id);
        for chunk in everyone.chunks(SNAPSHOT_CHUNK) {
            let rooms = chunk.to_vec();
            self.broadcast(&encode(&ServerMsg::Rooms { rooms }), None, true);
        }
        for room in members_only {
            let members: Vec<UserId> = self.conversations.members(room.id).collect();
            let frame = encode(&ServerMsg::Rooms { rooms: vec![room] });
            self.send_to_users(members, &frame, true);
        }
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

    /// The user has no connection here any more (grace over, or logged out): the
    /// other servers hear of it; everyone hears of it unless they are online elsewhere.
    pub(super) fn go_offline(&mut self, user: UserId) {
        if let Some(live) = self.live.remove(&user) {
            let here = &self.live;
            self.blocks.forget(user, |u| here.contains_key(&u));
            self.presence_version += 1;
            self.bus.publish(Event::Offline {
                user,
                version: self.presence_version,
            });
            if !self.is_online(user) {
                self.announce_offline(&live.user);
            }
        }
    }

    /// Tells those who should know that `user` is offline (everywhere).
    pub(super) fn announce_offline(&mut self, user: &UserRow) {
        tracing::info!(user = %user.id, "offline");
        self.live_by_name
            .remove(&(user.nickname.to_lowercase(), user.id));
        self.counts_changed();
        let presence = encode(&ServerMsg::Presence {
            user: user_info(user, false),
        });
        let audience = self.presence_audience(user.id);
        self.send_to_users(audience, &presence, false);
    }
}
