//! Settings of this browser: notifications of mentions (the browser's permission is
//! asked only when they are turned on here).

use leptos::prelude::*;

use crate::client::notify;

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
                <h2 id="settings-heading">"Settings"</h2>
                <button class="link-button" data-testid="close-settings" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
            <fieldset>
                <legend>"Notifications"</legend>
                <label class="switch">
                    <input
                        type="checkbox"
                        data-testid="notify-switch"
                        prop:checked=move || notifications.get()
                        disabled=move || !supported.get()
                        on:change=toggle
                    />
                    " Notify me when someone mentions me while this tab is in the background"
                </label>
                <Show when=move || refused.get()>
                    <p class="field-error" role="alert">
                        "The browser did not allow notifications for this site. Allow them in the browser's site settings, then try again."
                    </p>
                </Show>
                <Show when=move || !supported.get()>
                    <p class="muted">"This browser cannot show notifications."</p>
                </Show>
            </fieldset>
        </section>
    }
}
