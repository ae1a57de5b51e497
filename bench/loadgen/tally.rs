//! What the clients of a run share (the measured windows, the counters) and what each
//! receiver keeps of its own (the messages it has seen, latencies not yet handed in).

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Mutex,
    },
};

use hdrhistogram::Histogram;
use tokio::time::Instant;

use super::report::new_histogram;
use super::wire::{now_us, parse_payload};

/// What the senders are told: send `rate` messages a second until `until`.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    pub rate: f64,
    pub until: Instant,
}

/// Counters and windows shared by every client of the run.
pub struct Shared {
    /// Receive times inside [window_start, window_end] (µs since the epoch) count
    /// towards step `window_step`.
    window_start: AtomicU64,
    window_end: AtomicU64,
    window_step: AtomicUsize,
    /// Latency of every delivery in each step's window.
    steps: Vec<Mutex<Histogram<u64>>>,
    /// Messages sent to each room (counted when made, resent or not).
    pub sent_per_room: Vec<AtomicU64>,
    /// Messages of others each receiver got exactly once, summed; and their duplicates.
    pub delivered: AtomicU64,
    pub duplicated: AtomicU64,
    pub refused: AtomicU64,
    /// Connections that ended before the run did (and, resuming, did not come back).
    pub dropped: AtomicU64,
    /// The senders have started (stalled clients stop reading).
    pub sending: AtomicBool,
    pub stop: AtomicBool,
    /// Resuming clients: connections brought back, `reload`s received, when the first
    /// connection dropped and when the last one was back (µs since the epoch).
    pub reconnects: AtomicU64,
    pub reloads: AtomicU64,
    pub first_drop_us: AtomicU64,
    pub last_resume_us: AtomicU64,
}

impl Shared {
    pub fn new(steps: usize, rooms: usize) -> Self {
        Self {
            window_start: AtomicU64::new(u64::MAX),
            window_end: AtomicU64::new(u64::MAX),
            window_step: AtomicUsize::new(0),
            steps: (0..steps.max(1))
                .map(|_| Mutex::new(new_histogram()))
                .collect(),
            sent_per_room: (0..rooms).map(|_| AtomicU64::new(0)).collect(),
            delivered: AtomicU64::new(0),
            duplicated: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            sending: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            first_drop_us: AtomicU64::new(u64::MAX),
            last_resume_us: AtomicU64::new(0),
        }
    }

    /// From now on, deliveries received in [start, end] count towards `step`.
    pub fn open_window(&self, step: usize, start: u64, end: u64) {
        self.window_start.store(u64::MAX, Ordering::SeqCst);
        self.window_step.store(step, Ordering::SeqCst);
        self.window_end.store(end, Ordering::SeqCst);
        self.window_start.store(start, Ordering::SeqCst);
    }

    /// The latencies a step's window has collected so far.
    pub fn step_latency(&self, step: usize) -> Histogram<u64> {
        self.steps
            .get(step)
            .and_then(|h| h.lock().ok().map(|h| h.clone()))
            .unwrap_or_else(new_histogram)
    }

    /// A receiver's last word: what it got, and its waiting latencies.
    pub fn hand_in(&self, tally: &mut Tally) {
        tally.flush(self);
        self.delivered
            .fetch_add(tally.seen.len() as u64, Ordering::Relaxed);
        self.duplicated
            .fetch_add(tally.duplicated, Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Latencies are handed to the shared histograms in batches of this many, or when the
/// oldest waiting one is this old (so a step can be judged soon after its window).
const BATCH: usize = 1024;
const BATCH_AGE_US: u64 = 250_000;

/// One receiver's tally.
pub struct Tally {
    me: usize,
    seen: HashSet<(usize, u64)>,
    duplicated: u64,
    /// (step, latency µs) not yet handed in.
    waiting: Vec<(usize, u64)>,
    oldest_waiting_us: u64,
}

impl Tally {
    pub fn new(me: usize) -> Self {
        Self {
            me,
            seen: HashSet::new(),
            duplicated: 0,
            waiting: Vec::new(),
            oldest_waiting_us: 0,
        }
    }

    pub fn take(&mut self, text: &str, shared: &Shared) {
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
        let start = shared.window_start.load(Ordering::Relaxed);
        if now >= start && now <= shared.window_end.load(Ordering::Relaxed) {
            if self.waiting.is_empty() {
                self.oldest_waiting_us = now;
            }
            let step = shared.window_step.load(Ordering::Relaxed);
            self.waiting
                .push((step, now.saturating_sub(sent_us).max(1)));
        }
        if self.waiting.len() >= BATCH
            || (!self.waiting.is_empty() && now - self.oldest_waiting_us.min(now) > BATCH_AGE_US)
        {
            self.flush(shared);
        }
    }

    /// Hands the waiting latencies to the shared histograms.
    pub fn flush(&mut self, shared: &Shared) {
        let mut waiting = self.waiting.drain(..).peekable();
        while let Some((step, first)) = waiting.next() {
            let Some(histogram) = shared.steps.get(step) else {
                continue;
            };
            let mut h = histogram.lock().unwrap_or_else(|e| e.into_inner());
            let _ = h.record(first);
            while let Some((_, latency)) = waiting.next_if(|(s, _)| *s == step) {
                let _ = h.record(latency);
            }
        }
    }
}
