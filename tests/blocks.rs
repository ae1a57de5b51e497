//! Blocking a person, against a real server on raw WebSocket clients: nothing of the
//! blocked person reaches the blocker's sockets (live, typing, replay, history, search,
//! unread counts), while everyone else gets it as before; no private message passes
//! between the two; the blocked person is told nothing; every tab of the blocker learns
//! the list. Runs on SQLite, and on PostgreSQL with `CHAT_TEST_STORE=postgres`
//! (scripts/test.sh).

mod common;

use std::time::Duration;

use chat::protocol::{
    ChatMessage, ClientMsg, ConversationId, Cursor, ErrorCode, MessageBody, ServerMsg, UserId,
    UserInfo, GENERAL_ROOM,
};
use common::*;

/// How long to wait for what must not come.
const QUIET: Duration = Duration::from_millis(400);

fn text_of(m: &ChatMessage) -> Option<&str> {
    match &m.body {
        MessageBody::Text { text } => Some(text),
        _ => None,
    }
}

/// The list `client` is told after a block or unblock.
async fn told_blocked(client: &mut Client) -> Vec<UserInfo> {
    recv_until(client, |m| match m {
        ServerMsg::Blocked { users } => Some(users.clone()),
        _ => None,
    })
    .await
}

/// The text `client` gets next in `conversation`.
async fn next_text(client: &mut Client, conversation: ConversationId) -> String {
    recv_until(client, |m| match m {
        ServerMsg::Message { message } if message.conversation == conversation => {
            text_of(message).map(str::to_string)
        }
        _ => None,
    })
    .await
}

/// The texts a search for "from" finds for `client`.
async fn found(client: &mut Client) -> Vec<String> {
    let query = ClientMsg::Search {
        query: "from".into(),
        conversation: None,
    };
    send(client, &query).await;
    recv_until(client, |m| match m {
        ServerMsg::SearchResults { messages, .. } => Some(
            messages
                .iter()
                .filter_map(|m| text_of(m).map(str::to_string))
                .collect(),
        ),
        _ => None,
    })
    .await
}

fn block(user: UserId) -> ClientMsg {
    ClientMsg::Block { user }
}

#[tokio::test]
async fn a_blocked_persons_messages_and_typing_never_reach_the_blockers_sockets() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let mut ann_phone = server.resume(&ann.token).await.unwrap();
    let mut bob = server.login("Bob", "cat").await.unwrap();
    let mut cat = server.login("Cat", "owl").await.unwrap();
    let general = ann.room(GENERAL_ROOM);

    // Nobody but the user themselves, and nobody unknown.
    assert_eq!(
        refusal_of(&mut ann.client, &block(ann.me.id)).await,
        Some(ErrorCode::NoSuchUser)
    );
    assert_eq!(
        refusal_of(&mut ann.client, &block(UserId(9999))).await,
        Some(ErrorCode::NoSuchUser)
    );

    send(&mut ann.client, &block(bob.me.id)).await;
    let listed = told_blocked(&mut ann.client).await;
    assert_eq!(listed.iter().map(|u| u.id).collect::<Vec<_>>(), [bob.me.id]);
    assert_eq!(listed[0].nickname, "Bob");
    // Every tab of Ann's is told; Bob is told nothing.
    assert_eq!(told_blocked(&mut ann_phone.client).await, listed);

    post(&mut bob, general, "b1", "from bob").await;
    send(
        &mut bob.client,
        &ClientMsg::Typing {
            conversation: general,
        },
    )
    .await;
    assert_eq!(next_text(&mut cat.client, general).await, "from bob");
    post(&mut cat, general, "c1", "from cat").await;
    // Cat got Bob's text; Ann's tabs get Cat's and nothing of Bob's before or after.
    for tab in [&mut ann.client, &mut ann_phone.client] {
        let first = recv_until(tab, |m| match m {
            ServerMsg::Message { message } if message.conversation == general => {
                Some(message.clone())
            }
            ServerMsg::Typing { user, .. } if *user == bob.me.id => {
                panic!("Bob's typing reached Ann")
            }
            _ => None,
        })
        .await;
        assert_eq!(text_of(&first), Some("from cat"), "{first:?}");
    }
    expect_none(
        &mut ann.client,
        QUIET,
        |m| matches!(m, ServerMsg::Message { message } if message.author.id == bob.me.id),
    )
    .await;
    expect_none(&mut bob.client, QUIET, |m| {
        matches!(m, ServerMsg::Blocked { .. })
    })
    .await;

    // Bob's reaction to Cat's text (a change by Bob) does not reach Ann either.
    let cat_seq = post(&mut cat, general, "c2", "react to me").await;
    send(
        &mut bob.client,
        &ClientMsg::React {
            conversation: general,
            client_id: chat::protocol::ClientMsgId("b2".into()),
            seq: cat_seq,
            emoji: "👍".into(),
            on: true,
        },
    )
    .await;
    post(&mut cat, general, "c3", "after the reaction").await;
    let seen = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Message { message } if message.author.id == bob.me.id => Some(Err(())),
        ServerMsg::Message { message } if text_of(message) == Some("after the reaction") => {
            Some(Ok(()))
        }
        _ => None,
    })
    .await;
    assert_eq!(seen, Ok(()), "nothing of Bob's came first");

    // History, search and a new tab's unread count leave Bob out for Ann, not for Cat.
    let (page, _) = history(&mut ann.client, general, None).await;
    assert!(page.iter().all(|m| m.author.id != bob.me.id), "{page:?}");
    assert!(page.iter().any(|m| text_of(m) == Some("from cat")));
    let (page, _) = history(&mut cat.client, general, None).await;
    assert!(page.iter().any(|m| text_of(m) == Some("from bob")));
    assert_eq!(found(&mut ann.client).await, ["from cat"]);
    assert_eq!(found(&mut cat.client).await.len(), 2);

    // A resume from before all this replays Cat's texts only, and lists the block.
    let mut again = server.connect().await;
    send(
        &mut again,
        &ClientMsg::Resume {
            token: ann.token.clone(),
            cursors: vec![Cursor {
                conversation: general,
                seq: 0,
            }],
        },
    )
    .await;
    let (blocked, unread) = recv_until(&mut again, |m| match m {
        ServerMsg::Ready {
            blocked,
            conversations,
            ..
        } => Some((
            blocked.clone(),
            conversations
                .iter()
                .find(|c| c.id == general)
                .map(|c| c.unread),
        )),
        _ => None,
    })
    .await;
    assert_eq!(
        blocked.iter().map(|u| u.id).collect::<Vec<_>>(),
        [bob.me.id]
    );
    // Cat's three texts (Ann read nothing yet); Bob's are not counted.
    assert_eq!(unread, Some(3));
    let mut replayed = Vec::new();
    while !replayed.contains(&"after the reaction".to_string()) {
        let batch = recv_until(&mut again, |m| match m {
            ServerMsg::Replay { messages, .. } => Some(messages.clone()),
            _ => None,
        })
        .await;
        assert!(batch.iter().all(|m| m.author.id != bob.me.id), "{batch:?}");
        replayed.extend(batch.iter().filter_map(|m| text_of(m).map(str::to_string)));
    }

    // Unblocked: Bob's next text reaches Ann again, on every tab.
    send(
        &mut ann_phone.client,
        &ClientMsg::Unblock { user: bob.me.id },
    )
    .await;
    assert_eq!(told_blocked(&mut ann.client).await, []);
    post(&mut bob, general, "b3", "hello again").await;
    assert_eq!(next_text(&mut ann.client, general).await, "hello again");
    server.stop().await;
}

#[tokio::test]
async fn no_private_message_passes_between_a_blocker_and_the_blocked() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let mut bob = server.login("Bob", "cat").await.unwrap();
    let mut cat = server.login("Cat", "owl").await.unwrap();
    let direct = open_direct(&mut bob, ann.me.id).await;
    post(&mut bob, direct, "b1", "hi ann").await;
    assert_eq!(next_text(&mut ann.client, direct).await, "hi ann");

    send(&mut ann.client, &block(bob.me.id)).await;
    told_blocked(&mut ann.client).await;
    // Bob cannot write in the conversation they had, nor open a new one with her, nor
    // type there; Ann cannot write to him either (until she unblocks him).
    send(&mut bob.client, &say(direct, "b2", "still there?")).await;
    assert_eq!(next_error(&mut bob.client).await, ErrorCode::DirectClosed);
    assert_eq!(
        refusal_of(&mut bob.client, &ClientMsg::OpenDirect { user: ann.me.id }).await,
        Some(ErrorCode::DirectClosed)
    );
    assert_eq!(
        refusal_of(
            &mut bob.client,
            &ClientMsg::Typing {
                conversation: direct
            }
        )
        .await,
        Some(ErrorCode::DirectClosed)
    );
    send(&mut ann.client, &say(direct, "a1", "go away")).await;
    assert_eq!(next_error(&mut ann.client).await, ErrorCode::DirectClosed);
    // Bob and Cat write to each other as before.
    let with_cat = open_direct(&mut bob, cat.me.id).await;
    post(&mut bob, with_cat, "b3", "hi cat").await;
    assert_eq!(next_text(&mut cat.client, with_cat).await, "hi cat");
    expect_none(
        &mut ann.client,
        QUIET,
        |m| matches!(m, ServerMsg::Message { message } if message.author.id == bob.me.id),
    )
    .await;

    // A block holds across a restart of the server (storage has it).
    server.stop().await;
    let server = TestServer::start(db.config()).await;
    let mut bob = server.resume(&bob.token).await.unwrap();
    assert_eq!(
        refusal_of(&mut bob.client, &ClientMsg::OpenDirect { user: ann.me.id }).await,
        Some(ErrorCode::DirectClosed)
    );
    let mut ann = server.resume(&ann.token).await.unwrap();
    send(&mut ann.client, &ClientMsg::Unblock { user: bob.me.id }).await;
    told_blocked(&mut ann.client).await;
    post(&mut bob, direct, "b4", "friends again").await;
    assert_eq!(next_text(&mut ann.client, direct).await, "friends again");
    server.stop().await;
}

#[tokio::test]
async fn a_blocked_moderators_removal_still_reaches_the_blocker() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    // Bob owns the room; Ann blocks him; Cat posts what Bob removes.
    let mut bob = server.login("Bob", "cat").await.unwrap();
    let room = join_room(&mut bob.client, "club").await.id;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    join_room(&mut ann.client, "club").await;
    let mut cat = server.login("Cat", "owl").await.unwrap();
    join_room(&mut cat.client, "club").await;
    send(&mut ann.client, &block(bob.me.id)).await;
    told_blocked(&mut ann.client).await;
    let seq = post(&mut cat, room, "c1", "spam from cat").await;
    assert_eq!(next_text(&mut ann.client, room).await, "spam from cat");
    send(
        &mut bob.client,
        &ClientMsg::Delete {
            conversation: room,
            client_id: chat::protocol::ClientMsgId("b1".into()),
            seq,
        },
    )
    .await;
    let removal = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Message { message } if message.conversation == room => match message.body {
            MessageBody::Removed { target } => Some(target),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(removal, seq, "the spam is removed for Ann too");
    server.stop().await;
}
