//! Nothing lost, nothing twice: the real server and real WebSocket clients under
//! broken links (a TCP proxy of the test's own cuts them mid-frame), a killed server
//! process, a client that stops reading, and a peer that vanishes.
//!
//! Each test prints its counts (sent, received, lost, duplicated) so a reader of the
//! output sees the zeros; `scripts/test.sh` shows them with `--show-output`.

mod common;

use std::time::{Duration, Instant};

use chat::{
    protocol::{close_code, ClientMsg, ClientMsgId, ConversationId, Seq, ServerMsg, WS_PATH},
    server::Config,
};
use common::{proxy::Proxy, streams::*, *};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

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
    stream_through_cuts("room", &[server.addr], sender, receivers).await;
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
        let direct = open_direct_with(&mut sender, tab.me.id).await;
        receivers.push((tab, direct));
    }
    stream_through_cuts("private", &[server.addr], sender, receivers).await;
    server.stop().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_a_sigkill_exactly_once() {
    let db = TestDb::new();
    let url = db.config().database_url;
    let server = ServerProcess::start(&url).await;
    let tab = login_on(connect_at(server.addr).await, "Kim", "fox")
        .await
        .unwrap();
    let (token, general) = (tab.token.clone(), tab.room("general"));
    // Stream; kill the server once 300 acks are in, whatever is in flight.
    let (sent, acked_before) = stream_until_killed(tab.client, general, 300, server).await;

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
