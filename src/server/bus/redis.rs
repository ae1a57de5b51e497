//! The bus over Redis: pub/sub for events, and keys with expiry for who is alive and
//! who is online where.
//!
//! A publisher task takes events from the hub (never making it wait) and PUBLISHes
//! them in order over one connection. It also keeps this server's keys: its liveness
//! key `chat:node:<id>`, renewed every fifth of the node timeout and expiring after
//! it, and `chat:presence:<id>`, a hash of the users online here (and `_v`, how many
//! presence changes this server made), expiring with it. On each renewal it lists the
//! other servers' liveness keys for the hub (a server heard of whose key is gone is
//! gone), and reads the presence hash of a server first seen. A subscriber task reads the channel and hands
//! other servers' events to the hub.
//!
//! Either task losing Redis keeps trying, with backoff, while the server goes on
//! serving its own connections. Once back, the subscriber asks its hub for a resync
//! (storage has every message), every presence hash is read again, and a publisher
//! that dropped events tells every server to resync ([`Event::Resync`]). A Redis that
//! restarted empty gets this server's keys written again at the next renewal.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use futures::StreamExt;
use redis::{aio::ConnectionManager, AsyncCommands, Client, RedisError};
use tokio::sync::mpsc;

use super::{Bus, Envelope, Event, Incoming, NodeId};
use crate::protocol::{Author, UserId};

/// The channel every server publishes to and reads.
pub const CHANNEL: &str = "chat:events";

/// Events waiting for the publisher; past this the hub's events are dropped (and a
/// resync announced once Redis takes them again).
const OUTGOING: usize = 65_536;

/// First and longest wait between attempts to reach Redis again.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);

/// The presence hash's field that holds its version.
const VERSION_FIELD: &str = "_v";

fn node_key(node: NodeId) -> String {
    format!("chat:node:{node}")
}

fn presence_key(node: NodeId) -> String {
    format!("chat:presence:{node}")
}

pub struct RedisBus {
    node: NodeId,
    outgoing: mpsc::Sender<Event>,
}

impl RedisBus {
    /// Connects (failing if Redis cannot be reached now: a server that starts without
    /// its bus would miss events silently), subscribes, and starts both tasks.
    pub async fn connect(
        url: &str,
        node: NodeId,
        node_timeout: Duration,
        incoming: mpsc::Sender<Incoming>,
    ) -> Result<Self, RedisError> {
        let client = Client::open(url)?;
        let publisher = client.get_connection_manager().await?;
        let mut subscriber = client.get_async_pubsub().await?;
        subscriber.subscribe(CHANNEL).await?;
        let (outgoing, events) = mpsc::channel(OUTGOING);
        // Set by the subscriber when it is back: read every presence hash again.
        let reread = Arc::new(AtomicBool::new(true));
        let keeper = Keeper {
            redis: publisher,
            node,
            node_timeout,
            incoming: incoming.clone(),
            reread: reread.clone(),
            online: HashMap::new(),
            version: 0,
            known: HashSet::new(),
            dirty: true,
        };
        tokio::spawn(keeper.run(events));
        tokio::spawn(subscribe(client, subscriber, node, incoming, reread));
        tracing::info!(%node, "on the Redis bus");
        Ok(Self { node, outgoing })
    }
}

impl Bus for RedisBus {
    fn node(&self) -> NodeId {
        self.node
    }

    fn publish(&self, event: Event) {
        if self.outgoing.try_send(event).is_err() {
            tracing::warn!("the bus is this far behind; an event is dropped");
        }
    }
}

/// The publisher and keeper of this server's keys.
struct Keeper {
    redis: ConnectionManager,
    node: NodeId,
    node_timeout: Duration,
    incoming: mpsc::Sender<Incoming>,
    reread: Arc<AtomicBool>,
    /// The users online here, as written to the presence hash.
    online: HashMap<UserId, String>,
    /// Presence changes made here so far.
    version: u64,
    /// Other servers alive at the last renewal.
    known: HashSet<NodeId>,
    /// A presence write failed: the hash is written whole at the next renewal.
    dirty: bool,
}

impl Keeper {
    async fn run(mut self, mut events: mpsc::Receiver<Event>) {
        let mut renew = tokio::time::interval(self.node_timeout / 5);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lost = false;
        let mut wait = RETRY_FIRST;
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else { return };
                    self.note_presence(&event).await;
                    if lost {
                        // Tell the others first; if that fails too, this event is lost as well.
                        lost = !self.send(Event::Resync).await;
                        if lost {
                            tokio::time::sleep(wait).await;
                            wait = (wait * 2).min(RETRY_MAX);
                            continue;
                        }
                        wait = RETRY_FIRST;
                    }
                    if !self.send(event).await {
                        lost = true;
                    }
                }
                _ = renew.tick() => {
                    if let Err(e) = self.renew().await {
                        tracing::warn!(error = %e, "renewing this server's keys in Redis failed");
                        self.reread.store(true, Ordering::SeqCst);
                    } else if lost {
                        // Redis is back and nothing else was to be published: the
                        // others still need to hear that events were dropped.
                        lost = !self.send(Event::Resync).await;
                    }
                }
            }
        }
    }

    /// Keeps the presence hash in step with this server's own presence events.
    async fn note_presence(&mut self, event: &Event) {
        let key = presence_key(self.node);
        let mut pipe = redis::pipe();
        match event {
            Event::Online { user, version } => {
                let Ok(json) = serde_json::to_string(user) else {
                    return;
                };
                pipe.hset(&key, user.id.0, &json);
                self.online.insert(user.id, json);
                self.version = *version;
            }
            Event::Offline { user, version } => {
                pipe.hdel(&key, user.0);
                self.online.remove(user);
                self.version = *version;
            }
            _ => return,
        }
        pipe.hset(&key, VERSION_FIELD, self.version)
            .pexpire(&key, self.node_timeout.as_millis() as i64);
        if let Err(e) = pipe.atomic().query_async::<()>(&mut self.redis).await {
            tracing::debug!(error = %e, "presence not written; written whole at the next renewal");
            self.dirty = true;
        }
    }

    /// Publishes one event; false (and logged) if Redis did not take it.
    async fn send(&mut self, event: Event) -> bool {
        let payload = match serde_json::to_vec(&Envelope {
            from: self.node,
            event,
        }) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!(error = %e, "an event could not be encoded");
                return true;
            }
        };
        match self.redis.publish::<_, _, ()>(CHANNEL, payload).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "publishing to Redis failed");
                false
            }
        }
    }

    /// Renews this server's keys (writing them whole if Redis had lost them), then
    /// looks at the other servers: who is new, who is gone.
    async fn renew(&mut self) -> Result<(), RedisError> {
        let ttl = self.node_timeout.as_millis() as u64;
        let previous: Option<String> = redis::cmd("SET")
            .arg(node_key(self.node))
            .arg(1)
            .arg("PX")
            .arg(ttl)
            .arg("GET")
            .query_async(&mut self.redis)
            .await?;
        let key = presence_key(self.node);
        if previous.is_none() || self.dirty {
            // First renewal, a Redis that restarted empty (or lost us), or a write
            // that failed: all of it again.
            let mut pipe = redis::pipe();
            pipe.del(&key);
            for (user, json) in &self.online {
                pipe.hset(&key, user.0, json);
            }
            pipe.hset(&key, VERSION_FIELD, self.version);
            pipe.atomic().query_async::<()>(&mut self.redis).await?;
            self.dirty = false;
        }
        let _: () = self.redis.pexpire(&key, ttl as i64).await?;

        let alive = self.other_nodes().await?;
        let reread = self.reread.swap(false, Ordering::SeqCst);
        for node in &alive {
            if reread || !self.known.contains(node) {
                let presence = self.presence_of(*node).await?;
                if self.incoming.send(presence).await.is_err() {
                    return Ok(());
                }
            }
        }
        let _ = self.incoming.send(Incoming::Alive(alive.clone())).await;
        self.known = alive;
        Ok(())
    }

    /// The other servers whose liveness key has not expired.
    async fn other_nodes(&mut self) -> Result<HashSet<NodeId>, RedisError> {
        let mut nodes = HashSet::new();
        let mut keys = self.redis.scan_match::<_, String>("chat:node:*").await?;
        while let Some(key) = keys.next().await {
            let key = key?;
            let id = key
                .strip_prefix("chat:node:")
                .and_then(|hex| u64::from_str_radix(hex, 16).ok());
            if let Some(id) = id.map(NodeId).filter(|n| *n != self.node) {
                nodes.insert(id);
            }
        }
        Ok(nodes)
    }

    /// A server's presence hash.
    async fn presence_of(&mut self, node: NodeId) -> Result<Incoming, RedisError> {
        let fields: HashMap<String, String> = self.redis.hgetall(presence_key(node)).await?;
        let mut version = 0;
        let mut users = Vec::new();
        for (field, value) in fields {
            if field == VERSION_FIELD {
                version = value.parse().unwrap_or(0);
            } else if let Ok(user) = serde_json::from_str::<Author>(&value) {
                users.push(user);
            }
        }
        Ok(Incoming::NodePresence {
            node,
            users,
            version,
        })
    }
}

/// Hands other servers' events to the hub; when the link breaks, subscribes again
/// (with backoff) and asks for a resync.
async fn subscribe(
    client: Client,
    mut pubsub: redis::aio::PubSub,
    node: NodeId,
    incoming: mpsc::Sender<Incoming>,
    reread: Arc<AtomicBool>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let envelope: Envelope = match serde_json::from_slice(message.get_payload_bytes()) {
                    Ok(envelope) => envelope,
                    Err(e) => {
                        tracing::warn!(error = %e, "an event on the bus could not be read");
                        continue;
                    }
                };
                if envelope.from == node {
                    continue;
                }
                let incoming_event = match envelope.event {
                    Event::Resync => Incoming::Resync,
                    event => Incoming::Event(envelope.from, event),
                };
                if incoming.send(incoming_event).await.is_err() {
                    return; // the hub is gone
                }
            }
        }
        tracing::warn!("lost the Redis bus; reconnecting");
        let mut wait = RETRY_FIRST;
        pubsub = loop {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RETRY_MAX);
            let attempt = async {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(CHANNEL).await?;
                Ok::<_, RedisError>(pubsub)
            };
            match attempt.await {
                Ok(pubsub) => break pubsub,
                Err(e) => tracing::debug!(error = %e, "Redis is still away"),
            }
            if incoming.is_closed() {
                return;
            }
        };
        tracing::info!("back on the Redis bus; checking storage for what was missed");
        reread.store(true, Ordering::SeqCst);
        if incoming.send(Incoming::Resync).await.is_err() {
            return;
        }
    }
}
