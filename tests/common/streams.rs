//! Numbered streams through links that keep being cut, and the server as a process of
//! its own: the machinery of the lossless suites (tests/delivery.rs, tests/cluster.rs).

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    process::Stdio,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chat::{
    protocol::{
        ChatMessage, ClientMsg, ClientMsgId, ConversationId, Cursor, MessageBody, Seq, ServerMsg,
    },
    server::Config,
};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

use super::{
    connect_at, next_msg, proxy::Proxy, recv_until, send, try_connect_at, Client, Tab, PATIENCE,
};

/// Numbered messages each receiver must get.
pub const STREAM: u64 = 1000;
/// Connection cuts, across all receivers, while the stream is on.
pub const MIN_CUTS: usize = 200;
/// How long a whole stream may take before the test fails.
pub const STREAM_DEADLINE: Duration = Duration::from_secs(120);

/// No rate limit in the way of a stream, and no gap too long to replay.
pub fn streaming(config: Config) -> Config {
    Config {
        sends_per_second: 1_000_000,
        send_burst: 1_000_000,
        resume_max_gap: 1_000_000,
        resume_max_bytes: 64 << 20,
        ..config
    }
}

/// `resume` with one cursor: `seq` is the newest message held of `conversation`.
pub fn resume_from(token: &str, conversation: ConversationId, seq: Seq) -> ClientMsg {
    ClientMsg::Resume {
        token: token.into(),
        cursors: vec![Cursor { conversation, seq }],
    }
}

pub fn send_msg(conversation: ConversationId, client_id: String, text: String) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: ClientMsgId(client_id),
        text,
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// The number a streamed message carries at the start of its text.
pub fn number(message: &ChatMessage) -> Option<u64> {
    match &message.body {
        MessageBody::Text { text } => text.split_whitespace().next()?.parse().ok(),
        _ => None,
    }
}

/// What one client ended up with, against what was sent.
pub struct Tally {
    pub sent: u64,
    pub received: usize,
    pub lost: u64,
    pub duplicated: usize,
    pub out_of_order: usize,
}

impl Tally {
    /// `numbers` as they arrived, duplicates included.
    pub fn of(sent: u64, numbers: &[u64]) -> Self {
        let mut counts = BTreeMap::new();
        for n in numbers {
            *counts.entry(*n).or_insert(0usize) += 1;
        }
        Tally {
            sent,
            received: numbers.len(),
            lost: (0..sent).filter(|n| !counts.contains_key(n)).count() as u64,
            duplicated: counts.values().map(|c| c - 1).sum(),
            out_of_order: numbers.windows(2).filter(|w| w[1] <= w[0]).count(),
        }
    }

    pub fn assert_exact(&self, who: &str) {
        println!(
            "{who}: sent {}, received {}, lost {}, duplicated {}, out of order {}",
            self.sent, self.received, self.lost, self.duplicated, self.out_of_order
        );
        assert_eq!(
            (self.lost, self.duplicated, self.out_of_order),
            (0, 0, 0),
            "{who}: every number exactly once, in order"
        );
        assert_eq!(self.received as u64, self.sent, "{who}");
    }
}

/// A client that follows one conversation through a proxy that keeps cutting it, and
/// resumes from its cursor each time, as the web client does.
pub struct Receiver {
    pub name: String,
    pub token: String,
    pub conversation: ConversationId,
    pub proxy: Arc<Proxy>,
    /// Streamed numbers in the order they arrived, duplicates included.
    pub numbers: Vec<u64>,
    /// The same numbers, each once.
    pub distinct: std::collections::HashSet<u64>,
    pub cursor: Seq,
    pub connections: usize,
    pub reloads: usize,
    /// Messages whose sequence number did not follow the cursor.
    pub gaps: usize,
}

impl Receiver {
    pub fn distinct(&self) -> usize {
        self.distinct.len()
    }

    pub fn take(&mut self, message: ChatMessage) {
        if message.conversation != self.conversation {
            return;
        }
        if message.seq != self.cursor + 1 {
            self.gaps += 1;
        }
        self.cursor = self.cursor.max(message.seq);
        if let Some(n) = number(&message) {
            self.numbers.push(n);
            self.distinct.insert(n);
        }
    }

    pub async fn run(mut self, expected: u64) -> Self {
        let deadline = Instant::now() + STREAM_DEADLINE;
        while (self.distinct() as u64) < expected {
            assert!(
                Instant::now() < deadline,
                "{}: {} of {expected} after {STREAM_DEADLINE:?}",
                self.name,
                self.distinct()
            );
            let Ok(mut ws) = try_connect_at(self.proxy.addr).await else {
                continue;
            };
            self.connections += 1;
            // From the start (0) the first time: the stream may have begun already.
            let resume = resume_from(&self.token, self.conversation, self.cursor);
            if ws.send(Message::text(resume.to_json())).await.is_err() {
                continue;
            }
            // Until the link is cut (a read error, often in the middle of a frame).
            while let Ok(Some(Ok(frame))) = tokio::time::timeout(PATIENCE, ws.next()).await {
                let Message::Text(text) = frame else {
                    continue;
                };
                let msg: ServerMsg = serde_json::from_str(text.as_str())
                    .unwrap_or_else(|e| panic!("a whole frame that is not a message: {e}"));
                match msg {
                    ServerMsg::Message { message } => self.take(message),
                    ServerMsg::Replay { messages, .. } => {
                        for message in messages {
                            self.take(message);
                        }
                    }
                    ServerMsg::Reload { .. } => self.reloads += 1,
                    _ => {}
                }
                if self.distinct() as u64 >= expected {
                    break;
                }
            }
        }
        self
    }
}

/// Sends `STREAM` numbered messages to each conversation (interleaved), pacing
/// itself so that the cuts happen all along the stream; returns how many acks came.
pub async fn stream(
    client: Client,
    conversations: Vec<ConversationId>,
    cuts: impl Fn() -> usize,
    ahead: usize,
) -> usize {
    let total = STREAM as usize * conversations.len();
    let (mut sink, mut stream) = client.split();
    let acks = tokio::spawn(async move {
        let mut acks = std::collections::HashSet::new();
        while acks.len() < total {
            match tokio::time::timeout(STREAM_DEADLINE, stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if let Ok(ServerMsg::Ack { client_id, .. }) = serde_json::from_str(&text) {
                        acks.insert(client_id);
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("the sender's link failed: {other:?}"),
            }
        }
        acks.len()
    });
    for i in 0..STREAM {
        // At least MIN_CUTS over the whole stream, spread along it, paced on cuts done
        // but a few `ahead` (a cut waits for the server's next bytes, so the stream must
        // not wait for every cut). The last message waits for all of them: the receivers
        // are still connected then, waiting for it, so the cuts can happen.
        let needed = if i + 1 == STREAM {
            MIN_CUTS
        } else {
            (i as usize * MIN_CUTS)
                .div_ceil(STREAM as usize)
                .saturating_sub(ahead)
        };
        while cuts() < needed {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for conversation in &conversations {
            let msg = send_msg(*conversation, format!("n{conversation}-{i}"), i.to_string());
            sink.send(Message::text(msg.to_json())).await.unwrap();
        }
    }
    acks.await.unwrap()
}

/// Streams `STREAM` numbers to each receiver's conversation while a cutter keeps
/// cutting the receivers' links at random moments (each new link to the next of
/// `servers`); every receiver must end with every
/// number exactly once, in order.
pub async fn stream_through_cuts(
    label: &str,
    servers: &[SocketAddr],
    sender: Tab,
    receivers: Vec<(Tab, ConversationId)>,
) {
    let mut proxies = Vec::new();
    let mut tasks = Vec::new();
    let mut conversations = Vec::new();
    for (tab, conversation) in receivers {
        // Each reconnect goes to the next server of `servers`.
        let proxy = Arc::new(Proxy::round_robin(servers.to_vec()).await);
        proxies.push(proxy.clone());
        if !conversations.contains(&conversation) {
            conversations.push(conversation);
        }
        let receiver = Receiver {
            name: format!("{label}, receiver {}", tab.me.nickname),
            token: tab.token.clone(),
            conversation,
            proxy,
            numbers: Vec::new(),
            distinct: Default::default(),
            cursor: 0,
            connections: 0,
            reloads: 0,
            gaps: 0,
        };
        drop(tab.client);
        tasks.push(tokio::spawn(receiver.run(STREAM)));
    }

    let streaming = Arc::new(AtomicBool::new(true));
    let cutter = {
        let (proxies, streaming) = (proxies.clone(), streaming.clone());
        tokio::spawn(async move {
            // The stream ends only after MIN_CUTS (see `stream`); after it, receivers
            // that have everything leave, and there may be nothing left to cut.
            while streaming.load(Ordering::SeqCst) {
                let pause = rand::rng().random_range(1..8);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let victim = rand::rng().random_range(0..proxies.len());
                proxies[victim].cut_all();
            }
        })
    };
    let counted = proxies.clone();
    let total_cuts = move || counted.iter().map(|p| p.cuts()).sum::<usize>();
    let ahead = 2 * proxies.len();
    let acked = stream(
        sender.client,
        conversations.clone(),
        total_cuts.clone(),
        ahead,
    )
    .await;
    streaming.store(false, Ordering::SeqCst);
    cutter.await.unwrap();

    let expected_acks = STREAM as usize * conversations.len();
    println!("{label}: sender: sent {expected_acks}, acknowledged {acked}");
    assert_eq!(acked, expected_acks);
    let mut connections = 0;
    for task in tasks {
        let r = task.await.unwrap();
        Tally::of(STREAM, &r.numbers).assert_exact(&r.name);
        assert_eq!((r.gaps, r.reloads), (0, 0), "{}: gaps, reloads", r.name);
        connections += r.connections;
    }
    let mid_frame: usize = proxies.iter().map(|p| p.mid_frame_cuts()).sum();
    println!(
        "{label}: {} cuts ({mid_frame} mid-frame), {connections} connections",
        total_cuts()
    );
    assert!(total_cuts() >= MIN_CUTS);
    // How many land inside a frame depends on timing (a cut waits up to 200 ms for
    // bytes in flight); some always do.
    assert!(mid_frame > 0, "no cut landed inside a frame");
}

pub async fn joined_room(client: &mut Client, name: &str) -> ConversationId {
    recv_until(client, |m| match m {
        ServerMsg::Joined { conversation } => match &conversation.kind {
            chat::protocol::ConversationKind::Room { name: n, .. } if n == name => {
                Some(conversation.id)
            }
            _ => None,
        },
        _ => None,
    })
    .await
}

/// The server binary, run as its own process on a database file.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// Like [`ServerProcess::start`], with more settings (`CHAT_…` variables).
    pub async fn start_with(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chat"))
            .envs(settings.iter().copied())
            .env("CHAT_LISTEN_ADDR", "127.0.0.1:0")
            .env("CHAT_DATABASE_URL", database_url)
            .env("CHAT_SENDS_PER_SECOND", "1000000")
            .env("CHAT_SEND_BURST", "1000000")
            .env("CHAT_RESUME_MAX_GAP", "1000000")
            .env("CHAT_RESUME_MAX_BYTES", "67108864")
            .env("RUST_LOG", "warn,chat=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = tokio::time::timeout(PATIENCE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.split("listening on http://").nth(1) {
                    return at.trim().parse::<SocketAddr>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("the server says where it listens");
        // Keep reading its log so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, addr }
    }

    pub async fn kill(mut self) {
        self.child.start_kill().unwrap(); // SIGKILL
        self.child.wait().await.unwrap();
    }
}

/// Every streamed number of a conversation, replayed from the start on a new connection.
pub async fn replay_all(addr: SocketAddr, token: &str, conversation: ConversationId) -> Vec<u64> {
    let mut client = connect_at(addr).await;
    send(&mut client, &resume_from(token, conversation, 0)).await;
    let last = recv_until(&mut client, |m| match m {
        ServerMsg::Ready { conversations, .. } => conversations
            .iter()
            .find(|c| c.id == conversation)
            .map(|c| c.last_seq),
        _ => None,
    })
    .await;
    let mut numbers = Vec::new();
    let mut seq = 0;
    while seq < last {
        if let ServerMsg::Replay { messages, .. } = next_msg(&mut client).await {
            for m in messages {
                seq = m.seq;
                numbers.extend(number(&m));
            }
        }
    }
    numbers
}

/// Streams `STREAM` numbered messages (client ids `k<n>`) into `conversation`, 300 µs
/// apart, until the link fails; kills `server` once `acks_first` acks are in, whatever is
/// in flight. Returns how many were sent, and the numbers acknowledged before the kill.
pub async fn stream_until_killed(
    client: Client,
    conversation: ConversationId,
    acks_first: usize,
    server: ServerProcess,
) -> (u64, Vec<u64>) {
    let (mut sink, mut stream) = client.split();
    let acked = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let reader = {
        let acked = acked.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                if let Message::Text(text) = frame {
                    if let Ok(ServerMsg::Ack { client_id, .. }) = serde_json::from_str(&text) {
                        let n = client_id.0.trim_start_matches('k').parse().unwrap();
                        acked.lock().unwrap().push(n);
                    }
                }
            }
        })
    };
    let writer = tokio::spawn(async move {
        let mut sent = 0u64;
        for i in 0..STREAM {
            let msg = send_msg(conversation, format!("k{i}"), i.to_string());
            if sink.send(Message::text(msg.to_json())).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_micros(300)).await;
        }
        sent
    });
    while acked.lock().unwrap().len() < acks_first {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill().await;
    let sent = writer.await.unwrap();
    reader.await.unwrap();
    let acked_before = acked.lock().unwrap().clone();
    (sent, acked_before)
}

/// Opens a private conversation from `sender` to `peer`: its id.
pub async fn open_direct_with(sender: &mut Tab, peer: chat::protocol::UserId) -> ConversationId {
    send(&mut sender.client, &ClientMsg::OpenDirect { user: peer }).await;
    recv_until(&mut sender.client, |m| match m {
        ServerMsg::Joined { conversation } => Some(conversation.id),
        _ => None,
    })
    .await
}
