//! The chat over real sockets: a real server on 127.0.0.1:0 with a real SQLite file,
//! and real WebSocket clients.

mod common;

use std::time::Duration;

use chat::protocol::{
    ChatMessage, ClientMsg, ClientMsgId, ConversationId, ConversationKind, ErrorCode, MessageBody,
    ServerMsg, UserId, PEOPLE_PAGE, ROOMS_PAGE, SNAPSHOT_CHUNK,
};
use common::{
    expect_none, history, join_room, next_error, recv_until, send, send_text, Client, Tab, TestDb,
    TestServer,
};

const QUIET: Duration = Duration::from_millis(400);

fn say(conversation: ConversationId, client_id: &str, text: &str) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: ClientMsgId(client_id.into()),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// The next chat message in `conversation`.
async fn next_message(client: &mut Client, conversation: ConversationId) -> ChatMessage {
    recv_until(client, |m| match m {
        ServerMsg::Message { message } if message.conversation == conversation => {
            Some(message.clone())
        }
        _ => None,
    })
    .await
}

async fn next_text(client: &mut Client, conversation: ConversationId) -> (UserId, String) {
    loop {
        let m = next_message(client, conversation).await;
        if let MessageBody::Text { text } = m.body {
            return (m.author.id, text);
        }
    }
}

fn is_text_in(conversation: ConversationId) -> impl Fn(&ServerMsg) -> bool {
    move |m| matches!(m, ServerMsg::Message { message } if message.conversation == conversation && matches!(message.body, MessageBody::Text { .. }))
}

#[tokio::test]
async fn nicknames_are_unique_by_look_and_follow_the_rules() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let alice = server.login("  Alice ", "fox").await.unwrap();
    assert_eq!(alice.me.nickname, "Alice");
    assert_eq!(alice.me.avatar, "fox");

    for same in ["alice", "ALICE", "Ａlice", "Аlice" /* Cyrillic А */] {
        assert_eq!(
            server.login(same, "owl").await.err(),
            Some(ErrorCode::NicknameTaken),
            "{same}"
        );
    }
    for bad in ["", "a<b>", "x".repeat(25).as_str(), "tab\there"] {
        assert_eq!(
            server.login(bad, "owl").await.err(),
            Some(ErrorCode::InvalidNickname),
            "{bad:?}"
        );
    }
    assert_eq!(
        server.login("Bob", "../../etc/passwd").await.err(),
        Some(ErrorCode::InvalidAvatar)
    );
    assert_eq!(
        server.login("Bob", "dragon").await.err(),
        Some(ErrorCode::InvalidAvatar)
    );

    // After logout the name is free, and goes to a new user.
    let Tab { mut client, me, .. } = alice;
    send(&mut client, &ClientMsg::Logout).await;
    let again = server.login("alice", "cat").await.unwrap();
    assert_ne!(again.me.id, me.id);
}

#[tokio::test]
async fn requests_before_login_are_refused() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut client = server.connect().await;
    send(&mut client, &say(ConversationId(1), "x", "hello")).await;
    assert_eq!(next_error(&mut client).await, ErrorCode::NotLoggedIn);
    send(
        &mut client,
        &ClientMsg::Resume {
            token: "forged".into(),
            cursors: Vec::new(),
        },
    )
    .await;
    assert_eq!(next_error(&mut client).await, ErrorCode::SessionInvalid);
}

#[tokio::test]
async fn a_group_message_reaches_every_member_and_the_senders_other_tab_once() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut alice2 = server.resume(&alice.token).await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let general = alice.room("general");
    assert_eq!(bob.room("general"), general);

    send(
        &mut alice.client,
        &say(general, "a-1", "Hello everyone\nsecond line"),
    )
    .await;
    let ack = recv_until(&mut alice.client, |m| match m {
        ServerMsg::Ack {
            client_id, id, seq, ..
        } if client_id.0 == "a-1" => Some((*id, *seq)),
        _ => None,
    })
    .await;
    for client in [&mut alice.client, &mut alice2.client, &mut bob.client] {
        let m = loop {
            let m = next_message(client, general).await;
            if matches!(m.body, MessageBody::Text { .. }) {
                break m;
            }
        };
        assert_eq!((m.id, m.seq), ack);
        assert_eq!(m.author.id, alice.me.id);
        assert_eq!(m.author.nickname, "Alice");
        assert_eq!(m.author.avatar, "fox");
        assert_eq!(
            m.body,
            MessageBody::Text {
                text: "Hello everyone\nsecond line".into()
            }
        );
    }

    // The same client id again: the same ack, nothing new for anyone.
    send(
        &mut alice.client,
        &say(general, "a-1", "Hello everyone\nsecond line"),
    )
    .await;
    let again = recv_until(&mut alice.client, |m| match m {
        ServerMsg::Ack { id, seq, .. } => Some((*id, *seq)),
        _ => None,
    })
    .await;
    assert_eq!(again, ack);
    expect_none(&mut bob.client, QUIET, is_text_in(general)).await;
}

#[tokio::test]
async fn a_private_message_reaches_both_users_tabs_and_nobody_else() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let mut bob2 = server.resume(&bob.token).await.unwrap();
    let mut carol = server.login("Carol", "cat").await.unwrap();

    send(
        &mut alice.client,
        &ClientMsg::OpenDirect { user: bob.me.id },
    )
    .await;
    let direct = recv_until(&mut alice.client, |m| match m {
        ServerMsg::Joined { conversation } => Some(conversation.clone()),
        _ => None,
    })
    .await;
    let mut pair = [alice.me.id, bob.me.id];
    pair.sort();
    assert_eq!(direct.kind, ConversationKind::Direct { users: pair });
    for tab in [&mut bob.client, &mut bob2.client] {
        let id = recv_until(tab, |m| match m {
            ServerMsg::Joined { conversation } => Some(conversation.id),
            _ => None,
        })
        .await;
        assert_eq!(id, direct.id);
    }

    send(&mut alice.client, &say(direct.id, "p-1", "just between us")).await;
    for tab in [&mut alice.client, &mut bob.client, &mut bob2.client] {
        assert_eq!(
            next_text(tab, direct.id).await,
            (alice.me.id, "just between us".into())
        );
    }
    expect_none(&mut carol.client, QUIET, |m| {
        matches!(m, ServerMsg::Message { message } if message.conversation == direct.id)
            || matches!(m, ServerMsg::Joined { .. })
    })
    .await;

    // Carol can neither write there nor read it.
    send(&mut carol.client, &say(direct.id, "c-1", "let me in")).await;
    assert_eq!(next_error(&mut carol.client).await, ErrorCode::NotAMember);
    send(
        &mut carol.client,
        &ClientMsg::History {
            conversation: direct.id,
            before: None,
            from: None,
        },
    )
    .await;
    assert_eq!(next_error(&mut carol.client).await, ErrorCode::NotAMember);

    // Bob, offline meanwhile, finds the message in the history when he comes back;
    // a newcomer sees none of it.
    let token = bob.token.clone();
    drop(bob);
    drop(bob2);
    send(
        &mut alice.client,
        &say(direct.id, "p-2", "while you were away"),
    )
    .await;
    next_text(&mut alice.client, direct.id).await;
    let mut bob = server.resume(&token).await.unwrap();
    assert!(bob.conversations.iter().any(|c| c.id == direct.id));
    send(
        &mut bob.client,
        &ClientMsg::History {
            conversation: direct.id,
            before: None,
            from: None,
        },
    )
    .await;
    let texts = recv_until(&mut bob.client, |m| match m {
        ServerMsg::History { messages, .. } => {
            Some(messages.iter().map(|m| m.body.clone()).collect::<Vec<_>>())
        }
        _ => None,
    })
    .await;
    assert_eq!(
        texts,
        [
            MessageBody::Text {
                text: "just between us".into()
            },
            MessageBody::Text {
                text: "while you were away".into()
            }
        ]
    );
    let mut robert = server.login("Robert", "owl").await.unwrap();
    assert!(robert.conversations.iter().all(|c| c.id != direct.id));
    send(
        &mut robert.client,
        &ClientMsg::History {
            conversation: direct.id,
            before: None,
            from: None,
        },
    )
    .await;
    assert_eq!(next_error(&mut robert.client).await, ErrorCode::NotAMember);
}

#[tokio::test]
async fn a_forged_sender_is_ignored() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut mallory = server.login("Mallory", "cat").await.unwrap();
    let general = alice.room("general");
    let forged = format!(
        r#"{{"type":"send","conversation":{general},"client_id":"f-1","text":"I am Alice",
            "author":{{"id":{},"nickname":"Alice","avatar":"fox"}},"from":"Alice","user":{}}}"#,
        alice.me.id, alice.me.id
    );
    send_text(&mut mallory.client, &forged).await;
    let (author, text) = next_text(&mut alice.client, general).await;
    assert_eq!(text, "I am Alice");
    assert_eq!(author, mallory.me.id);
}

#[tokio::test]
async fn bad_texts_and_floods_get_error_events() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let general = alice.room("general");

    for (i, text) in ["", "   \n ", &"x".repeat(2001), "bell\u{7}"]
        .into_iter()
        .enumerate()
    {
        send(&mut alice.client, &say(general, &format!("bad-{i}"), text)).await;
        let (code, id) = recv_until(&mut alice.client, |m| match m {
            ServerMsg::Error {
                code, client_id, ..
            } => Some((*code, client_id.clone())),
            _ => None,
        })
        .await;
        assert_eq!(code, ErrorCode::InvalidText, "{text:?}");
        // The refusal names the message, so the client can mark it "not sent".
        assert_eq!(id, Some(ClientMsgId(format!("bad-{i}"))));
    }
    send(&mut alice.client, &say(general, "", "no id")).await;
    assert_eq!(
        next_error(&mut alice.client).await,
        ErrorCode::InvalidClientId
    );
    send(
        &mut alice.client,
        &say(ConversationId(9999), "nowhere", "hi"),
    )
    .await;
    assert_eq!(next_error(&mut alice.client).await, ErrorCode::NotAMember);
    expect_none(&mut bob.client, QUIET, is_text_in(general)).await;

    // 5 per second with a burst of 10: 15 at once are not all accepted.
    for i in 0..15 {
        send(
            &mut alice.client,
            &say(general, &format!("flood-{i}"), "spam"),
        )
        .await;
    }
    let (mut acks, mut limited) = (0, 0);
    while acks + limited < 15 {
        recv_until(&mut alice.client, |m| match m {
            ServerMsg::Ack { .. } => {
                acks += 1;
                Some(())
            }
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms,
                ..
            } => {
                assert!(
                    retry_after_ms.is_some_and(|ms| ms > 0 && ms <= 1000),
                    "{retry_after_ms:?}"
                );
                limited += 1;
                Some(())
            }
            _ => None,
        })
        .await;
    }
    assert!((10..=11).contains(&acks), "{acks} accepted");
    assert_eq!(acks + limited, 15);
}

#[tokio::test]
async fn sustained_flooding_closes_with_1008() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let general = alice.room("general");
    for i in 0..40 {
        send(&mut alice.client, &say(general, &format!("f{i}"), "spam")).await;
    }
    let code = loop {
        match common::next_frame(&mut alice.client).await {
            tokio_tungstenite::tungstenite::Message::Close(Some(frame)) => {
                break u16::from(frame.code)
            }
            _ => continue,
        }
    };
    assert_eq!(code, chat::protocol::close_code::POLICY_VIOLATION);
}

#[tokio::test]
async fn history_and_sessions_survive_a_restart() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let general = alice.room("general");
    for i in 1..=3 {
        send(
            &mut alice.client,
            &say(general, &format!("r-{i}"), &format!("message {i}")),
        )
        .await;
        next_text(&mut alice.client, general).await;
    }
    let token = alice.token.clone();
    drop(alice);
    server.stop().await;

    let server = TestServer::start(db.config()).await;
    assert_eq!(
        server.login("alice", "owl").await.err(),
        Some(ErrorCode::NicknameTaken)
    );
    let mut alice = server.resume(&token).await.unwrap();
    send(
        &mut alice.client,
        &ClientMsg::History {
            conversation: general,
            before: None,
            from: None,
        },
    )
    .await;
    let texts = recv_until(&mut alice.client, |m| match m {
        ServerMsg::History { messages, .. } => Some(
            messages
                .iter()
                .filter_map(|m| match &m.body {
                    MessageBody::Text { text } => Some(text.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        _ => None,
    })
    .await;
    assert_eq!(texts, ["message 1", "message 2", "message 3"]);
}

#[tokio::test]
async fn presence_counts_a_user_with_two_tabs_once() {
    let db = TestDb::new();
    let config = chat::server::Config {
        presence_grace_secs: 1,
        ..db.config()
    };
    let server = TestServer::start(config).await;
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let alice = server.login("Alice", "fox").await.unwrap();
    let online = |m: &ServerMsg| match m {
        ServerMsg::Presence { user } => Some((user.nickname.clone(), user.online)),
        _ => None,
    };
    assert_eq!(
        recv_until(&mut bob.client, online).await,
        ("Alice".into(), true)
    );
    let alice2 = server.resume(&alice.token).await.unwrap();
    expect_none(&mut bob.client, QUIET, |m| {
        matches!(m, ServerMsg::Presence { .. })
    })
    .await;

    let carol = server.login("Carol", "cat").await.unwrap();
    let names: Vec<&str> = carol.users.iter().map(|u| u.nickname.as_str()).collect();
    assert_eq!(names, ["Alice", "Bob", "Carol"]);

    assert_eq!(
        recv_until(&mut bob.client, online).await,
        ("Carol".into(), true)
    );

    // Both tabs close: offline once, after the grace period.
    drop(alice);
    drop(alice2);
    let closed = tokio::time::Instant::now();
    assert_eq!(
        recv_until(&mut bob.client, online).await,
        ("Alice".into(), false)
    );
    assert!(
        closed.elapsed() >= Duration::from_millis(900),
        "not before the grace period"
    );
    expect_none(&mut bob.client, Duration::from_millis(1500), |m| {
        matches!(m, ServerMsg::Presence { .. })
    })
    .await;
}

#[tokio::test]
async fn a_reload_within_the_grace_period_does_not_flap_presence() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await; // 60 s grace
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let alice = server.login("Alice", "fox").await.unwrap();
    recv_until(&mut bob.client, |m| {
        matches!(m, ServerMsg::Presence { .. }).then_some(())
    })
    .await;
    let token = alice.token.clone();
    drop(alice);
    let _alice = server.resume(&token).await.unwrap();
    expect_none(&mut bob.client, QUIET, |m| {
        matches!(m, ServerMsg::Presence { .. })
    })
    .await;
}

#[tokio::test]
async fn rooms_are_created_joined_and_left() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();

    send(
        &mut alice.client,
        &ClientMsg::JoinRoom {
            name: "Bad Name".into(),
        },
    )
    .await;
    assert_eq!(
        next_error(&mut alice.client).await,
        ErrorCode::InvalidRoomName
    );

    let room = join_room(&mut alice.client, "rustaceans").await;
    assert!(
        matches!(&room.kind, ConversationKind::Room { name, member_count: 1, private: false } if name == "rustaceans")
    );
    let count = |m: &ServerMsg| match m {
        ServerMsg::Rooms { rooms } => rooms
            .iter()
            .find(|r| r.id == room.id)
            .map(|r| r.member_count),
        _ => None,
    };
    assert_eq!(recv_until(&mut bob.client, count).await, 1);

    assert_eq!(recv_until(&mut alice.client, count).await, 1);
    send(
        &mut bob.client,
        &ClientMsg::JoinRoom {
            name: "rustaceans".into(),
        },
    )
    .await;
    // The join line, then the new count.
    let joined = next_message(&mut alice.client, room.id).await;
    assert_eq!(
        (joined.author.id, joined.body),
        (bob.me.id, MessageBody::Joined)
    );
    assert_eq!(recv_until(&mut alice.client, count).await, 2);

    send(&mut bob.client, &say(room.id, "b-1", "hi room")).await;
    assert_eq!(
        next_text(&mut alice.client, room.id).await,
        (bob.me.id, "hi room".into())
    );

    send(
        &mut bob.client,
        &ClientMsg::LeaveRoom {
            conversation: room.id,
        },
    )
    .await;
    let left = recv_until(&mut bob.client, |m| match m {
        ServerMsg::Left { conversation, .. } => Some(*conversation),
        _ => None,
    })
    .await;
    assert_eq!(left, room.id);
    let line = next_message(&mut alice.client, room.id).await;
    assert_eq!((line.author.id, line.body), (bob.me.id, MessageBody::Left));
    send(&mut bob.client, &say(room.id, "b-2", "still here?")).await;
    assert_eq!(next_error(&mut bob.client).await, ErrorCode::NotAMember);

    let general = bob.room("general");
    send(
        &mut bob.client,
        &ClientMsg::LeaveRoom {
            conversation: general,
        },
    )
    .await;
    assert_eq!(next_error(&mut bob.client).await, ErrorCode::CannotLeave);
}

#[tokio::test]
async fn typing_reaches_other_members_only() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut alice2 = server.resume(&alice.token).await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let general = alice.room("general");
    send(
        &mut alice.client,
        &ClientMsg::Typing {
            conversation: general,
        },
    )
    .await;
    let typing = recv_until(&mut bob.client, |m| match m {
        ServerMsg::Typing { conversation, user } => Some((*conversation, *user)),
        _ => None,
    })
    .await;
    assert_eq!(typing, (general, alice.me.id));
    expect_none(&mut alice2.client, QUIET, |m| {
        matches!(m, ServerMsg::Typing { .. })
    })
    .await;
}

#[tokio::test]
async fn history_pages_back_fifty_at_a_time() {
    let db = TestDb::new();
    let config = chat::server::Config {
        send_burst: 200,
        sends_per_second: 200,
        ..db.config()
    };
    let server = TestServer::start(config).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let general = alice.room("general");
    for i in 0..70 {
        send(
            &mut alice.client,
            &say(general, &format!("h{i}"), &format!("{i}")),
        )
        .await;
    }
    for _ in 0..70 {
        recv_until(&mut alice.client, |m| {
            matches!(m, ServerMsg::Ack { .. }).then_some(())
        })
        .await;
    }
    // Logging in posts no join line to general: her texts are 1..=70.
    let (newest, more) = history_page(&mut alice.client, general, None).await;
    assert_eq!(
        (newest.first(), newest.last(), newest.len(), more),
        (Some(&21), Some(&70), 50, true)
    );
    let (older, more) = history_page(&mut alice.client, general, Some(21)).await;
    assert_eq!(
        (older.first(), older.last(), older.len(), more),
        (Some(&1), Some(&20), 20, false)
    );
}

async fn history_page(
    client: &mut Client,
    conversation: ConversationId,
    before: Option<u64>,
) -> (Vec<u64>, bool) {
    let (messages, has_more) = history(client, conversation, before).await;
    (messages.iter().map(|m| m.seq).collect(), has_more)
}

#[tokio::test]
async fn past_a_page_of_people_a_login_costs_the_others_little() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut watcher = server.login("Watcher", "owl").await.unwrap();
    let mut friend = server.login("Friend", "cat").await.unwrap();
    for tab in [&mut watcher, &mut friend] {
        join_room(&mut tab.client, "club").await;
    }
    // A crowd that shares nothing with the watcher but general.
    let mut crowd = Vec::new();
    for i in 0..PEOPLE_PAGE {
        crowd.push(server.login(&format!("crowd{i}"), "fox").await.unwrap());
    }
    let online = PEOPLE_PAGE as u32 + 2;
    // The count is told, once it settles.
    recv_until(&mut watcher.client, |m| {
        matches!(m, ServerMsg::Online { count } if *count == online).then_some(())
    })
    .await;

    // The snapshot is bounded, and comes in small frames (`ready`, then `people`); the
    // count is whole.
    let mut newcomer = server.login("Newcomer", "frog").await.unwrap();
    assert!(newcomer.users.len() <= SNAPSHOT_CHUNK);
    let mut listed = newcomer.users.clone();
    let count = recv_until(&mut newcomer.client, |m| match m {
        ServerMsg::People { users } => {
            assert!(users.len() <= SNAPSHOT_CHUNK);
            listed.extend(users.iter().cloned());
            None
        }
        ServerMsg::Online { count } => Some(*count),
        _ => None,
    })
    .await;
    assert_eq!(count, online + 1);
    assert!(
        listed.len() > SNAPSHOT_CHUNK && listed.len() <= PEOPLE_PAGE,
        "{} users listed",
        listed.len()
    );
    assert!(listed.iter().all(|u| u.online));
    // Nobody who shares only general hears of the newcomer...
    expect_none(
        &mut watcher.client,
        QUIET,
        |m| matches!(m, ServerMsg::Presence { user } if user.nickname == "Newcomer"),
    )
    .await;
    // ...but those who share a room with someone do.
    send(&mut friend.client, &ClientMsg::Logout).await;
    let gone = recv_until(&mut watcher.client, |m| match m {
        ServerMsg::Presence { user } if user.nickname == "Friend" => Some(user.online),
        _ => None,
    })
    .await;
    assert!(!gone, "Friend went offline");
}

#[tokio::test]
async fn a_small_rooms_count_goes_to_its_members_a_large_rooms_to_everyone() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut crowd = Vec::new();
    for name in ["Ann", "Carol", "Eve"] {
        crowd.push(server.login(name, "fox").await.unwrap());
    }
    // ROOMS_PAGE rooms of three: with general, more large rooms than everyone is shown.
    for i in 0..ROOMS_PAGE {
        for tab in crowd.iter_mut() {
            join_room(&mut tab.client, &format!("big{i}")).await;
        }
    }
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let mut dan = server.login("Dan", "cat").await.unwrap();
    for tab in [&mut bob, &mut dan] {
        send(
            &mut tab.client,
            &ClientMsg::JoinRoom {
                name: "small".into(),
            },
        )
        .await;
    }
    // A member hears the small room's count...
    let count = recv_until(&mut bob.client, |m| match m {
        ServerMsg::Rooms { rooms } => rooms
            .iter()
            .find(|r| r.name == "small" && r.member_count == 2)
            .map(|r| r.member_count),
        _ => None,
    })
    .await;
    assert_eq!(count, 2);
    // ...one who is not a member does not (the general count still reaches everyone).
    let ann = &mut crowd[0];
    expect_none(
        &mut ann.client,
        QUIET,
        |m| matches!(m, ServerMsg::Rooms { rooms } if rooms.iter().any(|r| r.name == "small")),
    )
    .await;
    send(&mut dan.client, &ClientMsg::Logout).await;
    send(&mut bob.client, &ClientMsg::Logout).await;
}
