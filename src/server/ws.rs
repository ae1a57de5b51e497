//! One WebSocket connection: greets the client, parses its frames and hands them to
//! the hub, writes what the hub queues for it, and keeps the heartbeat.
//!
//! The loop is generic over the socket's sink and stream (as in axum's
//! testing-websockets example), so unit tests drive it with channels.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::{sync::watch, time::Instant};

use super::hub::Hub;
use crate::protocol::{close_code, ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};

/// Timing and abuse limits of one connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSettings {
    pub heartbeat_interval: Duration,
    pub heartbeat_timeout: Duration,
    pub client_ping_interval: Duration,
    /// Invalid frames in a row after which the connection is closed with 1008.
    pub max_invalid_frames: u32,
    /// Frames the hub may queue for this connection.
    pub outbox_capacity: usize,
    /// A frame the socket does not take within this long ends the connection: the
    /// peer stopped reading, and a blocked write must not keep it alive for ever.
    pub write_timeout: Duration,
}

/// What went wrong reading a frame, as far as the loop needs to know.
#[derive(Debug)]
pub enum ReadError {
    /// The frame exceeded the size limit: answered with close 1009.
    TooBig,
    /// Anything else (reset, protocol error): the connection is gone.
    Other(String),
}

/// Why a connection ended (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    ClientClosed,
    ClientGone,
    TooBig,
    HeartbeatTimeout,
    PolicyViolation,
    ServerShutdown,
    /// The hub closed it (logout, too slow, flooding) with this code.
    ClosedByHub(u16),
}

/// Runs one connection until it ends. `shutdown` turning true closes it with 1001.
pub async fn run_connection<W, R>(
    sink: W,
    stream: R,
    hub: Hub,
    settings: ConnectionSettings,
    shutdown: watch::Receiver<bool>,
) -> Ended
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, ReadError>> + Unpin,
{
    let mut connection = hub.connect(settings.outbox_capacity).await;
    let ended = drive(sink, stream, &hub, &mut connection, settings, shutdown).await;
    hub.disconnect(connection.id).await;
    ended
}

async fn drive<W, R>(
    mut sink: W,
    mut stream: R,
    hub: &Hub,
    connection: &mut super::hub::Connection,
    settings: ConnectionSettings,
    mut shutdown: watch::Receiver<bool>,
) -> Ended
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, ReadError>> + Unpin,
{
    let welcome = ServerMsg::Welcome {
        protocol: PROTOCOL_VERSION,
        ping_interval_ms: settings.client_ping_interval.as_millis() as u64,
        server_time_ms: unix_millis(),
    };
    let timeout = settings.write_timeout;
    if send(&mut sink, &welcome, timeout).await.is_err() {
        return Ended::ClientGone;
    }

    let start = Instant::now() + settings.heartbeat_interval;
    let mut heartbeat = tokio::time::interval_at(start, settings.heartbeat_interval);
    let mut last_seen = Instant::now();
    let mut invalid_in_a_row = 0u32;

    loop {
        tokio::select! {
            // A close from the hub or the server goes first: frames still queued are
            // not lost, the client replays them from storage when it resumes.
            biased;
            code = &mut connection.closed => {
                let code = code.unwrap_or(close_code::GOING_AWAY);
                let reason = match code {
                    close_code::LOGGED_OUT => "logged out",
                    close_code::TOO_SLOW => "too slow",
                    close_code::POLICY_VIOLATION => "too many messages",
                    _ => "closed by the server",
                };
                close(&mut sink, code, reason, timeout).await;
                return Ended::ClosedByHub(code);
            }
            // A dropped sender means the server is gone too.
            _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => {
                close(&mut sink, close_code::GOING_AWAY, "server shutting down", timeout).await;
                return Ended::ServerShutdown;
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() >= settings.heartbeat_timeout {
                    tracing::info!("closing silent connection");
                    close(&mut sink, close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout", timeout).await;
                    return Ended::HeartbeatTimeout;
                }
                if write(&mut sink, Message::Ping(Default::default()), timeout).await.is_err() {
                    return Ended::ClientGone;
                }
            }
            frame = connection.outbox.recv() => {
                let Some(frame) = frame else { return Ended::ClientGone };
                let Ok(text) = Utf8Bytes::try_from(frame) else { continue };
                if write(&mut sink, Message::Text(text), timeout).await.is_err() {
                    return Ended::ClientGone;
                }
            }
            frame = stream.next() => {
                let frame = match frame {
                    None => return Ended::ClientGone,
                    Some(Err(ReadError::TooBig)) => {
                        close(&mut sink, close_code::MESSAGE_TOO_BIG, "message too big", timeout).await;
                        return Ended::TooBig;
                    }
                    Some(Err(ReadError::Other(e))) => {
                        tracing::debug!(error = %e, "websocket read failed");
                        return Ended::ClientGone;
                    }
                    Some(Ok(frame)) => frame,
                };
                last_seen = Instant::now();
                let reply = match frame {
                    Message::Text(text) => match serde_json::from_str::<ClientMsg>(text.as_str()) {
                        // Answered here: a liveness probe should not wait behind the hub.
                        Ok(ClientMsg::Ping { nonce }) => {
                            invalid_in_a_row = 0;
                            ServerMsg::Pong { nonce }
                        }
                        Ok(msg) => {
                            invalid_in_a_row = 0;
                            hub.request(connection.id, msg).await;
                            continue;
                        }
                        Err(e) => {
                            tracing::info!(error = %e, "malformed client message");
                            invalid_in_a_row += 1;
                            ServerMsg::error(
                                ErrorCode::MalformedMessage,
                                format!("not a valid client message: {e}"),
                            )
                        }
                    },
                    Message::Binary(_) => {
                        tracing::info!("binary frame from client");
                        invalid_in_a_row += 1;
                        ServerMsg::error(
                            ErrorCode::UnsupportedFrame,
                            "binary frames are not supported; send JSON text",
                        )
                    }
                    // The WebSocket library answers Ping frames itself.
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Close(_) => return Ended::ClientClosed,
                };
                if invalid_in_a_row >= settings.max_invalid_frames {
                    tracing::warn!(invalid_in_a_row, "closing connection: too many invalid frames");
                    close(&mut sink, close_code::POLICY_VIOLATION, "too many invalid messages", timeout).await;
                    return Ended::PolicyViolation;
                }
                if send(&mut sink, &reply, timeout).await.is_err() {
                    return Ended::ClientGone;
                }
            }
        }
    }
}

/// The socket failed, or did not take the frame in time.
struct WriteFailed;

async fn write<W: Sink<Message> + Unpin>(
    sink: &mut W,
    frame: Message,
    timeout: Duration,
) -> Result<(), WriteFailed> {
    match tokio::time::timeout(timeout, sink.send(frame)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(WriteFailed),
        Err(_) => {
            tracing::info!("dropping a connection that stopped reading");
            Err(WriteFailed)
        }
    }
}

async fn send<W: Sink<Message> + Unpin>(
    sink: &mut W,
    msg: &ServerMsg,
    timeout: Duration,
) -> Result<(), WriteFailed> {
    write(sink, Message::Text(msg.to_json().into()), timeout).await
}

async fn close<W: Sink<Message> + Unpin>(
    sink: &mut W,
    code: u16,
    reason: &'static str,
    timeout: Duration,
) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    // The peer may already be gone; there is nobody left to tell then.
    let _ = write(sink, Message::Close(Some(frame)), timeout).await;
}

fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{hub::HubSettings, store::Store};
    use futures::channel::mpsc;

    const SETTINGS: ConnectionSettings = ConnectionSettings {
        heartbeat_interval: Duration::from_secs(30),
        heartbeat_timeout: Duration::from_secs(75),
        client_ping_interval: Duration::from_secs(20),
        max_invalid_frames: 3,
        outbox_capacity: 64,
        write_timeout: Duration::from_secs(10),
    };

    struct Harness {
        to_server: mpsc::UnboundedSender<Result<Message, ReadError>>,
        from_server: mpsc::UnboundedReceiver<Message>,
        task: tokio::task::JoinHandle<Ended>,
        shutdown: watch::Sender<bool>,
        _db: tempfile::TempDir,
    }

    async fn start() -> Harness {
        let db = tempfile::tempdir().unwrap();
        let store = Store::open(db.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        let hub = Hub::start(store, HubSettings::default());
        let (to_server, stream) = mpsc::unbounded();
        let (sink, from_server) = mpsc::unbounded();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(run_connection(sink, stream, hub, SETTINGS, shutdown_rx));
        Harness {
            to_server,
            from_server,
            task,
            shutdown,
            _db: db,
        }
    }

    impl Harness {
        fn send_text(&self, text: &str) {
            self.to_server
                .unbounded_send(Ok(Message::Text(text.into())))
                .unwrap();
        }
        async fn next_msg(&mut self) -> ServerMsg {
            match self.from_server.next().await {
                Some(Message::Text(t)) => serde_json::from_str(t.as_str()).unwrap(),
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
        async fn next_close_code(&mut self) -> u16 {
            loop {
                match self.from_server.next().await {
                    Some(Message::Close(Some(frame))) => return frame.code,
                    Some(Message::Text(_)) => continue,
                    other => panic!("expected a close frame, got {other:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn greets_then_answers_pings() {
        let mut h = start().await;
        assert!(matches!(
            h.next_msg().await,
            ServerMsg::Welcome {
                ping_interval_ms: 20_000,
                ..
            }
        ));
        h.send_text(r#"{"type":"ping","nonce":9}"#);
        assert_eq!(h.next_msg().await, ServerMsg::Pong { nonce: 9 });
    }

    #[tokio::test]
    async fn malformed_frames_get_errors_then_a_policy_close() {
        let mut h = start().await;
        h.next_msg().await;
        h.send_text("{not json");
        assert!(matches!(
            h.next_msg().await,
            ServerMsg::Error {
                code: ErrorCode::MalformedMessage,
                ..
            }
        ));
        h.to_server
            .unbounded_send(Ok(Message::Binary(vec![1, 2].into())))
            .unwrap();
        assert!(matches!(
            h.next_msg().await,
            ServerMsg::Error {
                code: ErrorCode::UnsupportedFrame,
                ..
            }
        ));
        h.send_text(r#"{"type":"launch"}"#);
        assert_eq!(h.next_close_code().await, close_code::POLICY_VIOLATION);
        assert_eq!(h.task.await.unwrap(), Ended::PolicyViolation);
    }

    #[tokio::test]
    async fn a_valid_frame_resets_the_invalid_count() {
        let mut h = start().await;
        h.next_msg().await;
        for _ in 0..5 {
            h.send_text("nope");
            h.next_msg().await;
            h.send_text(r#"{"type":"ping","nonce":1}"#);
            assert_eq!(h.next_msg().await, ServerMsg::Pong { nonce: 1 });
        }
    }

    #[tokio::test]
    async fn oversized_frames_close_with_1009() {
        let mut h = start().await;
        h.next_msg().await;
        h.to_server.unbounded_send(Err(ReadError::TooBig)).unwrap();
        assert_eq!(h.next_close_code().await, close_code::MESSAGE_TOO_BIG);
        assert_eq!(h.task.await.unwrap(), Ended::TooBig);
    }

    #[tokio::test]
    async fn pings_every_interval_and_reaps_a_silent_peer() {
        let mut h = start().await;
        // Paused only now: the database must open on real time.
        tokio::time::pause();
        h.next_msg().await;
        // Two heartbeats (30 s, 60 s) with Ping frames, then at 90 s the peer,
        // silent for more than 75 s, is closed.
        for _ in 0..2 {
            assert!(matches!(h.from_server.next().await, Some(Message::Ping(_))));
        }
        assert_eq!(h.next_close_code().await, close_code::HEARTBEAT_TIMEOUT);
        assert_eq!(h.task.await.unwrap(), Ended::HeartbeatTimeout);
    }

    #[tokio::test]
    async fn any_frame_counts_as_life() {
        let mut h = start().await;
        // Paused only now: the database must open on real time.
        tokio::time::pause();
        h.next_msg().await;
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(29)).await;
            h.to_server
                .unbounded_send(Ok(Message::Pong(Default::default())))
                .unwrap();
            assert!(matches!(h.from_server.next().await, Some(Message::Ping(_))));
        }
        assert!(!h.task.is_finished());
    }

    #[tokio::test]
    async fn shutdown_closes_with_going_away() {
        let mut h = start().await;
        h.next_msg().await;
        h.shutdown.send(true).unwrap();
        assert_eq!(h.next_close_code().await, close_code::GOING_AWAY);
        assert_eq!(h.task.await.unwrap(), Ended::ServerShutdown);
    }
}
