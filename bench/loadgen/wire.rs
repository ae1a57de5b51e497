//! The wire side of the load generator: connecting and logging in, the frames that
//! carry a message in each protocol, and what a received frame means.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat::protocol::{ClientMsg, ClientMsgId, ConversationId, Cursor, Seq};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{protocol::WebSocketConfig, Message},
    MaybeTlsStream, WebSocketStream,
};

use super::{Args, Protocol};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

/// The text of one message: `<sender> <number> <send time µs> <padding>`.
pub fn payload(sender: usize, n: u64, sent_us: u64, size: usize) -> String {
    let mut text = format!("{sender} {n} {sent_us} ");
    while text.len() < size {
        text.push('x');
    }
    text
}

pub fn parse_payload(text: &str) -> Option<(usize, u64, u64)> {
    let mut parts = text.split(' ');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// A connected, logged-in client.
pub struct Client {
    pub socket: Socket,
    /// Our protocol: the room's conversation id.
    pub conversation: Option<ConversationId>,
    pub room: usize,
    /// Our protocol: the session's token, to resume with.
    pub token: Option<String>,
    /// Our protocol: the room's newest message when it was joined (the first cursor).
    pub seq: Seq,
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0)
}

async fn open(url: &str) -> Result<Socket, String> {
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true)
        .await
        .map_err(|e| format!("connect {url}: {e}"))?;
    Ok(socket)
}

async fn next_text(socket: &mut Socket) -> Result<String, String> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .map_err(|_| "no answer within 30 s".to_string())?
            .ok_or("closed")?
            .map_err(|e| e.to_string())?;
        match frame {
            Message::Text(text) => return Ok(text.to_string()),
            Message::Close(frame) => return Err(format!("closed: {frame:?}")),
            _ => continue,
        }
    }
}

/// The fields of our server's frames that the generator reads.
#[derive(Deserialize)]
struct ChatFrame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    /// `joined`: the conversation; `replay`, `reload`, `ack`: its id.
    #[serde(default)]
    conversation: Option<ConversationField>,
    /// A `message` frame's message, or an `error` frame's explanation.
    #[serde(default, borrow)]
    message: Option<MessageField<'a>>,
    /// A `replay` frame's messages.
    #[serde(default, borrow)]
    messages: Vec<ChatMessageText<'a>>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default, borrow)]
    client_id: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MessageField<'a> {
    Message(#[serde(borrow)] ChatMessageText<'a>),
    Explanation(#[allow(dead_code)] std::borrow::Cow<'a, str>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ConversationField {
    Id(#[allow(dead_code)] ConversationId),
    Info { id: ConversationId, last_seq: Seq },
}

#[derive(Deserialize)]
struct ChatMessageText<'a> {
    conversation: ConversationId,
    seq: Seq,
    #[serde(default, borrow)]
    text: Option<std::borrow::Cow<'a, str>>,
}

pub async fn connect_client(args: &Args, run: &str, i: usize) -> Result<Client, String> {
    let room = i % args.rooms;
    let room_name = match &args.room_prefix {
        Some(prefix) => format!("{prefix}{room}"),
        None => format!("b{run}r{room}"),
    };
    match args.protocol {
        Protocol::Chat => {
            let mut socket = open(&format!("ws://{}/ws", args.addr_of(i))).await?;
            let login = ClientMsg::Login {
                nickname: format!("b{run}u{i}"),
                avatar: "fox".into(),
            };
            send_text(&mut socket, login.to_json()).await?;
            let token = wait_for(&mut socket, "ready").await?;
            let join = ClientMsg::JoinRoom { name: room_name };
            send_text(&mut socket, join.to_json()).await?;
            let (conversation, seq) = loop {
                let text = next_text(&mut socket).await?;
                let frame: ChatFrame = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                match (frame.kind, frame.conversation) {
                    ("joined", Some(ConversationField::Info { id, last_seq })) => {
                        break (id, last_seq)
                    }
                    ("error", _) => return Err(format!("join refused: {text}")),
                    _ => {}
                }
            };
            Ok(Client {
                socket,
                conversation: Some(conversation),
                room,
                token,
                seq,
            })
        }
        Protocol::Json => {
            let socket = open(&format!("ws://{}/?room={room_name}", args.addr_of(i))).await?;
            Ok(Client {
                socket,
                conversation: None,
                room,
                token: None,
                seq: 0,
            })
        }
        Protocol::Socketio => {
            let mut socket = open(&format!(
                "ws://{}/socket.io/?EIO=4&transport=websocket",
                args.addr_of(i)
            ))
            .await?;
            let open_packet = next_text(&mut socket).await?;
            if !open_packet.starts_with('0') {
                return Err(format!(
                    "expected an engine.io open packet, got {open_packet}"
                ));
            }
            send_text(&mut socket, "40".into()).await?;
            loop {
                let text = next_text(&mut socket).await?;
                if text.starts_with("40") {
                    break;
                }
            }
            let join = serde_json::json!(["join", room_name]);
            send_text(&mut socket, format!("42{join}")).await?;
            // The server acknowledges the join, so no message is sent before it counts.
            loop {
                let text = next_text(&mut socket).await?;
                if text.starts_with("42[\"joined\"") {
                    break;
                }
            }
            Ok(Client {
                socket,
                conversation: None,
                room,
                token: None,
                seq: 0,
            })
        }
    }
}

/// Why a resume did not bring the session back.
pub enum ResumeError {
    /// The server is not (yet) there, or the link failed: try again later.
    Retry,
    /// The server refused the session: trying again will not help.
    Refused(String),
}

/// Opens a new connection and resumes a session from one conversation's cursor; the
/// replay follows `ready` on the returned socket.
pub async fn resume(
    addr: &str,
    token: &str,
    conversation: ConversationId,
    seq: Seq,
) -> Result<Socket, ResumeError> {
    let mut socket = open(&format!("ws://{addr}/ws"))
        .await
        .map_err(|_| ResumeError::Retry)?;
    let resume = ClientMsg::Resume {
        token: token.to_string(),
        cursors: vec![Cursor { conversation, seq }],
    };
    send_text(&mut socket, resume.to_json())
        .await
        .map_err(|_| ResumeError::Retry)?;
    match wait_for(&mut socket, "ready").await {
        Ok(_) => Ok(socket),
        Err(e) if e.starts_with("refused") => Err(ResumeError::Refused(e)),
        Err(_) => Err(ResumeError::Retry),
    }
}

async fn send_text(socket: &mut Socket, text: String) -> Result<(), String> {
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}

/// Reads frames up to the first of `kind`; returns its `token` if it has one.
async fn wait_for(socket: &mut Socket, kind: &str) -> Result<Option<String>, String> {
    loop {
        let text = next_text(socket).await?;
        let frame: ChatFrame = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if frame.kind == kind {
            return Ok(frame.token);
        }
        if frame.kind == "error" {
            return Err(format!("refused: {text}"));
        }
    }
}

/// The frame that carries one message in the given protocol.
pub fn encode_send(
    protocol: Protocol,
    conversation: Option<ConversationId>,
    id: &str,
    text: String,
) -> String {
    match protocol {
        Protocol::Chat => ClientMsg::Send {
            conversation: conversation.unwrap_or(ConversationId(0)),
            client_id: ClientMsgId(id.to_string()),
            text,
            reply_to: None,
            mentions: Vec::new(),
        }
        .to_json(),
        Protocol::Json => serde_json::json!({ "text": text }).to_string(),
        Protocol::Socketio => format!("42{}", serde_json::json!(["msg", text])),
    }
}

/// A message as received: its place in its conversation (ours only) and its text
/// (none for our system lines).
pub struct Delivered {
    pub position: Option<(ConversationId, Seq)>,
    pub text: Option<String>,
}

/// What a received frame means to the tally.
pub enum Received {
    /// Messages (ours: a `replay` carries several, in order).
    Messages(Vec<Delivered>),
    /// Ours: the send of this client id was stored.
    Ack(String),
    /// The server refused one of our sends.
    Refused,
    /// Ours: the gap after the cursor was too long to replay.
    Reload,
    /// Anything else (presence, counts, pings).
    Other,
}

fn text_only(text: String) -> Received {
    Received::Messages(vec![Delivered {
        position: None,
        text: Some(text),
    }])
}

/// Reads one received frame.
pub fn received(protocol: Protocol, frame: &str) -> Received {
    match protocol {
        Protocol::Chat => {
            let Ok(parsed) = serde_json::from_str::<ChatFrame>(frame) else {
                return Received::Other;
            };
            let delivered = |m: ChatMessageText| Delivered {
                position: Some((m.conversation, m.seq)),
                text: m.text.map(|t| t.into_owned()),
            };
            match parsed.kind {
                "message" => match parsed.message {
                    Some(MessageField::Message(m)) => Received::Messages(vec![delivered(m)]),
                    _ => Received::Other,
                },
                "replay" => {
                    Received::Messages(parsed.messages.into_iter().map(delivered).collect())
                }
                "ack" => parsed
                    .client_id
                    .map_or(Received::Other, |id| Received::Ack(id.into_owned())),
                "reload" => Received::Reload,
                "error" if parsed.code.is_some() => Received::Refused,
                _ => Received::Other,
            }
        }
        Protocol::Json => {
            #[derive(Deserialize)]
            struct Json {
                text: String,
            }
            serde_json::from_str::<Json>(frame).map_or(Received::Other, |j| text_only(j.text))
        }
        Protocol::Socketio => {
            let event = frame
                .strip_prefix("42")
                .and_then(|body| serde_json::from_str::<(String, String)>(body).ok());
            match event {
                Some((name, text)) if name == "msg" => text_only(text),
                _ => Received::Other,
            }
        }
    }
}
