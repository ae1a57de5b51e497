//! The sidebar's rooms: those the user is in (with unread badges) first, then the
//! others to join; a filter, at most [`LIST_LIMIT`] shown, scrolling on its own; and
//! a field to join or create one by name.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    client::{chat::Part, socket::Socket},
    components::{
        list_filter::{ListFilter, LIST_LIMIT},
        unread_badge::UnreadBadge,
    },
    i18n::{self, I18n},
    protocol::{
        invite_code_in, validate_room_name, ClientMsg, ConversationId, ErrorCode, GENERAL_ROOM,
    },
};

#[component]
pub fn RoomList(
    current: Memo<Option<ConversationId>>,
    on_pick: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let new_room = RwSignal::new(String::new());
    let filter = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ErrorCode>);
    let i18n = expect_context::<I18n>();
    let navigate = use_navigate();

    // (id, name, members, joined, private) of those the filter lets through, the user's own
    // first, and how many more there are; each row follows its own unread count.
    let rooms = Memo::new(move |_| {
        let wanted = filter.get().trim().to_lowercase();
        chat.read(Part::Rooms, |s| {
            let mut rooms: Vec<_> = s
                .rooms
                .values()
                .filter(|r| r.name.contains(&wanted))
                .map(|r| {
                    let joined = s.conversations.contains_key(&r.id);
                    (r.id, r.name.clone(), r.member_count, joined, r.private)
                })
                .collect();
            rooms.sort_by(|a, b| (!a.3, &a.1).cmp(&(!b.3, &b.1)));
            let more = rooms.len().saturating_sub(LIST_LIMIT);
            rooms.truncate(LIST_LIMIT);
            (rooms, more)
        })
    });

    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // An invite link (or its code) pasted here joins its room.
        if let Some(code) = invite_code_in(&new_room.get_untracked()) {
            error.set(None);
            new_room.set(String::new());
            socket.send(ClientMsg::JoinInvite { code });
            return;
        }
        let name = new_room.get_untracked().trim().to_lowercase();
        match validate_room_name(&name) {
            Err(e) => error.set(Some(e.code)),
            Ok(()) => {
                error.set(None);
                new_room.set(String::new());
                socket.send(ClientMsg::JoinRoom { name: name.clone() });
                navigate(&format!("/chat/{name}"), Default::default());
                on_pick();
            }
        }
    };

    view! {
        <nav class="room-list" aria-labelledby="rooms-heading">
            <h2 id="rooms-heading">{leptos_fluent::move_tr!("rooms")}</h2>
            <ListFilter value=filter list="rooms" label=leptos_fluent::move_tr!("filter-rooms") more=Signal::derive(move || rooms.with(|r| r.1))/>
            <ul class="scroll-list">
                <For
                    each=move || rooms.get().0
                    key=|room| room.clone()
                    children=move |(id, name, members, joined, private)| {
                        let href = format!("/chat/{name}");
                        let leave_name = name.clone();
                        view! {
                            <li class="room" class:joined=joined class:current=move || current.get() == Some(id)>
                                <a
                                    href=href
                                    on:click=move |_| on_pick()
                                    aria-current=move || (current.get() == Some(id)).then_some("page")
                                    data-testid=format!("room-{name}")
                                >
                                    <span class="room-name">"# " {name.clone()}</span>
                                    {private.then(|| view! {
                                        <span class="room-private" title=leptos_fluent::move_tr!("private-room") data-testid="room-private">
                                            <span aria-hidden="true">"🔒"</span>
                                            <span class="visually-hidden">{leptos_fluent::move_tr!("private-room")}</span>
                                        </span>
                                    })}
                                    <span class="room-members" title=leptos_fluent::move_tr!("members")>{members}</span>
                                    <UnreadBadge conversation=Some(id)/>
                                </a>
                                {(joined && leave_name != GENERAL_ROOM).then(|| {
                                    let leave = move || leptos_fluent::tr!(i18n, "leave-room", { "room" => leave_name.clone() });
                                    view! {
                                    <button
                                        class="icon-button"
                                        title=leave.clone()
                                        aria-label=leave
                                        on:click=move |_| socket.send(ClientMsg::LeaveRoom { conversation: id })
                                    >
                                        "×"
                                    </button>
                                    }
                                })}
                            </li>
                        }
                    }
                />
            </ul>
            <form class="new-room" on:submit=join>
                <label for="new-room" class="visually-hidden">{leptos_fluent::move_tr!("new-room")}</label>
                <input
                    id="new-room"
                    placeholder=leptos_fluent::move_tr!("new-room")
                    maxlength="256"
                    prop:value=move || new_room.get()
                    on:input=move |ev| {
                        new_room.set(event_target_value(&ev));
                        error.set(None);
                    }
                    aria-describedby="new-room-error"
                />
                <button class="button small" type="submit">{leptos_fluent::move_tr!("go")}</button>
                <p id="new-room-error" class="field-error" role="alert">{move || error.get().map(|code| i18n::refusal(i18n, code))}</p>
            </form>
        </nav>
    }
}
