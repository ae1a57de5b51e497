//! Every JSON example in docs/PROTOCOL.md parses as the message it documents, and
//! every message type of src/protocol.rs has an example there.

use std::collections::BTreeSet;

use chat::protocol::{ClientMsg, ServerMsg};

const DOC: &str = include_str!("../docs/PROTOCOL.md");

/// The ```json client / ```json server blocks of the document, in order.
fn examples(side: &str) -> Vec<String> {
    let fence = format!("```json {side}");
    let mut found = Vec::new();
    let mut rest = DOC;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body
            .find("```")
            .expect("unclosed code block in PROTOCOL.md");
        found.push(body[..end].trim().to_string());
        rest = &body[end + 3..];
    }
    found
}

// Exhaustive matches: a new variant does not compile until it is named here,
// and the test below then fails until PROTOCOL.md has an example of it.
fn client_tag(msg: &ClientMsg) -> &'static str {
    match msg {
        ClientMsg::Ping { .. } => "ping",
    }
}
const ALL_CLIENT_TAGS: &[&str] = &["ping"];

fn server_tag(msg: &ServerMsg) -> &'static str {
    match msg {
        ServerMsg::Welcome { .. } => "welcome",
        ServerMsg::Pong { .. } => "pong",
        ServerMsg::Error { .. } => "error",
    }
}
const ALL_SERVER_TAGS: &[&str] = &["welcome", "pong", "error"];

#[test]
fn client_examples_parse_and_cover_every_client_message() {
    let mut seen = BTreeSet::new();
    for example in examples("client") {
        let msg: ClientMsg =
            serde_json::from_str(&example).unwrap_or_else(|e| panic!("{example}: {e}"));
        seen.insert(client_tag(&msg));
    }
    assert_eq!(seen, ALL_CLIENT_TAGS.iter().copied().collect());
}

#[test]
fn server_examples_parse_and_cover_every_server_message() {
    let mut seen = BTreeSet::new();
    for example in examples("server") {
        let msg: ServerMsg =
            serde_json::from_str(&example).unwrap_or_else(|e| panic!("{example}: {e}"));
        seen.insert(server_tag(&msg));
    }
    assert_eq!(seen, ALL_SERVER_TAGS.iter().copied().collect());
}
