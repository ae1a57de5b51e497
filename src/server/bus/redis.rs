//! The bus over Redis pub/sub: one channel, every server publishing and subscribed.
//!
//! A publisher task takes events from the hub (never making it wait) and PUBLISHes
//! them in order over one connection; a subscriber task reads the channel and hands
//! other servers' events to the hub. Either one losing Redis keeps trying, with
//! backoff, while the server goes on serving its own connections; once back, the
//! subscriber asks its hub for a resync, and a publisher that dropped events tells
//! every server to resync ([`Event::Resync`]).

use std::time::Duration;

use futures::StreamExt;
use redis::{aio::ConnectionManager, AsyncCommands, Client, RedisError};
use tokio::sync::mpsc;

use super::{Bus, Envelope, Event, Incoming, NodeId};

/// The channel every server publishes to and reads.
pub const CHANNEL: &str = "chat:events";

/// Events waiting for the publisher; past this the hub's events are dropped (and a
/// resync announced once Redis takes them again).
const OUTGOING: usize = 65_536;

/// First and longest wait between attempts to reach Redis again.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);

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
        incoming: mpsc::Sender<Incoming>,
    ) -> Result<Self, RedisError> {
        let client = Client::open(url)?;
        let publisher = client.get_connection_manager().await?;
        let mut subscriber = client.get_async_pubsub().await?;
        subscriber.subscribe(CHANNEL).await?;
        let (outgoing, events) = mpsc::channel(OUTGOING);
        tokio::spawn(publish(publisher, node, events));
        tokio::spawn(subscribe(client, subscriber, node, incoming));
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

/// Publishes events in order. Events that cannot be published are dropped; the first
/// one that can afterwards is preceded by a resync for everyone.
async fn publish(mut redis: ConnectionManager, node: NodeId, mut events: mpsc::Receiver<Event>) {
    let mut lost = false;
    let mut wait = RETRY_FIRST;
    while let Some(event) = events.recv().await {
        if lost {
            // Tell the others first; if that fails too, this event is lost as well.
            lost = !send(&mut redis, node, Event::Resync).await;
            if lost {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_MAX);
                continue;
            }
            wait = RETRY_FIRST;
        }
        if !send(&mut redis, node, event).await {
            lost = true;
        }
    }
}

/// Publishes one event; false (and logged) if Redis did not take it.
async fn send(redis: &mut ConnectionManager, node: NodeId, event: Event) -> bool {
    let payload = match serde_json::to_vec(&Envelope { from: node, event }) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::error!(error = %e, "an event could not be encoded");
            return true;
        }
    };
    match redis.publish::<_, _, ()>(CHANNEL, payload).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "publishing to Redis failed");
            false
        }
    }
}

/// Hands other servers' events to the hub; when the link breaks, subscribes again
/// (with backoff) and asks for a resync.
async fn subscribe(
    client: Client,
    mut pubsub: redis::aio::PubSub,
    node: NodeId,
    incoming: mpsc::Sender<Incoming>,
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
                    event => Incoming::Event(event),
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
        if incoming.send(Incoming::Resync).await.is_err() {
            return;
        }
    }
}
