//! A room's slow mode, for its moderators: how long each member waits between their
//! messages (moderators do not), chosen from a few spans, told to everyone at once.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    i18n::{self, I18n},
    protocol::{ClientMsg, ConversationId},
};

/// The spans offered, in seconds (0: off).
const SPANS: [u32; 9] = [0, 5, 10, 30, 60, 300, 900, 3600, 21_600];

#[component]
pub fn SlowModeSetting(conversation: ConversationId) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let seconds = Memo::new(move |_| {
        chat.read(Part::Conversation(conversation), |s| {
            s.slow_mode(conversation)
        })
    });
    let label = move |span: u32| {
        if span == 0 {
            leptos_fluent::tr!(i18n, "slow-mode-off")
        } else {
            i18n::seconds_span(i18n, span)
        }
    };
    view! {
        <div class="slow-mode-setting">
            <label>
                {leptos_fluent::move_tr!("slow-mode")} " "
                <select
                    data-testid="slow-mode-select"
                    aria-describedby="slow-mode-note"
                    prop:value=move || seconds.get().to_string()
                    on:change=move |ev| {
                        if let Ok(seconds) = event_target_value(&ev).parse() {
                            socket.send(ClientMsg::SetSlowMode { conversation, seconds });
                        }
                    }
                >
                    {move || {
                        // A span set elsewhere (another client) is offered too.
                        let now = seconds.get();
                        let mut spans = SPANS.to_vec();
                        if !spans.contains(&now) {
                            spans.push(now);
                            spans.sort_unstable();
                        }
                        spans
                            .into_iter()
                            .map(|span| view! {
                                <option value=span.to_string() selected=move || seconds.get() == span>
                                    {move || label(span)}
                                </option>
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <p id="slow-mode-note" class="muted">{leptos_fluent::move_tr!("slow-mode-note")}</p>
        </div>
    }
}
