//! A real server bound to 127.0.0.1:0, and real WebSocket clients for it.

#![allow(dead_code)] // each test file uses its own part of this

pub mod devices;
pub mod moderation;
pub mod passkeys;
pub mod proxy;
pub mod streams;

use std::{net::SocketAddr, time::Duration};

use chat::{
    protocol::{
        ChatMessage, ClientMsg, ConversationId, ConversationInfo, ConversationKind, ServerMsg,
        UserInfo, WS_PATH,
    },
    server::{serve, Config},
};
use futures::{SinkExt, StreamExt};
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for anything before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub async fn connect(&self) -> Client {
        connect_at(self.addr).await
    }

    /// Asks the server to shut down (as on SIGTERM) and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("server did not stop")
            .unwrap()
            .unwrap();
    }
}

/// A WebSocket client connected to the server (or proxy) at `addr`.
pub async fn connect_at(addr: SocketAddr) -> Client {
    try_connect_at(addr).await.expect("connect failed")
}

/// A WebSocket client connected to the server at `addr` from a browser that says it is
/// `user_agent`.
pub async fn connect_as(addr: SocketAddr, user_agent: &str) -> Client {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}{WS_PATH}")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("user-agent", user_agent.parse().unwrap());
    let (client, _) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect timed out")
        .expect("connect failed");
    client
}

/// Like [`connect_at`], for links that may be cut during the handshake.
pub async fn try_connect_at(addr: SocketAddr) -> Result<Client, String> {
    let url = format!("ws://{addr}{WS_PATH}");
    match tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((client, _))) => Ok(client),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("connect timed out".into()),
    }
}

/// The database of one test: a SQLite file in a temporary folder (removed when
/// dropped), or, with `CHAT_TEST_STORE=postgres`, a new database on the PostgreSQL
/// server that `CHAT_TEST_POSTGRES_URL` names (scripts/test.sh runs the chat and
/// delivery suites both ways; the server is thrown away whole afterwards).
pub struct TestDb {
    dir: tempfile::TempDir,
    url: String,
}

impl TestDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = match std::env::var("CHAT_TEST_STORE").as_deref() {
            Ok("postgres") => {
                static NEXT: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let server = std::env::var("CHAT_TEST_POSTGRES_URL")
                    .expect("CHAT_TEST_STORE=postgres needs CHAT_TEST_POSTGRES_URL");
                let server = server.trim_end_matches('/');
                format!("{server}/chat_it_{}_{n}", std::process::id())
            }
            Ok("sqlite") | Err(_) => format!("sqlite://{}", dir.path().join("chat.db").display()),
            Ok(other) => panic!("CHAT_TEST_STORE={other}: use sqlite or postgres"),
        };
        Self { dir, url }
    }

    /// The database's URL (the `database_url` of [`TestDb::config`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn config(&self) -> Config {
        Config {
            listen_addr: "127.0.0.1:0".parse().unwrap(),
            database_url: self.url.clone(),
            // Every test client comes from 127.0.0.1 (tests/hardening.rs tries the
            // per-address limits).
            max_connections_per_ip: 10_000,
            sign_ins_per_second_per_ip: 10_000,
            sign_in_burst_per_ip: 10_000,
            sign_ups_per_minute_per_ip: 100_000,
            sign_up_burst_per_ip: 10_000,
            // Some tests join hundreds of rooms (tests/hardening.rs tries the limit).
            room_changes_per_minute: 100_000,
            room_change_burst: 10_000,
            // What the software authenticator (passkeys.rs) signs for.
            passkey_origin: passkeys::ORIGIN.into(),
            // Uploads beside the database, in the test's folder (on PostgreSQL too).
            files_dir: self.dir.path().join("files").display().to_string(),
            ..Config::default()
        }
    }
}

/// The next frame from the server, whatever it is.
pub async fn next_frame(client: &mut Client) -> Message {
    tokio::time::timeout(PATIENCE, client.next())
        .await
        .expect("no frame from the server in time")
        .expect("stream ended")
        .expect("read error")
}

/// The next protocol message, skipping heartbeat frames.
pub async fn next_msg(client: &mut Client) -> ServerMsg {
    loop {
        match next_frame(client).await {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str()).expect("server sent bad JSON")
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

pub async fn send_text(client: &mut Client, text: &str) {
    client.send(Message::text(text)).await.unwrap();
}

pub async fn send(client: &mut Client, msg: &ClientMsg) {
    send_text(client, &msg.to_json()).await;
}

/// Joins (or creates) a room and waits until the server says the client is in it.
pub async fn join_room(client: &mut Client, name: &str) -> ConversationInfo {
    send(client, &ClientMsg::JoinRoom { name: name.into() }).await;
    recv_until(client, |m| match m {
        ServerMsg::Joined { conversation } => Some(conversation.clone()),
        _ => None,
    })
    .await
}

/// The first message that `pick` accepts, skipping others; fails after [`PATIENCE`].
pub async fn recv_until<T>(
    client: &mut Client,
    mut pick: impl FnMut(&ServerMsg) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let msg = tokio::time::timeout_at(deadline, next_msg(client))
            .await
            .expect("the expected message did not arrive in time");
        if let Some(found) = pick(&msg) {
            return found;
        }
    }
}

/// Fails if a message that `matches` arrives within `wait`.
pub async fn expect_none(
    client: &mut Client,
    wait: Duration,
    mut matches: impl FnMut(&ServerMsg) -> bool,
) {
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(msg) = tokio::time::timeout_at(deadline, next_msg(client)).await {
        assert!(!matches(&msg), "unexpected message: {msg:?}");
    }
}

/// A page of `conversation`'s history (the newest if `before` is `None`) and whether
/// older messages exist.
pub async fn history(
    client: &mut Client,
    conversation: ConversationId,
    before: Option<u64>,
) -> (Vec<ChatMessage>, bool) {
    send(
        client,
        &ClientMsg::History {
            conversation,
            before,
            from: None,
        },
    )
    .await;
    recv_until(client, |m| match m {
        ServerMsg::History {
            conversation: c,
            messages,
            has_more,
        } if *c == conversation => Some((messages.clone(), *has_more)),
        _ => None,
    })
    .await
}

/// The error code of the next error event.
pub async fn next_error(client: &mut Client) -> chat::protocol::ErrorCode {
    recv_until(client, |m| match m {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    })
    .await
}

/// A text to send in `conversation` under `client_id`.
pub fn say(conversation: chat::protocol::ConversationId, client_id: &str, text: &str) -> ClientMsg {
    ClientMsg::Send {
        conversation,
        client_id: chat::protocol::ClientMsgId(client_id.into()),
        text: text.into(),
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// Sends a text and waits for its ack: its number.
pub async fn post(
    tab: &mut Tab,
    conversation: chat::protocol::ConversationId,
    client_id: &str,
    text: &str,
) -> u64 {
    try_post(tab, conversation, client_id, text)
        .await
        .unwrap_or_else(|(code, _)| panic!("{client_id} refused: {code:?}"))
}

/// Sends a text: its number once acknowledged, or the refusal's code and how long to
/// wait.
pub async fn try_post(
    tab: &mut Tab,
    conversation: chat::protocol::ConversationId,
    client_id: &str,
    text: &str,
) -> Result<u64, (chat::protocol::ErrorCode, Option<u64>)> {
    send(&mut tab.client, &say(conversation, client_id, text)).await;
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::Ack {
            client_id: id, seq, ..
        } if id.0 == client_id => Some(Ok(*seq)),
        ServerMsg::Error {
            code,
            client_id: Some(id),
            retry_after_ms,
            ..
        } if id.0 == client_id => Some(Err((*code, *retry_after_ms))),
        _ => None,
    })
    .await
}

/// Opens a private conversation with `peer` from a logged-in tab: its id.
pub async fn open_direct(tab: &mut Tab, peer: chat::protocol::UserId) -> ConversationId {
    send(&mut tab.client, &ClientMsg::OpenDirect { user: peer }).await;
    recv_until(&mut tab.client, |m| match m {
        ServerMsg::Joined { conversation } => Some(conversation.id),
        _ => None,
    })
    .await
}

/// A logged-in tab.
pub struct Tab {
    pub client: Client,
    pub me: UserInfo,
    pub token: String,
    pub conversations: Vec<ConversationInfo>,
    pub users: Vec<UserInfo>,
    /// The rooms its `ready` listed (the user's own and the largest public ones).
    pub rooms: Vec<chat::protocol::RoomInfo>,
}

impl Tab {
    pub fn room(&self, name: &str) -> ConversationId {
        self.conversations
            .iter()
            .find(|c| matches!(&c.kind, ConversationKind::Room { name: n, .. } if n == name))
            .map(|c| c.id)
            .unwrap_or_else(|| panic!("not a member of {name}"))
    }
}

async fn ready(
    client: &mut Client,
) -> Result<
    (
        UserInfo,
        Option<String>,
        Vec<ConversationInfo>,
        Vec<UserInfo>,
        Vec<chat::protocol::RoomInfo>,
    ),
    chat::protocol::ErrorCode,
> {
    recv_until(client, |m| match m {
        ServerMsg::Ready {
            me,
            token,
            conversations,
            users,
            rooms,
            ..
        } => Some(Ok((
            me.clone(),
            token.clone(),
            conversations.clone(),
            users.clone(),
            rooms.clone(),
        ))),
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        _ => None,
    })
    .await
}

impl TestServer {
    /// Logs in on a new connection.
    pub async fn login(
        &self,
        nickname: &str,
        avatar: &str,
    ) -> Result<Tab, chat::protocol::ErrorCode> {
        login_on(self.connect().await, nickname, avatar).await
    }

    /// Opens another tab of an existing session.
    pub async fn resume(&self, token: &str) -> Result<Tab, chat::protocol::ErrorCode> {
        resume_on(self.connect().await, token).await
    }
}

/// Logs in on this connection.
pub async fn login_on(
    mut client: Client,
    nickname: &str,
    avatar: &str,
) -> Result<Tab, chat::protocol::ErrorCode> {
    let login = ClientMsg::Login {
        nickname: nickname.into(),
        avatar: avatar.into(),
    };
    send(&mut client, &login).await;
    let (me, token, conversations, users, rooms) = ready(&mut client).await?;
    Ok(Tab {
        client,
        me,
        token: token.expect("login returns a token"),
        conversations,
        users,
        rooms,
    })
}

/// Resumes a session on this connection, without cursors.
pub async fn resume_on(mut client: Client, token: &str) -> Result<Tab, chat::protocol::ErrorCode> {
    let resume = ClientMsg::Resume {
        token: token.into(),
        cursors: Vec::new(),
    };
    send(&mut client, &resume).await;
    let (me, none, conversations, users, rooms) = ready(&mut client).await?;
    assert_eq!(none, None, "resume does not hand out the token again");
    Ok(Tab {
        client,
        me,
        token: token.into(),
        conversations,
        users,
        rooms,
    })
}

/// What the server answers `msg` with: an error's code, or `None` if no error comes
/// within 400 ms.
pub async fn refusal_of(client: &mut Client, msg: &ClientMsg) -> Option<chat::protocol::ErrorCode> {
    send(client, msg).await;
    let quiet = tokio::time::Instant::now() + Duration::from_millis(400);
    while let Ok(m) = tokio::time::timeout_at(quiet, next_msg(client)).await {
        if let ServerMsg::Error { code, .. } = m {
            return Some(code);
        }
    }
    None
}

/// Sends `msg` until it is no longer refused as `not_allowed` or `not_a_member` (a
/// server reads the instance admins every few seconds, and an admin acts in rooms they
/// are not in); fails on any other refusal or after [`PATIENCE`].
pub async fn once_allowed(client: &mut Client, msg: &ClientMsg) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match refusal_of(client, msg).await {
            None => return,
            Some(chat::protocol::ErrorCode::NotAllowed | chat::protocol::ErrorCode::NotAMember)
                if tokio::time::Instant::now() < deadline => {}
            other => panic!("{msg:?}: {other:?}"),
        }
    }
}

/// How the user was removed from `room` (their next `left` of it).
pub async fn removed_from(
    client: &mut Client,
    room: ConversationId,
) -> Option<chat::protocol::Removal> {
    recv_until(client, |m| match m {
        ServerMsg::Left {
            conversation,
            removed,
        } if *conversation == room => Some(*removed),
        _ => None,
    })
    .await
}

/// The room's audit log as `client` reads it (an error code if refused).
pub async fn audit_log(
    client: &mut Client,
    conversation: chat::protocol::ConversationId,
) -> Result<Vec<chat::protocol::AuditAction>, chat::protocol::ErrorCode> {
    send(
        client,
        &ClientMsg::AuditLog {
            conversation,
            before: None,
        },
    )
    .await;
    recv_until(client, |m| match m {
        ServerMsg::AuditLog { entries, .. } => {
            Some(Ok(entries.iter().map(|e| e.action.clone()).collect()))
        }
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        _ => None,
    })
    .await
}
