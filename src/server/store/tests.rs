//! The same tests for every backend: a SQLite file always, and a fresh PostgreSQL
//! database when `CHAT_TEST_POSTGRES_URL` names a server (scripts/test.sh starts one).

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use super::*;
use crate::protocol::GENERAL_ROOM;

mod blocks;
/// A user's devices and passkeys in storage.
mod devices;
/// Roles, bans, timeouts, the audit log and admins in storage.
mod invites;
mod moderation;

/// A database of one backend for one test; a SQLite file is removed when dropped (the
/// PostgreSQL server of the tests is thrown away whole).
pub(crate) struct TestDatabase {
    pub(crate) url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database of each backend under test.
    pub(crate) fn all() -> Vec<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut all = vec![Self {
            url: format!("sqlite://{}", dir.path().join("chat.db").display()),
            _dir: Some(dir),
        }];
        if let Some(url) = postgres_server() {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            all.push(Self {
                url: format!("{url}/chat_unit_{}_{n}", std::process::id()),
                _dir: None,
            });
        }
        all
    }

    pub(crate) async fn open(&self) -> Store {
        Store::open(&self.url).await.unwrap()
    }

    pub(crate) fn backend(&self) -> Backend {
        Backend::of(&self.url)
    }
}

/// The PostgreSQL server under test (`postgres://user@host:port`, no database), if any.
pub(crate) fn postgres_server() -> Option<String> {
    std::env::var("CHAT_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
}

/// A store with one user, Ann, and the room general (she is not a member).
pub(super) async fn ann_and_general(db: &TestDatabase) -> (Store, UserRow, ConversationId) {
    let store = db.open().await;
    let ann = store
        .create_user("Ann", "ann", "fox", b"t1", 1)
        .await
        .unwrap();
    let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
    (store, ann, general)
}

pub(super) fn text(t: &str) -> MessageBody {
    MessageBody::Text { text: t.into() }
}

#[tokio::test]
async fn messages_get_gapless_sequence_numbers_per_conversation() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        let (other, created) = store.ensure_room("other", 0).await.unwrap();
        assert!(created);
        for (i, conv) in [general, general, other, general].into_iter().enumerate() {
            store
                .insert_message(conv, &ann, &text(&format!("m{i}")), None, 10)
                .await
                .unwrap();
        }
        let (page, more) = store.history(general, None, 50, UserId(0)).await.unwrap();
        assert!(!more);
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3]);
        let (page, _) = store.history(other, None, 50, UserId(0)).await.unwrap();
        assert_eq!(page[0].seq, 1);
        assert_eq!(page[0].body, text("m2"));
        store.close().await;
    }
}

#[tokio::test]
async fn the_same_client_id_stores_one_message() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        let id = ClientMsgId("k1".into());
        let first = store
            .insert_message(general, &ann, &text("hi"), Some(&id), 5)
            .await
            .unwrap();
        let again = store
            .insert_message(general, &ann, &text("hi"), Some(&id), 9)
            .await
            .unwrap();
        assert!(!first.duplicate);
        assert!(again.duplicate);
        assert_eq!(first.message, again.message);
        assert_eq!(
            store
                .history(general, None, 50, UserId(0))
                .await
                .unwrap()
                .0
                .len(),
            1
        );
        let found = store.message_by_client_id(ann.id, &id).await.unwrap();
        assert_eq!(found, Some(first.message));
        store.close().await;
    }
}

#[tokio::test]
async fn a_write_that_fails_fails_alone_and_whole() {
    for db in TestDatabase::all() {
        let store = db.open().await;
        let ann = store
            .create_user("Ann", "ann", "fox", b"tok", 1)
            .await
            .unwrap();
        // The same token hash again: the session cannot be stored, so neither is the user.
        assert!(store
            .create_user("Bob", "bob", "owl", b"tok", 1)
            .await
            .is_err());
        assert_eq!(store.users(&[UserId(ann.id.0 + 1)]).await.unwrap(), vec![]);
        // Nor its claim: the name is free.
        let bob = NewUser::new("Bob", "bob", "owl", b"tok2", 2);
        assert!(store.sign_up(bob, 0, None).await.unwrap().is_some());
        // The writer goes on.
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        let stored = store
            .insert_message(general, &ann, &text("still here"), None, 2)
            .await
            .unwrap();
        assert_eq!(stored.message.seq, 1);
        // A message to a conversation that does not exist fails on its own.
        assert!(store
            .insert_message(ConversationId(9999), &ann, &text("nowhere"), None, 3)
            .await
            .is_err());
        let carol = store
            .create_user("Carol", "carol", "cat", b"tok3", 3)
            .await
            .unwrap();
        assert_eq!(store.users(&[carol.id]).await.unwrap(), vec![carol]);
        store.close().await;
    }
}

#[tokio::test]
async fn history_pages_backwards() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        for i in 0..120 {
            store
                .insert_message(general, &ann, &text(&i.to_string()), None, i)
                .await
                .unwrap();
        }
        let (newest, more) = store.history(general, None, 50, UserId(0)).await.unwrap();
        assert!(more);
        assert_eq!((newest[0].seq, newest[49].seq), (71, 120));
        let (older, more) = store
            .history(general, Some(71), 50, UserId(0))
            .await
            .unwrap();
        assert!(more);
        assert_eq!((older[0].seq, older[49].seq), (21, 70));
        let (oldest, more) = store
            .history(general, Some(21), 50, UserId(0))
            .await
            .unwrap();
        assert!(!more);
        assert_eq!(oldest.len(), 20);

        let missed = store.messages_between(general, 100, 110).await.unwrap();
        assert_eq!(
            missed.iter().map(|m| m.seq).collect::<Vec<_>>(),
            (101..=110).collect::<Vec<_>>()
        );
        assert!(store
            .messages_between(general, 120, 120)
            .await
            .unwrap()
            .is_empty());
        store.close().await;
    }
}

#[tokio::test]
async fn a_page_reads_the_reactions_of_each_of_its_messages() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        let bob = store
            .create_user("Bob", "bob", "owl", b"t2", 1)
            .await
            .unwrap();
        for i in 1..=4 {
            store
                .insert_message(general, &ann, &text(&format!("t{i}")), None, i)
                .await
                .unwrap();
        }
        let react = |target: Seq, emoji: &str| MessageBody::Reacted {
            target,
            emoji: emoji.into(),
            on: true,
        };
        let changes = [
            (&bob, react(3, "🎉")),
            (&ann, react(1, "👍")),
            (&bob, react(1, "👍")),
            (&bob, react(1, "❤️")),
            // Changed, and still without reactions.
            (
                &ann,
                MessageBody::Edited {
                    target: 2,
                    text: "t2!".into(),
                },
            ),
        ];
        for (at, (who, change)) in changes.iter().enumerate() {
            store
                .insert_message(general, who, change, None, 10 + at as i64)
                .await
                .unwrap();
        }
        let shown = |page: &[ChatMessage], seq: Seq| -> Vec<(String, Vec<String>)> {
            let m = page.iter().find(|m| m.seq == seq).unwrap();
            m.reactions
                .iter()
                .map(|r| {
                    let who = r.users.iter().map(|u| u.nickname.clone()).collect();
                    (r.emoji.clone(), who)
                })
                .collect()
        };
        let expected = |emoji: &str, who: &[&str]| {
            (
                emoji.to_string(),
                who.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            )
        };
        let (page, _) = store.history(general, None, 50, UserId(0)).await.unwrap();
        let replay = store.messages_between(general, 0, 9).await.unwrap();
        for page in [&page, &replay] {
            assert_eq!(
                shown(page, 1),
                [expected("👍", &["Ann", "Bob"]), expected("❤️", &["Bob"])]
            );
            assert_eq!(shown(page, 2), []);
            assert_eq!(shown(page, 3), [expected("🎉", &["Bob"])]);
            assert_eq!(shown(page, 4), []);
        }
        store.close().await;
    }
}

#[tokio::test]
async fn sessions_expire_and_free_the_nickname() {
    for db in TestDatabase::all() {
        let store = db.open().await;
        let (general, _) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        let sign_up = |token: &'static [u8], alive_since: i64| {
            let new = NewUser::new("ANN", "ann", "owl", token, 500);
            store.sign_up(new, alive_since, Some(general))
        };
        let ann = store
            .create_user("Ann", "ann", "fox", b"tok", 100)
            .await
            .unwrap();
        assert_eq!(sign_up(b"t2", 50).await.unwrap(), None, "taken");
        assert_eq!(
            store.session_user(b"tok", 50, 200).await.unwrap(),
            Some(ann.clone())
        );
        // Used at 200, so alive for anyone asking from 200 on.
        assert_eq!(sign_up(b"t2", 200).await.unwrap(), None, "still taken");
        // Alive since 300 means: seen at 300 or later. Last seen at 200: expired.
        assert_eq!(store.session_user(b"tok", 300, 400).await.unwrap(), None);
        let again = sign_up(b"t3", 300).await.unwrap().expect("free again");
        assert_ne!(again.id, ann.id, "a new user, not the old one");
        let members = store.conversations().await.unwrap();
        let general_row = members.iter().find(|c| c.id == general).unwrap();
        assert_eq!(general_row.members, vec![(again.id, 0)], "joined general");
        // Logging out frees the name at once.
        store.delete_session(b"t3").await.unwrap();
        assert!(sign_up(b"t4", 300).await.unwrap().is_some());
        store.close().await;
    }
}

#[tokio::test]
async fn data_survives_reopening_the_database() {
    for db in TestDatabase::all() {
        {
            let (store, ann, general) = ann_and_general(&db).await;
            store
                .insert_message(general, &ann, &text("kept"), None, 2)
                .await
                .unwrap();
            store.close().await;
        }
        let store = db.open().await;
        let (general, created) = store.ensure_room(GENERAL_ROOM, 0).await.unwrap();
        assert!(!created);
        let (page, _) = store.history(general, None, 50, UserId(0)).await.unwrap();
        assert_eq!(page[0].body, text("kept"));
        store.close().await;
    }
}

#[tokio::test]
async fn direct_conversations_have_exactly_their_two_members() {
    for db in TestDatabase::all() {
        let store = db.open().await;
        let a = store.create_user("A", "a", "fox", b"1", 1).await.unwrap();
        let b = store.create_user("B", "b", "owl", b"2", 1).await.unwrap();
        let (c1, created) = store.ensure_direct(b.id, a.id, 3).await.unwrap();
        let (c2, again) = store.ensure_direct(a.id, b.id, 4).await.unwrap();
        assert!(created && !again);
        assert_eq!(c1, c2);
        let all = store.conversations().await.unwrap();
        let direct = all.iter().find(|c| c.id == c1).unwrap();
        let mut members: Vec<UserId> = direct.members.iter().map(|(u, _)| *u).collect();
        members.sort();
        assert_eq!(members, [a.id, b.id]);
        assert_eq!(direct.direct, Some([a.id, b.id]));
        assert_eq!(direct.room, None);
        assert_eq!(store.users(&[b.id, UserId(999)]).await.unwrap(), vec![b]);
        store.close().await;
    }
}

#[tokio::test]
async fn members_join_leave_and_read() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        let bob = store
            .create_user("Bob", "bob", "owl", b"b", 1)
            .await
            .unwrap();
        let (room, created, joined) = store.join_room("den", ann.id, 1).await.unwrap();
        assert!(created && joined == Joining::New);
        assert_eq!(
            store.join_room("den", ann.id, 2).await.unwrap(),
            (room, false, Joining::Already)
        );
        for i in 0..3 {
            store
                .insert_message(room, &ann, &text(&i.to_string()), None, 3)
                .await
                .unwrap();
        }
        // A new member has read everything so far.
        assert!(store.add_member(room, bob.id, 4).await.unwrap());
        assert!(!store.add_member(room, bob.id, 4).await.unwrap());
        store
            .insert_message(room, &ann, &text("new"), None, 5)
            .await
            .unwrap();
        let read = |rows: Vec<ConversationRow>| {
            let mut members = rows.into_iter().find(|c| c.id == room).unwrap().members;
            members.sort();
            members
        };
        assert_eq!(
            read(store.conversations().await.unwrap()),
            [(ann.id, 4), (bob.id, 3)]
        );
        // Read marks never pass the newest message.
        let mark = |seq| WriteJob::MarkRead {
            conversation: room,
            user: bob.id,
            seq,
            at_ms: 5,
        };
        store.submit(mark(99)).unwrap();
        store
            .insert_message(general, &ann, &text("sync"), None, 6)
            .await
            .unwrap();
        assert_eq!(
            read(store.conversations().await.unwrap()),
            [(ann.id, 4), (bob.id, 4)]
        );
        assert!(store.remove_member(room, bob.id).await.unwrap());
        assert!(!store.remove_member(room, bob.id).await.unwrap());
        assert_eq!(read(store.conversations().await.unwrap()), [(ann.id, 4)]);
        store.close().await;
    }
}

#[tokio::test]
async fn a_group_of_messages_commits_together_with_gapless_numbers_and_in_order() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        assert!(store.add_member(general, ann.id, 0).await.unwrap());
        let order = Arc::new(Mutex::new(Vec::new()));
        // Queued before the writer gets to them: they land in one group.
        for i in 0..50 {
            let order = order.clone();
            let client_id = (i % 10 == 9).then(|| ClientMsgId("same".into()));
            store
                .submit(WriteJob::Message {
                    conversation: general,
                    author: ann.clone(),
                    body: text(&i.to_string()),
                    client_id,
                    at_ms: i,
                    done: Box::new(move |r| {
                        let stored = r.unwrap();
                        order
                            .lock()
                            .unwrap()
                            .push((stored.message.seq, stored.duplicate));
                    }),
                    reply_to: None,
                    mentions: Vec::new(),
                })
                .unwrap();
        }
        // One more, waited for: every completion before it has run.
        let last = store
            .insert_message(general, &ann, &text("last"), None, 99)
            .await
            .unwrap();
        let order = order.lock().unwrap().clone();
        assert_eq!(order.len(), 50);
        // 46 stored (the repeated client id counts once), numbered 1..=46 in queue order.
        let fresh: Vec<Seq> = order
            .iter()
            .filter(|(_, dup)| !dup)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(fresh, (1..=46).collect::<Vec<_>>());
        assert_eq!(order.iter().filter(|(_, dup)| *dup).count(), 4);
        assert_eq!(last.message.seq, 47);
        let (page, _) = store.history(general, None, 100, UserId(0)).await.unwrap();
        assert_eq!(page.len(), 47);
        let stored = store.conversations().await.unwrap();
        let general_row = stored.iter().find(|c| c.id == general).unwrap();
        assert_eq!(general_row.last_seq, 47);
        // What the author wrote counts as read by them.
        assert_eq!(general_row.members, vec![(ann.id, 47)]);

        // A group with no repeated client id: same numbering.
        let ids = Arc::new(Mutex::new(Vec::new()));
        for i in 0..30 {
            let ids = ids.clone();
            let job = WriteJob::Message {
                conversation: general,
                author: ann.clone(),
                body: text(&format!("g{i}")),
                client_id: Some(ClientMsgId(format!("g{i}"))),
                at_ms: 100 + i,
                done: Box::new(move |r| {
                    let m = r.unwrap().message;
                    ids.lock().unwrap().push((m.seq, m.id));
                }),
                reply_to: None,
                mentions: Vec::new(),
            };
            store.submit(job).unwrap();
        }
        let last = store
            .insert_message(general, &ann, &text("end"), None, 200)
            .await
            .unwrap();
        assert_eq!(last.message.seq, 78);
        let ids = ids.lock().unwrap().clone();
        assert_eq!(
            ids.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
            (48..=77).collect::<Vec<_>>()
        );
        assert!(ids.windows(2).all(|w| w[0].1 < w[1].1), "ids grow with seq");
        let (page, _) = store.history(general, None, 10, UserId(0)).await.unwrap();
        assert_eq!(page.last().unwrap().body, text("end"));
        assert_eq!(page[0].body, text("g21"));
        assert_eq!(page[0].client_id, Some(ClientMsgId("g21".into())));
        store.close().await;
    }
}

/// Several servers on one PostgreSQL database (SQLite serves one server only).
fn shared_databases() -> Vec<TestDatabase> {
    TestDatabase::all()
        .into_iter()
        .filter(|db| db.backend() == Backend::Postgres)
        .collect()
}

#[tokio::test]
async fn two_servers_writing_one_conversation_share_one_gapless_order() {
    for db in shared_databases() {
        let (a, ann, general) = ann_and_general(&db).await;
        let b = db.open().await;
        let per_server = 300;
        let results = Arc::new(Mutex::new(Vec::new()));
        for (server, store) in [(0, &a), (1, &b)] {
            for i in 0..per_server {
                let results = results.clone();
                // Each server also gets the other's client ids, as when a client
                // sends again through another server: stored once all the same.
                let key = format!("k{}", i % (per_server / 2) + server * per_server / 4);
                let job = WriteJob::Message {
                    conversation: general,
                    author: ann.clone(),
                    body: text(&key),
                    client_id: Some(ClientMsgId(key.clone())),
                    at_ms: i as i64,
                    done: Box::new(move |r| results.lock().unwrap().push((key, r))),
                    reply_to: None,
                    mentions: Vec::new(),
                };
                store.submit(job).unwrap();
            }
        }
        // Wait until both writers have answered everything.
        a.insert_message(general, &ann, &text("end a"), None, 0)
            .await
            .unwrap();
        b.insert_message(general, &ann, &text("end b"), None, 0)
            .await
            .unwrap();
        let results = std::mem::take(&mut *results.lock().unwrap());
        assert_eq!(results.len(), 2 * per_server);
        let mut by_key = std::collections::HashMap::new();
        for (key, r) in results {
            let stored = r.expect("every send is answered with its message");
            let first = by_key.entry(key).or_insert(stored.message.clone());
            assert_eq!(first.id, stored.message.id, "one message per client id");
        }
        let (page, _) = a.history(general, None, 1000, UserId(0)).await.unwrap();
        assert_eq!(page.len(), by_key.len() + 2);
        let seqs: Vec<Seq> = page.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=page.len() as Seq).collect::<Vec<_>>(), "gapless");
        a.close().await;
        b.close().await;
    }
}

#[tokio::test]
async fn a_nickname_goes_to_one_person_when_two_servers_sign_up_at_once() {
    for db in shared_databases() {
        let servers = [db.open().await, db.open().await];
        for round in 0..20 {
            let attempts = (0..6).map(|i| {
                let store = servers[i % 2].clone();
                let token = format!("r{round}-{i}");
                async move {
                    let new =
                        NewUser::new("Zed", &format!("zed{round}"), "owl", token.as_bytes(), 10);
                    store.sign_up(new, 0, None).await.unwrap()
                }
            });
            let won = futures::future::join_all(attempts)
                .await
                .into_iter()
                .flatten()
                .count();
            assert_eq!(won, 1, "round {round}");
        }
        for s in servers {
            s.close().await;
        }
    }
}

#[test]
fn urls_are_logged_without_their_password() {
    assert_eq!(
        redacted("postgres://chat:s3cret@db:5432/chat"),
        "postgres://chat:***@db:5432/chat"
    );
    assert_eq!(redacted("postgres://db/chat"), "postgres://db/chat");
    assert_eq!(redacted("sqlite://chat.db"), "sqlite://chat.db");
    assert_eq!(Backend::of("postgresql://db/chat"), Backend::Postgres);
    assert_eq!(Backend::of("chat.db"), Backend::Sqlite);
}

#[tokio::test]
async fn texts_missing_from_the_search_index_are_indexed_at_start() {
    for db in TestDatabase::all() {
        let (store, ann, general) = ann_and_general(&db).await;
        store.add_member(general, ann.id, 1).await.unwrap();
        for t in ["older release notes", "发布新版本了", "the newest release"] {
            store
                .insert_message(general, &ann, &text(t), None, 10)
                .await
                .unwrap();
        }
        // SQLite indexes a group's texts just after its commit: wait for the newest.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let found = store.search(ann.id, "release", None, 10).await.unwrap();
            if found.len() == 2 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{found:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // As a database from before the index, or a crash before the newest texts
        // were indexed: the index lost its newest entries.
        let forget = match db.backend() {
            Backend::Sqlite => "DELETE FROM message_search WHERE rowid > (SELECT MIN(rowid) FROM message_search)",
            Backend::Postgres => "DELETE FROM message_search WHERE message_id > (SELECT MIN(message_id) FROM message_search)",
        };
        match db.backend() {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
                sqlx::query(forget).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                sqlx::query(forget).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
        let me = ann.id;
        let found = move |store: Store, q: &'static str| async move {
            store.search(me, q, None, 10).await.unwrap().len()
        };
        assert_eq!(
            found(store.clone(), "release").await,
            1,
            "the index lost them"
        );
        store.close().await;
        let store = db.open().await;
        assert_eq!(found(store.clone(), "release").await, 2);
        assert_eq!(found(store.clone(), "新版").await, 1);
        store.close().await;
    }
}
