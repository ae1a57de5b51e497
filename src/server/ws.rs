//! One WebSocket connection: greets the client, parses its frames and hands them to
//! the hub, writes what the hub queues for it, and keeps the heartbeat.
//!
//! Reading and writing are two halves that run side by side: a reader waiting for the
//! hub (which slows a flooding client down) never stops the writer from draining the
//! connection's queue. The writer takes every frame that is ready, up to
//! [`MAX_WRITE_BATCH`], and flushes once: one system call carries many frames.
//!
//! The loop is generic over the socket's sink and stream (as in axum's
//! testing-websockets example), so unit tests drive it with channels.

use std::{
    net::IpAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::extract::ws::{CloseFrame, Message};
use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::{
    sync::{mpsc, oneshot, watch, Semaphore},
    time::Instant,
};
use tracing::Instrument;

use super::{
    hub::{Close, Connection, Frame, Hub},
    unix_millis,
};
use crate::protocol::{close_code, ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};

/// Most frames written before one flush.
const MAX_WRITE_BATCH: usize = 64;

/// Timing and abuse limits of one connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSettings {
    pub heartbeat_interval: Duration,
    pub heartbeat_timeout: Duration,
    pub client_ping_interval: Duration,
    /// Invalid frames in a row after which the connection is closed with 1008.
    pub max_invalid_frames: u32,
    /// A batch of frames the socket does not take within this long ends the
    /// connection: the peer stopped reading, and a blocked write must not keep it
    /// alive for ever.
    pub write_timeout: Duration,
    /// Where passkeys work (told in `welcome`), if anywhere.
    pub passkey_origin: Option<&'static str>,
}

/// What went wrong reading a frame, as far as the loop needs to know.
#[derive(Debug)]
pub enum ReadError {
    /// The frame exceeded the size limit: answered with close 1009.
    TooBig,
    /// A text message was not UTF-8: answered with close 1007 (RFC 6455, 8.1).
    InvalidUtf8,
    /// The peer broke the framing rules (a reserved bit or opcode, a bad control
    /// frame, a bad close code): answered with close 1002.
    Protocol(String),
    /// Anything else (reset, protocol error): the connection is gone.
    Other(String),
}

/// Why a connection ended (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    ClientClosed,
    ClientGone,
    TooBig,
    /// The peer broke the protocol (1002) or sent text that is not UTF-8 (1007).
    ProtocolError,
    HeartbeatTimeout,
    PolicyViolation,
    ServerShutdown,
    /// The hub closed it (logout, too slow, flooding) with this code.
    ClosedByHub(u16),
}

/// When the client last sent anything: written by the reader, read by the heartbeat.
struct Liveness {
    epoch: Instant,
    /// Milliseconds after `epoch`.
    last_seen: AtomicU64,
}

impl Liveness {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            last_seen: AtomicU64::new(0),
        }
    }

    fn seen(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_seen.store(now, Ordering::Relaxed);
    }

    fn silent_for(&self) -> Duration {
        let seen = Duration::from_millis(self.last_seen.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(seen)
    }
}

/// How one half finished: the connection is over, perhaps with a close frame to send.
struct Exit {
    ended: Ended,
    last_word: LastWord,
}

/// What is written before the socket is let go.
enum LastWord {
    Nothing,
    /// Our close frame.
    Close(u16, &'static str),
    /// Only what the library has queued: its answer to the client's close frame (the
    /// same code, or 1002 for a code a client may not send).
    AnswerToClose,
}

impl Exit {
    fn gone(ended: Ended) -> Self {
        Self {
            ended,
            last_word: LastWord::Nothing,
        }
    }

    fn closing(ended: Ended, code: u16, reason: &'static str) -> Self {
        Self {
            ended,
            last_word: LastWord::Close(code, reason),
        }
    }
}

/// Who is at the other end of a connection: the client's address, and what its
/// browser says it is (its `User-Agent`, empty if none).
#[derive(Debug, Clone)]
pub struct Peer {
    pub address: IpAddr,
    pub user_agent: String,
}

impl From<IpAddr> for Peer {
    fn from(address: IpAddr) -> Self {
        Self {
            address,
            user_agent: String::new(),
        }
    }
}

/// Runs one connection from `peer` until it ends. `shutdown` turning true closes it
/// with 1001.
pub async fn run_connection<W, R>(
    sink: W,
    stream: R,
    peer: Peer,
    hub: Hub,
    settings: ConnectionSettings,
    shutdown: watch::Receiver<bool>,
) -> Ended
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, ReadError>> + Unpin,
{
    let connection = hub.connect(peer.address, &peer.user_agent).await;
    // Every line this connection logs names it, and so do the hub's (`conn`).
    let span = tracing::info_span!("connection", conn = connection.id, peer = %peer.address);
    serve(sink, stream, connection, hub, settings, shutdown)
        .instrument(span)
        .await
}

async fn serve<W, R>(
    mut sink: W,
    stream: R,
    mut connection: Connection,
    hub: Hub,
    settings: ConnectionSettings,
    shutdown: watch::Receiver<bool>,
) -> Ended
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, ReadError>> + Unpin,
{
    let welcome = ServerMsg::Welcome {
        protocol: PROTOCOL_VERSION,
        ping_interval_ms: settings.client_ping_interval.as_millis() as u64,
        server_time_ms: unix_millis(),
        passkey_origin: settings.passkey_origin.map(str::to_string),
    };
    let timeout = settings.write_timeout;
    let exit = match write_all(
        &mut sink,
        [Message::Text(welcome.to_json().into())],
        timeout,
    )
    .await
    {
        Err(WriteFailed) => Exit::gone(Ended::ClientGone),
        Ok(()) => {
            let liveness = Liveness::new();
            let reader = read_half(
                stream,
                &hub,
                connection.id,
                &connection.replies,
                &connection.sends,
                settings,
                &liveness,
            );
            let writer = write_half(
                &mut sink,
                &mut connection.outbox,
                &mut connection.closed,
                shutdown,
                settings,
                &liveness,
            );
            tokio::select! {
                // A close from the hub or the server goes first: frames still queued are
                // not lost, the client replays them from storage when it resumes.
                biased;
                exit = writer => exit,
                exit = reader => exit,
            }
        }
    };
    say_last_word(&mut sink, exit.last_word, timeout).await;
    hub.disconnect(connection.id).await;
    exit.ended
}

/// Writes what goes out before the socket is let go. The peer may already be gone;
/// there is nobody left to tell then.
async fn say_last_word<W: Sink<Message> + Unpin>(sink: &mut W, word: LastWord, timeout: Duration) {
    match word {
        LastWord::Nothing => {}
        LastWord::Close(code, reason) => {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = write_all(sink, [Message::Close(Some(frame))], timeout).await;
        }
        LastWord::AnswerToClose => {
            let _ = write_all(sink, [], timeout).await;
        }
    }
}

/// How a failed read ends the connection: with the close code RFC 6455 asks for, or
/// without a word when the link itself is gone.
fn read_failed(error: ReadError) -> Exit {
    match error {
        ReadError::TooBig => Exit::closing(
            Ended::TooBig,
            close_code::MESSAGE_TOO_BIG,
            "message too big",
        ),
        ReadError::InvalidUtf8 => {
            tracing::info!("text frame that is not UTF-8");
            Exit::closing(
                Ended::ProtocolError,
                close_code::INVALID_PAYLOAD,
                "text is not UTF-8",
            )
        }
        ReadError::Protocol(e) => {
            tracing::info!(error = %e, "websocket protocol error");
            Exit::closing(
                Ended::ProtocolError,
                close_code::PROTOCOL_ERROR,
                "protocol error",
            )
        }
        ReadError::Other(e) => {
            tracing::debug!(error = %e, "websocket read failed");
            Exit::gone(Ended::ClientGone)
        }
    }
}

/// The answer to a client's close frame (see [`LastWord::AnswerToClose`]).
fn closed_by_client() -> Exit {
    Exit {
        ended: Ended::ClientClosed,
        last_word: LastWord::AnswerToClose,
    }
}

/// An echo of every text and binary message, on the same socket code as the chat
/// (the limits of the upgrade, the library's settings, [`write_all`], the close
/// handshake and the protocol-error codes): what the Autobahn|Testsuite fuzzing
/// client tests (scripts/conformance.sh). Only a test configuration routes it.
pub async fn run_echo<W, R>(mut sink: W, mut stream: R, settings: ConnectionSettings) -> Ended
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, ReadError>> + Unpin,
{
    let timeout = settings.write_timeout;
    let exit = loop {
        let message = match stream.next().await {
            None => break Exit::gone(Ended::ClientGone),
            Some(Err(e)) => break read_failed(e),
            Some(Ok(Message::Close(_))) => break closed_by_client(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => message,
        };
        if write_all(&mut sink, [message], timeout).await.is_err() {
            break Exit::gone(Ended::ClientGone);
        }
    };
    say_last_word(&mut sink, exit.last_word, timeout).await;
    exit.ended
}

/// Parses the client's frames and hands them to the hub; answers pings and bad
/// frames itself, through the connection's own queue.
async fn read_half<R>(
    mut stream: R,
    hub: &Hub,
    conn: super::hub::ConnId,
    replies: &mpsc::Sender<Frame>,
    sends: &Semaphore,
    settings: ConnectionSettings,
    liveness: &Liveness,
) -> Exit
where
    R: Stream<Item = Result<Message, ReadError>> + Unpin,
{
    let mut invalid = InvalidFrames::default();
    loop {
        let frame = match stream.next().await {
            None => return Exit::gone(Ended::ClientGone),
            Some(Err(e)) => return read_failed(e),
            Some(Ok(frame)) => frame,
        };
        liveness.seen();
        let reply = match frame {
            Message::Text(text) => match serde_json::from_str::<ClientMsg>(text.as_str()) {
                // Answered here: a liveness probe should not wait behind the hub.
                Ok(ClientMsg::Ping { nonce }) => ServerMsg::Pong { nonce },
                Ok(msg) => {
                    if msg.client_id().is_some() {
                        // A send, edit, delete or react. Given back by the hub with the answer; while none is left this
                        // reader waits, and so does the client, on its socket.
                        match sends.acquire().await {
                            Ok(permit) => permit.forget(),
                            Err(_) => return Exit::gone(Ended::ClientGone),
                        }
                    }
                    hub.request(conn, msg).await;
                    continue;
                }
                Err(e) => {
                    tracing::info!(error = %e, "malformed client message");
                    invalid.add(Instant::now());
                    ServerMsg::error(
                        ErrorCode::MalformedMessage,
                        format!("not a valid client message: {e}"),
                    )
                }
            },
            Message::Binary(_) => {
                tracing::info!("binary frame from client");
                invalid.add(Instant::now());
                ServerMsg::error(
                    ErrorCode::UnsupportedFrame,
                    "binary frames are not supported; send JSON text",
                )
            }
            // The WebSocket library answers Ping frames itself.
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => return closed_by_client(),
        };
        if invalid.count >= settings.max_invalid_frames {
            tracing::warn!(
                invalid = invalid.count,
                "closing connection: too many invalid frames"
            );
            return Exit::closing(
                Ended::PolicyViolation,
                close_code::POLICY_VIOLATION,
                close_code::REASON_INVALID_FRAMES,
            );
        }
        // A full queue means the client is not reading; it has bigger problems than this answer.
        let _ = replies.try_send(Frame::from(reply.to_json()));
    }
}

/// Writes what is queued for the connection, in batches; sends the heartbeat's
/// Ping frames and reaps a silent peer; ends on the hub's or the server's close.
async fn write_half<W>(
    sink: &mut W,
    outbox: &mut mpsc::Receiver<Frame>,
    closed: &mut oneshot::Receiver<Close>,
    mut shutdown: watch::Receiver<bool>,
    settings: ConnectionSettings,
    liveness: &Liveness,
) -> Exit
where
    W: Sink<Message> + Unpin,
{
    let start = Instant::now() + settings.heartbeat_interval;
    let mut heartbeat = tokio::time::interval_at(start, settings.heartbeat_interval);
    let timeout = settings.write_timeout;
    loop {
        tokio::select! {
            biased;
            close = &mut *closed => {
                let Close { code, reason } = close.unwrap_or(Close {
                    code: close_code::GOING_AWAY,
                    reason: "closed by the server",
                });
                return Exit::closing(Ended::ClosedByHub(code), code, reason);
            }
            // A dropped sender means the server is gone too.
            _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => {
                return Exit::closing(Ended::ServerShutdown, close_code::GOING_AWAY, "server shutting down");
            }
            _ = heartbeat.tick() => {
                if liveness.silent_for() >= settings.heartbeat_timeout {
                    tracing::info!("closing silent connection");
                    return Exit::closing(Ended::HeartbeatTimeout, close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout");
                }
                if write_all(sink, [Message::Ping(Default::default())], timeout).await.is_err() {
                    return Exit::gone(Ended::ClientGone);
                }
            }
            first = outbox.recv() => {
                let Some(first) = first else {
                    return Exit::gone(Ended::ClientGone);
                };
                // With what else is queued already: many frames, one flush (no buffer
                // of its own to keep between batches).
                let more = std::iter::from_fn(|| outbox.try_recv().ok()).take(MAX_WRITE_BATCH - 1);
                let frames = std::iter::once(first).chain(more).map(Message::Text);
                if write_all(sink, frames, timeout).await.is_err() {
                    return Exit::gone(Ended::ClientGone);
                }
            }
        }
    }
}

/// A minute without an invalid frame forgets the earlier ones.
const INVALID_FORGIVEN_AFTER: Duration = Duration::from_secs(60);

/// Invalid frames seen lately. Valid frames between them do not wipe the slate (a
/// client cannot hide a stream of garbage behind pings); a quiet minute does.
#[derive(Default)]
struct InvalidFrames {
    count: u32,
    last: Option<Instant>,
}

impl InvalidFrames {
    fn add(&mut self, now: Instant) {
        if self
            .last
            .is_some_and(|last| now.duration_since(last) > INVALID_FORGIVEN_AFTER)
        {
            self.count = 0;
        }
        self.count += 1;
        self.last = Some(now);
    }
}

/// The socket failed, or did not take the frames in time.
struct WriteFailed;

/// Writes frames and flushes once, within `timeout` for all of them.
///
/// The timer and the write live on the heap while they run: a connection's task is
/// as large as its largest await, all its idle life long.
async fn write_all<W: Sink<Message> + Unpin>(
    sink: &mut W,
    frames: impl IntoIterator<Item = Message>,
    timeout: Duration,
) -> Result<(), WriteFailed> {
    let write = async {
        for frame in frames {
            sink.feed(frame).await?;
        }
        sink.flush().await
    };
    match Box::pin(tokio::time::timeout(timeout, write)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(WriteFailed),
        Err(_) => {
            tracing::info!("dropping a connection that stopped reading");
            Err(WriteFailed)
        }
    }
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
        write_timeout: Duration::from_secs(10),
        passkey_origin: None,
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
        // These connections never log in; the heartbeat is what they test.
        let settings = HubSettings {
            login_timeout: Duration::from_secs(24 * 3600),
            ..HubSettings::default()
        };
        let hub = Hub::start(store, settings, crate::server::bus::alone())
            .await
            .unwrap();
        let (to_server, stream) = mpsc::unbounded();
        let (sink, from_server) = mpsc::unbounded();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(run_connection(
            sink,
            stream,
            IpAddr::from(std::net::Ipv4Addr::LOCALHOST).into(),
            hub,
            SETTINGS,
            shutdown_rx,
        ));
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
    async fn valid_frames_between_invalid_ones_do_not_hide_them() {
        let mut h = start().await;
        h.next_msg().await;
        for _ in 0..2 {
            h.send_text("nope");
            h.next_msg().await;
            h.send_text(r#"{"type":"ping","nonce":1}"#);
            assert_eq!(h.next_msg().await, ServerMsg::Pong { nonce: 1 });
        }
        h.send_text("nope");
        assert_eq!(h.next_close_code().await, close_code::POLICY_VIOLATION);
    }

    #[test]
    fn a_quiet_minute_forgives_earlier_invalid_frames() {
        let start = Instant::now();
        let mut invalid = InvalidFrames::default();
        invalid.add(start);
        invalid.add(start + Duration::from_secs(59));
        assert_eq!(invalid.count, 2);
        invalid.add(start + Duration::from_secs(59 + 61));
        assert_eq!(invalid.count, 1);
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
