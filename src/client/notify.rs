//! Browser notifications of mentions, while the tab is hidden. Off until the user
//! turns them on in the settings: the browser's permission is asked then (never on
//! page load), and the switch is kept in browser storage, so turning it off here
//! silences this site without a trip to the browser's settings.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// Browser storage key of the switch.
#[cfg(feature = "hydrate")]
const SWITCH: &str = "chat.notify";

/// Whether the switch is on and the browser allows notifications.
pub fn enabled() -> bool {
    #[cfg(feature = "hydrate")]
    {
        switched_on() && permission() == Some(web_sys::NotificationPermission::Granted)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Whether this browser can show notifications at all.
pub fn supported() -> bool {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Turns notifications on (asking the browser's permission if it was not given or
/// refused yet) or off; `done` gets whether they are on afterwards.
pub fn switch(on: bool, done: impl FnOnce(bool) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::{Notification, NotificationPermission};
        if !on || !supported() {
            super::storage::set_flag(SWITCH, false);
            done(false);
            return;
        }
        if permission() == Some(NotificationPermission::Granted) {
            super::storage::set_flag(SWITCH, true);
            done(true);
            return;
        }
        let Ok(asked) = Notification::request_permission() else {
            done(false);
            return;
        };
        leptos::task::spawn_local(async move {
            let granted = wasm_bindgen_futures::JsFuture::from(asked)
                .await
                .ok()
                .and_then(|answer| answer.as_string())
                .is_some_and(|answer| answer == "granted");
            super::storage::set_flag(SWITCH, granted);
            done(granted);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = on;
        done(false);
    }
}

/// Someone mentioned the user: shown if the tab is hidden and notifications are on.
pub fn mentioned(title: &str, body: &str) {
    #[cfg(feature = "hydrate")]
    {
        if !document().hidden() || !enabled() {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag("chat-mention");
        if let Err(e) = web_sys::Notification::new_with_options(title, &options) {
            leptos::logging::warn!("notification not shown: {e:?}");
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (title, body);
}

#[cfg(feature = "hydrate")]
fn switched_on() -> bool {
    super::storage::flag(SWITCH)
}

#[cfg(feature = "hydrate")]
fn permission() -> Option<web_sys::NotificationPermission> {
    supported().then(web_sys::Notification::permission)
}
