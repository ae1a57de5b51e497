//! In Settings: the people the user blocks, each with "Unblock". Someone is blocked
//! from their name (a message's actions); nothing of theirs reaches the user then.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    components::avatar::Avatar,
    protocol::ClientMsg,
};

#[component]
pub fn BlockedSection() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let people = move || chat.read(Part::People, |s| s.blocked_people());
    view! {
        <fieldset class="blocked" data-testid="blocked-people">
            <legend>{leptos_fluent::move_tr!("blocked-people")}</legend>
            {move || {
                let people = people();
                if people.is_empty() {
                    return view! { <p class="muted">{leptos_fluent::move_tr!("blocked-none")}</p> }.into_any();
                }
                view! {
                    <ul class="blocked-list">
                        {people.into_iter().map(|user| {
                            let id = user.id;
                            let name = user.nickname.clone();
                            view! {
                                <li class="blocked-person" data-testid="blocked-person">
                                    <Avatar id=user.avatar.clone()/>
                                    <span class="person-name">{user.nickname.clone()}</span>
                                    <button
                                        type="button"
                                        class="link-button"
                                        data-testid="unblock"
                                        aria-label=leptos_fluent::move_tr!("unblock-user", { "name" => name.clone() })
                                        on:click=move |_| socket.send(ClientMsg::Unblock { user: id })
                                    >
                                        {leptos_fluent::move_tr!("unblock")}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </fieldset>
    }
}
