//! One person on several devices: linking a new device with a one-time code shown on
//! a signed-in one, the device list, and ending sessions.
//!
//! Linking, wherever each device is connected: the signed-in session offers a code
//! (only its hash is stored); a device without a session redeems it, and its server
//! keeps the token it will hold (only the hash goes to storage) while the offering
//! session's tabs are asked, here or on the bus; the user allows it, storage turns
//! the claim into a session in the same statement that decides it, and the waiting
//! device's server, told here or on the bus, starts that session on it.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{
    protocol::{
        Device, DeviceId, DeviceInfo, ErrorCode, LinkId, QrCode, ServerMsg, UserId,
        LINK_CODE_ALPHABET, LINK_CODE_CHARS, LINK_FRAGMENT,
    },
    server::{
        bus::Event,
        store::{
            devices::{Claimed, LinkClaim, LinkOffer, SessionRow},
            UserRow, WriteJob,
        },
        unix_millis,
    },
};

use super::{
    encode, internal, refuse,
    sessions::{hash_token, new_token},
    ConnId, Done, Refusal, State,
};

/// How often the sessions connected here are marked as used (the device list's "last
/// seen" of a device connected to another server is at most this old).
const TOUCH_EVERY: Duration = Duration::from_secs(300);

/// Sessions marked as used in one write job.
const TOUCHED_PER_WRITE: usize = 64;

/// Longest origin a QR code is made for.
const ORIGIN_MAX: usize = 200;

/// A connection that redeemed a code, waiting for the user to allow it.
pub(super) struct Linking {
    link: LinkId,
    /// The secret the device gets once allowed (storage has only its hash).
    token: String,
    token_hash: [u8; 32],
    offered_by: [u8; 32],
}

/// A new link code: [`LINK_CODE_CHARS`] characters of [`LINK_CODE_ALPHABET`].
fn new_link_code() -> String {
    (0..LINK_CODE_CHARS)
        .map(|_| LINK_CODE_ALPHABET[rand::random_range(0..LINK_CODE_ALPHABET.len())] as char)
        .collect()
}

/// The id a session is shown by: the start of a hash of its token's hash (not a
/// secret, and nothing to sign in with).
pub(super) fn device_id(token_hash: &[u8; 32]) -> DeviceId {
    let digest = Sha256::digest(token_hash);
    DeviceId(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// The browser and system a `User-Agent` names (empty where it names none we know).
pub(super) fn device_info(user_agent: &str) -> DeviceInfo {
    let known = |s: &str| {
        if s.is_empty() || s == woothee::woothee::VALUE_UNKNOWN {
            String::new()
        } else {
            s.to_string()
        }
    };
    match woothee::parser::Parser::new().parse(user_agent) {
        Some(found) => DeviceInfo {
            browser: known(found.name),
            system: known(found.os),
        },
        None => DeviceInfo::default(),
    }
}

/// The link of a code for a page at `origin` (`http(s)://host[:port]`), if it is one.
fn link_for(origin: &str, code: &str) -> Option<String> {
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    (origin.len() <= ORIGIN_MAX && !host.is_empty() && host.chars().all(plain))
        .then(|| format!("{origin}/#{LINK_FRAGMENT}{code}"))
}

/// A QR code of `text` as an SVG path (a quiet zone of four modules around it).
fn qr_code(text: &str) -> Option<QrCode> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != qrcode::Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == qrcode::Color::Dark {
                x += 1;
            }
            path.push_str(&format!(
                "M{} {}h{}v1h-{}z",
                start + 4,
                y + 4,
                x - start,
                x - start
            ));
        }
    }
    Some(QrCode {
        size: (width + 8) as u32,
        path,
    })
}

fn link_refusal(claimed: &Claimed) -> Refusal {
    match claimed {
        Claimed::Expired => refuse(
            ErrorCode::LinkCodeExpired,
            "This code has expired. Make a new one on your other device.",
        ),
        Claimed::Used => refuse(
            ErrorCode::LinkCodeUsed,
            "This code was used already. Make a new one on your other device.",
        ),
        _ => refuse(
            ErrorCode::LinkCodeInvalid,
            "No such code. Check it against your other device.",
        ),
    }
}

impl State {
    pub(super) fn is_linking(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(|c| c.linking.is_some())
    }

    /// A code for a new device of `user`, offered by this session (replacing its last).
    pub(super) fn link_start(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        offered_by: [u8; 32],
        origin: Option<&str>,
    ) -> Result<(), Refusal> {
        let code = new_link_code();
        let now = unix_millis();
        let expires_at_ms = now + self.settings.link_code_valid.as_millis() as i64;
        let link = origin.and_then(|o| link_for(o, &code));
        let qr = link.as_deref().and_then(qr_code);
        let offer = LinkOffer {
            code_hash: hash_token(&code),
            user: user.id,
            offered_by,
            now_ms: now,
            expires_at_ms,
        };
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.offer_link(offer).await },
            move |state, offered| {
                offered.map_err(internal)?;
                let answer = ServerMsg::LinkCode {
                    code,
                    expires_at_ms,
                    link,
                    qr,
                };
                state.send_to_conn(conn, &encode(&answer), true);
                Ok(())
            },
        );
        Ok(())
    }

    /// A device without a session redeems a code: it waits for the user to allow it.
    pub(super) fn link_redeem(&mut self, conn: ConnId, typed: &str) -> Result<(), Refusal> {
        let Some(code) = crate::protocol::normalize_link_code(typed) else {
            return Err(link_refusal(&Claimed::Unknown));
        };
        let Some(user_agent) = self.conns.get(&conn).map(|c| c.user_agent.clone()) else {
            return Ok(());
        };
        let token = new_token();
        let token_hash = hash_token(&token);
        let now = unix_millis();
        let claim = LinkClaim {
            code_hash: hash_token(&code),
            token_hash,
            user_agent: user_agent.clone(),
            now_ms: now,
            decide_by_ms: now + self.settings.link_code_valid.as_millis() as i64,
        };
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.claim_link(claim).await },
            move |state, claimed| {
                let claimed = claimed.map_err(internal)?;
                let Claimed::Claimed {
                    link,
                    user,
                    offered_by,
                    decide_by_ms,
                } = claimed
                else {
                    tracing::info!(conn, "a link code was refused");
                    return Err(link_refusal(&claimed));
                };
                let linking = Linking {
                    link,
                    token,
                    token_hash,
                    offered_by,
                };
                let Some(c) = state.conns.get_mut(&conn) else {
                    state.stop_waiting(linking); // gone meanwhile
                    return Ok(());
                };
                c.linking = Some(linking);
                tracing::info!(conn, user = %user.id, link = link.0, "a device waits to be linked");
                let waiting = ServerMsg::LinkWaiting {
                    nickname: user.nickname,
                    avatar: user.avatar,
                    expires_at_ms: decide_by_ms,
                };
                state.send_to_conn(conn, &encode(&waiting), true);
                let device = device_info(&user_agent);
                state.bus.publish(Event::LinkRequested {
                    offered_by,
                    link,
                    device: device.clone(),
                });
                state.link_requested(offered_by, link, device);
                let done = state.done.clone();
                let wait = Duration::from_millis((decide_by_ms - unix_millis()).max(0) as u64);
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let _ = done.send(Done::LinkTimeout(conn, link));
                });
                Ok(())
            },
        );
        Ok(())
    }

    /// The offering session's tabs here ask the user about the device.
    pub(super) fn link_requested(
        &mut self,
        offered_by: [u8; 32],
        link: LinkId,
        device: DeviceInfo,
    ) {
        let frame = encode(&ServerMsg::LinkRequest { link, device });
        for conn in self.conns_of_session(offered_by) {
            self.send_to_conn(conn, &frame, true);
        }
    }

    /// The user allows or refuses a device that redeemed their code.
    pub(super) fn link_confirm(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        link: LinkId,
        accept: bool,
    ) -> Result<(), Refusal> {
        let store = self.store.clone();
        let user_id = user.id;
        self.spawn_io(
            conn,
            async move {
                store
                    .decide_link(link, user_id, accept, unix_millis())
                    .await
            },
            move |state, decided| {
                let Some(decided) = decided.map_err(internal)? else {
                    return Err(refuse(
                        ErrorCode::LinkGone,
                        "That device is no longer waiting to be linked.",
                    ));
                };
                tracing::info!(user = %user_id, link = link.0, accept, "a device link was decided");
                state.bus.publish(Event::LinkDecided {
                    link,
                    offered_by: decided.offered_by,
                    claim: decided.claim,
                    accepted: accept,
                });
                state.link_decided(link, decided.offered_by, decided.claim, accept);
                Ok(())
            },
        );
        Ok(())
    }

    /// A link was decided (here or on another server): the offering session's tabs
    /// close their dialog, and the waiting device gets its session or the refusal.
    pub(super) fn link_decided(
        &mut self,
        link: LinkId,
        offered_by: [u8; 32],
        claim: [u8; 32],
        accepted: bool,
    ) {
        let done = encode(&ServerMsg::LinkDone { link, accepted });
        for conn in self.conns_of_session(offered_by) {
            self.send_to_conn(conn, &done, true);
        }
        let waiting: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.linking.as_ref().is_some_and(|l| l.token_hash == claim))
            .map(|(id, _)| *id)
            .collect();
        for conn in waiting {
            let Some(linking) = self.conns.get_mut(&conn).and_then(|c| c.linking.take()) else {
                continue;
            };
            if accepted {
                self.start_stored_session(
                    conn,
                    linking.token_hash,
                    Vec::new(),
                    Some(linking.token),
                );
            } else {
                let refused = ServerMsg::error(
                    ErrorCode::LinkDeclined,
                    "Your other device did not allow this one.",
                );
                self.refused(conn, refused);
            }
        }
    }

    /// A waiting device waited as long as the user had to decide.
    pub(super) fn link_timeout(&mut self, conn: ConnId, link: LinkId) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.linking.as_ref().is_none_or(|l| l.link != link) {
            return;
        }
        let Some(linking) = c.linking.take() else {
            return;
        };
        self.stop_waiting(linking);
        let expired = ServerMsg::error(
            ErrorCode::LinkCodeExpired,
            "Your other device did not answer in time. Make a new code there.",
        );
        self.refused(conn, expired);
    }

    /// A device stopped waiting (it went away, or waited too long): the link is
    /// refused in storage, and the offering session's dialog closes.
    pub(super) fn stop_waiting(&mut self, linking: Linking) {
        let Linking {
            link,
            offered_by,
            token_hash,
            ..
        } = linking;
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.abandon_link(link, unix_millis()).await {
                tracing::warn!(error = %e, "could not withdraw a link");
            }
        });
        self.bus.publish(Event::LinkDecided {
            link,
            offered_by,
            claim: token_hash,
            accepted: false,
        });
        let done = encode(&ServerMsg::LinkDone {
            link,
            accepted: false,
        });
        for conn in self.conns_of_session(offered_by) {
            self.send_to_conn(conn, &done, true);
        }
    }

    /// The session withdraws its code (its dialog closed).
    pub(super) fn link_cancel(&mut self, offered_by: [u8; 32]) {
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.withdraw_offers(offered_by).await {
                tracing::warn!(error = %e, "could not withdraw a link code");
            }
        });
    }

    /// The user's sessions, told to the connection that asked.
    pub(super) fn list_devices(&mut self, conn: ConnId, user: UserId, current: [u8; 32]) {
        let store = self.store.clone();
        let alive_since = self.alive_since(unix_millis());
        self.spawn_io(
            conn,
            async move { store.sessions_of(user, alive_since).await },
            move |state, sessions| {
                let sessions = sessions.map_err(internal)?;
                state.tell_devices(conn, current, sessions);
                Ok(())
            },
        );
    }

    fn tell_devices(&mut self, conn: ConnId, current: [u8; 32], sessions: Vec<SessionRow>) {
        let now = unix_millis();
        let devices = sessions
            .into_iter()
            .map(|s| {
                let active = !self.conns_of_session(s.token_hash).is_empty();
                Device {
                    id: device_id(&s.token_hash),
                    info: device_info(&s.user_agent),
                    created_at_ms: s.created_at_ms,
                    last_seen_ms: if active { now } else { s.last_seen_ms },
                    current: s.token_hash == current,
                    active,
                }
            })
            .collect();
        self.send_to_conn(conn, &encode(&ServerMsg::Devices { devices }), true);
    }

    /// Ends the user's session `device` (or, with `None`, every one but `current`):
    /// its tabs close at once, here and on every other server. The list follows.
    pub(super) fn end_devices(
        &mut self,
        conn: ConnId,
        user: UserId,
        current: [u8; 32],
        device: Option<DeviceId>,
    ) {
        let store = self.store.clone();
        let alive_since = self.alive_since(unix_millis());
        self.spawn_io(
            conn,
            async move {
                let sessions = store.sessions_of(user, alive_since).await?;
                let (ended, kept): (Vec<_>, Vec<_>) =
                    sessions.into_iter().partition(|s| match &device {
                        Some(device) => device_id(&s.token_hash) == *device,
                        None => s.token_hash != current,
                    });
                for session in &ended {
                    store.delete_session(&session.token_hash).await?;
                }
                Ok::<_, crate::server::store::Error>((ended, kept))
            },
            move |state, found| {
                let (ended, kept) = found.map_err(internal)?;
                if ended.is_empty() && kept.iter().all(|s| s.token_hash != current) {
                    return Ok(()); // this session itself ended meanwhile
                }
                if ended.is_empty() {
                    return Err(refuse(ErrorCode::NoSuchDevice, "No such device of yours."));
                }
                for session in &ended {
                    tracing::info!(user = %user, "a session was ended from another device");
                    state.bus.publish(Event::LoggedOut {
                        token_hash: session.token_hash,
                    });
                    state.end_session(session.token_hash);
                }
                state.tell_devices(conn, current, kept);
                Ok(())
            },
        );
    }

    /// The connections of one session here.
    pub(super) fn conns_of_session(&self, token_hash: [u8; 32]) -> Vec<ConnId> {
        self.conns
            .iter()
            .filter(|(_, c)| {
                c.session
                    .as_ref()
                    .is_some_and(|s| s.token_hash == token_hash)
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// Arms the timer that marks the sessions connected here as used.
    pub(super) fn touch_sessions_now_and_then(&self) {
        let done = self.done.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(TOUCH_EVERY);
            every.tick().await; // the first tick is now
            loop {
                every.tick().await;
                if done.send(Done::TouchSessions).is_err() {
                    return;
                }
            }
        });
    }

    /// Marks every session connected here as used now, a few at a time per write (so
    /// that ten thousand of them never hold up one group of messages for long).
    pub(super) fn touch_sessions(&mut self) {
        let mut token_hashes: Vec<[u8; 32]> = self
            .conns
            .values()
            .filter_map(|c| c.session.as_ref().map(|s| s.token_hash))
            .collect();
        token_hashes.sort_unstable();
        token_hashes.dedup();
        let at_ms = unix_millis();
        for some in token_hashes.chunks(TOUCHED_PER_WRITE) {
            let touch = WriteJob::TouchSessions {
                token_hashes: some.to_vec(),
                at_ms,
            };
            if let Err(e) = self.store.submit(touch) {
                tracing::warn!(?e, "could not record the sessions' use");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_made_of_the_alphabet_and_read_back() {
        let code = new_link_code();
        assert_eq!(code.len(), LINK_CODE_CHARS);
        assert_eq!(
            crate::protocol::normalize_link_code(&code.to_lowercase()).as_deref(),
            Some(code.as_str())
        );
        assert_ne!(new_link_code(), code, "two codes in a row were the same");
    }

    #[test]
    fn browsers_and_systems_are_named() {
        let phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        let laptop =
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0";
        assert_eq!(
            device_info(phone),
            DeviceInfo {
                browser: "Chrome".into(),
                system: "Android".into()
            }
        );
        assert_eq!(device_info(laptop).browser, "Firefox");
        assert_eq!(device_info(laptop).system, "Mac OSX");
        assert_eq!(device_info(""), DeviceInfo::default());
        assert_eq!(device_info("a browser nobody knows"), DeviceInfo::default());
    }

    #[test]
    fn links_are_made_only_for_plain_origins() {
        assert_eq!(
            link_for("http://localhost:3000", "ABCD2345").as_deref(),
            Some("http://localhost:3000/#link=ABCD2345")
        );
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://a b",
            "https://x/#y",
            "ftp://x",
        ] {
            assert_eq!(link_for(bad, "ABCD2345"), None, "{bad}");
        }
    }

    #[test]
    fn a_qr_code_is_a_path_inside_its_square() {
        let qr = qr_code("http://localhost:3000/#link=ABCD2345").unwrap();
        assert!(qr.size >= 21 + 8, "{}", qr.size);
        assert!(qr.path.starts_with('M') && qr.path.ends_with('z'));
        // Every run starts inside the quiet zone's frame.
        for run in qr.path.split('M').skip(1) {
            let mut xy = run.split([' ', 'h']);
            let x: u32 = xy.next().unwrap().parse().unwrap();
            let y: u32 = xy.next().unwrap().parse().unwrap();
            assert!((4..qr.size - 4).contains(&x) && (4..qr.size - 4).contains(&y));
        }
    }

    #[test]
    fn device_ids_are_stable_and_not_the_hash() {
        let hash = [7u8; 32];
        assert_eq!(device_id(&hash), device_id(&hash));
        assert_eq!(device_id(&hash).0.len(), 16);
        assert!(!device_id(&hash).0.contains("0707"));
    }
}
