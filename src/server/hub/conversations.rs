//! Who is in which conversation, and how far each has got: the hub's memory of the
//! `conversations` and `members` tables, loaded once at start and kept in step by the
//! hub (storage first, then memory), so membership checks and snapshots cost no I/O.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::protocol::{
    ConversationId, ConversationInfo, ConversationKind, ReadCount, Role, RoomInfo, Seq, Staff,
    UserId, ROOMS_PAGE,
};

use super::super::store::{moderation::RoomModeration, ConversationRow};

struct Conversation {
    /// A room's name; `None` for a private conversation.
    room: Option<String>,
    /// The two users of a private conversation.
    direct: Option<[UserId; 2]>,
    /// Sequence number of the newest message the hub has delivered.
    last_seq: Seq,
    /// Members and the newest sequence number each has read.
    members: HashMap<UserId, Seq>,
    /// When members' read marks last moved, where known (read receipts' times).
    read_at: HashMap<UserId, i64>,
    /// When its members last changed here ([`Conversations::changes`]).
    changed: u64,
    /// The newest texts delivered (number, author), for the read counts of a big room.
    texts: VecDeque<(Seq, UserId)>,
    /// The read count each author was last told of (see [`Conversations::read_counts`]).
    told_counts: HashMap<UserId, ReadCount>,
    /// A room's owner and moderators (members are not listed).
    roles: HashMap<UserId, Role>,
    /// Who may not join the room.
    banned: HashSet<UserId>,
    /// Who may not write to it until when (Unix ms; past ones are forgotten when seen).
    timeouts: HashMap<UserId, i64>,
    /// A private room: listed to its members only, joined with an invite.
    private: bool,
    /// A room's slow mode: seconds between one member's messages (0: off).
    slow_mode_s: u32,
}

/// Texts remembered per conversation for counting who read them: an author whose
/// newest text is older than these is told no count.
const RECENT_TEXTS: usize = 64;

impl Conversation {
    /// Per author of a recent text who is a member and shares receipts: how many other
    /// members who share them have read up to that author's newest text.
    fn counts(&self, shares: impl Fn(UserId) -> bool) -> Vec<(UserId, ReadCount)> {
        let mut newest: HashMap<UserId, Seq> = HashMap::new();
        for (seq, author) in &self.texts {
            let at = newest.entry(*author).or_default();
            *at = (*at).max(*seq);
        }
        if newest.is_empty() {
            return Vec::new();
        }
        let mut marks: Vec<Seq> = self
            .members
            .iter()
            .filter(|(user, _)| shares(**user))
            .map(|(_, seq)| *seq)
            .collect();
        marks.sort_unstable();
        newest
            .into_iter()
            .filter_map(|(author, seq)| {
                let own = *self.members.get(&author)?;
                if !shares(author) {
                    return None;
                }
                let read = marks.len() - marks.partition_point(|m| *m < seq);
                let count = read - usize::from(own >= seq);
                Some((
                    author,
                    ReadCount {
                        seq,
                        count: count as u32,
                    },
                ))
            })
            .collect()
    }
}

#[derive(Default)]
pub(super) struct Conversations {
    by_id: HashMap<ConversationId, Conversation>,
    rooms: HashMap<String, ConversationId>,
    directs: HashMap<[UserId; 2], ConversationId>,
    of_user: HashMap<UserId, HashSet<ConversationId>>,
    /// Membership changes made here so far: a read of storage that started at `n`
    /// knows nothing of a conversation whose members changed after `n`.
    changes: u64,
}

/// The two users of a private conversation in the order storage keeps them.
fn pair(a: UserId, b: UserId) -> [UserId; 2] {
    if a <= b {
        [a, b]
    } else {
        [b, a]
    }
}

impl Conversations {
    pub(super) fn load(rows: Vec<ConversationRow>) -> Self {
        let mut all = Self::default();
        for row in rows {
            all.insert(row.id, row.room, row.direct, row.last_seq);
            for (user, read) in row.members {
                if let Some(c) = all.by_id.get_mut(&row.id) {
                    c.members.insert(user, read);
                    all.of_user.entry(user).or_default().insert(row.id);
                }
            }
            if let Some(c) = all.by_id.get_mut(&row.id) {
                c.read_at.extend(row.read_at);
            }
            all.set_moderation(row.id, row.moderation);
            all.set_private(row.id, row.private);
            all.set_slow_mode(row.id, row.slow_mode_s);
        }
        all
    }

    fn insert(
        &mut self,
        id: ConversationId,
        room: Option<String>,
        direct: Option<[UserId; 2]>,
        last_seq: Seq,
    ) {
        if let Some(name) = &room {
            self.rooms.insert(name.clone(), id);
        }
        if let Some(users) = direct {
            self.directs.insert(users, id);
        }
        self.by_id.entry(id).or_insert(Conversation {
            room,
            direct,
            last_seq,
            members: HashMap::new(),
            read_at: HashMap::new(),
            changed: 0,
            texts: VecDeque::new(),
            told_counts: HashMap::new(),
            roles: HashMap::new(),
            banned: HashSet::new(),
            timeouts: HashMap::new(),
            private: false,
            slow_mode_s: 0,
        });
    }

    pub(super) fn is_private(&self, id: ConversationId) -> bool {
        self.by_id.get(&id).is_some_and(|c| c.private)
    }

    /// Makes a room private or public: false if it was so already.
    pub(super) fn set_private(&mut self, id: ConversationId, private: bool) -> bool {
        match self.by_id.get_mut(&id) {
            Some(c) if c.room.is_some() && c.private != private => {
                c.private = private;
                true
            }
            _ => false,
        }
    }

    /// A room's slow mode: seconds between one member's messages (0: off).
    pub(super) fn slow_mode(&self, id: ConversationId) -> u32 {
        self.by_id.get(&id).map_or(0, |c| c.slow_mode_s)
    }

    /// Sets a room's slow mode: false if it was so already (or it is no room).
    pub(super) fn set_slow_mode(&mut self, id: ConversationId, seconds: u32) -> bool {
        match self.by_id.get_mut(&id) {
            Some(c) if c.room.is_some() && c.slow_mode_s != seconds => {
                c.slow_mode_s = seconds;
                true
            }
            _ => false,
        }
    }

    /// Takes a room's roles, bans and timeouts as storage has them.
    pub(super) fn set_moderation(&mut self, id: ConversationId, moderation: RoomModeration) {
        if let Some(c) = self.by_id.get_mut(&id) {
            c.roles = moderation.roles.into_iter().collect();
            c.banned = moderation.banned.into_iter().collect();
            c.timeouts = moderation.timeouts.into_iter().collect();
        }
    }

    /// The user's role in the room, as the room has it (an admin's is not the room's).
    pub(super) fn role(&self, id: ConversationId, user: UserId) -> Role {
        self.by_id
            .get(&id)
            .and_then(|c| c.roles.get(&user).copied())
            .unwrap_or_default()
    }

    /// Gives `user` a role in the room (the member role: none); handing over the
    /// ownership leaves the old owner a moderator.
    pub(super) fn set_role(&mut self, id: ConversationId, user: UserId, role: Role) {
        let Some(c) = self.by_id.get_mut(&id) else {
            return;
        };
        if role == Role::Owner {
            for r in c.roles.values_mut().filter(|r| **r == Role::Owner) {
                *r = Role::Moderator;
            }
        }
        match role {
            Role::Member | Role::Admin => c.roles.remove(&user),
            role => c.roles.insert(user, role),
        };
    }

    /// A room's owner and moderators.
    pub(super) fn staff(&self, id: ConversationId) -> Staff {
        let Some(c) = self.by_id.get(&id) else {
            return Staff::default();
        };
        let mut staff = Staff::default();
        for (user, role) in &c.roles {
            match role {
                Role::Owner => staff.owner = Some(*user),
                Role::Moderator => staff.moderators.push(*user),
                _ => {}
            }
        }
        staff.moderators.sort_unstable();
        staff
    }

    /// Members of the room who moderate it (owner and moderators).
    pub(super) fn moderating_members(&self, id: ConversationId) -> Vec<UserId> {
        self.by_id.get(&id).map_or_else(Vec::new, |c| {
            c.roles
                .keys()
                .filter(|u| c.members.contains_key(u))
                .copied()
                .collect()
        })
    }

    pub(super) fn is_banned(&self, id: ConversationId, user: UserId) -> bool {
        self.by_id
            .get(&id)
            .is_some_and(|c| c.banned.contains(&user))
    }

    /// Bans (or unbans) `user` from the room: a ban takes their role and timeout too.
    pub(super) fn set_banned(&mut self, id: ConversationId, user: UserId, banned: bool) {
        if let Some(c) = self.by_id.get_mut(&id) {
            if banned {
                c.banned.insert(user);
                c.roles.remove(&user);
                c.timeouts.remove(&user);
            } else {
                c.banned.remove(&user);
            }
        }
    }

    /// Until when `user` may not write to the room, if that is after `now_ms`.
    pub(super) fn timed_out_until(
        &self,
        id: ConversationId,
        user: UserId,
        now_ms: i64,
    ) -> Option<i64> {
        let until = *self.by_id.get(&id)?.timeouts.get(&user)?;
        (until > now_ms).then_some(until)
    }

    /// `user` may not write to the room until `until_ms` (0: they may again).
    pub(super) fn set_timeout(&mut self, id: ConversationId, user: UserId, until_ms: i64) {
        if let Some(c) = self.by_id.get_mut(&id) {
            if until_ms == 0 {
                c.timeouts.remove(&user);
            } else {
                c.timeouts.insert(user, until_ms);
            }
        }
    }

    /// Records a room that storage has (just created, or by another request or
    /// server), whose newest message was `last_seq` (delivered here: it is history).
    pub(super) fn insert_room(&mut self, id: ConversationId, name: &str, last_seq: Seq) {
        self.insert(id, Some(name.to_string()), None, last_seq);
    }

    /// Records a private conversation and its two members.
    pub(super) fn insert_direct(
        &mut self,
        id: ConversationId,
        a: UserId,
        b: UserId,
        last_seq: Seq,
    ) {
        self.insert(id, None, Some(pair(a, b)), last_seq);
        self.add_member(id, a);
        self.add_member(id, b);
    }

    /// How many membership changes were made here so far.
    pub(super) fn changes(&self) -> u64 {
        self.changes
    }

    /// Whether the conversation's members changed here after `since` ([`Self::changes`]).
    pub(super) fn changed_after(&self, id: ConversationId, since: u64) -> bool {
        self.by_id.get(&id).is_some_and(|c| c.changed > since)
    }

    /// The conversation's members, as a set.
    pub(super) fn member_set(&self, id: ConversationId) -> HashSet<UserId> {
        self.members(id).collect()
    }

    pub(super) fn room_by_name(&self, name: &str) -> Option<ConversationId> {
        self.rooms.get(name).copied()
    }

    pub(super) fn direct_between(&self, a: UserId, b: UserId) -> Option<ConversationId> {
        self.directs.get(&pair(a, b)).copied()
    }

    pub(super) fn is_room(&self, id: ConversationId) -> bool {
        self.by_id.get(&id).is_some_and(|c| c.room.is_some())
    }

    pub(super) fn is_member(&self, id: ConversationId, user: UserId) -> bool {
        self.by_id
            .get(&id)
            .is_some_and(|c| c.members.contains_key(&user))
    }

    /// Makes `user` a member who has read everything so far; false if they were one.
    pub(super) fn add_member(&mut self, id: ConversationId, user: UserId) -> bool {
        let Some(c) = self.by_id.get_mut(&id) else {
            return false;
        };
        if c.members.contains_key(&user) {
            return false;
        }
        c.members.insert(user, c.last_seq);
        self.changes += 1;
        c.changed = self.changes;
        self.of_user.entry(user).or_default().insert(id);
        true
    }

    /// False if they were not a member.
    pub(super) fn remove_member(&mut self, id: ConversationId, user: UserId) -> bool {
        let Some(c) = self.by_id.get_mut(&id) else {
            return false;
        };
        let removed = c.members.remove(&user).is_some();
        if removed {
            self.changes += 1;
            c.changed = self.changes;
            if let Some(of_user) = self.of_user.get_mut(&user) {
                of_user.remove(&id);
            }
        }
        removed
    }

    pub(super) fn members(&self, id: ConversationId) -> impl Iterator<Item = UserId> + '_ {
        self.by_id
            .get(&id)
            .into_iter()
            .flat_map(|c| c.members.keys().copied())
    }

    pub(super) fn last_seq(&self, id: ConversationId) -> Option<Seq> {
        self.by_id.get(&id).map(|c| c.last_seq)
    }

    /// A message numbered `seq` (a `text`, or not) was delivered; what its author
    /// wrote, they have read.
    pub(super) fn delivered(&mut self, id: ConversationId, seq: Seq, author: UserId, text: bool) {
        if let Some(c) = self.by_id.get_mut(&id) {
            c.last_seq = c.last_seq.max(seq);
            if text && c.room.is_some() {
                if c.texts.len() == RECENT_TEXTS {
                    c.texts.pop_front();
                }
                c.texts.push_back((seq, author));
            }
        }
        // Read when written; when is not a read receipt's to tell.
        self.mark_read(id, author, seq, 0);
    }

    /// Moves `user`'s read mark forward to `seq` (never past the newest) at `at_ms`:
    /// the new mark, if it moved.
    pub(super) fn mark_read(
        &mut self,
        id: ConversationId,
        user: UserId,
        seq: Seq,
        at_ms: i64,
    ) -> Option<Seq> {
        let c = self.by_id.get_mut(&id)?;
        let last = c.last_seq;
        let read = c.members.get_mut(&user)?;
        let new = seq.min(last);
        if new <= *read {
            return None;
        }
        *read = new;
        if at_ms > 0 {
            c.read_at.insert(user, at_ms);
        } else {
            c.read_at.remove(&user);
        }
        Some(new)
    }

    /// Every member's read mark (and when it moved, if known).
    pub(super) fn read_marks(&self, id: ConversationId) -> Vec<crate::protocol::ReadMark> {
        let Some(c) = self.by_id.get(&id) else {
            return Vec::new();
        };
        c.members
            .iter()
            .map(|(user, seq)| crate::protocol::ReadMark {
                user: *user,
                seq: *seq,
                at_ms: c.read_at.get(user).copied().unwrap_or_default(),
            })
            .collect()
    }

    /// In a room too big for read marks: the counts of the authors of its recent
    /// texts that moved (up from nothing, or to another text) since they were last
    /// told, remembered as told.
    pub(super) fn read_counts(
        &mut self,
        id: ConversationId,
        shares: impl Fn(UserId) -> bool,
    ) -> Vec<(UserId, ReadCount)> {
        let Some(c) = self.by_id.get_mut(&id) else {
            return Vec::new();
        };
        let moved: Vec<(UserId, ReadCount)> = c
            .counts(shares)
            .into_iter()
            .filter(|(author, count)| count.count > 0 && c.told_counts.get(author) != Some(count))
            .collect();
        for (author, count) in &moved {
            c.told_counts.insert(*author, *count);
        }
        moved
    }

    /// The read count of `user`'s newest recent text in a big room, for a snapshot (as
    /// [`Conversation::counts`] has it for that author).
    pub(super) fn read_count_of(
        &self,
        id: ConversationId,
        user: UserId,
        shares: impl Fn(UserId) -> bool,
    ) -> Option<ReadCount> {
        // One author, on every snapshot of a big room: a pass over the members, with no
        // sorting and no counts for the other authors.
        let c = self.by_id.get(&id)?;
        let seq = c
            .texts
            .iter()
            .filter(|(_, a)| *a == user)
            .map(|(s, _)| *s)
            .max()?;
        let own = *c.members.get(&user)?;
        if !shares(user) {
            return None;
        }
        let read = c
            .members
            .iter()
            .filter(|(u, s)| **s >= seq && shares(**u))
            .count();
        let count = (read - usize::from(own >= seq)) as u32;
        (count > 0).then_some(ReadCount { seq, count })
    }

    /// Whether members are told each other's read marks: a private conversation, or a
    /// room of up to [`RECEIPTS_MAX_MEMBERS`](crate::protocol::RECEIPTS_MAX_MEMBERS).
    pub(super) fn tells_receipts(&self, id: ConversationId) -> bool {
        self.by_id.get(&id).is_some_and(|c| {
            c.direct.is_some() || c.members.len() <= crate::protocol::RECEIPTS_MAX_MEMBERS
        })
    }

    /// One conversation as `user` (a member) sees it.
    pub(super) fn info_for(&self, id: ConversationId, user: UserId) -> Option<ConversationInfo> {
        let c = self.by_id.get(&id)?;
        let read_seq = *c.members.get(&user)?;
        let kind = match (&c.room, c.direct) {
            (Some(name), _) => ConversationKind::Room {
                name: name.clone(),
                member_count: c.members.len() as u32,
                private: c.private,
            },
            (None, Some(users)) => ConversationKind::Direct { users },
            (None, None) => return None,
        };
        Some(ConversationInfo {
            id,
            kind,
            last_seq: c.last_seq,
            read_seq,
            unread: 0,
            mentions: 0,
            reads: Vec::new(),
            read_count: None,
            staff: self.staff(id),
            timed_out_until_ms: c.timeouts.get(&user).copied(),
            slow_mode_s: c.slow_mode_s,
        })
    }

    /// The conversations `user` is a member of, as they see them, oldest first.
    pub(super) fn of(&self, user: UserId) -> Vec<ConversationInfo> {
        let mut ids: Vec<ConversationId> = self
            .of_user
            .get(&user)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        ids.sort();
        ids.into_iter()
            .filter_map(|id| self.info_for(id, user))
            .collect()
    }

    /// The conversations `user` is a member of.
    pub(super) fn ids_of(&self, user: UserId) -> impl Iterator<Item = ConversationId> + '_ {
        self.of_user.get(&user).into_iter().flatten().copied()
    }

    /// The other person of a private conversation of `user`'s (`None` for a room).
    pub(super) fn direct_peer(&self, id: ConversationId, user: UserId) -> Option<UserId> {
        let [a, b] = self.by_id.get(&id)?.direct?;
        Some(if a == user { b } else { a })
    }

    /// The users `user` shares a private conversation with.
    pub(super) fn direct_peers(&self, user: UserId) -> Vec<UserId> {
        self.of_user
            .get(&user)
            .into_iter()
            .flatten()
            .filter_map(|id| self.by_id.get(id)?.direct)
            .map(|[a, b]| if a == user { b } else { a })
            .collect()
    }

    pub(super) fn room_info(&self, id: ConversationId) -> Option<RoomInfo> {
        let c = self.by_id.get(&id)?;
        Some(RoomInfo {
            id,
            name: c.room.clone()?,
            member_count: c.members.len() as u32,
            private: c.private,
        })
    }

    /// The `n` public rooms with the most members, leaving out those `skip` names.
    pub(super) fn largest_rooms(
        &self,
        n: usize,
        skip: impl Fn(ConversationId) -> bool,
    ) -> Vec<ConversationId> {
        let mut rooms: Vec<(usize, ConversationId)> = self
            .rooms
            .values()
            .filter(|id| !skip(**id))
            .filter_map(|id| {
                let c = self.by_id.get(id)?;
                (!c.private).then_some((c.members.len(), *id))
            })
            .collect();
        if rooms.len() > n {
            rooms.select_nth_unstable_by(n, |a, b| b.cmp(a));
            rooms.truncate(n);
        }
        rooms.into_iter().map(|(_, id)| id).collect()
    }

    /// The rooms a user is shown at first: their own, and the [`ROOMS_PAGE`] largest
    /// public others; by name. Bounded, however many rooms there are.
    pub(super) fn rooms_for(&self, user: UserId) -> Vec<RoomInfo> {
        let mine = self.of_user.get(&user);
        let others = self.largest_rooms(ROOMS_PAGE, |id| mine.is_some_and(|m| m.contains(&id)));
        let mut rooms: Vec<RoomInfo> = mine
            .into_iter()
            .flatten()
            .copied()
            .chain(others)
            .filter_map(|id| self.room_info(id))
            .collect();
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
        rooms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: UserId = UserId(1);
    const BOB: UserId = UserId(2);

    #[test]
    fn a_big_room_counts_who_read_each_authors_newest_text() {
        // 60 members who have read up to 10; Ann writes 11 and 12, Bob 13.
        let room = ConversationId(1);
        let mut all = Conversations::load(vec![ConversationRow {
            id: room,
            room: Some("big".into()),
            direct: None,
            last_seq: 10,
            members: (1..=60).map(|u| (UserId(u), 10)).collect(),
            read_at: vec![],
            moderation: Default::default(),
            private: false,
            slow_mode_s: 0,
        }]);
        assert!(!all.tells_receipts(room));
        all.delivered(room, 11, ANN, true);
        all.delivered(room, 12, ANN, true);
        all.delivered(room, 13, BOB, true);
        all.delivered(room, 14, UserId(3), false); // a reaction: not a text
        let everyone = |_: UserId| true;
        let sorted = |mut counts: Vec<(UserId, ReadCount)>| {
            counts.sort_by_key(|(u, _)| *u);
            counts
        };
        // Who wrote after a text has read it: Bob has read Ann's, user 3 both.
        assert_eq!(
            sorted(all.read_counts(room, everyone)),
            vec![
                (ANN, ReadCount { seq: 12, count: 2 }),
                (BOB, ReadCount { seq: 13, count: 1 })
            ]
        );
        // Four more read up to 12: Ann's count moves, Bob's does not (told once).
        for u in 4..=7 {
            all.mark_read(room, UserId(u), 12, 1);
        }
        assert_eq!(
            all.read_counts(room, everyone),
            vec![(ANN, ReadCount { seq: 12, count: 6 })]
        );
        assert_eq!(all.read_counts(room, everyone), vec![], "told once");
        assert_eq!(
            all.read_count_of(room, ANN, everyone),
            Some(ReadCount { seq: 12, count: 6 })
        );
        // Those who do not share receipts are not counted, nor told (Ann is user 1).
        let even = |u: UserId| u.0 % 2 == 0;
        assert_eq!(all.read_count_of(room, ANN, even), None);
        all.mark_read(room, UserId(8), 13, 1);
        all.mark_read(room, UserId(9), 13, 1);
        // Bob's readers among the even: 8 (not 3, nor 9).
        assert_eq!(
            all.read_count_of(room, BOB, even),
            Some(ReadCount { seq: 13, count: 1 })
        );
        // Reading 13 is reading 12 too.
        assert_eq!(
            sorted(all.read_counts(room, everyone)),
            vec![
                (ANN, ReadCount { seq: 12, count: 8 }),
                (BOB, ReadCount { seq: 13, count: 3 })
            ]
        );
        // A new text of Ann's: she has read Bob's; hers, nobody yet (she is not told).
        all.delivered(room, 15, ANN, true);
        assert_eq!(
            all.read_counts(room, everyone),
            vec![(BOB, ReadCount { seq: 13, count: 4 })]
        );
        assert_eq!(all.read_count_of(room, ANN, everyone), None);
    }

    #[test]
    fn membership_and_reading_follow_what_the_hub_records() {
        let mut all = Conversations::load(vec![ConversationRow {
            id: ConversationId(1),
            room: Some("general".into()),
            direct: None,
            last_seq: 5,
            members: vec![(ANN, 3)],
            read_at: vec![],
            moderation: Default::default(),
            private: false,
            slow_mode_s: 0,
        }]);
        let general = all.room_by_name("general").unwrap();
        assert!(all.is_member(general, ANN) && !all.is_member(general, BOB));
        assert!(all.add_member(general, BOB));
        assert!(!all.add_member(general, BOB), "twice is once");
        // A new member has read everything so far; unread counts start at zero.
        assert_eq!(all.info_for(general, BOB).unwrap().read_seq, 5);
        assert_eq!(all.info_for(general, ANN).unwrap().read_seq, 3);
        all.delivered(general, 6, ANN, true);
        assert_eq!(all.info_for(general, ANN).unwrap().read_seq, 6);
        assert_eq!(all.info_for(general, BOB).unwrap().read_seq, 5);
        assert_eq!(all.mark_read(general, BOB, 99, 7), Some(6));
        assert_eq!(all.mark_read(general, BOB, 4, 8), None, "never back");
        assert!(all
            .read_marks(general)
            .contains(&crate::protocol::ReadMark {
                user: BOB,
                seq: 6,
                at_ms: 7
            }));
        assert_eq!(
            all.info_for(general, BOB).unwrap().read_seq,
            6,
            "never past the newest"
        );
        assert_eq!(all.rooms_for(ANN)[0].member_count, 2);

        all.insert_direct(ConversationId(2), BOB, ANN, 0);
        assert_eq!(all.direct_between(ANN, BOB), Some(ConversationId(2)));
        assert_eq!(all.direct_peers(ANN), vec![BOB]);
        assert_eq!(
            all.of(ANN).iter().map(|c| c.id).collect::<Vec<_>>(),
            [ConversationId(1), ConversationId(2)]
        );
        assert!(all.remove_member(general, BOB));
        assert!(!all.is_member(general, BOB));
        assert_eq!(all.of(BOB).len(), 1);
        assert_eq!(
            all.rooms_for(BOB).len(),
            1,
            "a private conversation is not a room"
        );
    }

    #[test]
    fn the_rooms_shown_at_first_are_ones_own_and_the_largest_others() {
        let mut all = Conversations::default();
        for i in 0..(ROOMS_PAGE as i64 + 50) {
            let id = ConversationId(i + 1);
            all.insert_room(id, &format!("r{i:03}"), 0);
            // Room i has i members (users 1000..1000+i).
            for u in 0..i {
                all.add_member(id, UserId(1000 + u));
            }
        }
        // Ann is in the emptiest room only.
        all.add_member(ConversationId(1), ANN);
        let rooms = all.rooms_for(ANN);
        assert_eq!(rooms.len(), ROOMS_PAGE + 1);
        assert!(rooms.iter().any(|r| r.id == ConversationId(1)), "her own");
        let smallest_other = rooms
            .iter()
            .filter(|r| r.id != ConversationId(1))
            .map(|r| r.member_count)
            .min();
        assert_eq!(smallest_other, Some(50), "the 100 largest of 150");
        assert!(rooms.windows(2).all(|w| w[0].name < w[1].name), "by name");

        // The largest room goes private: off everyone's list but its members'.
        let largest = ConversationId(ROOMS_PAGE as i64 + 50);
        assert!(all.set_private(largest, true) && !all.set_private(largest, true));
        assert!(!all.rooms_for(ANN).iter().any(|r| r.id == largest));
        assert_eq!(
            all.rooms_for(ANN).len(),
            ROOMS_PAGE + 1,
            "the next largest instead"
        );
        let member = UserId(1000);
        let theirs = all.rooms_for(member);
        assert!(theirs.iter().any(|r| r.id == largest && r.private));
        assert!(!all.largest_rooms(ROOMS_PAGE, |_| false).contains(&largest));
    }
}
