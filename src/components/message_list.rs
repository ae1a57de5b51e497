//! A conversation's messages: grouped by author, own ones on the right, system lines
//! for joins and leaves, text as text with links, pending ones until acknowledged.
//! Stays at the bottom while the reader is there; otherwise a "new messages" pill.
//! Scrolling to the top loads the page before.

use leptos::{html, prelude::*};

use crate::{
    client::{
        chat::Part,
        socket::{now_ms, ConnectionStatus, Socket},
        state::{Pending, Receipt},
    },
    components::{message_row::MessageRow, message_text::MessageText},
    i18n::{self, I18n},
    protocol::{ChatMessage, ConversationId, MessageBody, MessageId, Seq},
};

/// Messages of one author closer than this are shown as one group.
const GROUP_WITHIN_MS: i64 = 5 * 60 * 1000;
/// A scroll up this soon (ms) after the reader touched the list is theirs.
const INTENT_WITHIN_MS: f64 = 1_000.0;
/// How close to the bottom (px) still counts as "at the bottom".
const AT_BOTTOM_PX: i32 = 48;
/// Messages kept (in memory and the DOM) while the reader is at the bottom of a
/// conversation; older ones come back by scrolling up.
const KEPT_AT_BOTTOM: usize = 120;
/// Rows past [`KEPT_AT_BOTTOM`] before the oldest are dropped: a busy room trims now
/// and then, not at every message.
const TRIM_SLACK: usize = 40;

/// One row of the list: a message by its sequence number, and whether it starts a
/// group. The message itself is looked up when the row is first drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    seq: Seq,
    id: MessageId,
    first: bool,
    /// A changed message (edited, deleted, reacted to) is drawn again, and so is a
    /// reply whose quote changed.
    revision: Seq,
    quote: u64,
}

fn rows_of(messages: &[ChatMessage]) -> Vec<Row> {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let grouped = i > 0 && {
                let prev = &messages[i - 1];
                prev.author.id == m.author.id
                    && matches!(prev.body, MessageBody::Text { .. })
                    && matches!(m.body, MessageBody::Text { .. })
                    && m.sent_at_ms - prev.sent_at_ms < GROUP_WITHIN_MS
            };
            Row {
                seq: m.seq,
                id: m.id,
                first: !grouped,
                revision: m.revision,
                quote: m.reply_to.as_ref().map_or(0, |q| {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    (&q.snippet, q.deleted).hash(&mut h);
                    h.finish()
                }),
            }
        })
        .collect()
}

#[component]
pub fn MessageList(conversation: ConversationId) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let list = NodeRef::<html::Div>::new();
    // Whether the reader is at the bottom (read by handlers, never rendered).
    let at_bottom = StoredValue::new(true);
    let unseen = RwSignal::new(false);
    // A ticking clock, so typing indicators expire on screen.
    let now = RwSignal::new(now_ms());
    #[cfg(feature = "hydrate")]
    {
        let handle =
            set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(1));
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }

    let me = Memo::new(move |_| chat.read(Part::Session, |s| s.me().map(|m| m.id)));
    // One read receipt per conversation, under the newest of the user's messages
    // someone has read: worked out once per change, not per row.
    let receipt = Memo::new(move |_| {
        chat.track(Part::Messages(conversation));
        chat.track(Part::Session);
        chat.read(Part::Conversation(conversation), |s| {
            s.receipt(conversation)
        })
    });
    let rows = Memo::new(move |_| {
        chat.read(Part::Messages(conversation), |s| {
            s.conversations
                .get(&conversation)
                .map(|c| rows_of(c.messages()))
                .unwrap_or_default()
        })
    });
    let pending = Memo::new(move |_| {
        chat.read(Part::Outbox, |s| {
            s.conversations
                .get(&conversation)
                .map(|_| s.pending_in(conversation))
                .unwrap_or_default()
        })
    });
    let has_more = Memo::new(move |_| {
        chat.read(Part::Messages(conversation), |s| {
            s.conversations
                .get(&conversation)
                .is_some_and(|c| c.has_more())
        })
    });
    let typing = move || {
        let names = chat.read(Part::Conversation(conversation), |s| {
            s.typing(conversation, now.get())
        });
        match names.as_slice() {
            [] => String::new(),
            [one] => leptos_fluent::tr!(i18n, "typing-one", { "name" => one.clone() }),
            [a, b] => {
                leptos_fluent::tr!(i18n, "typing-two", { "first" => a.clone(), "second" => b.clone() })
            }
            _ => leptos_fluent::tr!(i18n, "typing-many"),
        }
    };
    let older_page = move || {
        if let Some(msg) = chat.read_untracked(|s| s.older_page(conversation)) {
            socket.send(msg);
        }
    };

    // Keep to the bottom as messages arrive, unless the reader scrolled up. The scroll
    // happens once per frame, after the rows are laid out (one layout, not one per
    // message of a busy room).
    let scroll_scheduled = StoredValue::new(false);
    let last_top = StoredValue::new(0i32);
    let scroll_to_bottom = move || {
        if unseen.get_untracked() {
            unseen.set(false);
        }
        at_bottom.set_value(true);
        if scroll_scheduled.get_value() {
            return;
        }
        scroll_scheduled.set_value(true);
        request_animation_frame(move || {
            scroll_scheduled.set_value(false);
            // Unless the reader scrolled up in the meantime.
            if !at_bottom.get_value() {
                return;
            }
            if let Some(el) = list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
                last_top.set_value(el.scroll_top());
            }
        });
    };
    // (first row, scroll height) while the reader is up the list: an older page put on
    // top moves what they read down by the height it adds.
    let previous_first = StoredValue::new((None::<u64>, 0i32));
    Effect::new(move |_| {
        let (first, kept) = rows.with(|r| (r.first().map(|r| r.seq), r.len()));
        let count = kept + pending.with(Vec::len);
        let Some(el) = list.get() else { return };
        let (old_first, old_height) = previous_first.get_value();
        if at_bottom.get_value() {
            if kept > KEPT_AT_BOTTOM + TRIM_SLACK {
                // Bounded: what scrolled out of sight at the top is dropped (this
                // effect runs again for the shorter list).
                chat.update(|s| s.keep_newest(conversation, KEPT_AT_BOTTOM));
            }
            scroll_to_bottom();
            previous_first.set_value((first, 0));
            return;
        }
        if old_first.is_some() && first < old_first {
            // An older page was put on top: keep what the reader was looking at in place.
            el.set_scroll_top(el.scroll_top() + el.scroll_height() - old_height);
            last_top.set_value(el.scroll_top());
        } else if count > 0 {
            unseen.set(true);
        }
        previous_first.set_value((first, el.scroll_height()));
    });

    // A quote or a search result opened: its message is brought into view once loaded.
    Effect::new(move |_| {
        chat.track(Part::Messages(conversation));
        if let Some(Some(seq)) = chat.update(|s| s.take_jump(conversation)) {
            at_bottom.set_value(false);
            request_animation_frame(move || show_message(list, seq));
        }
    });

    // Only the reader scrolling up leaves the bottom: rows added, dropped or laid out
    // again move the scroll position too, so a move up counts only soon after the
    // reader touched the list (wheel, keys, pointer, touch).
    let last_intent = StoredValue::new(f64::NEG_INFINITY);
    let intent = move || last_intent.set_value(now_ms());
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        intent();
        if ev.delta_y() < 0.0 {
            // Before the scroll event: the next frame must not pull the list back down.
            at_bottom.set_value(false);
        }
    };
    let on_scroll = move |_| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        let top = el.scroll_top();
        let moved_up = top < last_top.get_value();
        last_top.set_value(top);
        if el.scroll_height() - top - el.client_height() <= AT_BOTTOM_PX {
            at_bottom.set_value(true);
            unseen.set(false);
        } else if moved_up && now_ms() - last_intent.get_value() < INTENT_WITHIN_MS {
            at_bottom.set_value(false);
        }
        previous_first.update_value(|(_, h)| *h = el.scroll_height());
        if top < 40 && has_more.get_untracked() {
            older_page();
        }
    };

    view! {
        <div
            class="message-scroller"
            node_ref=list
            on:scroll=on_scroll
            on:wheel=on_wheel
            on:keydown=move |_| intent()
            on:pointerdown=move |_| intent()
            on:pointermove=move |ev: leptos::ev::PointerEvent| {
                // Dragging the scrollbar; a hover is not a scroll.
                if ev.buttons() != 0 {
                    intent();
                }
            }
            on:touchmove=move |_| intent()
        >
            <Show when=move || has_more.get()>
                <button class="link-button load-older" on:click=move |_| older_page()>
                    {leptos_fluent::move_tr!("load-earlier")}
                </button>
            </Show>
            // The log role sits on a wrapper: on the list itself it would hide the list
            // from assistive technology, and its rows would be items of no list.
            <div role="log" aria-live="polite" aria-label=leptos_fluent::move_tr!("messages")>
            <ol class="messages" data-testid="messages">
                <For
                    each=move || rows.get()
                    key=|row| (row.id, row.first, row.revision, row.quote)
                    children=move |row| {
                        let message = chat.read_untracked(|s| {
                            s.conversations.get(&conversation)?.by_seq(row.seq).cloned()
                        });
                        message.map(|m| {
                            let mine = Some(m.author.id) == me.get_untracked();
                            view! {
                                <MessageRow message=m first=row.first me=me.get_untracked()/>
                                {mine.then(|| view! { <ReadReceipt receipt=receipt seq=row.seq/> })}
                            }
                        })
                    }
                />
                <For
                    each=move || pending.get()
                    key=|p| (p.client_id.clone(), p.failed)
                    children=move |p| view! { <PendingRow pending=p/> }
                />
            </ol>
            </div>
        </div>
        <p class="typing" aria-live="polite" data-testid="typing">{typing}</p>
        <Show when=move || unseen.get()>
            <button class="new-messages-pill" on:click=move |_| scroll_to_bottom()>{leptos_fluent::move_tr!("new-messages")} " ↓"</button>
        </Show>
    }
}

/// "Seen 14:03" (a private conversation) or "Read by 3" (a room, with who on hover
/// and focus) under the message the receipt is for.
#[component]
fn ReadReceipt(receipt: Memo<Option<Receipt>>, seq: Seq) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    move || {
        receipt.get().filter(|r| r.seq == seq).map(|r| {
            let text = if r.direct {
                match r.seen_at_ms {
                    Some(at) => leptos_fluent::tr!(i18n, "receipt-seen-at", {
                        "time" => i18n::message_time(i18n, at),
                    }),
                    None => leptos_fluent::tr!(i18n, "receipt-seen"),
                }
            } else {
                leptos_fluent::tr!(i18n, "receipt-read-by", { "count" => r.count })
            };
            let who = r.readers.join(", ");
            let label = if who.is_empty() {
                text.clone()
            } else {
                format!("{text}: {who}")
            };
            view! {
                <li class="receipt" data-testid="receipt" title=who aria-label=label tabindex="0">
                    {text}
                </li>
            }
        })
    }
}

#[component]
fn PendingRow(pending: Pending) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let client_id = pending.client_id.clone();
    let retry = move |_| socket.retry(&client_id);
    let client_id = pending.client_id.clone();
    let discard = move |_| socket.discard(&client_id);
    let online = move || socket.status().get() == ConnectionStatus::Connected;
    let i18n = expect_context::<I18n>();
    view! {
        <li class="message mine pending" class:failed=pending.failed.is_some() data-testid="pending">
            <div class="bubble"><MessageText text=pending.text.clone()/></div>
            <div class="pending-status">
                {match pending.failed {
                    None => view! {
                        <span>{move || if online() { leptos_fluent::tr!(i18n, "sending") } else { leptos_fluent::tr!(i18n, "waiting-for-connection") }}</span>
                    }
                    .into_any(),
                    Some(code) => view! {
                        <span>{move || leptos_fluent::tr!(i18n, "not-sent", { "reason" => i18n::refusal(i18n, code) })}</span>
                        <button class="link-button" on:click=retry>{leptos_fluent::move_tr!("retry")}</button>
                        <button class="link-button" on:click=discard>{leptos_fluent::move_tr!("discard")}</button>
                    }
                    .into_any(),
                }}
            </div>
        </li>
    }
}

/// Scrolls message `seq` to the middle of the list, marks it for a moment and gives
/// it the keyboard focus (so a screen reader reads it).
fn show_message(list: NodeRef<html::Div>, seq: Seq) {
    #[cfg(feature = "hydrate")]
    {
        let Some(el) = list.get_untracked().and_then(|l| {
            l.query_selector(&format!("[data-seq=\"{seq}\"]"))
                .ok()
                .flatten()
        }) else {
            return;
        };
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        el.scroll_into_view_with_scroll_into_view_options(&options);
        let _ = el.set_attribute("tabindex", "-1");
        let _ = el.set_attribute("data-flash", "");
        if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el.clone()) {
            let _ = el.focus();
        }
        set_timeout(
            move || {
                let _ = el.remove_attribute("data-flash");
            },
            std::time::Duration::from_secs(2),
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (list, seq);
}
