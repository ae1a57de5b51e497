//! The protections for the open internet, each tried from outside as an attacker
//! would, against a real bound server: foreign origins, too many connections, slow
//! request headers, connections that never log in, direction-control tricks, and the
//! security headers of the pages.

mod common;

use std::time::Duration;

use chat::{
    protocol::{close_code, ClientMsg, ClientMsgId, ErrorCode, ServerMsg, WS_PATH},
    server::Config,
};
use common::{next_error, next_frame, next_msg, send, TestDb, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::StatusCode, Message};

/// Opens a WebSocket with an `Origin` header (as a browser does); the HTTP status of
/// a refused upgrade.
async fn connect_from(
    server: &TestServer,
    origin: Option<&str>,
) -> Result<common::Client, StatusCode> {
    let mut request = format!("ws://{}{WS_PATH}", server.addr)
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((client, _)) => Ok(client),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status()),
        Err(e) => panic!("unexpected handshake failure: {e}"),
    }
}

/// Opens the WebSocket as a proxy would, naming the client in `X-Forwarded-For`.
async fn connect_forwarded(
    server: &TestServer,
    client: &str,
) -> Result<common::Client, StatusCode> {
    let mut request = format!("ws://{}{WS_PATH}", server.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("x-forwarded-for", client.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((client, _)) => Ok(client),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status()),
        Err(e) => panic!("unexpected handshake failure: {e}"),
    }
}

async fn start(db: &TestDb, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = db.config();
    tweak(&mut config);
    TestServer::start(config).await
}

#[tokio::test]
async fn only_the_sites_own_origin_and_allowed_ones_may_open_the_websocket() {
    let db = TestDb::new();
    let server = start(&db, |c| {
        c.allowed_origins = vec!["https://chat.example.org".into()]
    })
    .await;
    let own = format!("http://{}", server.addr);
    assert!(connect_from(&server, Some(&own)).await.is_ok());
    assert!(connect_from(&server, Some("https://chat.example.org"))
        .await
        .is_ok());
    // Not a browser: no origin to check (the other limits still apply).
    assert!(connect_from(&server, None).await.is_ok());
    for foreign in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        assert_eq!(
            connect_from(&server, Some(foreign)).await.err(),
            Some(StatusCode::FORBIDDEN),
            "{foreign}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limits_count_the_clients_it_names() {
    let db = TestDb::new();
    let server = start(&db, |c| {
        c.max_connections_per_ip = 1;
        c.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let _a = connect_forwarded(&server, "203.0.113.1").await.unwrap();
    assert_eq!(
        connect_forwarded(&server, "203.0.113.1").await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS),
        "the same client twice"
    );
    assert!(
        connect_forwarded(&server, "203.0.113.2").await.is_ok(),
        "another client"
    );
    server.stop().await;

    // Untrusted: the header is ignored, every connection is 127.0.0.1's.
    let db = TestDb::new();
    let server = start(&db, |c| c.max_connections_per_ip = 1).await;
    let _a = connect_forwarded(&server, "203.0.113.1").await.unwrap();
    assert_eq!(
        connect_forwarded(&server, "203.0.113.2").await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    server.stop().await;
}

#[tokio::test]
async fn connections_per_address_and_in_all_are_capped_and_given_back() {
    let db = TestDb::new();
    let server = start(&db, |c| c.max_connections_per_ip = 2).await;
    let first = connect_from(&server, None).await.unwrap();
    let _second = connect_from(&server, None).await.unwrap();
    assert_eq!(
        connect_from(&server, None).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    // A closed connection gives its place back.
    drop(first);
    let mut back = None;
    for _ in 0..50 {
        if let Ok(client) = connect_from(&server, None).await {
            back = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        back.is_some(),
        "the place of a closed connection was not given back"
    );
    server.stop().await;

    let db = TestDb::new();
    let server = start(&db, |c| c.max_connections = 1).await;
    let _only = connect_from(&server, None).await.unwrap();
    assert_eq!(
        connect_from(&server, None).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_cut_off() {
    let db = TestDb::new();
    let server = start(&db, |c| c.header_read_timeout_secs = 1).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut cut = false;
    // One byte every 200 ms, for up to 5 s: the server must hang up after about 1 s.
    for byte in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa".iter().cycle().take(25) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if tcp.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                cut = true;
                break;
            }
            _ => {}
        }
    }
    assert!(cut, "still connected after {:?}", started.elapsed());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "cut off only after {:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_does_not_log_in_in_time_is_closed_with_4003() {
    let db = TestDb::new();
    let server = start(&db, |c| c.login_timeout_secs = 1).await;
    let mut idle = server.connect().await;
    assert!(matches!(
        next_msg(&mut idle).await,
        ServerMsg::Welcome { .. }
    ));
    let mut tab = server.login("ana", "fox").await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(4), async {
        loop {
            match next_frame(&mut idle).await {
                Message::Close(Some(frame)) => {
                    return (u16::from(frame.code), frame.reason.to_string())
                }
                Message::Close(None) => panic!("closed without a code"),
                _ => continue,
            }
        }
    })
    .await
    .expect("the idle connection was not closed");
    assert_eq!(closed.0, close_code::LOGIN_TIMEOUT);
    assert!(closed.1.contains("login"), "{}", closed.1);
    // The one that logged in is still served well past the deadline.
    send(&mut tab.client, &ClientMsg::Ping { nonce: 7 }).await;
    let pong = common::recv_until(&mut tab.client, |m| match m {
        ServerMsg::Pong { nonce } => Some(*nonce),
        _ => None,
    })
    .await;
    assert_eq!(pong, 7);
    server.stop().await;
}

#[tokio::test]
async fn text_with_direction_overrides_is_refused() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut tab = server.login("ana", "fox").await.unwrap();
    let general = tab.room("general");
    let send_text = |text: &str| ClientMsg::Send {
        conversation: general,
        client_id: ClientMsgId(format!("c-{}", text.len())),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
    };
    send(&mut tab.client, &send_text("invoice \u{202E}fdp.exe")).await;
    assert_eq!(next_error(&mut tab.client).await, ErrorCode::InvalidText);
    server.stop().await;
}

/// `GET path` over a fresh connection: the status line, headers (lower-cased names) and body.
async fn get(server: &TestServer, path: &str) -> (String, Vec<(String, String)>, String) {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(common::PATIENCE, tcp.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn pages_carry_a_strict_policy_whose_nonce_is_on_their_scripts() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let (status, headers, body) = get(&server, "/").await;
    assert!(status.contains("200"), "{status}");
    let policy = header(&headers, "content-security-policy").expect("no CSP on the page");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("no nonce in the policy");
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts lack the nonce"
    );
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&headers, "referrer-policy"), Some("no-referrer"));
    // A fresh nonce per page.
    let (_, again, _) = get(&server, "/").await;
    assert_ne!(header(&again, "content-security-policy"), Some(policy));
    // Anything else (here the WebSocket path asked for without an upgrade) may run nothing.
    let (_, file, _) = get(&server, WS_PATH).await;
    assert_eq!(
        header(&file, "content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    server.stop().await;
}

/// The error a request got: its code and `retry_after_ms`.
async fn next_refusal(client: &mut common::Client) -> (ErrorCode, Option<u64>) {
    common::recv_until(client, |m| match m {
        ServerMsg::Error {
            code,
            retry_after_ms,
            ..
        } => Some((*code, *retry_after_ms)),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_join_and_leave_loop_runs_into_its_limit() {
    let db = TestDb::new();
    let server = start(&db, |c| {
        c.room_changes_per_minute = 30;
        c.room_change_burst = 10;
    })
    .await;
    let mut tab = server.login("ana", "fox").await.unwrap();
    // Ten joins or leaves at once are fine (one every 2 s after that).
    for _ in 0..5 {
        let room = common::join_room(&mut tab.client, "loop").await;
        send(
            &mut tab.client,
            &ClientMsg::LeaveRoom {
                conversation: room.id,
            },
        )
        .await;
        common::recv_until(&mut tab.client, |m| {
            matches!(m, ServerMsg::Left { .. }).then_some(())
        })
        .await;
    }
    send(
        &mut tab.client,
        &ClientMsg::JoinRoom {
            name: "loop".into(),
        },
    )
    .await;
    let (code, retry) = next_refusal(&mut tab.client).await;
    assert_eq!(code, ErrorCode::RateLimited);
    assert!(retry.is_some_and(|ms| ms > 0 && ms <= 2000), "{retry:?}");
    server.stop().await;
}

#[tokio::test]
async fn sign_ins_from_one_address_are_limited() {
    let db = TestDb::new();
    let server = start(&db, |c| {
        c.sign_ins_per_second_per_ip = 1;
        c.sign_in_burst_per_ip = 3;
    })
    .await;
    for name in ["ana", "bo", "cy"] {
        server.login(name, "fox").await.unwrap();
    }
    assert_eq!(
        server.login("di", "fox").await.err(),
        Some(ErrorCode::RateLimited)
    );
    server.stop().await;
}

#[tokio::test]
async fn made_up_conversations_are_refused_without_a_trace() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut tab = server.login("ana", "fox").await.unwrap();
    let nowhere = chat::protocol::ConversationId(987_654);
    for request in [
        ClientMsg::Typing {
            conversation: nowhere,
        },
        ClientMsg::History {
            conversation: nowhere,
            before: None,
            from: None,
        },
        ClientMsg::MarkRead {
            conversation: nowhere,
            seq: 5,
        },
        ClientMsg::LeaveRoom {
            conversation: nowhere,
        },
    ] {
        send(&mut tab.client, &request).await;
        let (code, _) = next_refusal(&mut tab.client).await;
        assert!(
            matches!(code, ErrorCode::NotAMember | ErrorCode::NoSuchConversation),
            "{request:?}: {code:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_stored_message_sent_again_past_the_limit_gets_its_ack() {
    let db = TestDb::new();
    let server = start(&db, |c| {
        c.sends_per_second = 1;
        c.send_burst = 1;
    })
    .await;
    let mut tab = server.login("ana", "fox").await.unwrap();
    let general = tab.room("general");
    let message = |id: &str| ClientMsg::Send {
        conversation: general,
        client_id: ClientMsgId(id.into()),
        text: format!("text of {id}"),
        reply_to: None,
        mentions: Vec::new(),
    };
    let ack_of = |m: &ServerMsg| match m {
        ServerMsg::Ack {
            client_id, id, seq, ..
        } => Some((client_id.0.clone(), *id, *seq)),
        _ => None,
    };
    send(&mut tab.client, &message("one")).await;
    let first = common::recv_until(&mut tab.client, ack_of).await;
    send(&mut tab.client, &message("two")).await;
    assert_eq!(
        next_refusal(&mut tab.client).await.0,
        ErrorCode::RateLimited
    );
    // Its ack was lost, say: the same client id again, still past the limit.
    send(&mut tab.client, &message("one")).await;
    let again = common::recv_until(&mut tab.client, |m| match m {
        ServerMsg::Error { code, .. } => panic!("refused: {code:?}"),
        m => ack_of(m),
    })
    .await;
    assert_eq!(again, first);
    server.stop().await;
}

#[tokio::test]
async fn a_client_id_goes_to_its_authors_tabs_only() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ana = server.login("ana", "fox").await.unwrap();
    let mut bo = server.login("bo", "owl").await.unwrap();
    let general = ana.room("general");
    let hello = ClientMsg::Send {
        conversation: general,
        client_id: ClientMsgId("ana-1".into()),
        text: "hello".into(),
        reply_to: None,
        mentions: Vec::new(),
    };
    send(&mut ana.client, &hello).await;
    let text_message = |m: &ServerMsg| match m {
        ServerMsg::Message { message } if message.author.nickname == "ana" => {
            matches!(message.body, chat::protocol::MessageBody::Text { .. })
                .then(|| message.clone())
        }
        _ => None,
    };
    let own = common::recv_until(&mut ana.client, text_message).await;
    let seen = common::recv_until(&mut bo.client, text_message).await;
    assert_eq!(own.client_id, Some(ClientMsgId("ana-1".into())));
    assert_eq!(seen.client_id, None);
    assert_eq!(seen.id, own.id);
    let (page, _) = common::history(&mut bo.client, general, None).await;
    assert!(page.iter().all(|m| m.client_id.is_none()), "{page:?}");
    let (page, _) = common::history(&mut ana.client, general, None).await;
    assert!(page
        .iter()
        .any(|m| m.client_id == Some(ClientMsgId("ana-1".into()))));
    server.stop().await;
}

/// A WebSocket opened by hand over TCP, past the server's `welcome`, so that frames
/// no library would send can be tried.
async fn raw_websocket(server: &TestServer) -> tokio::net::TcpStream {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET {WS_PATH} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    // The response head, up to the blank line.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let (opcode, _) = read_frame(&mut tcp).await.unwrap();
    assert_eq!(opcode, 0x1, "the welcome first");
    tcp
}

/// One frame from the server (never masked): its opcode and payload.
async fn read_frame(tcp: &mut tokio::net::TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await?;
    let len = match head[1] & 0x7f {
        126 => {
            let mut ext = [0u8; 2];
            tcp.read_exact(&mut ext).await?;
            u64::from(u16::from_be_bytes(ext))
        }
        127 => {
            let mut ext = [0u8; 8];
            tcp.read_exact(&mut ext).await?;
            u64::from_be_bytes(ext)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    tcp.read_exact(&mut payload).await?;
    Ok((head[0] & 0x0f, payload))
}

/// A client frame: `first` is the FIN/RSV/opcode byte; the payload is masked.
fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![first];
    if payload.len() < 126 {
        frame.push(0x80 | payload.len() as u8);
    } else {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

#[tokio::test]
async fn protocol_errors_get_the_close_code_rfc_6455_asks_for() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let cases: [(&str, Vec<u8>, u16); 6] = [
        (
            "a reserved bit without an extension",
            client_frame(0xC1, b"{}"),
            1002,
        ),
        ("a reserved opcode", client_frame(0x83, b"x"), 1002),
        (
            "a control frame over 125 bytes",
            client_frame(0x89, &[b'p'; 126]),
            1002,
        ),
        (
            "a fragmented control frame",
            client_frame(0x09, b"ping"),
            1002,
        ),
        (
            "a close with code 999",
            client_frame(0x88, &999u16.to_be_bytes()),
            1002,
        ),
        (
            "text that is not UTF-8",
            client_frame(0x81, &[b'{', 0xff, b'}']),
            1007,
        ),
    ];
    for (what, frame, code) in cases {
        let mut tcp = raw_websocket(&server).await;
        tcp.write_all(&frame).await.unwrap();
        let closed = tokio::time::timeout(common::PATIENCE, async {
            loop {
                let (opcode, payload) = read_frame(&mut tcp)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: dropped without a close frame ({e})"));
                if opcode == 0x8 {
                    return u16::from_be_bytes([payload[0], payload[1]]);
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{what}: no close frame"));
        assert_eq!(closed, code, "{what}");
    }
    server.stop().await;
}

#[tokio::test]
async fn health_says_live_and_ready_and_not_ready_when_storage_is_gone() {
    use axum::body::Body;
    use tower::ServiceExt;

    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let (status, _, body) = get(&server, "/healthz").await;
    assert!(
        status.contains("200") && body.contains("ok"),
        "{status} {body}"
    );
    let (status, _, body) = get(&server, "/healthz/ready").await;
    assert!(
        status.contains("200") && body.contains("ready"),
        "{status} {body}"
    );
    server.stop().await;

    // The same app with its storage closed under it: alive, not ready, and says why.
    let (state, store, _stop) = chat::server::AppState::open(&db.config()).await.unwrap();
    store.close().await;
    let local = std::net::SocketAddr::from(([10, 0, 0, 7], 4000));
    let app = chat::server::app(state).layer(axum::extract::connect_info::MockConnectInfo(local));
    let ask = |path: &str| axum::http::Request::get(path).body(Body::empty()).unwrap();
    let live = app.clone().oneshot(ask("/healthz")).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let ready = app.oneshot(ask("/healthz/ready")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(ready.into_body(), 1024).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("storage"));
}

#[tokio::test]
async fn metrics_count_what_happens_for_local_scrapers() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut tab = server.login("ana", "fox").await.unwrap();
    let general = tab.room("general");
    let hello = ClientMsg::Send {
        conversation: general,
        client_id: ClientMsgId("m-1".into()),
        text: "hello".into(),
        reply_to: None,
        mentions: Vec::new(),
    };
    send(&mut tab.client, &hello).await;
    common::recv_until(&mut tab.client, |m| {
        matches!(m, ServerMsg::Ack { .. }).then_some(())
    })
    .await;
    let _refused = connect_from(&server, Some("https://evil.example")).await;
    let (status, headers, body) = get(&server, "/metrics").await;
    assert!(status.contains("200"), "{status}");
    assert!(header(&headers, "content-type").is_some_and(|t| t.starts_with("text/plain")));
    let value = |name: &str| -> f64 {
        body.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    // The recorder is the process's: other tests' servers count here too.
    assert!(value("chat_messages_stored_total") >= 1.0, "{body}");
    assert!(value("chat_connections") >= 1.0, "{body}");
    assert!(
        value("chat_upgrades_refused_total{reason=\"origin\"}") >= 1.0,
        "{body}"
    );
    assert!(value("chat_message_queued_seconds_count") >= 1.0, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn every_kind_of_request_has_its_limit() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ana = server.login("ana", "fox").await.unwrap();
    let bo = server.login("bo", "owl").await.unwrap();
    let general = ana.room("general");
    // Each kind, repeated past its burst: typing 5, open_direct 10, history 20, mark_read 20.
    let kinds: [(&str, ClientMsg, usize); 4] = [
        (
            "typing",
            ClientMsg::Typing {
                conversation: general,
            },
            5,
        ),
        ("open_direct", ClientMsg::OpenDirect { user: bo.me.id }, 10),
        (
            "history",
            ClientMsg::History {
                conversation: general,
                before: None,
                from: None,
            },
            20,
        ),
        (
            "mark_read",
            ClientMsg::MarkRead {
                conversation: general,
                seq: 0,
            },
            20,
        ),
    ];
    for (what, request, burst) in kinds {
        for _ in 0..burst + 5 {
            send(&mut ana.client, &request).await;
        }
        let (code, retry) = common::recv_until(&mut ana.client, |m| match m {
            ServerMsg::Error {
                code,
                retry_after_ms,
                ..
            } => Some((*code, *retry_after_ms)),
            _ => None,
        })
        .await;
        assert_eq!(code, ErrorCode::RateLimited, "{what}");
        assert!(retry.is_some_and(|ms| ms > 0), "{what}: {retry:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_resume_with_hundreds_of_cursors_is_answered() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let ana = server.login("ana", "fox").await.unwrap();
    // 300 cursors of conversations that do not exist or are not hers: about
    // 14 KiB, within the frame limit; the server answers, replays nothing foreign.
    let cursors = (0..300)
        .map(|i| chat::protocol::Cursor {
            conversation: chat::protocol::ConversationId(1_000_000 + i),
            seq: 1_000_000_000 + i as u64,
        })
        .collect();
    let resume = ClientMsg::Resume {
        token: ana.token.clone(),
        cursors,
    };
    assert!(resume.to_json().len() < 16 * 1024);
    let mut tab = server.connect().await;
    send(&mut tab, &resume).await;
    let ready = common::recv_until(&mut tab, |m| match m {
        ServerMsg::Ready { me, .. } => Some(me.id),
        ServerMsg::Replay { .. } | ServerMsg::Reload { .. } => {
            panic!("replayed a foreign conversation: {m:?}")
        }
        ServerMsg::Error { code, .. } => panic!("refused: {code:?}"),
        _ => None,
    })
    .await;
    assert_eq!(ready, ana.me.id);
    server.stop().await;
}

#[tokio::test]
async fn joining_announces_the_room_before_its_join_line() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut ana = server.login("ana", "fox").await.unwrap();
    send(
        &mut ana.client,
        &ClientMsg::JoinRoom {
            name: "fresh".into(),
        },
    )
    .await;
    let first = common::recv_until(&mut ana.client, |m| match m {
        ServerMsg::Joined { .. } => Some("joined"),
        ServerMsg::Message { .. } => Some("message"),
        _ => None,
    })
    .await;
    assert_eq!(
        first, "joined",
        "the conversation is announced before anything in it"
    );
    server.stop().await;
}
