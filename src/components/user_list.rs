//! The sidebar's people: the online count, everyone online, and the private
//! conversations (with unread badges). Clicking someone opens a private conversation.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    components::{avatar::Avatar, unread_badge::UnreadBadge},
    protocol::{ConversationId, UserInfo},
};

#[component]
pub fn UserList(
    current: Memo<Option<ConversationId>>,
    on_pick: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();

    // Online users first, then offline people one has talked to: (user, conversation);
    // each row follows its own unread count.
    let people = Memo::new(move |_| {
        chat.track(Part::Rooms);
        chat.read(Part::People, |s| {
            let me = s.me().map(|m| m.id);
            let mut people: Vec<(UserInfo, Option<ConversationId>)> = s
                .users
                .values()
                .filter(|u| Some(u.id) != me)
                .filter_map(|u| {
                    let direct = s.direct_with(u.id).map(|c| c.info.id);
                    (u.online || direct.is_some()).then(|| (u.clone(), direct))
                })
                .collect();
            people.sort_by_key(|(u, _)| (!u.online, u.nickname.to_lowercase()));
            people
        })
    });
    let online_count = move || chat.read(Part::People, |s| s.online_count);

    view! {
        <nav class="user-list" aria-labelledby="people-heading">
            <h2 id="people-heading">
                "People " <span class="online-count" data-testid="online-count">{online_count}" online"</span>
            </h2>
            <ul>
                <For
                    each=move || people.get()
                    key=|p| p.clone()
                    children=move |(user, conversation)| {
                        let unread = move || {
                            conversation.map_or(0, |id| {
                                chat.read(Part::Conversation(id), |s| {
                                    s.conversations.get(&id).map_or(0, |c| c.unread())
                                })
                            })
                        };
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
                                    <UnreadBadge count=Signal::derive(unread)/>
                                </a>
                            </li>
                        }
                    }
                />
            </ul>
        </nav>
    }
}
