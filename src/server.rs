//! The HTTP side: the Leptos pages (server-rendered), the site's files and the `/ws` route.

pub mod admin;
pub mod admission;
pub mod bus;
pub mod caching;
pub mod config;
pub mod files;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod health;
pub mod hub;
pub mod security_headers;
pub mod store;
pub mod supervise;
pub mod telemetry;
pub mod ws;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{
        ws::{WebSocket, WebSocketUpgrade},
        ConnectInfo, FromRef, State,
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use futures::{SinkExt, StreamExt};
use leptos::{
    config::{errors::LeptosConfigError, get_configuration, Env},
    prelude::*,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::{net::TcpListener, sync::watch};
use tokio_util::task::TaskTracker;

use crate::{
    app::{shell, App},
    protocol::WS_PATH,
};
use admission::{Admission, Ticket};
use caching::{cache_control, Caching};
pub use config::{Config, ConfigError};
use hub::Hub;
use store::Store;
use ws::{ConnectionSettings, ReadError};

/// How long shutdown waits for connections to finish after telling them to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Invalid frames in a row that close a connection with 1008.
const MAX_INVALID_FRAMES: u32 = 10;

/// Bytes the WebSocket library reads at once per connection. Client frames are small
/// (a larger one grows the buffer for as long as it takes); the library's default of
/// 128 KiB was most of an idle connection's memory, and every KiB here is 10 MB for
/// 10,000 idle connections.
const READ_BUFFER: usize = 1024;

/// Bytes of frames gathered before the library writes them out (the connection loop
/// flushes after each batch anyway). The library's buffer never shrinks: it keeps
/// the size this reaches plus the largest frame sent, per connection. 10,000 logins
/// into 1,000 rooms: 1 KiB took 44 s, 2 KiB 25 s and 144 MB, 8 KiB 27 s and 243 MB.
const WRITE_BUFFER: usize = 2 * 1024;

/// Most bytes waiting to be written to one socket; one frame larger than this fails
/// the connection. Frames are at most a history or replay page.
const MAX_WRITE_BUFFER: usize = 4 << 20;

/// Largest message of the test-only `/echo` (the Autobahn|Testsuite's group 9 sends
/// 16 MiB), and what may wait to be written to it.
const ECHO_MAX_MESSAGE: usize = 16 << 20;
const ECHO_MAX_WRITE_BUFFER: usize = 2 * ECHO_MAX_MESSAGE;

/// Milliseconds since the Unix epoch, the server's clock for every timestamp it sets.
pub(crate) fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    leptos_options: LeptosOptions,
    hub: Hub,
    store: Store,
    /// Every WebSocket connection's task, so shutdown can wait for them.
    connections: TaskTracker,
    connection: ConnectionSettings,
    max_message_bytes: usize,
    admission: Arc<Admission>,
    /// `/metrics` answers any client, not only local and private ones.
    metrics_public: bool,
    /// `/echo` is routed (tests only).
    echo_endpoint: bool,
    shutdown: watch::Receiver<bool>,
    /// Uploads and downloads of files.
    files: files::Files,
}

impl FromRef<AppState> for files::Files {
    fn from_ref(state: &AppState) -> Self {
        state.files.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Leptos' own options: the bundle name from the build, the rest from our config.
fn leptos_options(config: &Config) -> Result<LeptosOptions, LeptosConfigError> {
    let mut options = get_configuration(None)?.leptos_options;
    options.site_root = Arc::from(config.site_root.to_string_lossy().as_ref());
    options.site_addr = config.listen_addr;
    // cargo-leptos writes the hashes of the bundle's file names beside the binary when
    // it builds with `hash-files`; without that file (a plain `cargo build`) the
    // names carry none.
    options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(options.hash_file.as_ref())))
        .is_some_and(|file| file.is_file());
    if std::env::var_os("LEPTOS_ENV").is_none() && !cfg!(debug_assertions) {
        options.env = Env::PROD;
    }
    Ok(options)
}

impl AppState {
    /// Opens storage and starts the hub: the state to serve with, the storage to close
    /// after the last connection, and the switch that closes every WebSocket (1001).
    pub async fn open(config: &Config) -> std::io::Result<(Self, Store, watch::Sender<bool>)> {
        let leptos_options = leptos_options(config).map_err(std::io::Error::other)?;
        telemetry::handle(); // the recorder, before anything records
        let cannot = |what: &str, e: store::Error| {
            let url = store::redacted(&config.database_url);
            std::io::Error::other(format!("cannot {what} {url}: {e}"))
        };
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| cannot("open", e))?;
        // Subscribed before the hub loads: nothing another server commits meanwhile is missed.
        let node_timeout = Duration::from_secs(config.node_timeout_secs);
        let bus = bus::connect(config.redis_url.as_deref(), node_timeout)
            .await
            .map_err(|e| std::io::Error::other(format!("cannot reach Redis: {e}")))?;
        let hub = Hub::start(store.clone(), config.hub_settings(), bus)
            .await
            .map_err(|e| cannot("load", e))?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let files = files::Files::open(config, store.clone()).map_err(|e| {
            let dir = config.files_dir();
            std::io::Error::other(format!("cannot keep files in {}: {e}", dir.display()))
        })?;
        let state = Self {
            files,
            leptos_options,
            hub,
            store: store.clone(),
            connections: TaskTracker::new(),
            connection: ConnectionSettings {
                heartbeat_interval: config.heartbeat_interval(),
                heartbeat_timeout: config.heartbeat_timeout(),
                client_ping_interval: config.client_ping_interval(),
                max_invalid_frames: MAX_INVALID_FRAMES,
                write_timeout: config.write_timeout(),
                // Once per server: the connections' settings stay a plain copy.
                passkey_origin: config
                    .passkey_origin()
                    .map(|o| &*Box::leak(o.into_boxed_str())),
            },
            max_message_bytes: config.max_message_bytes,
            admission: Admission::new(
                &config.allowed_origins,
                config
                    .trusted_proxy_ranges()
                    .map_err(std::io::Error::other)?,
                config.max_connections_per_ip,
                config.max_connections,
            ),
            metrics_public: config.metrics_public,
            echo_endpoint: config.echo_endpoint,
            shutdown: stop_rx,
        };
        Ok((state, store, stop_tx))
    }
}

/// The routes: the WebSocket, the Leptos pages and the site's files.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let caching = Caching {
        hashed_prefix: options
            .hash_files
            .then(|| format!("/{}/", options.site_pkg_dir)),
    };
    let router = if state.echo_endpoint {
        tracing::warn!("serving the test-only WebSocket echo at /echo");
        Router::new().route("/echo", get(echo_upgrade))
    } else {
        Router::new()
    };
    router
        .route(WS_PATH, get(ws_upgrade))
        .route("/healthz", get(health::live))
        .route("/healthz/ready", get(health::ready))
        .route("/metrics", get(telemetry::render))
        .route("/api/conversations/{id}/files", post(files::upload))
        .route("/files/{id}/{sha256}", get(files::download))
        .route("/files/{id}/{sha256}/thumbnail", get(files::thumbnail))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        // The site's files, gzip or brotli as built when the browser accepts them.
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(caching, cache_control))
        .layer(axum::middleware::from_fn(
            security_headers::security_headers,
        ))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` resolves; then every WebSocket
/// is closed with 1001 ("going away") so that clients reconnect elsewhere or later.
///
/// Each TCP connection is served by hyper with a timer, so a client that sends its
/// request headers slowly is cut off after `header_read_timeout_secs` (axum's own
/// `serve` builds hyper without one).
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::{
        rt::{TokioExecutor, TokioIo, TokioTimer},
        server::{conn::auto, graceful::GracefulShutdown},
    };
    use tower::ServiceExt;

    let (state, store, stop_tx) = AppState::open(&config).await?;
    let connections = state.connections.clone();
    let router = app(state);
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout());
    http.http2().timer(TokioTimer::new());
    let requests = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // taken: nothing to do for it; wait a little if the process is full.
                    tracing::warn!(error = %e, "accept failed");
                    if !matches!(e.kind(), std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small frames go out at once: no Nagle delay waiting for an ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request)
            },
        );
        let served = http.serve_connection_with_upgrades(TokioIo::new(tcp), service);
        let served = requests.watch(served.into_owned());
        tokio::spawn(async move {
            if let Err(e) = served.await {
                tracing::debug!(%peer, error = %e, "http connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: closing WebSocket connections");
    let _ = stop_tx.send(true);
    // Requests in flight finish; sockets were told to close (1001) and finish their
    // writes; then storage closes.
    if tokio::time::timeout(SHUTDOWN_GRACE, requests.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some HTTP requests did not finish within {SHUTDOWN_GRACE:?}");
    }
    connections.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish within {SHUTDOWN_GRACE:?}");
    }
    store.close().await;
    Ok(())
}

/// The WebSocket handshake, once the request passed the origin and connection limits.
async fn ws_upgrade(
    upgrade: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    // Behind a trusted proxy, the client it names.
    let peer = SocketAddr::new(
        state.admission.client_address(peer.ip(), &headers),
        peer.port(),
    );
    let ticket = match admit(&state, peer, &headers) {
        Ok(ticket) => ticket,
        Err(refused) => return refused,
    };
    let peer = ws::Peer {
        address: peer.ip(),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(store::devices::kept_user_agent)
            .unwrap_or_default(),
    };
    sized(upgrade, state.max_message_bytes, MAX_WRITE_BUFFER).on_upgrade(move |socket| async move {
        // A task of its own: the upgrade's task (which reserved room for the
        // handshake's state too) ends here instead of living as long as the socket.
        let tracker = state.connections.clone();
        tracker.spawn(connection(socket, peer, state, ticket));
    })
}

/// A place for a WebSocket from `peer`, or the answer refusing the upgrade.
#[allow(clippy::result_large_err)] // the refusal is the response itself
fn admit(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Result<Ticket, Response> {
    let admitted = state
        .admission
        .check_origin(headers)
        .and_then(|()| state.admission.admit(peer.ip()));
    admitted.map_err(|refused| {
        tracing::info!(%peer, reason = %refused.reason(), "websocket upgrade refused");
        metrics::counter!(telemetry::name::UPGRADES_REFUSED, "reason" => refused.label())
            .increment(1);
        (refused.status(), refused.reason()).into_response()
    })
}

/// The test-only echo: the same admission and socket settings as `/ws`, but for the
/// size of a message.
async fn echo_upgrade(
    upgrade: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    let ticket = match admit(&state, peer, &headers) {
        Ok(ticket) => ticket,
        Err(refused) => return refused,
    };
    sized(upgrade, ECHO_MAX_MESSAGE, ECHO_MAX_WRITE_BUFFER).on_upgrade(move |socket| async move {
        let (sink, stream) = halves(socket);
        let ended = ws::run_echo(sink, stream, state.connection).await;
        tracing::debug!(?ended, "echo connection ended");
        drop(ticket);
    })
}

/// One WebSocket connection, holding its place (`ticket`) until it ends.
async fn connection(socket: WebSocket, peer: ws::Peer, state: AppState, ticket: Ticket) {
    let (sink, stream) = halves(socket);
    let ended = ws::run_connection(
        sink,
        stream,
        peer,
        state.hub,
        state.connection,
        state.shutdown,
    )
    .await;
    tracing::debug!(?ended, "connection ended");
    drop(ticket);
}

/// The library's settings for a WebSocket whose messages may be `max_message` bytes and
/// whose unsent frames may take `max_write_buffer`.
fn sized(
    upgrade: WebSocketUpgrade,
    max_message: usize,
    max_write_buffer: usize,
) -> WebSocketUpgrade {
    upgrade
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(max_write_buffer)
}

/// The socket's two halves as the connection loops take them: frames in, with the
/// library's errors read as ours, and frames out.
fn halves(
    socket: WebSocket,
) -> (
    impl futures::Sink<axum::extract::ws::Message, Error = ()> + Unpin,
    impl futures::Stream<Item = Result<axum::extract::ws::Message, ReadError>> + Unpin,
) {
    let (sink, stream) = socket.split();
    let stream = stream.map(|frame| frame.map_err(read_error));
    let sink = sink.sink_map_err(|e| tracing::debug!(error = %e, "websocket write failed"));
    (sink, stream)
}

fn read_error(err: axum::Error) -> ReadError {
    let inner = err.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => ReadError::TooBig,
        Some(tungstenite::Error::Utf8(_)) => ReadError::InvalidUtf8,
        Some(tungstenite::Error::Protocol(e)) => ReadError::Protocol(e.to_string()),
        _ => ReadError::Other(inner.to_string()),
    }
}
