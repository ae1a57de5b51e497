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
mod browser;

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
