//! Blocks in storage, on every backend: a block is listed (both ways), holds once,
//! and takes the blocked person's texts out of what the blocker reads (history pages
//! stay full, search, unread counts), and out of nobody else's.

use super::*;
use crate::server::store::blocks::{Blocking, BlocksOf};

#[tokio::test]
async fn a_block_hides_the_blocked_persons_texts_from_the_blocker_only() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        let bob = store
            .create_user("Bob", "bob", "owl", b"t2", 1)
            .await
            .unwrap();
        let cat = store
            .create_user("Cat", "cat", "cat", b"t3", 1)
            .await
            .unwrap();
        let dan = store
            .create_user("Dan", "dan", "fox", b"t4", 1)
            .await
            .unwrap();
        for u in [&ann, &bob, &cat, &dan] {
            store.add_member(general, u.id, 1).await.unwrap();
        }
        // Bob's texts between Cat's: 3 of Cat's, 4 of Bob's.
        for (who, t) in [
            (&cat, "release one"),
            (&bob, "release spam 1"),
            (&bob, "release spam 2"),
            (&cat, "release two"),
            (&bob, "release spam 3"),
            (&bob, "release spam 4"),
            (&cat, "release three"),
        ] {
            store
                .insert_message(general, who, &text(t), None, 10)
                .await
                .unwrap();
        }

        assert_eq!(
            store
                .set_block(ann.id, UserId(999), true, 20)
                .await
                .unwrap(),
            Blocking::NoSuchUser
        );
        assert_eq!(
            store.set_block(ann.id, ann.id, true, 20).await.unwrap(),
            Blocking::NoSuchUser
        );
        for _ in 0..2 {
            // Twice: one block.
            assert_eq!(
                store.set_block(ann.id, bob.id, true, 20).await.unwrap(),
                Blocking::Listed(vec![bob.clone()])
            );
        }
        assert_eq!(
            store.set_block(cat.id, bob.id, true, 21).await.unwrap(),
            Blocking::Listed(vec![bob.clone()])
        );
        assert_eq!(
            store.blocks_of(bob.id).await.unwrap(),
            BlocksOf {
                blocked: vec![],
                blockers: {
                    let mut b = vec![ann.id, cat.id];
                    b.sort();
                    b
                },
            }
        );
        assert_eq!(
            store.blocks_of(ann.id).await.unwrap().blocked,
            vec![bob.clone()]
        );
        store.set_block(cat.id, bob.id, false, 22).await.unwrap();

        // A page of 2 for Ann is Cat's two newest (full, reaching past Bob's), and
        // knows one more is older; for Cat, Bob's are there.
        let (page, more) = store.history(general, None, 2, ann.id).await.unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [4, 7]);
        assert!(more);
        let (page, more) = store.history(general, Some(4), 2, ann.id).await.unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [1]);
        assert!(!more);
        let (page, _) = store.history(general, None, 2, cat.id).await.unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [6, 7]);

        let unread = |user: UserId| {
            let store = store.clone();
            async move {
                let counts = store.unread(user).await.unwrap();
                counts
                    .iter()
                    .find(|u| u.conversation_id == general.0)
                    .map_or(0, |u| u.unread)
            }
        };
        assert_eq!(unread(ann.id).await, 3, "Cat's three");
        assert_eq!(unread(dan.id).await, 7, "all seven");

        // SQLite indexes a group's texts just after its commit: wait for all 7.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while store
            .search(cat.id, "release", None, 10)
            .await
            .unwrap()
            .len()
            < 7
        {
            assert!(std::time::Instant::now() < deadline);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let found = store.search(ann.id, "release", None, 10).await.unwrap();
        assert!(found.iter().all(|m| m.author.id == cat.id), "{found:?}");
        assert_eq!(found.len(), 3);

        // Unblocked: all of it again.
        assert_eq!(
            store.set_block(ann.id, bob.id, false, 30).await.unwrap(),
            Blocking::Listed(vec![])
        );
        assert_eq!(unread(ann.id).await, 7);
        assert_eq!(store.blocks_of(bob.id).await.unwrap(), BlocksOf::default());
        store.close().await;
    }
}
