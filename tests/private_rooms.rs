//! Private rooms and invite links against a real server, on raw WebSocket clients: the
//! owner switches a room private; from then on it is listed to nobody but its members,
//! its name cannot be joined, and only an invite link lets anyone in, as many times as
//! the link allows, until it expires or a moderator revokes it. Runs on SQLite, and on
//! PostgreSQL with `CHAT_TEST_STORE=postgres` (scripts/test.sh).

mod common;

use std::time::Duration;

use chat::protocol::{
    AuditAction, ClientMsg, ConversationId, ErrorCode, InviteInfo, RoomInfo, ServerMsg,
    GENERAL_ROOM, INVITE_MAX_S,
};
use common::*;

/// How long to wait for what must not come.
const QUIET: Duration = Duration::from_millis(400);

/// Logs in on a new connection: the tab, and the rooms its `ready` listed.
async fn login_listing(server: &TestServer, nickname: &str) -> (Tab, Vec<RoomInfo>) {
    let tab = server.login(nickname, "fox").await.unwrap();
    let rooms = tab.rooms.clone();
    (tab, rooms)
}

fn set_private(conversation: ConversationId, private: bool) -> ClientMsg {
    ClientMsg::SetPrivate {
        conversation,
        private,
    }
}

/// The privacy `client` is told of for `room` next.
async fn told_privacy(client: &mut Client, room: ConversationId) -> bool {
    recv_until(client, |m| match m {
        ServerMsg::Privacy {
            conversation,
            private,
        } if *conversation == room => Some(*private),
        _ => None,
    })
    .await
}

/// The room's live links after `msg` (create, list or revoke), or the refusal.
async fn invites_after(client: &mut Client, msg: &ClientMsg) -> Result<Vec<InviteInfo>, ErrorCode> {
    send(client, msg).await;
    recv_until(client, |m| match m {
        ServerMsg::Invites { invites, .. } => Some(Ok(invites.clone())),
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        _ => None,
    })
    .await
}

fn create_invite(conversation: ConversationId, expires_in_s: u32, max_uses: u32) -> ClientMsg {
    ClientMsg::CreateInvite {
        conversation,
        expires_in_s,
        max_uses,
    }
}

/// A new link of the room made by `client` (a moderator of it): its code.
async fn new_invite(
    client: &mut Client,
    conversation: ConversationId,
    expires_in_s: u32,
    max_uses: u32,
) -> String {
    let before: Vec<String> = invites_after(client, &ClientMsg::Invites { conversation })
        .await
        .expect("a moderator lists the links")
        .into_iter()
        .map(|i| i.code)
        .collect();
    let after = invites_after(client, &create_invite(conversation, expires_in_s, max_uses))
        .await
        .expect("a moderator makes a link");
    let new = after
        .into_iter()
        .find(|i| !before.contains(&i.code))
        .expect("the new link is listed");
    assert_eq!(new.max_uses, (max_uses > 0).then_some(max_uses));
    assert_eq!(new.uses, 0);
    assert!(chat::protocol::is_invite_code(&new.code), "{}", new.code);
    new.code
}

/// What following the link `code` comes to: the room let into, or the refusal.
async fn follow(client: &mut Client, code: &str) -> Result<(ConversationId, String), ErrorCode> {
    send(client, &ClientMsg::JoinInvite { code: code.into() }).await;
    recv_until(client, |m| match m {
        ServerMsg::InviteAccepted { conversation, name } => Some(Ok((*conversation, name.clone()))),
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_private_room_is_listed_to_its_members_only_and_not_joinable_by_name() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let room = join_room(&mut ann.client, "hideout").await.id;
    let mut bob = server.login("Bob", "cat").await.unwrap();
    join_room(&mut bob.client, "hideout").await;
    let (mut cat, listed) = login_listing(&server, "Cat").await;
    assert!(
        listed.iter().any(|r| r.id == room && !r.private),
        "public at first"
    );

    // Only the owner (or an admin) switches it; general stays open.
    assert_eq!(
        refusal_of(&mut bob.client, &set_private(room, true)).await,
        Some(ErrorCode::NotAllowed)
    );
    assert_eq!(
        refusal_of(&mut cat.client, &set_private(room, true)).await,
        Some(ErrorCode::NotAMember)
    );
    let general = ann.room(GENERAL_ROOM);
    assert_eq!(
        refusal_of(&mut ann.client, &set_private(general, true)).await,
        Some(ErrorCode::NotAllowed)
    );

    send(&mut ann.client, &set_private(room, true)).await;
    // Members mark it; whoever had it listed drops it.
    assert!(told_privacy(&mut ann.client, room).await);
    assert!(told_privacy(&mut bob.client, room).await);
    assert!(told_privacy(&mut cat.client, room).await);

    // Someone new is not shown it, cannot join it by name, nor read or list it.
    let (mut dan, listed) = login_listing(&server, "Dan").await;
    assert!(!listed.iter().any(|r| r.id == room || r.name == "hideout"));
    // Bob's next tab: his private room is his, marked so.
    let again = server.resume(&bob.token).await.unwrap();
    assert!(again.conversations.iter().any(|c| c.id == room
        && matches!(
            c.kind,
            chat::protocol::ConversationKind::Room { private: true, .. }
        )));
    assert_eq!(
        refusal_of(
            &mut dan.client,
            &ClientMsg::JoinRoom {
                name: "hideout".into()
            }
        )
        .await,
        Some(ErrorCode::RoomUnavailable)
    );
    for msg in [
        ClientMsg::History {
            conversation: room,
            before: None,
            from: None,
        },
        ClientMsg::Members { conversation: room },
        ClientMsg::Search {
            query: "anything".into(),
            conversation: Some(room),
        },
    ] {
        assert_eq!(
            refusal_of(&mut dan.client, &msg).await,
            Some(ErrorCode::NotAMember),
            "{msg:?}"
        );
    }

    // A member who leaves is out like anyone else; the count goes to members only.
    send(
        &mut bob.client,
        &ClientMsg::LeaveRoom { conversation: room },
    )
    .await;
    let count = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Rooms { rooms } => rooms.iter().find(|r| r.id == room).map(|r| r.member_count),
        _ => None,
    })
    .await;
    assert_eq!(count, 1);
    expect_none(
        &mut dan.client,
        QUIET,
        |m| matches!(m, ServerMsg::Rooms { rooms } if rooms.iter().any(|r| r.id == room)),
    )
    .await;
    assert_eq!(
        refusal_of(
            &mut bob.client,
            &ClientMsg::JoinRoom {
                name: "hideout".into()
            }
        )
        .await,
        Some(ErrorCode::RoomUnavailable)
    );

    // Public again: joinable by name, listed.
    send(&mut ann.client, &set_private(room, false)).await;
    assert!(!told_privacy(&mut ann.client, room).await);
    let joined = join_room(&mut dan.client, "hideout").await;
    assert_eq!(joined.id, room);
    let (_, listed) = login_listing(&server, "Eve").await;
    assert!(listed.iter().any(|r| r.id == room && !r.private));

    // Every switch is in the room's log.
    let actions = audit_log(&mut ann.client, room).await.unwrap();
    assert_eq!(
        actions,
        [
            AuditAction::PrivacySet { private: false },
            AuditAction::PrivacySet { private: true }
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn an_invite_admits_as_many_as_it_allows_until_it_expires_or_is_revoked() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let room = join_room(&mut ann.client, "club").await.id;
    send(&mut ann.client, &set_private(room, true)).await;
    assert!(told_privacy(&mut ann.client, room).await);
    let mut bob = server.login("Bob", "cat").await.unwrap();
    let mut cat = server.login("Cat", "owl").await.unwrap();
    let mut dan = server.login("Dan", "frog").await.unwrap();

    // Only its moderators make or see its links; the bounds hold.
    assert_eq!(
        invites_after(&mut bob.client, &ClientMsg::Invites { conversation: room }).await,
        Err(ErrorCode::NotAMember)
    );
    assert_eq!(
        invites_after(&mut ann.client, &create_invite(room, INVITE_MAX_S + 1, 1)).await,
        Err(ErrorCode::InvalidInvite)
    );
    assert_eq!(
        follow(&mut bob.client, "not-a-code").await,
        Err(ErrorCode::InvalidInvite)
    );

    // One use: Bob gets in; Cat does not; Bob again uses nothing.
    let once = new_invite(&mut ann.client, room, 3600, 1).await;
    send(
        &mut bob.client,
        &ClientMsg::JoinInvite { code: once.clone() },
    )
    .await;
    // A member now (told first), then where the link led.
    let joined = recv_until(&mut bob.client, |m| match m {
        ServerMsg::Joined { conversation } if conversation.id == room => Some(conversation.clone()),
        _ => None,
    })
    .await;
    assert!(matches!(
        joined.kind,
        chat::protocol::ConversationKind::Room { private: true, .. }
    ));
    let accepted = recv_until(&mut bob.client, |m| match m {
        ServerMsg::InviteAccepted { conversation, name } => Some((*conversation, name.clone())),
        _ => None,
    })
    .await;
    assert_eq!(accepted, (room, "club".into()));
    assert_eq!(
        invites_after(&mut bob.client, &create_invite(room, 0, 0)).await,
        Err(ErrorCode::NotAllowed),
        "a member makes no links"
    );
    assert_eq!(
        follow(&mut cat.client, &once).await,
        Err(ErrorCode::InvalidInvite)
    );
    assert_eq!(
        follow(&mut bob.client, &once).await,
        Ok((room, "club".into()))
    );
    let live = invites_after(&mut ann.client, &ClientMsg::Invites { conversation: room })
        .await
        .unwrap();
    assert!(!live.iter().any(|i| i.code == once), "used up: not live");

    // Two racing for one last use: one gets in.
    let last = new_invite(&mut ann.client, room, 0, 1).await;
    send(
        &mut cat.client,
        &ClientMsg::JoinInvite { code: last.clone() },
    )
    .await;
    send(
        &mut dan.client,
        &ClientMsg::JoinInvite { code: last.clone() },
    )
    .await;
    let mut admitted = 0;
    for client in [&mut cat.client, &mut dan.client] {
        let got_in = recv_until(client, |m| match m {
            ServerMsg::InviteAccepted { .. } => Some(true),
            ServerMsg::Error {
                code: ErrorCode::InvalidInvite,
                ..
            } => Some(false),
            _ => None,
        })
        .await;
        admitted += usize::from(got_in);
    }
    assert_eq!(admitted, 1, "a one-use link admits one");
    let cat_inside = refusal_of(&mut cat.client, &ClientMsg::Members { conversation: room })
        .await
        .is_none();
    let mut outside = if cat_inside { dan } else { cat };

    // Expired: refused.
    let brief = new_invite(&mut ann.client, room, 1, 0).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        follow(&mut outside.client, &brief).await,
        Err(ErrorCode::InvalidInvite)
    );

    // Revoked: refused, and gone from the list.
    let open = new_invite(&mut ann.client, room, 0, 0).await;
    let live = invites_after(
        &mut ann.client,
        &ClientMsg::RevokeInvite {
            conversation: room,
            code: open.clone(),
        },
    )
    .await
    .unwrap();
    assert!(!live.iter().any(|i| i.code == open));
    assert_eq!(
        follow(&mut outside.client, &open).await,
        Err(ErrorCode::InvalidInvite)
    );

    // Banned: refused, and the link's uses are untouched.
    let many = new_invite(&mut ann.client, room, 0, 5).await;
    send(
        &mut ann.client,
        &ClientMsg::Ban {
            conversation: room,
            user: outside.me.id,
            remove_last_s: 0,
        },
    )
    .await;
    recv_until(&mut ann.client, |m| match m {
        ServerMsg::Audited { entry, .. } => {
            matches!(entry.action, AuditAction::Banned { .. }).then_some(())
        }
        _ => None,
    })
    .await;
    assert_eq!(
        follow(&mut outside.client, &many).await,
        Err(ErrorCode::Banned)
    );
    let live = invites_after(&mut ann.client, &ClientMsg::Invites { conversation: room })
        .await
        .unwrap();
    assert_eq!(
        live.iter().find(|i| i.code == many).map(|i| i.uses),
        Some(0)
    );

    // The links' making and revoking are in the log (not their codes).
    let actions = audit_log(&mut ann.client, room).await.unwrap();
    assert!(actions.contains(&AuditAction::InviteRevoked), "{actions:?}");
    let made = actions
        .iter()
        .filter(|a| matches!(a, AuditAction::InviteCreated { .. }))
        .count();
    assert_eq!(made, 5, "{actions:?}");
    server.stop().await;
}
