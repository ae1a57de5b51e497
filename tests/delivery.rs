//! Nothing lost, nothing twice: the real server and real WebSocket clients under
//! broken links (a TCP proxy of the test's own cuts them mid-frame), a killed server
//! process, a client that stops reading, and a peer that vanishes.
//!
//! Each test prints its counts (sent, received, lost, duplicated) so a reader of the
//! output sees the zeros; `scripts/test.sh` shows them with `--show-output`.

mod common;

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
        close_code, ChatMessage, ClientMsg, ClientMsgId, ConversationId, Cursor, MessageBody, Seq,
        ServerMsg, WS_PATH,
    },
    server::Config,
};
use common::{proxy::Proxy, *};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// Numbered messages each receiver must get.
const STREAM: u64 = 1000;
/// Connection cuts, across all receivers, while the stream is on.
const MIN_CUTS: usize = 200;
/// How long a whole stream may take before the test fails.
const STREAM_DEADLINE: Duration = Duration::from_secs(120);

/// No rate limit in the way of a stream, and no gap too long to replay.
fn streaming(config: Config) -> Config {
    Config {
        sends_per_second: 1_000_000,
        send_burst: 1_000_000,
        resume_max_gap: 1_000_000,
        resume_max_bytes: 64 << 20,
        ..config
    }
}

/// `resume` with one cursor: `seq` is the newest message held of `conversation`.
fn resume_from(token: &str, conversation: ConversationId, seq: Seq) -> ClientMsg {
    ClientMsg::Resume {
        token: token.into(),
        cursors: vec![Cursor { conversation, seq }],
    }
}

fn send_msg(conversation: ConversationId, client_id: String, text: String) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: ClientMsgId(client_id),
        text,
    }
}

/// The number a streamed message carries at the start of its text.
fn number(message: &ChatMessage) -> Option<u64> {
    match &message.body {
        MessageBody::Text { text } => text.split_whitespace().next()?.parse().ok(),
        _ => None,
    }
}

/// What one client ended up with, against what was sent.
struct Tally {
    sent: u64,
    received: usize,
    lost: u64,
    duplicated: usize,
    out_of_order: usize,
}

impl Tally {
    /// `numbers` as they arrived, duplicates included.
    fn of(sent: u64, numbers: &[u64]) -> Self {
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

    fn assert_exact(&self, who: &str) {
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
struct Receiver {
    name: String,
    token: String,
    conversation: ConversationId,
    proxy: Arc<Proxy>,
    /// Streamed numbers in the order they arrived, duplicates included.
    numbers: Vec<u64>,
    /// The same numbers, each once.
    distinct: std::collections::HashSet<u64>,
    cursor: Seq,
    connections: usize,
    reloads: usize,
    /// Messages whose sequence number did not follow the cursor.
    gaps: usize,
}

impl Receiver {
    fn distinct(&self) -> usize {
        self.distinct.len()
    }

    fn take(&mut self, message: ChatMessage) {
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

    async fn run(mut self, expected: u64) -> Self {
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
async fn stream(
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
/// cutting the receivers' links at random moments; every receiver must end with every
/// number exactly once, in order.
async fn stream_through_cuts(
    label: &str,
    server: &TestServer,
    sender: Tab,
    receivers: Vec<(Tab, ConversationId)>,
) {
    let mut proxies = Vec::new();
    let mut tasks = Vec::new();
    let mut conversations = Vec::new();
    for (tab, conversation) in receivers {
        let proxy = Arc::new(Proxy::start(server.addr).await);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_stream_reaches_every_receiver_exactly_once_through_200_cuts() {
    let db = TestDb::new();
    let server = TestServer::start(streaming(db.config())).await;
    let mut sender = server.login("Streamer", "owl").await.unwrap();
    send(
        &mut sender.client,
        &ClientMsg::JoinRoom {
            name: "stream".into(),
        },
    )
    .await;
    let room = joined_room(&mut sender.client, "stream").await;
    let mut receivers = Vec::new();
    for name in ["Ria", "Rob", "Rex", "Ron"] {
        let mut tab = server.login(name, "cat").await.unwrap();
        send(
            &mut tab.client,
            &ClientMsg::JoinRoom {
                name: "stream".into(),
            },
        )
        .await;
        joined_room(&mut tab.client, "stream").await;
        receivers.push((tab, room));
    }
    stream_through_cuts("room", &server, sender, receivers).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_streams_reach_their_receivers_exactly_once_through_200_cuts() {
    let db = TestDb::new();
    let server = TestServer::start(streaming(db.config())).await;
    let mut sender = server.login("Whisperer", "owl").await.unwrap();
    let mut receivers = Vec::new();
    for name in ["Pia", "Pat", "Pim"] {
        let tab = server.login(name, "cat").await.unwrap();
        send(
            &mut sender.client,
            &ClientMsg::OpenDirect { user: tab.me.id },
        )
        .await;
        let direct = recv_until(&mut sender.client, |m| match m {
            ServerMsg::Joined { conversation } => Some(conversation.id),
            _ => None,
        })
        .await;
        receivers.push((tab, direct));
    }
    stream_through_cuts("private", &server, sender, receivers).await;
    server.stop().await;
}

async fn joined_room(client: &mut Client, name: &str) -> ConversationId {
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

#[tokio::test]
async fn a_send_whose_ack_was_lost_is_stored_and_acknowledged_once() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut observer = server.login("Olga", "owl").await.unwrap();
    let sender = server.login("Sid", "fox").await.unwrap();
    let general = sender.room("general");
    let token = sender.token.clone();
    drop(sender.client);

    // The sender's link goes through the proxy, which stops passing the server's bytes.
    let proxy = Proxy::start(server.addr).await;
    let mut link = resume_on(connect_at(proxy.addr).await, &token)
        .await
        .unwrap()
        .client;
    let cursor = recv_cursor(&mut observer.client, general).await;
    proxy.swallow_downstream(true);
    let once = send_msg(general, "once-1".into(), "sent once".into());
    send(&mut link, &once).await;
    // Stored (the observer sees it) but the ack never reached the sender: cut now.
    // (Others never see a message's client id: it is matched by its author.)
    let stored = recv_until(&mut observer.client, |m| match m {
        ServerMsg::Message { message } if message.author.nickname == "Sid" => Some(message.clone()),
        _ => None,
    })
    .await;
    proxy.cut_all_now();
    drop(link);

    // The sender resumes from its cursor and sends the same message again.
    let mut again = connect_at(server.addr).await;
    send(&mut again, &resume_from(&token, general, cursor)).await;
    send(&mut again, &once).await;
    let mut replayed = Vec::new();
    let mut acks = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while let Ok(msg) = tokio::time::timeout_at(deadline.into(), next_msg(&mut again)).await {
        match msg {
            ServerMsg::Replay { messages, .. } => replayed.extend(messages),
            ServerMsg::Message { message } => replayed.push(message),
            ServerMsg::Ack { id, seq, .. } => acks.push((id, seq)),
            _ => {}
        }
    }
    let copies = replayed.iter().filter(|m| m.id == stored.id).count();
    let (history, _) = history(&mut again, general, None).await;
    let in_storage = history
        .iter()
        .filter(|m| m.client_id == Some(ClientMsgId("once-1".into())))
        .count();
    println!(
        "lost ack: sent 2 times, stored {in_storage}, acks received {}, copies shown {copies}",
        acks.len()
    );
    assert_eq!(in_storage, 1, "one stored message");
    assert_eq!(
        acks,
        [(stored.id, stored.seq)],
        "one ack, naming the stored message"
    );
    assert_eq!(copies, 1, "the replay brings the message once");
    expect_none(&mut observer.client, Duration::from_millis(300), |m| {
        matches!(m, ServerMsg::Message { .. })
    })
    .await;
    server.stop().await;
}

/// The sequence number of the newest message in `conversation`, as `observer` knows it
/// right now (it asks for the newest page).
async fn recv_cursor(observer: &mut Client, conversation: ConversationId) -> Seq {
    history(observer, conversation, None)
        .await
        .0
        .last()
        .map_or(0, |m| m.seq)
}

/// The server binary, run as its own process on a database file.
struct ServerProcess {
    child: tokio::process::Child,
    addr: SocketAddr,
}

impl ServerProcess {
    async fn start(database_url: &str) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chat"))
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

    async fn kill(mut self) {
        self.child.start_kill().unwrap(); // SIGKILL
        self.child.wait().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_a_sigkill_exactly_once() {
    let db = TestDb::new();
    let url = db.config().database_url;
    let server = ServerProcess::start(&url).await;
    let tab = login_on(connect_at(server.addr).await, "Kim", "fox")
        .await
        .unwrap();
    let (token, general) = (tab.token.clone(), tab.room("general"));
    let (mut sink, mut stream) = tab.client.split();

    // Stream; kill the server once 300 acks are in, whatever is in flight.
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
            let msg = send_msg(general, format!("k{i}"), i.to_string());
            if sink.send(Message::text(msg.to_json())).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_micros(300)).await;
        }
        sent
    });
    while acked.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill().await;
    let sent = writer.await.unwrap();
    reader.await.unwrap();
    let acked_before: Vec<u64> = acked.lock().unwrap().clone();

    // Restarted on the same file: what was acknowledged is there, once.
    let server = ServerProcess::start(&url).await;
    let present = replay_all(server.addr, &token, general).await;
    let tally = Tally::of(sent, &present);
    let lost = acked_before.iter().filter(|n| !present.contains(n)).count();
    println!(
        "sigkill: sent {sent} before the kill, acknowledged {}, present after restart {} \
         (acknowledged but lost {lost}, duplicated {})",
        acked_before.len(),
        present.len(),
        tally.duplicated
    );
    assert_eq!((lost, tally.duplicated, tally.out_of_order), (0, 0, 0));

    // The client sends again all it has no ack for (same client ids): then all are there.
    let mut again = resume_on(connect_at(server.addr).await, &token)
        .await
        .unwrap()
        .client;
    let missing: Vec<u64> = (0..STREAM).filter(|n| !acked_before.contains(n)).collect();
    for i in &missing {
        send(
            &mut again,
            &send_msg(general, format!("k{i}"), i.to_string()),
        )
        .await;
    }
    let mut acks = 0;
    while acks < missing.len() {
        if let ServerMsg::Ack { .. } = next_msg(&mut again).await {
            acks += 1;
        }
    }
    let mut after: Vec<u64> = replay_all(server.addr, &token, general).await;
    after.sort_unstable();
    Tally::of(STREAM, &after).assert_exact("sigkill, after the client's resends");
    server.kill().await;
}

/// Every streamed number of a conversation, replayed from the start on a new connection.
async fn replay_all(addr: SocketAddr, token: &str, conversation: ConversationId) -> Vec<u64> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_as_too_slow_and_loses_nothing() {
    // Big messages, so the socket buffers on the way fill quickly: more than 4 MiB
    // (the kernel's largest send buffer here) plus the connection's queue.
    const FLOOD: u64 = 3000;
    let padding = "x".repeat(1990);
    let db = TestDb::new();
    let server = TestServer::start(Config {
        outbox_capacity: 64,
        ..streaming(db.config())
    })
    .await;
    let sender = server.login("Fay", "fox").await.unwrap();
    let general = sender.room("general");
    let mut healthy = server.login("Hal", "owl").await.unwrap();

    // The slow client reads through a tiny receive buffer, and then not at all.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let url = format!("ws://{}{WS_PATH}", server.addr);
    let (slow, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    let mut slow = login_on(slow, "Sly", "cat").await.unwrap();
    let slow_cursor = recv_cursor(&mut slow.client, general).await;

    let healthy_reader = tokio::spawn(async move {
        let mut numbers = Vec::new();
        while (numbers.len() as u64) < FLOOD {
            if let ServerMsg::Message { message } = next_msg(&mut healthy.client).await {
                numbers.extend(number(&message));
            }
        }
        numbers
    });
    // The sender reads its acks and echoes, or it would be the slow one.
    let (mut sink, mut echoes) = sender.client.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = echoes.next().await {} });
    for i in 0..FLOOD {
        let msg = send_msg(general, format!("f{i}"), format!("{i} {padding}"));
        sink.send(Message::text(msg.to_json())).await.unwrap();
    }
    // Others are served while the slow one is stuck: the healthy reader gets all.
    let healthy_numbers = healthy_reader.await.unwrap();
    Tally::of(FLOOD, &healthy_numbers).assert_exact("slow reader, the healthy client");

    // Now the slow client reads: what was buffered, then the close.
    let mut numbers = Vec::new();
    let mut cursor = slow_cursor;
    let close = loop {
        match next_frame(&mut slow.client).await {
            Message::Text(text) => {
                if let Ok(ServerMsg::Message { message }) = serde_json::from_str(&text) {
                    cursor = message.seq;
                    numbers.extend(number(&message));
                }
            }
            Message::Close(frame) => break frame,
            _ => {}
        }
    };
    let code = close.map(|f| u16::from(f.code));
    let before_close = numbers.len();
    assert_eq!(code, Some(close_code::TOO_SLOW), "closed as too slow");
    assert!(
        (before_close as u64) < FLOOD,
        "the queue was bounded: it did not hold the whole flood"
    );

    // It resumes from its cursor and has everything, once.
    let mut resumed = connect_at(server.addr).await;
    send(&mut resumed, &resume_from(&slow.token, general, cursor)).await;
    while (numbers.len() as u64) < FLOOD {
        match next_msg(&mut resumed).await {
            ServerMsg::Replay { messages, .. } => {
                numbers.extend(messages.iter().filter_map(number));
            }
            ServerMsg::Reload { .. } => panic!("the gap fits the replay budget"),
            _ => {}
        }
    }
    println!(
        "slow reader: {before_close} received before the close (4002), {} replayed on resume",
        numbers.len() - before_close
    );
    Tally::of(FLOOD, &numbers).assert_exact("slow reader, the slow client");
    drop(sink);
    drain.abort();
    server.stop().await;
}

#[tokio::test]
async fn a_vanished_peer_is_reaped_within_heartbeat_interval_plus_timeout() {
    let db = TestDb::new();
    let config = Config {
        heartbeat_interval_secs: 1,
        heartbeat_timeout_secs: 2,
        presence_grace_secs: 1,
        ..db.config()
    };
    let limit = Duration::from_secs(config.heartbeat_interval_secs + config.heartbeat_timeout_secs);
    let grace = Duration::from_secs(config.presence_grace_secs);
    let server = TestServer::start(config).await;
    let mut observer = server.login("Obi", "owl").await.unwrap();
    let proxy = Proxy::start(server.addr).await;
    let ghost = login_on(connect_at(proxy.addr).await, "Gus", "cat")
        .await
        .unwrap();
    let gus = ghost.me.id;
    recv_until(&mut observer.client, |m| {
        matches!(m, ServerMsg::Presence { user } if user.id == gus && user.online).then_some(())
    })
    .await;

    // The peer vanishes: no close, no FIN, nothing more either way.
    proxy.freeze_all();
    let vanished = Instant::now();
    recv_until(&mut observer.client, |m| {
        matches!(m, ServerMsg::Presence { user } if user.id == gus && !user.online).then_some(())
    })
    .await;
    let offline_after = vanished.elapsed();
    let reaped_after = offline_after.saturating_sub(grace);
    println!(
        "half-open: announced offline after {offline_after:?} (reaped within {reaped_after:?}; \
         limit {limit:?} + {grace:?} grace)"
    );
    assert!(
        reaped_after <= limit + Duration::from_millis(500),
        "reaped after {reaped_after:?}, limit {limit:?}"
    );
    // Announced once.
    expect_none(
        &mut observer.client,
        Duration::from_secs(2),
        |m| matches!(m, ServerMsg::Presence { user } if user.id == gus),
    )
    .await;
    drop(ghost);
    server.stop().await;
}

#[tokio::test]
async fn a_gap_longer_than_the_limit_is_reloaded_not_replayed() {
    let db = TestDb::new();
    let server = TestServer::start(Config {
        resume_max_gap: 5,
        ..streaming(db.config())
    })
    .await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let general = ann.room("general");
    for i in 0..10 {
        send(
            &mut ann.client,
            &send_msg(general, format!("g{i}"), i.to_string()),
        )
        .await;
    }
    let last = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Ack { client_id, seq, .. } if client_id.0 == "g9" => Some(*seq),
        _ => None,
    })
    .await;

    // Within the limit: the missed messages, in order.
    let mut near = connect_at(server.addr).await;
    send(&mut near, &resume_from(&ann.token, general, last - 3)).await;
    let replayed = recv_until(&mut near, |m| match m {
        ServerMsg::Replay { messages, .. } => Some(messages.iter().map(|m| m.seq).collect()),
        ServerMsg::Reload { .. } => Some(Vec::new()),
        _ => None,
    })
    .await;
    assert_eq!(replayed, vec![last - 2, last - 1, last]);
    // Beyond it, or ahead of the server: reload.
    for cursor in [last - 6, last + 1] {
        let mut far = connect_at(server.addr).await;
        send(&mut far, &resume_from(&ann.token, general, cursor)).await;
        let reloaded = recv_until(&mut far, |m| match m {
            ServerMsg::Replay { .. } => Some(None),
            ServerMsg::Reload { conversation } => Some(Some(*conversation)),
            _ => None,
        })
        .await;
        assert_eq!(reloaded, Some(general), "cursor {cursor}, last {last}");
    }
    server.stop().await;
}
