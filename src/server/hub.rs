//! The hub: sessions, connections, rooms, private conversations, presence, typing and
//! fan-out. It holds no axum types: a connection talks to it through plain channels,
//! so tests drive it directly.
//!
//! One task owns all of the hub's state and handles requests one at a time, so
//! messages of a conversation are stored and delivered in sequence order, and two
//! logins cannot both take a nickname.

use std::{
    collections::{HashMap, HashSet},
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use bytes::Bytes;
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::protocol::{
    close_code, normalize_nickname, normalize_text, validate_avatar, validate_client_id,
    validate_room_name, ClientMsg, ClientMsgId, ConversationId, Cursor, ErrorCode, Invalid,
    MessageBody, Seq, ServerMsg, UserId, UserInfo, GENERAL_ROOM, HISTORY_PAGE,
};

use super::store::{Store, UserRow};

/// Identifies one WebSocket connection (a browser tab).
pub type ConnId = u64;

/// A server message, serialised once and shared by every recipient.
pub type Frame = Bytes;

/// Tunables of the hub (from `Leptos.toml`).
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// How long a user without connections still counts as online.
    pub presence_grace: Duration,
    /// Sessions unused for this long expire, and their nickname is free again.
    pub session_idle: Duration,
    /// Sustained sends per second per user.
    pub sends_per_second: NonZeroU32,
    /// Sends allowed at once above the sustained rate.
    pub send_burst: NonZeroU32,
    /// Refused sends in a row after which the connection is closed with 1008.
    pub max_rate_strikes: u32,
    /// Frames queued for one connection before it counts as too slow.
    pub outbox_capacity: usize,
    /// Most messages of one conversation replayed on resume; past it, `reload`.
    pub resume_max_gap: u64,
    /// Most bytes of replay queued for one resuming connection; past it, `reload`.
    pub replay_max_bytes: usize,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            presence_grace: Duration::from_secs(60),
            session_idle: Duration::from_secs(30 * 24 * 3600),
            sends_per_second: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            send_burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            max_rate_strikes: 20,
            outbox_capacity: 256,
            resume_max_gap: 1000,
            replay_max_bytes: 4 << 20,
        }
    }
}

/// Messages per `replay` frame.
const REPLAY_CHUNK: usize = 100;

/// What one resume may still queue for replays.
struct ReplayBudget {
    frames: usize,
    bytes: usize,
}

/// The hub's end of one connection, held by the connection's loop.
pub struct Connection {
    pub id: ConnId,
    /// Frames to write to the socket, in order.
    pub outbox: mpsc::Receiver<Frame>,
    /// Resolves with a close code when the hub ends the connection.
    pub closed: oneshot::Receiver<u16>,
}

/// Handle to the hub; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::Sender<Command>,
    next_conn: Arc<AtomicU64>,
}

enum Command {
    Connect {
        id: ConnId,
        outbox: mpsc::Sender<Frame>,
        close: oneshot::Sender<u16>,
    },
    Request(ConnId, ClientMsg),
    /// Answered once the hub has let go of the connection (and recorded the session's use).
    Disconnect(ConnId, oneshot::Sender<()>),
    GraceOver(UserId, u64),
}

impl Hub {
    /// Starts the hub's task on the current tokio runtime.
    pub fn start(store: Store, settings: HubSettings) -> Self {
        let (commands, rx) = mpsc::channel(1024);
        let hub = Self {
            commands,
            next_conn: Arc::new(AtomicU64::new(1)),
        };
        let quota = Quota::per_second(settings.sends_per_second).allow_burst(settings.send_burst);
        let state = State {
            store,
            limiter: RateLimiter::keyed(quota),
            settings,
            conns: HashMap::new(),
            live: HashMap::new(),
            members: HashMap::new(),
            grace_epoch: 0,
            commands: hub.commands.downgrade(),
        };
        tokio::spawn(state.run(rx));
        hub
    }

    /// Registers a new connection.
    pub async fn connect(&self, outbox_capacity: usize) -> Connection {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (outbox_tx, outbox) = mpsc::channel(outbox_capacity.max(1));
        let (close, closed) = oneshot::channel();
        let _ = self
            .commands
            .send(Command::Connect {
                id,
                outbox: outbox_tx,
                close,
            })
            .await;
        Connection { id, outbox, closed }
    }

    /// Hands a client's request to the hub; answers arrive in the connection's outbox.
    /// Waits when the hub is busy, which slows a flooding client down, not others.
    pub async fn request(&self, conn: ConnId, msg: ClientMsg) {
        let _ = self.commands.send(Command::Request(conn, msg)).await;
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
    close: Option<oneshot::Sender<u16>>,
    session: Option<Session>,
    rate_strikes: u32,
}

/// A user who is online: has connections, or lost the last one less than the grace period ago.
struct Live {
    user: UserRow,
    conns: HashSet<ConnId>,
    /// Matches the pending grace timer, so an older timer is ignored.
    grace: Option<u64>,
}

struct State {
    store: Store,
    settings: HubSettings,
    limiter: DefaultKeyedRateLimiter<UserId>,
    conns: HashMap<ConnId, Conn>,
    live: HashMap<UserId, Live>,
    /// Members of the conversations touched since start, loaded from storage on first use.
    members: HashMap<ConversationId, HashSet<UserId>>,
    grace_epoch: u64,
    commands: mpsc::WeakSender<Command>,
}

/// What a request failed with: told to the client as an error event.
struct Refusal(ServerMsg);

impl From<Invalid> for Refusal {
    fn from(e: Invalid) -> Self {
        Refusal(ServerMsg::from(e))
    }
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> Refusal {
    Refusal(ServerMsg::error(code, message))
}

fn internal(e: sqlx::Error) -> Refusal {
    tracing::error!(error = %e, "storage failed");
    refuse(
        ErrorCode::Internal,
        "The server could not complete this; try again.",
    )
}

fn encode(msg: &ServerMsg) -> Frame {
    Bytes::from(msg.to_json())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The UTS #39 skeleton of the lower-cased nickname: equal for names that look alike.
pub fn nickname_skeleton(nickname: &str) -> String {
    let lower = nickname.to_lowercase();
    unicode_security::skeleton(&lower)
        .collect::<String>()
        .to_lowercase()
}

fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl State {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(command) = rx.recv().await {
            match command {
                Command::Connect { id, outbox, close } => {
                    self.conns.insert(
                        id,
                        Conn {
                            outbox,
                            close: Some(close),
                            session: None,
                            rate_strikes: 0,
                        },
                    );
                }
                Command::Request(conn, msg) => {
                    if let Err(Refusal(reply)) = self.request(conn, msg).await {
                        if let ServerMsg::Error { code, message, .. } = &reply {
                            tracing::info!(conn, ?code, %message, "request refused");
                        }
                        self.send_to_conn(conn, &encode(&reply), true);
                    }
                }
                Command::Disconnect(conn, done) => {
                    self.disconnect(conn).await;
                    let _ = done.send(());
                }
                Command::GraceOver(user, epoch) => self.grace_over(user, epoch),
            }
        }
    }

    async fn request(&mut self, conn: ConnId, msg: ClientMsg) -> Result<(), Refusal> {
        let session = self.conns.get(&conn).and_then(|c| c.session.as_ref());
        match (msg, session) {
            (ClientMsg::Ping { nonce }, _) => {
                self.send_to_conn(conn, &encode(&ServerMsg::Pong { nonce }), true);
                Ok(())
            }
            (ClientMsg::Login { .. } | ClientMsg::Resume { .. }, Some(_)) => Err(refuse(
                ErrorCode::AlreadyLoggedIn,
                "This connection already has a session.",
            )),
            (ClientMsg::Login { nickname, avatar }, None) => {
                self.login(conn, &nickname, &avatar).await
            }
            (ClientMsg::Resume { token, cursors }, None) => {
                self.resume(conn, &token, &cursors).await
            }
            (_, None) => Err(refuse(ErrorCode::NotLoggedIn, "Log in first.")),
            (msg, Some(session)) => {
                let user = session.user.clone();
                match msg {
                    ClientMsg::Logout => self.logout(conn).await,
                    ClientMsg::Send {
                        conversation,
                        client_id,
                        text,
                    } => {
                        self.send(conn, &user, conversation, &client_id, &text)
                            .await
                    }
                    ClientMsg::JoinRoom { name } => self.join_room(&user, &name).await,
                    ClientMsg::LeaveRoom { conversation } => {
                        self.leave_room(&user, conversation).await
                    }
                    ClientMsg::OpenDirect { user: peer } => self.open_direct(&user, peer).await,
                    ClientMsg::History {
                        conversation,
                        before,
                    } => {
                        self.require_member(conversation, user.id).await?;
                        let (messages, has_more) = self
                            .store
                            .history(conversation, before, HISTORY_PAGE)
                            .await
                            .map_err(internal)?;
                        let reply = ServerMsg::History {
                            conversation,
                            messages,
                            has_more,
                        };
                        self.send_to_conn(conn, &encode(&reply), true);
                        Ok(())
                    }
                    ClientMsg::Typing { conversation } => {
                        self.require_member(conversation, user.id).await?;
                        let frame = encode(&ServerMsg::Typing {
                            conversation,
                            user: user.id,
                        });
                        self.fan_out(conversation, &frame, Some(user.id), false)
                            .await;
                        Ok(())
                    }
                    ClientMsg::MarkRead { conversation, seq } => {
                        self.require_member(conversation, user.id).await?;
                        self.store
                            .mark_read(conversation, user.id, seq)
                            .await
                            .map_err(internal)
                    }
                    ClientMsg::Ping { .. } | ClientMsg::Login { .. } | ClientMsg::Resume { .. } => {
                        Ok(())
                    }
                }
            }
        }
    }

    // ---- sessions ----

    async fn login(&mut self, conn: ConnId, nickname: &str, avatar: &str) -> Result<(), Refusal> {
        let nickname = normalize_nickname(nickname)?;
        validate_avatar(avatar)?;
        let skeleton = nickname_skeleton(&nickname);
        let now = now_ms();
        let alive_since = now - self.settings.session_idle.as_millis() as i64;
        if self
            .store
            .active_user_by_skeleton(&skeleton, alive_since)
            .await
            .map_err(internal)?
            .is_some()
        {
            return Err(refuse(
                ErrorCode::NicknameTaken,
                format!("“{nickname}” (or a name that looks the same) is in use. Choose another."),
            ));
        }
        let token = new_token();
        let token_hash = hash_token(&token);
        let user = self
            .store
            .create_user(&nickname, &skeleton, avatar, &token_hash, now)
            .await
            .map_err(internal)?;
        tracing::info!(user = %user.id, nickname = %user.nickname, "new user");
        let (general, _) = self
            .store
            .ensure_room(GENERAL_ROOM, now)
            .await
            .map_err(internal)?;
        self.add_member(general, &user, now).await?;
        self.start_session(conn, user, token_hash, Some(token), &[])
            .await
    }

    async fn resume(
        &mut self,
        conn: ConnId,
        token: &str,
        cursors: &[Cursor],
    ) -> Result<(), Refusal> {
        let token_hash = hash_token(token);
        let now = now_ms();
        let alive_since = now - self.settings.session_idle.as_millis() as i64;
        match self
            .store
            .session_user(&token_hash, alive_since, now)
            .await
            .map_err(internal)?
        {
            Some(user) => {
                self.start_session(conn, user, token_hash, None, cursors)
                    .await
            }
            None => Err(refuse(
                ErrorCode::SessionInvalid,
                "Your session has ended. Log in again.",
            )),
        }
    }

    /// Binds the connection to the user, sends the snapshot and replays what the
    /// client missed after its cursors, and announces the user if they were not
    /// online already (several tabs, or a reload, are one user).
    ///
    /// All of it happens in one turn of the hub, after the connection is subscribed:
    /// a message stored before is in the snapshot or the replay, one stored after
    /// arrives live behind them, so nothing falls in between and nothing comes twice.
    async fn start_session(
        &mut self,
        conn: ConnId,
        user: UserRow,
        token_hash: [u8; 32],
        token: Option<String>,
        cursors: &[Cursor],
    ) -> Result<(), Refusal> {
        let Some(c) = self.conns.get_mut(&conn) else {
            return Ok(()); // gone meanwhile
        };
        c.session = Some(Session {
            user: user.clone(),
            token_hash,
        });
        let newly_online = match self.live.get_mut(&user.id) {
            Some(live) => {
                live.conns.insert(conn);
                live.grace = None;
                false
            }
            None => {
                self.live.insert(
                    user.id,
                    Live {
                        user: user.clone(),
                        conns: HashSet::from([conn]),
                        grace: None,
                    },
                );
                true
            }
        };

        let conversations = self
            .store
            .conversations_of(user.id)
            .await
            .map_err(internal)?;
        let rooms = self.store.rooms().await.map_err(internal)?;
        let mut users: Vec<UserInfo> = self
            .live
            .values()
            .map(|l| user_info(&l.user, true))
            .collect();
        for peer in self.store.direct_peers(user.id).await.map_err(internal)? {
            if !self.live.contains_key(&peer.id) {
                users.push(user_info(&peer, false));
            }
        }
        users.sort_by_key(|u| u.nickname.to_lowercase());
        let last_seqs: HashMap<ConversationId, Seq> =
            conversations.iter().map(|c| (c.id, c.last_seq)).collect();
        let ready = ServerMsg::Ready {
            me: user_info(&user, true),
            token,
            conversations,
            rooms,
            users,
        };
        self.send_to_conn(conn, &encode(&ready), true);
        self.replay(conn, cursors, &last_seqs).await;
        if newly_online {
            tracing::info!(user = %user.id, "online");
            let presence = encode(&ServerMsg::Presence {
                user: user_info(&user, true),
            });
            self.broadcast(&presence, Some(user.id), false);
        }
        Ok(())
    }

    /// Sends a resuming connection the messages after each of its cursors, in order.
    /// A conversation whose replay cannot be sent whole (see [`State::replay_frames`])
    /// gets `reload` instead: live messages follow, and a partial replay would leave a gap.
    async fn replay(
        &mut self,
        conn: ConnId,
        cursors: &[Cursor],
        last_seqs: &HashMap<ConversationId, Seq>,
    ) {
        let mut budget = ReplayBudget {
            frames: self.settings.outbox_capacity / 2,
            bytes: self.settings.replay_max_bytes,
        };
        let mut seen = HashSet::new();
        for cursor in cursors {
            // Conversations the user is no longer in are not theirs to replay.
            let Some(&last) = last_seqs.get(&cursor.conversation) else {
                continue;
            };
            if !seen.insert(cursor.conversation) || cursor.seq == last {
                continue;
            }
            let frames = match self.replay_frames(cursor, last, &mut budget).await {
                Ok(frames) => frames,
                Err(why) => {
                    tracing::info!(conn, conversation = %cursor.conversation, why, "resume: reload instead of replay");
                    vec![encode(&ServerMsg::Reload {
                        conversation: cursor.conversation,
                    })]
                }
            };
            for frame in &frames {
                self.send_to_conn(conn, frame, true);
            }
        }
    }

    /// The `replay` frames of one conversation from `cursor` to `last`, taken from the
    /// budget; or why it cannot be replayed: a gap above `resume_max_gap`, a cursor
    /// ahead of the server (another database), a replay past what is left of the
    /// budget (half the connection's queue, `replay_max_bytes`: one resume never grows
    /// the server by more), or storage failing.
    async fn replay_frames(
        &self,
        cursor: &Cursor,
        last: Seq,
        budget: &mut ReplayBudget,
    ) -> Result<Vec<Frame>, &'static str> {
        let gap = last.saturating_sub(cursor.seq);
        let frame_count = (gap as usize).div_ceil(REPLAY_CHUNK);
        if cursor.seq > last {
            return Err("cursor ahead of the server");
        }
        if gap > self.settings.resume_max_gap || frame_count > budget.frames {
            return Err("gap too long");
        }
        budget.frames -= frame_count;
        let missed = self
            .store
            .messages_between(cursor.conversation, cursor.seq, last)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "replay failed");
                "storage failed"
            })?;
        let frames: Vec<Frame> = missed
            .chunks(REPLAY_CHUNK)
            .map(|chunk| {
                encode(&ServerMsg::Replay {
                    conversation: cursor.conversation,
                    messages: chunk.to_vec(),
                })
            })
            .collect();
        let bytes: usize = frames.iter().map(Bytes::len).sum();
        if bytes > budget.bytes {
            return Err("replay too large");
        }
        budget.bytes -= bytes;
        Ok(frames)
    }

    async fn logout(&mut self, conn: ConnId) -> Result<(), Refusal> {
        let Some(Session { user, token_hash }) =
            self.conns.get_mut(&conn).and_then(|c| c.session.take())
        else {
            return Ok(());
        };
        self.store
            .delete_session(&token_hash)
            .await
            .map_err(internal)?;
        tracing::info!(user = %user.id, "logged out");
        // Every tab of this session is logged out.
        let same_session: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                c.session
                    .as_ref()
                    .is_some_and(|s| s.token_hash == token_hash)
            })
            .map(|(id, _)| *id)
            .chain([conn])
            .collect();
        for id in same_session {
            if let Some(c) = self.conns.get_mut(&id) {
                c.session = None;
                if let Some(close) = c.close.take() {
                    let _ = close.send(close_code::LOGGED_OUT);
                }
            }
            self.detach(user.id, id);
        }
        // An explicit logout needs no grace period.
        if self.live.get(&user.id).is_some_and(|l| l.conns.is_empty()) {
            self.go_offline(user.id);
        }
        Ok(())
    }

    async fn disconnect(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(session) = c.session {
            if let Err(e) = self
                .store
                .touch_session(&session.token_hash, now_ms())
                .await
            {
                tracing::warn!(error = %e, "could not record the session's last use");
            }
            self.detach(session.user.id, conn);
        }
    }

    /// Removes a connection from its user; the user's last one starts the grace period.
    fn detach(&mut self, user: UserId, conn: ConnId) {
        let Some(live) = self.live.get_mut(&user) else {
            return;
        };
        live.conns.remove(&conn);
        if live.conns.is_empty() && live.grace.is_none() {
            self.grace_epoch += 1;
            live.grace = Some(self.grace_epoch);
            let (epoch, grace, commands) = (
                self.grace_epoch,
                self.settings.presence_grace,
                self.commands.clone(),
            );
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                if let Some(commands) = commands.upgrade() {
                    let _ = commands.send(Command::GraceOver(user, epoch)).await;
                }
            });
        }
    }

    fn grace_over(&mut self, user: UserId, epoch: u64) {
        if self
            .live
            .get(&user)
            .is_some_and(|l| l.conns.is_empty() && l.grace == Some(epoch))
        {
            self.go_offline(user);
        }
    }

    fn go_offline(&mut self, user: UserId) {
        if let Some(live) = self.live.remove(&user) {
            tracing::info!(user = %user, "offline");
            let presence = encode(&ServerMsg::Presence {
                user: user_info(&live.user, false),
            });
            self.broadcast(&presence, None, false);
        }
    }

    // ---- conversations ----

    /// Stores and delivers a text message; a refusal names the message's client id.
    async fn send(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        conversation: ConversationId,
        client_id: &ClientMsgId,
        text: &str,
    ) -> Result<(), Refusal> {
        self.try_send(conn, user, conversation, client_id, text)
            .await
            .map_err(|Refusal(mut reply)| {
                if let ServerMsg::Error { client_id: id, .. } = &mut reply {
                    *id = Some(client_id.clone());
                }
                Refusal(reply)
            })
    }

    async fn try_send(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        conversation: ConversationId,
        client_id: &ClientMsgId,
        text: &str,
    ) -> Result<(), Refusal> {
        validate_client_id(client_id)?;
        let text = normalize_text(text)?;
        self.require_member(conversation, user.id).await?;
        if let Err(not_until) = self.limiter.check_key(&user.id) {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            let strikes = self.conns.get_mut(&conn).map(|c| {
                c.rate_strikes += 1;
                c.rate_strikes
            });
            if strikes.is_some_and(|s| s >= self.settings.max_rate_strikes) {
                tracing::warn!(user = %user.id, "closing a flooding connection");
                self.close_conn(conn, close_code::POLICY_VIOLATION);
            }
            return Err(Refusal(ServerMsg::Error {
                code: ErrorCode::RateLimited,
                message: "You are sending too fast; wait a moment.".into(),
                retry_after_ms: Some(wait.as_millis().max(1) as u64),
                client_id: None,
            }));
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.rate_strikes = 0;
        }
        let stored = self
            .store
            .insert_message(
                conversation,
                user,
                &MessageBody::Text { text },
                Some(client_id),
                now_ms(),
            )
            .await
            .map_err(internal)?;
        let m = &stored.message;
        let ack = ServerMsg::Ack {
            client_id: client_id.clone(),
            id: m.id,
            conversation,
            seq: m.seq,
            sent_at_ms: m.sent_at_ms,
        };
        self.send_to_conn(conn, &encode(&ack), true);
        if !stored.duplicate {
            let frame = encode(&ServerMsg::Message {
                message: stored.message,
            });
            self.fan_out(conversation, &frame, None, true).await;
        }
        Ok(())
    }

    async fn join_room(&mut self, user: &UserRow, name: &str) -> Result<(), Refusal> {
        validate_room_name(name)?;
        let now = now_ms();
        let (room, created) = self.store.ensure_room(name, now).await.map_err(internal)?;
        if created {
            tracing::info!(room = name, "room created");
        }
        self.add_member(room, user, now).await
    }

    /// Makes `user` a member of the room: tells their tabs, posts the join line,
    /// and tells everyone the new member count. Nothing happens if they already were.
    async fn add_member(
        &mut self,
        room: ConversationId,
        user: &UserRow,
        now: i64,
    ) -> Result<(), Refusal> {
        if !self
            .store
            .add_member(room, user.id, now)
            .await
            .map_err(internal)?
        {
            return Ok(());
        }
        if let Some(members) = self.members.get_mut(&room) {
            members.insert(user.id);
        }
        self.post_system_line(room, user, MessageBody::Joined)
            .await?;
        self.tell_joined(room, user.id).await?;
        self.announce_room(room).await
    }

    async fn leave_room(&mut self, user: &UserRow, room: ConversationId) -> Result<(), Refusal> {
        let info = self.store.room(room).await.map_err(internal)?;
        let Some(info) = info else {
            return Err(refuse(
                ErrorCode::NoSuchConversation,
                "There is no such room.",
            ));
        };
        if info.name == GENERAL_ROOM {
            return Err(refuse(ErrorCode::CannotLeave, "Everyone stays in general."));
        }
        self.require_member(room, user.id).await?;
        if !self
            .store
            .remove_member(room, user.id)
            .await
            .map_err(internal)?
        {
            return Ok(());
        }
        if let Some(members) = self.members.get_mut(&room) {
            members.remove(&user.id);
        }
        self.send_to_user(
            user.id,
            &encode(&ServerMsg::Left { conversation: room }),
            true,
        );
        self.post_system_line(room, user, MessageBody::Left).await?;
        self.announce_room(room).await
    }

    async fn open_direct(&mut self, user: &UserRow, peer: UserId) -> Result<(), Refusal> {
        if peer == user.id {
            return Err(refuse(
                ErrorCode::NoSuchUser,
                "Pick someone other than yourself.",
            ));
        }
        let Some(peer_row) = self.store.user(peer).await.map_err(internal)? else {
            return Err(refuse(ErrorCode::NoSuchUser, "There is no such user."));
        };
        let (conversation, created) = self
            .store
            .ensure_direct(user.id, peer, now_ms())
            .await
            .map_err(internal)?;
        self.members
            .insert(conversation, HashSet::from([user.id, peer]));
        // The opener's tabs always learn of it; the peer's once, when it is new.
        let targets: &[&UserRow] = if created { &[user, &peer_row] } else { &[user] };
        for target in targets {
            self.tell_joined(conversation, target.id).await?;
        }
        if created {
            // Each side needs to know the other, even when offline.
            let online = |id| self.live.contains_key(&id);
            let to_user = encode(&ServerMsg::Presence {
                user: user_info(&peer_row, online(peer)),
            });
            let to_peer = encode(&ServerMsg::Presence {
                user: user_info(user, online(user.id)),
            });
            self.send_to_user(user.id, &to_user, true);
            self.send_to_user(peer, &to_peer, true);
        }
        Ok(())
    }

    /// Tells every tab of `user` that they are a member of `conversation`.
    async fn tell_joined(
        &mut self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<(), Refusal> {
        if let Some(info) = self
            .store
            .conversation_for(conversation, user)
            .await
            .map_err(internal)?
        {
            self.send_to_user(
                user,
                &encode(&ServerMsg::Joined { conversation: info }),
                true,
            );
        }
        Ok(())
    }

    async fn post_system_line(
        &mut self,
        room: ConversationId,
        user: &UserRow,
        body: MessageBody,
    ) -> Result<(), Refusal> {
        let stored = self
            .store
            .insert_message(room, user, &body, None, now_ms())
            .await
            .map_err(internal)?;
        let frame = encode(&ServerMsg::Message {
            message: stored.message,
        });
        self.fan_out(room, &frame, None, true).await;
        Ok(())
    }

    /// Tells everyone a room's current member count.
    async fn announce_room(&mut self, room: ConversationId) -> Result<(), Refusal> {
        if let Some(info) = self.store.room(room).await.map_err(internal)? {
            self.broadcast(&encode(&ServerMsg::Room { room: info }), None, true);
        }
        Ok(())
    }

    async fn members_of(
        &mut self,
        conversation: ConversationId,
    ) -> Result<&HashSet<UserId>, Refusal> {
        if !self.members.contains_key(&conversation) {
            let members = self.store.members(conversation).await.map_err(internal)?;
            self.members
                .insert(conversation, members.into_iter().collect());
        }
        Ok(self.members.entry(conversation).or_default())
    }

    async fn require_member(
        &mut self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<(), Refusal> {
        if self.members_of(conversation).await?.contains(&user) {
            Ok(())
        } else {
            Err(refuse(
                ErrorCode::NotAMember,
                "You are not a member of this conversation.",
            ))
        }
    }

    // ---- delivery ----

    /// Sends a frame to every connection of every member, except `skip`'s.
    async fn fan_out(
        &mut self,
        conversation: ConversationId,
        frame: &Frame,
        skip: Option<UserId>,
        essential: bool,
    ) {
        let Ok(members) = self.members_of(conversation).await else {
            return;
        };
        let members: Vec<UserId> = members
            .iter()
            .copied()
            .filter(|u| Some(*u) != skip)
            .collect();
        self.send_to_users(members, frame, essential);
    }

    /// Sends a frame to every logged-in connection, except `skip`'s.
    fn broadcast(&mut self, frame: &Frame, skip: Option<UserId>, essential: bool) {
        let users: Vec<UserId> = self
            .live
            .keys()
            .copied()
            .filter(|u| Some(*u) != skip)
            .collect();
        self.send_to_users(users, frame, essential);
    }

    fn send_to_user(&mut self, user: UserId, frame: &Frame, essential: bool) {
        self.send_to_users([user], frame, essential);
    }

    /// Sends a frame to every connection of each of these users who is online.
    fn send_to_users(
        &mut self,
        users: impl IntoIterator<Item = UserId>,
        frame: &Frame,
        essential: bool,
    ) {
        let targets: Vec<ConnId> = users
            .into_iter()
            .filter_map(|u| self.live.get(&u))
            .flat_map(|l| l.conns.iter().copied())
            .collect();
        for conn in targets {
            self.send_to_conn(conn, frame, essential);
        }
    }

    /// Queues a frame for one connection. A full queue drops a non-essential frame
    /// (typing, presence); for an essential one the connection is closed as too slow:
    /// it reconnects and catches up from storage.
    fn send_to_conn(&mut self, conn: ConnId, frame: &Frame, essential: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.close.is_none() {
            return; // being closed: it resumes from storage
        }
        match c.outbox.try_send(frame.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) if !essential => {
                tracing::debug!(conn, "dropped a frame for a slow connection");
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(conn, "closing a connection that cannot keep up");
                self.close_conn(conn, close_code::TOO_SLOW);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn close_conn(&mut self, conn: ConnId, code: u16) {
        if let Some(close) = self.conns.get_mut(&conn).and_then(|c| c.close.take()) {
            let _ = close.send(code);
        }
    }
}

fn user_info(user: &UserRow, online: bool) -> UserInfo {
    UserInfo {
        id: user.id,
        nickname: user.nickname.clone(),
        avatar: user.avatar.clone(),
        online,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_nicknames_share_a_skeleton() {
        let alice = nickname_skeleton("Alice");
        for same in ["alice", "ALICE", "Аlice" /* Cyrillic А */, "аlice"] {
            assert_eq!(nickname_skeleton(same), alice, "{same}");
        }
        // NFKC runs before the skeleton: fullwidth folds there.
        assert_eq!(
            nickname_skeleton(&normalize_nickname("Ａlice").unwrap()),
            alice
        );
        assert_ne!(nickname_skeleton("Alicia"), alice);
    }

    fn frames(conn: &mut Connection) -> Vec<ServerMsg> {
        let mut out = Vec::new();
        while let Ok(frame) = conn.outbox.try_recv() {
            out.push(serde_json::from_slice(&frame).unwrap());
        }
        out
    }

    /// Lets the hub's task finish what it was given (a no-op request answered in order).
    async fn settle(hub: &Hub, conn: &mut Connection) -> Vec<ServerMsg> {
        hub.request(conn.id, ClientMsg::Ping { nonce: 7 }).await;
        let mut seen = Vec::new();
        loop {
            let frame = conn.outbox.recv().await.unwrap();
            let msg: ServerMsg = serde_json::from_slice(&frame).unwrap();
            if msg == (ServerMsg::Pong { nonce: 7 }) {
                return seen;
            }
            seen.push(msg);
        }
    }

    #[tokio::test]
    async fn a_connection_that_does_not_read_is_bounded_then_closed_and_others_get_everything() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("hub.db").to_str().unwrap())
            .await
            .unwrap();
        let many = NonZeroU32::new(1_000_000).unwrap();
        let capacity = 16;
        let hub = Hub::start(
            store,
            HubSettings {
                sends_per_second: many,
                send_burst: many,
                outbox_capacity: capacity,
                ..HubSettings::default()
            },
        );
        let mut slow = hub.connect(capacity).await;
        let mut fast = hub.connect(1024).await;
        for (conn, name) in [(&slow, "Slow"), (&fast, "Fast")] {
            let login = ClientMsg::Login {
                nickname: name.into(),
                avatar: "fox".into(),
            };
            hub.request(conn.id, login).await;
        }
        let general = settle(&hub, &mut fast)
            .await
            .iter()
            .find_map(|m| match m {
                ServerMsg::Ready { conversations, .. } => Some(conversations[0].id),
                _ => None,
            })
            .unwrap();

        let mut delivered = 0;
        for i in 0..(capacity * 4) {
            let send = ClientMsg::Send {
                conversation: general,
                client_id: ClientMsgId(format!("c{i}")),
                text: i.to_string(),
            };
            hub.request(fast.id, send).await;
            delivered += settle(&hub, &mut fast)
                .await
                .iter()
                .filter(|m| matches!(m, ServerMsg::Message { .. }))
                .count();
            assert!(
                slow.outbox.len() <= capacity,
                "the slow queue stays bounded"
            );
        }
        assert_eq!(
            delivered,
            capacity * 4,
            "the reading connection got every message"
        );
        assert_eq!((&mut slow.closed).await, Ok(close_code::TOO_SLOW));
        assert_eq!(
            frames(&mut slow).len(),
            capacity,
            "nothing was queued after the close"
        );
    }

    #[tokio::test]
    async fn a_replay_larger_than_its_byte_budget_is_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("hub.db").to_str().unwrap())
            .await
            .unwrap();
        let many = NonZeroU32::new(1_000_000).unwrap();
        let hub = Hub::start(
            store,
            HubSettings {
                sends_per_second: many,
                send_burst: many,
                replay_max_bytes: 10_000,
                ..HubSettings::default()
            },
        );
        let mut writer = hub.connect(1024).await;
        let login = ClientMsg::Login {
            nickname: "Wes".into(),
            avatar: "fox".into(),
        };
        hub.request(writer.id, login).await;
        let token = settle(&hub, &mut writer)
            .await
            .into_iter()
            .find_map(|m| match m {
                ServerMsg::Ready { token, .. } => token,
                _ => None,
            })
            .unwrap();
        let general = ConversationId(1);
        for i in 0..20 {
            let send = ClientMsg::Send {
                conversation: general,
                client_id: ClientMsgId(format!("c{i}")),
                text: "x".repeat(1000),
            };
            hub.request(writer.id, send).await;
        }
        settle(&hub, &mut writer).await;

        // 20 messages of 1000 characters: more than 10,000 bytes. The newest 5: less.
        for (from, replayed) in [(0, None), (16, Some(5))] {
            let mut reader = hub.connect(1024).await;
            let resume = ClientMsg::Resume {
                token: token.clone(),
                cursors: vec![Cursor {
                    conversation: general,
                    seq: from,
                }],
            };
            hub.request(reader.id, resume).await;
            let got = settle(&hub, &mut reader).await;
            let reload = got.iter().any(
                |m| matches!(m, ServerMsg::Reload { conversation } if *conversation == general),
            );
            let count: usize = got
                .iter()
                .map(|m| match m {
                    ServerMsg::Replay { messages, .. } => messages.len(),
                    _ => 0,
                })
                .sum();
            match replayed {
                None => assert!(reload && count == 0, "from {from}: {got:?}"),
                Some(n) => assert!(!reload && count == n, "from {from}: {got:?}"),
            }
        }
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}
