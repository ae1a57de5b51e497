//! The composer: Enter sends, Shift+Enter is a newline, a counter near the limit,
//! and typing signals to the others (at most one every few seconds).

use leptos::prelude::*;

use crate::{
    client::{
        socket::{now_ms, Socket},
        state::Draft,
    },
    protocol::{ClientMsg, ConversationId, TEXT_MAX_CHARS},
};

/// Typing signals are repeated no more often than this while typing goes on.
const TYPING_EVERY_MS: f64 = 3_000.0;
/// The counter shows from this many characters left.
const COUNTER_FROM: usize = 200;

#[component]
pub fn Composer(conversation: ConversationId) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let text = RwSignal::new(String::new());
    let last_typing = StoredValue::new(0.0f64);
    let length = move || text.with(|t| t.trim().chars().count());
    let left = move || TEXT_MAX_CHARS as i64 - length() as i64;
    let can_send = move || length() > 0 && left() >= 0;

    let send = move || {
        if !can_send() {
            return;
        }
        let body = text.get_untracked().trim().to_string();
        socket.post(conversation, Draft::text(body));
        text.set(String::new());
        last_typing.set_value(0.0);
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev| {
        text.set(event_target_value(&ev));
        let now = now_ms();
        if now - last_typing.get_value() > TYPING_EVERY_MS && length() > 0 {
            last_typing.set_value(now);
            socket.send(ClientMsg::Typing { conversation });
        }
    };

    view! {
        <form class="composer" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <label for="composer-input" class="visually-hidden">"Message"</label>
            <textarea
                id="composer-input"
                data-testid="composer"
                rows="1"
                placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                aria-describedby="composer-counter"
            ></textarea>
            <span
                id="composer-counter"
                class="counter"
                class:over=move || left() < 0
                aria-live="polite"
            >
                {move || (left() <= COUNTER_FROM as i64).then(|| format!("{} characters left", left()))}
            </span>
            <button class="button" type="submit" disabled=move || !can_send()>"Send"</button>
        </form>
    }
}
