//! The bus: how servers sharing one database tell each other what happened, so each
//! can tell its own connections. One server alone needs none ([`Alone`]); several use
//! Redis pub/sub ([`redis`]).
//!
//! Every event is published after its commit, and the bus may lose any of them (pub/sub
//! delivers at most once, and not at all while Redis is away). Nothing depends on it
//! for safety: storage has every message, and a server that may have missed events
//! ([`Incoming::Resync`]) reads what changed from storage. The bus only makes things
//! arrive sooner.

pub mod redis;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::protocol::{
    AuditEntry, Author, ChatMessage, ConversationId, DeviceInfo, LinkId, Removal, ReportId,
    ReportInfo, Role, Seq, UserId,
};

/// One server of several, for as long as its process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u64);

impl NodeId {
    pub fn random() -> Self {
        Self(rand::random())
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Something a server committed (or, for typing, saw) that other servers' connections
/// may need to hear of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "e", rename_all = "snake_case")]
pub enum Event {
    /// A stored message (text or a join/leave line), with its client id: the author's
    /// tabs on other servers match it to what they sent.
    Message { message: ChatMessage },
    /// `user` became a member of the room `name`, whose newest message was then `last_seq`.
    Joined {
        conversation: ConversationId,
        name: String,
        user: UserId,
        last_seq: Seq,
        /// The room is private (unlisted).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
    },
    /// The room became private or public; its audit entry goes to its moderators.
    Privacy {
        conversation: ConversationId,
        private: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<AuditEntry>,
    },
    /// The room's slow mode changed; its audit entry goes to its moderators.
    SlowMode {
        conversation: ConversationId,
        seconds: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<AuditEntry>,
    },
    /// `user` left the room, or was `removed` by a moderator.
    Left {
        conversation: ConversationId,
        user: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        removed: Option<Removal>,
    },
    /// A message was reported: the room's moderators and the admins are told.
    ReportFiled { report: ReportInfo },
    /// A report was marked handled.
    ReportHandled {
        conversation: ConversationId,
        report: ReportId,
    },
    /// `blocker` blocks exactly these people now.
    Blocks { blocker: UserId, users: Vec<Author> },
    /// An instance admin banned `user` from the server: their tabs close everywhere.
    BannedFromServer { user: UserId },
    /// A moderator's action changed what `user` may do in the room; its audit entry
    /// goes to the room's moderators.
    Moderated {
        conversation: ConversationId,
        user: UserId,
        change: Sanction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<AuditEntry>,
    },
    /// A private conversation was opened between these two users.
    DirectOpened {
        conversation: ConversationId,
        users: [Author; 2],
        last_seq: Seq,
    },
    /// `user` has read the conversation up to `seq` at `at_ms` (unread counts follow
    /// the user; read receipts are told from it).
    MarkedRead {
        conversation: ConversationId,
        user: UserId,
        seq: Seq,
        #[serde(default)]
        at_ms: i64,
    },
    /// `user` turned sharing read receipts on or off.
    ReceiptsShared { user: UserId, on: bool },
    /// Tokens a server took from its rate-limit buckets in the last moment, so that
    /// the others take them too: a user (or an address) has one budget across
    /// servers. Buckets are numbered as the hub numbers them (a number a server does
    /// not know is skipped); lost if lost.
    Spent {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<(UserId, u8, u32)>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        addresses: Vec<(std::net::IpAddr, u8, u32)>,
    },
    /// `user` is typing in the conversation (not stored; lost if lost).
    Typing {
        conversation: ConversationId,
        user: UserId,
    },
    /// The session with this token hash ended: every tab of it closes, on every server.
    LoggedOut { token_hash: [u8; 32] },
    /// A device redeemed a code the session `offered_by` offered: its tabs ask the user.
    LinkRequested {
        offered_by: [u8; 32],
        link: LinkId,
        device: DeviceInfo,
    },
    /// The link was allowed or refused (or its device stopped waiting): the waiting
    /// device (token hash `claim`) gets its session or the refusal, the offering
    /// session's tabs close their dialog.
    LinkDecided {
        link: LinkId,
        offered_by: [u8; 32],
        claim: [u8; 32],
        accepted: bool,
    },
    /// `user` is online on the sending server (it made `version` presence changes so far).
    Online { user: Author, version: u64 },
    /// `user` is no longer online on the sending server (its grace period is over there).
    Offline { user: UserId, version: u64 },
    /// The sender could not publish for a while: check storage for what it committed.
    Resync,
}

/// What a moderator's action changed of a user in a room (see [`Event::Moderated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum Sanction {
    /// Their role is now this one (handing over the ownership demotes the old owner).
    Role { role: Role },
    /// Banned (which takes their role and timeout too), or no longer.
    Banned { on: bool },
    /// May not write until then (0: they may again).
    TimedOut { until_ms: i64 },
    /// Nothing but the entry (a removed message's, a kick's).
    Noted,
}

/// An event and the server it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub from: NodeId,
    #[serde(flatten)]
    pub event: Event,
}

/// What the bus hands the hub.
#[derive(Debug)]
pub enum Incoming {
    /// Another server's event.
    Event(NodeId, Event),
    /// Events may have been lost (the link to Redis was down, or another server could
    /// not publish): read what changed from storage.
    Resync,
    /// Who is online on a server, as it wrote it down after `version` presence changes
    /// (read when the server is first seen, and after this one lost the bus).
    NodePresence {
        node: NodeId,
        users: Vec<Author>,
        version: u64,
    },
    /// The other servers whose liveness keys are there now (every renewal): a server
    /// heard of but missing twice in a row is gone, and its users with it (after the
    /// grace period, unless they turn up on another server).
    Alive(std::collections::HashSet<NodeId>),
}

/// Publishing side of a bus.
pub trait Bus: Send + Sync {
    /// This server's id on the bus.
    fn node(&self) -> NodeId;

    /// Hands an event to the other servers. Never waits: the hub calls it.
    fn publish(&self, event: Event);

    /// No other server can hear: events need not even be made (a message's copy).
    fn alone(&self) -> bool {
        false
    }
}

/// Shared handle to the bus.
pub type SharedBus = Arc<dyn Bus>;

/// A server with no others: nobody to tell, nothing to hear.
pub struct Alone(NodeId);

impl Bus for Alone {
    fn node(&self) -> NodeId {
        self.0
    }

    fn publish(&self, _event: Event) {}

    fn alone(&self) -> bool {
        true
    }
}

/// Room for events from the bus waiting for the hub; a hub this far behind makes the
/// subscriber wait (and Redis, past its own buffer, drops the link: a resync follows).
const INCOMING: usize = 65_536;

/// One server alone, and its (silent) events.
pub fn alone() -> (SharedBus, mpsc::Receiver<Incoming>) {
    let (_, events) = mpsc::channel(1);
    (Arc::new(Alone(NodeId::random())), events)
}

/// The bus of `redis_url`, or [`Alone`] without one, and the events for the hub
/// (subscribed before this returns: nothing published after it is missed). A server
/// that has not renewed its liveness key for `node_timeout` counts as gone.
pub async fn connect(
    redis_url: Option<&str>,
    node_timeout: std::time::Duration,
) -> Result<(SharedBus, mpsc::Receiver<Incoming>), ::redis::RedisError> {
    let Some(url) = redis_url else {
        return Ok(alone());
    };
    let (incoming, events) = mpsc::channel(INCOMING);
    let bus = redis::RedisBus::connect(url, NodeId::random(), node_timeout, incoming).await?;
    Ok((Arc::new(bus), events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_wire() {
        let author = |id, name: &str| Author {
            id: UserId(id),
            nickname: name.into(),
            avatar: "fox".into(),
        };
        for event in [
            Event::Joined {
                conversation: ConversationId(3),
                name: "den".into(),
                user: UserId(1),
                last_seq: 7,
                private: true,
            },
            Event::SlowMode {
                conversation: ConversationId(3),
                seconds: 30,
                entry: None,
            },
            Event::Spent {
                users: vec![(UserId(1), 0, 3)],
                addresses: vec![("10.0.0.1".parse().unwrap(), 1, 2)],
            },
            Event::DirectOpened {
                conversation: ConversationId(4),
                users: [author(1, "Ann"), author(2, "Bob")],
                last_seq: 0,
            },
            Event::LoggedOut {
                token_hash: [7; 32],
            },
            Event::LinkRequested {
                offered_by: [1; 32],
                link: LinkId(5),
                device: DeviceInfo {
                    browser: "Firefox".into(),
                    system: "Android".into(),
                },
            },
            Event::LinkDecided {
                link: LinkId(5),
                offered_by: [1; 32],
                claim: [2; 32],
                accepted: true,
            },
            Event::Online {
                user: author(3, "Cy"),
                version: 9,
            },
            Event::Resync,
        ] {
            let envelope = Envelope {
                from: NodeId(42),
                event,
            };
            let wire = serde_json::to_vec(&envelope).unwrap();
            assert_eq!(serde_json::from_slice::<Envelope>(&wire).unwrap(), envelope);
        }
    }
}
