//! On the login page: link this device to an account signed in on another one, with
//! the code shown there (typed, or carried by the link its QR code opens).

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket, state::Session},
    components::avatar::Avatar,
    i18n::{self, I18n},
    protocol::{normalize_link_code, ErrorCode, LINK_CODE_CHARS},
};

#[component]
pub fn LinkThisDevice() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let open = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    // The browser's own check of the code, before asking the server.
    let local_error = RwSignal::new(false);
    // A code from the address, sent as soon as a login can be.
    let from_link = RwSignal::new(false);

    let send = move || match normalize_link_code(&code.get_untracked()) {
        Some(typed) => {
            local_error.set(false);
            socket.link_redeem(typed);
        }
        None => local_error.set(true),
    };
    Effect::new(move |_| {
        if let Some(carried) = code_from_address() {
            code.set(carried);
            open.set(true);
            from_link.set(true);
        }
    });
    Effect::new(move |_| {
        if from_link.get() && socket.ready_for_login() {
            from_link.set(false);
            send();
        }
    });

    let waiting = move || chat.read(Part::Devices, |s| s.devices.wait.clone());
    let pending = move || chat.read(Part::Session, |s| s.session == Session::Pending);
    let error = move || {
        if local_error.get() {
            return Some(i18n::refusal(i18n, ErrorCode::LinkCodeInvalid));
        }
        chat.read(Part::Session, |s| s.login_error)
            .filter(|c| c.is_link())
            .map(|c| i18n::refusal(i18n, c))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };

    view! {
        <section class="link-this-device" aria-labelledby="link-this-device">
            <button
                type="button"
                class="link-button"
                id="link-this-device"
                data-testid="link-this-device"
                aria-expanded=move || open.get().to_string()
                aria-controls="link-form"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {leptos_fluent::move_tr!("link-this-device")}
            </button>
            <Show when=move || open.get()>
                <form id="link-form" class="link-form" on:submit=submit novalidate>
                    <label for="link-code">{leptos_fluent::move_tr!("link-code-label")}</label>
                    <p class="muted" id="link-code-hint">{leptos_fluent::move_tr!("link-code-hint")}</p>
                    <input
                        id="link-code"
                        name="link-code"
                        autocomplete="one-time-code"
                        autocapitalize="characters"
                        spellcheck="false"
                        maxlength=LINK_CODE_CHARS * 2
                        prop:value=move || code.get()
                        on:input=move |ev| {
                            code.set(event_target_value(&ev));
                            local_error.set(false);
                        }
                        aria-invalid=move || error().is_some().to_string()
                        aria-describedby="link-code-hint link-code-error"
                    />
                    <p id="link-code-error" class="field-error" role="alert">{error}</p>
                    <button class="button" type="submit" data-testid="link-submit" disabled=move || !socket.ready_for_login() || pending()>
                        {leptos_fluent::move_tr!("link-submit")}
                    </button>
                </form>
            </Show>
            {move || waiting().map(|w| view! {
                <p class="link-waiting" role="status" data-testid="link-waiting">
                    <Avatar id=w.avatar.clone()/>
                    {leptos_fluent::tr!(i18n, "link-waiting", { "name" => w.nickname.clone() })}
                </p>
            })}
        </section>
    }
}

/// The code of a link's address (`/#link=ABCD2345`).
fn code_from_address() -> Option<String> {
    crate::client::address::take_fragment(crate::protocol::LINK_FRAGMENT)
        .and_then(|carried| normalize_link_code(&carried))
}
