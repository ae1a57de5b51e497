//! What the fuzz targets (`fuzz/`, run with cargo-fuzz by `scripts/fuzz.sh`) exercise,
//! kept in the library so that `cargo test` runs the same code over the seed corpora
//! (a smoke that keeps the targets from rotting; the long runs are cargo-fuzz's).
//!
//! A finding is a panic: in decoding, in a check, in the connection loop, or in the
//! hub (whose panic stops the process, see `supervise`).

use std::{net::Ipv4Addr, sync::OnceLock, time::Duration};

use axum::extract::ws::Message;
use futures::channel::mpsc;
use tokio::{runtime::Runtime, sync::watch};

use super::{
    hub::{Hub, HubSettings},
    store::Store,
    ws::{run_connection, ConnectionSettings, ReadError},
};
use crate::protocol::{
    normalize_nickname, normalize_text, validate_avatar, validate_client_id, validate_room_name,
    ClientMsg, ServerMsg,
};

/// A client frame as the server decodes it: bytes, UTF-8 text, a `ClientMsg`, then the
/// checks the server applies to its fields. A message that decodes encodes back to
/// itself.
pub fn decode_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(msg) = serde_json::from_str::<ClientMsg>(text) else {
        return;
    };
    let again: Result<ClientMsg, _> = serde_json::from_str(&msg.to_json());
    assert_eq!(
        again.ok().as_ref(),
        Some(&msg),
        "a decoded message encodes back to itself"
    );
    match &msg {
        ClientMsg::Login { nickname, avatar } => {
            if let Ok(name) = normalize_nickname(nickname) {
                let _ = super::hub::nickname_skeleton(&name);
            }
            let _ = validate_avatar(avatar);
        }
        ClientMsg::Send {
            client_id, text, ..
        } => {
            let _ = validate_client_id(client_id);
            let _ = normalize_text(text);
        }
        ClientMsg::JoinRoom { name } => {
            let _ = validate_room_name(name);
        }
        _ => {}
    }
}

/// The hub and the runtime every session shares (one database for the whole run, as a
/// long-lived server has).
struct Bench {
    runtime: Runtime,
    hub: Hub,
    _dir: tempfile::TempDir,
}

fn bench() -> &'static Bench {
    static BENCH: OnceLock<Bench> = OnceLock::new();
    BENCH.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fuzz sessions");
        let dir = tempfile::tempdir().expect("a temporary folder for the database");
        let path = dir.path().join("fuzz.db");
        let hub = runtime.block_on(async {
            let store = Store::open(&path.to_string_lossy())
                .await
                .expect("the database opens");
            let many = std::num::NonZeroU32::new(1_000_000).unwrap_or(std::num::NonZeroU32::MIN);
            let settings = HubSettings {
                sends_per_second: many,
                send_burst: many,
                room_changes_per_minute: many,
                room_change_burst: many,
                sign_ins_per_second_per_ip: many,
                sign_in_burst_per_ip: many,
                ..HubSettings::default()
            };
            Hub::start(store, settings, crate::server::bus::alone())
                .await
                .expect("the hub starts")
        });
        Bench {
            runtime,
            hub,
            _dir: dir,
        }
    })
}

const SETTINGS: ConnectionSettings = ConnectionSettings {
    heartbeat_interval: Duration::from_secs(30),
    heartbeat_timeout: Duration::from_secs(75),
    client_ping_interval: Duration::from_secs(20),
    max_invalid_frames: 10,
    write_timeout: Duration::from_secs(5),
    passkey_origin: None,
};

/// Frames, one a line (text if UTF-8, else binary), from two connections in turn,
/// through the real connection loop and hub; then both connections end. Returns what
/// the server said to them.
pub fn run_session(data: &[u8]) -> Vec<ServerMsg> {
    let bench = bench();
    bench.runtime.block_on(async {
        let (_stop, shutdown) = watch::channel(false);
        let mut clients = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let (to_server, stream) = mpsc::unbounded::<Result<Message, ReadError>>();
            let (sink, from_server) = mpsc::unbounded::<Message>();
            tasks.push(tokio::spawn(run_connection(
                sink,
                stream,
                std::net::IpAddr::from(Ipv4Addr::LOCALHOST).into(),
                bench.hub.clone(),
                SETTINGS,
                shutdown.clone(),
            )));
            clients.push((to_server, from_server));
        }
        for (i, line) in data.split(|b| *b == b'\n').take(64).enumerate() {
            let frame = match std::str::from_utf8(line) {
                Ok(text) => Message::Text(text.into()),
                Err(_) => Message::Binary(line.to_vec().into()),
            };
            let _ = clients[i % 2].0.unbounded_send(Ok(frame));
            tokio::task::yield_now().await;
        }
        // What the server answers, until it has been quiet a moment (storage work
        // included), so that answers and deliveries run too.
        let mut answers = Vec::new();
        let quiet = Duration::from_millis(10);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        'drain: while tokio::time::Instant::now() < deadline {
            let mut heard = false;
            for (_, from_server) in clients.iter_mut() {
                while let Ok(frame) = from_server.try_recv() {
                    answers.push(frame);
                    heard = true;
                }
            }
            if !heard {
                tokio::time::sleep(quiet).await;
                for (_, from_server) in clients.iter_mut() {
                    if let Ok(frame) = from_server.try_recv() {
                        answers.push(frame);
                        continue 'drain;
                    }
                }
                break;
            }
        }
        // Both clients leave; their loops end and the hub lets go of them.
        drop(clients);
        for task in tasks {
            let ended = tokio::time::timeout(Duration::from_secs(10), task).await;
            assert!(
                ended.is_ok(),
                "a connection did not end after its client left"
            );
        }
        answers
            .iter()
            .filter_map(|m| match m {
                Message::Text(text) => serde_json::from_str::<ServerMsg>(text.as_str()).ok(),
                _ => None,
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed corpora of `fuzz/corpus/<target>/`, each file one input.
    fn corpus(target: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .collect();
        assert!(!inputs.is_empty(), "no seed in {}", dir.display());
        inputs.sort();
        inputs
    }

    #[test]
    fn the_fuzz_targets_run_their_seed_corpora_clean() {
        for input in corpus("client_frame") {
            decode_frame(&input);
        }
        let mut readies = 0;
        for input in corpus("hub_session") {
            let answers = run_session(&input);
            readies += answers
                .iter()
                .filter(|m| matches!(m, ServerMsg::Ready { .. }))
                .count();
        }
        // The sessions did reach the hub and storage (two users logged in, at least).
        assert!(readies >= 2, "{readies} logins answered");
        // A few shapes the seeds do not have.
        for odd in [
            &b"\xff\xfe"[..],
            b"",
            b"{}",
            b"{\"type\":\"send\"}",
            b"[1,2,3]",
        ] {
            decode_frame(odd);
            let _ = run_session(odd);
        }
    }
}
