use std::{num::NonZeroU32, time::Duration};

use super::{sessions::*, *};
use crate::protocol::{
    close_code, normalize_nickname, ClientMsgId, ConversationId, Cursor, ServerMsg,
};

#[test]
fn look_alike_nicknames_share_a_skeleton() {
    let alice = nickname_skeleton("Alice");
    for same in ["alice", "ALICE", "Аlice" /* Cyrillic А */, "аlice"] {
        assert_eq!(nickname_skeleton(same), alice, "{same}");
    }
    // NFKC runs before the skeleton: fullwidth folds there.
    assert_eq!(
        nickname_skeleton(&normalize_nickname("Ａlice").unwrap()),
        alice
    );
    assert_ne!(nickname_skeleton("Alicia"), alice);
}

#[test]
fn tokens_are_random_and_only_their_hash_is_kept() {
    let (a, b) = (new_token(), new_token());
    assert_ne!(a, b);
    assert_eq!(a.len(), 64);
    assert_eq!(hash_token(&a), hash_token(&a));
    assert_ne!(hash_token(&a), hash_token(&b));
}

async fn hub_with(settings: HubSettings) -> (tempfile::TempDir, Hub) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("hub.db").to_str().unwrap())
        .await
        .unwrap();
    let many = NonZeroU32::new(1_000_000).unwrap();
    let settings = HubSettings {
        sends_per_second: many,
        send_burst: many,
        ..settings
    };
    (
        dir,
        Hub::start(store, settings, crate::server::bus::alone())
            .await
            .unwrap(),
    )
}

fn queued(conn: &mut Connection) -> Vec<ServerMsg> {
    let mut out = Vec::new();
    while let Ok(frame) = conn.outbox.try_recv() {
        out.push(serde_json::from_str(frame.as_str()).unwrap());
    }
    out
}

/// Every message up to and including the first that `pick` accepts.
async fn until<T>(
    conn: &mut Connection,
    mut pick: impl FnMut(&ServerMsg) -> Option<T>,
) -> (Vec<ServerMsg>, T) {
    let mut seen = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), conn.outbox.recv())
            .await
            .expect("nothing from the hub in time")
            .expect("the hub let go of the connection");
        let msg: ServerMsg = serde_json::from_str(frame.as_str()).unwrap();
        if let Some(found) = pick(&msg) {
            return (seen, found);
        }
        seen.push(msg);
    }
}

/// Logs in on a new connection: the connection, the token, and the id of general.
async fn login(hub: &Hub, name: &str) -> (Connection, String, ConversationId) {
    let mut conn = hub.connect(std::net::Ipv4Addr::LOCALHOST.into(), "").await;
    let login = ClientMsg::Login {
        nickname: name.into(),
        avatar: "fox".into(),
    };
    hub.request(conn.id, login).await;
    let (_, (token, general)) = until(&mut conn, |m| match m {
        ServerMsg::Ready {
            token,
            conversations,
            ..
        } => Some((token.clone().unwrap(), conversations[0].id)),
        _ => None,
    })
    .await;
    (conn, token, general)
}

fn say(conversation: ConversationId, i: usize, text: String) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: ClientMsgId(format!("c{i}")),
        text,
        reply_to: None,
        mentions: Vec::new(),
    }
}

#[tokio::test]
async fn a_connection_that_does_not_read_is_bounded_then_closed_and_others_get_everything() {
    let capacity = 16;
    let (_db, hub) = hub_with(HubSettings {
        outbox_capacity: capacity,
        ..HubSettings::default()
    })
    .await;
    let (mut slow, _, _) = login(&hub, "Slow").await;
    let (mut fast, _, general) = login(&hub, "Fast").await;

    for i in 0..(capacity * 4) {
        hub.request(fast.id, say(general, i, i.to_string())).await;
        // Its own copy comes in the same step as everyone else's.
        until(&mut fast, |m| {
            matches!(m, ServerMsg::Message { .. }).then_some(())
        })
        .await;
        assert!(
            slow.outbox.len() <= capacity,
            "the slow queue stays bounded"
        );
    }
    assert_eq!(
        (&mut slow.closed).await.map(|c| c.code),
        Ok(close_code::TOO_SLOW)
    );
    assert_eq!(
        queued(&mut slow).len(),
        capacity,
        "nothing was queued after the close"
    );
}

#[tokio::test]
async fn a_replay_larger_than_its_byte_budget_is_a_reload() {
    let (_db, hub) = hub_with(HubSettings {
        replay_max_bytes: 10_000,
        ..HubSettings::default()
    })
    .await;
    let (mut writer, token, general) = login(&hub, "Wes").await;
    for i in 0..20 {
        hub.request(writer.id, say(general, i, "x".repeat(1000)))
            .await;
        until(&mut writer, |m| {
            matches!(m, ServerMsg::Ack { .. }).then_some(())
        })
        .await;
    }

    // 20 messages of 1000 characters: more than 10,000 bytes. The newest 5: less.
    for (from, replayed) in [(0, None), (15, Some(5))] {
        let mut reader = hub.connect(std::net::Ipv4Addr::LOCALHOST.into(), "").await;
        let resume = ClientMsg::Resume {
            token: token.clone(),
            cursors: vec![Cursor {
                conversation: general,
                seq: from,
            }],
        };
        hub.request(reader.id, resume).await;
        // A history request waits behind the replay: its answer marks the end of it.
        let history = ClientMsg::History {
            conversation: general,
            before: None,
            from: None,
        };
        hub.request(reader.id, history).await;
        let (got, ()) = until(&mut reader, |m| {
            matches!(m, ServerMsg::History { .. }).then_some(())
        })
        .await;
        let reload = got
            .iter()
            .any(|m| matches!(m, ServerMsg::Reload { conversation } if *conversation == general));
        let count: usize = got
            .iter()
            .map(|m| match m {
                ServerMsg::Replay { messages, .. } => messages.len(),
                _ => 0,
            })
            .sum();
        match replayed {
            None => assert!(reload && count == 0, "from {from}: {got:?}"),
            Some(n) => assert!(!reload && count == n, "from {from}: {got:?}"),
        }
    }
}

#[tokio::test]
async fn a_replay_comes_before_what_is_sent_while_it_is_read() {
    let (_db, hub) = hub_with(HubSettings::default()).await;
    let (mut writer, token, general) = login(&hub, "Wes").await;
    for i in 0..50 {
        hub.request(writer.id, say(general, i, format!("m{i}")))
            .await;
    }
    until(&mut writer, |m| {
        matches!(m, ServerMsg::Ack { seq: 50, .. }).then_some(())
    })
    .await;
    let mut reader = hub.connect(std::net::Ipv4Addr::LOCALHOST.into(), "").await;
    let resume = ClientMsg::Resume {
        token,
        cursors: vec![Cursor {
            conversation: general,
            seq: 0,
        }],
    };
    hub.request(reader.id, resume).await;
    // Sent while the replay is being read: it must come after the replay.
    for i in 50..60 {
        hub.request(writer.id, say(general, i, format!("m{i}")))
            .await;
    }
    let mut seqs = Vec::new();
    while seqs.len() < 60 {
        let (_, msg) = until(&mut reader, |m| match m {
            ServerMsg::Replay { messages, .. } => Some(messages.iter().map(|m| m.seq).collect()),
            ServerMsg::Message { message } => Some(vec![message.seq]),
            _ => None,
        })
        .await;
        seqs.extend(msg);
    }
    assert_eq!(seqs, (1..=60).collect::<Vec<_>>(), "in order, none twice");
}

mod properties;
