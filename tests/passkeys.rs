//! Passkeys against a real server, with a software authenticator that answers as a
//! browser's passkey would: registered on a signed-in device, a passkey signs in a
//! new one without a name typed, as the same person with the same conversations;
//! each ceremony is answered once and only with its own challenge; forged, unknown
//! and removed passkeys sign in nobody; a passkey keeps the nickname when its user
//! has no session; and the ceremonies are off without an origin and limited per
//! address. Runs on SQLite, and on PostgreSQL with `CHAT_TEST_STORE=postgres`
//! (scripts/test.sh).

mod common;

use chat::{
    protocol::{ClientMsg, ConversationKind, ErrorCode, ServerMsg},
    server::Config,
};
use common::{devices::*, passkeys::*, *};

async fn start(change: impl FnOnce(&mut Config)) -> (TestDb, TestServer) {
    let db = TestDb::new();
    let mut config = db.config();
    config.passkey_origin = ORIGIN.into();
    change(&mut config);
    let server = TestServer::start(config).await;
    (db, server)
}

/// Signs in with `authenticator` on a new connection from `user_agent`.
async fn sign_in(
    server: &TestServer,
    authenticator: &mut SoftPasskey,
    user_agent: &str,
) -> Result<ServerMsg, ErrorCode> {
    let mut client = connect_as(server.addr, user_agent).await;
    let (ceremony, options) = sign_in_start(&mut client).await?;
    sign_in_finish(&mut client, ceremony, authenticator.get(&options)).await
}

#[tokio::test]
async fn a_passkey_signs_in_a_new_device_as_the_same_person_without_a_name() {
    let (_db, server) = start(|_| {}).await;
    // Every connection is told where passkeys work.
    let mut fresh = connect_as(server.addr, PHONE).await;
    assert!(matches!(
        next_msg(&mut fresh).await,
        ServerMsg::Welcome { passkey_origin: Some(o), .. } if o == ORIGIN
    ));

    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let direct = open_direct(&mut bob, ann.me.id).await;

    let mut laptop_key = SoftPasskey::new();
    let (ceremony, options) = add_start(&mut ann.client, "").await.unwrap();
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    let keys = add_finish(&mut ann.client, ceremony, laptop_key.create(&options))
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "Firefox · Linux", "named after the device");
    assert_eq!(keys[0].last_used_ms, None);

    // On the phone: no name typed; the browser offers the passkey it holds.
    let (ceremony, options) = sign_in_start(&mut fresh).await.unwrap();
    assert!(
        options["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "a discoverable sign-in names no credential: {options}"
    );
    let ready = sign_in_finish(&mut fresh, ceremony, laptop_key.get(&options))
        .await
        .unwrap();
    let ServerMsg::Ready {
        me,
        token,
        conversations,
        ..
    } = ready
    else {
        unreachable!()
    };
    assert_eq!(me.id, ann.me.id);
    assert_eq!(me.nickname, "Ann");
    let token = token.expect("a session of its own");
    assert_ne!(token, ann.token);
    assert!(conversations.iter().any(|c| c.id == direct
        && matches!(&c.kind, ConversationKind::Direct { users } if users.contains(&bob.me.id))));
    // The phone's own session: it resumes, and the laptop lists it.
    let phone = server.resume(&token).await.unwrap();
    assert_eq!(phone.me.id, ann.me.id);
    let listed = devices(&mut ann).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    send(&mut ann.client, &ClientMsg::Passkeys).await;
    let keys = passkeys_answer(&mut ann.client).await.unwrap();
    assert!(keys[0].last_used_ms.is_some(), "{keys:?}");

    // Signed in again later, the counter moved on and is accepted.
    assert!(sign_in(&server, &mut laptop_key, PHONE).await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_sign_in_answer_is_good_once_and_only_for_its_own_ceremony() {
    let (_db, server) = start(|_| {}).await;
    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    let mut key = SoftPasskey::new();
    add(&mut ann.client, &mut key, "Laptop").await;

    let mut first = connect_as(server.addr, PHONE).await;
    let (one, options) = sign_in_start(&mut first).await.unwrap();
    let answer = key.get(&options);
    // Another ceremony's challenge: refused.
    let mut second = connect_as(server.addr, PHONE).await;
    let (two, _) = sign_in_start(&mut second).await.unwrap();
    assert_eq!(
        sign_in_finish(&mut second, two, answer.clone()).await.err(),
        Some(ErrorCode::PasskeyFailed)
    );
    // Its own: signed in.
    assert!(sign_in_finish(&mut first, one.clone(), answer.clone())
        .await
        .is_ok());
    // The same answer again, anywhere: the ceremony is used.
    let mut third = connect_as(server.addr, PHONE).await;
    assert_eq!(
        sign_in_finish(&mut third, one, answer).await.err(),
        Some(ErrorCode::PasskeyFailed)
    );
    // A forger with the credential's id and handle but not its key.
    let mut forger = SoftPasskey::new();
    forger.credential_id = key.credential_id.clone();
    forger.user_handle = key.user_handle.clone();
    assert_eq!(
        sign_in(&server, &mut forger, PHONE).await.err(),
        Some(ErrorCode::PasskeyFailed)
    );
    // A registration made for another origin is refused too.
    let mut elsewhere = SoftPasskey::at("http://localhost:4000");
    let (ceremony, options) = add_start(&mut ann.client, "Elsewhere").await.unwrap();
    assert_eq!(
        add_finish(&mut ann.client, ceremony, elsewhere.create(&options))
            .await
            .err(),
        Some(ErrorCode::PasskeyFailed)
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_and_removed_passkeys_sign_in_nobody() {
    let (_db, server) = start(|_| {}).await;
    let mut stranger = SoftPasskey::new();
    stranger.user_handle = Some(vec![1; 16]);
    assert_eq!(
        sign_in(&server, &mut stranger, PHONE).await.err(),
        Some(ErrorCode::PasskeyUnknown)
    );

    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    let mut key = SoftPasskey::new();
    let mut spare = SoftPasskey::new();
    add(&mut ann.client, &mut key, "Laptop").await;
    let keys = add(&mut ann.client, &mut spare, "Spare key").await;
    assert_eq!(
        keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["Laptop", "Spare key"]
    );
    // One user handle for all of a user's passkeys.
    assert_eq!(key.user_handle, spare.user_handle);
    let left = remove(&mut ann.client, keys[0].id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "Spare key");
    assert_eq!(
        sign_in(&server, &mut key, PHONE).await.err(),
        Some(ErrorCode::PasskeyUnknown)
    );
    assert!(sign_in(&server, &mut spare, PHONE).await.is_ok());
    assert_eq!(
        remove(&mut ann.client, keys[0].id).await.err(),
        Some(ErrorCode::NoSuchPasskey)
    );
    // Bob cannot remove Ann's.
    let mut bob = server.login("Bob", "owl").await.unwrap();
    assert_eq!(
        remove(&mut bob.client, left[0].id).await.err(),
        Some(ErrorCode::NoSuchPasskey)
    );
    server.stop().await;
}

#[tokio::test]
async fn a_passkey_keeps_the_nickname_when_its_user_has_no_session() {
    let (_db, server) = start(|_| {}).await;
    // Without a passkey, logging out frees the name at once.
    let mut cat = server.login("Cat", "owl").await.unwrap();
    send(&mut cat.client, &ClientMsg::Logout).await;
    closed_with(&mut cat.client).await;
    assert!(server.login("cat", "fox").await.is_ok());

    let mut ann = login_as(&server, "Ann", LAPTOP).await;
    let mut key = SoftPasskey::new();
    add(&mut ann.client, &mut key, "Laptop").await;
    send(&mut ann.client, &ClientMsg::Logout).await;
    closed_with(&mut ann.client).await;
    // No session of Ann's is left, but her name is still hers…
    assert_eq!(
        server.login("ann", "fox").await.err(),
        Some(ErrorCode::NicknameTaken)
    );
    // …and her passkey brings her back.
    let Ok(ServerMsg::Ready { me, .. }) = sign_in(&server, &mut key, PHONE).await else {
        panic!("the passkey signs in");
    };
    assert_eq!((me.id, me.nickname.as_str()), (ann.me.id, "Ann"));
    server.stop().await;
}

#[tokio::test]
async fn passkeys_are_off_without_an_origin_and_their_sign_ins_are_limited_per_address() {
    let (_db, server) = start(|c| c.passkey_origin = "off".into()).await;
    let mut fresh = server.connect().await;
    assert!(matches!(
        next_msg(&mut fresh).await,
        ServerMsg::Welcome {
            passkey_origin: None,
            ..
        }
    ));
    assert_eq!(
        sign_in_start(&mut fresh).await.err(),
        Some(ErrorCode::PasskeysOff)
    );
    let mut ann = server.login("Ann", "fox").await.unwrap();
    assert_eq!(
        add_start(&mut ann.client, "").await.err(),
        Some(ErrorCode::PasskeysOff)
    );
    server.stop().await;

    let (_db, server) = start(|c| {
        c.passkey_sign_ins_per_minute_per_ip = 1;
        c.passkey_sign_in_burst_per_ip = 2;
    })
    .await;
    let mut client = server.connect().await;
    assert!(sign_in_start(&mut client).await.is_ok());
    assert!(sign_in_start(&mut client).await.is_ok());
    assert_eq!(
        sign_in_start(&mut client).await.err(),
        Some(ErrorCode::RateLimited)
    );
    // Signed in already: a passkey sign-in is not for this connection.
    let mut key = SoftPasskey::new();
    let mut ann = server.login("Ann", "fox").await.unwrap();
    add(&mut ann.client, &mut key, "").await;
    assert_eq!(
        sign_in_start(&mut ann.client).await.err(),
        Some(ErrorCode::AlreadyLoggedIn)
    );
    server.stop().await;
}

#[tokio::test]
async fn a_sign_in_under_way_outlives_the_login_deadline() {
    let (_db, server) = start(|c| c.login_timeout_secs = 1).await;
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let mut key = SoftPasskey::new();
    add(&mut ann.client, &mut key, "Laptop").await;
    // The browser's dialog takes longer than a login may: the connection waits for it.
    let mut phone = server.connect().await;
    let (ceremony, options) = sign_in_start(&mut phone).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let ready = sign_in_finish(&mut phone, ceremony, key.get(&options)).await;
    assert!(
        matches!(&ready, Ok(ServerMsg::Ready { me, .. }) if me.id == ann.me.id),
        "{ready:?}"
    );
    // One that began nothing is closed as before (4003).
    let mut idle = server.connect().await;
    assert_eq!(
        closed_with(&mut idle).await,
        chat::protocol::close_code::LOGIN_TIMEOUT
    );
    server.stop().await;
}
