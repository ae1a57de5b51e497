//! One person on several devices, against a real server: a device linked with a
//! one-time code shown on a signed-in one is the same user; codes are good once and
//! for a while; the device list, and sessions ended from another device; read
//! receipts, to the other members and the reader's own devices, and not shared when
//! turned off. Runs on SQLite, and on PostgreSQL with `CHAT_TEST_STORE=postgres`
//! (scripts/test.sh).

mod common;

use std::time::Duration;

use chat::{
    protocol::{
        close_code, ClientMsg, ConversationId, ConversationKind, DeviceInfo, ErrorCode, ReadMark,
        ServerMsg,
    },
    server::Config,
};
use common::{devices::*, *};

async fn start(change: impl FnOnce(&mut Config)) -> (TestDb, TestServer) {
    let db = TestDb::new();
    let mut config = db.config();
    change(&mut config);
    let server = TestServer::start(config).await;
    (db, server)
}

#[tokio::test]
async fn a_linked_device_is_the_same_person_with_the_same_conversations() {
    let (_db, server) = start(|_| {}).await;
    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    let mut bob = server.login("Bob", "owl").await.unwrap();
    // Bob writes to Ann privately: one unread message on her account.
    let direct = open_direct(&mut bob, ann.me.id).await;
    say(&mut bob, direct, "just for you").await;
    recv_until(&mut ann.client, |m| {
        matches!(m, ServerMsg::Message { message } if message.conversation == direct).then_some(())
    })
    .await;

    // What Bob has heard so far (Ann's presence among it) is behind us.
    expect_none(&mut bob.client, Duration::from_millis(300), |_| false).await;

    // The same nickname on the phone is refused while the laptop's session lives…
    assert_eq!(
        login_on(connect_as(server.addr, PHONE).await, "ann", "owl")
            .await
            .err(),
        Some(ErrorCode::NicknameTaken)
    );
    // …so the phone is linked with a code, typed as a person would.
    let (code, link) = offer(&mut ann).await;
    assert_eq!(
        link.as_deref(),
        Some(format!("http://localhost:3000/#link={code}").as_str())
    );
    let mut phone = connect_as(server.addr, PHONE).await;
    let typed = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    assert_eq!(redeem(&mut phone, &typed).await, Ok("Ann".to_string()));
    let (link, device) = request(&mut ann).await;
    assert_eq!(
        device,
        DeviceInfo {
            browser: "Chrome".into(),
            system: "Android".into()
        }
    );
    send(
        &mut ann.client,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(link_done(&mut ann).await, (link, true));
    let (mut phone, online) = ready_tab(phone).await;
    assert_eq!(
        online, 2,
        "Ann on two devices is one person online, and Bob"
    );
    assert_eq!(phone.me.id, ann.me.id);
    assert_eq!(phone.me.nickname, "Ann");
    assert_ne!(phone.token, ann.token, "a session of its own");
    let on_phone = phone
        .conversations
        .iter()
        .find(|c| c.id == direct)
        .expect("the phone has Ann's private conversation");
    assert!(matches!(on_phone.kind, ConversationKind::Direct { .. }));
    assert_eq!(on_phone.unread, 1, "and its unread count");
    // Her private history is there too.
    let (messages, _) = history(&mut phone.client, direct, None).await;
    assert!(messages.iter().any(|m| matches!(&m.body,
        chat::protocol::MessageBody::Text { text } if text == "just for you")));
    // Bob sees no second Ann come online.
    expect_none(
        &mut bob.client,
        Duration::from_millis(300),
        |m| matches!(m, ServerMsg::Presence { user } if user.id == phone.me.id),
    )
    .await;

    // The code was good once.
    let mut thief = server.connect().await;
    assert_eq!(
        redeem(&mut thief, &code).await,
        Err(ErrorCode::LinkCodeUsed)
    );
    assert_eq!(
        redeem(&mut thief, "ZZZZ-ZZZZ").await,
        Err(ErrorCode::LinkCodeInvalid)
    );
    assert_eq!(
        redeem(&mut thief, "not a code").await,
        Err(ErrorCode::LinkCodeInvalid)
    );

    // The phone's own session survives a reconnect, and so does the laptop's.
    let again = server.resume(&phone.token).await.unwrap();
    assert_eq!(again.me.id, ann.me.id);
    server.resume(&ann.token).await.unwrap();
}

#[tokio::test]
async fn a_refused_device_gets_no_session_and_only_the_user_decides() {
    let (_db, server) = start(|_| {}).await;
    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let (code, _) = offer(&mut ann).await;
    let mut phone = connect_as(server.addr, PHONE).await;
    redeem(&mut phone, &code).await.unwrap();
    let (link, _) = request(&mut ann).await;
    // Not Bob's link to allow, and not a thing to do without a session.
    send(
        &mut bob.client,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(next_error(&mut bob.client).await, ErrorCode::LinkGone);
    let mut stranger = server.connect().await;
    send(
        &mut stranger,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(next_error(&mut stranger).await, ErrorCode::NotLoggedIn);
    // The waiting phone cannot log in meanwhile either.
    let login = ClientMsg::Login {
        nickname: "Eve".into(),
        avatar: "fox".into(),
    };
    send(&mut phone, &login).await;
    assert_eq!(next_error(&mut phone).await, ErrorCode::AlreadyLoggedIn);

    send(
        &mut ann.client,
        &ClientMsg::LinkConfirm {
            link,
            accept: false,
        },
    )
    .await;
    assert_eq!(link_done(&mut ann).await, (link, false));
    assert_eq!(next_error(&mut phone).await, ErrorCode::LinkDeclined);
    // Decided once: allowing it now finds nothing waiting.
    send(
        &mut ann.client,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(next_error(&mut ann.client).await, ErrorCode::LinkGone);
    assert_eq!(devices(&mut ann).await.len(), 1, "no session was made");
}

#[tokio::test]
async fn codes_expire_and_an_unanswered_device_stops_waiting() {
    let (_db, server) = start(|c| c.link_code_secs = 1).await;
    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    // Redeemed too late.
    let (code, _) = offer(&mut ann).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let mut phone = connect_as(server.addr, PHONE).await;
    assert_eq!(
        redeem(&mut phone, &code).await,
        Err(ErrorCode::LinkCodeExpired)
    );
    // Redeemed in time, never answered: the phone is told, the laptop's request goes.
    let (code, _) = offer(&mut ann).await;
    assert!(redeem(&mut phone, &code).await.is_ok());
    let (link, _) = request(&mut ann).await;
    assert_eq!(next_error(&mut phone).await, ErrorCode::LinkCodeExpired);
    assert_eq!(link_done(&mut ann).await, (link, false));
    send(
        &mut ann.client,
        &ClientMsg::LinkConfirm { link, accept: true },
    )
    .await;
    assert_eq!(next_error(&mut ann.client).await, ErrorCode::LinkGone);
    // A device that goes away while it waits withdraws its claim.
    let (code, _) = offer(&mut ann).await;
    let mut leaving = connect_as(server.addr, PHONE).await;
    assert!(redeem(&mut leaving, &code).await.is_ok());
    let (link, _) = request(&mut ann).await;
    drop(leaving);
    assert_eq!(link_done(&mut ann).await, (link, false));
}

#[tokio::test]
async fn link_codes_and_sign_ups_have_their_own_limits_per_address() {
    let (_db, server) = start(|c| {
        c.link_redeems_per_minute_per_ip = 1;
        c.link_redeem_burst_per_ip = 3;
        c.sign_ups_per_minute_per_ip = 1;
        c.sign_up_burst_per_ip = 2;
    })
    .await;
    let mut guesser = server.connect().await;
    for _ in 0..3 {
        assert_eq!(
            redeem(&mut guesser, "AAAA-AAAA").await,
            Err(ErrorCode::LinkCodeInvalid)
        );
    }
    assert_eq!(
        redeem(&mut guesser, "AAAA-AAAA").await,
        Err(ErrorCode::RateLimited)
    );
    // Two new users from this address, then no more for a while…
    let ann = server.login("Ann", "fox").await.unwrap();
    server.login("Bob", "owl").await.unwrap();
    assert_eq!(
        server.login("Cy", "cat").await.err(),
        Some(ErrorCode::RateLimited)
    );
    // …while the users there are come back as often as they like.
    for _ in 0..5 {
        server.resume(&ann.token).await.unwrap();
    }
}

#[tokio::test]
async fn sessions_are_listed_and_one_ended_elsewhere_closes_at_once() {
    let (_db, server) = start(|_| {}).await;
    let mut laptop = login_as(&server, "Ann", LAPTOP).await;
    let mut phone = link_new_device(&server, &mut laptop, PHONE).await;
    let mut tablet = link_new_device(&server, &mut laptop, PHONE).await;

    let listed = devices(&mut laptop).await;
    assert_eq!(listed.len(), 3);
    let me: Vec<_> = listed.iter().filter(|d| d.current).collect();
    assert_eq!(me.len(), 1);
    assert_eq!(me[0].info.browser, "Firefox");
    assert_eq!(me[0].info.system, "Linux");
    assert!(listed.iter().all(|d| d.active), "all three are connected");
    // The phone's own list marks the phone.
    let from_phone = devices(&mut phone).await;
    let phone_id = from_phone.iter().find(|d| d.current).unwrap().id.clone();
    assert_ne!(phone_id, me[0].id);
    // Nothing in the list is a token, or opens a session.
    for d in &listed {
        assert!(!laptop.token.contains(&d.id.0));
        assert_eq!(
            server.resume(&d.id.0).await.err(),
            Some(ErrorCode::SessionInvalid)
        );
    }

    // The laptop ends the phone's session: its socket closes at once, its token is dead.
    send(
        &mut laptop.client,
        &ClientMsg::EndSession {
            device: phone_id.clone(),
        },
    )
    .await;
    assert_eq!(closed_with(&mut phone.client).await, close_code::LOGGED_OUT);
    let left = recv_until(&mut laptop.client, |m| match m {
        ServerMsg::Devices { devices } => Some(devices.clone()),
        _ => None,
    })
    .await;
    assert_eq!(left.len(), 2);
    assert_eq!(
        server.resume(&phone.token).await.err(),
        Some(ErrorCode::SessionInvalid)
    );
    send(
        &mut laptop.client,
        &ClientMsg::EndSession { device: phone_id },
    )
    .await;
    assert_eq!(
        next_error(&mut laptop.client).await,
        ErrorCode::NoSuchDevice
    );

    // "End all other sessions": the tablet goes, the laptop stays, and the name is
    // still Ann's (one of her sessions lives).
    send(&mut laptop.client, &ClientMsg::EndOtherSessions).await;
    assert_eq!(
        closed_with(&mut tablet.client).await,
        close_code::LOGGED_OUT
    );
    let left = recv_until(&mut laptop.client, |m| match m {
        ServerMsg::Devices { devices } => Some(devices.clone()),
        _ => None,
    })
    .await;
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
    assert_eq!(
        server.login("ann", "owl").await.err(),
        Some(ErrorCode::NicknameTaken)
    );
    server.resume(&laptop.token).await.unwrap();
}

/// The next read marks of `conversation` this client is told.
async fn reads_of(client: &mut Client, conversation: ConversationId) -> Vec<ReadMark> {
    recv_until(client, |m| match m {
        ServerMsg::Read {
            conversation: c,
            reads,
        } if *c == conversation => Some(reads.clone()),
        _ => None,
    })
    .await
}

/// The tab's user has read `conversation` up to `seq`.
async fn mark_read(tab: &mut Tab, conversation: ConversationId, seq: u64) {
    send(&mut tab.client, &ClientMsg::MarkRead { conversation, seq }).await;
}

/// Fails if any read mark is told to this client within the next 1.5 s (a coalescing
/// second and some).
async fn no_read_told(client: &mut Client) {
    expect_none(client, Duration::from_millis(1500), |m| {
        matches!(m, ServerMsg::Read { .. })
    })
    .await;
}

/// Sends a text and waits for its ack: its number.
async fn say(tab: &mut Tab, conversation: ConversationId, text: &str) -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let msg = ClientMsg::Send {
        conversation,
        client_id: chat::protocol::ClientMsgId(format!("t-{n}")),
        text: text.into(),
        reply_to: None,
        mentions: vec![],
    };
    send(&mut tab.client, &msg).await;
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::Ack { seq, .. } => Some(*seq),
        _ => None,
    })
    .await
}

/// Bob writes to Ann privately: the conversation and the message's number.
async fn bob_writes_to(bob: &mut Tab, ann: &Tab) -> (ConversationId, u64) {
    let direct = open_direct(bob, ann.me.id).await;
    let seq = say(bob, direct, "did you see this?").await;
    (direct, seq)
}

#[tokio::test]
async fn read_receipts_reach_the_other_member_and_the_readers_own_devices_only() {
    let (_db, server) = start(|_| {}).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let mut cy = server.login("Cy", "cat").await.unwrap();
    let (direct, seq) = bob_writes_to(&mut bob, &ann).await;
    let mut ann_phone = server.resume(&ann.token).await.unwrap();

    mark_read(&mut ann, direct, seq).await;
    // Bob learns that Ann has seen it, and when.
    let told = reads_of(&mut bob.client, direct).await;
    assert_eq!(told.len(), 1);
    assert_eq!((told[0].user, told[0].seq), (ann.me.id, seq));
    assert!(told[0].at_ms > 0);
    // Ann's other tab learns it too (her unread count there goes).
    let own = reads_of(&mut ann_phone.client, direct).await;
    assert_eq!((own[0].user, own[0].seq), (ann.me.id, seq));
    // Cy, no member, hears nothing of it.
    no_read_told(&mut cy.client).await;
    // Marking it again tells nobody anything new.
    mark_read(&mut ann, direct, seq).await;
    no_read_told(&mut bob.client).await;
    // And the mark is in Bob's next snapshot, after a reconnect.
    let again = server.resume(&bob.token).await.unwrap();
    let info = again.conversations.iter().find(|c| c.id == direct).unwrap();
    assert!(info
        .reads
        .iter()
        .any(|m| m.user == ann.me.id && m.seq == seq && m.at_ms > 0));
}

#[tokio::test]
async fn read_receipts_are_not_shared_by_who_turned_them_off_nor_shown_to_them() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let (direct, seq) = bob_writes_to(&mut bob, &ann).await;
    let mut ann_phone = server.resume(&ann.token).await.unwrap();

    send(&mut ann.client, &ClientMsg::ShareReceipts { on: false }).await;
    for tab in [&mut ann, &mut ann_phone] {
        recv_until(&mut tab.client, |m| {
            matches!(m, ServerMsg::ReceiptsShared { on: false }).then_some(())
        })
        .await;
    }
    mark_read(&mut ann, direct, seq).await;
    // Her own devices still agree on what she has read…
    let own = reads_of(&mut ann_phone.client, direct).await;
    assert_eq!((own[0].user, own[0].seq), (ann.me.id, seq));
    // …but Bob is not told.
    no_read_told(&mut bob.client).await;
    // Nor is she told of Bob's reading.
    let answer = say(&mut ann, direct, "seen, but you won't know").await;
    mark_read(&mut bob, direct, answer).await;
    expect_none(
        &mut ann.client,
        Duration::from_millis(1500),
        |m| matches!(m, ServerMsg::Read { reads, .. } if reads.iter().any(|r| r.user == bob.me.id)),
    )
    .await;

    // The choice is kept: after a restart her snapshot says so and holds no marks,
    // and Bob's holds none of hers.
    server.stop().await;
    let server = TestServer::start(db.config()).await;
    let ann_now = resume_ready(&server, &ann.token).await;
    assert!(!ann_now.0, "she still does not share");
    assert!(ann_now.1.iter().all(|c| c.reads.is_empty()));
    let bob_now = resume_ready(&server, &bob.token).await;
    assert!(bob_now.0);
    let info = bob_now.1.iter().find(|c| c.id == direct).unwrap();
    assert!(
        info.reads.iter().all(|m| m.user != ann.me.id),
        "{:?}",
        info.reads
    );
    // Turned on again, Bob hears of her next read.
    let mut ann = server.resume(&ann.token).await.unwrap();
    let mut bob = server.resume(&bob.token).await.unwrap();
    send(&mut ann.client, &ClientMsg::ShareReceipts { on: true }).await;
    recv_until(&mut ann.client, |m| {
        matches!(m, ServerMsg::ReceiptsShared { on: true }).then_some(())
    })
    .await;
    let (_, newer) = bob_writes_to(&mut bob, &ann).await;
    mark_read(&mut ann, direct, newer).await;
    let told = reads_of(&mut bob.client, direct).await;
    assert!(told.iter().any(|m| m.user == ann.me.id && m.seq == newer));
}

/// A resumed session's snapshot: whether it shares receipts, and its conversations.
async fn resume_ready(
    server: &TestServer,
    token: &str,
) -> (bool, Vec<chat::protocol::ConversationInfo>) {
    let mut client = server.connect().await;
    let resume = ClientMsg::Resume {
        token: token.into(),
        cursors: vec![],
    };
    send(&mut client, &resume).await;
    recv_until(&mut client, |m| match m {
        ServerMsg::Ready {
            share_receipts,
            conversations,
            ..
        } => Some((*share_receipts, conversations.clone())),
        ServerMsg::Error { code, message, .. } => panic!("resume refused: {code:?} {message}"),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_room_of_more_than_50_tells_an_author_how_many_read_their_text_not_who() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let hall = join_room(&mut ann.client, "hall").await.id;
    let mut others = Vec::new();
    for n in 0..chat::protocol::RECEIPTS_MAX_MEMBERS {
        let mut tab = server.login(&format!("Reader {n}"), "owl").await.unwrap();
        join_room(&mut tab.client, "hall").await;
        others.push(tab);
    }
    let seq = say(&mut ann, hall, "hello, hall").await;
    // Three of the 50 read it (the others' next frames are theirs to read).
    for tab in others.iter_mut().take(3) {
        mark_read(tab, hall, seq).await;
    }
    let told = recv_until(&mut ann.client, |m| match m {
        ServerMsg::ReadCount {
            conversation,
            seq: s,
            count,
        } if *conversation == hall && *s == seq => Some(*count),
        ServerMsg::Read {
            conversation,
            reads,
        } if *conversation == hall => {
            panic!("who read it is not told in a big room: {reads:?}")
        }
        _ => None,
    })
    .await;
    assert_eq!(told, 3);
    // A reader learns nobody's marks, and no count of a text not theirs.
    expect_none(&mut others[5].client, Duration::from_millis(1500), |m| {
        matches!(m, ServerMsg::ReadCount { .. })
            || matches!(m, ServerMsg::Read { conversation, .. } if *conversation == hall)
    })
    .await;
    // After a reload, Ann's snapshot has the count.
    let again = server.resume(&ann.token).await.unwrap();
    let info = again.conversations.iter().find(|c| c.id == hall).unwrap();
    assert_eq!(
        info.read_count,
        Some(chat::protocol::ReadCount { seq, count: 3 })
    );
    server.stop().await;
}
