//! What a run measured, and how it is read off the server and printed.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::Protocol;

/// What one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub label: String,
    pub workload: String,
    pub protocol: Protocol,
    pub clients: usize,
    pub senders: usize,
    /// Clients that stopped reading when the sending started (not counted as receivers).
    pub stalled: usize,
    pub rooms: usize,
    pub rate: f64,
    pub connect_secs: f64,
    /// Messages sent during the whole run (warm-up and window).
    pub sent: u64,
    /// Deliveries expected for them: one per other member of the sender's room.
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    /// Sends the server refused (ours: rate_limited and other errors).
    pub refused: u64,
    /// Connections that ended before the run did (resuming: and did not come back).
    pub dropped: u64,
    /// The clients resumed after their connection dropped (`--reconnect`).
    pub resuming: bool,
    /// Resuming clients: connections brought back by `resume`.
    pub reconnects: u64,
    /// Resuming clients: `reload`s received (a gap the server would not replay).
    pub reloads: u64,
    /// Resuming clients: from the first connection dropped to the last one resumed.
    pub resumed_within_secs: Option<f64>,
    /// Deliveries received within the measured window, per second.
    pub deliveries_per_sec: f64,
    /// Server CPU seconds (user + system) over the window.
    pub server_cpu_secs: Option<f64>,
    pub deliveries_per_cpu_sec: Option<f64>,
    pub server_rss_kib: Option<u64>,
    /// The server's RSS before the clients connected.
    pub server_rss_before_kib: Option<u64>,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// A ladder's p99 mark, and its steps (the figures above are its best step's).
    pub p99_limit_ms: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepReport>,
}

/// One step of a ladder.
#[derive(Debug, Serialize)]
pub struct StepReport {
    /// Messages per second per sender.
    pub rate: f64,
    /// Deliveries per second that rate asks for.
    pub offered: f64,
    pub deliveries_per_sec: f64,
    pub deliveries_per_cpu_sec: Option<f64>,
    pub p99_ms: f64,
    /// Within the p99 mark, and 95% of what was offered delivered.
    pub passed: bool,
}

pub fn new_histogram() -> Histogram<u64> {
    // 1 µs to 100 s, 3 significant digits.
    Histogram::new_with_bounds(1, 100_000_000, 3).unwrap_or_else(|_| Histogram::new(3).unwrap())
}

/// The processes whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = &stat[stat.rfind(')')? + 2..];
                    rest.split(' ').nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// Reads `utime + stime` (seconds) and VmRSS (KiB) of a process.
pub fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
    // Linux reports times in USER_HZ, 100 per second on every architecture it runs here.
    Some((ticks / 100.0, rss))
}

pub fn print_report(r: &Report) {
    let opt = |v: Option<f64>, unit: &str| v.map_or("-".into(), |v| format!("{v:.0}{unit}"));
    println!(
        "{} {}: {} clients ({} senders at {}/s) in {} room(s), connected in {:.2} s",
        r.label, r.workload, r.clients, r.senders, r.rate, r.rooms, r.connect_secs
    );
    println!(
        "  deliveries/s {:.0}, per server CPU-second {}, server RSS {}",
        r.deliveries_per_sec,
        opt(r.deliveries_per_cpu_sec, ""),
        r.server_rss_kib
            .map_or("-".into(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
    );
    println!(
        "  latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms
    );
    println!(
        "  sent {}, expected {}, delivered {}, lost {}, duplicated {}, refused {}, dropped connections {}, stalled readers {}",
        r.sent, r.expected, r.delivered, r.lost, r.duplicated, r.refused, r.dropped, r.stalled
    );
    if r.reconnects > 0 || r.reloads > 0 {
        println!(
            "  resumed connections {}, reloads {}, all back within {}",
            r.reconnects,
            r.reloads,
            r.resumed_within_secs
                .map_or("-".into(), |s| format!("{s:.2} s"))
        );
    }
    for s in &r.steps {
        println!(
            "  step {}/s: {:.0} deliveries/s of {:.0} offered, per server CPU-second {}, p99 {:.2} ms{}",
            s.rate,
            s.deliveries_per_sec,
            s.offered,
            opt(s.deliveries_per_cpu_sec, ""),
            s.p99_ms,
            if s.passed { "" } else { " (missed)" }
        );
    }
}
