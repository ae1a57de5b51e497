//! Prometheus metrics at `/metrics`, recorded with the `metrics` crate: connections,
//! users online, messages stored, how long a message takes from arrival to being queued
//! for its readers, what was dropped or refused, and slow-consumer closes.
//!
//! `/metrics` answers only clients on a loopback or private address (a Prometheus on
//! the operator's network), unless `metrics_public` is set: the figures say how busy
//! the server is and are nobody else's business. Behind a reverse proxy on the same
//! host every request looks local: do not forward `/metrics` there.

use std::{
    net::{IpAddr, SocketAddr},
    sync::OnceLock,
};

use axum::{
    extract::{ConnectInfo, State},
    http::{header::CONTENT_TYPE, StatusCode},
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// Names of the metrics, in one place.
pub mod name {
    pub const CONNECTIONS: &str = "chat_connections";
    pub const UPGRADES_REFUSED: &str = "chat_upgrades_refused_total";
    pub const USERS_ONLINE: &str = "chat_users_online";
    pub const MESSAGES_STORED: &str = "chat_messages_stored_total";
    pub const MESSAGE_LATENCY: &str = "chat_message_queued_seconds";
    pub const EPHEMERAL_DROPPED: &str = "chat_ephemeral_dropped_total";
    pub const SLOW_CONSUMER_CLOSES: &str = "chat_slow_consumer_closes_total";
    pub const REFUSALS: &str = "chat_refusals_total";
}

/// The process's recorder, installed once (every server of a test process shares it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
            ])
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(name::CONNECTIONS, "WebSocket connections open now");
    describe_counter!(
        name::UPGRADES_REFUSED,
        "WebSocket upgrades refused, by reason (origin, per_address, full)"
    );
    describe_gauge!(name::USERS_ONLINE, "Users online now");
    describe_counter!(
        name::MESSAGES_STORED,
        "Messages stored (text and system lines)"
    );
    describe_histogram!(
        name::MESSAGE_LATENCY,
        Unit::Seconds,
        "From a message's arrival to its being queued for every reader (group commit included)"
    );
    describe_counter!(
        name::EPHEMERAL_DROPPED,
        "Typing and presence events dropped for connections with a full queue"
    );
    describe_counter!(
        name::SLOW_CONSUMER_CLOSES,
        "Connections closed because they could not keep up (4002)"
    );
    describe_counter!(name::REFUSALS, "Requests refused, by error code");
}

/// Whether `/metrics` may answer this client.
pub fn may_scrape(peer: IpAddr, public: bool) -> bool {
    public
        || match peer {
            IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => may_scrape(IpAddr::V4(v4), false),
                // Loopback, and unique local addresses (fc00::/7).
                None => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
            },
        }
}

pub async fn render(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    State(state): State<AppState>,
) -> Response {
    if !may_scrape(peer.ip(), state.metrics_public) {
        return (
            StatusCode::FORBIDDEN,
            "metrics are for the operator's network\n",
        )
            .into_response();
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_and_private_addresses_may_scrape_unless_public() {
        for ok in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.9",
            "172.16.0.1",
            "::1",
            "fd00::5",
            "::ffff:10.0.0.1",
        ] {
            assert!(may_scrape(ok.parse().unwrap(), false), "{ok}");
        }
        for no in ["8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8"] {
            assert!(!may_scrape(no.parse().unwrap(), false), "{no}");
            assert!(may_scrape(no.parse().unwrap(), true), "{no}");
        }
    }
}
