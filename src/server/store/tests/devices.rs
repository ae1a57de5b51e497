//! A user's devices in storage, on every backend: sessions listed and marked as used,
//! a link allowed into a session; passkeys, which keep a nickname and sign in; and
//! the ceremonies between a passkey's two halves.

use super::*;

#[tokio::test]
async fn sessions_of_a_user_are_listed_and_marked_as_used_in_one_write() {
    for db in TestDatabase::all() {
        let store = db.open().await;
        let (laptop, phone) = ([1u8; 32], [2u8; 32]);
        let new = NewUser::new("Ann", "ann", "fox", &laptop, 10).on("Firefox/132.0");
        let ann = store.sign_up(new, 0, None).await.unwrap().unwrap();
        let sessions = store.sessions_of(ann.id, 0).await.unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].user_agent, "Firefox/132.0");
        assert_eq!(
            (sessions[0].created_at_ms, sessions[0].last_seen_ms),
            (10, 10)
        );
        // A second device, through a link allowed by the user.
        let offer = devices::LinkOffer {
            code_hash: [9; 32],
            user: ann.id,
            offered_by: laptop,
            now_ms: 20,
            expires_at_ms: 1_000,
        };
        let link = store.offer_link(offer).await.unwrap();
        let claim = devices::LinkClaim {
            code_hash: [9; 32],
            token_hash: phone,
            user_agent: "Chrome/131 Mobile".into(),
            now_ms: 30,
            decide_by_ms: 1_000,
        };
        assert!(matches!(
            store.claim_link(claim).await.unwrap(),
            devices::Claimed::Claimed { .. }
        ));
        let decided = store.decide_link(link, ann.id, true, 40).await.unwrap();
        assert_eq!(
            decided,
            Some(devices::Decided {
                offered_by: laptop,
                claim: phone
            })
        );
        // Both used now, in one job; listed last used first, expired ones left out.
        let touch = WriteJob::TouchSessions {
            token_hashes: vec![laptop, phone],
            at_ms: 500,
        };
        store.submit(touch).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let sessions = store.sessions_of(ann.id, 0).await.unwrap();
            if sessions.iter().all(|s| s.last_seen_ms == 500) {
                assert_eq!(sessions.len(), 2);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{sessions:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(store.sessions_of(ann.id, 501).await.unwrap().is_empty());
        store.close().await;
    }
}

#[tokio::test]
async fn a_passkey_keeps_the_nickname_and_signs_in_a_new_session() {
    use passkeys::{NewPasskey, PasskeySignIn};
    for db in TestDatabase::all() {
        let store = db.open().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"tok", 100)
            .await
            .unwrap();
        let key = |credential: &[u8]| NewPasskey {
            user: ann.id,
            credential_id: credential.to_vec(),
            user_handle: vec![7; 16],
            name: "Laptop".into(),
            passkey: "{\"cred\":1}".into(),
            now_ms: 150,
        };
        assert!(store.add_passkey(key(b"cred-1")).await.unwrap());
        assert!(
            !store.add_passkey(key(b"cred-1")).await.unwrap(),
            "a credential is registered once"
        );
        let listed = store.passkeys_of(ann.id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (
                listed[0].name.as_str(),
                listed[0].created_at_ms,
                listed[0].last_used_ms
            ),
            ("Laptop", 150, None)
        );

        // Ann's session expired (alive since 300, last seen at 100) and she logged
        // out: her name is still hers.
        store.delete_session(b"tok").await.unwrap();
        let someone = |token: &'static [u8], alive_since: i64| {
            store.sign_up(
                NewUser::new("ANN", "ann", "owl", token, 500),
                alive_since,
                None,
            )
        };
        assert_eq!(
            someone(b"t2", 300).await.unwrap(),
            None,
            "kept by the passkey"
        );

        // Signing in with it: a new session of the same user, and her record moves on.
        let found = store
            .passkey_by_credential(b"cred-1".to_vec())
            .await
            .unwrap();
        assert_eq!(
            found.map(|p| (p.user, p.user_handle)),
            Some((ann.id, vec![7; 16]))
        );
        let sign_in = |credential: &[u8], token: [u8; 32]| PasskeySignIn {
            credential_id: credential.to_vec(),
            passkey: "{\"cred\":2}".into(),
            token_hash: token,
            user_agent: "Chrome/131".into(),
            now_ms: 400,
        };
        assert_eq!(
            store
                .passkey_sign_in(sign_in(b"cred-1", [3; 32]))
                .await
                .unwrap(),
            Some(ann.id)
        );
        assert_eq!(
            store.session_user(&[3; 32], 300, 400).await.unwrap(),
            Some(ann.clone())
        );
        let used = store
            .passkey_by_credential(b"cred-1".to_vec())
            .await
            .unwrap();
        assert_eq!(used.map(|p| p.passkey), Some("{\"cred\":2}".into()));
        assert_eq!(
            store.passkeys_of(ann.id).await.unwrap()[0].last_used_ms,
            Some(400)
        );
        assert_eq!(
            store
                .passkey_sign_in(sign_in(b"nobody", [4; 32]))
                .await
                .unwrap(),
            None
        );

        // Removed (once), the passkey keeps nothing: once her session is idle too,
        // the name is free.
        let id = store.passkeys_of(ann.id).await.unwrap()[0].id;
        assert!(!store
            .remove_passkey(UserId(ann.id.0 + 1), id)
            .await
            .unwrap());
        assert!(store.remove_passkey(ann.id, id).await.unwrap());
        assert!(!store.remove_passkey(ann.id, id).await.unwrap());
        assert_eq!(
            someone(b"t5", 400).await.unwrap(),
            None,
            "her session is alive"
        );
        assert!(someone(b"t6", 401).await.unwrap().is_some());
        store.close().await;
    }
}

#[tokio::test]
async fn a_ceremony_is_taken_once_by_whoever_began_it_and_before_it_expires() {
    use passkeys::{NewCeremony, TakenCeremony};
    for db in TestDatabase::all() {
        let store = db.open().await;
        let ceremony = |id: &str, user: Option<UserId>, now_ms: i64| NewCeremony {
            id: id.into(),
            user,
            name: "Phone".into(),
            state: format!("state of {id}"),
            now_ms,
            expires_at_ms: now_ms + 100,
        };
        store
            .put_ceremony(ceremony("a", Some(UserId(1)), 0))
            .await
            .unwrap();
        store.put_ceremony(ceremony("b", None, 0)).await.unwrap();
        store.put_ceremony(ceremony("c", None, 0)).await.unwrap();
        assert_eq!(
            store
                .take_ceremony("a".into(), Some(UserId(2)), 10)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store.take_ceremony("a".into(), None, 10).await.unwrap(),
            None
        );
        assert_eq!(
            store
                .take_ceremony("a".into(), Some(UserId(1)), 10)
                .await
                .unwrap(),
            Some(TakenCeremony {
                name: "Phone".into(),
                state: "state of a".into()
            })
        );
        assert_eq!(
            store
                .take_ceremony("a".into(), Some(UserId(1)), 10)
                .await
                .unwrap(),
            None
        );
        assert!(store
            .take_ceremony("b".into(), None, 99)
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            store.take_ceremony("c".into(), None, 100).await.unwrap(),
            None,
            "expired"
        );
        store.close().await;
    }
}
