#![recursion_limit = "256"]

//! Real-time chat: Leptos pages rendered on the server and hydrated in the browser,
//! talking to the server's WebSocket hub.

pub mod app;
pub mod client;
pub mod components;
pub mod i18n;
pub mod protocol;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM client: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
