//! Wire types of the WebSocket protocol, shared by the server and the WASM client.
//!
//! Every frame is one JSON object with a `"type"` tag. `docs/PROTOCOL.md` shows an
//! example of each message; a test parses those examples against these types.

use serde::{Deserialize, Serialize};

/// Version of this protocol, sent in [`ServerMsg::Welcome`]; bumped on breaking changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Path of the WebSocket endpoint on the server.
pub const WS_PATH: &str = "/ws";

/// Messages a client sends to the server. Unknown fields are ignored (so a
/// client's claim of who it is never reaches the server's logic); unknown types are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Application-level liveness probe; the server answers with [`ServerMsg::Pong`]
    /// carrying the same nonce. Browsers cannot send WebSocket Ping frames themselves.
    Ping { nonce: u64 },
}

/// Messages the server sends to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First message on every connection: the link is up once the client has read it.
    Welcome {
        protocol: u32,
        /// How often the client should send [`ClientMsg::Ping`], in milliseconds.
        ping_interval_ms: u64,
        /// Server clock (Unix milliseconds), so clients can tell their own skew.
        server_time_ms: i64,
    },
    /// Answer to [`ClientMsg::Ping`].
    Pong { nonce: u64 },
    /// A request could not be carried out; the connection stays open.
    Error { code: ErrorCode, message: String },
}

/// Machine-readable reason of a [`ServerMsg::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON, or not a known client message.
    MalformedMessage,
    /// Binary frames are not part of the protocol.
    UnsupportedFrame,
}

/// WebSocket close codes the server uses, and what a client should do on each.
pub mod close_code {
    /// Server shutting down: reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// Repeated abuse (malformed frames, floods): show the reason, do not retry at once.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame exceeded the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The peer was silent for longer than the heartbeat timeout.
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
}

impl ClientMsg {
    pub fn to_json(&self) -> String {
        // Serialising these plain enums cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ServerMsg {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip() {
        let msg = ClientMsg::Ping { nonce: 42 };
        let json = msg.to_json();
        assert_eq!(json, r#"{"type":"ping","nonce":42}"#);
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), msg);
    }

    #[test]
    fn server_messages_round_trip() {
        for msg in [
            ServerMsg::Welcome {
                protocol: PROTOCOL_VERSION,
                ping_interval_ms: 20_000,
                server_time_ms: 1,
            },
            ServerMsg::Pong { nonce: 7 },
            ServerMsg::Error {
                code: ErrorCode::MalformedMessage,
                message: "bad".into(),
            },
        ] {
            let back: ServerMsg = serde_json::from_str(&msg.to_json()).unwrap();
            assert_eq!(back, msg);
        }
    }

    #[test]
    fn unknown_types_are_rejected_and_unknown_fields_dropped() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"nuke"}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"nonce":1}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>("not json").is_err());
        let spoofed: ClientMsg =
            serde_json::from_str(r#"{"type":"ping","nonce":1,"from":"x"}"#).unwrap();
        assert_eq!(spoofed, ClientMsg::Ping { nonce: 1 });
    }
}
