//! The sidebar's people: the online count, everyone online, and the private
//! conversations (with unread badges). Clicking someone opens a private conversation.

use leptos::prelude::*;

use crate::{
    client::socket::Socket,
    components::avatar::Avatar,
    protocol::{ConversationId, UserInfo},
};

#[component]
pub fn UserList(
    current: Memo<Option<ConversationId>>,
    on_pick: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let state = socket.state();

    // Online users first, then offline people one has talked to: (user, unread, conversation).
    let people = Memo::new(move |_| {
        state.with(|s| {
            let me = s.me().map(|m| m.id);
            let mut people: Vec<(UserInfo, u64, Option<ConversationId>)> = s
                .users
                .values()
                .filter(|u| Some(u.id) != me)
                .filter_map(|u| {
                    let direct = s.direct_with(u.id);
                    (u.online || direct.is_some()).then(|| {
                        (
                            u.clone(),
                            direct.map_or(0, |c| c.unread()),
                            direct.map(|c| c.info.id),
                        )
                    })
                })
                .collect();
            people.sort_by_key(|(u, _, _)| (!u.online, u.nickname.to_lowercase()));
            people
        })
    });
    let online_count = move || state.with(|s| s.online_count);

    view! {
        <nav class="user-list" aria-labelledby="people-heading">
            <h2 id="people-heading">
                "People " <span class="online-count" data-testid="online-count">{online_count}" online"</span>
            </h2>
            <ul>
                <For
                    each=move || people.get()
                    key=|p| p.clone()
                    children=move |(user, unread, conversation)| {
                        let is_current = move || conversation.is_some() && current.get() == conversation;
                        view! {
                            <li class="person" class:offline=!user.online class:current=is_current>
                                <a
                                    href=format!("/chat/dm/{}", user.id)
                                    on:click=move |_| on_pick()
                                    title=format!("Message {}", user.nickname)
                                    data-testid=format!("user-{}", user.nickname)
                                >
                                    <span class="presence-avatar">
                                        <Avatar id=user.avatar.clone()/>
                                        <span class="presence-dot" class:online=user.online aria-hidden="true"></span>
                                    </span>
                                    <span class="person-name">{user.nickname.clone()}</span>
                                    <span class="visually-hidden">
                                        {if user.online { ", online" } else { ", offline" }}
                                    </span>
                                    {(unread > 0).then(|| view! {
                                        <span class="badge" aria-label=format!("{unread} unread")>{unread}</span>
                                    })}
                                </a>
                            </li>
                        }
                    }
                />
            </ul>
        </nav>
    }
}
