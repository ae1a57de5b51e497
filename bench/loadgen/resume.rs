//! A client of our protocol that behaves as the browser's does when its link drops
//! (W8, a server restart under load): it reconnects with the same backoff (full
//! jitter, doubling from 0.5 s), resumes its session from its cursor, and sends again
//! whatever it sent that was not acknowledged, under the same client ids. Messages it
//! makes while offline wait in its outbox and go out, in order, once it is back.

use std::{collections::VecDeque, sync::atomic::Ordering, sync::Arc, time::Duration};

use chat::{
    client::backoff::reconnect_delay_ms,
    protocol::{ConversationId, Seq},
};
use futures::{SinkExt, StreamExt};
use tokio::{sync::watch, task::JoinHandle, time::Instant};
use tokio_tungstenite::tungstenite::Message;

use super::client::{due_us, schedule};
use super::tally::{Phase, Shared, Tally};
use super::wire::{
    encode_send, now_us, payload, received, resume, Client, Received, ResumeError, Socket,
};
use super::{Args, Protocol};

/// How a connection ended.
enum Ended {
    /// The run is over.
    Stopped,
    /// The link dropped (closed by the server, cut, or failed): resume.
    Dropped,
}

/// One client's session, across its connections.
struct Session {
    i: usize,
    room: usize,
    conversation: ConversationId,
    token: String,
    /// The newest message of the room this client has.
    cursor: Seq,
    /// Sent (or made while offline) and not yet acknowledged: (client id, frame).
    outbox: VecDeque<(String, String)>,
    next_n: u64,
    tally: Tally,
}

pub fn drive(
    client: Client,
    i: usize,
    is_sender: bool,
    args: &Args,
    shared: Arc<Shared>,
    mut phases: watch::Receiver<Option<Phase>>,
) -> Result<JoinHandle<()>, String> {
    let (Some(conversation), Some(token)) = (client.conversation, client.token.clone()) else {
        return Err(format!("client {i}: no session to resume"));
    };
    let (addr, size) = (args.addr_of(i).to_string(), args.size);
    let mut session = Session {
        i,
        room: client.room,
        conversation,
        token,
        cursor: client.seq,
        outbox: VecDeque::new(),
        next_n: 0,
        tally: Tally::new(i),
    };
    let mut socket = client.socket;
    Ok(tokio::spawn(async move {
        let mut phase: Option<Phase> = None;
        let mut tick = schedule(i, 1.0);
        loop {
            let ended = session
                .connected(
                    &mut socket,
                    &shared,
                    &mut phases,
                    &mut phase,
                    &mut tick,
                    is_sender,
                    size,
                )
                .await;
            if matches!(ended, Ended::Stopped) {
                break;
            }
            shared.first_drop_us.fetch_min(now_us(), Ordering::Relaxed);
            drop(socket); // closed now, not when the next one is up
            match session.come_back(&addr, &shared).await {
                Some(back) => socket = back,
                None => break,
            }
        }
        shared.hand_in(&mut session.tally);
    }))
}

impl Session {
    /// Runs one connection until it drops or the run ends.
    #[allow(clippy::too_many_arguments)]
    async fn connected(
        &mut self,
        socket: &mut Socket,
        shared: &Shared,
        phases: &mut watch::Receiver<Option<Phase>>,
        phase: &mut Option<Phase>,
        tick: &mut tokio::time::Interval,
        is_sender: bool,
        size: usize,
    ) -> Ended {
        let mut phases_open = true;
        loop {
            let sending = is_sender && phase.is_some_and(|p| Instant::now() < p.until);
            tokio::select! {
                frame = socket.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(_)) => continue,
                        None | Some(Err(_)) => {
                            return if shared.stopping() { Ended::Stopped } else { Ended::Dropped };
                        }
                    };
                    self.receive(text.as_str(), shared);
                }
                changed = phases.changed(), if phases_open => {
                    if changed.is_err() {
                        phases_open = false;
                        continue;
                    }
                    *phase = *phases.borrow_and_update();
                    if let Some(p) = phase {
                        *tick = schedule(self.i, p.rate);
                    }
                }
                // Ticks missed while offline fire at once on return: those messages
                // were "typed" meanwhile and waited in the outbox.
                at = tick.tick(), if sending => {
                    if phase.is_none_or(|p| at >= p.until) { continue }
                    let n = self.next_n;
                    self.next_n += 1;
                    let client_id = format!("{}-{n}", self.i);
                    let text = payload(self.i, n, due_us(at), size);
                    let frame = encode_send(Protocol::Chat, Some(self.conversation), &client_id, text);
                    shared.sent_per_room[self.room].fetch_add(1, Ordering::Relaxed);
                    self.outbox.push_back((client_id, frame.clone()));
                    if socket.send(Message::text(frame)).await.is_err() {
                        return Ended::Dropped;
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if shared.stopping() { return Ended::Stopped }
                    self.tally.flush(shared);
                }
            }
        }
    }

    fn receive(&mut self, frame: &str, shared: &Shared) {
        match received(Protocol::Chat, frame) {
            Received::Messages(messages) => {
                for m in messages {
                    if let Some((conversation, seq)) = m.position {
                        if conversation == self.conversation {
                            self.cursor = self.cursor.max(seq);
                        }
                    }
                    if let Some(text) = m.text.as_deref() {
                        self.tally.take(text, shared);
                    }
                }
            }
            Received::Ack(client_id) => {
                if let Some(at) = self.outbox.iter().position(|(id, _)| *id == client_id) {
                    self.outbox.remove(at);
                }
            }
            Received::Refused => {
                shared.refused.fetch_add(1, Ordering::Relaxed);
            }
            Received::Reload => {
                shared.reloads.fetch_add(1, Ordering::Relaxed);
            }
            Received::Other => {}
        }
    }

    /// Reconnects with the browser client's backoff, resumes from the cursor and sends
    /// the outbox again; `None` if the run ended first or the session was refused.
    async fn come_back(&mut self, addr: &str, shared: &Shared) -> Option<Socket> {
        let mut attempt = 0;
        let mut socket = loop {
            attempt += 1;
            let delay = reconnect_delay_ms(attempt, rand::random::<f64>());
            let wake = Instant::now() + Duration::from_millis(delay.into());
            while Instant::now() < wake {
                if shared.stopping() {
                    return None;
                }
                tokio::time::sleep_until(wake.min(Instant::now() + Duration::from_millis(200)))
                    .await;
            }
            match resume(addr, &self.token, self.conversation, self.cursor).await {
                Ok(socket) => break socket,
                Err(ResumeError::Retry) => continue,
                Err(ResumeError::Refused(why)) => {
                    eprintln!("loadgen: client {} could not resume: {why}", self.i);
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
        };
        shared.reconnects.fetch_add(1, Ordering::Relaxed);
        shared.last_resume_us.fetch_max(now_us(), Ordering::Relaxed);
        for (_, frame) in &self.outbox {
            if socket.send(Message::text(frame.clone())).await.is_err() {
                break; // dropped again: the next connection sends them
            }
        }
        Some(socket)
    }
}
