//! Sessions: log in (a nickname unique by look), resume with a token, log out, and
//! the snapshot a connection gets when its session starts.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::{
    protocol::{
        normalize_nickname, validate_avatar, Cursor, ErrorCode, ServerMsg, UserInfo, SNAPSHOT_CHUNK,
    },
    server::{
        store::{blocks::BlocksOf, NewUser, Unread, WriteJob},
        unix_millis,
    },
};

use super::{
    internal, presence::user_info, refuse, Close, ConnId, Done, Refusal, Session, State, UserRow,
};

/// The UTS #39 skeleton of the lower-cased nickname: equal for names that look alike.
pub fn nickname_skeleton(nickname: &str) -> String {
    let lower = nickname.to_lowercase();
    unicode_security::skeleton(&lower)
        .collect::<String>()
        .to_lowercase()
}

fn name_taken(nickname: &str) -> Refusal {
    refuse(
        ErrorCode::NicknameTaken,
        format!("“{nickname}” (or a name that looks the same) is in use. Choose another."),
    )
}

pub(super) fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub(super) fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a session starts with besides its user: the token of a new one, the cursors
/// of a resumed one, its unread counts, and the offline peers of its private
/// conversations (their names come from storage).
#[derive(Default)]
struct Fresh {
    token: Option<String>,
    cursors: Vec<Cursor>,
    unread: Vec<Unread>,
    offline_peers: Vec<UserRow>,
    /// Whom the user blocks and who blocks them (none for a new user).
    blocks: BlocksOf,
    /// The hub's block changes when that was read ([`super::blocks::Blocks::version`]).
    blocks_since: u64,
}

impl State {
    pub(super) fn alive_since(&self, now: i64) -> i64 {
        now - self.settings.session_idle.as_millis() as i64
    }

    pub(super) fn login(
        &mut self,
        conn: ConnId,
        nickname: &str,
        avatar: &str,
    ) -> Result<(), Refusal> {
        let nickname = normalize_nickname(nickname)?;
        validate_avatar(avatar)?;
        let skeleton = nickname_skeleton(&nickname);
        // Held until storage has answered: a second login with this name meanwhile is refused.
        if !self.claims.insert(skeleton.clone()) {
            return Err(name_taken(&nickname));
        }
        let general = self.general();
        let (store, avatar) = (self.store.clone(), avatar.to_string());
        let user_agent = self
            .conns
            .get(&conn)
            .map(|c| c.user_agent.clone())
            .unwrap_or_default();
        let now = unix_millis();
        let alive_since = self.alive_since(now);
        let token = new_token();
        let token_hash = hash_token(&token);
        let claim = skeleton.clone();
        self.session_io(
            conn,
            {
                let nickname = nickname.clone();
                async move {
                    let new = NewUser::new(&nickname, &skeleton, &avatar, &token_hash, now)
                        .on(&user_agent);
                    store.sign_up(new, alive_since, general).await
                }
            },
            move |state, created| {
                state.claims.remove(&claim);
                let Some(user) = created.map_err(internal)? else {
                    return Err(name_taken(&nickname));
                };
                tracing::info!(user = %user.id, nickname = %user.nickname, "new user");
                // Everyone is in general: no join line and no count change per login.
                if let Some(general) = general {
                    if state.conversations.add_member(general, user.id) {
                        state.publish_joined(general, user.id);
                    }
                }
                let fresh = Fresh {
                    token: Some(token),
                    blocks_since: state.blocks.version(),
                    ..Fresh::default()
                };
                state.start_session(conn, user, token_hash, fresh);
                Ok(())
            },
        );
        Ok(())
    }

    pub(super) fn resume(
        &mut self,
        conn: ConnId,
        token: &str,
        cursors: Vec<Cursor>,
    ) -> Result<(), Refusal> {
        self.start_stored_session(conn, hash_token(token), cursors, None);
        Ok(())
    }

    /// Starts the stored session of `token_hash` on the connection (a resume, or a
    /// linked device's first: then `token` is its secret, told to it in `ready`).
    pub(super) fn start_stored_session(
        &mut self,
        conn: ConnId,
        token_hash: [u8; 32],
        cursors: Vec<Cursor>,
        token: Option<String>,
    ) {
        let now = unix_millis();
        let alive_since = self.alive_since(now);
        let store = self.store.clone();
        let blocks_since = self.blocks.version();
        self.spawn_io(
            conn,
            async move {
                let Some(user) = store.session_user(&token_hash, alive_since, now).await? else {
                    return Ok(None);
                };
                let unread = store.unread(user.id).await?;
                let blocks = store.blocks_of(user.id).await?;
                Ok::<_, crate::server::store::Error>(Some((user, unread, blocks)))
            },
            move |state, found| match found.map_err(internal)? {
                None => Err(refuse(
                    ErrorCode::SessionInvalid,
                    "Your session has ended. Log in again.",
                )),
                Some((user, unread, blocks)) => {
                    let fresh = Fresh {
                        token,
                        cursors,
                        unread,
                        offline_peers: Vec::new(),
                        blocks,
                        blocks_since,
                    };
                    // Peers of private conversations may be offline: their names come
                    // from storage.
                    let offline: Vec<_> = state
                        .conversations
                        .direct_peers(user.id)
                        .into_iter()
                        .filter(|peer| !state.is_online(*peer))
                        .collect();
                    if offline.is_empty() {
                        state.start_session(conn, user, token_hash, fresh);
                        return Ok(());
                    }
                    let store = state.store.clone();
                    state.spawn_io(
                        conn,
                        async move { store.users(&offline).await },
                        move |state, peers| {
                            let offline_peers = peers.map_err(internal)?;
                            let fresh = Fresh {
                                offline_peers,
                                ..fresh
                            };
                            state.start_session(conn, user, token_hash, fresh);
                            Ok(())
                        },
                    );
                    Ok(())
                }
            },
        );
    }

    /// Binds the connection to the user, sends the snapshot, replays what the client
    /// missed after its cursors, and announces the user if they were not online
    /// already (several tabs, or a reload, are one user).
    ///
    /// The snapshot comes from the hub's memory in the same turn that subscribes the
    /// connection: a message delivered before is counted in it, one delivered after
    /// arrives live behind it, so nothing falls in between and nothing comes twice.
    fn start_session(&mut self, conn: ConnId, user: UserRow, token_hash: [u8; 32], fresh: Fresh) {
        let Fresh {
            token,
            cursors,
            unread,
            offline_peers,
            blocks,
            blocks_since,
        } = fresh;
        let Some(c) = self.conns.get_mut(&conn) else {
            return; // gone meanwhile
        };
        c.session = Some(Session {
            user: user.clone(),
            token_hash,
        });
        // Before anything is delivered to the connection (this same turn).
        self.load_blocks(user.id, &blocks, blocks_since);
        let newly_online = self.attach(&user, conn);
        let mut conversations = self.conversations.of(user.id);
        self.fill_reads(&mut conversations, user.id);
        for info in &mut conversations {
            if let Some(u) = unread.iter().find(|u| u.conversation_id == info.id.0) {
                info.unread = u.unread.try_into().unwrap_or(u32::MAX);
                info.mentions = u.mentions.try_into().unwrap_or(u32::MAX);
            }
        }
        // The peers of private conversations (online or not), then the first page of
        // everyone online: bounded, however many are online.
        let mut users: Vec<UserInfo> = offline_peers
            .iter()
            .filter(|p| !self.is_online(p.id))
            .map(|p| user_info(p, false))
            .collect();
        let online_peers = self
            .conversations
            .direct_peers(user.id)
            .into_iter()
            .filter_map(|p| self.online_user(p));
        let mut listed = HashSet::new();
        for online in online_peers.chain(self.people_page()) {
            if listed.insert(online.id) {
                users.push(user_info(online, true));
            }
        }
        users.sort_by_key(|u| u.nickname.to_lowercase());
        let mut rooms = self.conversations.rooms_for(user.id);
        let more_rooms = rooms.split_off(rooms.len().min(SNAPSHOT_CHUNK));
        let more_users = users.split_off(users.len().min(SNAPSHOT_CHUNK));
        let ready = ServerMsg::Ready {
            me: user_info(&user, true),
            token,
            conversations,
            rooms,
            users,
            online_count: self.online_count() as u32,
            share_receipts: self.receipts.shares(user.id),
            admin: self.admins.contains(&user.id),
            blocked: self.blocked_infos(&blocks.blocked),
        };
        self.send_to_conn(conn, &super::encode(&ready), true);
        for users in more_users.chunks(SNAPSHOT_CHUNK) {
            let people = ServerMsg::People {
                users: users.to_vec(),
            };
            self.send_to_conn(conn, &super::encode(&people), true);
        }
        for rooms in more_rooms.chunks(SNAPSHOT_CHUNK) {
            let rooms = ServerMsg::Rooms {
                rooms: rooms.to_vec(),
            };
            self.send_to_conn(conn, &super::encode(&rooms), true);
        }
        self.replay(conn, user.id, cursors);
        if newly_online {
            self.announce_online(&user);
        }
    }

    pub(super) fn logout(&mut self, conn: ConnId) -> Result<(), Refusal> {
        let Some(token_hash) = self
            .conns
            .get(&conn)
            .and_then(|c| c.session.as_ref())
            .map(|s| s.token_hash)
        else {
            return Ok(());
        };
        let store = self.store.clone();
        self.session_io(
            conn,
            async move { store.delete_session(&token_hash).await },
            move |state, deleted| {
                deleted.map_err(internal)?;
                state
                    .bus
                    .publish(crate::server::bus::Event::LoggedOut { token_hash });
                state.end_session(token_hash);
                Ok(())
            },
        );
        Ok(())
    }

    /// Closes every tab of a session that was logged out.
    pub(super) fn end_session(&mut self, token_hash: [u8; 32]) {
        let same_session = self.conns_of_session(token_hash);
        self.end_conns(same_session, "logged out");
    }

    /// Closes every tab of a user banned from the server, on every session.
    pub(super) fn end_user(&mut self, user: crate::protocol::UserId) {
        let conns = self
            .live
            .get(&user)
            .map(|l| l.conns.iter().copied().collect())
            .unwrap_or_default();
        self.end_conns(conns, crate::protocol::close_code::REASON_BANNED);
    }

    /// Ends these connections' sessions: each closes with 4001 and `reason`.
    fn end_conns(&mut self, conns: Vec<ConnId>, reason: &'static str) {
        let mut users = Vec::new();
        for id in conns {
            let Some(c) = self.conns.get_mut(&id) else {
                continue;
            };
            let Some(session) = c.session.take() else {
                continue;
            };
            if let Some(close) = c.close.take() {
                let _ = close.send(Close {
                    code: crate::protocol::close_code::LOGGED_OUT,
                    reason,
                });
            }
            self.detach(session.user.id, id);
            users.push(session.user);
        }
        for user in users {
            tracing::info!(user = %user.id, reason, "session ended");
            // An explicit logout needs no grace period.
            if self.live.get(&user.id).is_some_and(|l| l.conns.is_empty()) {
                self.go_offline(user.id);
            }
        }
    }

    /// Arms the deadline by which a new connection must have a session.
    pub(super) fn login_deadline_in(&self, conn: ConnId, after: std::time::Duration) {
        let done = self.done.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = done.send(Done::LoginDeadline(conn));
        });
    }

    /// A connection that has not logged in or resumed in time is closed (4003): it
    /// would hold memory for nothing. One whose login is being stored gets a moment more.
    pub(super) fn login_deadline(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if c.session.is_some() {
            return;
        }
        if c.busy {
            self.login_deadline_in(conn, std::time::Duration::from_secs(1));
            return;
        }
        if c.linking.is_some() || c.ceremony_until_ms > unix_millis() {
            // Waiting for the user to allow it (or for a passkey), until its own time is up.
            self.login_deadline_in(conn, std::time::Duration::from_secs(5));
            return;
        }
        tracing::info!(conn, "closing a connection that did not log in in time");
        self.close_conn(
            conn,
            crate::protocol::close_code::LOGIN_TIMEOUT,
            "no login in time",
        );
    }

    pub(super) fn disconnect(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if !c.spared.is_empty() {
            self.sparing -= 1;
        }
        if let Some(linking) = c.linking {
            self.stop_waiting(linking);
        }
        if let Some(session) = c.session {
            let touch = WriteJob::TouchSession {
                token_hash: session.token_hash,
                at_ms: unix_millis(),
            };
            if let Err(e) = self.store.submit(touch) {
                tracing::warn!(?e, "could not record the session's last use");
            }
            self.detach(session.user.id, conn);
        }
    }
}
