//! One row of a conversation: a text (with its author, time, the message it
//! answers, its formatting, "edited", reactions and what one can do with it), or a
//! join/leave line.

use leptos::prelude::*;

use crate::{
    client::socket::Socket,
    client::state::{Change, Draft},
    components::{
        avatar::Avatar,
        composer::{focus_composer, Compose, ComposeMode},
        message_text::MessageText,
    },
    protocol::{ChatMessage, MessageBody, Quote, Reaction, UserId, REACTIONS},
};

#[component]
pub fn MessageRow(message: ChatMessage, first: bool, me: Option<UserId>) -> impl IntoView {
    let time = format_time(message.sent_at_ms);
    let mine = me == Some(message.author.id);
    match message.body.clone() {
        MessageBody::Joined | MessageBody::Left => {
            let verb = if message.body == MessageBody::Joined {
                "joined"
            } else {
                "left"
            };
            view! {
                <li class="system-line" data-testid="system-line">
                    {format!("{} {verb}", message.author.nickname)}
                    <time>{time}</time>
                </li>
            }
            .into_any()
        }
        MessageBody::Text { text } => {
            let mentioned = me.is_some_and(|me| message.mentions.contains(&me));
            // The actions are drawn only while wanted (hovered, or opened with ⋯): a
            // busy room keeps hundreds of rows, and each toolbar is a dozen nodes.
            let hovered = RwSignal::new(false);
            let pinned = RwSignal::new(false);
            view! {
                <li
                    on:mouseenter=move |_| hovered.set(true)
                    on:mouseleave=move |_| hovered.set(false)
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" && pinned.get_untracked() {
                            pinned.set(false);
                        }
                    }
                    class="message"
                    class:mine=mine
                    class:first=first
                    class:mentioned=mentioned
                    class:deleted=message.deleted
                    data-testid="message"
                    data-seq=message.seq
                >
                    {first.then(|| view! {
                        <div class="message-meta">
                            <Avatar id=message.author.avatar.clone()/>
                            <span class="author" data-testid="author">{message.author.nickname.clone()}</span>
                            <time>{time.clone()}</time>
                        </div>
                    })}
                    {message.reply_to.clone().map(|quote| view! { <QuoteButton message=message.clone() quote=*quote/> })}
                    <div class="bubble" title=time data-testid="message-text">
                        {if message.deleted {
                            view! { <p class="deleted-text">"message deleted"</p> }.into_any()
                        } else {
                            view! { <MessageText text=text.clone()/> }.into_any()
                        }}
                        {message.edited_at_ms.filter(|_| !message.deleted).map(|at| view! {
                            <span class="edited" title=format_time(at) data-testid="edited">"(edited)"</span>
                        })}
                    </div>
                    {(!message.reactions.is_empty()).then(|| view! {
                        <Reactions message=message.clone() me=me/>
                    })}
                    {(!message.deleted).then(|| {
                        let (message, text) = (message.clone(), text.clone());
                        view! {
                            <button
                                class="icon-button more"
                                data-testid="more"
                                aria-label="Message actions"
                                aria-expanded=move || pinned.get().to_string()
                                on:click=move |_| pinned.update(|p| *p = !*p)
                            >
                                "⋯"
                            </button>
                            <Show when=move || hovered.get() || pinned.get()>
                                <Actions message=message.clone() text=text.clone() mine=mine/>
                            </Show>
                        }
                    })}
                </li>
            }
            .into_any()
        }
        // Changes are applied to the messages they change, never listed.
        MessageBody::Edited { .. } | MessageBody::Deleted { .. } | MessageBody::Reacted { .. } => {
            ().into_any()
        }
    }
}

/// The message a reply answers; a click brings it into view (loading it if needed).
#[component]
fn QuoteButton(message: ChatMessage, quote: Quote) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let (conversation, seq) = (message.conversation, quote.seq);
    view! {
        <button
            class="quote"
            data-testid="quote"
            on:click=move |_| socket.jump_to(conversation, seq)
            aria-label=format!("In reply to {}: show that message", quote.nickname)
        >
            <b>{quote.nickname.clone()}</b>
            <span>{if quote.deleted { "message deleted".to_string() } else { quote.snippet.clone() }}</span>
        </button>
    }
}

/// The emoji on a message with their counts; who reacted shows on hover and focus,
/// and is read out; one's own reaction is pressed, and a click takes it back.
#[component]
fn Reactions(message: ChatMessage, me: Option<UserId>) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let (conversation, seq) = (message.conversation, message.seq);
    message
        .reactions
        .into_iter()
        .map(|Reaction { emoji, users }| {
            let names: Vec<&str> = users.iter().map(|u| u.nickname.as_str()).collect();
            let who = names.join(", ");
            let pressed = me.is_some_and(|me| users.iter().any(|u| u.id == me));
            let label = format!("{emoji} {}: {who}", users.len());
            let toggle = {
                let emoji = emoji.clone();
                move |_| {
                    let change = Change::React {
                        seq,
                        emoji: emoji.clone(),
                        on: !pressed,
                    };
                    socket.post(
                        conversation,
                        Draft {
                            change: Some(change),
                            ..Draft::default()
                        },
                    );
                }
            };
            view! {
                <button
                    class="reaction"
                    class:mine=pressed
                    aria-pressed=pressed.to_string()
                    aria-label=label
                    title=who
                    data-testid="reaction"
                    on:click=toggle
                >
                    <span aria-hidden="true">{emoji.clone()} " " {users.len()}</span>
                </button>
            }
        })
        .collect_view()
}

/// Reply, react, and for one's own message edit and delete (delete asks first).
#[component]
fn Actions(message: ChatMessage, text: String, mine: bool) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let mode = expect_context::<ComposeMode>().0;
    let picking = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let (conversation, seq) = (message.conversation, message.seq);
    let quote = message.quote();
    let reply = move |_| {
        if let Some(quote) = quote.clone() {
            mode.set(Compose::Reply(quote));
        }
        focus_composer();
    };
    let edit = move |_| {
        mode.set(Compose::Edit {
            seq,
            text: text.clone(),
        });
        focus_composer();
    };
    let delete = move |_| {
        confirming.set(false);
        let change = Change::Delete { seq };
        socket.post(
            conversation,
            Draft {
                change: Some(change),
                ..Draft::default()
            },
        );
    };
    let react = move |emoji: &'static str| {
        picking.set(false);
        let change = Change::React {
            seq,
            emoji: emoji.to_string(),
            on: true,
        };
        socket.post(
            conversation,
            Draft {
                change: Some(change),
                ..Draft::default()
            },
        );
    };
    view! {
        <div class="message-actions" role="group" aria-label="Message actions">
            <button class="icon-button" data-testid="reply" aria-label="Reply" title="Reply" on:click=reply>
                <span aria-hidden="true">"↩"</span>
            </button>
            <button
                class="icon-button"
                data-testid="react"
                aria-label="React"
                title="React"
                aria-expanded=move || picking.get().to_string()
                on:click=move |_| picking.update(|p| *p = !*p)
            >
                <span aria-hidden="true">"☺"</span>
            </button>
            {mine.then(|| view! {
                <button class="icon-button" data-testid="edit" aria-label="Edit" title="Edit" on:click=edit.clone()>
                    <span aria-hidden="true">"✎"</span>
                </button>
                <button
                    class="icon-button"
                    data-testid="delete"
                    aria-label="Delete"
                    title="Delete"
                    on:click=move |_| confirming.set(true)
                >
                    <span aria-hidden="true">"🗑"</span>
                </button>
            })}
        </div>
        <Show when=move || picking.get()>
            <div class="reaction-picker" role="group" aria-label="Pick a reaction" data-testid="reaction-picker">
                {REACTIONS
                    .iter()
                    .map(|emoji| view! {
                        <button class="icon-button" aria-label=format!("React with {emoji}") on:click=move |_| react(emoji)>
                            {*emoji}
                        </button>
                    })
                    .collect_view()}
            </div>
        </Show>
        <Show when=move || confirming.get()>
            <div class="confirm-delete" role="alertdialog" aria-label="Delete this message?" data-testid="confirm-delete">
                <span>"Delete this message for everyone?"</span>
                <button class="button danger" data-testid="confirm-delete-yes" on:click=delete>"Delete"</button>
                <button class="link-button" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
}

/// Local wall-clock time `HH:MM` of a Unix-ms timestamp.
pub fn format_time(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // The server renders no messages; UTC keeps this total anyway.
        let minutes = ms.div_euclid(60_000);
        format!(
            "{:02}:{:02}",
            minutes.div_euclid(60).rem_euclid(24),
            minutes.rem_euclid(60)
        )
    }
}
