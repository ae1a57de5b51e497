//! What a link carries in the page's address after `#` (`/#link=CODE`,
//! `/#invite=CODE`): read once and taken off the address, so that a reload or a
//! shared screenshot does not show it. A fragment never reaches the server's logs.

/// The value after `#{key}` in the address, if it has one; the address loses it.
pub fn take_fragment(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::window;
        let location = window().location();
        let hash = location.hash().ok()?;
        let value = hash.strip_prefix('#')?.strip_prefix(key)?.to_string();
        let path = location.pathname().ok();
        if let Ok(history) = window().history() {
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", path.as_deref());
        }
        Some(value)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}
