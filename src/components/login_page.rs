//! The login page (`/`): a nickname and an avatar; the last ones are remembered.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    client::{chat::Part, socket::Socket, state::Session, storage},
    components::connection_status::ConnectionBanner,
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
    let local_error = RwSignal::new(None::<String>);

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
    let nickname_error = move || {
        local_error.get().or_else(|| {
            chat.read(Part::Session, |s| match &s.login_error {
                Some((ErrorCode::InvalidNickname | ErrorCode::NicknameTaken, message)) => {
                    Some(message.clone())
                }
                _ => None,
            })
        })
    };
    let avatar_error = move || {
        chat.read(Part::Session, |s| match &s.login_error {
            Some((ErrorCode::InvalidAvatar, message)) => Some(message.clone()),
            _ => None,
        })
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match normalize_nickname(&nickname.get_untracked()) {
            Err(e) => local_error.set(Some(e.message)),
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
                <h1>"Chat"</h1>
                <p class="tagline">"Pick a nickname and an avatar to join the conversation."</p>
                <label for="nickname">"Nickname"</label>
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
                    <legend>"Avatar"</legend>
                    {AVATARS
                        .iter()
                        .map(|id| {
                            let id = id.to_string();
                            let value = id.clone();
                            let checked = {
                                let id = id.clone();
                                move || avatar.get() == id
                            };
                            view! {
                                <label class="avatar-choice" title=id.clone()>
                                    <input
                                        type="radio"
                                        name="avatar"
                                        value=id.clone()
                                        prop:checked=checked
                                        on:change=move |_| avatar.set(value.clone())
                                    />
                                    <img src=avatar_url(&id) alt=id.clone() width="56" height="56"/>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <p class="field-error" role="alert">{avatar_error}</p>
                <button class="button" type="submit" disabled=move || !connected() || pending()>
                    {move || if pending() { "Joining…" } else { "Join the chat" }}
                </button>
                <ConnectionBanner quiet=true/>
            </form>
        </main>
    }
}
