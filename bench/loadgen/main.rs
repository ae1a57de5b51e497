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

mod client;
mod report;
mod resume;
mod tally;
mod wire;

use std::{
    path::PathBuf,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::{sync::mpsc, time::Instant};

use report::{print_report, proc_usage, Report, StepReport};
use tally::{Phase, Shared};
use wire::{connect_client, now_us};

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
    /// Server address (host:port); several, comma-separated, for several servers
    /// behind no balancer: client i connects to the (i mod n)-th.
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
    /// The server's process ids (comma-separated): their CPU time and memory are read
    /// over the window, summed.
    #[arg(long, value_delimiter = ',')]
    pid: Vec<u32>,
    /// Processes counted with their children (PostgreSQL's postmaster: its backends).
    #[arg(long, value_delimiter = ',')]
    pid_tree: Vec<u32>,
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
    /// refused or dropped (resuming: nothing sent back to `reload`, and the clients
    /// did resume).
    #[arg(long)]
    check: bool,
    /// Rates to climb, one step each (a warm-up and a window at each): the highest step
    /// whose p99 stays within `--p99-limit` and that delivers 95% of what it offers is
    /// reported (W3); the climb stops at the first that does not.
    #[arg(long, value_delimiter = ',')]
    ladder: Option<Vec<f64>>,
    /// A ladder step's p99 latency mark, in ms.
    #[arg(long, default_value_t = 50.0)]
    p99_limit: f64,
    /// Our protocol: when a connection drops, reconnect with the browser's backoff,
    /// resume from the cursor and send the unacknowledged again (W8, server restart).
    #[arg(long)]
    reconnect: bool,
    /// Write this file once every client is connected and the sending starts (so a
    /// script knows when to restart the server).
    #[arg(long)]
    ready_file: Option<PathBuf>,
}

impl Args {
    /// The server client `i` connects to.
    fn addr_of(&self, i: usize) -> &str {
        let addrs: Vec<&str> = self.addr.split(',').map(str::trim).collect();
        addrs[i % addrs.len()]
    }

    /// CPU seconds and RSS (KiB) of every server process, summed; `None` without any.
    fn usage(&self) -> Option<(f64, u64)> {
        if self.pid.is_empty() && self.pid_tree.is_empty() {
            return None;
        }
        let mut pids = self.pid.clone();
        for root in &self.pid_tree {
            pids.push(*root);
            pids.extend(report::children_of(*root));
        }
        let mut total = (0.0, 0);
        for pid in pids {
            let (cpu, rss) = proc_usage(pid)?;
            total.0 += cpu;
            total.1 += rss;
        }
        Some(total)
    }
}

/// Figures of one step of the run (the run itself unless `--ladder`).
struct StepFigures {
    rate: f64,
    offered: f64,
    cpu: Option<f64>,
    rss_kib: Option<u64>,
}

async fn run(args: Args) -> Result<Report, String> {
    let run_id = format!("{:x}", now_us() % 0xff_ffff);
    let rooms = args.rooms.max(1);
    let args = Arc::new(Args { rooms, ..args });
    if args.reconnect && args.protocol != Protocol::Chat {
        return Err(
            "--reconnect is for our protocol (the peers have no sessions to resume)".into(),
        );
    }
    let senders = args.senders.unwrap_or(args.clients).min(args.clients);
    let rates = args.ladder.clone().unwrap_or_else(|| vec![args.rate]);

    let rss_before = args.usage().map(|(_, rss)| rss);
    let stalled = args.stalled.min(args.clients - senders);
    let is_stalled = |i: usize| i >= args.clients - stalled;
    // Members per room that read (the stalled ones do not count), and senders per room.
    let mut room_size = vec![0u64; rooms];
    let mut room_senders = vec![0u64; rooms];
    for i in (0..args.clients).filter(|i| !is_stalled(*i)) {
        room_size[i % rooms] += 1;
        room_senders[i % rooms] += u64::from(i < senders);
    }
    // Deliveries a second that one message a second from every sender makes.
    let fan_out: f64 = room_size
        .iter()
        .zip(&room_senders)
        .map(|(size, senders)| (senders * size.saturating_sub(1)) as f64)
        .sum();
    let shared = Arc::new(Shared::new(rates.len(), rooms));
    // What the senders are to do; `None` until everyone is connected.
    let (phase_tx, phase_rx) = tokio::sync::watch::channel(None::<Phase>);

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
        let (shared, phases) = (shared.clone(), phase_rx.clone());
        tokio::spawn(async move {
            let client = {
                let _permit = permits.acquire_owned().await;
                connect_client(&args, &run_id, i).await
            };
            let tasks = client.and_then(|client| {
                if args.reconnect {
                    resume::drive(client, i, i < senders, &args, shared, phases).map(|t| vec![t])
                } else {
                    let stalled = i >= args.clients - stalled;
                    let tasks =
                        client::drive(client, i, i < senders, stalled, &args, shared, phases);
                    Ok(tasks.into())
                }
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
    if let Some(path) = &args.ready_file {
        std::fs::write(path, b"sending\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    shared.sending.store(true, Ordering::Relaxed);

    // The steps: each sends for a warm-up, then for the measured window. A ladder
    // stops after the first step that misses its mark (judged once the step's last
    // deliveries are in).
    let mut figures = Vec::new();
    let mut send_until = Instant::now();
    for (step, &rate) in rates.iter().enumerate() {
        send_until = Instant::now() + Duration::from_secs_f64(args.warmup + args.duration);
        phase_tx.send_replace(Some(Phase {
            rate,
            until: send_until,
        }));
        tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
        let window_start = now_us();
        let usage_start = args.usage();
        shared.open_window(
            step,
            window_start,
            window_start + (args.duration * 1e6) as u64,
        );
        tokio::time::sleep_until(send_until).await;
        let usage_end = args.usage();
        figures.push(StepFigures {
            rate,
            offered: rate * fan_out,
            cpu: usage_start.zip(usage_end).map(|((a, _), (b, _))| b - a),
            rss_kib: usage_end.map(|(_, rss)| rss),
        });
        if args.ladder.is_some() && step + 1 < rates.len() {
            tokio::time::sleep(STRAGGLERS).await;
            let step_report = step_report(&figures[step], &shared.step_latency(step), &args);
            eprintln!(
                "loadgen: {} {}/s: {:.0} deliveries/s of {:.0}, p99 {:.1} ms",
                args.label,
                rate,
                step_report.deliveries_per_sec,
                step_report.offered,
                step_report.p99_ms
            );
            if !step_report.passed {
                break;
            }
        }
    }
    tokio::time::sleep_until(send_until + Duration::from_secs_f64(args.drain)).await;
    shared.stop.store(true, Ordering::Relaxed);
    drop(phase_tx);
    for task in tasks {
        let _ = task.await;
    }

    let sent: u64 = shared
        .sent_per_room
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .sum();
    let expected: u64 = shared
        .sent_per_room
        .iter()
        .zip(&room_size)
        .map(|(s, size)| s.load(Ordering::Relaxed) * size.saturating_sub(1))
        .sum();
    let delivered = shared.delivered.load(Ordering::Relaxed);
    let steps: Vec<StepReport> = figures
        .iter()
        .enumerate()
        .map(|(k, f)| step_report(f, &shared.step_latency(k), &args))
        .collect();
    // The figures of a ladder are those of its highest step that passed (its first if
    // none did); of a plain run, its one step's.
    let best = steps
        .iter()
        .rposition(|s| s.passed)
        .filter(|_| args.ladder.is_some())
        .unwrap_or(0);
    let latency = shared.step_latency(best);
    let figures = &figures[best];
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    let (first_drop, last_resume) = (
        shared.first_drop_us.load(Ordering::Relaxed),
        shared.last_resume_us.load(Ordering::Relaxed),
    );
    Ok(Report {
        label: args.label.clone(),
        workload: args.workload.clone(),
        protocol: args.protocol,
        clients: args.clients,
        senders,
        stalled,
        rooms,
        rate: figures.rate,
        connect_secs,
        sent,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated: shared.duplicated.load(Ordering::Relaxed),
        refused: shared.refused.load(Ordering::Relaxed),
        dropped: shared.dropped.load(Ordering::Relaxed),
        resuming: args.reconnect,
        reconnects: shared.reconnects.load(Ordering::Relaxed),
        reloads: shared.reloads.load(Ordering::Relaxed),
        resumed_within_secs: (last_resume >= first_drop && first_drop != u64::MAX)
            .then(|| (last_resume - first_drop) as f64 / 1e6),
        deliveries_per_sec: latency.len() as f64 / args.duration,
        server_cpu_secs: figures.cpu,
        deliveries_per_cpu_sec: figures
            .cpu
            .filter(|c| *c > 0.0)
            .map(|c| latency.len() as f64 / c),
        server_rss_kib: figures.rss_kib,
        server_rss_before_kib: rss_before,
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: latency.max() as f64 / 1000.0,
        p99_limit_ms: args.ladder.is_some().then_some(args.p99_limit),
        steps: if args.ladder.is_some() {
            steps
        } else {
            Vec::new()
        },
    })
}

/// How long after a step's window its last deliveries are waited for before it is judged.
const STRAGGLERS: Duration = Duration::from_millis(700);

fn step_report(figures: &StepFigures, latency: &Histogram<u64>, args: &Args) -> StepReport {
    let deliveries_per_sec = latency.len() as f64 / args.duration;
    let p99_ms = latency.value_at_quantile(0.99) as f64 / 1000.0;
    StepReport {
        rate: figures.rate,
        offered: figures.offered,
        deliveries_per_sec,
        deliveries_per_cpu_sec: figures
            .cpu
            .filter(|c| *c > 0.0)
            .map(|c| latency.len() as f64 / c),
        p99_ms,
        passed: p99_ms <= args.p99_limit && deliveries_per_sec >= 0.95 * figures.offered,
    }
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
                && report.dropped == 0
                && report.reloads == 0
                && (!report.resuming || report.reconnects > 0);
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
