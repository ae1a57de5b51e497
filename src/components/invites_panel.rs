//! A room's invite links, for its moderators: make one (how long it lasts, how many
//! may use it), copy and revoke the live ones; and for the owner, the switch that
//! makes the room private (unlisted, joined only with a link) or public.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    i18n::{self, I18n},
    protocol::{ClientMsg, ConversationId, InviteInfo, Role},
};

/// How long a new link lasts, in seconds (0: for ever); the first is the default.
const EXPIRIES: [u32; 5] = [86_400, 3_600, 7 * 86_400, 30 * 86_400, 0];

/// How many may use a new link (0: any number); the first is the default.
const USES: [u32; 4] = [1, 5, 25, 0];

fn expiry_label(seconds: u32) -> Signal<String> {
    match seconds {
        3_600 => leptos_fluent::move_tr!("expires-1-hour"),
        86_400 => leptos_fluent::move_tr!("expires-1-day"),
        604_800 => leptos_fluent::move_tr!("expires-7-days"),
        0 => leptos_fluent::move_tr!("expires-never"),
        _ => leptos_fluent::move_tr!("expires-30-days"),
    }
}

fn uses_label(uses: u32) -> Signal<String> {
    match uses {
        1 => leptos_fluent::move_tr!("uses-1"),
        5 => leptos_fluent::move_tr!("uses-5"),
        25 => leptos_fluent::move_tr!("uses-25"),
        _ => leptos_fluent::move_tr!("uses-unlimited"),
    }
}

#[component]
pub fn InvitesPanel(conversation: ConversationId, on_close: Callback<()>) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    chat.update(|s| s.open_invites(Some(conversation)));
    socket.send(ClientMsg::Invites { conversation });
    on_cleanup(move || {
        chat.update(|s| s.open_invites(None));
    });
    let invites = Memo::new(move |_| {
        chat.read(Part::Moderation, |s| {
            s.invite_view
                .as_ref()
                .filter(|v| v.conversation == conversation)
                .and_then(|v| v.invites.clone())
        })
    });
    let owns = Memo::new(move |_| {
        chat.read(Part::Conversation(conversation), |s| {
            s.my_role(conversation) >= Role::Owner
        })
    });
    let private = Memo::new(move |_| {
        chat.read(Part::Conversation(conversation), |s| {
            s.is_private(conversation)
        })
    });
    let expires = RwSignal::new(EXPIRIES[0]);
    let uses = RwSignal::new(USES[0]);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        socket.send(ClientMsg::CreateInvite {
            conversation,
            expires_in_s: expires.get_untracked(),
            max_uses: uses.get_untracked(),
        });
    };
    view! {
        <section class="panel invites-panel" aria-labelledby="invites-heading" data-testid="invites-panel">
            <div class="panel-header">
                <h2 id="invites-heading">{leptos_fluent::move_tr!("invite-links")}</h2>
                <button class="link-button" data-testid="close-invites" on:click=move |_| on_close.run(())>{leptos_fluent::move_tr!("close")}</button>
            </div>
            <Show when=move || owns.get()>
                <label class="switch">
                    <input
                        type="checkbox"
                        data-testid="private-switch"
                        prop:checked=move || private.get()
                        on:change=move |ev| {
                            let private = event_target_checked(&ev);
                            socket.send(ClientMsg::SetPrivate { conversation, private });
                        }
                    />
                    " " {leptos_fluent::move_tr!("room-private-switch")}
                </label>
            </Show>
            <form class="new-invite" on:submit=create>
                <label>
                    {leptos_fluent::move_tr!("invite-expires")} " "
                    <select data-testid="invite-expires" on:change=move |ev| {
                        expires.set(event_target_value(&ev).parse().unwrap_or(EXPIRIES[0]));
                    }>
                        {EXPIRIES.map(|s| view! { <option value=s.to_string()>{expiry_label(s)}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    {leptos_fluent::move_tr!("invite-uses")} " "
                    <select data-testid="invite-uses" on:change=move |ev| {
                        uses.set(event_target_value(&ev).parse().unwrap_or(USES[0]));
                    }>
                        {USES.map(|n| view! { <option value=n.to_string()>{uses_label(n)}</option> }).collect_view()}
                    </select>
                </label>
                <button class="button small" type="submit" data-testid="create-invite">
                    {leptos_fluent::move_tr!("create-invite")}
                </button>
            </form>
            {move || invites.get().map(|invites| if invites.is_empty() {
                view! { <p class="muted" data-testid="invites-empty">{leptos_fluent::move_tr!("invites-none")}</p> }.into_any()
            } else {
                view! {
                    <ul class="invites">
                        {invites.into_iter().map(|invite| view! { <Invite conversation=conversation invite=invite/> }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

/// The page's origin (`https://host`), which a link starts with.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// One live link: the address to copy, its uses and expiry, and revoking it.
#[component]
fn Invite(conversation: ConversationId, invite: InviteInfo) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let i18n = expect_context::<I18n>();
    let link = invite.link(&origin());
    let copied = RwSignal::new(false);
    let (uses, max, expires) = (invite.uses, invite.max_uses, invite.expires_at_ms);
    let used = move || match max {
        Some(max) => leptos_fluent::tr!(i18n, "invite-used", { "uses" => uses, "max" => max }),
        None => leptos_fluent::tr!(i18n, "invite-used-unlimited", { "uses" => uses }),
    };
    let until = move || match expires {
        Some(at) => {
            leptos_fluent::tr!(i18n, "invite-until", { "time" => i18n::message_date(i18n, at) })
        }
        None => leptos_fluent::tr!(i18n, "invite-forever"),
    };
    let to_copy = link.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&to_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
        copied.set(true);
    };
    let code = invite.code.clone();
    view! {
        <li class="invite" data-testid="invite">
            <label class="visually-hidden" for=format!("invite-{code}")>{leptos_fluent::move_tr!("invite-link")}</label>
            <input id=format!("invite-{code}") class="invite-link" data-testid="invite-link" readonly value=link/>
            <span class="muted" data-testid="invite-used">{used}</span>
            " · "
            <span class="muted">{until}</span>
            <button class="link-button" data-testid="copy-invite" on:click=copy>
                {move || if copied.get() { leptos_fluent::tr!(i18n, "copied") } else { leptos_fluent::tr!(i18n, "copy") }}
            </button>
            <button class="link-button" data-testid="revoke-invite" on:click=move |_| socket.send(ClientMsg::RevokeInvite { conversation, code: code.clone() })>
                {leptos_fluent::move_tr!("revoke")}
            </button>
        </li>
    }
}
