//! The client's WebSocket to the server: connects, waits for the server's welcome,
//! resumes the stored session, applies what the server sends to the chat state,
//! pings at the interval the server asks for, detects a dead link and reconnects
//! with backoff. On resume it presents its cursors, and messages the user writes go
//! through the outbox (kept in browser storage) until the server acknowledges them.
//! One API for both builds; only the browser half is gated (as leptos-use's
//! use_websocket does), so the server renders the same components with the socket
//! still "connecting".

use futures::channel::mpsc::{unbounded, UnboundedSender};
use leptos::prelude::*;

use super::{
    chat::Chat,
    state::{Draft, Reaction},
    storage,
};
use crate::protocol::{ClientMsg, ClientMsgId, ConversationId};

/// What the connection is doing, as the user should see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// An attempt is under way (the state the server renders, too).
    Connecting,
    /// The server has answered over the socket.
    Connected,
    /// The link was lost or refused; the next attempt starts after a delay.
    Reconnecting { attempt: u32, retry_in_ms: u32 },
    /// The server closed a connection that had no session yet (after
    /// `login_timeout_secs`); the next login connects again at once.
    Idle,
    /// The browser says it has no network: the next attempt waits for it.
    Offline,
}

/// A close the user is told of (a policy or size violation), shown in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

// Read by the browser half only.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Command {
    /// Send this request if the link is up (chat messages are kept as pending
    /// in the state and sent again after a reconnect).
    Send(ClientMsg),
    /// Send an application ping now (its pong updates the round-trip time).
    Ping,
    /// Skip the remaining backoff delay; check a live link.
    ReconnectNow,
}

/// Handle to the app's one socket; cheap to copy into components.
#[derive(Clone, Copy)]
pub struct Socket {
    status: ReadSignal<ConnectionStatus>,
    closed_because: ReadSignal<Option<Closed>>,
    round_trip_ms: ReadSignal<Option<u32>>,
    visible: ReadSignal<bool>,
    chat: Chat,
    commands: StoredValue<Option<UnboundedSender<Command>>>,
}

impl Socket {
    pub fn status(&self) -> ReadSignal<ConnectionStatus> {
        self.status
    }

    /// Why the server closed the last connection, when the user should know (a policy
    /// violation, a message too big); shown for a while, reconnected or not.
    pub fn closed_because(&self) -> ReadSignal<Option<Closed>> {
        self.closed_because
    }

    /// A login can be sent: the link is up, or idle (the login brings it up).
    pub fn ready_for_login(&self) -> bool {
        matches!(
            self.status.get(),
            ConnectionStatus::Connected | ConnectionStatus::Idle
        )
    }

    /// Everything the client knows of the chat.
    pub fn chat(&self) -> Chat {
        self.chat
    }

    /// The tab is visible (what arrives in the open conversation is read).
    pub fn visible(&self) -> ReadSignal<bool> {
        self.visible
    }

    /// Round trip of the last answered ping, in milliseconds.
    pub fn round_trip_ms(&self) -> ReadSignal<Option<u32>> {
        self.round_trip_ms
    }

    /// Pings the server now; `round_trip_ms` changes when it answers.
    pub fn measure_round_trip(&self) {
        self.command(Command::Ping);
    }

    /// Cuts a pending backoff delay short.
    pub fn reconnect_now(&self) {
        self.command(Command::ReconnectNow);
    }

    pub fn send(&self, msg: ClientMsg) {
        self.command(Command::Send(msg));
    }

    /// Posts a message the user wrote: it goes into the outbox (and browser storage)
    /// first, then to the server if the link is up, else after the next resume.
    pub fn post(&self, conversation: ConversationId, draft: Draft) {
        let client_id = new_client_id();
        let posted = self
            .chat
            .update(|s| {
                let me = s.me()?.id;
                s.send(conversation, client_id, draft, now_ms())
                    .map(|sent| (me, sent))
            })
            .flatten();
        if let Some((me, (pending, reactions))) = posted {
            storage::keep_pending(me, &pending);
            self.send_all(reactions);
        }
    }

    /// Brings a message into view, loading it (and what follows it) if needed.
    pub fn jump_to(&self, conversation: ConversationId, seq: crate::protocol::Seq) {
        if let Some(Some(request)) = self.chat.update(|s| s.jump_to(conversation, seq)) {
            self.send(request);
        }
    }

    /// Searches the user's conversations (or one of them).
    pub fn search(&self, query: String, within: Option<ConversationId>) {
        if let Some(request) = self.chat.update(|s| s.search(query, within)) {
            self.send(request);
        }
    }

    /// Sends a refused message again.
    pub fn retry(&self, client_id: &ClientMsgId) {
        let retried = self
            .chat
            .update(|s| Some((s.me()?.id, s.retry(client_id)?)))
            .flatten();
        if let Some((me, (pending, reactions))) = retried {
            storage::keep_pending(me, &pending);
            self.send_all(reactions);
        }
    }

    /// Gives up on a refused message: it leaves the outbox and browser storage.
    pub fn discard(&self, client_id: &ClientMsgId) {
        let me = self.chat.read_untracked(|s| s.me().map(|m| m.id));
        if self.chat.update(|s| s.discard(client_id)) == Some(true) {
            if let Some(me) = me {
                storage::drop_pending(me, client_id);
            }
        }
    }

    fn send_all(&self, reactions: Vec<Reaction>) {
        for reaction in reactions {
            if let Reaction::Send(msgs) = reaction {
                for msg in msgs {
                    self.send(msg);
                }
            }
        }
    }

    /// Logs in with a new session.
    pub fn login(&self, nickname: String, avatar: String) {
        self.chat.update(|s| s.logging_in());
        self.send(ClientMsg::Login { nickname, avatar });
    }

    /// Links this device to an account signed in on another one, with the code shown
    /// there (sent like a login: on a connection without a session).
    pub fn link_redeem(&self, code: String) {
        self.chat.update(|s| s.logging_in());
        self.send(ClientMsg::LinkRedeem { code });
    }

    /// Asks for a code (and a QR code of its link) for a new device.
    pub fn link_start(&self) {
        #[cfg(feature = "hydrate")]
        let origin = window().location().origin().ok();
        #[cfg(not(feature = "hydrate"))]
        let origin = None;
        self.send(ClientMsg::LinkStart { origin });
    }

    /// Withdraws the code offered (its dialog closed).
    pub fn link_cancel(&self) {
        self.chat.update(|s| s.close_link_offer());
        self.send(ClientMsg::LinkCancel);
    }

    /// Allows (or refuses) a device that redeemed this session's code.
    pub fn link_confirm(&self, link: crate::protocol::LinkId, accept: bool) {
        self.chat.update(|s| s.link_answered(link));
        self.send(ClientMsg::LinkConfirm { link, accept });
    }

    /// Ends one of the user's sessions (`None`: every one but this).
    pub fn end_sessions(&self, device: Option<crate::protocol::DeviceId>) {
        self.send(match device {
            Some(device) => ClientMsg::EndSession { device },
            None => ClientMsg::EndOtherSessions,
        });
    }

    /// Signs in with a passkey the browser holds for this site (no name typed).
    pub fn passkey_sign_in(&self) {
        self.chat.update(|s| s.passkey_begun());
        self.send(ClientMsg::PasskeySignInStart);
    }

    /// Adds a passkey named `name` (empty: after this device).
    pub fn passkey_add(&self, name: String) {
        self.chat.update(|s| s.passkey_begun());
        self.send(ClientMsg::PasskeyAddStart { name });
    }

    /// Asks for the user's passkeys (or removes one, then asks).
    pub fn passkeys(&self, remove: Option<crate::protocol::PasskeyId>) {
        self.send(match remove {
            Some(passkey) => ClientMsg::PasskeyRemove { passkey },
            None => ClientMsg::Passkeys,
        });
    }

    /// Ends the session in every tab.
    pub fn logout(&self) {
        self.send(ClientMsg::Logout);
        storage::clear_session();
        self.chat.update(|s| s.logged_out());
    }

    fn command(&self, command: Command) {
        self.commands.with_value(|tx| {
            if let Some(tx) = tx {
                // Fails only if the socket task has ended, which it never does by itself.
                let _ = tx.unbounded_send(command);
            }
        });
    }
}

/// Creates the socket; in the browser this starts the connection task.
/// Call once, near the root, and share the handle through context.
pub fn use_socket() -> Socket {
    let (status, set_status) = signal(ConnectionStatus::Connecting);
    let closed_because = RwSignal::new(None::<Closed>);
    let (round_trip_ms, set_round_trip_ms) = signal(None);
    let (visible, set_visible) = signal(true);
    let chat = Chat::new();
    let (tx, rx) = unbounded();

    #[cfg(feature = "hydrate")]
    {
        let wake = tx.clone();
        let nudge = move || {
            let _ = wake.unbounded_send(Command::ReconnectNow);
        };
        let on_online = nudge.clone();
        // Back online, or back to a tab whose timers were throttled: try (or check) now.
        let _ = window_event_listener(leptos::ev::online, move |_| on_online());
        let _ = window_event_listener(leptos::ev::offline, move |_| {
            set_status.set(ConnectionStatus::Offline)
        });
        set_visible.set(!document().hidden());
        let _ = window_event_listener(leptos::ev::visibilitychange, move |_| {
            let shown = !document().hidden();
            set_visible.set(shown);
            if shown {
                nudge();
            }
        });
        // An invite link in the address: at load, and when one is opened in this tab
        // later (only the fragment changes). The one at load is read now, before a
        // navigation of the router can drop it, and followed after hydration (an
        // effect: the page the server rendered knows of no invite, and the first
        // render must match it).
        let invites = tx.clone();
        let follow_invite = move |code: Option<String>| {
            let Some(code) = code.and_then(|c| crate::protocol::invite_code_in(&c)) else {
                return;
            };
            let connected = status.get_untracked() == ConnectionStatus::Connected;
            if let Some(msg) = chat.update(|s| s.follow_invite(code, connected)).flatten() {
                let _ = invites.unbounded_send(Command::Send(msg));
            }
        };
        let invite_fragment = || super::address::take_fragment(crate::protocol::INVITE_FRAGMENT);
        let at_load = StoredValue::new(invite_fragment());
        let on_hash = follow_invite.clone();
        Effect::new(move |_| follow_invite(at_load.try_update_value(Option::take).flatten()));
        let _ = window_event_listener(leptos::ev::hashchange, move |_| on_hash(invite_fragment()));
        browser::keep_saved(chat);
        leptos::task::spawn_local(browser::run(
            browser::ws_url(),
            set_status,
            closed_because,
            set_round_trip_ms,
            chat,
            rx,
            tx.clone(),
        ));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_status, set_round_trip_ms, set_visible, rx);

    Socket {
        status,
        closed_because: closed_because.read_only(),
        round_trip_ms,
        visible,
        chat,
        commands: StoredValue::new(cfg!(feature = "hydrate").then_some(tx)),
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use futures::{
        channel::mpsc::{UnboundedReceiver, UnboundedSender},
        select, FutureExt, SinkExt, StreamExt,
    };
    use gloo_net::websocket::{futures::WebSocket, Message, WebSocketError};
    use gloo_timers::future::{IntervalStream, TimeoutFuture};
    use leptos::prelude::*;

    use super::{Closed, Command, ConnectionStatus};
    use crate::protocol::UserId;
    use crate::{
        client::{
            backoff::reconnect_delay_ms,
            chat::{Chat, Part},
            state::{ChatState, PasskeyCall, Reaction},
            storage,
        },
        protocol::{close_code, ClientMsg, ServerMsg, WS_PATH},
    };

    /// How long why the server closed a connection stays shown.
    const NOTICE_FOR: std::time::Duration = std::time::Duration::from_secs(15);

    /// Ping interval until the server's welcome says otherwise.
    const DEFAULT_PING_MS: u32 = 20_000;

    /// `ws(s)://<this page's host>/ws`.
    pub fn ws_url() -> String {
        let location = window().location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss",
            _ => "ws",
        };
        let host = location.host().unwrap_or_default();
        format!("{scheme}://{host}{WS_PATH}")
    }

    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }

    /// How a connection ended, for what comes next.
    enum Ended {
        /// Welcomed, and not closed for load: the backoff starts over.
        Welcomed,
        /// Refused, failed, or closed for load or abuse: the backoff goes on growing.
        NotWelcomed,
        /// Closed for having no session (4003): connect again when there is a login.
        Idle,
    }

    pub async fn run(
        url: String,
        status: WriteSignal<ConnectionStatus>,
        closed_because: RwSignal<Option<Closed>>,
        round_trip_ms: WriteSignal<Option<u32>>,
        chat: Chat,
        mut commands: UnboundedReceiver<Command>,
        later: UnboundedSender<Command>,
    ) {
        // After hydration (this task starts once the page is interactive), so the
        // server's render and the first client render agree.
        if storage::load_token().is_some() {
            if let Some(saved) = storage::load_saved() {
                let outbox = storage::load_outbox(saved.me.id);
                chat.update(|s| s.restore(saved, outbox));
            }
        }
        let mut attempt = 0u32;
        // A login asked for while the link was idle: sent once the next one is welcomed.
        let mut login: Option<ClientMsg> = None;
        loop {
            let ended = match WebSocket::open(&url) {
                Ok(ws) => {
                    let link = Link {
                        status,
                        closed_because,
                        round_trip_ms,
                        chat,
                        commands: later.clone(),
                    };
                    link.session(ws, &mut commands, login.take()).await
                }
                Err(e) => {
                    leptos::logging::warn!("cannot open {url}: {e}");
                    Ended::NotWelcomed
                }
            };
            let welcomed = match ended {
                Ended::Welcomed => true,
                Ended::NotWelcomed => false,
                Ended::Idle => {
                    status.set(ConnectionStatus::Idle);
                    // Nothing to connect for until the user logs in (or asks).
                    loop {
                        match commands.next().await {
                            Some(Command::Send(
                                msg @ (ClientMsg::Login { .. }
                                | ClientMsg::LinkRedeem { .. }
                                | ClientMsg::PasskeySignInStart),
                            )) => {
                                login = Some(msg);
                                break;
                            }
                            Some(Command::ReconnectNow) => break,
                            Some(Command::Ping | Command::Send(_)) => {}
                            None => return,
                        }
                    }
                    attempt = 0;
                    status.set(ConnectionStatus::Connecting);
                    continue;
                }
            };
            attempt = if welcomed { 1 } else { attempt + 1 };
            let delay = reconnect_delay_ms(attempt, js_sys::Math::random());
            if window().navigator().on_line() {
                status.set(ConnectionStatus::Reconnecting {
                    attempt,
                    retry_in_ms: delay,
                });
            } else {
                // No network: tried again when the browser says it is back (`online`).
                status.set(ConnectionStatus::Offline);
                loop {
                    match commands.next().await {
                        Some(Command::ReconnectNow) => break,
                        Some(Command::Ping | Command::Send(_)) => {}
                        None => return,
                    }
                }
                attempt = 0;
                status.set(ConnectionStatus::Connecting);
                continue;
            }
            let mut timer = TimeoutFuture::new(delay).fuse();
            loop {
                select! {
                    _ = timer => break,
                    command = commands.next() => match command {
                        Some(Command::ReconnectNow) => break,
                        // Chat messages stay pending in the state and go out after the reconnect.
                        Some(Command::Ping | Command::Send(_)) => {}
                        None => return,
                    },
                }
            }
            status.set(ConnectionStatus::Connecting);
        }
    }

    struct Link {
        status: WriteSignal<ConnectionStatus>,
        closed_because: RwSignal<Option<Closed>>,
        round_trip_ms: WriteSignal<Option<u32>>,
        chat: Chat,
        /// The socket task's own queue, for requests sent later.
        commands: UnboundedSender<Command>,
    }

    impl Link {
        /// Drives one connection until it ends. `login`, if any, is sent once the
        /// server has welcomed it.
        async fn session(
            &self,
            ws: WebSocket,
            commands: &mut UnboundedReceiver<Command>,
            mut login: Option<ClientMsg>,
        ) -> Ended {
            let ended = |welcomed: bool| {
                if welcomed {
                    Ended::Welcomed
                } else {
                    Ended::NotWelcomed
                }
            };
            let (mut tx, rx) = ws.split();
            let mut rx = rx.fuse();
            let mut welcomed = false;
            let mut ping_every = f64::from(DEFAULT_PING_MS);
            let mut ticker = IntervalStream::new(DEFAULT_PING_MS).fuse();
            let mut last_frame = now_ms();
            let mut last_tick = now_ms();

            loop {
                let outgoing: Vec<ClientMsg> = select! {
                    frame = rx.next() => match frame {
                        Some(Ok(Message::Text(text))) => {
                            last_frame = now_ms();
                            // Frames are coming: whatever the browser said, the link works.
                            self.status.maybe_update(|s| {
                                let offline = *s == ConnectionStatus::Offline;
                                if offline {
                                    *s = ConnectionStatus::Connected;
                                }
                                offline
                            });
                            match serde_json::from_str::<ServerMsg>(&text) {
                                Ok(ServerMsg::Welcome { ping_interval_ms, passkey_origin, .. }) => {
                                    welcomed = true;
                                    self.chat.update(|s| s.passkeys_at(passkey_origin));
                                    self.status.set(ConnectionStatus::Connected);
                                    let ms = ping_interval_ms.clamp(1_000, 600_000) as u32;
                                    ping_every = f64::from(ms);
                                    ticker = IntervalStream::new(ms).fuse();
                                    last_tick = now_ms();
                                    match storage::load_token() {
                                        Some(token) => {
                                            let cursors = self.chat.update(|s| {
                                                if s.me().is_none() {
                                                    s.logging_in();
                                                }
                                                s.resume_cursors()
                                            }).unwrap_or_default();
                                            vec![ClientMsg::Resume { token, cursors }]
                                        }
                                        None => match login.take() {
                                            Some(login) => vec![login],
                                            None => {
                                                self.chat.update(|s| s.anonymous());
                                                vec![]
                                            }
                                        },
                                    }
                                }
                                Ok(ServerMsg::Pong { nonce }) => {
                                    // The nonce is the send time, so the answer carries its own age.
                                    self.round_trip_ms.set(Some((now_ms() - nonce as f64).max(0.0) as u32));
                                    vec![]
                                }
                                Ok(msg) => self.apply(msg),
                                Err(e) => {
                                    leptos::logging::warn!("unreadable server message: {e}");
                                    vec![]
                                }
                            }
                        }
                        Some(Ok(Message::Bytes(_))) => {
                            last_frame = now_ms();
                            vec![]
                        }
                        Some(Err(WebSocketError::ConnectionClose(event))) => {
                            leptos::logging::log!("socket closed: {} {}", event.code, event.reason);
                            match event.code {
                                close_code::LOGGED_OUT => {
                                    storage::clear_session();
                                    let banned = event.reason == close_code::REASON_BANNED;
                                    self.chat.update(|s| {
                                        s.logged_out();
                                        if banned {
                                            s.login_error = Some(crate::protocol::ErrorCode::AccountBanned);
                                        }
                                    });
                                }
                                close_code::LOGIN_TIMEOUT => return Ended::Idle,
                                // Told to the user: something they did (or their client
                                // did) was refused.
                                close_code::POLICY_VIOLATION | close_code::MESSAGE_TOO_BIG => {
                                    let notice = Closed {
                                        code: event.code,
                                        reason: event.reason.clone(),
                                    };
                                    self.closed_because.set(Some(notice.clone()));
                                    // Long enough to be read, whatever the reconnect does.
                                    let closed_because = self.closed_because;
                                    set_timeout(
                                        move || {
                                            if closed_because.get_untracked().as_ref() == Some(&notice) {
                                                closed_because.set(None);
                                            }
                                        },
                                        NOTICE_FOR,
                                    );
                                }
                                _ => {}
                            }
                            // Closed for load or abuse: back off further, or every client
                            // closed at once would come back at once.
                            if matches!(
                                event.code,
                                close_code::TOO_SLOW | close_code::TRY_AGAIN_LATER | close_code::POLICY_VIOLATION
                            ) {
                                return Ended::NotWelcomed;
                            }
                            return ended(welcomed);
                        }
                        Some(Err(e)) => {
                            leptos::logging::warn!("socket error: {e}");
                            return ended(welcomed);
                        }
                        None => return ended(welcomed),
                    },
                    command = commands.next() => match command {
                        Some(Command::Send(msg)) if welcomed => vec![msg],
                        Some(Command::Send(_)) => vec![],
                        // Asked to check the link (tab visible again, network back): a ping
                        // answers within the dead-link window or the link is dropped.
                        Some(Command::Ping | Command::ReconnectNow) => {
                            vec![ClientMsg::Ping { nonce: now_ms() as u64 }]
                        }
                        None => return ended(welcomed),
                    },
                    _ = ticker.next() => {
                        let now = now_ms();
                        // Hidden tabs' timers are throttled to about once a minute: a tick
                        // that comes far later than planned is not the server's silence.
                        if now - last_tick > 1.5 * ping_every {
                            last_frame = now;
                        }
                        last_tick = now;
                        if now - last_frame > 2.0 * ping_every {
                            leptos::logging::warn!("no frame for two ping intervals: link is dead");
                            return ended(welcomed);
                        }
                        vec![ClientMsg::Ping { nonce: now as u64 }]
                    },
                };
                for msg in outgoing {
                    if tx.send(Message::Text(msg.to_json())).await.is_err() {
                        return ended(welcomed);
                    }
                }
            }
        }

        /// Applies a chat message to the state; returns what must be sent because of it.
        fn apply(&self, msg: ServerMsg) -> Vec<ClientMsg> {
            let (reactions, me): (_, Option<UserId>) = self
                .chat
                .update(|s| (s.apply(msg, now_ms()), s.me().map(|m| m.id)))
                .unwrap_or_default();
            let mut outgoing = Vec::new();
            for reaction in reactions {
                match reaction {
                    Reaction::SaveToken(token) => {
                        // A new session: what was kept of an earlier one is not its own.
                        storage::clear_session();
                        storage::save_token(&token);
                    }
                    Reaction::ClearToken => storage::clear_session(),
                    Reaction::Send(msgs) => outgoing.extend(msgs),
                    Reaction::SendAfter { ms, msg } => {
                        let commands = self.commands.clone();
                        set_timeout(
                            move || {
                                let _ = commands.unbounded_send(Command::Send(msg));
                            },
                            std::time::Duration::from_millis(ms),
                        );
                    }
                    Reaction::KeepPending(p) => {
                        if let Some(me) = me {
                            storage::keep_pending(me, &p);
                        }
                    }
                    Reaction::DropPending(id) => {
                        if let Some(me) = me {
                            storage::drop_pending(me, &id);
                        }
                    }
                    Reaction::Notify { title, body } => {
                        crate::client::notify::mentioned(&title, &body)
                    }
                    Reaction::Passkey(call) => {
                        let (commands, chat) = (self.commands.clone(), self.chat);
                        let signing_in = matches!(call, PasskeyCall::Get { .. });
                        leptos::task::spawn_local(async move {
                            match crate::client::passkeys::run(call).await {
                                Ok(answer) => {
                                    chat.update(|s| s.passkey_answered(signing_in));
                                    let _ = commands.unbounded_send(Command::Send(answer));
                                }
                                Err(problem) => {
                                    chat.update(|s| s.passkey_failed(problem));
                                }
                            }
                        });
                    }
                }
            }
            outgoing
        }
    }

    /// How long after a change the saved chat is written (and at once on `pagehide`).
    const SAVE_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

    /// Keeps the saved chat in browser storage up to date, at most every
    /// [`SAVE_AFTER`] while messages stream in, so a reload finds it.
    pub fn keep_saved(chat: Chat) {
        let save = move || {
            if let Some(saved) = chat.read_untracked(ChatState::saved) {
                storage::save_saved(&saved);
            }
        };
        chat.after_changes(Part::Any, SAVE_AFTER, save);
        let _ = window_event_listener(leptos::ev::pagehide, move |_| save());
    }
}

/// A fresh idempotency key: the time and a random part, in base 36.
pub fn new_client_id() -> ClientMsgId {
    #[cfg(feature = "hydrate")]
    let random = (js_sys::Math::random() * 2f64.powi(52)) as u64;
    #[cfg(not(feature = "hydrate"))]
    let random = 0u64;
    ClientMsgId(format!("m-{}-{}", base36(now_ms() as u64), base36(random)))
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The client's clock in milliseconds (0 on the server, which renders no times).
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        browser::now_ms()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}
