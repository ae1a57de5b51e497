//! The connection banner: connecting / connected / reconnecting, with "reconnect now",
//! and why the server closed the link when the user should know.

use leptos::prelude::*;

use crate::client::socket::{ConnectionStatus, Socket};

#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let status = socket.status();
    let state = move || match status.get() {
        ConnectionStatus::Connecting => "connecting",
        ConnectionStatus::Connected => "connected",
        ConnectionStatus::Reconnecting { .. } => "reconnecting",
        ConnectionStatus::Idle => "idle",
    };
    let label = move || match status.get() {
        ConnectionStatus::Connecting => "Connecting…".to_string(),
        ConnectionStatus::Connected => "Connected".to_string(),
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

    view! {
        <div class="connection" data-state=state role="status" aria-live="polite">
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
