//! Properties of the hub under random sequences of requests from three users (joins,
//! leaves, sends, private conversations, read marks, typing; to real, missing and
//! made-up conversations), against a real SQLite file:
//! - a message reaches the members of its conversation, every one and nobody else;
//! - its author is the user whose session sent it, and its client id goes to that
//!   author alone;
//! - each conversation's sequence numbers are 1, 2, 3… with no gap, in storage and in
//!   the order every connection receives them.
//!
//! Each step is one request followed by a `send` to `general` from the same connection
//! (its ack comes after the request's effects), then every queue is drained.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::protocol::{
    ClientMsg, ClientMsgId, ConversationId, ConversationKind, MessageBody, ServerMsg, UserId,
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
        1 => (0..ROOMS.len()).prop_map(Action::Join),
        1 => target().prop_map(Action::Leave),
        3 => (target(), "[a-z ]{0,12}").prop_map(|(t, text)| Action::Send(t, text)),
        1 => (0..USERS).prop_map(Action::OpenDirect),
        1 => (target(), 0u64..20).prop_map(|(t, seq)| Action::MarkRead(t, seq)),
        1 => target().prop_map(Action::Typing),
    ];
    (0..USERS, action)
}

/// What the test knows: each user's id and connection, and who is in what.
struct World {
    hub: Hub,
    users: Vec<(UserId, Connection)>,
    general: ConversationId,
    rooms: BTreeMap<String, ConversationId>,
    /// Private conversations by their two users (lower index first).
    directs: BTreeMap<(usize, usize), ConversationId>,
    members: BTreeMap<ConversationId, BTreeSet<UserId>>,
    /// The sequence numbers each user received, by conversation, in order.
    received: BTreeMap<(UserId, ConversationId), Vec<u64>>,
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
        }
    }

    /// Runs one step and checks what it delivered.
    async fn step(&mut self, me: usize, action: &Action) -> Result<(), TestCaseError> {
        let before = self.members.clone();
        let request = self.request(me, action);
        let sent = match &request {
            ClientMsg::Send { conversation, .. } => Some(*conversation),
            _ => None,
        };
        let (author, conn) = (self.users[me].0, self.users[me].1.id);
        self.hub.request(conn, request).await;
        self.client_ids += 1;
        let barrier = ClientMsgId(format!("p{}", self.client_ids));
        let general = self.general;
        self.hub
            .request(
                conn,
                ClientMsg::Send {
                    conversation: general,
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
                    if let MessageBody::Text { text } = &message.body {
                        if text != "barrier" {
                            prop_assert_eq!(message.author.id, author, "stamped author");
                            prop_assert_eq!(Some(message.conversation), sent);
                        }
                        prop_assert_eq!(
                            message.client_id.is_some(),
                            me_id == message.author.id,
                            "a client id goes to its author only"
                        );
                        recipients
                            .entry((message.conversation, message.seq))
                            .or_default()
                            .insert(me_id);
                    }
                }
                _ => {}
            }
        }
        // Everyone in the conversation when it was sent, and nobody else.
        for ((conversation, _), got) in recipients {
            let members = before.get(&conversation).cloned().unwrap_or_default();
            let members = if conversation == self.general {
                self.users.iter().map(|(id, _)| *id).collect()
            } else {
                members
            };
            prop_assert_eq!(got, members, "recipients of a message in {}", conversation);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn messages_reach_members_only_stamped_with_their_author_gapless(
        actions in prop::collection::vec(action(), 1..30)
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
            let hub = Hub::start(store.clone(), settings, crate::server::bus::alone()).await.unwrap();
            let mut users = Vec::new();
            let mut general = ConversationId(0);
            for name in ["Ann", "Bo", "Cy"] {
                let mut conn = hub.connect(std::net::Ipv4Addr::LOCALHOST.into(), "").await;
                let login = ClientMsg::Login { nickname: name.into(), avatar: "fox".into() };
                hub.request(conn.id, login).await;
                let (_, (me, g)) = super::until(&mut conn, |m| match m {
                    ServerMsg::Ready { me, conversations, .. } => Some((me.id, conversations[0].id)),
                    _ => None,
                })
                .await;
                general = g;
                users.push((me, conn));
            }
            for (_, c) in users.iter_mut() {
                while c.outbox.try_recv().is_ok() {}
            }
            let mut world = World {
                hub,
                users,
                general,
                rooms: BTreeMap::new(),
                directs: BTreeMap::new(),
                members: BTreeMap::new(),
                received: BTreeMap::new(),
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
