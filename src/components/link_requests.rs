//! A device that redeemed this session's code asks to sign in as this person: allow
//! it or refuse it, wherever in the chat the person is.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    components::devices_section::device_label,
    i18n::I18n,
};

#[component]
pub fn LinkRequests() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    let requests = move || chat.read(Part::Devices, |s| s.devices.requests.clone());
    move || {
        requests()
            .into_iter()
            .map(|(link, device)| {
                let id = format!("link-request-{}", link.0);
                let labelled_by = id.clone();
                view! {
                    <div class="link-request" role="alertdialog" aria-labelledby=labelled_by data-testid="link-request">
                        <p id=id>
                            {move || leptos_fluent::tr!(i18n, "link-request", { "device" => device_label(i18n, &device) })}
                        </p>
                        <button class="button" data-testid="link-allow" on:click=move |_| socket.link_confirm(link, true)>
                            {leptos_fluent::move_tr!("link-allow")}
                        </button>
                        <button class="link-button" data-testid="link-refuse" on:click=move |_| socket.link_confirm(link, false)>
                            {leptos_fluent::move_tr!("link-refuse")}
                        </button>
                    </div>
                }
            })
            .collect_view()
    }
}
