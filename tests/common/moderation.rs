//! A room with its staff, for the moderation suites.

use chat::protocol::{ClientMsg, ConversationId, Role, ServerMsg, UserId};

use super::*;

pub fn set_role(conversation: ConversationId, user: UserId, role: Role) -> ClientMsg {
    ClientMsg::SetRole {
        conversation,
        user,
        role,
    }
}

/// Owner Ann, moderator Mod, members Bob and Cat, all in "den".
pub struct Den {
    pub db: TestDb,
    pub server: TestServer,
    pub room: ConversationId,
    pub ann: Tab,
    pub moderator: Tab,
    pub bob: Tab,
    pub cat: Tab,
}

pub async fn den() -> Den {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let info = join_room(&mut ann.client, "den").await;
    let room = info.id;
    // Its creator owns it.
    let owner = recv_until(&mut ann.client, |m| match m {
        ServerMsg::Staff { staff, .. } => Some(staff.owner),
        _ => None,
    })
    .await;
    assert_eq!(owner, Some(ann.me.id));
    let mut moderator = server.login("Mod", "owl").await.unwrap();
    let mut bob = server.login("Bob", "cat").await.unwrap();
    let mut cat = server.login("Cat", "frog").await.unwrap();
    for tab in [&mut moderator, &mut bob, &mut cat] {
        let joined = join_room(&mut tab.client, "den").await;
        assert_eq!(joined.staff.owner, Some(ann.me.id), "told who owns it");
    }
    send(
        &mut ann.client,
        &set_role(room, moderator.me.id, Role::Moderator),
    )
    .await;
    // Every member is told the new staff.
    let mid = moderator.me.id;
    for tab in [&mut ann, &mut moderator, &mut bob, &mut cat] {
        let moderators = recv_until(&mut tab.client, |m| match m {
            ServerMsg::Staff { staff, .. } if !staff.moderators.is_empty() => {
                Some(staff.moderators.clone())
            }
            _ => None,
        })
        .await;
        assert_eq!(moderators, vec![mid]);
    }
    Den {
        db,
        server,
        room,
        ann,
        moderator,
        bob,
        cat,
    }
}
