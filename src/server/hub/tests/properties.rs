//! Properties of the hub under random sequences of requests from three users (joins,
//! leaves, sends, private conversations, read marks, typing, and moderation: roles
//! given, kicks, bans, unbans, timeouts; blocks and unblocks of a person; rooms made
//! private and public; to real, missing and made-up conversations), against a real
//! SQLite file:
//! - a message reaches the members of its conversation, every one and nobody else
//!   (a kicked or banned user is a member no more), but those who block its author;
//! - nobody joins a private room by its name;
//! - nothing of a room reaches a user banned from it, who cannot join it again, and
//!   nothing a timed-out user writes there is delivered;
//! - its author is the user whose session sent it, and its client id goes to that
//!   author alone;
//! - each conversation's sequence numbers are 1, 2, 3… with no gap, in storage and in
//!   the order every connection receives them.
//!
//! Each step is one request followed by a `send` to the user's own barrier room from the
//! same connection (its ack comes after the request's effects; nobody moderates that
//! room, so it is never refused), then every queue is drained.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::protocol::{
    ClientMsg, ClientMsgId, ConversationId, ConversationKind, MessageBody, Role, ServerMsg, UserId,
};
use crate::server::{
    hub::{Connection, Hub, HubSettings},
    store::Store,
};

const USERS: usize = 3;
const ROOMS: [&str; 2] = ["r0", "r1"];

#[derive(Debug, Clone)]
enum Target {
    General,
    Room(usize),
    Direct(usize),
    MadeUp(i64),
}

#[derive(Debug, Clone)]
enum Action {
    Join(usize),
    Leave(Target),
    Send(Target, String),
    OpenDirect(usize),
    MarkRead(Target, u64),
    Typing(Target),
    /// Moderation of a user (by index) in a room (or general, or a made-up one).
    Moderate(Target, usize, Moderation),
    /// Blocks (true) or unblocks a user (by index; oneself is refused).
    Block(usize, bool),
    /// Makes a room private (true) or public (its owner's or an admin's).
    SetPrivate(usize, bool),
}

#[derive(Debug, Clone, Copy)]
enum Moderation {
    Moderator,
    Member,
    Kick,
    Ban,
    Unban,
    /// A timeout long enough not to pass during the test, or (false) lifted.
    Timeout(bool),
}

fn moderation() -> impl Strategy<Value = Moderation> {
    prop_oneof![
        Just(Moderation::Moderator),
        Just(Moderation::Member),
        Just(Moderation::Kick),
        Just(Moderation::Ban),
        Just(Moderation::Unban),
        any::<bool>().prop_map(Moderation::Timeout),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::General),
        (0..ROOMS.len()).prop_map(Target::Room),
        (0..USERS).prop_map(Target::Direct),
        (1_000i64..1_100).prop_map(Target::MadeUp),
    ]
}

fn action() -> impl Strategy<Value = (usize, Action)> {
    let action = prop_oneof![
        2 => (0..ROOMS.len()).prop_map(Action::Join),
        1 => target().prop_map(Action::Leave),
        3 => (target(), "[a-z ]{0,12}").prop_map(|(t, text)| Action::Send(t, text)),
        1 => (0..USERS).prop_map(Action::OpenDirect),
        1 => (target(), 0u64..20).prop_map(|(t, seq)| Action::MarkRead(t, seq)),
        1 => target().prop_map(Action::Typing),
        1 => (target(), 0..USERS, moderation()).prop_map(|(t, u, m)| Action::Moderate(t, u, m)),
        1 => (0..USERS, any::<bool>()).prop_map(|(u, on)| Action::Block(u, on)),
        1 => (0..ROOMS.len(), any::<bool>()).prop_map(|(r, on)| Action::SetPrivate(r, on)),
    ];
    // Moderation mostly of rooms, and often by the admin (Cy, user 2), so that much of
    // it is allowed.
    let room = prop_oneof![
        1 => Just(Target::General),
        3 => (0..ROOMS.len()).prop_map(Target::Room),
    ];
    let actor = prop_oneof![Just(USERS - 1), 0..USERS];
    let moderating = (actor, room, 0..USERS, moderation())
        .prop_map(|(me, t, u, m)| (me, Action::Moderate(t, u, m)));
    prop_oneof![3 => (0..USERS, action), 1 => moderating]
}

/// What the test knows: each user's id and connection, and who is in what.
struct World {
    hub: Hub,
    users: Vec<(UserId, Connection)>,
    general: ConversationId,
    /// Each user's room of their own, for the barrier of each step.
    barriers: Vec<ConversationId>,
    rooms: BTreeMap<String, ConversationId>,
    /// Private conversations by their two users (lower index first).
    directs: BTreeMap<(usize, usize), ConversationId>,
    members: BTreeMap<ConversationId, BTreeSet<UserId>>,
    /// The sequence numbers each user received, by conversation, in order.
    received: BTreeMap<(UserId, ConversationId), Vec<u64>>,
    /// Who is banned from which room (bans and unbans that were not refused), and who
    /// is timed out there (as they are told).
    banned: BTreeMap<ConversationId, BTreeSet<UserId>>,
    timed_out: BTreeMap<ConversationId, BTreeSet<UserId>>,
    /// Who blocks whom (blocks and unblocks that were not refused).
    blocks: BTreeSet<(UserId, UserId)>,
    /// Rooms made private (and not public again).
    private: BTreeSet<ConversationId>,
    client_ids: u64,
}

impl World {
    fn conversation(&self, me: usize, target: &Target) -> ConversationId {
        match target {
            Target::General => self.general,
            Target::Room(r) => self
                .rooms
                .get(ROOMS[*r])
                .copied()
                .unwrap_or(ConversationId(-1)),
            Target::Direct(peer) => {
                let key = (me.min(*peer), me.max(*peer));
                self.directs
                    .get(&key)
                    .copied()
                    .unwrap_or(ConversationId(-2))
            }
            Target::MadeUp(id) => ConversationId(*id),
        }
    }

    fn request(&mut self, me: usize, action: &Action) -> ClientMsg {
        match action {
            Action::Join(r) => ClientMsg::JoinRoom {
                name: ROOMS[*r].into(),
            },
            Action::Leave(t) => ClientMsg::LeaveRoom {
                conversation: self.conversation(me, t),
            },
            Action::Send(t, text) => {
                self.client_ids += 1;
                ClientMsg::Send {
                    conversation: self.conversation(me, t),
                    client_id: ClientMsgId(format!("p{}", self.client_ids)),
                    text: text.clone(),
                    reply_to: None,
                    mentions: Vec::new(),
                }
            }
            Action::OpenDirect(peer) => ClientMsg::OpenDirect {
                user: self.users[*peer].0,
            },
            Action::MarkRead(t, seq) => ClientMsg::MarkRead {
                conversation: self.conversation(me, t),
                seq: *seq,
            },
            Action::Typing(t) => ClientMsg::Typing {
                conversation: self.conversation(me, t),
            },
            Action::SetPrivate(r, private) => ClientMsg::SetPrivate {
                conversation: self.conversation(me, &Target::Room(*r)),
                private: *private,
            },
            Action::Block(user, true) => ClientMsg::Block {
                user: self.users[*user].0,
            },
            Action::Block(user, false) => ClientMsg::Unblock {
                user: self.users[*user].0,
            },
            Action::Moderate(t, target, m) => {
                let (conversation, user) = (self.conversation(me, t), self.users[*target].0);
                match m {
                    Moderation::Moderator | Moderation::Member => ClientMsg::SetRole {
                        conversation,
                        user,
                        role: if matches!(m, Moderation::Moderator) {
                            Role::Moderator
                        } else {
                            Role::Member
                        },
                    },
                    Moderation::Kick => ClientMsg::Kick { conversation, user },
                    Moderation::Ban => ClientMsg::Ban {
                        conversation,
                        user,
                        remove_last_s: 0,
                    },
                    Moderation::Unban => ClientMsg::Unban { conversation, user },
                    Moderation::Timeout(on) => ClientMsg::Timeout {
                        conversation,
                        user,
                        seconds: if *on { 3600 } else { 0 },
                    },
                }
            }
        }
    }

    /// Runs one step and checks what it delivered.
    async fn step(&mut self, me: usize, action: &Action) -> Result<(), TestCaseError> {
        let before = self.members.clone();
        let banned_before = self.banned.clone();
        let muted_before = self.timed_out.clone();
        let blocks_before = self.blocks.clone();
        let private_before = self.private.clone();
        let request = self.request(me, action);
        let sent = match &request {
            ClientMsg::Send { conversation, .. } => Some(*conversation),
            _ => None,
        };
        let (author, conn) = (self.users[me].0, self.users[me].1.id);
        self.hub.request(conn, request).await;
        self.client_ids += 1;
        let barrier = ClientMsgId(format!("p{}", self.client_ids));
        let barrier_room = self.barriers[me];
        self.hub
            .request(
                conn,
                ClientMsg::Send {
                    conversation: barrier_room,
                    client_id: barrier.clone(),
                    text: "barrier".into(),
                    reply_to: None,
                    mentions: Vec::new(),
                },
            )
            .await;
        let (mut actor, ()) = super::until(&mut self.users[me].1, |m| {
            matches!(m, ServerMsg::Ack { client_id, .. } if *client_id == barrier).then_some(())
        })
        .await;
        // Everything the step queued is queued now (the barrier's fan-out happens in
        // the same step of the hub as its ack).
        // A request refused is answered with an error (of no client id but a send's).
        let refused = actor.iter().any(|m| {
            matches!(
                m,
                ServerMsg::Error {
                    client_id: None,
                    ..
                }
            )
        });
        if let (Action::SetPrivate(r, on), false) = (action, refused) {
            let room = self.conversation(me, &Target::Room(*r));
            if *on {
                self.private.insert(room);
            } else {
                self.private.remove(&room);
            }
        }
        if let (Action::Block(user, on), false) = (action, refused) {
            let pair = (self.users[me].0, self.users[*user].0);
            if *on {
                self.blocks.insert(pair);
            } else {
                self.blocks.remove(&pair);
            }
        }
        if let (Action::Moderate(t, target, m), false) = (action, refused) {
            let (room, user) = (self.conversation(me, t), self.users[*target].0);
            match m {
                Moderation::Ban => {
                    self.banned.entry(room).or_default().insert(user);
                    self.timed_out.entry(room).or_default().remove(&user);
                }
                Moderation::Unban => {
                    self.banned.entry(room).or_default().remove(&user);
                }
                _ => {}
            }
        }
        let mut got: Vec<(usize, ServerMsg)> = actor.drain(..).map(|m| (me, m)).collect();
        for (i, (_, c)) in self.users.iter_mut().enumerate() {
            while let Ok(frame) = c.outbox.try_recv() {
                got.push((i, serde_json::from_str(frame.as_str()).unwrap()));
            }
        }
        // Who received the step's text messages, and what each said.
        let mut recipients: BTreeMap<(ConversationId, u64), BTreeSet<UserId>> = BTreeMap::new();
        for (i, msg) in got {
            let me_id = self.users[i].0;
            match msg {
                ServerMsg::Joined { conversation } => {
                    // A private room is joined by no one who was not in it (nobody
                    // here follows an invite).
                    prop_assert!(
                        !private_before.contains(&conversation.id)
                            || before
                                .get(&conversation.id)
                                .is_some_and(|m| m.contains(&me_id)),
                        "{} joined private room {}",
                        me_id,
                        conversation.id
                    );
                    self.members
                        .entry(conversation.id)
                        .or_default()
                        .insert(me_id);
                    match conversation.kind {
                        ConversationKind::Room { name, .. } => {
                            self.rooms.insert(name, conversation.id);
                        }
                        ConversationKind::Direct { users } => {
                            let index = |u: UserId| self.users.iter().position(|(id, _)| *id == u);
                            if let (Some(a), Some(b)) = (index(users[0]), index(users[1])) {
                                self.directs.insert((a.min(b), a.max(b)), conversation.id);
                            }
                        }
                    }
                }
                ServerMsg::Left { conversation, .. } => {
                    self.members.entry(conversation).or_default().remove(&me_id);
                }
                ServerMsg::TimedOut {
                    conversation,
                    until_ms,
                } => {
                    let muted = self.timed_out.entry(conversation).or_default();
                    if until_ms > 0 {
                        muted.insert(me_id);
                    } else {
                        muted.remove(&me_id);
                    }
                }
                ServerMsg::Message { message } => {
                    let seen = self
                        .received
                        .entry((me_id, message.conversation))
                        .or_default();
                    prop_assert!(
                        seen.last().is_none_or(|last| *last < message.seq),
                        "out of order: {:?} after {:?}",
                        message.seq,
                        seen.last()
                    );
                    seen.push(message.seq);
                    let room = message.conversation;
                    prop_assert!(
                        !banned_before.get(&room).is_some_and(|b| b.contains(&me_id)),
                        "a message of {} reached {}, banned from it",
                        room,
                        me_id
                    );
                    if let MessageBody::Text { text } = &message.body {
                        prop_assert!(
                            !muted_before
                                .get(&room)
                                .is_some_and(|m| m.contains(&message.author.id)),
                            "{} wrote to {} while timed out",
                            message.author.id,
                            room
                        );
                        if text != "barrier" {
                            prop_assert_eq!(message.author.id, author, "stamped author");
                            prop_assert_eq!(Some(message.conversation), sent);
                        }
                        prop_assert_eq!(
                            message.client_id.is_some(),
                            me_id == message.author.id,
                            "a client id goes to its author only"
                        );
                        if !self.barriers.contains(&message.conversation) {
                            recipients
                                .entry((message.conversation, message.seq))
                                .or_default()
                                .insert(me_id);
                        }
                    }
                }
                _ => {}
            }
        }
        // Everyone in the conversation when it was sent but those who block its
        // author, and nobody else.
        for ((conversation, _), got) in recipients {
            let members = before.get(&conversation).cloned().unwrap_or_default();
            let members: BTreeSet<UserId> = if conversation == self.general {
                self.users.iter().map(|(id, _)| *id).collect()
            } else {
                members
            };
            let members = members
                .into_iter()
                .filter(|m| !blocks_before.contains(&(*m, author)))
                .collect::<BTreeSet<_>>();
            prop_assert_eq!(got, members, "recipients of a message in {}", conversation);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn messages_reach_members_only_stamped_with_their_author_gapless(
        actions in prop::collection::vec(action(), 1..50)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let many = std::num::NonZeroU32::new(1_000_000).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path().join("hub.db").to_str().unwrap()).await.unwrap();
            let settings = HubSettings {
                sends_per_second: many,
                send_burst: many,
                room_changes_per_minute: many,
                room_change_burst: many,
                ..HubSettings::default()
            };
            // Cy is an instance admin (above every owner, in general too), signed up
            // before the hub starts (which reads the admins then).
            let skeleton = crate::server::hub::nickname_skeleton("Cy");
            let token = crate::server::hub::sessions::hash_token("cy-token");
            let now = crate::server::unix_millis();
            let (general_room, _) = store.ensure_room(crate::protocol::GENERAL_ROOM, 0).await.unwrap();
            let cy = crate::server::store::NewUser::new("Cy", &skeleton, "fox", &token, now);
            store.sign_up(cy, 0, Some(general_room)).await.unwrap().unwrap();
            store.set_admin(&skeleton, true, now).await.unwrap();
            let hub = Hub::start(store.clone(), settings, crate::server::bus::alone()).await.unwrap();
            let mut users = Vec::new();
            let mut general = ConversationId(0);
            for name in ["Ann", "Bo", "Cy"] {
                let mut conn = hub.connect(std::net::Ipv4Addr::LOCALHOST.into(), "").await;
                let login = if name == "Cy" {
                    ClientMsg::Resume { token: "cy-token".into(), cursors: Vec::new() }
                } else {
                    ClientMsg::Login { nickname: name.into(), avatar: "fox".into() }
                };
                hub.request(conn.id, login).await;
                let (_, (me, g)) = super::until(&mut conn, |m| match m {
                    ServerMsg::Ready { me, conversations, .. } => Some((me.id, conversations[0].id)),
                    _ => None,
                })
                .await;
                general = g;
                users.push((me, conn));
            }
            let mut barriers = Vec::new();
            for (i, (_, c)) in users.iter_mut().enumerate() {
                hub.request(c.id, ClientMsg::JoinRoom { name: format!("barrier{i}") }).await;
                let (_, room) = super::until(c, |m| match m {
                    ServerMsg::Joined { conversation } => Some(conversation.id),
                    _ => None,
                })
                .await;
                barriers.push(room);
            }
            for (_, c) in users.iter_mut() {
                while c.outbox.try_recv().is_ok() {}
            }
            let mut world = World {
                hub,
                users,
                general,
                barriers,
                rooms: BTreeMap::new(),
                directs: BTreeMap::new(),
                members: BTreeMap::new(),
                received: BTreeMap::new(),
                banned: BTreeMap::new(),
                timed_out: BTreeMap::new(),
                blocks: BTreeSet::new(),
                private: BTreeSet::new(),
                client_ids: 0,
            };
            for (me, action) in &actions {
                world.step(*me, action).await?;
            }
            // Storage holds every conversation's messages as 1, 2, 3…
            let mut conversations: BTreeSet<ConversationId> = world.members.keys().copied().collect();
            conversations.insert(world.general);
            for conversation in conversations {
                let stored = store.messages_between(conversation, 0, u64::MAX >> 1).await.unwrap();
                let seqs: Vec<u64> = stored.iter().map(|m| m.seq).collect();
                prop_assert_eq!(seqs.clone(), (1..=seqs.len() as u64).collect::<Vec<_>>());
            }
            Ok(())
        })?;
    }
}
