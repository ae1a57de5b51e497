//! Moderation against a real server, on raw WebSocket clients: a room's creator owns
//! it and appoints moderators; a moderator removes anyone's message, times out, kicks
//! and bans members below them, and reads the room's audit log; a member can do none
//! of it; nobody acts on an equal or higher role; instance admins (named with
//! `chat admin`) act everywhere. Runs on SQLite, and on PostgreSQL with
//! `CHAT_TEST_STORE=postgres` (scripts/test.sh).

mod common;

use std::time::Duration;

use chat::{
    protocol::{
        AuditAction, ChatMessage, ClientMsg, ClientMsgId, ConversationId, Cursor, ErrorCode,
        MessageBody, Removal, Role, ServerMsg, UserId,
    },
    server::admin::{self, AdminCommand},
};
use common::{moderation::*, *};

/// How long to wait for what must not come.
const QUIET: Duration = Duration::from_millis(400);

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_millis() as i64)
}

/// The next message of `conversation` that `pick` accepts.
async fn next_message_where(
    client: &mut Client,
    conversation: ConversationId,
    pick: impl Fn(&ChatMessage) -> bool,
) -> ChatMessage {
    recv_until(client, |m| match m {
        ServerMsg::Message { message } if message.conversation == conversation && pick(message) => {
            Some(message.clone())
        }
        _ => None,
    })
    .await
}

fn kick(conversation: ConversationId, user: UserId) -> ClientMsg {
    ClientMsg::Kick { conversation, user }
}

fn ban(conversation: ConversationId, user: UserId, remove_last_s: u32) -> ClientMsg {
    ClientMsg::Ban {
        conversation,
        user,
        remove_last_s,
    }
}

fn timeout(conversation: ConversationId, user: UserId, seconds: u32) -> ClientMsg {
    ClientMsg::Timeout {
        conversation,
        user,
        seconds,
    }
}

fn remove(conversation: ConversationId, client_id: &str, seq: u64) -> ClientMsg {
    ClientMsg::Delete {
        conversation,
        client_id: ClientMsgId(client_id.into()),
        seq,
    }
}

#[tokio::test]
async fn a_member_can_do_no_moderation_and_nobody_acts_on_an_equal_or_higher_role() {
    let Den {
        server: _server,
        db: _db,
        room,
        mut ann,
        mut moderator,
        mut bob,
        mut cat,
        ..
    } = den().await;
    let seq = post(&mut cat, room, "c-1", "hello").await;
    // A member: no kick, ban, timeout, removal, role or log.
    let mid = moderator.me.id;
    for msg in [
        kick(room, mid),
        ban(room, mid, 0),
        timeout(room, mid, 60),
        set_role(room, bob.me.id, Role::Moderator),
    ] {
        assert_eq!(
            refusal_of(&mut bob.client, &msg).await,
            Some(ErrorCode::NotAllowed),
            "{msg:?}"
        );
    }
    assert_eq!(
        refusal_of(&mut bob.client, &remove(room, "b-rm", seq)).await,
        Some(ErrorCode::NotYourMessage)
    );
    assert_eq!(
        audit_log(&mut bob.client, room).await,
        Err(ErrorCode::NotAllowed)
    );
    // A moderator: not on the owner, nor on themselves; no roles to give.
    let aid = ann.me.id;
    for msg in [
        kick(room, aid),
        ban(room, aid, 0),
        timeout(room, aid, 60),
        kick(room, mid),
        set_role(room, bob.me.id, Role::Moderator),
    ] {
        assert_eq!(
            refusal_of(&mut moderator.client, &msg).await,
            Some(ErrorCode::NotAllowed),
            "{msg:?}"
        );
    }
    let own = post(&mut ann, room, "a-1", "the owner's").await;
    assert_eq!(
        refusal_of(&mut moderator.client, &remove(room, "m-rm", own)).await,
        Some(ErrorCode::NotAllowed)
    );
    // The owner cannot make anyone an admin, nor act on themselves.
    assert_eq!(
        refusal_of(&mut ann.client, &set_role(room, bob.me.id, Role::Admin)).await,
        Some(ErrorCode::NotAllowed)
    );
    assert_eq!(
        refusal_of(&mut ann.client, &kick(room, aid)).await,
        Some(ErrorCode::NotAllowed)
    );
    // Nothing of it happened: the log holds the one role given.
    assert_eq!(
        audit_log(&mut ann.client, room).await.unwrap(),
        vec![AuditAction::RoleSet {
            role: Role::Moderator
        }]
    );
}

#[tokio::test]
async fn a_moderator_removes_a_members_message_for_everyone_live_and_in_history() {
    let Den {
        server: _server,
        db: _db,
        room,
        mut ann,
        mut moderator,
        mut bob,
        ..
    } = den().await;
    let seq = post(&mut bob, room, "b-1", "spam spam").await;
    send(&mut moderator.client, &remove(room, "m-rm", seq)).await;
    let mid = moderator.me.id;
    for tab in [&mut ann, &mut moderator, &mut bob] {
        let change = next_message_where(&mut tab.client, room, |m| {
            matches!(m.body, MessageBody::Removed { .. })
        })
        .await;
        assert_eq!(change.body, MessageBody::Removed { target: seq });
        assert_eq!(change.author.id, mid);
    }
    let (page, _) = history(&mut ann.client, room, None).await;
    let removed = page.iter().find(|m| m.seq == seq).unwrap();
    assert!(removed.removed && removed.deleted);
    assert_eq!(removed.body, MessageBody::Text { text: "".into() });
    // Not found by search any more.
    send(
        &mut ann.client,
        &ClientMsg::Search {
            query: "spam".into(),
            conversation: None,
        },
    )
    .await;
    let found = recv_until(&mut ann.client, |m| match m {
        ServerMsg::SearchResults { messages, .. } => Some(messages.len()),
        _ => None,
    })
    .await;
    assert_eq!(found, 0);
    // In the log, for the owner.
    assert_eq!(
        audit_log(&mut ann.client, room).await.unwrap()[0],
        AuditAction::MessageRemoved { seq }
    );
}

#[tokio::test]
async fn a_timed_out_member_reads_but_cannot_write_until_the_time_passes() {
    let Den {
        db: _db,
        server,
        room,
        mut moderator,
        mut bob,
        mut cat,
        ..
    } = den().await;
    let before = post(&mut bob, room, "b-1", "before").await;
    send(&mut moderator.client, &timeout(room, bob.me.id, 2)).await;
    let until = recv_until(&mut bob.client, |m| match m {
        ServerMsg::TimedOut { until_ms, .. } => Some(*until_ms),
        _ => None,
    })
    .await;
    assert!(until > 0);
    // Send, reply, edit, react and typing are refused; reading is not.
    let refused = [
        say(room, "b-2", "during"),
        ClientMsg::Edit {
            conversation: room,
            client_id: ClientMsgId("b-3".into()),
            seq: before,
            text: "changed".into(),
            mentions: vec![],
        },
        ClientMsg::React {
            conversation: room,
            client_id: ClientMsgId("b-4".into()),
            seq: before,
            emoji: "👍".into(),
            on: true,
        },
        ClientMsg::Typing { conversation: room },
    ];
    for msg in refused {
        assert_eq!(
            refusal_of(&mut bob.client, &msg).await,
            Some(ErrorCode::TimedOut),
            "{msg:?}"
        );
    }
    expect_none(&mut cat.client, QUIET, |m| {
        matches!(m, ServerMsg::Typing { .. })
            || matches!(m, ServerMsg::Message { message } if message.seq > before)
    })
    .await;
    let (page, _) = history(&mut bob.client, room, None).await;
    assert!(page.iter().any(|m| m.seq == before));
    // A resume tells the timeout in the conversation's info.
    let again = server.resume(&bob.token).await.unwrap().conversations;
    let info = again.iter().find(|c| c.id == room).unwrap();
    assert_eq!(info.timed_out_until_ms, Some(until));
    // Once it has passed, writing works again.
    let wait = (until - now_ms()).max(0) as u64 + 100;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    post(&mut bob, room, "b-5", "after").await;
    // And a moderator can lift one early.
    send(&mut moderator.client, &timeout(room, cat.me.id, 600)).await;
    recv_until(&mut cat.client, |m| {
        matches!(m, ServerMsg::TimedOut { until_ms, .. } if *until_ms > 0).then_some(())
    })
    .await;
    send(&mut moderator.client, &timeout(room, cat.me.id, 0)).await;
    recv_until(&mut cat.client, |m| {
        matches!(m, ServerMsg::TimedOut { until_ms: 0, .. }).then_some(())
    })
    .await;
    post(&mut cat, room, "c-1", "free again").await;
    let log = audit_log(&mut moderator.client, room).await.unwrap();
    assert!(matches!(log[0], AuditAction::TimeoutLifted));
    assert!(matches!(log[1], AuditAction::TimedOut { .. }));
}

#[tokio::test]
async fn a_kicked_member_is_out_and_may_rejoin() {
    let Den {
        server: _server,
        db: _db,
        room,
        mut moderator,
        mut bob,
        mut cat,
        ..
    } = den().await;
    send(&mut moderator.client, &kick(room, bob.me.id)).await;
    let removed = removed_from(&mut bob.client, room).await;
    assert_eq!(removed, Some(Removal::Kicked));
    let line = next_message_where(&mut cat.client, room, |m| m.is_system_line()).await;
    assert_eq!(
        (line.body, line.author.id),
        (MessageBody::Kicked, bob.me.id)
    );
    assert_eq!(
        refusal_of(&mut bob.client, &say(room, "b-1", "still here?")).await,
        Some(ErrorCode::NotAMember)
    );
    let back = join_room(&mut bob.client, "den").await;
    assert_eq!(back.id, room);
    post(&mut bob, room, "b-2", "back").await;
}

#[tokio::test]
async fn a_banned_user_is_out_for_good_and_nothing_of_the_room_reaches_them() {
    let Den {
        db: _db,
        server,
        room,
        mut ann,
        mut moderator,
        mut bob,
        ..
    } = den().await;
    let a = post(&mut bob, room, "b-1", "first spam").await;
    let b = post(&mut bob, room, "b-2", "second spam").await;
    let seen = post(&mut ann, room, "a-1", "hi all").await;
    // Bob's own last cursor, from before the ban.
    let cursor = Cursor {
        conversation: room,
        seq: seen,
    };
    send(&mut moderator.client, &ban(room, bob.me.id, 3600)).await;
    let removed = removed_from(&mut bob.client, room).await;
    assert_eq!(removed, Some(Removal::Banned));
    // Their texts of the last hour are removed for everyone.
    let mut gone = Vec::new();
    while gone.len() < 2 {
        let m = next_message_where(&mut ann.client, room, |m| {
            matches!(m.body, MessageBody::Removed { .. })
        })
        .await;
        gone.extend(m.target());
    }
    gone.sort_unstable();
    assert_eq!(gone, vec![a, b]);
    // Meanwhile the room goes on without them.
    post(&mut ann, room, "a-2", "after the ban").await;
    expect_none(
        &mut bob.client,
        QUIET,
        |m| matches!(m, ServerMsg::Message { message } if message.conversation == room),
    )
    .await;
    // Join, send, history, members, search of it: all refused.
    assert_eq!(
        refusal_of(&mut bob.client, &ClientMsg::JoinRoom { name: "den".into() }).await,
        Some(ErrorCode::Banned)
    );
    for msg in [
        say(room, "b-3", "let me in"),
        ClientMsg::History {
            conversation: room,
            before: None,
            from: None,
        },
        ClientMsg::Members { conversation: room },
        ClientMsg::Search {
            query: "all".into(),
            conversation: Some(room),
        },
        ClientMsg::MarkRead {
            conversation: room,
            seq: 1,
        },
    ] {
        assert_eq!(
            refusal_of(&mut bob.client, &msg).await,
            Some(ErrorCode::NotAMember),
            "{msg:?}"
        );
    }
    // A resume with the old cursor: told of the ban, no replay of the room.
    let mut client = server.connect().await;
    send(
        &mut client,
        &ClientMsg::Resume {
            token: bob.token.clone(),
            cursors: vec![cursor],
        },
    )
    .await;
    let listed = recv_until(&mut client, |m| match m {
        ServerMsg::Ready { conversations, .. } => Some(conversations.iter().any(|c| c.id == room)),
        _ => None,
    })
    .await;
    assert!(!listed, "not in their conversations");
    let told = recv_until(&mut client, |m| match m {
        ServerMsg::Left { removed, .. } => Some(*removed),
        ServerMsg::Replay { conversation, .. } if *conversation == room => {
            panic!("replayed a room they are banned from")
        }
        _ => None,
    })
    .await;
    assert_eq!(told, Some(Removal::Banned));
    expect_none(
        &mut client,
        QUIET,
        |m| matches!(m, ServerMsg::Replay { conversation, .. } if *conversation == room),
    )
    .await;
    // Unbanned, they may come back.
    send(
        &mut moderator.client,
        &ClientMsg::Unban {
            conversation: room,
            user: bob.me.id,
        },
    )
    .await;
    let log = audit_log(&mut moderator.client, room).await.unwrap();
    assert_eq!(log[0], AuditAction::Unbanned);
    assert_eq!(log[1], AuditAction::Banned { removed: 2 });
    join_room(&mut bob.client, "den").await;
}

#[tokio::test]
async fn the_owner_hands_the_room_over_and_instance_admins_act_everywhere() {
    let Den {
        db,
        server,
        room,
        mut ann,
        mut moderator,
        mut bob,
        ..
    } = den().await;
    // Handed over: Bob owns it, Ann moderates.
    send(&mut ann.client, &set_role(room, bob.me.id, Role::Owner)).await;
    let staff = recv_until(&mut moderator.client, |m| match m {
        ServerMsg::Staff { staff, .. } if staff.owner == Some(bob.me.id) => Some(staff.clone()),
        _ => None,
    })
    .await;
    assert_eq!(staff.moderators.len(), 2);
    assert!(staff.moderators.contains(&ann.me.id));
    assert_eq!(
        refusal_of(&mut ann.client, &kick(room, bob.me.id)).await,
        Some(ErrorCode::NotAllowed),
        "the old owner is a moderator now"
    );
    // The operator names an admin; every server reads it within seconds.
    let mut zed = server.login("Zed", "whale").await.unwrap();
    let config = db.config();
    let said = admin::run(&config, AdminCommand::Grant("zed".into()))
        .await
        .unwrap();
    assert!(said.contains("Zed"), "{said}");
    assert!(admin::run(&config, AdminCommand::Grant("nobody".into()))
        .await
        .is_err());
    assert!(admin::run(&config, AdminCommand::List)
        .await
        .unwrap()
        .contains("Zed"));
    // Not a member of the room, above its owner.
    once_allowed(&mut zed.client, &timeout(room, bob.me.id, 60)).await;
    recv_until(&mut bob.client, |m| {
        matches!(m, ServerMsg::TimedOut { until_ms, .. } if *until_ms > 0).then_some(())
    })
    .await;
    // In general: time out, not kick or ban (everyone stays there).
    let general = ann.room("general");
    assert_eq!(
        refusal_of(&mut zed.client, &timeout(general, ann.me.id, 60)).await,
        None
    );
    assert_eq!(
        refusal_of(&mut zed.client, &kick(general, ann.me.id)).await,
        Some(ErrorCode::CannotLeave)
    );
    assert_eq!(
        refusal_of(&mut ann.client, &timeout(general, bob.me.id, 60)).await,
        Some(ErrorCode::NotAllowed),
        "a room's owner is nobody in general"
    );
    // A ready tells the admin they are one.
    let mut client = server.connect().await;
    send(
        &mut client,
        &ClientMsg::Resume {
            token: zed.token.clone(),
            cursors: vec![],
        },
    )
    .await;
    let is_admin = recv_until(&mut client, |m| match m {
        ServerMsg::Ready { admin, .. } => Some(*admin),
        _ => None,
    })
    .await;
    assert!(is_admin);
    admin::run(&config, AdminCommand::Revoke("Zed".into()))
        .await
        .unwrap();
}

/// The close frame the server ends this connection with: its code and reason.
async fn closed(client: &mut Client) -> (u16, String) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, client.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                return (frame.code.into(), frame.reason.to_string())
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_admin_bans_a_user_from_the_server_every_tab_closes_and_the_name_is_kept() {
    let Den {
        db,
        server,
        mut bob,
        mut cat,
        ..
    } = den().await;
    let mut zed = server.login("Zed", "whale").await.unwrap();
    let config = db.config();
    admin::run(&config, AdminCommand::Grant("Zed".into()))
        .await
        .unwrap();
    // Only an admin bans from the server.
    let ban_bob = ClientMsg::BanFromServer { user: bob.me.id };
    assert_eq!(
        refusal_of(&mut cat.client, &ban_bob).await,
        Some(ErrorCode::NotAllowed)
    );
    let mut bobs_phone = server.resume(&bob.token).await.unwrap();
    // Every server reads the admins within seconds: Zed's ban goes through then.
    once_allowed(&mut zed.client, &ban_bob).await;
    for client in [&mut bob.client, &mut bobs_phone.client] {
        assert_eq!(
            closed(client).await,
            (
                chat::protocol::close_code::LOGGED_OUT,
                chat::protocol::close_code::REASON_BANNED.to_string()
            )
        );
    }
    assert_eq!(
        server.resume(&bob.token).await.err(),
        Some(ErrorCode::SessionInvalid)
    );
    assert_eq!(
        server.login("Bob", "owl").await.err(),
        Some(ErrorCode::NicknameTaken),
        "the name is kept from anyone else"
    );
    // Nor an admin: not themselves.
    let ban_self = ClientMsg::BanFromServer { user: zed.me.id };
    assert_eq!(
        refusal_of(&mut zed.client, &ban_self).await,
        Some(ErrorCode::NotAllowed)
    );
    // The operator bans too, without a server in between: it notices within seconds.
    let said = admin::run(&config, AdminCommand::Ban("cat".into()))
        .await
        .unwrap();
    assert!(said.contains("Cat"), "{said}");
    assert_eq!(
        closed(&mut cat.client).await.0,
        chat::protocol::close_code::LOGGED_OUT
    );
    admin::run(&config, AdminCommand::Unban("Cat".into()))
        .await
        .unwrap();
}
