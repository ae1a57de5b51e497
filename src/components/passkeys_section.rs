//! In Settings: this person's passkeys (named, removable) and adding one. Shown where
//! passkeys work; elsewhere, nothing (the login page says where they do).

use leptos::prelude::*;

use crate::{
    client::{chat::Part, passkeys, socket::Socket, state::PasskeyProblem},
    i18n::{self, I18n},
    protocol::{PasskeyInfo, PASSKEY_NAME_MAX},
};

/// Why a ceremony did not finish, in the user's language.
pub fn problem_text(i18n: I18n, problem: PasskeyProblem) -> String {
    match problem {
        PasskeyProblem::Cancelled => leptos_fluent::tr!(i18n, "passkey-cancelled"),
        PasskeyProblem::AlreadyHere => leptos_fluent::tr!(i18n, "passkey-already-here"),
        PasskeyProblem::Unsupported => leptos_fluent::tr!(i18n, "passkey-unsupported"),
        PasskeyProblem::Refused(code) => i18n::refusal(i18n, code),
    }
}

#[component]
pub fn PasskeysSection() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    // A memo: the list is asked for when this turns true, not at every change of devices.
    let usable = Memo::new(move |_| {
        chat.read(Part::Devices, |s| s.passkeys.origin.clone())
            .is_some_and(|o| passkeys::at(&o))
            && passkeys::supported()
    });
    let list = move || chat.read(Part::Devices, |s| s.passkeys.list.clone());
    let busy = move || chat.read(Part::Devices, |s| s.passkeys.busy);
    let added = move || chat.read(Part::Devices, |s| s.passkeys.added);
    let problem = move || {
        chat.read(Part::Devices, |s| s.passkeys.problem)
            .map(|p| problem_text(i18n, p))
    };
    let name = RwSignal::new(String::new());
    // Asked each time Settings opens where passkeys work.
    Effect::new(move |_| {
        if usable.get() {
            socket.passkeys(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        socket.passkey_add(name.get_untracked());
        name.set(String::new());
    };
    view! {
        <Show when=move || usable.get()>
            <fieldset class="passkeys" data-testid="passkeys">
                <legend>{leptos_fluent::move_tr!("passkeys")}</legend>
                <p class="muted">{leptos_fluent::move_tr!("passkeys-about")}</p>
                {move || match list() {
                    None => view! { <p class="muted">{leptos_fluent::move_tr!("passkeys-loading")}</p> }.into_any(),
                    Some(keys) if keys.is_empty() => view! { <p class="muted">{leptos_fluent::move_tr!("passkeys-none")}</p> }.into_any(),
                    Some(keys) => view! {
                        <ul class="device-list">
                            {keys.into_iter().map(|k| view! { <PasskeyRow passkey=k/> }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
                <form class="passkey-add" on:submit=submit>
                    <label for="passkey-name">{leptos_fluent::move_tr!("passkey-name-label")}</label>
                    <input
                        id="passkey-name"
                        name="passkey-name"
                        data-testid="passkey-name"
                        autocomplete="off"
                        maxlength=PASSKEY_NAME_MAX
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <button class="button" type="submit" data-testid="add-passkey" disabled=busy>
                        {move || if busy() { leptos_fluent::tr!(i18n, "passkey-waiting") } else { leptos_fluent::tr!(i18n, "passkey-add") }}
                    </button>
                </form>
                <p class="field-error" role="alert" data-testid="passkey-problem">{problem}</p>
                <Show when=added>
                    <p class="muted" role="status" data-testid="passkey-added">{leptos_fluent::move_tr!("passkey-added")}</p>
                </Show>
            </fieldset>
        </Show>
    }
}

#[component]
fn PasskeyRow(passkey: PasskeyInfo) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let i18n = expect_context::<I18n>();
    let PasskeyInfo {
        id,
        name,
        created_at_ms,
        last_used_ms,
    } = passkey;
    let when = move || {
        let created = leptos_fluent::tr!(i18n, "passkey-created", {
            "time" => i18n::message_time(i18n, created_at_ms),
        });
        let used = match last_used_ms {
            Some(at) => leptos_fluent::tr!(i18n, "passkey-last-used", {
                "time" => i18n::message_time(i18n, at),
            }),
            None => leptos_fluent::tr!(i18n, "passkey-never-used"),
        };
        format!("{created} · {used}")
    };
    view! {
        <li class="device" data-testid="passkey">
            <span class="device-name">{name}</span>
            <span class="muted device-seen">{when}</span>
            <button class="link-button" data-testid="remove-passkey" on:click=move |_| socket.passkeys(Some(id))>
                {leptos_fluent::move_tr!("passkey-remove")}
            </button>
        </li>
    }
}
