//! A TCP proxy of the tests' own, between clients and the real server, that breaks
//! links the way networks do: cut mid-frame, swallow one direction, or go silent
//! without closing (a vanished peer).

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use rand::Rng;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::Notify,
};

pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    links: Mutex<Vec<Arc<Link>>>,
    /// Server-to-client bytes are read and thrown away.
    swallow_downstream: AtomicBool,
    /// Links cut so far, and how many of those cut a frame in two.
    cuts: AtomicUsize,
    mid_frame_cuts: AtomicUsize,
}

struct Link {
    cut: Notify,
    freeze: Notify,
    /// Bytes passed from the server to the client so far.
    down: AtomicUsize,
    opened: std::time::Instant,
}

/// A link is cut only once this much has come through it (the upgrade, `welcome`,
/// `ready`), or it has been open for [`CUT_AFTER`]: a link cut before either would
/// make no progress at all, which no network is that bad at.
const CUT_AFTER_BYTES: usize = 1024;
const CUT_AFTER: Duration = Duration::from_millis(50);
/// How long a cut waits for server bytes to cut in two.
const CUT_WAIT: Duration = Duration::from_millis(200);

impl Proxy {
    /// Listens on a free local port and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        Self::round_robin(vec![target]).await
    }

    /// Listens on a free local port and forwards each new connection to the next of
    /// `targets` (several servers behind one address, no stickiness).
    pub async fn round_robin(targets: Vec<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        tokio::spawn(async move {
            let mut next = 0;
            while let Ok((client, _)) = listener.accept().await {
                let target = targets[next % targets.len()];
                next += 1;
                let Ok(server) = TcpStream::connect(target).await else {
                    continue;
                };
                let link = Arc::new(Link {
                    cut: Notify::new(),
                    freeze: Notify::new(),
                    down: AtomicUsize::new(0),
                    opened: std::time::Instant::now(),
                });
                accepting.links.lock().unwrap().push(link.clone());
                let shared = accepting.clone();
                tokio::spawn(async move {
                    forward(client, server, &link, &shared).await;
                    shared
                        .links
                        .lock()
                        .unwrap()
                        .retain(|l| !Arc::ptr_eq(l, &link));
                });
            }
        });
        Self { addr, shared }
    }

    /// Cuts every open link that has carried some traffic, at the next bytes the
    /// server sends on it (or after [`CUT_WAIT`] without any): only a part of them is
    /// passed on (a frame cut in two), then both sockets are closed.
    pub fn cut_all(&self) {
        self.shared.links.lock().unwrap().retain(|link| {
            let ripe = link.down.load(Ordering::SeqCst) >= CUT_AFTER_BYTES
                || link.opened.elapsed() >= CUT_AFTER;
            if ripe {
                link.cut.notify_one();
            }
            !ripe
        });
    }

    /// Cuts every open link, however little it has carried.
    pub fn cut_all_now(&self) {
        for link in self.shared.links.lock().unwrap().drain(..) {
            link.cut.notify_one();
        }
    }

    /// Links open now.
    pub fn open_links(&self) -> usize {
        self.shared.links.lock().unwrap().len()
    }

    /// Every open link goes silent both ways and is never closed: the peer vanished.
    pub fn freeze_all(&self) {
        for link in self.shared.links.lock().unwrap().drain(..) {
            link.freeze.notify_one();
        }
    }

    /// From now on the server's bytes never reach the client.
    pub fn swallow_downstream(&self, on: bool) {
        self.shared.swallow_downstream.store(on, Ordering::SeqCst);
    }

    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }

    pub fn mid_frame_cuts(&self) -> usize {
        self.shared.mid_frame_cuts.load(Ordering::SeqCst)
    }
}

async fn forward(client: TcpStream, server: TcpStream, link: &Link, shared: &Shared) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            biased;
            _ = link.cut.notified() => {
                shared.cuts.fetch_add(1, Ordering::SeqCst);
                // Wait for the next bytes the server sends and pass on only a part of them.
                let next = tokio::time::timeout(CUT_WAIT, server_rx.read(&mut down)).await;
                if let Ok(Ok(n)) = next {
                    if n >= 2 {
                        let part = rand::rng().random_range(1..n);
                        if client_tx.write_all(&down[..part]).await.is_ok() {
                            shared.mid_frame_cuts.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
                return;
            }
            _ = link.freeze.notified() => {
                // Hold both sockets open, read nothing, send nothing, for ever.
                let _keep = (client_rx, client_tx, server_rx, server_tx);
                std::future::pending::<()>().await;
                return;
            }
            n = client_rx.read(&mut up) => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => if server_tx.write_all(&up[..n]).await.is_err() { return },
            },
            n = server_rx.read(&mut down) => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if shared.swallow_downstream.load(Ordering::SeqCst) {
                        continue;
                    }
                    if client_tx.write_all(&down[..n]).await.is_err() {
                        return;
                    }
                    link.down.fetch_add(n, Ordering::SeqCst);
                }
            },
        }
    }
}
