//! Cache headers: the bundle's files carry a hash of their content in their names
//! (cargo-leptos `hash-files`), so a browser keeps them for a year and a reload with
//! a warm cache fetches no WASM again; pages are rendered per request and never cached.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// `/pkg/` files named by their content's hash.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Other files of the site (icons, avatars): their names stay, their content may change.
const ASSET: HeaderValue = HeaderValue::from_static("public, max-age=3600");
/// Pages: asked again each time.
const PAGE: HeaderValue = HeaderValue::from_static("no-cache");

/// Where the bundle's files are served from (cargo-leptos' `site-pkg-dir`).
#[derive(Clone)]
pub struct Caching {
    /// `/pkg/`, or `None` when file names carry no hash (a development build).
    pub hashed_prefix: Option<String>,
}

impl Caching {
    fn policy(&self, path: &str, content_type: Option<&HeaderValue>) -> HeaderValue {
        let html = content_type
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        match &self.hashed_prefix {
            _ if html => PAGE,
            Some(prefix) if path.starts_with(prefix.as_str()) => IMMUTABLE,
            None if path.starts_with("/pkg/") => PAGE,
            _ => ASSET,
        }
    }
}

/// Sets `Cache-Control` on every successful response that has none, and says that a
/// file sent gzip- or brotli-compressed differs by `Accept-Encoding` (for caches).
pub async fn cache_control(
    axum::extract::State(caching): axum::extract::State<Caching>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = caching.policy(&path, response.headers().get(header::CONTENT_TYPE));
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    let headers = response.headers_mut();
    if headers.contains_key(header::CONTENT_ENCODING) && !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_files_are_immutable_pages_are_not_cached() {
        let hashed = Caching {
            hashed_prefix: Some("/pkg/".into()),
        };
        let html = HeaderValue::from_static("text/html; charset=utf-8");
        let wasm = HeaderValue::from_static("application/wasm");
        assert_eq!(hashed.policy("/pkg/chat.abc.wasm", Some(&wasm)), IMMUTABLE);
        assert_eq!(hashed.policy("/chat", Some(&html)), PAGE);
        assert_eq!(hashed.policy("/avatars/fox.svg", None), ASSET);
        let plain = Caching {
            hashed_prefix: None,
        };
        assert_eq!(plain.policy("/pkg/chat.wasm", Some(&wasm)), PAGE);
    }
}
