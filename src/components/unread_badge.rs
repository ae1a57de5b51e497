//! The unread count beside a room or a person, when there is one.

use leptos::prelude::*;

#[component]
pub fn UnreadBadge(count: Signal<u64>) -> impl IntoView {
    move || {
        let n = count.get();
        (n > 0).then(|| view! { <span class="badge" aria-label=format!("{n} unread")>{n}</span> })
    }
}
