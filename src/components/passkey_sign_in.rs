//! On the login page: "Sign in with a passkey", offered only where passkeys work
//! (this browser has them, and the page is at the origin they are for); at another
//! address of the same server, a link to the one where they work.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, passkeys, socket::Socket, state::PasskeyProblem},
    components::passkeys_section::problem_text,
    i18n::{self, I18n},
};

#[component]
pub fn PasskeySignIn() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let origin = move || chat.read(Part::Devices, |s| s.passkeys.origin.clone());
    let usable =
        Memo::new(move |_| origin().is_some_and(|o| passkeys::at(&o)) && passkeys::supported());
    let elsewhere = move || origin().filter(|o| !passkeys::at(o) && passkeys::supported());
    let busy = move || chat.read(Part::Devices, |s| s.passkeys.busy);
    let error = move || {
        let refused = chat
            .read(Part::Session, |s| s.login_error)
            .filter(|c| c.is_passkey())
            .map(|c| i18n::refusal(i18n, c));
        refused.or_else(|| {
            chat.read(Part::Devices, |s| s.passkeys.problem)
                .filter(|p| !matches!(p, PasskeyProblem::Refused(_)))
                .map(|p| problem_text(i18n, p))
        })
    };
    view! {
        <Show when=move || usable.get()>
            <section class="passkey-sign-in">
                <button
                    type="button"
                    class="button secondary"
                    data-testid="passkey-sign-in"
                    disabled=move || busy() || !socket.ready_for_login()
                    on:click=move |_| socket.passkey_sign_in()
                >
                    {move || if busy() { leptos_fluent::tr!(i18n, "passkey-waiting") } else { leptos_fluent::tr!(i18n, "passkey-sign-in") }}
                </button>
                <p class="field-error" role="alert" data-testid="passkey-error">{error}</p>
            </section>
        </Show>
        {move || elsewhere().map(|origin| view! {
            <p class="muted passkeys-elsewhere" data-testid="passkeys-elsewhere">
                {leptos_fluent::move_tr!("passkeys-elsewhere")} " "
                <a href=origin.clone()>{origin.clone()}</a>
            </p>
        })}
    }
}
