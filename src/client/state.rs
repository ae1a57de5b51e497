//! What the client knows: plain data, changed only by applying server messages and
//! the user's own actions, so it is unit-tested without a browser.
//!
//! Exactly-once display rests on three rules kept here: a conversation's messages
//! are a gapless run of sequence numbers, each id once; the newest of them is the
//! cursor sent on `resume`; and a message of the user's own stays in the outbox
//! until the server's ack (or the message itself) names its client id.

mod blocks;
mod changes;
mod conversation;
mod devices;
mod invites;
mod moderation;
mod outbox;
mod passkeys;
mod refusals;
mod reports;
mod saved;
mod search;

use std::collections::BTreeMap;

pub use changes::Changes;
pub use conversation::{Conversation, MAX_KEPT};
pub use devices::{Devices, LinkOffer, LinkWait, Receipt};
pub use invites::InviteView;
pub use moderation::{AuditView, Removed};
pub use outbox::{Change, Draft, Pending, OUTBOX_IN_FLIGHT};
pub use passkeys::{PasskeyCall, PasskeyProblem, Passkeys};
pub use reports::ReportsView;
pub use saved::{Saved, SavedConversation};

use crate::protocol::{
    Author, ChatMessage, ClientMsg, ClientMsgId, ConversationId, ConversationKind, Cursor,
    ErrorCode, MessageBody, RoomInfo, Seq, ServerMsg, UserId, UserInfo, MAX_RESUME_CURSORS,
};

/// How long a typing signal is shown.
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

/// Where the session stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Session {
    /// Not logged in (or not yet known, before the socket is up).
    #[default]
    Anonymous,
    /// `login` or `resume` sent, nothing known yet.
    Pending,
    /// Logged in as this user (possibly offline, restored from browser storage,
    /// until the server confirms it).
    Ready(UserInfo),
}

/// What the caller must do after applying a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Keep this session token (browser storage).
    SaveToken(String),
    /// Forget the stored token, the saved state and the outbox: the session is over.
    ClearToken,
    /// Send these (unacknowledged messages after a reconnect).
    Send(Vec<ClientMsg>),
    /// Send this after a delay (a message refused as too fast).
    SendAfter { ms: u64, msg: ClientMsg },
    /// Store this outbox entry (new, or its state changed).
    KeepPending(Pending),
    /// The server has this message: remove it from the stored outbox.
    DropPending(ClientMsgId),
    /// A new message mentions the user: a browser notification if the tab is hidden
    /// and the user allowed them.
    Notify { title: String, body: String },
    /// A passkey ceremony needs the browser: ask it, then send its answer.
    Passkey(PasskeyCall),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatState {
    pub session: Session,
    /// The last refusal of a login, for the login form.
    pub login_error: Option<ErrorCode>,
    /// The last other refusal, shown as a notice (in the user's language, by its code).
    pub notice: Option<ErrorCode>,
    /// The people known: some of those online (the server lists at most a page of
    /// them), and the peers of private conversations.
    pub users: BTreeMap<UserId, UserInfo>,
    /// How many users are online in all, as the server counts them.
    pub online_count: u32,
    pub rooms: BTreeMap<ConversationId, RoomInfo>,
    pub conversations: BTreeMap<ConversationId, Conversation>,
    /// The user's messages not yet acknowledged, in the order written.
    pub outbox: Vec<Pending>,
    /// The conversation open in a visible tab: what arrives in it is read.
    pub focus: Option<ConversationId>,
    /// What changed since the view last looked ([`ChatState::take_changes`]).
    pub changes: Changes,
    /// The last search: its query, and what was found once the server has answered.
    pub search: Option<(String, Option<Vec<ChatMessage>>)>,
    /// A message to bring into view (a quote or a search result was opened) once it
    /// is loaded.
    pub jump: Option<(ConversationId, Seq)>,
    /// This person's devices, and the linking of this one or of a new one.
    pub devices: Devices,
    /// The user does not share read receipts (and sees nobody's).
    pub receipts_off: bool,
    /// Where passkeys work, the user's passkeys, and a ceremony under way.
    pub passkeys: Passkeys,
    /// The user is an instance admin.
    pub admin: bool,
    /// The user was removed from a room by a moderator (a notice until dismissed).
    pub removed: Option<Removed>,
    /// The audit log of a room, as far as it was read.
    pub audit: Option<AuditView>,
    /// Rooms the client had before its last `ready` that it is no longer in, by id
    /// (the reason may follow).
    pub gone_rooms: BTreeMap<ConversationId, String>,
    /// The invite links of a room, while its moderator has them open.
    pub invite_view: Option<InviteView>,
    /// An invite link the user followed before signing in (sent at `ready`).
    pub pending_invite: Option<String>,
    /// The room an invite just let the user into, for the view to open.
    pub invited_to: Option<String>,
    /// The people the user blocks.
    pub blocked: BTreeMap<UserId, UserInfo>,
    /// The message the user reported last, once the server took the report.
    pub reported: Option<(ConversationId, Seq)>,
    /// The open reports of a room, while its moderator has them open.
    pub reports_view: Option<ReportsView>,
    /// Reports filed per room while its panel was closed (to its moderators).
    pub unseen_reports: BTreeMap<ConversationId, u32>,
}

impl ChatState {
    pub fn me(&self) -> Option<&UserInfo> {
        match &self.session {
            Session::Ready(me) => Some(me),
            _ => None,
        }
    }

    /// Applies one server message; `now_ms` is the client's clock.
    pub fn apply(&mut self, msg: ServerMsg, now_ms: f64) -> Vec<Reaction> {
        let mut reactions = Vec::new();
        self.changes.merge(Changes::of(&msg));
        match msg {
            ServerMsg::Pong { .. } => {}
            msg @ (ServerMsg::Welcome { .. }
            | ServerMsg::PasskeyCreation { .. }
            | ServerMsg::PasskeyRequest { .. }
            | ServerMsg::Passkeys { .. }) => self.passkeys.apply(msg, &mut reactions),
            ServerMsg::Read {
                conversation,
                reads,
            } => {
                let me = self.me().map(|m| m.id);
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    for mark in reads {
                        if Some(mark.user) == me {
                            c.read_elsewhere(mark.seq, mark.user);
                        } else {
                            c.read_by(mark);
                        }
                    }
                }
            }
            ServerMsg::ReadCount {
                conversation,
                seq,
                count,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.read_count(crate::protocol::ReadCount { seq, count });
                }
            }
            ServerMsg::ReceiptsShared { on } => self.receipts_off = !on,
            msg @ (ServerMsg::LinkCode { .. }
            | ServerMsg::LinkWaiting { .. }
            | ServerMsg::LinkRequest { .. }
            | ServerMsg::LinkDone { .. }
            | ServerMsg::Devices { .. }) => {
                if self.devices.apply(msg) {
                    reactions.push(Reaction::Send(vec![ClientMsg::Devices]));
                }
            }
            ServerMsg::Members {
                conversation,
                users,
                more: _,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.set_members(users);
                }
            }
            ServerMsg::SearchResults { query, messages } => {
                if let Some((asked, found)) = &mut self.search {
                    if *asked == query {
                        *found = Some(messages);
                    }
                }
            }
            ServerMsg::Ready {
                me,
                token,
                conversations,
                rooms,
                users,
                online_count,
                share_receipts,
                admin,
                blocked,
            } => {
                self.receipts_off = !share_receipts;
                self.admin = admin;
                if let Some(token) = token {
                    reactions.push(Reaction::SaveToken(token));
                }
                self.login_error = None;
                self.devices.wait = None;
                self.online_count = online_count;
                self.users = users.into_iter().map(|u| (u.id, u)).collect();
                self.users.insert(me.id, me.clone());
                self.rooms = rooms.into_iter().map(|r| (r.id, r)).collect();
                // Keep what is known of conversations still ours: the replay that
                // follows continues it from its cursor (or a reload resets it).
                let mut old = std::mem::take(&mut self.conversations);
                for info in conversations {
                    let conversation = match old.remove(&info.id) {
                        Some(mut c) => {
                            c.read_reported = info.read_seq;
                            c.counted_by_server(&info);
                            c.set_reads(&info);
                            c.info = info;
                            c.typing.clear();
                            c.loaded &= !c.messages.is_empty();
                            if let Some(last) = c.messages.last() {
                                c.info.last_seq = c.info.last_seq.max(last.seq);
                            }
                            c
                        }
                        None => Conversation::new(info),
                    };
                    self.conversations
                        .insert(conversation.info.id, conversation);
                }
                // Rooms no longer ours: a removal told next (`left`) names them.
                self.gone_rooms = old
                    .into_values()
                    .filter_map(|c| match c.info.kind {
                        ConversationKind::Room { name, .. } => Some((c.info.id, name)),
                        ConversationKind::Direct { .. } => None,
                    })
                    .collect();
                // A new connection: nothing of the outbox is on its way on it yet.
                for p in &mut self.outbox {
                    p.sent = false;
                }
                self.session = Session::Ready(me);
                self.set_blocked(blocked);
                self.read_focus();
                self.pump(&mut reactions);
                self.send_pending_invite(&mut reactions);
            }
            ServerMsg::Message { message } => self.receive(message, &mut reactions),
            ServerMsg::Replay {
                conversation,
                messages,
            } => {
                for message in messages {
                    self.receive(message, &mut reactions);
                }
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.loaded = true;
                }
            }
            ServerMsg::Reload { conversation } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.clear();
                }
            }
            ServerMsg::Ack {
                client_id,
                id,
                conversation,
                seq,
                sent_at_ms,
            } => {
                let me = self.me().cloned();
                let pending = self.take_pending(&client_id, &mut reactions);
                if let (Some(c), Some(me)) = (self.conversations.get_mut(&conversation), me) {
                    if let Some(pending) = pending {
                        // Shown now, as the server stored it; the copy that follows
                        // (with the server's quote) takes its place.
                        let quoted = pending
                            .reply_to
                            .and_then(|r| c.by_seq(r))
                            .and_then(ChatMessage::quote);
                        let author = Author {
                            id: me.id,
                            nickname: me.nickname,
                            avatar: me.avatar,
                        };
                        if let Some(m) = pending.stored_as((id, seq, sent_at_ms), author, quoted) {
                            c.insert(m);
                        }
                    }
                    c.info.read_seq = c.info.read_seq.max(seq);
                }
            }
            ServerMsg::History {
                conversation,
                messages,
                has_more,
            } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    // `has_more` speaks of what is older than the page: it holds for the
                    // conversation when the page reaches back to the oldest known message.
                    let page_first = messages.first().map(|m| m.seq);
                    let known_first = c.messages.first().map(|m| m.seq);
                    if page_first.is_none() || known_first.is_none() || page_first <= known_first {
                        c.reached_start = !has_more;
                    }
                    for m in messages {
                        c.insert(m);
                    }
                    c.loaded = true;
                }
            }
            ServerMsg::Joined { conversation } => {
                if let ConversationKind::Room {
                    name,
                    member_count,
                    private,
                } = &conversation.kind
                {
                    self.rooms.insert(
                        conversation.id,
                        RoomInfo {
                            id: conversation.id,
                            name: name.clone(),
                            member_count: *member_count,
                            private: *private,
                        },
                    );
                }
                match self.conversations.get_mut(&conversation.id) {
                    Some(c) => {
                        c.read_reported = conversation.read_seq;
                        c.set_reads(&conversation);
                        c.info = conversation;
                    }
                    None => {
                        self.conversations
                            .insert(conversation.id, Conversation::new(conversation));
                    }
                }
            }
            msg @ (ServerMsg::Left { .. }
            | ServerMsg::Staff { .. }
            | ServerMsg::TimedOut { .. }
            | ServerMsg::SlowMode { .. }
            | ServerMsg::AuditLog { .. }
            | ServerMsg::Audited { .. }) => self.moderation(msg, now_ms),
            msg @ (ServerMsg::Privacy { .. }
            | ServerMsg::Invites { .. }
            | ServerMsg::InviteAccepted { .. }) => self.invites(msg),
            ServerMsg::Blocked { users } => self.set_blocked(users),
            ServerMsg::InstanceAdmin { admin } => {
                self.admin = admin;
                if !admin
                    && self
                        .reports_view
                        .as_ref()
                        .is_some_and(|v| v.conversation.is_none())
                {
                    self.reports_view = None;
                }
            }
            msg @ (ServerMsg::Reported { .. }
            | ServerMsg::Reports { .. }
            | ServerMsg::ReportFiled { .. }
            | ServerMsg::ReportHandled { .. }) => self.reports(msg),
            ServerMsg::Rooms { rooms } => {
                for room in rooms {
                    if let Some(c) = self.conversations.get_mut(&room.id) {
                        if let ConversationKind::Room { member_count, .. } = &mut c.info.kind {
                            *member_count = room.member_count;
                        }
                    }
                    self.rooms.insert(room.id, room);
                }
            }
            ServerMsg::Presence { user } => {
                self.users.insert(user.id, user);
            }
            ServerMsg::People { users } => {
                self.users.extend(users.into_iter().map(|u| (u.id, u)));
            }
            ServerMsg::Online { count } => self.online_count = count,
            ServerMsg::Typing { conversation, user } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.typing.insert(user, now_ms + TYPING_SHOWN_MS);
                }
            }
            ServerMsg::Error {
                code,
                message,
                client_id,
                retry_after_ms,
            } => self.refused(code, &message, client_id, retry_after_ms, &mut reactions),
        }
        reactions
    }

    /// A message of a conversation, live or replayed: shown once, and if it is one of
    /// ours (sent from this tab, another tab, or before a reload) it leaves the outbox.
    fn receive(&mut self, message: ChatMessage, reactions: &mut Vec<Reaction>) {
        let mine = self.me().is_some_and(|me| me.id == message.author.id);
        if mine {
            if let Some(id) = &message.client_id {
                self.take_pending(id, reactions);
            }
        }
        let me = self.me().map(|m| m.id);
        // What a notification would say, for a text that mentions the user.
        let notice = match &message.body {
            MessageBody::Text { text } if me.is_some_and(|me| message.mentions.contains(&me)) => {
                Some(Reaction::Notify {
                    // A private message's title is its author's name already.
                    title: match self.title(message.conversation) {
                        Some(title) if title != message.author.nickname => {
                            format!("{} · {title}", message.author.nickname)
                        }
                        _ => message.author.nickname.clone(),
                    },
                    body: crate::protocol::snippet(text),
                })
            }
            _ => None,
        };
        if let Some(c) = self.conversations.get_mut(&message.conversation) {
            let seq = message.seq;
            let mentions_before = c.mentions();
            if message.target().is_none() {
                c.typing.remove(&message.author.id);
            }
            c.receive(message, me);
            // Counted as a new mention just now: worth a notification.
            if c.mentions() > mentions_before {
                reactions.extend(notice);
            }
            if mine {
                c.info.read_seq = c.info.read_seq.max(seq);
            }
            if self.focus == Some(c.info.id) {
                c.read_all();
            }
        }
    }

    /// The user has read the notice.
    pub fn dismiss_notice(&mut self) {
        self.notice = None;
        self.changes.session = true;
    }

    /// Forgets everything of the session (logout, or the server ended it).
    pub fn logged_out(&mut self) {
        let origin = self.passkeys.origin.take();
        *self = ChatState::default();
        // Told once per connection, which outlives the session.
        self.passkeys.origin = origin;
        self.changes.all = true;
    }

    /// No session: the login page.
    pub fn anonymous(&mut self) {
        self.session = Session::Anonymous;
        self.changes.session = true;
        // A passkey ceremony of a lost connection is gone with it.
        self.passkeys.busy = false;
        self.changes.devices = true;
        // A link waited for on a connection that was lost is gone with it.
        if self.devices.wait.take().is_some() {
            self.login_error = Some(ErrorCode::LinkGone);
            self.changes.devices = true;
        }
    }

    /// A login is on its way.
    pub fn logging_in(&mut self) {
        self.session = Session::Pending;
        self.login_error = None;
        self.changes.session = true;
    }

    /// Where each known conversation continues from, for `resume`.
    pub fn cursors(&self) -> Vec<Cursor> {
        self.conversations
            .values()
            .filter_map(Conversation::cursor)
            .collect()
    }

    /// The cursors to resume with: at most [`MAX_RESUME_CURSORS`], those of the
    /// conversations with the newest messages (so the `resume` fits in one frame). The
    /// others' messages are forgotten, as after a `reload`: opened, they load their
    /// newest page, and nothing is missed in between.
    pub fn resume_cursors(&mut self) -> Vec<Cursor> {
        let mut held: Vec<(i64, ConversationId)> = self
            .conversations
            .values()
            .filter_map(|c| Some((c.messages().last()?.sent_at_ms, c.info.id)))
            .collect();
        if held.len() > MAX_RESUME_CURSORS {
            held.sort_unstable_by(|a, b| b.cmp(a));
            for (_, id) in held.split_off(MAX_RESUME_CURSORS) {
                if let Some(c) = self.conversations.get_mut(&id) {
                    c.clear();
                    self.changes.messages.insert(id);
                }
            }
        }
        self.cursors()
    }

    /// Opens a conversation in a visible tab (or none): it is read, and so is what
    /// arrives in it while it stays open.
    pub fn set_focus(&mut self, focus: Option<ConversationId>) {
        self.focus = focus;
        self.read_focus();
    }

    fn read_focus(&mut self) {
        if let Some(c) = self.focus.and_then(|id| self.conversations.get_mut(&id)) {
            if c.info.read_seq < c.info.last_seq || c.unread() > 0 {
                c.read_all();
                self.changes.conversations.insert(c.info.id);
            }
        }
    }

    /// The read marks the server has not been told of yet, as requests; they count as
    /// told from here on. Sent at a calm pace, not per message of a busy room.
    pub fn read_reports(&mut self) -> Vec<ClientMsg> {
        self.conversations
            .values_mut()
            .filter(|c| c.info.read_seq > c.read_reported)
            .map(|c| {
                c.read_reported = c.info.read_seq;
                ClientMsg::MarkRead {
                    conversation: c.info.id,
                    seq: c.info.read_seq,
                }
            })
            .collect()
    }

    /// Keeps only the newest `n` messages of a conversation (the reader is at the
    /// bottom of it: older ones come back by scrolling up).
    pub fn keep_newest(&mut self, conversation: ConversationId, n: usize) {
        if let Some(c) = self.conversations.get_mut(&conversation) {
            if c.keep_newest(n) {
                self.changes.messages.insert(conversation);
            }
        }
    }

    /// The request for the page before the oldest known message, if there is one.
    pub fn older_page(&self, conversation: ConversationId) -> Option<ClientMsg> {
        let c = self.conversations.get(&conversation)?;
        let first = c.messages.first()?;
        (c.loaded && c.has_more()).then_some(ClientMsg::History {
            conversation,
            before: Some(first.seq),
            from: None,
        })
    }

    /// Unread texts that mention the user, in all conversations.
    pub fn total_mentions(&self) -> u64 {
        self.conversations
            .values()
            .map(Conversation::mentions)
            .sum()
    }

    pub fn total_unread(&self) -> u64 {
        self.conversations.values().map(Conversation::unread).sum()
    }

    /// Nicknames of those typing in a conversation at `now_ms` (not the user).
    pub fn typing(&self, conversation: ConversationId, now_ms: f64) -> Vec<String> {
        let me = self.me().map(|m| m.id);
        self.conversations
            .get(&conversation)
            .map(|c| {
                c.typing
                    .iter()
                    .filter(|(u, until)| Some(**u) != me && **until > now_ms)
                    .filter_map(|(u, _)| self.users.get(u).map(|u| u.nickname.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The request for a room's members (for `@` completion), once per conversation;
    /// `None` when it was made, or is not needed: everyone is in `general`, and a
    /// private conversation's two users are known.
    pub fn members_request(&mut self, conversation: ConversationId) -> Option<ClientMsg> {
        let c = self.conversations.get_mut(&conversation)?;
        let needed = c
            .room_name()
            .is_some_and(|name| name != crate::protocol::GENERAL_ROOM);
        if !needed || c.members_asked {
            return None;
        }
        c.members_asked = true;
        Some(ClientMsg::Members { conversation })
    }

    /// Who `@` may name in a conversation, by nickname: the other user of a private
    /// one; in `general` (everyone is in it) everyone known; in another room its
    /// members (until the server has listed them, those who wrote in what is loaded of
    /// it). The server drops any mention of someone who is not a member.
    pub fn mention_candidates(&self, conversation: ConversationId) -> Vec<UserInfo> {
        let Some(c) = self.conversations.get(&conversation) else {
            return Vec::new();
        };
        let me = self.me().map(|m| m.id);
        // Who they are, as the messages or the member list name them.
        let mut named: BTreeMap<UserId, &Author> = c
            .messages()
            .iter()
            .map(|m| (m.author.id, &m.author))
            .collect();
        let mut ids: std::collections::BTreeSet<UserId> = match (&c.info.kind, &c.members) {
            (ConversationKind::Direct { users }, _) => users.iter().copied().collect(),
            (ConversationKind::Room { name, .. }, _) if name == crate::protocol::GENERAL_ROOM => {
                self.users.keys().copied().collect()
            }
            (ConversationKind::Room { .. }, Some(members)) => {
                named.extend(members.users.iter().map(|(id, a)| (*id, a)));
                members.users.keys().copied().collect()
            }
            (ConversationKind::Room { .. }, None) => named.keys().copied().collect(),
        };
        ids.remove(&me.unwrap_or(UserId(0)));
        let mut people: Vec<UserInfo> = ids
            .into_iter()
            .filter_map(|id| {
                self.users.get(&id).cloned().or_else(|| {
                    named.get(&id).map(|a| UserInfo {
                        id,
                        nickname: a.nickname.clone(),
                        avatar: a.avatar.clone(),
                        online: false,
                    })
                })
            })
            .collect();
        people.sort_by_key(|u| u.nickname.to_lowercase());
        people
    }

    pub fn room_by_name(&self, name: &str) -> Option<&Conversation> {
        self.conversations
            .values()
            .find(|c| c.room_name() == Some(name))
    }

    pub fn direct_with(&self, peer: UserId) -> Option<&Conversation> {
        let me = self.me()?.id;
        self.conversations
            .values()
            .find(|c| c.peer(me) == Some(peer))
    }

    /// The name a conversation is shown under: `# room` or the other user's nickname;
    /// `None` for a private conversation whose peer is not known yet (the view says
    /// "private conversation" in the user's language).
    pub fn title(&self, conversation: ConversationId) -> Option<String> {
        let c = self.conversations.get(&conversation)?;
        match &c.info.kind {
            ConversationKind::Room { name, .. } => Some(format!("# {name}")),
            ConversationKind::Direct { .. } => {
                let peer = c.peer(self.me()?.id)?;
                self.users.get(&peer).map(|u| u.nickname.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests;
