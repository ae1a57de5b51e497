//! What the client knows: plain data, changed only by applying server messages and
//! the user's own actions, so it is unit-tested without a browser.
//!
//! Exactly-once display rests on three rules kept here: a conversation's messages
//! are a gapless run of sequence numbers, each id once; the newest of them is the
//! cursor sent on `resume`; and a message of the user's own stays in the outbox
//! until the server's ack (or the message itself) names its client id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::{
    Author, ChatMessage, ClientMsg, ClientMsgId, ConversationId, ConversationInfo,
    ConversationKind, Cursor, ErrorCode, MessageBody, RoomInfo, ServerMsg, UserId, UserInfo,
    HISTORY_PAGE,
};

/// Messages of the outbox sent and not yet answered, at most. One: each goes out when
/// the one before is answered, so they are stored in the order written even when the
/// server's rate limit refuses one for a while (a long outbox written offline); a
/// human types slower than a round trip, and the rate limit is below one per round trip.
pub const OUTBOX_IN_FLIGHT: usize = 1;

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

/// A message of the user's own that the server has not acknowledged. Kept in
/// browser storage too, so it survives a reload and is sent again, same client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub conversation: ConversationId,
    pub client_id: ClientMsgId,
    pub text: String,
    /// When it was written (client clock, ms): the order of the outbox.
    pub queued_ms: u64,
    /// Why it was refused; `None` while it is on its way.
    pub failed: Option<String>,
    /// Sent on the current connection, its answer not in yet.
    #[serde(skip)]
    pub sent: bool,
}

impl Pending {
    fn request(&self) -> ClientMsg {
        ClientMsg::Send {
            conversation: self.conversation,
            client_id: self.client_id.clone(),
            text: self.text.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub info: ConversationInfo,
    /// Known messages: consecutive sequence numbers, ascending, each once.
    pub messages: Vec<ChatMessage>,
    /// The newest page is known: loaded, replayed, or restored from storage.
    pub loaded: bool,
    /// The server said no older message exists than the first known.
    pub reached_start: bool,
    /// Who is typing, until when (ms).
    pub typing: BTreeMap<UserId, f64>,
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatState {
    pub session: Session,
    /// The last refusal of a login, for the login form.
    pub login_error: Option<(ErrorCode, String)>,
    /// The last other error, shown as a notice.
    pub notice: Option<String>,
    /// The people known: some of those online (the server lists at most a page of
    /// them), and the peers of private conversations.
    pub users: BTreeMap<UserId, UserInfo>,
    /// How many users are online in all, as the server counts them.
    pub online_count: u32,
    pub rooms: BTreeMap<ConversationId, RoomInfo>,
    pub conversations: BTreeMap<ConversationId, Conversation>,
    /// The user's messages not yet acknowledged, in the order written.
    pub outbox: Vec<Pending>,
}

/// What the browser keeps of a session between page loads (besides the token and
/// the outbox): enough to show the chat, its newest messages and the cursors
/// while offline, and to resume without reloading what was already shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub me: UserInfo,
    pub users: Vec<UserInfo>,
    pub rooms: Vec<RoomInfo>,
    pub conversations: Vec<SavedConversation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedConversation {
    pub info: ConversationInfo,
    /// The newest messages known, consecutive (at most a page).
    pub messages: Vec<ChatMessage>,
}

impl Conversation {
    fn new(info: ConversationInfo) -> Self {
        Self {
            info,
            messages: Vec::new(),
            loaded: false,
            reached_start: false,
            typing: BTreeMap::new(),
        }
    }

    /// Adds a message unless its id is known; keeps the order by sequence number.
    fn insert(&mut self, message: ChatMessage) {
        if self.messages.iter().rev().any(|m| m.id == message.id) {
            return;
        }
        self.info.last_seq = self.info.last_seq.max(message.seq);
        let at = self.messages.partition_point(|m| m.seq < message.seq);
        self.messages.insert(at, message);
    }

    /// The newest message known: where a resume continues from.
    pub fn cursor(&self) -> Option<Cursor> {
        self.messages.last().map(|m| Cursor {
            conversation: self.info.id,
            seq: m.seq,
        })
    }

    /// Older messages than the first known exist (sequence numbers start at 1).
    pub fn has_more(&self) -> bool {
        !self.reached_start && self.messages.first().is_some_and(|m| m.seq > 1)
    }

    pub fn unread(&self) -> u64 {
        self.info.last_seq.saturating_sub(self.info.read_seq)
    }

    pub fn room_name(&self) -> Option<&str> {
        match &self.info.kind {
            ConversationKind::Room { name, .. } => Some(name),
            ConversationKind::Direct { .. } => None,
        }
    }

    /// The other user of a private conversation.
    pub fn peer(&self, me: UserId) -> Option<UserId> {
        match self.info.kind {
            ConversationKind::Direct { users } => users.into_iter().find(|u| *u != me).or(Some(me)),
            ConversationKind::Room { .. } => None,
        }
    }
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
        match msg {
            ServerMsg::Welcome { .. } | ServerMsg::Pong { .. } => {}
            ServerMsg::Ready {
                me,
                token,
                conversations,
                rooms,
                users,
                online_count,
            } => {
                if let Some(token) = token {
                    reactions.push(Reaction::SaveToken(token));
                }
                self.login_error = None;
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
                // A new connection: nothing of the outbox is on its way on it yet.
                for p in &mut self.outbox {
                    p.sent = false;
                }
                self.session = Session::Ready(me);
                self.pump(&mut reactions);
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
                    c.messages.clear();
                    c.loaded = false;
                    c.reached_start = false;
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
                        c.insert(ChatMessage {
                            id,
                            conversation,
                            seq,
                            author: Author {
                                id: me.id,
                                nickname: me.nickname,
                                avatar: me.avatar,
                            },
                            sent_at_ms,
                            body: MessageBody::Text { text: pending.text },
                            client_id: Some(client_id),
                        });
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
                if let ConversationKind::Room { name, member_count } = &conversation.kind {
                    self.rooms.insert(
                        conversation.id,
                        RoomInfo {
                            id: conversation.id,
                            name: name.clone(),
                            member_count: *member_count,
                        },
                    );
                }
                match self.conversations.get_mut(&conversation.id) {
                    Some(c) => c.info = conversation,
                    None => {
                        self.conversations
                            .insert(conversation.id, Conversation::new(conversation));
                    }
                }
            }
            ServerMsg::Left { conversation } => {
                self.conversations.remove(&conversation);
            }
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
            } => match (code, client_id) {
                // Too fast (a full outbox flushed after a reconnect): it stays pending and
                // goes again when the server says it may.
                (ErrorCode::RateLimited, Some(client_id)) => {
                    if let Some(p) = self.outbox.iter().find(|p| p.client_id == client_id) {
                        reactions.push(Reaction::SendAfter {
                            ms: retry_after_ms.unwrap_or(1_000).clamp(50, 60_000),
                            msg: p.request(),
                        });
                    }
                }
                (_, Some(client_id)) => {
                    if let Some(p) = self.outbox.iter_mut().find(|p| p.client_id == client_id) {
                        p.failed = Some(message);
                        p.sent = false;
                        reactions.push(Reaction::KeepPending(p.clone()));
                        self.pump(&mut reactions);
                    }
                }
                (ErrorCode::SessionInvalid, None) => {
                    self.logged_out();
                    reactions.push(Reaction::ClearToken);
                }
                (
                    ErrorCode::InvalidNickname
                    | ErrorCode::NicknameTaken
                    | ErrorCode::InvalidAvatar,
                    None,
                ) => {
                    self.session = Session::Anonymous;
                    self.login_error = Some((code, message));
                }
                (_, None) => self.notice = Some(message),
            },
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
        if let Some(c) = self.conversations.get_mut(&message.conversation) {
            c.typing.remove(&message.author.id);
            let seq = message.seq;
            c.insert(message);
            if mine {
                c.info.read_seq = c.info.read_seq.max(seq);
            }
        }
    }

    fn take_pending(
        &mut self,
        client_id: &ClientMsgId,
        reactions: &mut Vec<Reaction>,
    ) -> Option<Pending> {
        let at = self.outbox.iter().position(|p| &p.client_id == client_id)?;
        reactions.push(Reaction::DropPending(client_id.clone()));
        let done = self.outbox.remove(at);
        self.pump(reactions);
        Some(done)
    }

    /// Sends the next messages of the outbox, in order, up to [`OUTBOX_IN_FLIGHT`].
    fn pump(&mut self, reactions: &mut Vec<Reaction>) {
        if self.me().is_none() {
            return;
        }
        let mut in_flight = self.outbox.iter().filter(|p| p.sent).count();
        let mut out = Vec::new();
        for p in &mut self.outbox {
            if in_flight >= OUTBOX_IN_FLIGHT {
                break;
            }
            if !p.sent && p.failed.is_none() {
                p.sent = true;
                in_flight += 1;
                out.push(p.request());
            }
        }
        if !out.is_empty() {
            reactions.push(Reaction::Send(out));
        }
    }

    /// Forgets everything of the session (logout, or the server ended it).
    pub fn logged_out(&mut self) {
        *self = ChatState::default();
    }

    /// Puts a message the user writes into the outbox; returns the outbox entry to
    /// store and what to send now, or `None` if the conversation is unknown.
    pub fn send(
        &mut self,
        conversation: ConversationId,
        client_id: ClientMsgId,
        text: String,
        now_ms: f64,
    ) -> Option<(Pending, Vec<Reaction>)> {
        self.conversations.get(&conversation)?;
        let pending = Pending {
            conversation,
            client_id,
            text,
            queued_ms: now_ms.max(0.0) as u64,
            failed: None,
            sent: false,
        };
        self.outbox.push(pending.clone());
        let mut reactions = Vec::new();
        self.pump(&mut reactions);
        Some((pending, reactions))
    }

    /// Puts a refused message back on its way; returns the outbox entry to store and
    /// what to send now.
    pub fn retry(&mut self, client_id: &ClientMsgId) -> Option<(Pending, Vec<Reaction>)> {
        let p = self.outbox.iter_mut().find(|p| &p.client_id == client_id)?;
        p.failed = None;
        p.sent = false;
        let stored = p.clone();
        let mut reactions = Vec::new();
        self.pump(&mut reactions);
        Some((stored, reactions))
    }

    /// Drops a refused message from the outbox (the user gave up on it); returns
    /// whether it was there.
    pub fn discard(&mut self, client_id: &ClientMsgId) -> bool {
        let before = self.outbox.len();
        self.outbox
            .retain(|p| !(&p.client_id == client_id && p.failed.is_some()));
        self.outbox.len() < before
    }

    /// The user's unacknowledged messages in a conversation, oldest first.
    pub fn pending_in(&self, conversation: ConversationId) -> Vec<Pending> {
        self.outbox
            .iter()
            .filter(|p| p.conversation == conversation)
            .cloned()
            .collect()
    }

    /// Where each known conversation continues from, for `resume`.
    pub fn cursors(&self) -> Vec<Cursor> {
        self.conversations
            .values()
            .filter_map(Conversation::cursor)
            .collect()
    }

    /// What to keep in browser storage; `None` without a session.
    pub fn saved(&self) -> Option<Saved> {
        let me = self.me()?.clone();
        let page = HISTORY_PAGE as usize;
        Some(Saved {
            me,
            users: self.users.values().cloned().collect(),
            rooms: self.rooms.values().cloned().collect(),
            conversations: self
                .conversations
                .values()
                .map(|c| SavedConversation {
                    info: c.info.clone(),
                    messages: c.messages[c.messages.len().saturating_sub(page)..].to_vec(),
                })
                .collect(),
        })
    }

    /// The state of a page load before the server has answered: the saved session
    /// and the stored outbox (only the entries of the saved user's conversations).
    pub fn restore(saved: Saved, mut outbox: Vec<Pending>) -> Self {
        let conversations: BTreeMap<ConversationId, Conversation> = saved
            .conversations
            .into_iter()
            .map(|s| {
                let mut c = Conversation::new(s.info);
                for m in s.messages {
                    c.insert(m);
                }
                c.loaded = !c.messages.is_empty();
                (c.info.id, c)
            })
            .collect();
        outbox.retain(|p| conversations.contains_key(&p.conversation));
        outbox.sort_by(|a, b| (a.queued_ms, &a.client_id).cmp(&(b.queued_ms, &b.client_id)));
        Self {
            session: Session::Ready(saved.me),
            // Until the server tells: those known to be online.
            online_count: saved.users.iter().filter(|u| u.online).count() as u32,
            users: saved.users.into_iter().map(|u| (u.id, u)).collect(),
            rooms: saved.rooms.into_iter().map(|r| (r.id, r)).collect(),
            conversations,
            outbox,
            ..Self::default()
        }
    }

    /// Marks a conversation read up to its newest message; returns the request
    /// to tell the server, if anything changed.
    pub fn mark_read(&mut self, conversation: ConversationId) -> Option<ClientMsg> {
        let c = self.conversations.get_mut(&conversation)?;
        if c.info.read_seq >= c.info.last_seq {
            return None;
        }
        c.info.read_seq = c.info.last_seq;
        Some(ClientMsg::MarkRead {
            conversation,
            seq: c.info.last_seq,
        })
    }

    /// The request for the page before the oldest known message, if there is one.
    pub fn older_page(&self, conversation: ConversationId) -> Option<ClientMsg> {
        let c = self.conversations.get(&conversation)?;
        let first = c.messages.first()?;
        (c.loaded && c.has_more()).then_some(ClientMsg::History {
            conversation,
            before: Some(first.seq),
        })
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

    /// The name a conversation is shown under: `# room` or the other user's nickname.
    pub fn title(&self, conversation: ConversationId) -> String {
        let Some(c) = self.conversations.get(&conversation) else {
            return String::new();
        };
        match (&c.info.kind, self.me()) {
            (ConversationKind::Room { name, .. }, _) => format!("# {name}"),
            (ConversationKind::Direct { .. }, Some(me)) => c
                .peer(me.id)
                .and_then(|p| self.users.get(&p))
                .map(|u| u.nickname.clone())
                .unwrap_or_else(|| "Private conversation".into()),
            _ => String::new(),
        }
    }
}

/// Reads `text` as runs of plain text and links (http/https), for rendering without HTML.
pub fn linkify(text: &str) -> Vec<(bool, &str)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(rest.len(), |e| start + e);
        // A sentence's closing punctuation is not part of the link.
        let trimmed = rest[start..end].trim_end_matches(['.', ',', ')', '!', '?', ';', ':', '\'']);
        let end = start + trimmed.len();
        if start > 0 {
            parts.push((false, &rest[..start]));
        }
        parts.push((true, &rest[start..end]));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        parts.push((false, rest));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MessageId, Seq};

    fn user(id: i64, name: &str) -> UserInfo {
        UserInfo {
            id: UserId(id),
            nickname: name.into(),
            avatar: "fox".into(),
            online: true,
        }
    }

    fn room(id: i64, name: &str, last_seq: Seq) -> ConversationInfo {
        ConversationInfo {
            id: ConversationId(id),
            kind: ConversationKind::Room {
                name: name.into(),
                member_count: 2,
            },
            last_seq,
            read_seq: last_seq,
        }
    }

    fn message(id: i64, conv: i64, seq: Seq, author: &UserInfo, text: &str) -> ChatMessage {
        ChatMessage {
            id: MessageId(id),
            conversation: ConversationId(conv),
            seq,
            author: Author {
                id: author.id,
                nickname: author.nickname.clone(),
                avatar: author.avatar.clone(),
            },
            sent_at_ms: 0,
            body: MessageBody::Text { text: text.into() },
            client_id: None,
        }
    }

    fn ready(state: &mut ChatState, me: &UserInfo, token: Option<&str>) -> Vec<Reaction> {
        state.apply(
            ServerMsg::Ready {
                me: me.clone(),
                token: token.map(Into::into),
                conversations: vec![room(1, "general", 0)],
                rooms: vec![],
                users: vec![me.clone()],
                online_count: 1,
            },
            0.0,
        )
    }

    /// The server's refusal of the message with this client id.
    fn refusal(
        client_id: &str,
        code: ErrorCode,
        message: &str,
        retry_after_ms: Option<u64>,
    ) -> ServerMsg {
        ServerMsg::Error {
            code,
            message: message.into(),
            retry_after_ms,
            client_id: Some(ClientMsgId(client_id.into())),
        }
    }

    /// The server's ack of the message with this client id, in general.
    fn ack(client_id: &str, id: i64, seq: Seq) -> ServerMsg {
        ServerMsg::Ack {
            client_id: ClientMsgId(client_id.into()),
            id: MessageId(id),
            conversation: ConversationId(1),
            seq,
            sent_at_ms: 9,
        }
    }

    #[test]
    fn ready_keeps_the_token_and_logs_in() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        assert_eq!(
            ready(&mut state, &ann, Some("tok")),
            [Reaction::SaveToken("tok".into())]
        );
        assert_eq!(state.me(), Some(&ann));
        assert!(ready(&mut state, &ann, None).is_empty());
    }

    #[test]
    fn messages_are_kept_in_order_and_once() {
        let ann = user(1, "Ann");
        let bob = user(2, "Bob");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        for m in [
            message(12, 1, 2, &bob, "b"),
            message(11, 1, 1, &bob, "a"),
            message(12, 1, 2, &bob, "b"),
        ] {
            state.apply(ServerMsg::Message { message: m }, 0.0);
        }
        let c = &state.conversations[&ConversationId(1)];
        assert_eq!(c.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(c.unread(), 2);
        assert_eq!(state.total_unread(), 2);
        assert_eq!(
            state.mark_read(ConversationId(1)),
            Some(ClientMsg::MarkRead {
                conversation: ConversationId(1),
                seq: 2
            })
        );
        assert_eq!(state.mark_read(ConversationId(1)), None);
        assert_eq!(state.total_unread(), 0);
    }

    #[test]
    fn a_pending_message_becomes_sent_on_ack_and_is_not_shown_twice() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        let id = ClientMsgId("c1".into());
        let (stored, reactions) = state.send(general, id.clone(), "hi".into(), 7.0).unwrap();
        assert_eq!(stored.queued_ms, 7);
        assert_eq!(
            reactions,
            [Reaction::Send(vec![ClientMsg::Send {
                conversation: general,
                client_id: id.clone(),
                text: "hi".into()
            }])]
        );
        assert_eq!(state.pending_in(general).len(), 1);
        let reactions = state.apply(ack("c1", 5, 3), 0.0);
        assert_eq!(reactions, [Reaction::DropPending(id.clone())]);
        assert!(state.outbox.is_empty());
        assert_eq!(state.conversations[&general].messages.len(), 1);
        let mut echoed = message(5, 1, 3, &ann, "hi");
        echoed.client_id = Some(id);
        assert!(state
            .apply(ServerMsg::Message { message: echoed }, 0.0)
            .is_empty());
        let c = &state.conversations[&general];
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.unread(), 0, "own messages are read");
    }

    #[test]
    fn a_message_refused_as_too_fast_stays_pending_and_goes_again_later() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let id = ClientMsgId("c1".into());
        let (stored, _) = state
            .send(ConversationId(1), id.clone(), "hi".into(), 0.0)
            .unwrap();
        let request = stored.request();
        let reactions = state.apply(
            refusal("c1", ErrorCode::RateLimited, "slow down", Some(180)),
            0.0,
        );
        assert_eq!(
            reactions,
            [Reaction::SendAfter {
                ms: 180,
                msg: request
            }]
        );
        assert_eq!(state.outbox[0].failed, None);
    }

    #[test]
    fn a_refused_message_is_marked_failed_and_can_be_retried() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        let id = ClientMsgId("c1".into());
        state.send(general, id.clone(), "hi".into(), 0.0);
        let not_yours = refusal("c1", ErrorCode::NotAMember, "not yours", None);
        let reactions = state.apply(not_yours.clone(), 0.0);
        assert_eq!(state.outbox[0].failed.as_deref(), Some("not yours"));
        assert_eq!(reactions, [Reaction::KeepPending(state.outbox[0].clone())]);
        let (stored, reactions) = state.retry(&id).unwrap();
        assert_eq!(stored.failed, None);
        assert_eq!(reactions, [Reaction::Send(vec![stored.request()])]);
        assert_eq!(state.outbox[0].failed, None);
        // Only a refused message can be dropped.
        assert!(!state.discard(&id));
        state.apply(not_yours, 0.0);
        assert!(state.discard(&id));
        assert!(state.outbox.is_empty());
    }

    #[test]
    fn unacknowledged_messages_are_sent_again_after_a_reconnect() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let (stored, _) = state
            .send(
                ConversationId(1),
                ClientMsgId("c1".into()),
                "hi".into(),
                0.0,
            )
            .unwrap();
        assert_eq!(
            ready(&mut state, &ann, None),
            [Reaction::Send(vec![stored.request()])]
        );
    }

    #[test]
    fn a_long_outbox_goes_out_one_at_a_time_in_order() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        let sent = |reactions: &[Reaction]| -> Vec<String> {
            reactions
                .iter()
                .flat_map(|r| match r {
                    Reaction::Send(msgs) => msgs.clone(),
                    Reaction::SendAfter { msg, .. } => vec![msg.clone()],
                    _ => Vec::new(),
                })
                .map(|m| match m {
                    ClientMsg::Send { client_id, .. } => client_id.0,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        let mut first_sends = Vec::new();
        for i in 0..5 {
            let (_, reactions) = state
                .send(general, ClientMsgId(format!("c{i}")), i.to_string(), 0.0)
                .unwrap();
            first_sends.extend(sent(&reactions));
        }
        assert_eq!(first_sends, ["c0"]);
        // Each answer lets the next one go; too fast means the same one again, later.
        assert_eq!(sent(&state.apply(ack("c0", 0, 1), 0.0)), ["c1"]);
        let too_fast = refusal("c1", ErrorCode::RateLimited, "no", Some(200));
        assert_eq!(sent(&state.apply(too_fast, 0.0)), ["c1"]);
        let invalid = refusal("c1", ErrorCode::InvalidText, "no", Some(200));
        assert_eq!(sent(&state.apply(invalid, 0.0)), ["c2"]);
        // After a reconnect, the outbox starts over from the oldest, failed ones left out.
        assert_eq!(sent(&ready(&mut state, &ann, None)), ["c2"]);
        assert_eq!(sent(&state.apply(ack("c2", 2, 3), 0.0)), ["c3"]);
    }

    #[test]
    fn a_resume_continues_from_the_cursor_and_shows_each_message_once() {
        let ann = user(1, "Ann");
        let bob = user(2, "Bob");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        for seq in 1..=3 {
            let m = message(10 + seq as i64, 1, seq, &bob, "x");
            state.apply(ServerMsg::Message { message: m }, 0.0);
        }
        assert_eq!(
            state.cursors(),
            [Cursor {
                conversation: general,
                seq: 3
            }]
        );
        // Sent before the link dropped, acked never: the replay names it.
        state
            .send(general, ClientMsgId("c9".into()), "mine".into(), 0.0)
            .unwrap();
        ready(&mut state, &ann, None);
        let mut own = message(14, 1, 4, &ann, "mine");
        own.client_id = Some(ClientMsgId("c9".into()));
        let reactions = state.apply(
            ServerMsg::Replay {
                conversation: general,
                messages: vec![
                    message(13, 1, 3, &bob, "x"),
                    own,
                    message(15, 1, 5, &bob, "y"),
                ],
            },
            0.0,
        );
        assert_eq!(reactions, [Reaction::DropPending(ClientMsgId("c9".into()))]);
        let c = &state.conversations[&general];
        assert_eq!(
            c.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert!(c.loaded);
        assert!(state.outbox.is_empty());
        // The late ack of the resent copy changes nothing.
        state.apply(ack("c9", 14, 4), 0.0);
        assert_eq!(state.conversations[&general].messages.len(), 5);
    }

    #[test]
    fn a_reload_drops_a_conversation_with_a_gap_too_long() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        state.apply(
            ServerMsg::Message {
                message: message(1, 1, 1, &ann, "x"),
            },
            0.0,
        );
        state.apply(
            ServerMsg::Reload {
                conversation: general,
            },
            0.0,
        );
        let c = &state.conversations[&general];
        assert!(c.messages.is_empty() && !c.loaded);
        assert!(state.cursors().is_empty());
    }

    #[test]
    fn older_pages_exist_until_the_first_message() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        state.apply(
            ServerMsg::Replay {
                conversation: general,
                messages: (60..=70)
                    .map(|s| message(s, 1, s as u64, &ann, "x"))
                    .collect(),
            },
            0.0,
        );
        assert_eq!(
            state.older_page(general),
            Some(ClientMsg::History {
                conversation: general,
                before: Some(60)
            })
        );
        state.apply(
            ServerMsg::History {
                conversation: general,
                messages: (1..60)
                    .map(|s| message(s, 1, s as u64, &ann, "x"))
                    .collect(),
                has_more: false,
            },
            0.0,
        );
        assert_eq!(state.older_page(general), None);
    }

    #[test]
    fn a_saved_session_restores_the_chat_the_cursors_and_the_outbox() {
        let ann = user(1, "Ann");
        let bob = user(2, "Bob");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        for seq in 1..=70 {
            let m = message(seq as i64, 1, seq, &bob, "x");
            state.apply(ServerMsg::Message { message: m }, 0.0);
        }
        let (first, _) = state
            .send(general, ClientMsgId("a".into()), "one".into(), 5.0)
            .unwrap();
        let (second, _) = state
            .send(general, ClientMsgId("b".into()), "two".into(), 6.0)
            .unwrap();
        let stray = Pending {
            conversation: ConversationId(99),
            ..first.clone()
        };
        let saved = state.saved().unwrap();
        assert_eq!(saved.conversations[0].messages.len(), HISTORY_PAGE as usize);
        // Through JSON, as the browser keeps it; the outbox comes back in any order.
        let saved: Saved = serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
        let restored = ChatState::restore(saved, vec![second.clone(), stray, first.clone()]);
        assert_eq!(restored.me(), Some(&ann));
        assert_eq!(restored.outbox, [first, second]);
        assert_eq!(
            restored.cursors(),
            [Cursor {
                conversation: general,
                seq: 70
            }]
        );
        let c = &restored.conversations[&general];
        assert!(c.loaded && c.has_more());
        assert_eq!(restored.title(general), "# general");
        assert_eq!(ChatState::default().saved(), None);
    }

    #[test]
    fn typing_expires_and_excludes_the_user() {
        let ann = user(1, "Ann");
        let bob = user(2, "Bob");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        state.apply(ServerMsg::Presence { user: bob.clone() }, 0.0);
        state.apply(
            ServerMsg::Typing {
                conversation: ConversationId(1),
                user: bob.id,
            },
            1000.0,
        );
        state.apply(
            ServerMsg::Typing {
                conversation: ConversationId(1),
                user: ann.id,
            },
            1000.0,
        );
        assert_eq!(state.typing(ConversationId(1), 5999.0), ["Bob"]);
        assert!(state.typing(ConversationId(1), 6001.0).is_empty());
    }

    #[test]
    fn login_errors_go_to_the_form_and_an_invalid_session_logs_out() {
        let mut state = ChatState {
            session: Session::Pending,
            ..ChatState::default()
        };
        state.apply(ServerMsg::error(ErrorCode::NicknameTaken, "taken"), 0.0);
        assert_eq!(
            state.login_error,
            Some((ErrorCode::NicknameTaken, "taken".into()))
        );
        assert_eq!(state.session, Session::Anonymous);
        ready(&mut state, &user(1, "Ann"), None);
        assert_eq!(
            state.apply(ServerMsg::error(ErrorCode::SessionInvalid, "gone"), 0.0),
            [Reaction::ClearToken]
        );
        assert_eq!(state.session, Session::Anonymous);
        assert!(state.conversations.is_empty());
    }

    #[test]
    fn presence_updates_the_people_and_the_server_counts_who_is_online() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        assert_eq!(state.online_count, 1);
        for _ in 0..2 {
            state.apply(
                ServerMsg::Presence {
                    user: user(2, "bob"),
                },
                0.0,
            );
        }
        state.apply(ServerMsg::Online { count: 40 }, 0.0);
        assert_eq!(state.online_count, 40, "the server's count, not the list's");
        assert_eq!(state.users.values().filter(|u| u.online).count(), 2);
        let mut gone = user(2, "bob");
        gone.online = false;
        state.apply(ServerMsg::Presence { user: gone }, 0.0);
        assert_eq!(
            state
                .users
                .values()
                .filter(|u| u.online)
                .map(|u| u.nickname.as_str())
                .collect::<Vec<_>>(),
            ["Ann"]
        );
    }

    #[test]
    fn links_are_found_in_text() {
        assert_eq!(
            linkify("see https://example.org/a?b=1, or http://x.y."),
            [
                (false, "see "),
                (true, "https://example.org/a?b=1"),
                (false, ", or "),
                (true, "http://x.y"),
                (false, ".")
            ]
        );
        assert_eq!(linkify("<b>no link</b>"), [(false, "<b>no link</b>")]);
    }
}
