//! What people expect of a chat beyond the tutorials, over real sockets: replies,
//! mentions, edits, deletions, reactions, unread counts and search, against a real
//! server with a real database (SQLite, or PostgreSQL with `CHAT_TEST_STORE=postgres`).

mod common;

use std::time::Duration;

use chat::protocol::{
    ChatMessage, ClientMsg, ClientMsgId, ConversationId, Cursor, ErrorCode, MessageBody, Seq,
    ServerMsg, UserId,
};
use common::{
    expect_none, history, join_room, next_error, recv_until, send, Client, Tab, TestDb, TestServer,
};

const QUIET: Duration = Duration::from_millis(400);

fn id(s: &str) -> ClientMsgId {
    ClientMsgId(s.into())
}

fn say(conversation: ConversationId, client_id: &str, text: &str) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: id(client_id),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
    }
}

fn react(
    conversation: ConversationId,
    client_id: &str,
    seq: Seq,
    emoji: &str,
    on: bool,
) -> ClientMsg {
    ClientMsg::React {
        conversation,
        client_id: id(client_id),
        seq,
        emoji: emoji.into(),
        on,
    }
}

/// Sends a request that is acknowledged and waits for its ack: its number.
async fn acked(client: &mut Client, msg: ClientMsg) -> Seq {
    let client_id = msg.client_id().cloned().expect("an acknowledged request");
    send(client, &msg).await;
    recv_until(client, |m| match m {
        ServerMsg::Ack {
            client_id: c, seq, ..
        } if *c == client_id => Some(Ok(*seq)),
        ServerMsg::Error {
            code,
            client_id: Some(c),
            message,
            ..
        } if *c == client_id => Some(Err(format!("{code:?}: {message}"))),
        _ => None,
    })
    .await
    .unwrap()
}

/// Sends a request that the server refuses: the refusal's code (naming the client id).
async fn refused(client: &mut Client, msg: ClientMsg) -> ErrorCode {
    let client_id = msg.client_id().cloned();
    send(client, &msg).await;
    recv_until(client, |m| match m {
        ServerMsg::Error {
            code, client_id: c, ..
        } => {
            assert_eq!(*c, client_id, "a refusal names the request's client id");
            Some(*code)
        }
        ServerMsg::Ack { .. } => panic!("acknowledged, not refused: {m:?}"),
        _ => None,
    })
    .await
}

/// The next message (text, line or change) in `conversation`.
async fn next_in(client: &mut Client, conversation: ConversationId) -> ChatMessage {
    recv_until(client, |m| match m {
        ServerMsg::Message { message } if message.conversation == conversation => {
            Some(message.clone())
        }
        _ => None,
    })
    .await
}

/// A server whose send limit does not get in the way of a test sending quickly.
async fn start(db: &TestDb) -> TestServer {
    let config = chat::server::Config {
        sends_per_second: 10_000,
        send_burst: 10_000,
        ..db.config()
    };
    TestServer::start(config).await
}

/// Two users in a room of their own: Alice, and Bob with two tabs.
async fn alice_and_bob(server: &TestServer, room: &str) -> (Tab, Tab, Tab, ConversationId) {
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let c = join_room(&mut alice.client, room).await.id;
    join_room(&mut bob.client, room).await;
    let bob2 = server.resume(&bob.token).await.unwrap();
    (alice, bob, bob2, c)
}

#[tokio::test]
async fn replies_edits_reactions_and_deletions_reach_every_tab_and_stay_in_history() {
    let db = TestDb::new();
    let server = start(&db).await;
    let (mut alice, mut bob, mut bob2, room) = alice_and_bob(&server, "plans").await;

    let first = acked(&mut alice.client, say(room, "a-1", "helo everyone")).await;
    for tab in [&mut bob.client, &mut bob2.client] {
        while !matches!(next_in(tab, room).await.body, MessageBody::Text { .. }) {}
    }

    // A reply carries a quote of what it answers, and mentions the members it names.
    let reply = ClientMsg::Send {
        conversation: room,
        client_id: id("b-1"),
        text: "@Alice hi!".into(),
        reply_to: Some(first),
        mentions: vec![alice.me.id, UserId(999_999), bob.me.id],
    };
    let reply_seq = acked(&mut bob.client, reply).await;
    let m = loop {
        let m = next_in(&mut alice.client, room).await;
        if m.seq == reply_seq {
            break m;
        }
    };
    let quote = m.reply_to.expect("a quote");
    assert_eq!(
        (quote.seq, quote.author, quote.snippet.as_str()),
        (first, alice.me.id, "helo everyone")
    );
    assert_eq!(
        m.mentions,
        [alice.me.id],
        "only members, not the sender, not strangers"
    );

    // Alice edits her text: every tab gets the change, and applies it once.
    let edit = ClientMsg::Edit {
        conversation: room,
        client_id: id("a-2"),
        seq: first,
        text: "hello everyone".into(),
        mentions: Vec::new(),
    };
    let edit_seq = acked(&mut alice.client, edit.clone()).await;
    for tab in [&mut bob.client, &mut bob2.client] {
        let change = loop {
            let m = next_in(tab, room).await;
            if m.seq == edit_seq {
                break m;
            }
        };
        assert_eq!(
            change.body,
            MessageBody::Edited {
                target: first,
                text: "hello everyone".into()
            }
        );
        assert_eq!(change.author.id, alice.me.id);
        assert_eq!(change.client_id, None, "a client id is its author's only");
    }
    // Sent again (its ack lost): the same ack, nothing new for anyone.
    assert_eq!(acked(&mut alice.client, edit).await, edit_seq);
    expect_none(&mut bob.client, QUIET, |m| {
        matches!(m, ServerMsg::Message { .. })
    })
    .await;

    // Only the author edits or deletes; anyone reacts, with one of the emoji.
    let not_yours = ClientMsg::Edit {
        conversation: room,
        client_id: id("b-2"),
        seq: first,
        text: "pwned".into(),
        mentions: Vec::new(),
    };
    assert_eq!(
        refused(&mut bob.client, not_yours).await,
        ErrorCode::NotYourMessage
    );
    let delete_other = ClientMsg::Delete {
        conversation: room,
        client_id: id("b-3"),
        seq: first,
    };
    assert_eq!(
        refused(&mut bob.client, delete_other).await,
        ErrorCode::NotYourMessage
    );
    assert_eq!(
        refused(&mut bob.client, react(room, "b-4", first, "💩", true)).await,
        ErrorCode::InvalidReaction
    );
    assert_eq!(
        refused(&mut bob.client, react(room, "b-5", 9_999, "👍", true)).await,
        ErrorCode::NoSuchMessage
    );
    let thumbs = acked(&mut bob.client, react(room, "b-6", first, "👍", true)).await;
    let party = acked(&mut alice.client, react(room, "a-3", first, "🎉", true)).await;
    acked(&mut alice.client, react(room, "a-4", first, "👍", true)).await;
    let (page, _) = history(&mut bob2.client, room, None).await;
    let shown: Vec<Seq> = page.iter().map(|m| m.seq).collect();
    // Two join lines, the two texts; none of the changes.
    assert_eq!(
        shown,
        [1, 2, first, reply_seq],
        "history lists texts and lines, not the changes"
    );
    let page = &page[2..];
    let m = &page[0];
    assert_eq!(
        m.body,
        MessageBody::Text {
            text: "hello everyone".into()
        }
    );
    assert!(m.edited_at_ms.is_some());
    let reactions: Vec<(&str, Vec<UserId>)> = m
        .reactions
        .iter()
        .map(|r| (r.emoji.as_str(), r.users.iter().map(|u| u.id).collect()))
        .collect();
    assert_eq!(
        reactions,
        [
            ("👍", vec![bob.me.id, alice.me.id]),
            ("🎉", vec![alice.me.id])
        ]
    );
    assert!(m.revision > party && thumbs < party);

    // Deleted: no text, no reactions; the reply's quote says so; nothing more to change.
    acked(
        &mut alice.client,
        ClientMsg::Delete {
            conversation: room,
            client_id: id("a-5"),
            seq: first,
        },
    )
    .await;
    let (page, _) = history(&mut bob2.client, room, None).await;
    let page = &page[2..];
    assert!(page[0].deleted);
    assert_eq!(
        page[0].body,
        MessageBody::Text {
            text: String::new()
        }
    );
    assert!(page[0].reactions.is_empty());
    assert!(page[1].reply_to.as_ref().unwrap().deleted);
    assert_eq!(page[1].reply_to.as_ref().unwrap().snippet, "");
    assert_eq!(
        refused(&mut bob.client, react(room, "b-7", first, "👍", true)).await,
        ErrorCode::NoSuchMessage
    );
    let reply_to_deleted = ClientMsg::Send {
        conversation: room,
        client_id: id("b-8"),
        text: "what was it?".into(),
        reply_to: Some(first),
        mentions: Vec::new(),
    };
    assert_eq!(
        refused(&mut bob.client, reply_to_deleted).await,
        ErrorCode::NoSuchMessage
    );
}

#[tokio::test]
async fn changes_need_membership_and_their_own_conversation() {
    let db = TestDb::new();
    let server = start(&db).await;
    let (mut alice, _bob, _bob2, room) = alice_and_bob(&server, "inner-circle").await;
    let mut carol = server.login("Carol", "cat").await.unwrap();
    let general = carol.room("general");
    let seq = acked(&mut alice.client, say(room, "a-1", "members only")).await;

    // Not a member: nothing of the room can be changed, reacted to or answered.
    assert_eq!(
        refused(&mut carol.client, react(room, "c-1", seq, "👍", true)).await,
        ErrorCode::NotAMember
    );
    let edit = ClientMsg::Edit {
        conversation: room,
        client_id: id("c-2"),
        seq,
        text: "x".into(),
        mentions: Vec::new(),
    };
    assert_eq!(
        refused(&mut carol.client, edit).await,
        ErrorCode::NotAMember
    );
    // A number names a message of the conversation given: the room's message is not
    // general's.
    let reply = ClientMsg::Send {
        conversation: general,
        client_id: id("c-3"),
        text: "leak?".into(),
        reply_to: Some(seq + 1_000),
        mentions: vec![alice.me.id],
    };
    assert_eq!(
        refused(&mut carol.client, reply).await,
        ErrorCode::NoSuchMessage
    );
    // Mentions of people outside the conversation are dropped.
    let mention = ClientMsg::Send {
        conversation: room,
        client_id: id("a-2"),
        text: "@Carol come in".into(),
        reply_to: None,
        mentions: vec![carol.me.id],
    };
    let mentioned = acked(&mut alice.client, mention).await;
    let (page, _) = history(&mut alice.client, room, None).await;
    let m = page.iter().find(|m| m.seq == mentioned).unwrap();
    assert!(m.mentions.is_empty(), "{:?}", m.mentions);
}

#[tokio::test]
async fn a_reconnecting_tab_gets_the_changes_it_missed_in_order_once() {
    let db = TestDb::new();
    let server = start(&db).await;
    let (mut alice, bob, bob2, room) = alice_and_bob(&server, "replayed").await;
    drop(bob2);
    let first = acked(&mut alice.client, say(room, "a-1", "one")).await;
    let second = acked(&mut alice.client, say(room, "a-2", "two")).await;
    let mut bob = bob;
    // Bob has seen both texts as they were first.
    let mut shown: Vec<ChatMessage> = Vec::new();
    while shown.len() < 2 {
        let m = next_in(&mut bob.client, room).await;
        if matches!(m.body, MessageBody::Text { .. }) {
            shown.push(m);
        }
    }
    let cursor = shown[1].seq;
    let token = bob.token.clone();
    drop(bob);

    // While Bob is away: an edit, reactions on and off, a deletion.
    acked(
        &mut alice.client,
        ClientMsg::Edit {
            conversation: room,
            client_id: id("a-3"),
            seq: first,
            text: "one!".into(),
            mentions: Vec::new(),
        },
    )
    .await;
    acked(&mut alice.client, react(room, "a-4", first, "😂", true)).await;
    acked(&mut alice.client, react(room, "a-5", first, "❤️", true)).await;
    acked(&mut alice.client, react(room, "a-6", first, "😂", false)).await;
    acked(
        &mut alice.client,
        ClientMsg::Delete {
            conversation: room,
            client_id: id("a-7"),
            seq: second,
        },
    )
    .await;

    let mut client = server.connect().await;
    let resume = ClientMsg::Resume {
        token,
        cursors: vec![Cursor {
            conversation: room,
            seq: cursor,
        }],
    };
    send(&mut client, &resume).await;
    let replayed = recv_until(&mut client, |m| match m {
        ServerMsg::Replay {
            conversation,
            messages,
        } if *conversation == room => Some(messages.clone()),
        _ => None,
    })
    .await;
    let numbers: Vec<Seq> = replayed.iter().map(|m| m.seq).collect();
    assert_eq!(
        numbers,
        ((cursor + 1)..=(cursor + 5)).collect::<Vec<_>>(),
        "in order, each once"
    );
    for change in &replayed {
        for m in shown.iter_mut() {
            m.apply(change);
        }
    }
    // What the tab shows now is what a fresh reader loads.
    let (page, _) = history(&mut client, room, None).await;
    let fresh: Vec<&ChatMessage> = page
        .iter()
        .filter(|m| m.seq == first || m.seq == second)
        .collect();
    for (mine, theirs) in shown.iter().zip(fresh) {
        assert_eq!(mine.body, theirs.body);
        assert_eq!(mine.deleted, theirs.deleted);
        assert_eq!(mine.revision, theirs.revision);
        let emoji = |m: &ChatMessage| {
            m.reactions
                .iter()
                .map(|r| r.emoji.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(emoji(mine), emoji(theirs));
    }
    assert_eq!(
        shown[0].body,
        MessageBody::Text {
            text: "one!".into()
        }
    );
    assert_eq!(shown[0].reactions.len(), 1);
    assert!(shown[1].deleted);
}

#[tokio::test]
async fn unread_counts_leave_out_lines_and_changes_and_count_mentions_apart() {
    let db = TestDb::new();
    let server = start(&db).await;
    let (mut alice, bob, bob2, room) = alice_and_bob(&server, "counted").await;
    let (token, bob_id) = (bob.token.clone(), bob.me.id);
    drop((bob, bob2));
    let first = acked(&mut alice.client, say(room, "a-1", "are you there?")).await;
    let mention = ClientMsg::Send {
        conversation: room,
        client_id: id("a-2"),
        text: "@Bob look".into(),
        reply_to: Some(first),
        mentions: vec![bob_id],
    };
    acked(&mut alice.client, mention).await;
    acked(&mut alice.client, react(room, "a-3", first, "👍", true)).await;
    acked(
        &mut alice.client,
        ClientMsg::Edit {
            conversation: room,
            client_id: id("a-4"),
            seq: first,
            text: "there?".into(),
            mentions: Vec::new(),
        },
    )
    .await;
    let mut carol = server.login("Carol", "cat").await.unwrap();
    join_room(&mut carol.client, "counted").await; // a join line
    let gone = acked(&mut alice.client, say(room, "a-5", "oops")).await;
    acked(
        &mut alice.client,
        ClientMsg::Delete {
            conversation: room,
            client_id: id("a-6"),
            seq: gone,
        },
    )
    .await;

    let mut bob = server.resume(&token).await.unwrap();
    let info = bob
        .conversations
        .iter()
        .find(|c| c.id == room)
        .unwrap()
        .clone();
    assert_eq!((info.unread, info.mentions), (2, 1), "{info:?}");
    assert!(
        info.last_seq > info.read_seq + 2,
        "changes and lines took numbers: {info:?}"
    );
    // Once read, nothing is unread.
    send(
        &mut bob.client,
        &ClientMsg::MarkRead {
            conversation: room,
            seq: info.last_seq,
        },
    )
    .await;
    tokio::time::sleep(QUIET).await;
    let again = server.resume(&token).await.unwrap();
    let info = again.conversations.iter().find(|c| c.id == room).unwrap();
    assert_eq!((info.unread, info.mentions), (0, 0));
}

async fn search(
    client: &mut Client,
    query: &str,
    within: Option<ConversationId>,
) -> Result<Vec<ChatMessage>, ErrorCode> {
    loop {
        let search = ClientMsg::Search {
            query: query.into(),
            conversation: within,
        };
        send(client, &search).await;
        let answer = recv_until(client, |m| match m {
            ServerMsg::SearchResults { messages, .. } => Some(Ok(messages.clone())),
            ServerMsg::Error {
                code,
                retry_after_ms,
                ..
            } => Some(Err((*code, *retry_after_ms))),
            _ => None,
        })
        .await;
        // Searches are limited to one a second (burst 5): wait as a client would.
        match answer {
            Ok(found) => return Ok(found),
            Err((ErrorCode::RateLimited, Some(ms))) => {
                tokio::time::sleep(Duration::from_millis(ms)).await
            }
            Err((code, _)) => return Err(code),
        }
    }
}

fn texts(found: &[ChatMessage]) -> Vec<String> {
    found
        .iter()
        .map(|m| match &m.body {
            MessageBody::Text { text } => text.clone(),
            other => panic!("not a text: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn search_finds_words_in_the_users_conversations_only_as_they_are_now() {
    let db = TestDb::new();
    let server = start(&db).await;
    let (mut alice, mut bob, _bob2, room) = alice_and_bob(&server, "release").await;
    let general = alice.room("general");
    acked(
        &mut alice.client,
        say(room, "a-1", "The release is on Friday"),
    )
    .await;
    acked(&mut alice.client, say(room, "a-2", "下周五发布新版本")).await;
    acked(
        &mut bob.client,
        say(general, "b-1", "Release notes are in the wiki"),
    )
    .await;
    let typo = acked(&mut bob.client, say(general, "b-2", "relase party!")).await;
    let gone = acked(&mut alice.client, say(room, "a-3", "secret release plan")).await;
    acked(
        &mut alice.client,
        ClientMsg::Delete {
            conversation: room,
            client_id: id("a-4"),
            seq: gone,
        },
    )
    .await;

    // Whole words in any case, newest first, in every conversation of the user.
    assert_eq!(
        texts(&search(&mut bob.client, "RELEASE", None).await.unwrap()),
        ["Release notes are in the wiki", "The release is on Friday"]
    );
    // Chinese inside a sentence without spaces; a word of two characters.
    assert_eq!(
        texts(&search(&mut bob.client, "周五", None).await.unwrap()),
        ["下周五发布新版本"]
    );
    assert_eq!(
        texts(&search(&mut bob.client, "发布 版本", None).await.unwrap()),
        ["下周五发布新版本"]
    );
    assert!(
        search(&mut bob.client, "五下", None)
            .await
            .unwrap()
            .is_empty(),
        "characters in order"
    );
    // Every word must be there; one conversation only when asked.
    assert_eq!(
        texts(
            &search(&mut bob.client, "release friday", None)
                .await
                .unwrap()
        ),
        ["The release is on Friday"]
    );
    assert_eq!(
        texts(
            &search(&mut bob.client, "release", Some(general))
                .await
                .unwrap()
        ),
        ["Release notes are in the wiki"]
    );
    // An edit is found by its new words, not its old ones.
    acked(
        &mut bob.client,
        ClientMsg::Edit {
            conversation: general,
            client_id: id("b-3"),
            seq: typo,
            text: "release party!".into(),
            mentions: Vec::new(),
        },
    )
    .await;
    assert!(search(&mut bob.client, "relase", None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        search(&mut bob.client, "party", None).await.unwrap()[0].seq,
        typo
    );

    // Someone outside the room finds nothing of it; quotes and operators are words.
    let mut carol = server.login("Carol", "cat").await.unwrap();
    assert_eq!(
        texts(&search(&mut carol.client, "release", None).await.unwrap()),
        ["release party!", "Release notes are in the wiki"]
    );
    assert!(search(&mut carol.client, "周五", None)
        .await
        .unwrap()
        .is_empty());
    assert!(search(&mut carol.client, "\"release\" OR NEAR(x) *", None)
        .await
        .is_ok());
    assert_eq!(
        search(&mut carol.client, "release", Some(room)).await,
        Err(ErrorCode::NotAMember)
    );
    assert_eq!(
        search(&mut carol.client, "  !? ", None).await,
        Err(ErrorCode::InvalidQuery)
    );
}

#[tokio::test]
async fn history_from_a_number_loads_everything_after_it() {
    let db = TestDb::new();
    let server = start(&db).await;
    let mut alice = server.login("Alice", "fox").await.unwrap();
    let room = join_room(&mut alice.client, "long").await.id;
    let mut seqs = Vec::new();
    for i in 0..120 {
        seqs.push(
            acked(
                &mut alice.client,
                say(room, &format!("a-{i}"), &format!("n{i}")),
            )
            .await,
        );
    }
    send(
        &mut alice.client,
        &ClientMsg::History {
            conversation: room,
            before: None,
            from: Some(seqs[10]),
        },
    )
    .await;
    let (page, has_more) = recv_until(&mut alice.client, |m| match m {
        ServerMsg::History {
            messages, has_more, ..
        } => Some((messages.clone(), *has_more)),
        _ => None,
    })
    .await;
    assert_eq!(page.first().map(|m| m.seq), Some(seqs[10]));
    assert_eq!(page.last().map(|m| m.seq), seqs.last().copied());
    assert!(has_more);
}

/// The answer to a `members` request: the members' nicknames, and how many more.
async fn members(client: &mut Client, conversation: ConversationId) -> (Vec<String>, u32) {
    send(client, &ClientMsg::Members { conversation }).await;
    recv_until(client, |m| match m {
        ServerMsg::Members {
            conversation: c,
            users,
            more,
        } if *c == conversation => {
            Some((users.iter().map(|u| u.nickname.clone()).collect(), *more))
        }
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_rooms_members_are_listed_to_its_members_only() {
    let db = TestDb::new();
    let server = start(&db).await;
    let (mut alice, mut bob, _bob2, room) = alice_and_bob(&server, "members-room").await;
    // Dave joins and goes away: offline, still a member.
    let mut dave = server.login("Dave", "bear").await.unwrap();
    join_room(&mut dave.client, "members-room").await;
    drop(dave);
    assert_eq!(
        members(&mut alice.client, room).await,
        (vec!["Alice".to_string(), "Bob".into(), "Dave".into()], 0)
    );

    // Not a member: refused.
    let mut carol = server.login("Carol", "cat").await.unwrap();
    send(
        &mut carol.client,
        &ClientMsg::Members { conversation: room },
    )
    .await;
    assert_eq!(next_error(&mut carol.client).await, ErrorCode::NotAMember);

    // Bob leaves: he is no longer listed.
    send(
        &mut bob.client,
        &ClientMsg::LeaveRoom { conversation: room },
    )
    .await;
    loop {
        let line = next_in(&mut alice.client, room).await;
        if line.body == MessageBody::Left && line.author.nickname == "Bob" {
            break;
        }
    }
    assert_eq!(
        members(&mut alice.client, room).await,
        (vec!["Alice".to_string(), "Dave".into()], 0)
    );
}
