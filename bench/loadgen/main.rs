//! Load generator for the chat server and, for comparison, its peers (Bun, Node `ws`,
//! socket.io): N WebSocket clients in rooms, some of them senders at a paced rate,
//! every message carrying its sender, number and send time, so each receiver measures
//! latency and counts what it got: delivered, lost, duplicated.
//!
//! Three wire protocols: ours (`chat`: login, join a room, `send`, `message` frames),
//! plain JSON broadcast (`json`: the seeds' `ws` server and Bun's publish/subscribe,
//! room in the URL's query), and socket.io's engine.io v4 framing (`socketio`).
//! With `--pid`, the server's CPU time (utime + stime) and RSS are read from /proc
//! over the measured window. `--json` prints one JSON line for `bench/run.sh`.
//!
//! Run: `cargo run --release --example loadgen --features ssr -- --help`.

mod report;
mod wire;

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::{sync::mpsc, time::Instant};
use tokio_tungstenite::tungstenite::Message;

use report::{new_histogram, print_report, proc_usage, Report};
use wire::{
    connect_client, encode_send, now_us, parse_payload, payload, received, Client, Received,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum Protocol {
    /// This project's protocol (docs/PROTOCOL.md).
    Chat,
    /// Plain JSON text broadcast to the others in the room (`?room=` in the URL).
    Json,
    /// socket.io (engine.io v4 over WebSocket): `join` then `msg` events.
    Socketio,
}

#[derive(Debug, Clone, Parser, Serialize)]
#[command(about = "WebSocket chat load generator: latency, throughput, loss, duplicates")]
struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    #[arg(long, value_enum, default_value = "chat")]
    protocol: Protocol,
    /// Connected clients in all.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// How many of them send (the first ones of each room); default all.
    #[arg(long)]
    senders: Option<usize>,
    /// Messages per second per sender.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Rooms the clients are spread over (client i is in room i mod rooms).
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Rooms are named this plus their number (default: a name new to this run), so a
    /// browser can watch one (end2end's busy-room test).
    #[arg(long)]
    room_prefix: Option<String>,
    /// Bytes of text per message.
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// Seconds of sending before the measured window.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds of the measured window.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds to wait after the last send for the last deliveries.
    #[arg(long, default_value_t = 5.0)]
    drain: f64,
    /// Logins in flight at once while connecting.
    #[arg(long, default_value_t = 32)]
    connect_concurrency: usize,
    /// The server's process id: its CPU time and memory are read over the window.
    #[arg(long)]
    pid: Option<u32>,
    /// Name of the server in the output.
    #[arg(long, default_value = "server")]
    label: String,
    /// Name of the workload in the output.
    #[arg(long, default_value = "burst")]
    workload: String,
    /// Print one JSON line instead of text.
    #[arg(long)]
    json: bool,
    /// Clients (the last ones, never senders) that stop reading when the sending
    /// starts: they keep their socket open and read nothing (W6). What they miss is
    /// not counted as lost; the others' deliveries and the server's RSS are the figures.
    #[arg(long, default_value_t = 0)]
    stalled: usize,
    /// Fail (exit 1) unless something was delivered and nothing was lost, duplicated,
    /// refused or dropped.
    #[arg(long)]
    check: bool,
}

/// Counters shared by every client of the run.
struct Shared {
    /// Receive times inside [window_start, window_end] count (µs since the epoch).
    window: Mutex<(u64, u64)>,
    in_window: AtomicU64,
    refused: AtomicU64,
    dropped: AtomicU64,
    /// The senders have started (stalled clients stop reading).
    sending: AtomicBool,
    stop: AtomicBool,
    latency: Mutex<Histogram<u64>>,
}

/// One client's receive-side tally.
struct Tally {
    me: usize,
    seen: HashSet<(usize, u64)>,
    duplicated: u64,
    latency: Histogram<u64>,
    in_window: u64,
}

impl Tally {
    fn new(me: usize) -> Self {
        Self {
            me,
            seen: HashSet::new(),
            duplicated: 0,
            latency: new_histogram(),
            in_window: 0,
        }
    }

    fn take(&mut self, text: &str, window: (u64, u64)) {
        let Some((sender, n, sent_us)) = parse_payload(text) else {
            return;
        };
        if sender == self.me {
            return; // our own message echoed back (ours sends it to the sender's tabs)
        }
        if !self.seen.insert((sender, n)) {
            self.duplicated += 1;
            return;
        }
        let now = now_us();
        if now >= window.0 && now <= window.1 {
            self.in_window += 1;
            let _ = self.latency.record(now.saturating_sub(sent_us).max(1));
        }
    }
}

/// What every client adds to.
#[derive(Clone)]
struct Counters {
    sent_per_room: Arc<Vec<AtomicU64>>,
    delivered: Arc<AtomicU64>,
    duplicated: Arc<AtomicU64>,
}

/// Starts a connected client's reader (at once) and writer (paced sends once `start`
/// says until when; protocol answers such as engine.io pongs meanwhile).
#[allow(clippy::too_many_arguments)]
fn drive_client(
    client: Client,
    i: usize,
    is_sender: bool,
    is_stalled: bool,
    args: &Args,
    shared: Arc<Shared>,
    counters: Counters,
    mut start: tokio::sync::watch::Receiver<Option<Instant>>,
) -> [tokio::task::JoinHandle<()>; 2] {
    let (mut sink, mut stream) = client.socket.split();
    let (control_tx, mut control_rx) = mpsc::channel::<String>(16);
    let (conversation, room) = (client.conversation, client.room);
    let (protocol, rate, size) = (args.protocol, args.rate, args.size);
    let sent_per_room = counters.sent_per_room.clone();
    let writer = tokio::spawn(async move {
        let send_until = loop {
            tokio::select! {
                answer = control_rx.recv() => {
                    let Some(answer) = answer else { return };
                    if sink.send(Message::text(answer)).await.is_err() { return }
                }
                changed = start.changed() => {
                    if changed.is_err() { return }
                    if let Some(until) = *start.borrow() { break until }
                }
            }
        };
        let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
        // Senders start spread over one period, not all at the same instant.
        let offset = period.mul_f64((i as f64 * 0.618_034) % 1.0);
        let mut tick = tokio::time::interval_at(Instant::now() + offset, period);
        let mut n = 0u64;
        loop {
            tokio::select! {
                answer = control_rx.recv() => {
                    let Some(answer) = answer else { break };
                    if sink.send(Message::text(answer)).await.is_err() { break }
                }
                _ = tick.tick(), if is_sender => {
                    if Instant::now() >= send_until { break }
                    let text = payload(i, n, size);
                    let frame = encode_send(protocol, conversation, &format!("{i}-{n}"), text);
                    if sink.send(Message::text(frame)).await.is_err() { break }
                    sent_per_room[room].fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
                _ = tokio::time::sleep_until(send_until), if !is_sender => break,
            }
        }
        // Keep answering pings while the last deliveries drain.
        while let Some(answer) = control_rx.recv().await {
            if sink.send(Message::text(answer)).await.is_err() {
                break;
            }
        }
    });
    let reader = tokio::spawn(async move {
        let mut tally = Tally::new(i);
        loop {
            if is_stalled && shared.sending.load(Ordering::Relaxed) {
                // Holds the socket, reads nothing: what the server does about it is the test.
                while !shared.stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                return;
            }
            let frame = tokio::select! {
                frame = stream.next() => frame,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if shared.stop.load(Ordering::Relaxed) { break }
                    continue;
                }
            };
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(close))) => {
                    if !shared.stop.load(Ordering::Relaxed) {
                        eprintln!("loadgen: client {i} closed by the server: {close:?}");
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    break;
                }
                None | Some(Err(_)) => {
                    if !shared.stop.load(Ordering::Relaxed) {
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    break;
                }
                Some(Ok(_)) => continue,
            };
            if protocol == Protocol::Socketio && text.as_str() == "2" {
                let _ = control_tx.try_send("3".into());
                continue;
            }
            match received(protocol, text.as_str()) {
                Received::Text(body) => {
                    let window = *shared.window.lock().unwrap_or_else(|e| e.into_inner());
                    tally.take(&body, window);
                }
                Received::Refused => {
                    shared.refused.fetch_add(1, Ordering::Relaxed);
                }
                Received::Other => {}
            }
        }
        drop(control_tx);
        counters
            .delivered
            .fetch_add(tally.seen.len() as u64, Ordering::Relaxed);
        counters
            .duplicated
            .fetch_add(tally.duplicated, Ordering::Relaxed);
        shared
            .in_window
            .fetch_add(tally.in_window, Ordering::Relaxed);
        if let Ok(mut h) = shared.latency.lock() {
            let _ = h.add(&tally.latency);
        }
    });
    [writer, reader]
}

async fn run(args: Args) -> Result<Report, String> {
    let run_id = format!("{:x}", now_us() % 0xff_ffff);
    let rooms = args.rooms.max(1);
    let args = Arc::new(Args { rooms, ..args });
    let senders = args.senders.unwrap_or(args.clients).min(args.clients);

    let rss_before = args.pid.and_then(proc_usage).map(|(_, rss)| rss);
    // Members per room, and which clients send: the first `senders` spread over the rooms.
    let stalled = args.stalled.min(args.clients - senders);
    let is_stalled = |i: usize| i >= args.clients - stalled;
    // Members per room that read (the stalled ones do not count).
    let mut room_size = vec![0u64; rooms];
    for i in (0..args.clients).filter(|i| !is_stalled(*i)) {
        room_size[i % rooms] += 1;
    }
    let shared = Arc::new(Shared {
        window: Mutex::new((u64::MAX, u64::MAX)),
        in_window: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        sending: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        latency: Mutex::new(new_histogram()),
    });
    let counters = Counters {
        sent_per_room: Arc::new((0..rooms).map(|_| AtomicU64::new(0)).collect()),
        delivered: Arc::new(AtomicU64::new(0)),
        duplicated: Arc::new(AtomicU64::new(0)),
    };
    // Senders wait for this: when to stop sending, set once everyone is connected.
    let (start_tx, start_rx) = tokio::sync::watch::channel(None::<Instant>);

    // Connect and log in, a bounded number at a time; each client reads from the
    // moment it is in (a client that did not would be closed as too slow).
    let started = Instant::now();
    let (done_tx, mut done_rx) = mpsc::channel(args.clients.max(1));
    let permits = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency.max(1)));
    for i in 0..args.clients {
        let (args, run_id, done, permits) = (
            args.clone(),
            run_id.clone(),
            done_tx.clone(),
            permits.clone(),
        );
        let (shared, counters, start) = (shared.clone(), counters.clone(), start_rx.clone());
        tokio::spawn(async move {
            let client = {
                let _permit = permits.acquire_owned().await;
                connect_client(&args, &run_id, i).await
            };
            let stalled = i >= args.clients - stalled;
            let tasks = client.map(|client| {
                drive_client(
                    client,
                    i,
                    i < senders,
                    stalled,
                    &args,
                    shared,
                    counters,
                    start,
                )
            });
            let _ = done.send((i, tasks)).await;
        });
    }
    drop(done_tx);
    let mut tasks = Vec::new();
    while let Some((i, client_tasks)) = done_rx.recv().await {
        tasks.extend(client_tasks.map_err(|e| format!("client {i}: {e}"))?);
    }
    let connect_secs = started.elapsed().as_secs_f64();
    let send_until = Instant::now() + Duration::from_secs_f64(args.warmup + args.duration);
    let _ = start_tx.send(Some(send_until));
    shared.sending.store(true, Ordering::Relaxed);
    let Counters {
        sent_per_room,
        delivered,
        duplicated,
    } = counters;

    // The measured window.
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let window_start = now_us();
    let usage_start = args.pid.and_then(proc_usage);
    *shared.window.lock().unwrap_or_else(|e| e.into_inner()) =
        (window_start, window_start + (args.duration * 1e6) as u64);
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    let usage_end = args.pid.and_then(proc_usage);
    tokio::time::sleep_until(send_until + Duration::from_secs_f64(args.drain)).await;
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }

    let sent: u64 = sent_per_room
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .sum();
    let expected: u64 = sent_per_room
        .iter()
        .zip(&room_size)
        .map(|(s, size)| s.load(Ordering::Relaxed) * size.saturating_sub(1))
        .sum();
    let delivered = delivered.load(Ordering::Relaxed);
    let in_window = shared.in_window.load(Ordering::Relaxed);
    let cpu = match (usage_start, usage_end) {
        (Some((a, _)), Some((b, _))) => Some(b - a),
        _ => None,
    };
    let latency = shared.latency.lock().map_err(|_| "latency lock poisoned")?;
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    Ok(Report {
        label: args.label.clone(),
        workload: args.workload.clone(),
        protocol: args.protocol,
        clients: args.clients,
        senders,
        stalled,
        rooms,
        rate: args.rate,
        connect_secs,
        sent,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated: duplicated.load(Ordering::Relaxed),
        refused: shared.refused.load(Ordering::Relaxed),
        dropped: shared.dropped.load(Ordering::Relaxed),
        deliveries_per_sec: in_window as f64 / args.duration,
        server_cpu_secs: cpu,
        deliveries_per_cpu_sec: cpu.filter(|c| *c > 0.0).map(|c| in_window as f64 / c),
        server_rss_kib: usage_end.map(|(_, rss)| rss),
        server_rss_before_kib: rss_before,
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: latency.max() as f64 / 1000.0,
    })
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let (json, check) = (args.json, args.check);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: cannot start tokio: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(report) => {
            if json {
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
            } else {
                print_report(&report);
            }
            let clean = report.delivered > 0
                && report.lost == 0
                && report.duplicated == 0
                && report.refused == 0
                && report.dropped == 0;
            if check && !clean {
                eprintln!(
                    "loadgen: check failed: something was lost, duplicated, refused or dropped"
                );
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
