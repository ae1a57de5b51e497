//! In Settings: this person's devices (sessions), ending one or all others, and
//! adding a device with a one-time code and its QR code.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, socket::Socket},
    i18n::{self, I18n},
    protocol::{display_link_code, ClientMsg, Device, DeviceInfo},
};

/// "Firefox on Android", in the user's language.
pub fn device_label(i18n: I18n, info: &DeviceInfo) -> String {
    match (info.browser.as_str(), info.system.as_str()) {
        ("", _) => leptos_fluent::tr!(i18n, "device-unknown"),
        (browser, "") => browser.to_string(),
        (browser, system) => leptos_fluent::tr!(i18n, "device-on", {
            "browser" => browser.to_string(),
            "system" => system.to_string(),
        }),
    }
}

#[component]
pub fn DevicesSection() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let list = move || chat.read(Part::Devices, |s| s.devices.list.clone());
    let offered = move || chat.read(Part::Devices, |s| s.devices.offer.is_some());
    let others = move || list().is_some_and(|l| l.iter().any(|d| !d.current));
    // Asked each time Settings opens (the browser only; the server renders "loading").
    Effect::new(move |_| socket.send(ClientMsg::Devices));
    // A code nobody redeemed is withdrawn with its dialog.
    on_cleanup(move || {
        if chat.read_untracked(|s| s.devices.offer.is_some()) {
            socket.link_cancel();
        }
    });
    view! {
        <fieldset class="devices" data-testid="devices">
            <legend>{leptos_fluent::move_tr!("devices")}</legend>
            {move || match list() {
                None => view! { <p class="muted">{leptos_fluent::move_tr!("devices-loading")}</p> }.into_any(),
                Some(devices) => view! {
                    <ul class="device-list">
                        {devices.into_iter().map(|d| view! { <DeviceRow device=d/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <div class="device-actions">
                <button class="button" data-testid="add-device" disabled=offered on:click=move |_| socket.link_start()>
                    {leptos_fluent::move_tr!("device-add")}
                </button>
                <Show when=others>
                    <button class="link-button" data-testid="end-other-devices" on:click=move |_| socket.end_sessions(None)>
                        {leptos_fluent::move_tr!("devices-end-others")}
                    </button>
                </Show>
            </div>
            <LinkOfferView/>
        </fieldset>
    }
}

#[component]
fn DeviceRow(device: Device) -> impl IntoView {
    let socket = expect_context::<Socket>();
    let i18n = expect_context::<I18n>();
    let Device {
        id,
        info,
        last_seen_ms,
        current,
        active,
        ..
    } = device;
    let seen = move || {
        if active || current {
            leptos_fluent::tr!(i18n, "device-active")
        } else {
            leptos_fluent::tr!(i18n, "device-last-seen", {
                "time" => i18n::message_time(i18n, last_seen_ms),
            })
        }
    };
    view! {
        <li class="device" data-testid="device" data-current=current.to_string()>
            <span class="device-name">{move || device_label(i18n, &info)}</span>
            {current.then(|| view! { <span class="badge" data-testid="this-device">{leptos_fluent::move_tr!("device-this")}</span> })}
            <span class="muted device-seen">{seen}</span>
            {(!current).then(|| view! {
                <button class="link-button" data-testid="end-device" on:click=move |_| socket.end_sessions(Some(id.clone()))>
                    {leptos_fluent::move_tr!("device-end")}
                </button>
            })}
        </li>
    }
}

/// The code offered for a new device: to type, or as a QR code of its link.
#[component]
fn LinkOfferView() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let i18n = expect_context::<I18n>();
    move || {
        chat.read(Part::Devices, |s| s.devices.offer.clone()).map(|offer| {
            let expires = offer.expires_at_ms;
            view! {
                <div class="link-offer" role="group" aria-labelledby="link-offer-title" data-testid="link-offer">
                    <h3 id="link-offer-title">{leptos_fluent::move_tr!("link-offer-title")}</h3>
                    <p>{leptos_fluent::move_tr!("link-offer-steps")}</p>
                    <p class="link-code" data-testid="link-code" data-code=offer.code.clone()>{display_link_code(&offer.code)}</p>
                    {offer.qr.map(|qr| {
                        let size = qr.size;
                        view! {
                            <svg
                                class="qr"
                                data-testid="link-qr"
                                data-link=offer.link.clone().unwrap_or_default()
                                viewBox=format!("0 0 {size} {size}")
                                width="176"
                                height="176"
                                role="img"
                                aria-label=leptos_fluent::move_tr!("link-offer-qr")
                                shape-rendering="crispEdges"
                            >
                                <rect width=size height=size fill="#fff"/>
                                <path d=qr.path fill="#000"/>
                            </svg>
                        }
                    })}
                    <p class="muted">
                        {move || leptos_fluent::tr!(i18n, "link-offer-expires", {
                            "time" => i18n::message_time(i18n, expires),
                        })}
                    </p>
                    <button class="link-button" data-testid="close-link-offer" on:click=move |_| socket.link_cancel()>
                        {leptos_fluent::move_tr!("close")}
                    </button>
                </div>
            }
        })
    }
}
