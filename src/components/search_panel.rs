//! Search: a query over the user's conversations (or the open one), the texts found
//! newest first, and a click opens one in its conversation, in context.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    client::{chat::Part, socket::Socket},
    i18n::{self, I18n},
    protocol::{normalize_query, ChatMessage, ConversationId, ErrorCode, MessageBody},
};

#[component]
pub fn SearchPanel(current: Memo<Option<ConversationId>>, on_close: Callback<()>) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let navigate = use_navigate();
    let query = RwSignal::new(String::new());
    let only_here = RwSignal::new(false);
    let error = RwSignal::new(None::<ErrorCode>);
    let i18n = expect_context::<I18n>();
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });

    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match normalize_query(&query.get_untracked()) {
            Err(e) => error.set(Some(e.code)),
            Ok(q) => {
                error.set(None);
                let within = only_here
                    .get_untracked()
                    .then(|| current.get_untracked())
                    .flatten();
                socket.search(q, within);
            }
        }
    };
    let state = Memo::new(move |_| chat.read(Part::Search, |s| s.search.clone()));
    let open = move |m: ChatMessage| {
        let path = chat.read_untracked(|s| {
            let c = s.conversations.get(&m.conversation)?;
            Some(match (c.room_name(), s.me()) {
                (Some(room), _) => format!("/chat/{room}"),
                (None, Some(me)) => format!("/chat/dm/{}", c.peer(me.id)?),
                (None, None) => return None,
            })
        });
        if let Some(path) = path {
            navigate(&path, Default::default());
            socket.jump_to(m.conversation, m.seq);
            on_close.run(());
        }
    };

    view! {
        <section class="panel search-panel" aria-labelledby="search-heading" data-testid="search-panel">
            <div class="panel-header">
                <h2 id="search-heading">{leptos_fluent::move_tr!("search-messages")}</h2>
                <button class="link-button" data-testid="close-search" on:click=move |_| on_close.run(())>{leptos_fluent::move_tr!("close")}</button>
            </div>
            <form role="search" class="search-form" on:submit=search>
                <label for="search-input" class="visually-hidden">{leptos_fluent::move_tr!("search-words")}</label>
                <input
                    id="search-input"
                    type="search"
                    node_ref=input
                    data-testid="search-input"
                    placeholder=leptos_fluent::move_tr!("search-words")
                    maxlength="100"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            on_close.run(());
                        }
                    }
                    aria-describedby="search-error"
                />
                <button class="button" type="submit">{leptos_fluent::move_tr!("search")}</button>
                <label class="search-scope">
                    <input type="checkbox" prop:checked=move || only_here.get() on:change=move |ev| only_here.set(event_target_checked(&ev))/>
                    " " {leptos_fluent::move_tr!("search-only-here")}
                </label>
                <p id="search-error" class="field-error" role="alert">{move || error.get().map(|code| i18n::refusal(i18n, code))}</p>
            </form>
            <div class="search-results" role="status" aria-live="polite">
                {move || match state.get() {
                    None => None,
                    Some((_, None)) => Some(view! { <p class="muted">{leptos_fluent::move_tr!("searching")}</p> }.into_any()),
                    Some((q, Some(found))) if found.is_empty() => {
                        Some(view! { <p class="muted" data-testid="no-results">{leptos_fluent::tr!(i18n, "search-nothing", { "query" => q })}</p> }.into_any())
                    }
                    Some((_, Some(found))) => Some(view! {
                        <ol class="result-list" data-testid="search-results">
                            {found
                                .into_iter()
                                .map(|m| {
                                    let place = chat
                                        .read_untracked(|s| s.title(m.conversation))
                                        .unwrap_or_else(|| leptos_fluent::tr!(i18n, "private-conversation"));
                                    let text = match &m.body {
                                        MessageBody::Text { text } => text.clone(),
                                        _ => String::new(),
                                    };
                                    let time = i18n::message_time(i18n, m.sent_at_ms);
                                    let author = m.author.nickname.clone();
                                    let open = open.clone();
                                    view! {
                                        <li>
                                            <button class="result" data-testid="search-result" on:click=move |_| open(m.clone())>
                                                <span class="result-meta">
                                                    <span class="result-place">{place}</span>
                                                    <b>{author}</b>
                                                    <time>{time}</time>
                                                </span>
                                                <span class="result-text">{text}</span>
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }.into_any()),
                }}
            </div>
        </section>
    }
}
