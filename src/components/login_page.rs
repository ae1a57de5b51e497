//! The login page (`/`): a nickname and an avatar; the last ones are remembered.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    client::{chat::Part, socket::Socket, state::Session, storage},
    components::{
        connection_status::ConnectionBanner, language_picker::LanguagePicker,
        link_this_device::LinkThisDevice, passkey_sign_in::PasskeySignIn,
    },
    i18n::{self, I18n},
    protocol::{
        avatar_url, normalize_nickname, validate_avatar, ErrorCode, AVATARS, NICKNAME_MAX_CHARS,
    },
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let nickname = RwSignal::new(String::new());
    let avatar = RwSignal::new(AVATARS[0].to_string());
    // The browser's own check of the nickname, before asking the server.
    let local_error = RwSignal::new(None::<ErrorCode>);
    let i18n = expect_context::<I18n>();

    // Remembered choices (browser storage exists only after hydration).
    Effect::new(move |_| {
        let (last_nickname, last_avatar) = storage::last_login();
        if let Some(n) = last_nickname {
            nickname.set(n);
        }
        if let Some(a) = last_avatar.filter(|a| validate_avatar(a).is_ok()) {
            avatar.set(a);
        }
    });

    // Logged in (now or by a stored session): on to the chat.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(
            chat.read(Part::Session, |s| s.session.clone()),
            Session::Ready(_)
        ) {
            navigate("/chat", Default::default());
        }
    });

    let connected = move || socket.ready_for_login();
    let pending = move || chat.read(Part::Session, |s| s.session == Session::Pending);
    let login_error = move || chat.read(Part::Session, |s| s.login_error);
    let nickname_error = move || {
        local_error
            .get()
            .or_else(|| {
                login_error()
                    .filter(|c| *c != ErrorCode::InvalidAvatar && !c.is_link() && !c.is_passkey())
            })
            .map(|code| i18n::refusal(i18n, code))
    };
    let avatar_error = move || {
        login_error()
            .filter(|c| *c == ErrorCode::InvalidAvatar)
            .map(|code| i18n::refusal(i18n, code))
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match normalize_nickname(&nickname.get_untracked()) {
            Err(e) => local_error.set(Some(e.code)),
            Ok(name) => {
                local_error.set(None);
                let chosen = avatar.get_untracked();
                storage::remember_login(&name, &chosen);
                socket.login(name, chosen);
            }
        }
    };

    view! {
        <main class="login">
            <form class="login-card" on:submit=submit novalidate>
                <div class="login-top">
                    <h1>{leptos_fluent::move_tr!("app-name")}</h1>
                    <LanguagePicker/>
                </div>
                <p class="tagline">{leptos_fluent::move_tr!("login-tagline")}</p>
                <Show when=move || chat.read(Part::Session, |s| s.pending_invite.is_some())>
                    <p class="invite-pending" role="status" data-testid="invite-pending">{leptos_fluent::move_tr!("invite-pending")}</p>
                </Show>
                <label for="nickname">{leptos_fluent::move_tr!("login-nickname")}</label>
                <input
                    id="nickname"
                    name="nickname"
                    autocomplete="nickname"
                    maxlength=NICKNAME_MAX_CHARS * 2
                    required
                    autofocus
                    prop:value=move || nickname.get()
                    on:input=move |ev| {
                        nickname.set(event_target_value(&ev));
                        local_error.set(None);
                    }
                    aria-invalid=move || nickname_error().is_some().to_string()
                    aria-describedby="nickname-error"
                />
                <p id="nickname-error" class="field-error" role="alert">
                    {nickname_error}
                </p>
                <fieldset class="avatar-gallery">
                    <legend>{leptos_fluent::move_tr!("login-avatar")}</legend>
                    {AVATARS
                        .iter()
                        .map(|id| {
                            let id = id.to_string();
                            let value = id.clone();
                            let checked = {
                                let id = id.clone();
                                move || avatar.get() == id
                            };
                            let name = {
                                let id = id.clone();
                                move || i18n::avatar_name(i18n, &id)
                            };
                            let value_for_alt = id.clone();
                            view! {
                                <label class="avatar-choice" title=name data-avatar=id.clone()>
                                    <input
                                        type="radio"
                                        name="avatar"
                                        value=id.clone()
                                        prop:checked=checked
                                        on:change=move |_| avatar.set(value.clone())
                                    />
                                    <img src=avatar_url(&id) alt=move || i18n::avatar_name(i18n, &value_for_alt) width="56" height="56"/>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <p class="field-error" role="alert">{avatar_error}</p>
                <button class="button" type="submit" disabled=move || !connected() || pending()>
                    {move || if pending() { leptos_fluent::tr!(i18n, "login-joining") } else { leptos_fluent::tr!(i18n, "login-join") }}
                </button>
                <ConnectionBanner quiet=true/>
            </form>
            <PasskeySignIn/>
            <LinkThisDevice/>
        </main>
    }
}
