//! A real server bound to 127.0.0.1:0, and real WebSocket clients for it.

#![allow(dead_code)] // each test file uses its own part of this

use std::{net::SocketAddr, time::Duration};

use chat::{
    protocol::{ServerMsg, WS_PATH},
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
        let url = format!("ws://{}{}", self.addr, WS_PATH);
        let (client, _) = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect timed out")
            .expect("connect failed");
        client
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

pub fn test_config() -> Config {
    Config {
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
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
