//! A client that keeps its one connection: a reader that tallies what arrives and a
//! writer that sends at the pace the current phase sets (and answers engine.io pings).

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
    time::{Instant, Interval},
};
use tokio_tungstenite::tungstenite::Message;

use super::tally::{Phase, Shared, Tally};
use super::wire::{encode_send, now_us, payload, received, Client, Received};
use super::{Args, Protocol};

/// The sending schedule of client `i` at `rate` a second: senders start spread over
/// one period, not all at the same instant.
pub fn schedule(i: usize, rate: f64) -> Interval {
    let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let offset = period.mul_f64((i as f64 * 0.618_034) % 1.0);
    tokio::time::interval_at(Instant::now() + offset, period)
}

/// When a tick scheduled at `at` was due, in µs since the epoch (a message made late,
/// after a reconnect, carries the time it was due, so its latency counts the wait).
pub fn due_us(at: Instant) -> u64 {
    now_us().saturating_sub(Instant::now().saturating_duration_since(at).as_micros() as u64)
}

/// Starts a connected client's reader (at once) and writer.
pub fn drive(
    client: Client,
    i: usize,
    is_sender: bool,
    is_stalled: bool,
    args: &Args,
    shared: Arc<Shared>,
    mut phases: watch::Receiver<Option<Phase>>,
) -> [JoinHandle<()>; 2] {
    let (mut sink, mut stream) = client.socket.split();
    let (control_tx, mut control_rx) = mpsc::channel::<String>(16);
    let (conversation, room) = (client.conversation, client.room);
    let (protocol, size) = (args.protocol, args.size);
    let writer_shared = shared.clone();
    let writer = tokio::spawn(async move {
        let mut phase: Option<Phase> = None;
        let mut tick = schedule(i, 1.0);
        let mut phases_open = true;
        let mut n = 0u64;
        loop {
            let sending = is_sender && phase.is_some_and(|p| Instant::now() < p.until);
            tokio::select! {
                answer = control_rx.recv() => {
                    // Closed when the reader is done: so is the writer.
                    let Some(answer) = answer else { break };
                    if sink.send(Message::text(answer)).await.is_err() { break }
                }
                changed = phases.changed(), if phases_open => {
                    if changed.is_err() {
                        phases_open = false;
                        continue;
                    }
                    phase = *phases.borrow_and_update();
                    if let Some(p) = phase {
                        tick = schedule(i, p.rate);
                    }
                }
                at = tick.tick(), if sending => {
                    if phase.is_none_or(|p| at >= p.until) { continue }
                    let text = payload(i, n, due_us(at), size);
                    let frame = encode_send(protocol, conversation, &format!("{i}-{n}"), text);
                    if sink.send(Message::text(frame)).await.is_err() { break }
                    writer_shared.sent_per_room[room].fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            }
        }
    });
    let reader = tokio::spawn(async move {
        let mut tally = Tally::new(i);
        loop {
            if is_stalled && shared.sending.load(Ordering::Relaxed) {
                // Holds the socket, reads nothing: what the server does about it is the test.
                while !shared.stopping() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                break;
            }
            let frame = tokio::select! {
                frame = stream.next() => frame,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if shared.stopping() { break }
                    tally.flush(&shared);
                    continue;
                }
            };
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(close))) => {
                    if !shared.stopping() {
                        eprintln!("loadgen: client {i} closed by the server: {close:?}");
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    break;
                }
                None | Some(Err(_)) => {
                    if !shared.stopping() {
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
                Received::Messages(messages) => {
                    for text in messages.iter().filter_map(|m| m.text.as_deref()) {
                        tally.take(text, &shared);
                    }
                }
                Received::Refused => {
                    shared.refused.fetch_add(1, Ordering::Relaxed);
                }
                Received::Reload => {
                    shared.reloads.fetch_add(1, Ordering::Relaxed);
                }
                Received::Ack(_) | Received::Other => {}
            }
        }
        drop(control_tx);
        shared.hand_in(&mut tally);
    });
    [writer, reader]
}
