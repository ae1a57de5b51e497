//! What the browser remembers between visits (localStorage): the session token, the
//! saved chat (for a reload while offline, and the cursors to resume from), the outbox
//! of unacknowledged messages, and the last nickname and avatar. On the server every
//! read is empty and writes do nothing.
//!
//! Each outbox entry has a key of its own, so tabs of one session add and remove
//! theirs without overwriting each other's.

use super::state::{Pending, Saved};
use crate::protocol::{ClientMsgId, UserId};

const TOKEN: &str = "chat.session";
const SAVED: &str = "chat.saved";
const OUTBOX: &str = "chat.outbox.";
const NICKNAME: &str = "chat.nickname";
const AVATAR: &str = "chat.avatar";

/// A switch kept in the browser (a setting of this user's browser, not of the session).
pub fn flag(key: &str) -> bool {
    get(key).as_deref() == Some("on")
}

pub fn set_flag(key: &str, on: bool) {
    set(key, if on { "on" } else { "off" });
}

pub fn load_token() -> Option<String> {
    get(TOKEN)
}

pub fn save_token(token: &str) {
    set(TOKEN, token);
}

/// Forgets the session: its token, the saved chat and the outbox.
pub fn clear_session() {
    remove(TOKEN);
    remove(SAVED);
    for key in keys().into_iter().filter(|k| k.starts_with(OUTBOX)) {
        remove(&key);
    }
}

pub fn load_saved() -> Option<Saved> {
    serde_json::from_str(&get(SAVED)?).ok()
}

pub fn save_saved(saved: &Saved) {
    if let Ok(json) = serde_json::to_string(saved) {
        set(SAVED, &json);
    }
}

fn outbox_key(user: UserId, client_id: &ClientMsgId) -> String {
    format!("{OUTBOX}{user}.{}", client_id.0)
}

/// The stored outbox entries of this user, in no particular order.
pub fn load_outbox(user: UserId) -> Vec<Pending> {
    let prefix = format!("{OUTBOX}{user}.");
    keys()
        .into_iter()
        .filter(|k| k.starts_with(&prefix))
        .filter_map(|k| serde_json::from_str(&get(&k)?).ok())
        .collect()
}

pub fn keep_pending(user: UserId, pending: &Pending) {
    if let Ok(json) = serde_json::to_string(pending) {
        set(&outbox_key(user, &pending.client_id), &json);
    }
}

pub fn drop_pending(user: UserId, client_id: &ClientMsgId) {
    remove(&outbox_key(user, client_id));
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
        // A full storage (quota) only costs what could not be kept.
        let _ = s.set_item(key, value);
    }
}

#[cfg(feature = "hydrate")]
fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

#[cfg(feature = "hydrate")]
fn keys() -> Vec<String> {
    let Some(s) = storage() else {
        return Vec::new();
    };
    let n = s.length().unwrap_or(0);
    (0..n).filter_map(|i| s.key(i).ok().flatten()).collect()
}

#[cfg(not(feature = "hydrate"))]
fn get(_: &str) -> Option<String> {
    None
}

#[cfg(not(feature = "hydrate"))]
fn set(_: &str, _: &str) {}

#[cfg(not(feature = "hydrate"))]
fn remove(_: &str) {}

#[cfg(not(feature = "hydrate"))]
fn keys() -> Vec<String> {
    Vec::new()
}
