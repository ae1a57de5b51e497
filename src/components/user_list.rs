//! The sidebar's people: the online count, those online and the peers of private
//! conversations (with unread badges); a filter, at most [`LIST_LIMIT`] shown,
//! scrolling on its own. Clicking someone opens a private conversation.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    components::{
        avatar::Avatar,
        list_filter::{ListFilter, LIST_LIMIT},
        unread_badge::UnreadBadge,
    },
    i18n::I18n,
    protocol::{ConversationId, UserInfo},
};

#[component]
pub fn UserList(
    current: Memo<Option<ConversationId>>,
    on_pick: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let filter = RwSignal::new(String::new());

    // Online users first, then offline people one has talked to: (user, conversation);
    // each row follows its own unread count.
    let people = Memo::new(move |_| {
        chat.track(Part::Rooms);
        let wanted = filter.get().trim().to_lowercase();
        chat.read(Part::People, |s| {
            let me = s.me().map(|m| m.id);
            let mut people: Vec<(UserInfo, Option<ConversationId>)> = s
                .users
                .values()
                .filter(|u| Some(u.id) != me && u.nickname.to_lowercase().contains(&wanted))
                .filter_map(|u| {
                    let direct = s.direct_with(u.id).map(|c| c.info.id);
                    (u.online || direct.is_some()).then(|| (u.clone(), direct))
                })
                .collect();
            // Those one talks with first, then who is online.
            people.sort_by_key(|(u, c)| (c.is_none(), !u.online, u.nickname.to_lowercase()));
            let more = people.len().saturating_sub(LIST_LIMIT);
            people.truncate(LIST_LIMIT);
            (people, more)
        })
    });
    let online_count = move || chat.read(Part::People, |s| s.online_count);
    let i18n = expect_context::<I18n>();

    view! {
        <nav class="user-list" aria-labelledby="people-heading">
            <h2 id="people-heading">
                {leptos_fluent::move_tr!("people")} " "
                <span class="online-count" data-testid="online-count">
                    {move || leptos_fluent::tr!(i18n, "online-count", { "count" => online_count() })}
                </span>
            </h2>
            <ListFilter value=filter list="people" label=leptos_fluent::move_tr!("filter-people") more=Signal::derive(move || people.with(|p| p.1))/>
            <ul class="scroll-list">
                <For
                    each=move || people.get().0
                    key=|p| p.clone()
                    children=move |(user, conversation)| {
                        let is_current = move || conversation.is_some() && current.get() == conversation;
                        view! {
                            <li class="person" class:offline=!user.online class:current=is_current>
                                <a
                                    href=format!("/chat/dm/{}", user.id)
                                    on:click=move |_| on_pick()
                                    title={
                                        let name = user.nickname.clone();
                                        move || leptos_fluent::tr!(i18n, "message-user", { "name" => name.clone() })
                                    }
                                    data-testid=format!("user-{}", user.nickname)
                                >
                                    <span class="presence-avatar">
                                        <Avatar id=user.avatar.clone()/>
                                        <span class="presence-dot" class:online=user.online aria-hidden="true"></span>
                                    </span>
                                    <span class="person-name">{user.nickname.clone()}</span>
                                    <span class="visually-hidden">
                                        {move || if user.online { leptos_fluent::tr!(i18n, "is-online") } else { leptos_fluent::tr!(i18n, "is-offline") }}
                                    </span>
                                    <UnreadBadge conversation=conversation/>
                                </a>
                            </li>
                        }
                    }
                />
            </ul>
        </nav>
    }
}
