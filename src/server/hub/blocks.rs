//! Blocking a person: who blocks whom, as far as this server needs to know it (the
//! blocks made by and of its online users), and the requests that change them.
//!
//! What a block hides is filtered where it is sent: live messages and changes
//! ([`State::fan_out_message`], `send_batch`), typing, replay; history, search and
//! unread counts are filtered by storage. A private conversation is closed both ways
//! ([`State::authorize`]). The blocked person is never told.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::{
    protocol::{
        Author, ChatMessage, ErrorCode, MessageBody, ServerMsg, UserId, UserInfo, MAX_BLOCKS,
    },
    server::{
        bus::Event,
        store::blocks::{Blocking, BlocksOf},
        unix_millis,
    },
};

use super::{encode, internal, presence::user_info, refuse, ConnId, Refusal, State, UserRow};

/// Whether a block of `m`'s author keeps `m` from the blocker: anything of theirs but
/// a moderator's removal of a message (which everyone must get, or a blocked
/// moderator's removal of spam would leave the spam shown).
pub(super) fn blockable(m: &ChatMessage) -> bool {
    !matches!(m.body, MessageBody::Removed { .. })
}

/// Block lists changed lately that are remembered, for session starts whose read of
/// storage was under way meanwhile ([`Blocks::changed_since`]).
const RECENT_CHANGES: usize = 4096;

/// Who blocks whom, both ways.
#[derive(Debug, Default)]
pub(super) struct Blocks {
    /// Blocker → those they block.
    by_blocker: HashMap<UserId, HashSet<UserId>>,
    /// Blocked → those who block them.
    by_blocked: HashMap<UserId, HashSet<UserId>>,
    /// How many lists were set from a change (here or on another server).
    version: u64,
    /// The newest of those changes: (version, blocker).
    recent: VecDeque<(u64, UserId)>,
}

impl Blocks {
    pub(super) fn blocks(&self, blocker: UserId, blocked: UserId) -> bool {
        self.by_blocker
            .get(&blocker)
            .is_some_and(|b| b.contains(&blocked))
    }

    /// Whether either of the two blocks the other.
    pub(super) fn between(&self, a: UserId, b: UserId) -> bool {
        self.blocks(a, b) || self.blocks(b, a)
    }

    /// Those who block `author` (none, nearly always: a fast path for delivery).
    pub(super) fn blockers_of(&self, author: UserId) -> Option<&HashSet<UserId>> {
        self.by_blocked.get(&author).filter(|b| !b.is_empty())
    }

    /// Those `user` blocks.
    pub(super) fn blocked_by(&self, user: UserId) -> HashSet<UserId> {
        self.by_blocker.get(&user).cloned().unwrap_or_default()
    }

    /// `blocker` blocks exactly these now.
    pub(super) fn set(&mut self, blocker: UserId, blocked: impl IntoIterator<Item = UserId>) {
        let new: HashSet<UserId> = blocked.into_iter().collect();
        let old = self.by_blocker.remove(&blocker).unwrap_or_default();
        for gone in old.difference(&new) {
            self.unlink_blocked(*gone, blocker);
        }
        for b in &new {
            self.by_blocked.entry(*b).or_default().insert(blocker);
        }
        if !new.is_empty() {
            self.by_blocker.insert(blocker, new);
        }
    }

    /// These block `user` (as storage has it when a session of theirs starts).
    pub(super) fn blocked_by_these(&mut self, user: UserId, blockers: &[UserId]) {
        for b in blockers {
            self.by_blocker.entry(*b).or_default().insert(user);
            self.by_blocked.entry(user).or_default().insert(*b);
        }
    }

    /// How many changes were set so far: a read of storage that starts now knows
    /// those, and none after.
    pub(super) fn version(&self) -> u64 {
        self.version
    }

    /// `blocker`'s whole list, as a change (made here or on another server) left it.
    pub(super) fn changed(&mut self, blocker: UserId, blocked: impl IntoIterator<Item = UserId>) {
        self.set(blocker, blocked);
        self.version += 1;
        self.recent.push_back((self.version, blocker));
        if self.recent.len() > RECENT_CHANGES {
            self.recent.pop_front();
        }
    }

    /// Whether `blocker`'s list changed after `since` ([`Blocks::version`]): then what
    /// a read of storage begun at `since` says of it is older than what is here.
    fn changed_since(&self, blocker: UserId, since: u64) -> bool {
        self.recent
            .iter()
            .rev()
            .take_while(|(v, _)| *v > since)
            .any(|(_, b)| *b == blocker)
    }

    /// What storage had of `user`'s blocks, read from `since` on: whom they block and
    /// who blocks them, but for the lists changed meanwhile (newer here already).
    pub(super) fn load(&mut self, user: UserId, of: &BlocksOf, since: u64) {
        if !self.changed_since(user, since) {
            self.set(user, of.blocked.iter().map(|u| u.id));
        }
        let blockers: Vec<UserId> = of
            .blockers
            .iter()
            .copied()
            .filter(|b| !self.changed_since(*b, since))
            .collect();
        self.blocked_by_these(user, &blockers);
    }

    /// `user` is offline here: the blocks between them and someone else offline here
    /// are no longer needed (read again at their next session).
    pub(super) fn forget(&mut self, user: UserId, online: impl Fn(UserId) -> bool) {
        for other in self.blocked_by(user) {
            if !online(other) {
                self.remove(user, other);
            }
        }
        let blockers: Vec<UserId> = self
            .by_blocked
            .get(&user)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for other in blockers {
            if !online(other) {
                self.remove(other, user);
            }
        }
    }

    fn remove(&mut self, blocker: UserId, blocked: UserId) {
        if let Some(set) = self.by_blocker.get_mut(&blocker) {
            set.remove(&blocked);
            if set.is_empty() {
                self.by_blocker.remove(&blocker);
            }
        }
        self.unlink_blocked(blocked, blocker);
    }

    fn unlink_blocked(&mut self, blocked: UserId, blocker: UserId) {
        if let Some(set) = self.by_blocked.get_mut(&blocked) {
            set.remove(&blocker);
            if set.is_empty() {
                self.by_blocked.remove(&blocked);
            }
        }
    }
}

impl State {
    /// The user blocks `target` (`on`) or no longer does; every tab of theirs, on every
    /// server, gets the new list.
    pub(super) fn set_block(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        target: UserId,
        on: bool,
    ) -> Result<(), Refusal> {
        if on && target == user.id {
            return Err(refuse(ErrorCode::NoSuchUser, "You cannot block yourself."));
        }
        if on
            && !self.blocks.blocks(user.id, target)
            && self.blocks.blocked_by(user.id).len() >= MAX_BLOCKS
        {
            return Err(too_many());
        }
        let (store, blocker) = (self.store.clone(), user.id);
        self.spawn_io(
            conn,
            async move { store.set_block(blocker, target, on, unix_millis()).await },
            move |state, done| match done.map_err(internal)? {
                Blocking::Listed(users) => {
                    tracing::info!(user = %blocker, %target, on, "block changed");
                    let users: Vec<Author> = users.iter().map(author).collect();
                    state.bus.publish(Event::Blocks {
                        blocker,
                        users: users.clone(),
                    });
                    state.blocks_changed(blocker, users);
                    Ok(())
                }
                Blocking::TooMany => Err(too_many()),
                Blocking::NoSuchUser => Err(refuse(ErrorCode::NoSuchUser, "No such user.")),
            },
        );
        Ok(())
    }

    /// `blocker` blocks these now (here or on another server): their tabs here are told.
    pub(super) fn blocks_changed(&mut self, blocker: UserId, users: Vec<Author>) {
        self.blocks.changed(blocker, users.iter().map(|u| u.id));
        if self.live.contains_key(&blocker) {
            let listed = self.blocked_list(&users);
            self.send_to_user(blocker, &encode(&listed), true);
        }
    }

    /// A session of `user` starts here: what storage had of their blocks when it was
    /// read, from block change `since` on.
    pub(super) fn load_blocks(&mut self, user: UserId, of: &BlocksOf, since: u64) {
        self.blocks.load(user, of, since);
    }

    /// The `blocked` message listing these people.
    fn blocked_list(&self, users: &[Author]) -> ServerMsg {
        let rows: Vec<UserRow> = users
            .iter()
            .map(|a| UserRow {
                id: a.id,
                nickname: a.nickname.clone(),
                avatar: a.avatar.clone(),
            })
            .collect();
        ServerMsg::Blocked {
            users: self.blocked_infos(&rows),
        }
    }

    /// These people as the user who blocks them sees them (`ready`, `blocked`).
    pub(super) fn blocked_infos(&self, rows: &[UserRow]) -> Vec<UserInfo> {
        rows.iter()
            .map(|r| user_info(r, self.is_online(r.id)))
            .collect()
    }
}

pub(super) fn author(u: &UserRow) -> Author {
    Author {
        id: u.id,
        nickname: u.nickname.clone(),
        avatar: u.avatar.clone(),
    }
}

fn too_many() -> Refusal {
    refuse(
        ErrorCode::TooManyBlocks,
        format!("You can block at most {MAX_BLOCKS} people; unblock someone first."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_kept_while_someone_of_either_side_is_online() {
        let (ann, bob, cat) = (UserId(1), UserId(2), UserId(3));
        let mut blocks = Blocks::default();
        blocks.set(ann, [bob, cat]);
        blocks.blocked_by_these(bob, &[cat]);
        assert!(blocks.blocks(ann, bob) && blocks.between(bob, ann) && blocks.blocks(cat, bob));
        assert_eq!(blocks.blockers_of(bob).map(|b| b.len()), Some(2));
        assert!(blocks.blockers_of(ann).is_none());

        // Ann goes, Bob stays: what is between them stays (his messages still must
        // not reach her on her next tab's first turn), hers with Cat goes.
        blocks.forget(ann, |u| u == bob);
        assert!(blocks.blocks(ann, bob));
        assert!(!blocks.blocks(ann, cat));
        // Bob goes too: nothing is left of Ann's, nor of Cat's (offline) block.
        blocks.forget(bob, |_| false);
        assert!(!blocks.blocks(ann, bob) && !blocks.blocks(cat, bob));
        assert!(blocks.by_blocker.is_empty() && blocks.by_blocked.is_empty());

        // A new list replaces the old, both ways.
        blocks.set(ann, [bob]);
        blocks.set(ann, [cat]);
        assert!(blocks.blockers_of(bob).is_none());
        assert!(blocks.blocks(ann, cat));
        blocks.set(ann, []);
        assert!(blocks.by_blocker.is_empty() && blocks.by_blocked.is_empty());
    }

    #[test]
    fn a_change_heard_while_storage_was_read_is_not_undone_by_the_read() {
        let (ann, bob, cat) = (UserId(1), UserId(2), UserId(3));
        let mut blocks = Blocks::default();
        // Ann's session starts: storage is read (she blocks nobody; Cat blocks her).
        let since = blocks.version();
        // Meanwhile her other tab, on another server, blocks Bob; Cat unblocks her.
        blocks.changed(ann, [bob]);
        blocks.changed(cat, []);
        let read = BlocksOf {
            blocked: vec![],
            blockers: vec![cat],
        };
        blocks.load(ann, &read, since);
        assert!(blocks.blocks(ann, bob), "the newer list stays");
        assert!(!blocks.blocks(cat, ann), "so does Cat's");
        // A read begun after the changes is taken as it is.
        let since = blocks.version();
        let read = BlocksOf {
            blocked: vec![],
            blockers: vec![cat],
        };
        blocks.load(ann, &read, since);
        assert!(!blocks.blocks(ann, bob) && blocks.blocks(cat, ann));
    }
}
