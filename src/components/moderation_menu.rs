//! What a moderator can do to the author of a message, from the message's actions:
//! time them out, kick, ban (perhaps with their recent texts), and for the room's owner
//! (or an admin) give or take a moderator's role, or hand the room over; for an instance
//! admin, ban them from the server. Shown only to
//! those whose role allows it on that person; the server checks again.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    protocol::{Author, ClientMsg, ConversationId, Role, GENERAL_ROOM},
};

/// Durations a timeout is picked from, in seconds.
const TIMEOUTS: [u32; 4] = [300, 3600, 86_400, 604_800];

/// How far back a ban removes the banned user's texts, in seconds (0: none).
const BAN_REMOVES: [u32; 3] = [0, 3600, 86_400];

/// `on_done` runs after an action is asked for (the menu closes).
#[component]
pub fn ModerationMenu(
    conversation: ConversationId,
    author: Author,
    on_done: Callback<()>,
) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let user = author.id;
    let roles = Memo::new(move |_| {
        chat.read(Part::Conversation(conversation), |s| {
            let target = s
                .conversations
                .get(&conversation)
                .map(|c| c.info.staff.role_of(user))
                .unwrap_or_default();
            let general = s
                .conversations
                .get(&conversation)
                .and_then(|c| c.room_name())
                == Some(GENERAL_ROOM);
            (s.my_role(conversation), target, general)
        })
    });
    let timeout_for = RwSignal::new(TIMEOUTS[0]);
    let ban_removes = RwSignal::new(BAN_REMOVES[0]);
    let send = move |msg: ClientMsg| {
        socket.send(msg);
        on_done.run(());
    };
    let timeout = move |_| {
        send(ClientMsg::Timeout {
            conversation,
            user,
            seconds: timeout_for.get_untracked(),
        })
    };
    let kick = move |_| send(ClientMsg::Kick { conversation, user });
    let ban = move |_| {
        send(ClientMsg::Ban {
            conversation,
            user,
            remove_last_s: ban_removes.get_untracked(),
        })
    };
    let set_role = move |role: Role| {
        send(ClientMsg::SetRole {
            conversation,
            user,
            role,
        })
    };
    let picked = |signal: RwSignal<u32>| {
        move |ev: leptos::ev::Event| {
            if let Ok(value) = event_target_value(&ev).parse() {
                signal.set(value);
            }
        }
    };
    let label = leptos_fluent::move_tr!("moderate-user", { "name" => author.nickname.clone() });
    view! {
        <div class="moderation-menu" role="group" aria-label=label data-testid="moderation-menu">
            <div class="moderation-row">
                <label>
                    <span class="visually-hidden">{leptos_fluent::move_tr!("timeout-for")}</span>
                    <select data-testid="timeout-for" on:change=picked(timeout_for)>
                        {TIMEOUTS.map(|s| view! { <option value=s.to_string()>{duration_label(s)}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="button" data-testid="timeout" on:click=timeout>
                    {leptos_fluent::move_tr!("time-out")}
                </button>
            </div>
            {move || (!roles.get().2).then(|| view! {
                <div class="moderation-row">
                    <button type="button" class="button" data-testid="kick" on:click=kick>
                        {leptos_fluent::move_tr!("kick")}
                    </button>
                </div>
                <div class="moderation-row">
                    <label>
                        <span class="visually-hidden">{leptos_fluent::move_tr!("ban-removes")}</span>
                        <select data-testid="ban-removes" on:change=picked(ban_removes)>
                            {BAN_REMOVES.map(|s| view! { <option value=s.to_string()>{ban_label(s)}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="button danger" data-testid="ban" on:click=ban>
                        {leptos_fluent::move_tr!("ban")}
                    </button>
                </div>
            })}
            {move || {
                let (mine, target, general) = roles.get();
                (mine > Role::Moderator).then(|| view! {
                    <div class="moderation-row">
                        {if target == Role::Moderator {
                            view! {
                                <button type="button" class="link-button" data-testid="remove-moderator" on:click=move |_| set_role(Role::Member)>
                                    {leptos_fluent::move_tr!("remove-moderator")}
                                </button>
                            }.into_any()
                        } else {
                            view! {
                                <button type="button" class="link-button" data-testid="make-moderator" on:click=move |_| set_role(Role::Moderator)>
                                    {leptos_fluent::move_tr!("make-moderator")}
                                </button>
                            }.into_any()
                        }}
                        {(!general).then(|| view! {
                            <button type="button" class="link-button" data-testid="make-owner" on:click=move |_| set_role(Role::Owner)>
                                {leptos_fluent::move_tr!("make-owner")}
                            </button>
                        })}
                        {(mine == Role::Admin).then(|| view! {
                            <button type="button" class="button danger" data-testid="ban-from-server" on:click=move |_| send(ClientMsg::BanFromServer { user })>
                                {leptos_fluent::move_tr!("ban-from-server")}
                            </button>
                        })}
                    </div>
                })
            }}
        </div>
    }
}

/// A timeout's length, in words.
fn duration_label(seconds: u32) -> Signal<String> {
    match seconds {
        300 => leptos_fluent::move_tr!("for-5-minutes"),
        3600 => leptos_fluent::move_tr!("for-1-hour"),
        86_400 => leptos_fluent::move_tr!("for-1-day"),
        _ => leptos_fluent::move_tr!("for-1-week"),
    }
}

/// What a ban removes, in words.
fn ban_label(seconds: u32) -> Signal<String> {
    match seconds {
        0 => leptos_fluent::move_tr!("ban-keep-messages"),
        3600 => leptos_fluent::move_tr!("ban-remove-hour"),
        _ => leptos_fluent::move_tr!("ban-remove-day"),
    }
}
