//! An avatar picture from the shipped gallery.

use leptos::prelude::*;

use crate::protocol::avatar_url;

#[component]
pub fn Avatar(
    #[prop(into)] id: Signal<String>,
    #[prop(default = "avatar")] class: &'static str,
) -> impl IntoView {
    // Decorative: the nickname beside it says who it is.
    view! { <img class=class src=move || avatar_url(&id.get()) alt="" width="40" height="40"/> }
}
