//! Several servers on one PostgreSQL database and one Redis: users on different
//! servers talk, every message reaches every receiver once and in order wherever it
//! was committed and whichever server a receiver reconnects to, and a Redis restart
//! loses nothing.
//!
//! Needs a PostgreSQL server (`CHAT_TEST_POSTGRES_URL`, started by scripts/test.sh;
//! each test makes its own database) and Debian's `redis-server` (each test starts
//! its own, so that tests running at once do not hear each other). Without
//! `CHAT_TEST_POSTGRES_URL` the tests say so and pass without running: scripts/test.sh
//! always sets it.

mod common;

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use chat::{
    protocol::{
        ChatMessage, ClientMsg, ClientMsgId, ConversationId, ErrorCode, MessageBody, ServerMsg,
    },
    server::Config,
};
use common::{streams::*, *};

/// A Redis of the test's own, on a free loopback port, without persistence.
struct Redis {
    port: u16,
    child: std::process::Child,
}

/// Starts redis-server on `port` and waits until it takes connections.
fn redis_server(port: u16) -> std::process::Child {
    let child = std::process::Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server starts (Debian's redis-server; scripts/test.sh installs it)");
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "Redis did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

impl Redis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self {
            port,
            child: redis_server(port),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops Redis at once (SIGKILL: whatever it held is gone) and starts a new one
    /// on the same port after `down`.
    fn restart(&mut self, down: Duration) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(down);
        self.child = redis_server(self.port);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new database on the tests' PostgreSQL server, or `None` (the test is skipped).
fn postgres_database(test: &str) -> Option<String> {
    let Ok(server) = std::env::var("CHAT_TEST_POSTGRES_URL") else {
        println!("{test}: skipped, CHAT_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)");
        return None;
    };
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Some(format!(
        "{}/chat_cluster_{}_{n}",
        server.trim_end_matches('/'),
        std::process::id()
    ))
}

/// Servers sharing one database and one Redis.
struct Cluster {
    redis: std::sync::Arc<std::sync::Mutex<Redis>>,
    database_url: String,
    nodes: Vec<TestServer>,
}

impl Cluster {
    async fn start(test: &str, nodes: usize) -> Option<Self> {
        Self::start_with(test, nodes, |c| c).await
    }

    /// Servers of the configuration `tune` makes of the usual one.
    async fn start_with(test: &str, nodes: usize, tune: impl Fn(Config) -> Config) -> Option<Self> {
        let database_url = postgres_database(test)?;
        let redis = std::sync::Arc::new(std::sync::Mutex::new(Redis::start()));
        let mut cluster = Self {
            redis,
            database_url,
            nodes: Vec::new(),
        };
        for _ in 0..nodes {
            let node = TestServer::start(tune(cluster.config())).await;
            cluster.nodes.push(node);
        }
        Some(cluster)
    }

    fn config(&self) -> Config {
        streaming(Config {
            database_url: self.database_url.clone(),
            redis_url: Some(self.redis.lock().unwrap().url()),
            // A server that dies takes its users offline soon (tests/cluster.rs waits for it).
            presence_grace_secs: 2,
            node_timeout_secs: 2,
            ..TestDb::new().config()
        })
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    async fn stop(self) {
        for node in self.nodes {
            node.stop().await;
        }
    }
}

/// The next messages of `conversation`: one live, or several caught up from storage
/// (a `replay` frame, after the bus lost some).
async fn next_messages(client: &mut Client, conversation: ConversationId) -> Vec<ChatMessage> {
    recv_until(client, |m| match m {
        ServerMsg::Message { message } if message.conversation == conversation => {
            Some(vec![message.clone()])
        }
        ServerMsg::Replay {
            conversation: c,
            messages,
        } if *c == conversation => Some(messages.clone()),
        _ => None,
    })
    .await
}

fn say(conversation: ConversationId, client_id: &str, text: &str) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: ClientMsgId(client_id.into()),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// The next text in `conversation`: its author's nickname and the text.
async fn next_text(client: &mut Client, conversation: ConversationId) -> (String, String) {
    recv_until(client, |m| match m {
        ServerMsg::Message { message } if message.conversation == conversation => {
            match &message.body {
                MessageBody::Text { text } => Some((message.author.nickname.clone(), text.clone())),
                _ => None,
            }
        }
        _ => None,
    })
    .await
}

/// The newest number of `conversation`, from a fresh page of history.
async fn recv_cursor_of(tab: &mut Tab, conversation: ConversationId) -> u64 {
    let (page, _) = history(&mut tab.client, conversation, None).await;
    page.last().map_or(0, |m| m.seq)
}

/// Sends a text and waits for its ack (the sender's own copy follows; skipped later).
async fn say_acked(tab: &mut Tab, conversation: ConversationId, id: &str, text: &str) {
    send(&mut tab.client, &say(conversation, id, text)).await;
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::Ack { client_id, .. } if client_id.0 == id => Some(()),
        _ => None,
    })
    .await;
}

/// The next text in `conversation` written by someone else than `me`.
async fn next_text_from_others(tab: &mut Tab, conversation: ConversationId) -> (String, String) {
    loop {
        let (author, text) = next_text(&mut tab.client, conversation).await;
        if author != tab.me.nickname {
            return (author, text);
        }
    }
}

#[tokio::test]
async fn users_on_two_servers_talk_in_rooms_and_privately_and_log_out_everywhere() {
    let Some(cluster) = Cluster::start("two servers", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut ann = a.login("Ann", "fox").await.unwrap();
    let mut bob = b.login("Bob", "owl").await.unwrap();
    // Presence crosses servers: Ann hears that Bob came; Bob's list has Ann online;
    // both count two online.
    let came = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Presence { user } if user.id == bob.me.id => Some(user.online),
        _ => None,
    })
    .await;
    assert!(came, "Ann sees Bob online");
    // Bob's snapshot lists Ann online: his login's, or, when he logged in before Ann's
    // presence reached his server over Redis (a race of a few milliseconds), that of a
    // tab of his opened after it has.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut users = bob.users.clone();
    while !users.iter().any(|u| u.id == ann.me.id && u.online) {
        assert!(
            std::time::Instant::now() < deadline,
            "Bob's snapshot lists Ann online: {users:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        users = b.resume(&bob.token).await.unwrap().users;
    }
    for tab in [&mut ann, &mut bob] {
        let online = recv_until(&mut tab.client, |m| match m {
            ServerMsg::Online { count } if *count == 2 => Some(*count),
            _ => None,
        })
        .await;
        assert_eq!(online, 2);
    }
    // The name is taken on every server.
    assert_eq!(
        b.login("ANN", "cat").await.err(),
        Some(chat::protocol::ErrorCode::NicknameTaken)
    );

    // general, across servers.
    let general = ann.room("general");
    assert_eq!(bob.room("general"), general);
    say_acked(&mut ann, general, "a1", "hello from a").await;
    assert_eq!(
        next_text_from_others(&mut bob, general).await,
        ("Ann".into(), "hello from a".into())
    );
    say_acked(&mut bob, general, "b1", "hello from b").await;
    assert_eq!(
        next_text_from_others(&mut ann, general).await,
        ("Bob".into(), "hello from b".into())
    );

    // A room created on one server, joined on the other: the member count follows.
    let den = join_room(&mut ann.client, "den").await.id;
    let joined = join_room(&mut bob.client, "den").await;
    assert_eq!(joined.id, den);
    let count = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Rooms { rooms } => rooms.iter().find(|r| r.id == den).map(|r| r.member_count),
        _ => None,
    })
    .await;
    assert_eq!(count, 2);
    say_acked(&mut bob, den, "b2", "in the den").await;
    assert_eq!(
        next_text_from_others(&mut ann, den).await,
        ("Bob".into(), "in the den".into())
    );

    // Typing crosses servers.
    send(&mut ann.client, &ClientMsg::Typing { conversation: den }).await;
    let typing = recv_until(&mut bob.client, |m| match m {
        ServerMsg::Typing { conversation, user } if *conversation == den => Some(*user),
        _ => None,
    })
    .await;
    assert_eq!(typing, ann.me.id);

    // A private conversation opened on one server reaches the peer on the other.
    send(&mut ann.client, &ClientMsg::OpenDirect { user: bob.me.id }).await;
    let direct = recv_until(&mut bob.client, |m| match m {
        ServerMsg::Joined { conversation }
            if matches!(
                conversation.kind,
                chat::protocol::ConversationKind::Direct { .. }
            ) =>
        {
            Some(conversation.id)
        }
        _ => None,
    })
    .await;
    say_acked(&mut ann, direct, "a2", "just us").await;
    assert_eq!(
        next_text_from_others(&mut bob, direct).await,
        ("Ann".into(), "just us".into())
    );

    // Unread counts follow the user across servers: Bob has read general up to
    // Ann's message on his server; a tab of his on Ann's server starts from there.
    say_acked(&mut ann, general, "a3", "unread until Bob reads it").await;
    next_text_from_others(&mut bob, general).await;
    let newest = recv_cursor_of(&mut bob, general).await;
    send(
        &mut bob.client,
        &ClientMsg::MarkRead {
            conversation: general,
            seq: newest,
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Bob's second tab on Ann's server; logging out on his first closes both.
    let mut bob_on_a = a.resume(&bob.token).await.unwrap();
    let read = bob_on_a
        .conversations
        .iter()
        .find(|c| c.id == general)
        .map(|c| (c.read_seq, c.last_seq));
    assert_eq!(
        read,
        Some((newest, newest)),
        "read up to the newest, on the other server"
    );
    send(&mut bob.client, &ClientMsg::Logout).await;
    for (tab, which) in [(&mut bob.client, "on b"), (&mut bob_on_a.client, "on a")] {
        let code = tokio::time::timeout(PATIENCE, async {
            loop {
                match next_frame(tab).await {
                    tokio_tungstenite::tungstenite::Message::Close(Some(close)) => {
                        return u16::from(close.code)
                    }
                    _ => continue,
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("Bob's tab {which} was not closed"));
        assert_eq!(code, chat::protocol::close_code::LOGGED_OUT, "{which}");
    }
    // Logged out is offline at once, on the other server too.
    let gone = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Presence { user } if user.id == bob.me.id => Some(user.online),
        _ => None,
    })
    .await;
    assert!(!gone, "Ann sees Bob offline");
    // And the name is free again, on either server.
    assert!(a.login("Bob", "cat").await.is_ok());
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_stream_through_200_cuts_reaches_every_receiver_once_whichever_server_it_reconnects_to(
) {
    let Some(cluster) = Cluster::start("cross-server room stream", 3).await else {
        return;
    };
    let mut sender = cluster.nodes[0].login("Streamer", "owl").await.unwrap();
    let room = join_room(&mut sender.client, "stream").await.id;
    let mut receivers = Vec::new();
    for (i, name) in ["Ria", "Rob", "Rex", "Ron"].into_iter().enumerate() {
        let mut tab = cluster.nodes[i % 3].login(name, "cat").await.unwrap();
        join_room(&mut tab.client, "stream").await;
        receivers.push((tab, room));
    }
    stream_through_cuts("cross-server room", &cluster.addrs(), sender, receivers).await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_streams_through_200_cuts_reach_their_receivers_once_across_servers() {
    let Some(cluster) = Cluster::start("cross-server private streams", 3).await else {
        return;
    };
    let mut sender = cluster.nodes[0].login("Whisperer", "owl").await.unwrap();
    let mut receivers = Vec::new();
    for (i, name) in ["Pia", "Pat", "Pim"].into_iter().enumerate() {
        let tab = cluster.nodes[(i + 1) % 3].login(name, "cat").await.unwrap();
        let direct = open_direct_with(&mut sender, tab.me.id).await;
        receivers.push((tab, direct));
    }
    stream_through_cuts("cross-server private", &cluster.addrs(), sender, receivers).await;
    cluster.stop().await;
}

/// Streams `count` numbered messages from `tab` into `conversation` as fast as acks
/// come back (at most `window` unacknowledged), waiting `pace` between sends.
async fn send_numbers(
    mut tab: Tab,
    conversation: ConversationId,
    label: &'static str,
    count: u64,
    pace: Duration,
) -> Tab {
    let window = 32;
    let mut acked = 0;
    let mut sent = 0;
    while acked < count {
        while sent < count && sent - acked < window {
            let text = format!("{label} {sent}");
            let id = format!("{label}-{sent}");
            send(&mut tab.client, &say(conversation, &id, &text)).await;
            sent += 1;
            if !pace.is_zero() {
                tokio::time::sleep(pace).await;
            }
        }
        recv_until(&mut tab.client, |m| match m {
            ServerMsg::Ack { .. } => Some(()),
            _ => None,
        })
        .await;
        acked += 1;
    }
    tab
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_on_two_servers_at_full_speed_give_every_receiver_one_gapless_order() {
    let Some(cluster) = Cluster::start("two senders", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let sender_a = a.login("Sa", "owl").await.unwrap();
    let sender_b = b.login("Sb", "owl").await.unwrap();
    let general = sender_a.room("general");
    let mut watchers = Vec::new();
    for (i, name) in ["Wa", "Wb", "Wc", "Wd"].into_iter().enumerate() {
        watchers.push(cluster.nodes[i % 2].login(name, "cat").await.unwrap());
    }
    let count = 500;
    let senders = tokio::spawn(async move {
        let (a, b) = tokio::join!(
            send_numbers(sender_a, general, "a", count, Duration::ZERO),
            send_numbers(sender_b, general, "b", count, Duration::ZERO)
        );
        (a, b)
    });
    let mut orders = Vec::new();
    for watcher in &mut watchers {
        let mut seen = Vec::new();
        while seen.len() < 2 * count as usize {
            for m in next_messages(&mut watcher.client, general).await {
                if matches!(m.body, MessageBody::Text { .. }) {
                    seen.push((m.seq, m.id));
                }
            }
        }
        orders.push(seen);
    }
    senders.await.unwrap();
    let first = &orders[0];
    let gapless = first.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    println!(
        "two senders: {} messages each seen by {} watchers on 2 servers; gapless {gapless}",
        first.len(),
        orders.len()
    );
    assert!(gapless, "sequence numbers follow one another");
    for (i, order) in orders.iter().enumerate() {
        assert_eq!(order, first, "watcher {i} saw the same order");
    }
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_stream_loses_and_duplicates_nothing() {
    let Some(cluster) = Cluster::start("Redis restart", 2).await else {
        return;
    };
    let sender = cluster.nodes[0].login("Sender", "owl").await.unwrap();
    let general = sender.room("general");
    let mut watcher = cluster.nodes[1].login("Watcher", "cat").await.unwrap();
    let count = 600;
    // About 3 ms apart: the stream goes on for the whole time Redis is away.
    let pace = Duration::from_millis(3);
    let stream = tokio::spawn(send_numbers(sender, general, "n", count, pace));
    let mut numbers = Vec::new();
    let mut restarted = false;
    let mut caught_up = 0;
    while numbers.len() < count as usize {
        let messages = next_messages(&mut watcher.client, general).await;
        if messages.len() > 1 {
            caught_up += messages.len();
        }
        for m in messages {
            if let MessageBody::Text { text } = &m.body {
                numbers.push(
                    text.split_whitespace()
                        .nth(1)
                        .unwrap()
                        .parse::<u64>()
                        .unwrap(),
                );
            }
        }
        if numbers.len() == 200 && !restarted {
            // Redis away for half a second while the sender keeps going (and this
            // watcher keeps reading).
            let redis = cluster.redis.clone();
            tokio::task::spawn_blocking(move || {
                redis.lock().unwrap().restart(Duration::from_millis(500))
            });
            restarted = true;
        }
    }
    stream.await.unwrap();
    println!("Redis restart: {caught_up} messages caught up from storage");
    let tally = Tally::of(count, &numbers);
    tally.assert_exact("Redis restart, watcher on the other server");
    // The outage was real: the watcher's server read what the bus lost from storage.
    assert!(caught_up > 0, "nothing was missed while Redis was away");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_stream_loses_no_acknowledged_message_and_its_users_go_offline_once() {
    let Some(cluster) = Cluster::start("SIGKILL one server", 1).await else {
        return;
    };
    let redis_url = cluster.redis.lock().unwrap().url();
    // The server to kill runs as a process of its own; it counts as gone 2 s after its
    // last renewal, and its users go offline 2 s after that.
    let settings = [
        ("CHAT_REDIS_URL", redis_url.as_str()),
        ("CHAT_NODE_TIMEOUT_SECS", "2"),
        ("CHAT_PRESENCE_GRACE_SECS", "2"),
    ];
    let doomed = ServerProcess::start_with(&cluster.database_url, &settings).await;
    let survivor = &cluster.nodes[0];
    let mut watcher = survivor.login("Watcher", "cat").await.unwrap();
    // Idle stays on the doomed server and never comes back: offline once, after the grace.
    let idle = login_on(connect_at(doomed.addr).await, "Idle", "owl")
        .await
        .unwrap();
    let sender = login_on(connect_at(doomed.addr).await, "Kim", "fox")
        .await
        .unwrap();
    let (token, general) = (sender.token.clone(), sender.room("general"));
    for who in [idle.me.id, sender.me.id] {
        recv_until(&mut watcher.client, |m| match m {
            ServerMsg::Presence { user } if user.id == who && user.online => Some(()),
            _ => None,
        })
        .await;
    }

    // Stream; kill the server once 200 acks are in, whatever is in flight.
    let (sent, acked_before) = stream_until_killed(sender.client, general, 200, doomed).await;
    drop(idle);

    // Kim resumes on the surviving server at once and sends again what has no ack
    // (same client ids): every number there once.
    let mut again = resume_on(connect_at(survivor.addr).await, &token)
        .await
        .unwrap();
    for i in (0..sent).filter(|i| !acked_before.contains(i)) {
        send(
            &mut again.client,
            &say(general, &format!("k{i}"), &i.to_string()),
        )
        .await;
    }
    let unacked = sent as usize - acked_before.len();
    for _ in 0..unacked {
        recv_until(&mut again.client, |m| match m {
            ServerMsg::Ack { .. } => Some(()),
            _ => None,
        })
        .await;
    }
    let present = replay_all(survivor.addr, &token, general).await;
    let tally = Tally::of(sent, &present);
    let lost = acked_before.iter().filter(|n| !present.contains(n)).count();
    println!(
        "SIGKILL one server: sent {sent} before the kill, acknowledged {}, present {} \
         (acknowledged but lost {lost}, duplicated {})",
        acked_before.len(),
        present.len(),
        tally.duplicated
    );
    assert_eq!((lost, tally.duplicated, tally.out_of_order), (0, 0, 0));
    assert_eq!(present.len() as u64, sent);

    // Idle goes offline once, after the node timeout and the grace period; Kim, back
    // on another server within the grace, never does.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut offline = Vec::new();
    while tokio::time::Instant::now() < deadline {
        let Ok(msg) = tokio::time::timeout_at(deadline, next_msg(&mut watcher.client)).await else {
            break;
        };
        if let ServerMsg::Presence { user } = msg {
            if !user.online {
                offline.push(user.nickname);
                if offline.len() == 1 {
                    // Give a second notice the time to come if it would.
                    let quiet = tokio::time::Instant::now() + Duration::from_secs(3);
                    expect_none(
                        &mut watcher.client,
                        quiet - tokio::time::Instant::now(),
                        |m| matches!(m, ServerMsg::Presence { user } if !user.online),
                    )
                    .await;
                    break;
                }
            }
        }
    }
    println!("SIGKILL one server: went offline {offline:?}");
    assert_eq!(offline, ["Idle"], "Idle once, Kim never");
    cluster.stop().await;
}

#[tokio::test]
async fn a_device_is_linked_across_servers_and_a_session_ended_on_one_closes_on_the_other() {
    let Some(cluster) = Cluster::start("devices", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut laptop = devices::login_as(a, "Ann", devices::LAPTOP).await;
    // The code is made on server A and redeemed on server B.
    let (code, _) = devices::offer(&mut laptop).await;
    let mut phone = connect_as(b.addr, devices::PHONE).await;
    assert_eq!(devices::redeem(&mut phone, &code).await, Ok("Ann".into()));
    let (link, device) = devices::request(&mut laptop).await;
    assert_eq!(device.system, "Android");
    send(
        &mut laptop.client,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(devices::link_done(&mut laptop).await, (link, true));
    let (mut phone, _) = devices::ready_tab(phone).await;
    assert_eq!(phone.me.id, laptop.me.id);
    // A code made on B cannot be used twice, whichever server is asked.
    let (code, _) = devices::offer(&mut phone).await;
    let mut other = connect_as(a.addr, devices::PHONE).await;
    assert!(devices::redeem(&mut other, &code).await.is_ok());
    let mut again = connect_as(b.addr, devices::PHONE).await;
    assert_eq!(
        devices::redeem(&mut again, &code).await,
        Err(ErrorCode::LinkCodeUsed)
    );
    drop(other);
    // The phone, on B, ends the laptop's session: the laptop's socket on A closes.
    let listed = devices::devices(&mut phone).await;
    let laptop_id = listed
        .iter()
        .find(|d| !d.current && d.info.browser == "Firefox")
        .expect("the laptop is listed")
        .id
        .clone();
    send(
        &mut phone.client,
        &ClientMsg::EndSession { device: laptop_id },
    )
    .await;
    assert_eq!(
        devices::closed_with(&mut laptop.client).await,
        chat::protocol::close_code::LOGGED_OUT
    );
    assert_eq!(
        a.resume(&laptop.token).await.err(),
        Some(ErrorCode::SessionInvalid)
    );
    cluster.stop().await;
}

#[tokio::test]
async fn a_passkey_made_through_one_server_signs_in_through_another_and_a_ceremony_crosses_them() {
    let Some(cluster) = Cluster::start("passkeys", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut laptop = devices::login_as(a, "Ann", devices::LAPTOP).await;
    let mut key = passkeys::SoftPasskey::new();
    passkeys::add(&mut laptop.client, &mut key, "Laptop").await;
    // A sign-in begun on B is answered on A (the ceremony is in the database), once.
    let mut begun = connect_as(b.addr, devices::PHONE).await;
    let (ceremony, options) = passkeys::sign_in_start(&mut begun).await.unwrap();
    let answer = key.get(&options);
    let mut phone = connect_as(a.addr, devices::PHONE).await;
    let ready = passkeys::sign_in_finish(&mut phone, ceremony.clone(), answer.clone()).await;
    assert!(
        matches!(&ready, Ok(ServerMsg::Ready { me, .. }) if me.id == laptop.me.id),
        "{ready:?}"
    );
    assert_eq!(
        passkeys::sign_in_finish(&mut begun, ceremony, answer)
            .await
            .err(),
        Some(ErrorCode::PasskeyFailed)
    );
    cluster.stop().await;
}

#[tokio::test]
async fn a_ban_on_one_server_takes_the_room_from_the_users_tabs_on_another_at_once() {
    let Some(cluster) = Cluster::start("moderation", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    // Ann creates the room on A and appoints Mod (on B); Bob is on B too.
    let mut ann = a.login("Ann", "fox").await.unwrap();
    let room = join_room(&mut ann.client, "den").await.id;
    let mut moderator = b.login("Mod", "owl").await.unwrap();
    let mut bob = b.login("Bob", "cat").await.unwrap();
    join_room(&mut moderator.client, "den").await;
    join_room(&mut bob.client, "den").await;
    // B learnt who owns it from A: Ann's role reaches Mod's tab there.
    send(
        &mut ann.client,
        &ClientMsg::SetRole {
            conversation: room,
            user: moderator.me.id,
            role: chat::protocol::Role::Moderator,
        },
    )
    .await;
    let staff = recv_until(&mut moderator.client, |m| match m {
        ServerMsg::Staff { staff, .. } if !staff.moderators.is_empty() => Some(staff.clone()),
        _ => None,
    })
    .await;
    assert_eq!(staff.owner, Some(ann.me.id));
    // Bob, on B, is timed out by Mod, then banned by Ann on A.
    send(
        &mut moderator.client,
        &ClientMsg::Timeout {
            conversation: room,
            user: bob.me.id,
            seconds: 60,
        },
    )
    .await;
    recv_until(&mut bob.client, |m| {
        matches!(m, ServerMsg::TimedOut { until_ms, .. } if *until_ms > 0).then_some(())
    })
    .await;
    // Mod's audit entry reaches the owner on the other server.
    let by = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Audited { entry, .. }
            if matches!(entry.action, chat::protocol::AuditAction::TimedOut { .. }) =>
        {
            Some(entry.actor.id)
        }
        _ => None,
    })
    .await;
    assert_eq!(by, moderator.me.id);
    send(
        &mut ann.client,
        &ClientMsg::Ban {
            conversation: room,
            user: bob.me.id,
            remove_last_s: 0,
        },
    )
    .await;
    let removed = removed_from(&mut bob.client, room).await;
    assert_eq!(removed, Some(chat::protocol::Removal::Banned));
    // B refuses Bob's way back, and the room's messages no longer reach him there.
    send(&mut bob.client, &ClientMsg::JoinRoom { name: "den".into() }).await;
    assert_eq!(next_error(&mut bob.client).await, ErrorCode::Banned);
    say_acked(&mut ann, room, "a-1", "after the ban").await;
    next_text_from_others(&mut moderator, room).await;
    expect_none(
        &mut bob.client,
        Duration::from_millis(300),
        |m| matches!(m, ServerMsg::Message { message } if message.conversation == room),
    )
    .await;
    cluster.stop().await;
}

#[tokio::test]
async fn a_server_ban_on_one_server_closes_the_users_tabs_on_another_at_once() {
    let Some(cluster) = Cluster::start("server_ban", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut zed = a.login("Zed", "whale").await.unwrap();
    let config = cluster.config();
    chat::server::admin::run(
        &config,
        chat::server::admin::AdminCommand::Grant("Zed".into()),
    )
    .await
    .unwrap();
    let mut bob = b.login("Bob", "owl").await.unwrap();
    // Once A has read the admins (within seconds), Zed bans Bob, who is on B.
    once_allowed(
        &mut zed.client,
        &ClientMsg::BanFromServer { user: bob.me.id },
    )
    .await;
    // B closes Bob's tab at once (the bus; not the 5 s read), and refuses a resume.
    let started = tokio::time::Instant::now();
    assert_eq!(
        devices::closed_with(&mut bob.client).await,
        chat::protocol::close_code::LOGGED_OUT
    );
    assert!(started.elapsed() < Duration::from_secs(4), "at once");
    assert_eq!(
        b.resume(&bob.token).await.err(),
        Some(ErrorCode::SessionInvalid)
    );
    cluster.stop().await;
}

#[tokio::test]
async fn a_room_made_private_on_one_server_is_hidden_on_another_and_its_link_works_there() {
    let Some(cluster) = Cluster::start("private", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut ann = a.login("Ann", "fox").await.unwrap();
    let room = join_room(&mut ann.client, "hideout").await.id;
    // Cat, on B, had the room listed; she is not in it.
    let mut cat = b.login("Cat", "owl").await.unwrap();
    let mut bob = b.login("Bob", "cat").await.unwrap();
    send(
        &mut ann.client,
        &ClientMsg::SetPrivate {
            conversation: room,
            private: true,
        },
    )
    .await;
    let private = recv_until(&mut cat.client, |m| match m {
        ServerMsg::Privacy {
            conversation,
            private,
        } if *conversation == room => Some(*private),
        _ => None,
    })
    .await;
    assert!(private, "B tells its tabs at once");
    // B refuses its name to Bob, and lets him in with Ann's one-use link from A.
    send(
        &mut bob.client,
        &ClientMsg::JoinRoom {
            name: "hideout".into(),
        },
    )
    .await;
    assert_eq!(
        next_error(&mut bob.client).await,
        ErrorCode::RoomUnavailable
    );
    send(
        &mut ann.client,
        &ClientMsg::CreateInvite {
            conversation: room,
            expires_in_s: 0,
            max_uses: 1,
        },
    )
    .await;
    let code = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Invites { invites, .. } => invites.first().map(|i| i.code.clone()),
        _ => None,
    })
    .await;
    send(
        &mut bob.client,
        &ClientMsg::JoinInvite { code: code.clone() },
    )
    .await;
    recv_until(&mut bob.client, |m| match m {
        ServerMsg::InviteAccepted { conversation, .. } => (*conversation == room).then_some(()),
        _ => None,
    })
    .await;
    // Used up, whichever server is asked.
    send(&mut cat.client, &ClientMsg::JoinInvite { code }).await;
    assert_eq!(next_error(&mut cat.client).await, ErrorCode::InvalidInvite);
    // Bob's text, written on B, reaches Ann on A.
    say_acked(&mut bob, room, "b-1", "in through the link").await;
    next_text_from_others(&mut ann, room).await;
    cluster.stop().await;
}

/// A block made on one server holds on another at once: the blocker's tab there is
/// told, the blocked person's messages from there do not reach the blocker's tabs on
/// either, and the blocked person cannot write to the blocker privately there.
#[tokio::test]
async fn a_block_made_on_one_server_holds_on_another() {
    let Some(cluster) = Cluster::start("blocks", 2).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut ann = a.login("Ann", "fox").await.unwrap();
    let mut ann_on_b = b.resume(&ann.token).await.unwrap();
    let mut bob = b.login("Bob", "cat").await.unwrap();
    let mut cat = a.login("Cat", "owl").await.unwrap();
    let general = ann.room(chat::protocol::GENERAL_ROOM);

    send(&mut ann.client, &ClientMsg::Block { user: bob.me.id }).await;
    for tab in [&mut ann.client, &mut ann_on_b.client] {
        let listed = recv_until(tab, |m| match m {
            ServerMsg::Blocked { users } => Some(users.iter().map(|u| u.id).collect::<Vec<_>>()),
            _ => None,
        })
        .await;
        assert_eq!(listed, [bob.me.id]);
    }
    assert_eq!(
        refusal_of(&mut bob.client, &ClientMsg::OpenDirect { user: ann.me.id }).await,
        Some(ErrorCode::DirectClosed),
        "B knows of the block"
    );

    post(&mut bob, general, "b1", "from bob on b").await;
    // Cat, on A, gets it (or this waits until it fails).
    recv_until(&mut cat.client, |m| match m {
        ServerMsg::Message { message } if message.author.id == bob.me.id => Some(()),
        _ => None,
    })
    .await;
    post(&mut cat, general, "c1", "from cat on a").await;
    for tab in [&mut ann.client, &mut ann_on_b.client] {
        let first = recv_until(tab, |m| match m {
            ServerMsg::Message { message } if message.conversation == general => {
                Some(message.author.id)
            }
            _ => None,
        })
        .await;
        assert_eq!(first, cat.me.id, "nothing of Bob's before Cat's");
    }
    cluster.stop().await;
}

/// A user's sending budget is one across servers: the tokens spent on one server are
/// taken on the other too (told over Redis), so tabs on two servers do not send twice
/// as much.
#[tokio::test]
async fn a_users_rate_limit_holds_across_servers() {
    let limited = |c: Config| Config {
        sends_per_second: 2,
        send_burst: 10,
        ..c
    };
    let Some(cluster) = Cluster::start_with("shared-limits", 2, limited).await else {
        return;
    };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut ann = a.login("Ann", "fox").await.unwrap();
    let mut ann_on_b = b.resume(&ann.token).await.unwrap();
    let general = ann.room(chat::protocol::GENERAL_ROOM);
    // The whole burst, on A.
    for n in 0..10 {
        post(&mut ann, general, &format!("a{n}"), "spam").await;
    }
    // Told to B within a moment (two tokens come back a second meanwhile).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut sent_on_b = 0;
    let refused = loop {
        match try_post(&mut ann_on_b, general, &format!("b{sent_on_b}"), "spam").await {
            Ok(_) if sent_on_b < 10 => sent_on_b += 1,
            Ok(_) => break None,
            Err((code, _)) => break Some(code),
        }
    };
    assert_eq!(refused, Some(ErrorCode::RateLimited));
    assert!(
        sent_on_b <= 3,
        "B let {sent_on_b} through after A spent the burst"
    );
    cluster.stop().await;
}
