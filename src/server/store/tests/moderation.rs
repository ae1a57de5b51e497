//! Moderation in storage, on every backend: a room's creator owns it; an action and
//! its audit entry are one; a ban keeps its user out of the room (even when asked to
//! join it), lists their recent texts to remove and takes their role; roles, bans and
//! timeouts come back with the conversations; admins keep their names.

use super::*;
use crate::protocol::{AuditAction, Role};
use crate::server::store::moderation::{Act, Moderation};

fn act(room: ConversationId, actor: UserId, target: UserId, act: Act, now_ms: i64) -> Moderation {
    Moderation {
        room,
        actor,
        target,
        act,
        now_ms,
    }
}

#[tokio::test]
async fn actions_are_stored_with_their_audit_entries_and_come_back_with_the_rooms() {
    for db in TestDatabase::all() {
        let (store, ann, _) = ann_and_general(&db).await;
        let bob = store
            .create_user("Bob", "bob", "owl", b"t2", 1)
            .await
            .unwrap();
        let cat = store
            .create_user("Cat", "cat", "cat", b"t3", 1)
            .await
            .unwrap();
        let (room, created, joining) = store.join_room("den", ann.id, 5).await.unwrap();
        assert!(created && joining == Joining::New);
        for u in [&bob, &cat] {
            assert_eq!(
                store.join_room("den", u.id, 6).await.unwrap().2,
                Joining::New
            );
        }
        let den = |rows: Vec<ConversationRow>| rows.into_iter().find(|r| r.id == room).unwrap();
        assert_eq!(
            den(store.conversations().await.unwrap()).moderation.roles,
            vec![(ann.id, Role::Owner)],
            "its creator owns it"
        );
        // Bob moderates; Cat is timed out; Bob's texts of the last while are listed.
        store
            .moderate(act(room, ann.id, bob.id, Act::SetRole(Role::Moderator), 10))
            .await
            .unwrap()
            .unwrap();
        store
            .moderate(act(room, bob.id, cat.id, Act::Timeout { until_ms: 99 }, 11))
            .await
            .unwrap()
            .unwrap();
        for (i, at) in [(0, 100), (1, 200), (2, 300)] {
            store
                .insert_message(room, &cat, &text(&format!("spam {i}")), None, at)
                .await
                .unwrap();
        }
        let moderation = den(store.conversations().await.unwrap()).moderation;
        assert_eq!(moderation.timeouts, vec![(cat.id, 99)]);
        assert_eq!(moderation.roles.len(), 2);
        // Banned with the texts since 150: two of three; out of the room.
        let banned = store
            .moderate(act(
                room,
                bob.id,
                cat.id,
                Act::Ban {
                    remove_since_ms: Some(150),
                },
                400,
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(banned.removed_member);
        assert_eq!(banned.to_remove.len(), 2);
        assert_eq!(banned.entry.action, AuditAction::Banned { removed: 2 });
        assert_eq!(banned.target.id, cat.id);
        let row = den(store.conversations().await.unwrap());
        assert!(!row.members.iter().any(|(u, _)| *u == cat.id));
        assert_eq!(row.moderation.banned, vec![cat.id]);
        assert!(row.moderation.timeouts.is_empty(), "a ban ends the timeout");
        // Asking to join is refused in storage too (another server may not know yet).
        let (_, _, joining) = store.join_room("den", cat.id, 500).await.unwrap();
        assert_eq!(joining, Joining::Banned);
        // The room handed over: Bob owns it, Ann moderates.
        let handed = store
            .moderate(act(room, ann.id, bob.id, Act::SetRole(Role::Owner), 600))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(handed.previous_owner, Some(ann.id));
        let mut roles = den(store.conversations().await.unwrap()).moderation.roles;
        roles.sort();
        assert_eq!(
            roles,
            vec![(ann.id, Role::Moderator), (bob.id, Role::Owner)]
        );
        // The log, newest first, a page at a time.
        let (page, more) = store.audit_log(room, None, 2).await.unwrap();
        assert!(more);
        assert_eq!(page[0].action, AuditAction::RoleSet { role: Role::Owner });
        assert_eq!(page[1].target.as_ref().map(|t| t.id), Some(cat.id));
        let (rest, more) = store.audit_log(room, Some(page[1].id), 10).await.unwrap();
        assert!(!more);
        assert_eq!(rest.len(), 2);
        // An unknown user is nobody to act on.
        let nobody = act(room, ann.id, UserId(9999), Act::Kick, 700);
        assert!(store.moderate(nobody).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn an_admin_is_named_by_nickname_and_keeps_it() {
    for db in TestDatabase::all() {
        let (store, ann, _) = ann_and_general(&db).await;
        assert_eq!(store.set_admin("nobody", true, 5).await.unwrap(), None);
        assert_eq!(
            store.set_admin("ann", true, 5).await.unwrap(),
            Some(ann.clone())
        );
        assert_eq!(store.admins().await.unwrap(), vec![ann.id]);
        assert_eq!(store.admin_users().await.unwrap(), vec![ann.clone()]);
        // Her session ends and the name's idle time passes: nobody takes it.
        store.delete_session(b"t1").await.unwrap();
        let taker = NewUser::new("ANN", "ann", "owl", b"t9", 10_000);
        assert_eq!(store.sign_up(taker, 9_000, None).await.unwrap(), None);
        store.set_admin("ann", false, 6).await.unwrap();
        assert!(store.admins().await.unwrap().is_empty());
    }
}
