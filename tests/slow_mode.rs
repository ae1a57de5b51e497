//! A room's slow mode against a real server, on raw WebSocket clients: a moderator
//! sets it, every member is told, a member's second message within the span is
//! refused with how long to wait (a message sent again after a lost ack is not), the
//! moderators are not held, edits and reactions are not either, a member cannot set
//! it, and it survives a restart with its audit entry. Runs on SQLite, and on
//! PostgreSQL with `CHAT_TEST_STORE=postgres` (scripts/test.sh).

mod common;

use std::time::Duration;

use chat::protocol::{
    AuditAction, ClientMsg, ClientMsgId, ConversationId, ErrorCode, ServerMsg, SLOW_MODE_MAX_S,
};
use common::{moderation::*, *};

fn slow_mode(conversation: ConversationId, seconds: u32) -> ClientMsg {
    ClientMsg::SetSlowMode {
        conversation,
        seconds,
    }
}

/// The slow mode `client` is told of next for `room`.
async fn told_slow_mode(client: &mut Client, room: ConversationId) -> u32 {
    recv_until(client, |m| match m {
        ServerMsg::SlowMode {
            conversation,
            seconds,
        } if *conversation == room => Some(*seconds),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_member_waits_between_messages_and_the_moderators_do_not() {
    let Den {
        db: _db,
        server: _server,
        room,
        mut ann,
        mut moderator,
        mut bob,
        mut cat,
    } = den().await;

    // A member cannot set it.
    assert_eq!(
        refusal_of(&mut bob.client, &slow_mode(room, 2)).await,
        Some(ErrorCode::NotAllowed)
    );

    // The moderator sets 2 s; everyone in the room is told.
    send(&mut moderator.client, &slow_mode(room, 2)).await;
    for tab in [&mut ann, &mut moderator, &mut bob, &mut cat] {
        assert_eq!(told_slow_mode(&mut tab.client, room).await, 2);
    }

    // Bob's first message goes; his second, at once, is held with how long to wait.
    let first = try_post(&mut bob, room, "b1", "text").await;
    assert!(first.is_ok(), "{first:?}");
    let (code, wait) = try_post(&mut bob, room, "b2", "text").await.unwrap_err();
    assert_eq!(code, ErrorCode::SlowMode);
    let wait = wait.expect("a wait");
    assert!(wait > 0 && wait <= 2_000, "{wait}");
    // The first sent again (its ack lost) is answered with its ack, not held.
    assert_eq!(try_post(&mut bob, room, "b1", "text").await, first);
    // Not the others' business: Cat writes as she likes, once.
    assert!(try_post(&mut cat, room, "c1", "text").await.is_ok());
    // Edits and reactions are not held.
    let seq = first.unwrap();
    let edit = ClientMsg::Edit {
        conversation: room,
        client_id: ClientMsgId("b1-edit".into()),
        seq,
        text: "b1, edited".into(),
        mentions: vec![],
    };
    assert_eq!(refusal_of(&mut bob.client, &edit).await, None);
    let react = ClientMsg::React {
        conversation: room,
        client_id: ClientMsgId("b1-react".into()),
        seq,
        emoji: "👍".into(),
        on: true,
    };
    assert_eq!(refusal_of(&mut bob.client, &react).await, None);

    // Moderators and the owner are not held.
    for (i, tab) in [&mut moderator, &mut ann].into_iter().enumerate() {
        for n in 0..3 {
            let id = format!("staff-{i}-{n}");
            assert!(try_post(tab, room, &id, "text").await.is_ok(), "{id}");
        }
    }

    // Once the wait is over, Bob writes again.
    tokio::time::sleep(Duration::from_millis(wait + 100)).await;
    assert!(try_post(&mut bob, room, "b3", "text").await.is_ok());

    // Off: no wait.
    send(&mut moderator.client, &slow_mode(room, 0)).await;
    assert_eq!(told_slow_mode(&mut bob.client, room).await, 0);
    assert!(try_post(&mut bob, room, "b4", "text").await.is_ok());
    assert!(try_post(&mut bob, room, "b5", "text").await.is_ok());
}

#[tokio::test]
async fn slow_mode_is_audited_told_at_sign_in_and_survives_a_restart() {
    let Den {
        db,
        server,
        room,
        mut moderator,
        bob,
        ..
    } = den().await;
    // Too long is cut to the longest.
    send(&mut moderator.client, &slow_mode(room, SLOW_MODE_MAX_S + 1)).await;
    assert_eq!(
        told_slow_mode(&mut moderator.client, room).await,
        SLOW_MODE_MAX_S
    );
    assert_eq!(
        audit_log(&mut moderator.client, room).await,
        Ok(vec![
            AuditAction::SlowModeSet {
                seconds: SLOW_MODE_MAX_S
            },
            AuditAction::RoleSet {
                role: chat::protocol::Role::Moderator
            },
        ])
    );
    let token = bob.token.clone();
    server.stop().await;

    let server = TestServer::start(db.config()).await;
    let mut bob = server.resume(&token).await.unwrap();
    let info = bob.conversations.iter().find(|c| c.id == room).unwrap();
    assert_eq!(
        info.slow_mode_s, SLOW_MODE_MAX_S,
        "in ready after a restart"
    );
    // The wait counts from the messages this server has seen: after a restart, from
    // the next one.
    assert!(try_post(&mut bob, room, "after", "text").await.is_ok());
    let (code, wait) = try_post(&mut bob, room, "again", "text").await.unwrap_err();
    assert_eq!(code, ErrorCode::SlowMode);
    assert!(wait.unwrap() > u64::from(SLOW_MODE_MAX_S - 60) * 1000);
    server.stop().await;
}
