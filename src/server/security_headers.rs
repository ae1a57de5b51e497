//! Headers that keep one bug from becoming an account takeover: a strict
//! Content-Security-Policy on the pages (only our own scripts run, the hydration
//! script by this response's nonce; the WebSocket only to our own host; no framing),
//! and on every response `nosniff` and a referrer policy.

use axum::{
    extract::Request,
    http::{
        header::{
            CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
        },
        HeaderValue,
    },
    middleware::Next,
    response::Response,
};

/// The policy of a page whose inline scripts carry `nonce`.
///
/// `'wasm-unsafe-eval'` lets the page compile its own WebAssembly (not run `eval`);
/// `'self'` in `connect-src` covers the same host's `ws:`/`wss:` (CSP level 3).
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For everything that is not a page (files, errors): nothing in it may run or load.
const FILE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Puts the page's policy on the response being rendered. Called from the shell, where
/// leptos_axum has made this request's nonce (and put it on the hydration scripts).
pub fn set_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    match HeaderValue::from_str(&page_policy(&nonce)) {
        Ok(policy) => response.insert_header(CONTENT_SECURITY_POLICY, policy),
        Err(e) => tracing::error!(error = %e, "cannot make the page's security policy"),
    }
}

/// Middleware: the headers every response gets, and the strict policy on any that
/// has none of its own.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // For browsers that predate frame-ancestors.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FILE_POLICY),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_our_own_and_the_nonce() {
        let policy = page_policy("abc123");
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(HeaderValue::from_str(&policy).is_ok());
    }
}
