//! Settings: the language and notifications of mentions (of this browser; the
//! browser's permission is asked only when they are turned on here), read receipts,
//! the people the user blocks, and devices.

use leptos::prelude::*;

use crate::{
    client::{chat::Part, notify, socket::Socket},
    components::{
        blocked_section::BlockedSection, devices_section::DevicesSection,
        language_picker::LanguagePicker, passkeys_section::PasskeysSection,
    },
};

/// "Share when I have read messages": others see how far this user has read (and the
/// user sees theirs); off, neither (the user's own devices still agree).
#[component]
fn ReceiptsSetting() -> impl IntoView {
    let socket = expect_context::<Socket>();
    let chat = socket.chat();
    let on = move || chat.read(Part::Session, |s| !s.receipts_off);
    view! {
        <fieldset>
            <legend>{leptos_fluent::move_tr!("receipts")}</legend>
            <label class="switch">
                <input
                    type="checkbox"
                    data-testid="receipts-switch"
                    prop:checked=on
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        socket.send(crate::protocol::ClientMsg::ShareReceipts { on });
                    }
                />
                " " {leptos_fluent::move_tr!("receipts-share")}
            </label>
        </fieldset>
    }
}

#[component]
pub fn SettingsPanel(on_close: Callback<()>) -> impl IntoView {
    let notifications = RwSignal::new(false);
    let supported = RwSignal::new(false);
    let refused = RwSignal::new(false);
    // Read in the browser only (the server renders them off).
    Effect::new(move |_| {
        supported.set(notify::supported());
        notifications.set(notify::enabled());
    });
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        notify::switch(on, move |now_on| {
            notifications.set(now_on);
            refused.set(on && !now_on);
        });
    };
    view! {
        <section class="panel settings-panel" aria-labelledby="settings-heading" data-testid="settings-panel">
            <div class="panel-header">
                <h2 id="settings-heading">{leptos_fluent::move_tr!("settings")}</h2>
                <button class="link-button" data-testid="close-settings" on:click=move |_| on_close.run(())>{leptos_fluent::move_tr!("close")}</button>
            </div>
            <fieldset>
                <legend>{leptos_fluent::move_tr!("language")}</legend>
                <LanguagePicker/>
            </fieldset>
            <fieldset>
                <legend>{leptos_fluent::move_tr!("notifications")}</legend>
                <label class="switch">
                    <input
                        type="checkbox"
                        data-testid="notify-switch"
                        prop:checked=move || notifications.get()
                        disabled=move || !supported.get()
                        on:change=toggle
                    />
                    " " {leptos_fluent::move_tr!("notify-mentions")}
                </label>
                <Show when=move || refused.get()>
                    <p class="field-error" role="alert">
                        {leptos_fluent::move_tr!("notify-refused")}
                    </p>
                </Show>
                <Show when=move || !supported.get()>
                    <p class="muted">{leptos_fluent::move_tr!("notify-unsupported")}</p>
                </Show>
            </fieldset>
            <ReceiptsSetting/>
            <BlockedSection/>
            <DevicesSection/>
            <PasskeysSection/>
        </section>
    }
}
