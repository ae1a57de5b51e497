//! The browser's half of a passkey ceremony: the server's options go to
//! `PublicKeyCredential.parse…OptionsFromJSON` and `navigator.credentials`, and the
//! credential comes back as its `toJSON()`, so no WebAuthn code is in the WASM. One
//! API for both builds; only the browser calls are gated.

use super::state::{PasskeyCall, PasskeyProblem};
use crate::protocol::ClientMsg;

/// Whether this browser can make and use passkeys (with their JSON helpers), in a
/// secure context. False on the server, which renders the page without them.
pub fn supported() -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::supported()
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Whether this page is at `origin`, the one passkeys work at.
pub fn at(origin: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::at_origin(origin)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = origin;
        false
    }
}

/// Asks the browser for a ceremony's credential; the request that answers it.
pub async fn run(call: PasskeyCall) -> Result<ClientMsg, PasskeyProblem> {
    #[cfg(feature = "hydrate")]
    {
        browser::run(call).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = call;
        Err(PasskeyProblem::Unsupported)
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Function, Object, Promise, Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{ClientMsg, PasskeyCall, PasskeyProblem};

    fn get(target: &JsValue, key: &str) -> Option<JsValue> {
        Reflect::get(target, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    fn function(target: &JsValue, key: &str) -> Option<Function> {
        get(target, key)?.dyn_into::<Function>().ok()
    }

    fn credential_class() -> Option<JsValue> {
        get(&js_sys::global(), "PublicKeyCredential")
    }

    pub fn supported() -> bool {
        let secure = get(&js_sys::global(), "isSecureContext").is_some_and(|v| v.is_truthy());
        secure
            && credential_class().is_some_and(|class| {
                function(&class, "parseCreationOptionsFromJSON").is_some()
                    && function(&class, "parseRequestOptionsFromJSON").is_some()
            })
    }

    pub fn at_origin(origin: &str) -> bool {
        leptos::prelude::window()
            .location()
            .origin()
            .ok()
            .as_deref()
            == Some(origin)
    }

    /// What a rejected browser call means to the user.
    fn problem(error: JsValue) -> PasskeyProblem {
        let name = get(&error, "name").and_then(|n| n.as_string());
        leptos::logging::log!("passkey: {:?}", name);
        match name.as_deref() {
            Some("NotAllowedError" | "AbortError") => PasskeyProblem::Cancelled,
            Some("InvalidStateError") => PasskeyProblem::AlreadyHere,
            _ => PasskeyProblem::Unsupported,
        }
    }

    /// `navigator.credentials[method]({ publicKey: parse(options) })`, as JSON.
    async fn ask(
        parse: &str,
        method: &str,
        options: &serde_json::Value,
    ) -> Result<serde_json::Value, PasskeyProblem> {
        let unsupported = |_| PasskeyProblem::Unsupported;
        let class = credential_class().ok_or(PasskeyProblem::Unsupported)?;
        let parse = function(&class, parse).ok_or(PasskeyProblem::Unsupported)?;
        let json = JSON::parse(&options.to_string()).map_err(unsupported)?;
        let public_key = parse.call1(&class, &json).map_err(unsupported)?;
        let request = Object::new();
        Reflect::set(&request, &JsValue::from_str("publicKey"), &public_key)
            .map_err(unsupported)?;
        let navigator = get(&js_sys::global(), "navigator").ok_or(PasskeyProblem::Unsupported)?;
        let credentials = get(&navigator, "credentials").ok_or(PasskeyProblem::Unsupported)?;
        let call = function(&credentials, method).ok_or(PasskeyProblem::Unsupported)?;
        let promise: Promise = call
            .call1(&credentials, &request)
            .map_err(problem)?
            .dyn_into()
            .map_err(unsupported)?;
        let credential = JsFuture::from(promise).await.map_err(problem)?;
        let to_json = function(&credential, "toJSON").ok_or(PasskeyProblem::Unsupported)?;
        let answer = to_json.call0(&credential).map_err(unsupported)?;
        let text = JSON::stringify(&answer)
            .map_err(unsupported)?
            .as_string()
            .ok_or(PasskeyProblem::Unsupported)?;
        serde_json::from_str(&text).map_err(|_| PasskeyProblem::Unsupported)
    }

    pub async fn run(call: PasskeyCall) -> Result<ClientMsg, PasskeyProblem> {
        Ok(match call {
            PasskeyCall::Create { ceremony, options } => ClientMsg::PasskeyAdd {
                ceremony,
                credential: ask("parseCreationOptionsFromJSON", "create", &options).await?,
            },
            PasskeyCall::Get { ceremony, options } => ClientMsg::PasskeySignIn {
                ceremony,
                credential: ask("parseRequestOptionsFromJSON", "get", &options).await?,
            },
        })
    }
}
