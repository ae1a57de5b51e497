//! The hub: sessions, connections, rooms, private conversations, presence, typing and
//! fan-out. It holds no WebSocket or HTTP machinery: a connection talks to it through
//! plain channels, so tests drive it directly.
//!
//! One task owns all of the hub's state and handles one request at a time, and it never
//! waits on storage. Who is in which conversation, and how far each conversation has
//! got, is kept in memory (loaded once at start). Messages go to the writer
//! (behind [`super::store::Storage::submit`]), which stores them in groups and hands each back after its
//! commit; only then is it acknowledged and fanned out, in sequence order. Reads and
//! the rare other writes (log in, join, history, replay) run on tasks of their own, and
//! their result comes back to the hub as a continuation; meanwhile the connection's
//! later requests wait, so each connection's requests still take effect in order.
//!
//! The seams: [`sessions`] (login, resume, logout), [`presence`] (who is online),
//! [`conversations`] (membership in memory), [`rooms`] (join, leave, private),
//! [`replay`] (what a resuming client missed), [`delivery`] (sends, fan-out, queues),
//! [`ordering`] (each conversation in sequence, wherever it was committed) and
//! [`remote`] (what other servers did, heard on the bus), [`elsewhere`] (who is
//! online on other servers), [`permissions`] (who may do what: the one check every
//! request passes) and [`moderation`] (kicks, bans, timeouts, roles, the audit log).

mod blocks;
mod conversations;
mod delivery;
mod devices;
mod drafts;
mod elsewhere;
mod invites;
mod limits;
mod moderation;
mod ordering;
mod passkeys;
mod permissions;
mod presence;
mod receipts;
mod remote;
mod replay;
mod reports;
mod requests;
mod rooms;
mod sessions;
mod settings;
mod shared_limits;
mod slow_mode;
#[cfg(test)]
mod tests;

use std::{
    collections::{BTreeSet, HashMap, HashSet, VecDeque},
    future::Future,
    net::IpAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::protocol::{ClientMsg, ErrorCode, Invalid, ServerMsg, UserId};

use super::bus::{Incoming, SharedBus};
use super::store::{self, Store, Stored, UserRow};
use super::supervise::spawn_essential;
use conversations::Conversations;
pub use passkeys::relying_party;
use presence::Live;
pub use sessions::nickname_skeleton;
pub use settings::HubSettings;

/// Identifies one WebSocket connection (a browser tab).
pub type ConnId = u64;

/// A server message, serialised once and shared by every recipient: the WebSocket
/// library's UTF-8 bytes (a reference-counted buffer), so no recipient copies or
/// re-checks it.
pub type Frame = axum::extract::ws::Utf8Bytes;

/// Stored messages the hub delivers before it lets the connections' tasks run: a
/// committed group arrives all at once, and a reader that keeps up must get the chance
/// to drain its queue between slices of it (its queue holds `outbox_capacity` frames).
const DELIVER_BEFORE_YIELD: usize = 16;

/// Requests of one connection that may wait behind one that is reading storage;
/// past this the connection is flooding and later ones are refused.
const MAX_QUEUED_REQUESTS: usize = 64;

/// Why the hub closes a connection: the WebSocket close code and its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

/// The hub's end of one connection, held by the connection's loop.
pub struct Connection {
    pub id: ConnId,
    /// Frames to write to the socket, in order.
    pub outbox: mpsc::Receiver<Frame>,
    /// The same queue, for the connection's own answers (pong, malformed frames).
    pub replies: mpsc::Sender<Frame>,
    /// Resolves with a close code when the hub ends the connection.
    pub closed: oneshot::Receiver<Close>,
    /// Sends that may be on their way to storage at once: the reader takes a permit
    /// (forgotten) before handing a `send` to the hub, and the hub gives it back with
    /// the answer. A client sending faster than its messages are stored is slowed at
    /// its socket, and its answers never outgrow its queue.
    pub sends: Arc<Semaphore>,
}

/// Handle to the hub; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::Sender<Command>,
    next_conn: Arc<AtomicU64>,
    /// Frames queued for one connection at most ([`HubSettings::outbox_capacity`]).
    outbox_capacity: usize,
}

enum Command {
    Connect {
        id: ConnId,
        peer: IpAddr,
        user_agent: String,
        outbox: mpsc::Sender<Frame>,
        close: oneshot::Sender<Close>,
        sends: Arc<Semaphore>,
    },
    Request(ConnId, ClientMsg),
    /// Answered once the hub has let go of the connection.
    Disconnect(ConnId, oneshot::Sender<()>),
    /// Answered at once: the hub is taking commands (readiness).
    Probe(oneshot::Sender<()>),
}

/// What the hub asked for and now gets back: in the order it happened. `Stored` is
/// the large one and the most frequent (one per message): boxing it would add an
/// allocation to every message for the sake of the rarer, smaller variants.
#[allow(clippy::large_enum_variant)]
enum Done {
    /// A connection's storage work finished: carry on with its result.
    Then(ConnId, Continuation),
    /// A message was stored (or not): acknowledge and fan out.
    Stored {
        origin: Origin,
        result: Result<Stored, store::Error>,
    },
    /// A user's grace period ended.
    GraceOver(UserId, u64),
    /// The grace period of a user whose server died ended.
    RemoteGraceOver(UserId, u64),
    /// Time to tell everyone the counts that changed (online users, room members).
    TellCounts,
    /// A connection's time to log in or resume is up.
    LoginDeadline(ConnId),
    /// Time to read a conversation's missing messages from storage.
    Fill(crate::protocol::ConversationId),
    /// What that read found.
    Filled(
        crate::protocol::ConversationId,
        store::Result<Vec<crate::protocol::ChatMessage>>,
    ),
    /// Storage's newest numbers for a resuming connection's cursors that were ahead
    /// of this server.
    CursorsChecked(
        ConnId,
        Vec<(
            crate::protocol::Cursor,
            store::Result<Option<crate::protocol::Seq>>,
        )>,
    ),
    /// A connection waiting for its link to be allowed has waited long enough.
    LinkTimeout(ConnId, crate::protocol::LinkId),
    /// Time to record that the sessions connected here are still in use.
    TouchSessions,
    /// Time to tell the read marks of the last second.
    TellReceipts,
    /// Time to tell the other servers the rate-limit tokens spent here.
    ShareSpent,
    /// Time to read storage's picture of every conversation (bus events may be lost).
    Resync,
    /// That picture, read when this server had made this many membership changes.
    Resynced(store::Result<Vec<store::ConversationRow>>, u64),
    /// The instance admins and the users banned from the server, as storage has them.
    Admins(store::Result<(Vec<UserId>, Vec<UserId>)>),
}

/// Where a stored message came from, and so what follows its fan-out.
enum Origin {
    /// A client's `send`: acknowledged to this connection with this client id.
    Client(ConnId, crate::protocol::ClientMsgId),
    /// A join or leave line: the room's new member count follows it.
    Membership(crate::protocol::ConversationId),
    /// Another server's message, or one read from storage: nobody here waits for it.
    Elsewhere,
}

type Continuation = Box<dyn FnOnce(&mut State) -> Result<(), Refusal> + Send>;

impl Hub {
    /// Loads who is in which conversation and starts the hub's task: alone
    /// (one server) or hearing other servers' `events` on the `bus`, which must be
    /// subscribed before this loads, so that nothing committed meanwhile is missed.
    pub async fn start(
        store: Store,
        settings: HubSettings,
        (bus, events): (SharedBus, mpsc::Receiver<Incoming>),
    ) -> store::Result<Self> {
        let conversations = Conversations::load(store.conversations().await?);
        let receipts = receipts::Receipts::new(store.receipts_off().await?);
        let admins = store.admins().await?.into_iter().collect();
        let server_banned = store.server_bans().await?.into_iter().collect();
        let (commands, rx) = mpsc::channel(1024);
        let (done, done_rx) = mpsc::unbounded_channel();
        let (session_lane, mut lane) = mpsc::unbounded_channel::<Work>();
        spawn_essential("hub's session lane", async move {
            while let Some(work) = lane.recv().await {
                work.await;
            }
        });
        let passkeys = settings
            .passkey_origin
            .as_deref()
            .and_then(passkeys::Passkeys::new);
        let state = State {
            store,
            limits: limits::Limits::new(&settings),
            spent: shared_limits::Spent::default(),
            settings,
            conns: HashMap::new(),
            live: HashMap::new(),
            live_by_name: BTreeSet::new(),
            conversations,
            waiting: ordering::Waiting::default(),
            sparing: 0,
            bus,
            elsewhere: elsewhere::Elsewhere::default(),
            presence_version: 0,
            counts: presence::Counts::default(),
            claims: HashSet::new(),
            receipts,
            passkeys,
            admins,
            server_banned,
            blocks: blocks::Blocks::default(),
            slow_mode: slow_mode::SlowMode::default(),
            grace_epoch: 0,
            done,
            session_lane,
        };
        let outbox_capacity = state.settings.outbox_capacity.max(1);
        state.touch_sessions_now_and_then();
        state.read_admins_now_and_then();
        spawn_essential("hub", state.run(rx, done_rx, events));
        Ok(Self {
            commands,
            next_conn: Arc::new(AtomicU64::new(1)),
            outbox_capacity,
        })
    }

    /// Registers a new connection from `peer` (whose sign-ins are limited together),
    /// a browser that says it is `user_agent` (for the device list).
    pub async fn connect(&self, peer: IpAddr, user_agent: &str) -> Connection {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (outbox_tx, outbox) = mpsc::channel(self.outbox_capacity);
        let (close, closed) = oneshot::channel();
        // Each send in flight may bring an ack and the message itself: a quarter of
        // the queue for them leaves the rest to other people's messages.
        let sends = Arc::new(Semaphore::new((self.outbox_capacity / 4).max(1)));
        let _ = self
            .commands
            .send(Command::Connect {
                id,
                peer,
                user_agent: store::devices::kept_user_agent(user_agent),
                outbox: outbox_tx.clone(),
                close,
                sends: sends.clone(),
            })
            .await;
        Connection {
            id,
            outbox,
            replies: outbox_tx,
            closed,
            sends,
        }
    }

    /// Hands a client's request to the hub; answers arrive in the connection's outbox.
    /// Waits when the hub is busy, which slows the requesting reader down, not others.
    pub async fn request(&self, conn: ConnId, msg: ClientMsg) {
        let _ = self.commands.send(Command::Request(conn, msg)).await;
    }

    /// Whether the hub answers a command within `patience` (its queue moves).
    pub async fn responds_within(&self, patience: Duration) -> bool {
        let (answer, answered) = oneshot::channel();
        let asked = async {
            self.commands.send(Command::Probe(answer)).await.is_ok() && answered.await.is_ok()
        };
        tokio::time::timeout(patience, asked).await.unwrap_or(false)
    }

    /// Unregisters a connection; returns once the hub has finished with it.
    pub async fn disconnect(&self, conn: ConnId) {
        let (done, finished) = oneshot::channel();
        if self
            .commands
            .send(Command::Disconnect(conn, done))
            .await
            .is_ok()
        {
            let _ = finished.await;
        }
    }
}

struct Session {
    user: UserRow,
    token_hash: [u8; 32],
}

struct Conn {
    outbox: mpsc::Sender<Frame>,
    close: Option<oneshot::Sender<Close>>,
    session: Option<Session>,
    /// The client's address: logins and resumes are limited per address.
    peer: IpAddr,
    /// What the browser says it is (its `User-Agent`).
    user_agent: String,
    /// Waiting for the user to allow this device (it redeemed a link code).
    linking: Option<devices::Linking>,
    /// A passkey sign-in began: the login deadline waits for it until then (Unix ms).
    ceremony_until_ms: i64,
    /// Requests refused by a limit in a row (see [`HubSettings::max_rate_strikes`]).
    rate_strikes: u32,
    /// A request of this connection is waiting on storage; later ones wait in `queued`.
    busy: bool,
    queued: VecDeque<ClientMsg>,
    /// While a replay is read from storage, what else is sent to this connection
    /// waits here (with whether it is essential), so the replay comes first.
    held: Option<Vec<(Frame, bool)>>,
    /// Given back one permit per `send` answered (see [`Connection::sends`]).
    sends: Arc<Semaphore>,
    /// Conversations of which the client already has every message up to a number
    /// (from another server, which was a moment ahead): those are not sent again.
    spared: HashMap<crate::protocol::ConversationId, crate::protocol::Seq>,
}

struct State {
    store: Store,
    settings: HubSettings,
    limits: limits::Limits,
    /// Rate-limit tokens taken here, not yet told to the other servers.
    spent: shared_limits::Spent,
    conns: HashMap<ConnId, Conn>,
    live: HashMap<UserId, Live>,
    /// The same users by lower-cased nickname: the first page of the people list.
    live_by_name: BTreeSet<(String, UserId)>,
    conversations: Conversations,
    /// Messages that arrived ahead of a missing one (see [`ordering`]).
    waiting: ordering::Waiting,
    /// Connections with a `spared` conversation (none, nearly always: a fast path).
    sparing: usize,
    /// Where this server tells the others what it committed.
    bus: SharedBus,
    /// Users online on other servers.
    elsewhere: elsewhere::Elsewhere,
    /// Presence changes this server made (users coming and going here), told with each.
    presence_version: u64,
    /// Counts changed since they were last told (see [`State::tell_counts`]).
    counts: presence::Counts,
    /// Nickname skeletons of logins in progress: two at once cannot take one name.
    claims: HashSet<String>,
    /// Read marks to tell, and who does not share theirs.
    receipts: receipts::Receipts,
    /// The relying party of passkeys, if this server has them.
    passkeys: Option<passkeys::Passkeys>,
    /// The instance admins (read from storage every few seconds).
    admins: HashSet<UserId>,
    /// Users banned from the server (read with the admins).
    server_banned: HashSet<UserId>,
    /// Who blocks whom, of the users online here.
    blocks: blocks::Blocks,
    /// When members last wrote to rooms in slow mode.
    slow_mode: slow_mode::SlowMode,
    grace_epoch: u64,
    /// Where finished storage work and timers report back.
    done: mpsc::UnboundedSender<Done>,
    /// Session work, run one at a time in order (see [`State::session_io`]).
    session_lane: mpsc::UnboundedSender<Work>,
}

/// Storage work handed to a task, ending in a [`Done`].
type Work = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a request failed with: told to the client as an error event.
/// Boxed: requests return it often, and a `ServerMsg` is large.
struct Refusal(Box<ServerMsg>);

impl From<Invalid> for Refusal {
    fn from(e: Invalid) -> Self {
        Refusal(Box::new(ServerMsg::from(e)))
    }
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> Refusal {
    Refusal(Box::new(ServerMsg::error(code, message)))
}

fn internal(e: store::Error) -> Refusal {
    tracing::error!(error = %e, "storage failed");
    refuse(
        ErrorCode::Internal,
        "The server could not complete this; try again.",
    )
}

fn encode(msg: &ServerMsg) -> Frame {
    Frame::from(msg.to_json())
}

impl State {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut done: mpsc::UnboundedReceiver<Done>,
        mut events: mpsc::Receiver<Incoming>,
    ) {
        let mut delivered = 0;
        let mut bus_open = true;
        loop {
            tokio::select! {
                // Finished work first: it frees memory and answers waiting clients.
                biased;
                Some(finished) = done.recv() => {
                    if matches!(finished, Done::Stored { .. }) {
                        delivered += 1;
                    }
                    self.finished(finished);
                }
                incoming = events.recv(), if bus_open => match incoming {
                    Some(incoming) => {
                        delivered += 1;
                        self.heard(incoming);
                    }
                    None => bus_open = false,
                },
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => break,
                },
            }
            if delivered >= DELIVER_BEFORE_YIELD {
                delivered = 0;
                tokio::task::yield_now().await;
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Connect {
                id,
                peer,
                user_agent,
                outbox,
                close,
                sends,
            } => {
                self.conns.insert(
                    id,
                    Conn {
                        outbox,
                        sends,
                        close: Some(close),
                        session: None,
                        peer,
                        user_agent,
                        linking: None,
                        ceremony_until_ms: 0,
                        rate_strikes: 0,
                        busy: false,
                        queued: VecDeque::new(),
                        held: None,
                        spared: HashMap::new(),
                    },
                );
                self.login_deadline_in(id, self.settings.login_timeout);
            }
            Command::Request(conn, msg) => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                if !c.busy {
                    self.handle(conn, msg);
                } else if c.queued.len() < MAX_QUEUED_REQUESTS {
                    c.queued.push_back(msg);
                } else {
                    let reply = ServerMsg::Error {
                        code: ErrorCode::RateLimited,
                        message: "Too many requests at once; wait a moment.".into(),
                        retry_after_ms: Some(1000),
                        client_id: requests::send_client_id(&msg),
                    };
                    self.refused(conn, reply);
                }
            }
            Command::Disconnect(conn, done) => {
                self.disconnect(conn);
                let _ = done.send(());
            }
            Command::Probe(answer) => {
                let _ = answer.send(());
            }
        }
    }

    fn finished(&mut self, finished: Done) {
        match finished {
            Done::Then(conn, then) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.busy = false;
                }
                if let Err(Refusal(reply)) = then(self) {
                    self.refused(conn, *reply);
                }
                self.run_queued(conn);
            }
            Done::Stored { origin, result } => self.stored(origin, result),
            Done::GraceOver(user, epoch) => self.grace_over(user, epoch),
            Done::RemoteGraceOver(user, epoch) => self.remote_grace_over(user, epoch),
            Done::TellCounts => self.tell_counts(),
            Done::LoginDeadline(conn) => self.login_deadline(conn),
            Done::Fill(conversation) => self.fill(conversation),
            Done::Filled(conversation, read) => self.filled(conversation, read),
            Done::CursorsChecked(conn, known) => self.cursors_checked(conn, known),
            Done::LinkTimeout(conn, link) => self.link_timeout(conn, link),
            Done::TouchSessions => self.touch_sessions(),
            Done::TellReceipts => self.tell_receipts(),
            Done::ShareSpent => self.share_spent(),
            Done::Resync => self.heard(Incoming::Resync),
            Done::Resynced(read, since) => self.resynced(read, since),
            Done::Admins(read) => self.admins_read(read),
        }
    }

    /// Runs `io` on a task of its own, then `then` on the hub with its result. The
    /// connection's later requests wait until then.
    fn spawn_io<T, F, C>(&mut self, conn: ConnId, io: F, then: C)
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
        C: FnOnce(&mut State, T) -> Result<(), Refusal> + Send + 'static,
    {
        tokio::spawn(self.io_then(conn, io, then));
    }

    /// Like [`State::spawn_io`], but on the sessions' lane: logins and logouts take
    /// effect in the order the hub handed them over (a name freed by a logout is free
    /// for the login that follows it).
    fn session_io<T, F, C>(&mut self, conn: ConnId, io: F, then: C)
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
        C: FnOnce(&mut State, T) -> Result<(), Refusal> + Send + 'static,
    {
        let work = Box::pin(self.io_then(conn, io, then));
        if let Err(mpsc::error::SendError(work)) = self.session_lane.send(work) {
            tokio::spawn(work); // the lane is gone only while the hub shuts down
        }
    }

    fn io_then<T, F, C>(
        &mut self,
        conn: ConnId,
        io: F,
        then: C,
    ) -> impl Future<Output = ()> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
        C: FnOnce(&mut State, T) -> Result<(), Refusal> + Send + 'static,
    {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.busy = true;
        }
        let done = self.done.clone();
        async move {
            let out = io.await;
            let then: Continuation = Box::new(move |state| then(state, out));
            let _ = done.send(Done::Then(conn, then));
        }
    }
}
