//! The HTTP side: the Leptos pages (server-rendered), the site's files and the `/ws` route.

pub mod config;
pub mod hub;
pub mod store;
pub mod ws;

use std::{future::Future, sync::Arc};

use axum::{
    extract::{
        ws::{WebSocket, WebSocketUpgrade},
        FromRef, State,
    },
    response::Response,
    routing::get,
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
pub use config::{Config, ConfigError};
use hub::Hub;
use store::Store;
use ws::{ConnectionSettings, ReadError};

/// How long shutdown waits for connections to finish after telling them to close.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Invalid frames in a row that close a connection with 1008.
const MAX_INVALID_FRAMES: u32 = 10;

#[derive(Clone)]
struct AppState {
    leptos_options: LeptosOptions,
    hub: Hub,
    /// Every WebSocket connection's task, so shutdown can wait for them.
    connections: TaskTracker,
    connection: ConnectionSettings,
    max_message_bytes: usize,
    shutdown: watch::Receiver<bool>,
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
    if std::env::var_os("LEPTOS_ENV").is_none() && !cfg!(debug_assertions) {
        options.env = Env::PROD;
    }
    Ok(options)
}

/// Serves the app on `listener` until `shutdown` resolves; then every WebSocket
/// is closed with 1001 ("going away") so that clients reconnect elsewhere or later.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let leptos_options = leptos_options(&config).map_err(std::io::Error::other)?;
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| std::io::Error::other(format!("cannot open {}: {e}", config.database_url)))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let state = AppState {
        leptos_options: leptos_options.clone(),
        hub: Hub::start(store.clone(), config.hub_settings()),
        connections: TaskTracker::new(),
        connection: ConnectionSettings {
            heartbeat_interval: config.heartbeat_interval(),
            heartbeat_timeout: config.heartbeat_timeout(),
            client_ping_interval: config.client_ping_interval(),
            max_invalid_frames: MAX_INVALID_FRAMES,
            outbox_capacity: config.outbox_capacity,
            write_timeout: config.write_timeout(),
        },
        max_message_bytes: config.max_message_bytes,
        shutdown: stop_rx,
    };

    let connections = state.connections.clone();
    let routes = generate_route_list(App);
    let app = Router::new()
        .route(WS_PATH, get(ws_upgrade))
        .leptos_routes(&state, routes, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state);

    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: closing WebSocket connections");
            let _ = stop_tx.send(true);
        })
        .await?;
    // Sockets were told to close (1001); let them finish their writes before storage closes.
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

async fn ws_upgrade(upgrade: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    upgrade
        .max_message_size(state.max_message_bytes)
        .max_frame_size(state.max_message_bytes)
        .on_upgrade(move |socket| {
            let tracker = state.connections.clone();
            tracker.track_future(connection(socket, state))
        })
}

async fn connection(socket: WebSocket, state: AppState) {
    let (sink, stream) = socket.split();
    let stream = stream.map(|frame| frame.map_err(read_error));
    let sink = sink.sink_map_err(|e| tracing::debug!(error = %e, "websocket write failed"));
    let ended = ws::run_connection(sink, stream, state.hub, state.connection, state.shutdown).await;
    tracing::debug!(?ended, "connection ended");
}

fn read_error(err: axum::Error) -> ReadError {
    let inner = err.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => ReadError::TooBig,
        _ => ReadError::Other(inner.to_string()),
    }
}
