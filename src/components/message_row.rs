//! One row of a conversation: a text (with its author, time, the message it
//! answers, its formatting, "edited", reactions and what one can do with it), or a
//! join/leave line.

use leptos::prelude::*;

use crate::{
    client::socket::Socket,
    client::{
        chat::Part,
        state::{Change, Draft},
    },
    components::{
        avatar::Avatar,
        composer::{focus_composer, Compose, ComposeMode},
        message_text::MessageText,
        moderation_menu::ModerationMenu,
    },
    i18n::{self, I18n},
    protocol::{
        ChatMessage, ClientMsg, ConversationId, MessageBody, Quote, Reaction, Seq, UserId,
        REACTIONS,
    },
};

#[component]
pub fn MessageRow(message: ChatMessage, first: bool, me: Option<UserId>) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let sent_at = message.sent_at_ms;
    let time = move || i18n::message_time(i18n, sent_at);
    let date = move || i18n::message_date(i18n, sent_at);
    let mine = me == Some(message.author.id);
    match message.body.clone() {
        MessageBody::Joined | MessageBody::Left | MessageBody::Kicked | MessageBody::Banned => {
            let body = message.body.clone();
            let who = message.author.nickname.clone();
            let line = move || {
                let who = who.clone();
                match body {
                    MessageBody::Joined => {
                        leptos_fluent::tr!(i18n, "user-joined", { "name" => who })
                    }
                    MessageBody::Kicked => {
                        leptos_fluent::tr!(i18n, "user-kicked", { "name" => who })
                    }
                    MessageBody::Banned => {
                        leptos_fluent::tr!(i18n, "user-banned", { "name" => who })
                    }
                    _ => leptos_fluent::tr!(i18n, "user-left", { "name" => who }),
                }
            };
            view! {
                <li class="system-line" data-testid="system-line">
                    {line} " "
                    <time title=date>{time}</time>
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
                            <time title=date>{time}</time>
                        </div>
                    })}
                    {message.reply_to.clone().map(|quote| view! { <QuoteButton message=message.clone() quote=*quote/> })}
                    <div class="bubble" title=date data-testid="message-text">
                        {if message.removed {
                            view! { <p class="deleted-text" data-testid="removed">{leptos_fluent::move_tr!("message-removed")}</p> }.into_any()
                        } else if message.deleted {
                            view! { <p class="deleted-text">{leptos_fluent::move_tr!("message-deleted")}</p> }.into_any()
                        } else {
                            view! { <MessageText text=text.clone()/> }.into_any()
                        }}
                        {message.edited_at_ms.filter(|_| !message.deleted).map(|at| view! {
                            <span class="edited" title=move || i18n::message_date(i18n, at) data-testid="edited">{leptos_fluent::move_tr!("edited")}</span>
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
                                aria-label=leptos_fluent::move_tr!("message-actions")
                                aria-expanded=move || pinned.get().to_string()
                                on:click=move |_| pinned.update(|p| *p = !*p)
                            >
                                "⋯"
                            </button>
                            <Show when=move || hovered.get() || pinned.get()>
                                <Actions message=message.clone() text=text.clone() mine=mine pinned=pinned/>
                            </Show>
                        }
                    })}
                </li>
            }
            .into_any()
        }
        // Changes are applied to the messages they change, never listed.
        MessageBody::Edited { .. }
        | MessageBody::Deleted { .. }
        | MessageBody::Removed { .. }
        | MessageBody::Reacted { .. } => ().into_any(),
    }
}

/// The message a reply answers; a click brings it into view (loading it if needed).
/// Of someone the user blocks, neither who nor what is shown.
#[component]
fn QuoteButton(message: ChatMessage, quote: Quote) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let (conversation, seq) = (message.conversation, quote.seq);
    let author = quote.author;
    let blocked = Memo::new(move |_| chat.read(Part::People, |s| s.blocks(author)));
    let name = quote.nickname.clone();
    let snippet = quote.snippet.clone();
    let shown_name = move || {
        if blocked.get() {
            leptos_fluent::tr!(i18n, "someone-you-block")
        } else {
            name.clone()
        }
    };
    let label = {
        let shown_name = shown_name.clone();
        move || leptos_fluent::tr!(i18n, "show-quoted", { "name" => shown_name() })
    };
    view! {
        <button
            class="quote"
            data-testid="quote"
            on:click=move |_| socket.jump_to(conversation, seq)
            aria-label=label
        >
            <b>{shown_name}</b>
            <span>{move || if blocked.get() {
                leptos_fluent::tr!(i18n, "quote-of-blocked")
            } else if quote.deleted {
                leptos_fluent::tr!(i18n, "message-deleted")
            } else {
                snippet.clone()
            }}</span>
        </button>
    }
}

/// The emoji on a message with their counts; who reacted shows on hover and focus,
/// and is read out; one's own reaction is pressed, and a click takes it back. Those
/// the user blocks are not counted.
#[component]
fn Reactions(message: ChatMessage, me: Option<UserId>) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let (conversation, seq) = (message.conversation, message.seq);
    let blocked = Memo::new(move |_| chat.read(Part::People, |s| s.blocked.clone()));
    let reactions = message.reactions;
    move || {
        let blocked = blocked.get();
        reactions
            .clone()
            .into_iter()
            .filter_map(|Reaction { emoji, mut users }| {
                users.retain(|u| !blocked.contains_key(&u.id));
                (!users.is_empty()).then_some(Reaction { emoji, users })
            })
            .map(|Reaction { emoji, users }| {
                let names: Vec<&str> = users.iter().map(|u| u.nickname.as_str()).collect();
                let who = names.join(", ");
                let pressed = me.is_some_and(|me| users.iter().any(|u| u.id == me));
                let count = users.len();
                let label = {
                    let (emoji, who) = (emoji.clone(), who.clone());
                    move || {
                        leptos_fluent::tr!(i18n, "reaction-label", {
                            "emoji" => emoji.clone(),
                            "count" => count,
                            "names" => who.clone(),
                        })
                    }
                };
                let toggle = {
                    let emoji = emoji.clone();
                    move |_| {
                        let change = Change::React {
                            seq,
                            emoji: emoji.clone(),
                            on: !pressed,
                        };
                        socket.post(conversation, Draft::change(change));
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
}

/// Reply, react, and for one's own message edit and delete (delete asks first); for
/// someone else's, report it with a reason, or block its author (asks first); for a
/// moderator above its author, remove it and moderate the author.
#[component]
fn Actions(
    message: ChatMessage,
    text: String,
    mine: bool,
    pinned: RwSignal<bool>,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let mode = expect_context::<ComposeMode>().0;
    let picking = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let moderating = RwSignal::new(false);
    let blocking = RwSignal::new(false);
    let reporting = RwSignal::new(false);
    let (conversation, seq) = (message.conversation, message.seq);
    let author = message.author.clone();
    let may_moderate = Memo::new(move |_| {
        !mine
            && chat.read(Part::Conversation(conversation), |s| {
                s.may_moderate(conversation, author.id)
            })
    });
    let author = message.author.clone();
    let (author_id, author_name) = (author.id, author.nickname.clone());
    let block_confirm = leptos_fluent::move_tr!("block-confirm", { "name" => author_name.clone() });
    let block = move |_| {
        blocking.set(false);
        socket.send(ClientMsg::Block { user: author_id });
    };
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
        socket.post(conversation, Draft::change(change));
    };
    let react = move |emoji: &'static str| {
        picking.set(false);
        let change = Change::React {
            seq,
            emoji: emoji.to_string(),
            on: true,
        };
        socket.post(conversation, Draft::change(change));
    };
    view! {
        <div class="message-actions" role="group" aria-label=leptos_fluent::move_tr!("message-actions")>
            <button class="icon-button" data-testid="reply" aria-label=leptos_fluent::move_tr!("reply") title=leptos_fluent::move_tr!("reply") on:click=reply>
                <span aria-hidden="true">"↩"</span>
            </button>
            <button
                class="icon-button"
                data-testid="react"
                aria-label=leptos_fluent::move_tr!("react")
                title=leptos_fluent::move_tr!("react")
                aria-expanded=move || picking.get().to_string()
                on:click=move |_| picking.update(|p| *p = !*p)
            >
                <span aria-hidden="true">"☺"</span>
            </button>
            {mine.then(|| view! {
                <button class="icon-button" data-testid="edit" aria-label=leptos_fluent::move_tr!("edit") title=leptos_fluent::move_tr!("edit") on:click=edit.clone()>
                    <span aria-hidden="true">"✎"</span>
                </button>
                <button
                    class="icon-button"
                    data-testid="delete"
                    aria-label=leptos_fluent::move_tr!("delete")
                    title=leptos_fluent::move_tr!("delete")
                    on:click=move |_| confirming.set(true)
                >
                    <span aria-hidden="true">"🗑"</span>
                </button>
            })}
            {(!mine).then(|| view! {
                <button
                    class="icon-button"
                    data-testid="report-message"
                    aria-label=leptos_fluent::move_tr!("report")
                    title=leptos_fluent::move_tr!("report")
                    aria-expanded=move || reporting.get().to_string()
                    on:click=move |_| {
                        // Kept open while the reason is typed, wherever the pointer goes.
                        pinned.set(true);
                        reporting.update(|r| *r = !*r);
                    }
                >
                    <span aria-hidden="true">"⚐"</span>
                </button>
                <button
                    class="icon-button"
                    data-testid="block-author"
                    aria-label=leptos_fluent::move_tr!("block")
                    title=leptos_fluent::move_tr!("block")
                    on:click=move |_| {
                        pinned.set(true);
                        blocking.set(true);
                    }
                >
                    <span aria-hidden="true">"🚫"</span>
                </button>
            })}
            <Show when=move || may_moderate.get()>
                <button
                    class="icon-button"
                    data-testid="remove-message"
                    aria-label=leptos_fluent::move_tr!("remove-message")
                    title=leptos_fluent::move_tr!("remove-message")
                    on:click=move |_| confirming.set(true)
                >
                    <span aria-hidden="true">"🗑"</span>
                </button>
                <button
                    class="icon-button"
                    data-testid="moderate"
                    aria-label=leptos_fluent::move_tr!("moderate")
                    title=leptos_fluent::move_tr!("moderate")
                    aria-expanded=move || moderating.get().to_string()
                    on:click=move |_| moderating.update(|m| *m = !*m)
                >
                    <span aria-hidden="true">"⚑"</span>
                </button>
            </Show>
        </div>
        <Show when=move || moderating.get() && may_moderate.get()>
            <ModerationMenu conversation=conversation author=author.clone() on_done=Callback::new(move |_| moderating.set(false))/>
        </Show>
        <Show when=move || picking.get()>
            <div class="reaction-picker" role="group" aria-label=leptos_fluent::move_tr!("pick-reaction") data-testid="reaction-picker">
                {REACTIONS
                    .iter()
                    .map(|emoji| view! {
                        <button class="icon-button" aria-label=leptos_fluent::move_tr!("react-with", { "emoji" => *emoji }) on:click=move |_| react(emoji)>
                            {*emoji}
                        </button>
                    })
                    .collect_view()}
            </div>
        </Show>
        <Show when=move || reporting.get()>
            <ReportForm conversation=conversation seq=seq/>
        </Show>
        <Show when=move || blocking.get()>
            <div class="confirm-delete" role="alertdialog" aria-label=leptos_fluent::move_tr!("block") data-testid="confirm-block">
                <span>{block_confirm}</span>
                <button class="button danger" data-testid="confirm-block-yes" on:click=block>{leptos_fluent::move_tr!("block")}</button>
                <button class="link-button" on:click=move |_| blocking.set(false)>{leptos_fluent::move_tr!("cancel")}</button>
            </div>
        </Show>
        <Show when=move || confirming.get()>
            <div class="confirm-delete" role="alertdialog" aria-label=leptos_fluent::move_tr!("delete-title") data-testid="confirm-delete">
                <span>{leptos_fluent::move_tr!("delete-confirm")}</span>
                <button class="button danger" data-testid="confirm-delete-yes" on:click=delete>{leptos_fluent::move_tr!("delete")}</button>
                <button class="link-button" on:click=move |_| confirming.set(false)>{leptos_fluent::move_tr!("cancel")}</button>
            </div>
        </Show>
    }
}

/// Reporting a message to the room's moderators: an optional reason, then the server's
/// word that they were told.
#[component]
fn ReportForm(conversation: ConversationId, seq: Seq) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let reason = RwSignal::new(String::new());
    let done = move || chat.read(Part::Moderation, |s| s.was_reported(conversation, seq));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        socket.send(ClientMsg::Report {
            conversation,
            seq,
            reason: reason.get_untracked().trim().to_string(),
        });
    };
    let field = format!("report-reason-{}-{seq}", conversation.0);
    view! {
        {move || if done() {
            view! { <p class="report-form muted" role="status" data-testid="reported">{leptos_fluent::move_tr!("reported-thanks")}</p> }.into_any()
        } else {
            let field = field.clone();
            view! {
                <form class="report-form" data-testid="report-form" on:submit=submit>
                    <label for=field.clone()>{leptos_fluent::move_tr!("report-reason")}</label>
                    <textarea
                        id=field
                        data-testid="report-reason"
                        rows="2"
                        maxlength=crate::protocol::REPORT_REASON_MAX_CHARS.to_string()
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    ></textarea>
                    <button class="button small danger" type="submit" data-testid="report-send">{leptos_fluent::move_tr!("report-send")}</button>
                </form>
            }.into_any()
        }}
    }
}
