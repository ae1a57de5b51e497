//! The server on a real socket, spoken to by real WebSocket clients.

mod common;

use std::time::Duration;

use chat::protocol::{close_code, ErrorCode, ServerMsg, PROTOCOL_VERSION};
use common::{next_frame, next_msg, send_text, TestDb, TestServer, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{protocol::frame::coding::CloseCode, Message};

fn close_code_of(frame: Message) -> u16 {
    match frame {
        Message::Close(Some(frame)) => u16::from(frame.code),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn welcomes_and_answers_pings() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut client = server.connect().await;
    match next_msg(&mut client).await {
        ServerMsg::Welcome {
            protocol,
            ping_interval_ms,
            server_time_ms,
            passkey_origin,
        } => {
            assert_eq!(protocol, PROTOCOL_VERSION);
            assert_eq!(passkey_origin.as_deref(), Some(common::passkeys::ORIGIN));
            assert_eq!(ping_interval_ms, 20_000);
            assert!(
                server_time_ms > 1_600_000_000_000,
                "server time {server_time_ms} is not Unix ms"
            );
        }
        other => panic!("expected welcome, got {other:?}"),
    }
    send_text(&mut client, r#"{"type":"ping","nonce":123}"#).await;
    assert_eq!(next_msg(&mut client).await, ServerMsg::Pong { nonce: 123 });
    server.stop().await;
}

#[tokio::test]
async fn malformed_json_gets_an_error_and_the_connection_stays() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut client = server.connect().await;
    next_msg(&mut client).await;
    send_text(&mut client, "{\"type\":").await;
    assert!(matches!(
        next_msg(&mut client).await,
        ServerMsg::Error {
            code: ErrorCode::MalformedMessage,
            ..
        }
    ));
    send_text(&mut client, r#"{"type":"ping","nonce":1}"#).await;
    assert_eq!(next_msg(&mut client).await, ServerMsg::Pong { nonce: 1 });
}

#[tokio::test]
async fn an_oversized_message_closes_only_its_own_connection_with_1009() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut big = server.connect().await;
    let mut other = server.connect().await;
    next_msg(&mut big).await;
    next_msg(&mut other).await;

    let text = format!(
        r#"{{"type":"ping","nonce":1,"pad":"{}"}}"#,
        "x".repeat(17 * 1024)
    );
    send_text(&mut big, &text).await;
    assert_eq!(
        close_code_of(next_frame(&mut big).await),
        close_code::MESSAGE_TOO_BIG
    );

    send_text(&mut other, r#"{"type":"ping","nonce":2}"#).await;
    assert_eq!(next_msg(&mut other).await, ServerMsg::Pong { nonce: 2 });
}

#[tokio::test]
async fn a_silent_client_is_pinged_then_closed() {
    let db = TestDb::new();
    let config = chat::server::Config {
        heartbeat_interval_secs: 1,
        heartbeat_timeout_secs: 2,
        ..db.config()
    };
    let server = TestServer::start(config).await;
    let mut client = server.connect().await;
    // A client that is not read from does not answer Ping frames either: silent.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        matches!(next_frame(&mut client).await, Message::Text(_)),
        "welcome first"
    );
    let mut pings = 0;
    let code = loop {
        match next_frame(&mut client).await {
            Message::Ping(_) => pings += 1,
            other => break close_code_of(other),
        }
    };
    assert!(pings >= 1, "the server pinged before giving up");
    assert_eq!(code, close_code::HEARTBEAT_TIMEOUT);
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut client = server.connect().await;
    next_msg(&mut client).await;
    let stopping = tokio::spawn(server.stop());
    let code = loop {
        match next_frame(&mut client).await {
            Message::Close(frame) => break frame.map(|f| f.code),
            _ => continue,
        }
    };
    assert_eq!(code, Some(CloseCode::Away));
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_string(&mut body))
        .await
        .unwrap()
        .unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains("Connecting…"),
        "the socket is rendered as connecting: {body}"
    );
    assert!(
        body.contains("/pkg/chat.js"),
        "the page loads the WASM client: {body}"
    );
}
