//! The browser half of the socket: the connection task (connect, welcome, resume,
//! heartbeat, backoff and reconnect), applying what arrives to the state and doing
//! what it asks of the browser (storage, notifications, passkeys).

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
                Reaction::Notify { title, body } => crate::client::notify::mentioned(&title, &body),
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
