//! The connection banner: connecting / connected / reconnecting / offline, with
//! "reconnect now", and why the server closed the link when the user should know;
//! and the notice bar, for what the server refused (in plain words).

use leptos::prelude::*;

use crate::client::{
    chat::Part,
    socket::{ConnectionStatus, Socket},
};

/// The banner; with `quiet`, nothing while connected (the login page).
#[component]
pub fn ConnectionBanner(#[prop(optional)] quiet: bool) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let status = socket.status();
    let state = move || match status.get() {
        ConnectionStatus::Connecting => "connecting",
        ConnectionStatus::Connected => "connected",
        ConnectionStatus::Reconnecting { .. } => "reconnecting",
        ConnectionStatus::Offline => "offline",
        ConnectionStatus::Idle => "idle",
    };
    let label = move || match status.get() {
        ConnectionStatus::Connecting => "Connecting…".to_string(),
        ConnectionStatus::Connected => "Connected".to_string(),
        ConnectionStatus::Offline => {
            "You are offline. What you write is sent when the connection is back.".to_string()
        }
        ConnectionStatus::Reconnecting {
            attempt,
            retry_in_ms,
        } => format!(
            "Reconnecting (attempt {attempt}, next try in {:.1} s)",
            f64::from(retry_in_ms) / 1000.0
        ),
        ConnectionStatus::Idle => "Ready (connects when you join)".to_string(),
    };
    let closed_because = socket.closed_because();
    let reconnecting = move || matches!(status.get(), ConnectionStatus::Reconnecting { .. });
    let hidden = move || {
        quiet && status.get() == ConnectionStatus::Connected && closed_because.get().is_none()
    };

    view! {
        <div class="connection" class:hidden=hidden data-state=state role="status" aria-live="polite">
            <span class="connection-dot" aria-hidden="true"></span>
            <span class="connection-label" data-testid="connection-status">{label}</span>
            <Show when=move || closed_because.get().is_some()>
                <span class="connection-notice" role="alert" data-testid="closed-because">
                    {move || closed_because.get()}
                </span>
            </Show>
            <Show when=reconnecting>
                <button class="link-button" on:click=move |_| socket.reconnect_now()>
                    "Reconnect now"
                </button>
            </Show>
        </div>
    }
}

/// What the server refused, in its own plain words, until dismissed.
#[component]
pub fn NoticeBar() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let notice = Memo::new(move |_| chat.read(Part::Session, |s| s.notice.clone()));
    view! {
        <div class="notice-region" role="alert" aria-live="assertive">
            {move || notice.get().map(|text| view! {
                <div class="notice" data-testid="notice">
                    <span>{text}</span>
                    <button class="link-button" on:click=move |_| { chat.update(|s| s.dismiss_notice()); }>
                        "Dismiss"
                    </button>
                </div>
            })}
        </div>
    }
}
