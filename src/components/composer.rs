//! The composer: Enter sends (Shift+Enter is a newline; on a touch screen, whose
//! keyboard has no Shift, Enter is a newline and the button sends), a counter near
//! the limit, typing signals (at most one every few seconds), `@` completion of
//! members, and the reply or edit under way.

use leptos::{html, prelude::*};

use crate::{
    client::{
        chat::Part,
        mentions,
        socket::{now_ms, ConnectionStatus, Socket},
        state::{Change, Draft},
    },
    i18n::{self, I18n},
    protocol::{ClientMsg, ConversationId, Quote, Seq, UserInfo, TEXT_MAX_CHARS},
};

/// Typing signals are repeated no more often than this while typing goes on.
const TYPING_EVERY_MS: f64 = 3_000.0;
/// The counter shows from this many characters left.
const COUNTER_FROM: usize = 200;
/// Suggestions shown for an `@` at most.
const SUGGESTIONS: usize = 6;

/// What the composer is doing besides writing a new text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Compose {
    #[default]
    New,
    Reply(Quote),
    Edit {
        seq: Seq,
        text: String,
    },
}

/// The composer's mode for the open conversation, shared with the message rows
/// (their Reply and Edit buttons set it).
#[derive(Debug, Clone, Copy)]
pub struct ComposeMode(pub RwSignal<Compose>);

/// Puts the keyboard focus in the composer (after Reply or Edit).
pub fn focus_composer() {
    #[cfg(feature = "hydrate")]
    if let Some(el) = document().get_element_by_id("composer-input") {
        use wasm_bindgen::JsCast;
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

/// Whether the device's main pointer is a finger (its keyboard has no Shift).
fn touch_screen() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .match_media("(pointer: coarse)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches())
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

#[component]
pub fn Composer(conversation: ConversationId) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let mode = expect_context::<ComposeMode>().0;
    let text = RwSignal::new(String::new());
    let input = NodeRef::<html::Textarea>::new();
    let last_typing = StoredValue::new(0.0f64);
    // The `@` being completed: where it starts, what is typed, which suggestion is picked.
    let completing = RwSignal::new(None::<(usize, String)>);
    let picked = RwSignal::new(0usize);
    let length = move || text.with(|t| t.trim().chars().count());
    let left = move || TEXT_MAX_CHARS as i64 - length() as i64;
    let can_send = move || length() > 0 && left() >= 0;

    // An edit starts from the message's text.
    Effect::new(move |_| {
        if let Compose::Edit { text: original, .. } = mode.get() {
            text.set(original);
        }
    });

    // A room's members, for `@` completion: asked once it is open and connected (join
    // and leave lines keep the list current).
    let status = socket.status();
    Effect::new(move |_| {
        if status.get() == ConnectionStatus::Connected {
            if let Some(msg) = chat.update(|s| s.members_request(conversation)).flatten() {
                socket.send(msg);
            }
        }
    });
    let candidates = move || chat.read_untracked(|s| s.mention_candidates(conversation));
    let suggestions = Memo::new(move |_| {
        completing.with(|c| {
            c.as_ref().map_or_else(Vec::new, |(_, typed)| {
                mentions::matching(&candidates(), typed, SUGGESTIONS)
                    .into_iter()
                    .cloned()
                    .collect::<Vec<UserInfo>>()
            })
        })
    });

    let send = move || {
        if !can_send() {
            return;
        }
        let body = text.get_untracked().trim().to_string();
        let named = mentions::mentioned(&body, &candidates());
        let draft = match mode.get_untracked() {
            Compose::New => Draft {
                mentions: named,
                ..Draft::text(body)
            },
            Compose::Reply(quote) => Draft {
                reply_to: Some(quote.seq),
                mentions: named,
                ..Draft::text(body)
            },
            Compose::Edit { seq, .. } => Draft {
                mentions: named,
                change: Some(Change::Edit { seq }),
                ..Draft::text(body)
            },
        };
        socket.post(conversation, draft);
        text.set(String::new());
        mode.set(Compose::New);
        completing.set(None);
        last_typing.set_value(0.0);
    };

    let caret = move || {
        input
            .get_untracked()
            .and_then(|el| el.selection_start().ok().flatten())
            .map(|c| c as usize)
    };
    let update_completion = move || {
        let current = text.get_untracked();
        let found = caret().and_then(|utf16| {
            let at = mentions::byte_offset(&current, utf16);
            mentions::query_at(&current, at).map(|(start, typed)| (start, typed.to_string()))
        });
        if found != completing.get_untracked() {
            picked.set(0);
            completing.set(found);
        }
    };
    let complete_with = move |user: UserInfo| {
        let Some((start, _)) = completing.get_untracked() else {
            return;
        };
        let current = text.get_untracked();
        let end = caret().map_or(current.len(), |c| mentions::byte_offset(&current, c));
        let (completed, at) = mentions::complete(&current, start, end.max(start), &user.nickname);
        text.set(completed.clone());
        completing.set(None);
        if let Some(el) = input.get_untracked() {
            el.set_value(&completed);
            let caret = mentions::utf16_offset(&completed, at) as u32;
            let _ = el.set_selection_range(caret, caret);
            let _ = el.focus();
        }
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let shown = suggestions.with(Vec::len);
        if shown > 0 {
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    picked.update(|p| *p = (*p + 1) % shown);
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    picked.update(|p| *p = (*p + shown - 1) % shown);
                    return;
                }
                "Enter" | "Tab" => {
                    ev.prevent_default();
                    let user = suggestions.with(|s| s.get(picked.get_untracked()).cloned());
                    if let Some(user) = user {
                        complete_with(user);
                    }
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    completing.set(None);
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Escape" && mode.get_untracked() != Compose::New {
            ev.prevent_default();
            if matches!(mode.get_untracked(), Compose::Edit { .. }) {
                text.set(String::new());
            }
            mode.set(Compose::New);
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && !touch_screen() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev| {
        text.set(event_target_value(&ev));
        update_completion();
        let now = now_ms();
        if now - last_typing.get_value() > TYPING_EVERY_MS && length() > 0 {
            last_typing.set_value(now);
            socket.send(ClientMsg::Typing { conversation });
        }
    };
    let cancel = move |_| {
        if matches!(mode.get_untracked(), Compose::Edit { .. }) {
            text.set(String::new());
        }
        mode.set(Compose::New);
        focus_composer();
    };
    let i18n = expect_context::<I18n>();
    // The room's slow mode, if it holds the user (moderators are not held).
    let slow = Memo::new(move |_| {
        chat.read(Part::Conversation(conversation), |s| {
            s.slow_mode_for_me(conversation)
        })
    });
    // After hydration: the server cannot know the pointer.
    let touch = RwSignal::new(false);
    Effect::new(move |_| touch.set(touch_screen()));
    let placeholder = move || {
        let to = chat.read(Part::Rooms, |s| {
            match s
                .conversations
                .get(&conversation)
                .and_then(|c| c.room_name())
            {
                Some(room) => Some(format!("#{room}")),
                None => s.title(conversation),
            }
        });
        match to {
            Some(to) => leptos_fluent::tr!(i18n, "composer-placeholder", { "to" => to }),
            None => leptos_fluent::tr!(i18n, "private-conversation"),
        }
    };
    let option_id = |i: usize| format!("mention-option-{i}");

    view! {
        <form class="composer" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            {move || match mode.get() {
                Compose::New => None,
                Compose::Reply(quote) => Some(view! {
                    <div class="compose-mode" data-testid="replying-to">
                        <span>{leptos_fluent::move_tr!("replying-to")} " " <b>{quote.nickname.clone()}</b> ": " {quote.snippet.clone()}</span>
                        <button type="button" class="link-button" on:click=cancel>{leptos_fluent::move_tr!("cancel")}</button>
                    </div>
                }.into_any()),
                Compose::Edit { .. } => Some(view! {
                    <div class="compose-mode" data-testid="editing">
                        <span>{leptos_fluent::move_tr!("editing")}</span>
                        <button type="button" class="link-button" on:click=cancel>{leptos_fluent::move_tr!("cancel")}</button>
                    </div>
                }.into_any()),
            }}
            <Show when=move || !suggestions.with(Vec::is_empty)>
                <ul class="mention-suggestions" id="mention-suggestions" role="listbox" aria-label=leptos_fluent::move_tr!("mention-people") data-testid="mention-suggestions">
                    <For
                        each=move || suggestions.get().into_iter().enumerate()
                        key=|(i, u)| (*i, u.id)
                        children=move |(i, user)| {
                            let chosen = user.clone();
                            view! {
                                <li
                                    role="option"
                                    id=option_id(i)
                                    aria-selected=move || (picked.get() == i).to_string()
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        complete_with(chosen.clone());
                                    }
                                >
                                    {format!("@{}", user.nickname)}
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
            <label for="composer-input" class="visually-hidden">{leptos_fluent::move_tr!("composer-label")}</label>
            <textarea
                id="composer-input"
                node_ref=input
                data-testid="composer"
                rows="1"
                placeholder=placeholder
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:click=move |_| update_completion()
                on:blur=move |_| completing.set(None)
                role="combobox"
                aria-autocomplete="list"
                aria-expanded=move || (!suggestions.with(Vec::is_empty)).to_string()
                aria-controls="mention-suggestions"
                aria-activedescendant=move || {
                    (!suggestions.with(Vec::is_empty)).then(|| option_id(picked.get()))
                }
                aria-describedby=move || if slow.get().is_some() { "composer-slow composer-hint composer-counter" } else { "composer-hint composer-counter" }
            ></textarea>
            {move || slow.get().map(|seconds| view! {
                <p id="composer-slow" class="slow-mode-on" data-testid="slow-mode-on">
                    {move || leptos_fluent::tr!(i18n, "slow-mode-on", { "span" => i18n::seconds_span(i18n, seconds) })}
                </p>
            })}
            <span id="composer-hint" class="composer-hint">
                {move || if touch.get() { leptos_fluent::tr!(i18n, "composer-hint-touch") } else { leptos_fluent::tr!(i18n, "composer-hint") }}
            </span>
            <span
                id="composer-counter"
                class="counter"
                class:over=move || left() < 0
                aria-live="polite"
            >
                {move || (left() <= COUNTER_FROM as i64).then(|| leptos_fluent::tr!(i18n, "characters-left", { "count" => left() }))}
            </span>
            <button class="button send" type="submit" data-testid="send" disabled=move || !can_send()>
                {move || if matches!(mode.get(), Compose::Edit { .. }) { leptos_fluent::tr!(i18n, "save") } else { leptos_fluent::tr!(i18n, "send") }}
            </button>
        </form>
    }
}
