//! The connection banner: connecting / connected / reconnecting / offline, with
//! "reconnect now", and why the server closed the link when the user should know;
//! and the notice bar, for what the server refused (in plain words).

use leptos::prelude::*;

use crate::{
    client::{
        chat::Part,
        socket::{ConnectionStatus, Socket},
    },
    i18n::{self, I18n},
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
    let i18n = expect_context::<I18n>();
    let label = move || match status.get() {
        ConnectionStatus::Connecting => leptos_fluent::tr!(i18n, "status-connecting"),
        ConnectionStatus::Connected => leptos_fluent::tr!(i18n, "status-connected"),
        ConnectionStatus::Offline => leptos_fluent::tr!(i18n, "status-offline"),
        ConnectionStatus::Reconnecting {
            attempt,
            retry_in_ms,
        } => leptos_fluent::tr!(i18n, "status-reconnecting", {
            "attempt" => attempt,
            "seconds" => format!("{:.1}", f64::from(retry_in_ms) / 1000.0),
        }),
        ConnectionStatus::Idle => leptos_fluent::tr!(i18n, "status-idle"),
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
                    {move || closed_because.get().map(|c| i18n::closed_because(i18n, c.code, &c.reason))}
                </span>
            </Show>
            <Show when=reconnecting>
                <button class="link-button" on:click=move |_| socket.reconnect_now()>
                    {leptos_fluent::move_tr!("reconnect-now")}
                </button>
            </Show>
        </div>
    }
}

/// What the server refused, in plain words of the user's language, until dismissed.
#[component]
pub fn NoticeBar() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let notice = Memo::new(move |_| chat.read(Part::Session, |s| s.notice));
    let removed = Memo::new(move |_| chat.read(Part::Session, |s| s.removed.clone()));
    let i18n = expect_context::<I18n>();
    view! {
        <div class="notice-region" role="alert" aria-live="assertive">
            {move || removed.get().map(|r| {
                let room = r.room.clone();
                let text = move || match r.how {
                    crate::protocol::Removal::Kicked => leptos_fluent::tr!(i18n, "you-were-kicked", { "room" => room.clone() }),
                    crate::protocol::Removal::Banned => leptos_fluent::tr!(i18n, "you-were-banned", { "room" => room.clone() }),
                };
                view! {
                    <div class="notice" data-testid="removed-notice">
                        <span>{text}</span>
                        <button class="link-button" on:click=move |_| { chat.update(|s| s.dismiss_removed()); }>
                            {leptos_fluent::move_tr!("dismiss")}
                        </button>
                    </div>
                }
            })}
            {move || notice.get().map(|code| view! {
                <div class="notice" data-testid="notice">
                    <span>{move || i18n::refusal(i18n, code)}</span>
                    <button class="link-button" on:click=move |_| { chat.update(|s| s.dismiss_notice()); }>
                        {leptos_fluent::move_tr!("dismiss")}
                    </button>
                </div>
            })}
        </div>
    }
}
