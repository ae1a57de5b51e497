//! Who is online on the other servers, as their presence events and presence hashes
//! in Redis tell it. A user online on any server is online everywhere; one whose
//! server died stays online for the grace period (their tabs reconnect to another
//! server meanwhile) and then goes offline once, on every server.

use std::collections::{HashMap, HashSet};

use crate::{
    protocol::{Author, UserId},
    server::{bus::NodeId, store::UserRow},
};

use super::{Done, State};

/// Users online on other servers.
#[derive(Default)]
pub(super) struct Elsewhere {
    users: HashMap<UserId, Remote>,
    /// Each other server's users as last heard, and how many presence changes it had
    /// made then: an older report (a hash read before an event) is ignored.
    nodes: HashMap<NodeId, (HashSet<UserId>, u64)>,
    /// Servers heard of whose liveness key was missing at the last renewal.
    missing: HashSet<NodeId>,
    grace_epoch: u64,
}

struct Remote {
    user: UserRow,
    /// The servers the user is online on; none while their grace period runs.
    nodes: HashSet<NodeId>,
    grace: Option<u64>,
}

impl Elsewhere {
    pub(super) fn has(&self, user: UserId) -> bool {
        self.users.contains_key(&user)
    }

    pub(super) fn user(&self, user: UserId) -> Option<&UserRow> {
        self.users.get(&user).map(|r| &r.user)
    }

    /// How many of these users are not among `here`.
    pub(super) fn not_in<V>(&self, here: &HashMap<UserId, V>) -> usize {
        self.users.keys().filter(|u| !here.contains_key(u)).count()
    }

    /// Whether a report of `version` from `node` is newer than what was heard.
    fn newer(&mut self, node: NodeId, version: u64) -> bool {
        let (_, heard) = self.nodes.entry(node).or_default();
        if version < *heard {
            return false;
        }
        *heard = version;
        true
    }
}

fn row(user: Author) -> UserRow {
    UserRow {
        id: user.id,
        nickname: user.nickname,
        avatar: user.avatar,
    }
}

impl State {
    /// `user` is online on `node`.
    pub(super) fn online_on(&mut self, node: NodeId, user: Author, version: u64) {
        if self.elsewhere.newer(node, version) {
            self.add_remote(node, row(user));
        }
    }

    /// `user` is no longer online on `node`.
    pub(super) fn offline_on(&mut self, node: NodeId, user: UserId, version: u64) {
        if self.elsewhere.newer(node, version) {
            self.remove_remote(node, user, false);
        }
    }

    /// Everyone online on `node`, as its presence hash says.
    pub(super) fn node_presence(&mut self, node: NodeId, users: Vec<Author>, version: u64) {
        if !self.elsewhere.newer(node, version) {
            return;
        }
        let now: HashSet<UserId> = users.iter().map(|u| u.id).collect();
        let before = self
            .elsewhere
            .nodes
            .get(&node)
            .map(|(users, _)| users.clone())
            .unwrap_or_default();
        for user in before.difference(&now) {
            self.remove_remote(node, *user, false);
        }
        for user in users {
            if !before.contains(&user.id) {
                self.add_remote(node, row(user));
            }
        }
    }

    /// The servers alive now: one heard of but missing twice in a row is gone (once
    /// may be a server that published before its first renewal was seen).
    pub(super) fn nodes_alive(&mut self, alive: HashSet<NodeId>) {
        let missing: HashSet<NodeId> = self
            .elsewhere
            .nodes
            .keys()
            .filter(|n| !alive.contains(n))
            .copied()
            .collect();
        let gone: Vec<NodeId> = missing
            .intersection(&self.elsewhere.missing)
            .copied()
            .collect();
        self.elsewhere.missing = missing;
        for node in gone {
            tracing::info!(%node, "a server is gone; its users go offline after the grace period");
            self.elsewhere.missing.remove(&node);
            self.node_gone(node);
        }
    }

    /// `node` is gone: its users stay online for the grace period.
    fn node_gone(&mut self, node: NodeId) {
        let Some((users, _)) = self.elsewhere.nodes.remove(&node) else {
            return;
        };
        for user in users {
            self.remove_remote(node, user, true);
        }
    }

    fn add_remote(&mut self, node: NodeId, user: UserRow) {
        let was_online = self.is_online(user.id);
        if let Some((users, _)) = self.elsewhere.nodes.get_mut(&node) {
            users.insert(user.id);
        }
        let remote = self
            .elsewhere
            .users
            .entry(user.id)
            .or_insert_with(|| Remote {
                user: user.clone(),
                nodes: HashSet::new(),
                grace: None,
            });
        remote.nodes.insert(node);
        remote.grace = None;
        if !was_online {
            self.announce_online(&user);
        }
    }

    /// `user` left `node`; after a server died (`grace`), they stay online for the
    /// grace period unless they are on another server already.
    fn remove_remote(&mut self, node: NodeId, user: UserId, grace: bool) {
        if let Some((users, _)) = self.elsewhere.nodes.get_mut(&node) {
            users.remove(&user);
        }
        let Some(remote) = self.elsewhere.users.get_mut(&user) else {
            return;
        };
        remote.nodes.remove(&node);
        if !remote.nodes.is_empty() || remote.grace.is_some() {
            return;
        }
        if grace {
            self.elsewhere.grace_epoch += 1;
            let epoch = self.elsewhere.grace_epoch;
            remote.grace = Some(epoch);
            let (after, done) = (self.settings.presence_grace, self.done.clone());
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let _ = done.send(Done::RemoteGraceOver(user, epoch));
            });
            return;
        }
        if let Some(remote) = self.elsewhere.users.remove(&user) {
            if !self.is_online(user) {
                self.announce_offline(&remote.user);
            }
        }
    }

    /// The grace period of a user whose server died is over.
    pub(super) fn remote_grace_over(&mut self, user: UserId, epoch: u64) {
        let over = self
            .elsewhere
            .users
            .get(&user)
            .is_some_and(|r| r.nodes.is_empty() && r.grace == Some(epoch));
        if !over {
            return;
        }
        if let Some(remote) = self.elsewhere.users.remove(&user) {
            if !self.is_online(user) {
                self.announce_offline(&remote.user);
            }
        }
    }
}
