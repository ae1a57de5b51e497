//! Private rooms and invite links in storage, on every backend: a private room keeps
//! non-members from joining it by name and comes back private with the conversations;
//! a link admits as many as it allows while it lives, never a banned user, and a
//! member following it again uses nothing.

use super::*;
use crate::protocol::AuditAction;
use crate::server::store::{
    invites::{InviteUse, NewInvite, RoomSetting},
    moderation::{Act, Moderation},
};

fn invite(room: ConversationId, by: UserId, code: &str, now_ms: i64) -> NewInvite {
    NewInvite {
        room,
        by,
        code: code.into(),
        now_ms,
        expires_at_ms: Some(now_ms + 1_000),
        max_uses: Some(2),
    }
}

#[tokio::test]
async fn a_private_room_is_joined_by_invite_only_and_a_link_admits_what_it_allows() {
    for db in TestDatabase::all() {
        let (store, ann, _) = ann_and_general(&db).await;
        let mut users = Vec::new();
        for (i, name) in ["Bob", "Cat", "Dan", "Eve"].into_iter().enumerate() {
            let token = format!("t{}", i + 2);
            let skeleton = name.to_lowercase();
            let user = store.create_user(name, &skeleton, "owl", token.as_bytes(), 1);
            users.push(user.await.unwrap());
        }
        let [bob, cat, dan, eve] = [&users[0], &users[1], &users[2], &users[3]];
        let (room, _, _) = store.join_room("club", ann.id, 5).await.unwrap();
        let entry = store
            .set_room_setting(room, ann.id, RoomSetting::Private(true), 6)
            .await
            .unwrap();
        assert_eq!(
            entry.map(|e| e.action),
            Some(AuditAction::PrivacySet { private: true })
        );
        assert_eq!(
            store
                .set_room_setting(room, ann.id, RoomSetting::Private(true), 7)
                .await
                .unwrap(),
            None,
            "private already"
        );
        let club = |rows: Vec<ConversationRow>| rows.into_iter().find(|r| r.id == room).unwrap();
        assert!(club(store.conversations().await.unwrap()).private);
        assert_eq!(
            store.join_room("club", bob.id, 8).await.unwrap().2,
            Joining::Private
        );
        assert_eq!(
            store.join_room("club", ann.id, 8).await.unwrap().2,
            Joining::Already,
            "a member is one"
        );

        // Two uses within a second.
        let made = store
            .create_invite(invite(room, ann.id, "code-1", 10))
            .await;
        assert!(matches!(
            made.unwrap().map(|e| e.action),
            Some(AuditAction::InviteCreated {
                expires_at_ms: Some(1_010),
                max_uses: Some(2)
            })
        ));
        let joined = |u: &UserRow, at| {
            let store = store.clone();
            let user = u.id;
            async move {
                match store.use_invite("code-1", user, at).await.unwrap() {
                    InviteUse::Room { joining, .. } => Some(joining),
                    InviteUse::Invalid => None,
                }
            }
        };
        assert_eq!(joined(bob, 20).await, Some(Joining::New));
        assert_eq!(
            joined(bob, 21).await,
            Some(Joining::Already),
            "uses nothing"
        );
        let live = store.invites(room, 22).await.unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].uses, 1);
        // A banned user is refused and uses nothing.
        store
            .moderate(Moderation {
                room,
                actor: ann.id,
                target: dan.id,
                act: Act::Ban {
                    remove_since_ms: None,
                },
                now_ms: 23,
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(joined(dan, 24).await, Some(Joining::Banned));
        assert_eq!(store.invites(room, 25).await.unwrap()[0].uses, 1);
        assert_eq!(joined(cat, 26).await, Some(Joining::New));
        assert_eq!(joined(eve, 27).await, None, "used up");
        assert!(store.invites(room, 28).await.unwrap().is_empty());
        // A member following a dead link is still let in as one.
        assert_eq!(joined(cat, 29).await, Some(Joining::Already));

        // Expiry and revocation.
        store
            .create_invite(invite(room, ann.id, "code-2", 100))
            .await
            .unwrap()
            .unwrap();
        let live_at = |at| {
            let store = store.clone();
            async move { store.invites(room, at).await.unwrap().len() }
        };
        assert_eq!(live_at(1_099).await, 1);
        assert_eq!(live_at(1_100).await, 0, "expired at its time");
        assert!(matches!(
            store.use_invite("code-2", eve.id, 1_100).await.unwrap(),
            InviteUse::Invalid
        ));
        store
            .create_invite(invite(room, ann.id, "code-3", 200))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store
                .revoke_invite(room, "code-3", ann.id, 201)
                .await
                .unwrap()
                .map(|e| e.action),
            Some(AuditAction::InviteRevoked)
        );
        assert_eq!(
            store
                .revoke_invite(room, "code-3", ann.id, 202)
                .await
                .unwrap(),
            None,
            "revoked once"
        );
        assert!(matches!(
            store.use_invite("code-3", eve.id, 203).await.unwrap(),
            InviteUse::Invalid
        ));
        assert!(matches!(
            store.use_invite("no-such", eve.id, 203).await.unwrap(),
            InviteUse::Invalid
        ));

        // Public again: anyone joins by name.
        store
            .set_room_setting(room, ann.id, RoomSetting::Private(false), 300)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.join_room("club", eve.id, 301).await.unwrap().2,
            Joining::New
        );
    }
}

#[tokio::test]
async fn a_room_has_at_most_its_number_of_live_invites_and_a_dead_one_frees_a_place() {
    for db in TestDatabase::all() {
        let (store, ann, _) = ann_and_general(&db).await;
        let (room, _, _) = store.join_room("club", ann.id, 5).await.unwrap();
        let limit = crate::protocol::INVITES_PER_ROOM;
        for i in 0..limit {
            let new = invite(room, ann.id, &format!("code{i:018}"), 10);
            assert!(store.create_invite(new).await.unwrap().is_some(), "{i}");
        }
        let one_more = invite(room, ann.id, "codeonemore0000000000x", 10);
        assert!(store
            .create_invite(one_more.clone())
            .await
            .unwrap()
            .is_none());
        // One revoked: a place again.
        let first = format!("code{:018}", 0);
        store.revoke_invite(room, &first, ann.id, 11).await.unwrap();
        assert!(store.create_invite(one_more).await.unwrap().is_some());
        store.close().await;
    }
}

#[tokio::test]
async fn a_rooms_slow_mode_is_audited_and_comes_back_with_the_conversations() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        let (room, _, _) = store.join_room("club", ann.id, 5).await.unwrap();
        let slow = |rows: Vec<ConversationRow>, id| {
            rows.into_iter().find(|r| r.id == id).map(|r| r.slow_mode_s)
        };
        assert_eq!(slow(store.conversations().await.unwrap(), room), Some(0));
        let entry = store
            .set_room_setting(room, ann.id, RoomSetting::SlowMode(30), 6)
            .await
            .unwrap();
        assert_eq!(
            entry.map(|e| (e.action, e.at_ms)),
            Some((AuditAction::SlowModeSet { seconds: 30 }, 6))
        );
        assert_eq!(
            store
                .set_room_setting(room, ann.id, RoomSetting::SlowMode(30), 7)
                .await
                .unwrap(),
            None,
            "so already: no entry"
        );
        assert_eq!(slow(store.conversations().await.unwrap(), room), Some(30));
        assert_eq!(
            slow(store.conversations().await.unwrap(), general),
            Some(0),
            "only that room"
        );
        let (log, _) = store.audit_log(room, None, 10).await.unwrap();
        assert_eq!(log.len(), 1, "{log:?}");
        store
            .set_room_setting(room, ann.id, RoomSetting::SlowMode(0), 8)
            .await
            .unwrap();
        assert_eq!(slow(store.conversations().await.unwrap(), room), Some(0));
        store.close().await;
    }
}
