//! The unread count beside a room or a person, when there is one, and beside it
//! how many of those mention the user (`@2`).

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    i18n::I18n,
    protocol::ConversationId,
};

#[component]
pub fn UnreadBadge(conversation: Option<ConversationId>) -> impl IntoView {
    let chat = expect_context::<Socket>().chat();
    let i18n = expect_context::<I18n>();
    let counts = move || {
        let id = conversation?;
        chat.read(Part::Conversation(id), |s| {
            s.conversations.get(&id).map(|c| (c.unread(), c.mentions()))
        })
    };
    move || {
        let (unread, mentions) = counts().unwrap_or_default();
        let unread = (unread > 0).then(|| {
            let label = leptos_fluent::tr!(i18n, "unread-count", { "count" => unread });
            view! { <span class="badge" aria-label=label>{unread}</span> }
        });
        let mentions = (mentions > 0).then(|| {
            let label = leptos_fluent::tr!(i18n, "mention-count", { "count" => mentions });
            view! {
                <span class="badge mention-badge" aria-label=label data-testid="mention-badge">
                    "@" {mentions}
                </span>
            }
        });
        (unread, mentions)
    }
}
