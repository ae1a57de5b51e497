//! What the browser remembers between visits (localStorage): the session token and
//! the last nickname and avatar. On the server every read is empty and writes do nothing.

const TOKEN: &str = "chat.session";
const NICKNAME: &str = "chat.nickname";
const AVATAR: &str = "chat.avatar";

pub fn load_token() -> Option<String> {
    get(TOKEN)
}

pub fn save_token(token: &str) {
    set(TOKEN, token);
}

pub fn clear_token() {
    remove(TOKEN);
}

/// The nickname and avatar last used to log in on this browser.
pub fn last_login() -> (Option<String>, Option<String>) {
    (get(NICKNAME), get(AVATAR))
}

pub fn remember_login(nickname: &str, avatar: &str) {
    set(NICKNAME, nickname);
    set(AVATAR, avatar);
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    // Storage can be disabled (privacy settings); the app then simply forgets.
    leptos::prelude::window().local_storage().ok().flatten()
}

#[cfg(feature = "hydrate")]
fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

#[cfg(feature = "hydrate")]
fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

#[cfg(feature = "hydrate")]
fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

#[cfg(not(feature = "hydrate"))]
fn get(_: &str) -> Option<String> {
    None
}

#[cfg(not(feature = "hydrate"))]
fn set(_: &str, _: &str) {}

#[cfg(not(feature = "hydrate"))]
fn remove(_: &str) {}
