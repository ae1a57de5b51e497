//! Health, for the operator's supervisor and load balancer: `/healthz` answers while
//! the process serves HTTP (liveness); `/healthz/ready` answers 200 only while the hub
//! takes commands and storage reads and writes, else 503 naming what failed
//! (readiness: take this node out of rotation, not necessarily restart it). Readiness
//! touches the hub and the writer's queue, so, like `/metrics`, it answers only the
//! operator's network (loopback and private addresses, unless `metrics_public`).

use std::{net::SocketAddr, time::Duration};

use axum::{
    extract::{ConnectInfo, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::AppState;

/// How long each part may take to answer before it counts as down.
const PATIENCE: Duration = Duration::from_secs(2);

pub async fn live() -> &'static str {
    "ok\n"
}

pub async fn ready(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(state): State<AppState>,
) -> Response {
    if !super::telemetry::may_scrape(peer.ip(), state.metrics_public) {
        return (
            StatusCode::FORBIDDEN,
            "readiness is for the operator's network\n",
        )
            .into_response();
    }
    let (hub, storage) = tokio::join!(
        state.hub.responds_within(PATIENCE),
        state.store.responds_within(PATIENCE)
    );
    let failed: Vec<&str> = [(hub, "hub"), (storage, "storage")]
        .into_iter()
        .filter_map(|(up, name)| (!up).then_some(name))
        .collect();
    if failed.is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        tracing::warn!(?failed, "not ready");
        let body = format!("not ready: {}\n", failed.join(", "));
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}
