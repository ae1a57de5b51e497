//! What the client knows: plain data, changed only by applying server messages and
//! the user's own actions, so it is unit-tested without a browser.

use std::collections::BTreeMap;

use crate::protocol::{
    Author, ChatMessage, ClientMsg, ClientMsgId, ConversationId, ConversationInfo,
    ConversationKind, ErrorCode, MessageBody, RoomInfo, ServerMsg, UserId, UserInfo,
};

/// How long a typing signal is shown.
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

/// Where the session stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Session {
    /// Not logged in (or not yet known, before the socket is up).
    #[default]
    Anonymous,
    /// `login` or `resume` sent, no answer yet.
    Pending,
    /// Logged in as this user.
    Ready(UserInfo),
}

/// A message of the user's own that the server has not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: ClientMsgId,
    pub text: String,
    /// Why it was refused; `None` while it is on its way.
    pub failed: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub info: ConversationInfo,
    /// Known messages, ascending by sequence number, each once.
    pub messages: Vec<ChatMessage>,
    /// The newest page has been loaded since the last (re)connect.
    pub loaded: bool,
    /// Older messages than the first known exist.
    pub has_more: bool,
    pub pending: Vec<Pending>,
    /// Who is typing, until when (ms).
    pub typing: BTreeMap<UserId, f64>,
}

/// What the caller must do after applying a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Keep this session token (browser storage).
    SaveToken(String),
    /// Forget the stored token: the session is over.
    ClearToken,
    /// Send these again (unacknowledged messages after a reconnect).
    Send(Vec<ClientMsg>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatState {
    pub session: Session,
    /// The last refusal of a login, for the login form.
    pub login_error: Option<(ErrorCode, String)>,
    /// The last other error, shown as a notice.
    pub notice: Option<String>,
    pub users: BTreeMap<UserId, UserInfo>,
    pub rooms: BTreeMap<ConversationId, RoomInfo>,
    pub conversations: BTreeMap<ConversationId, Conversation>,
}

impl Conversation {
    fn new(info: ConversationInfo) -> Self {
        Self {
            info,
            messages: Vec::new(),
            loaded: false,
            has_more: false,
            pending: Vec::new(),
            typing: BTreeMap::new(),
        }
    }

    /// Adds a message unless its id is known; keeps the order by sequence number.
    fn insert(&mut self, message: ChatMessage) {
        if self.messages.iter().any(|m| m.id == message.id) {
            return;
        }
        self.info.last_seq = self.info.last_seq.max(message.seq);
        let at = self.messages.partition_point(|m| m.seq < message.seq);
        self.messages.insert(at, message);
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
            } => {
                if let Some(token) = token {
                    reactions.push(Reaction::SaveToken(token));
                }
                self.login_error = None;
                self.users = users.into_iter().map(|u| (u.id, u)).collect();
                self.users.insert(me.id, me.clone());
                self.rooms = rooms.into_iter().map(|r| (r.id, r)).collect();
                // Keep what is known of conversations still ours; reload their newest page.
                let mut old = std::mem::take(&mut self.conversations);
                for info in conversations {
                    let conversation = match old.remove(&info.id) {
                        Some(mut c) => {
                            c.info = info;
                            c.loaded = false;
                            c.typing.clear();
                            c
                        }
                        None => Conversation::new(info),
                    };
                    self.conversations
                        .insert(conversation.info.id, conversation);
                }
                let resend: Vec<ClientMsg> = self
                    .conversations
                    .values_mut()
                    .flat_map(|c| {
                        let id = c.info.id;
                        c.pending
                            .iter_mut()
                            .filter(|p| p.failed.is_none())
                            .map(move |p| ClientMsg::Send {
                                conversation: id,
                                client_id: p.client_id.clone(),
                                text: p.text.clone(),
                            })
                    })
                    .collect();
                if !resend.is_empty() {
                    reactions.push(Reaction::Send(resend));
                }
                self.session = Session::Ready(me);
            }
            ServerMsg::Message { message } => {
                let mine = self.me().is_some_and(|me| me.id == message.author.id);
                if let Some(c) = self.conversations.get_mut(&message.conversation) {
                    if let Some(id) = &message.client_id {
                        c.pending.retain(|p| &p.client_id != id);
                    }
                    c.typing.remove(&message.author.id);
                    let seq = message.seq;
                    c.insert(message);
                    if mine {
                        c.info.read_seq = c.info.read_seq.max(seq);
                    }
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
                if let (Some(c), Some(me)) = (self.conversations.get_mut(&conversation), me) {
                    if let Some(at) = c.pending.iter().position(|p| p.client_id == client_id) {
                        let pending = c.pending.remove(at);
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
                        c.has_more = has_more;
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
            ServerMsg::Room { room } => {
                if let Some(c) = self.conversations.get_mut(&room.id) {
                    if let ConversationKind::Room { member_count, .. } = &mut c.info.kind {
                        *member_count = room.member_count;
                    }
                }
                self.rooms.insert(room.id, room);
            }
            ServerMsg::Presence { user } => {
                self.users.insert(user.id, user);
            }
            ServerMsg::Typing { conversation, user } => {
                if let Some(c) = self.conversations.get_mut(&conversation) {
                    c.typing.insert(user, now_ms + TYPING_SHOWN_MS);
                }
            }
            ServerMsg::Error {
                code,
                message,
                client_id,
                ..
            } => match (code, client_id) {
                (_, Some(client_id)) => {
                    let failed = self
                        .conversations
                        .values_mut()
                        .flat_map(|c| c.pending.iter_mut())
                        .find(|p| p.client_id == client_id);
                    if let Some(p) = failed {
                        p.failed = Some(message);
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

    /// Forgets everything of the session (logout, or the server ended it).
    pub fn logged_out(&mut self) {
        *self = ChatState::default();
    }

    /// Records a message the user sends and returns the request for it.
    pub fn send(
        &mut self,
        conversation: ConversationId,
        client_id: ClientMsgId,
        text: String,
    ) -> Option<ClientMsg> {
        let c = self.conversations.get_mut(&conversation)?;
        c.pending.push(Pending {
            client_id: client_id.clone(),
            text: text.clone(),
            failed: None,
        });
        Some(ClientMsg::Send {
            conversation,
            client_id,
            text,
        })
    }

    /// Marks a refused message as on its way again and returns the request for it.
    pub fn retry(
        &mut self,
        conversation: ConversationId,
        client_id: &ClientMsgId,
    ) -> Option<ClientMsg> {
        let c = self.conversations.get_mut(&conversation)?;
        let p = c.pending.iter_mut().find(|p| &p.client_id == client_id)?;
        p.failed = None;
        Some(ClientMsg::Send {
            conversation,
            client_id: client_id.clone(),
            text: p.text.clone(),
        })
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
        (c.loaded && c.has_more).then_some(ClientMsg::History {
            conversation,
            before: Some(first.seq),
        })
    }

    pub fn total_unread(&self) -> u64 {
        self.conversations.values().map(Conversation::unread).sum()
    }

    /// Users online, by nickname.
    pub fn online(&self) -> Vec<&UserInfo> {
        let mut users: Vec<&UserInfo> = self.users.values().filter(|u| u.online).collect();
        users.sort_by_key(|u| u.nickname.to_lowercase());
        users
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
            },
            0.0,
        )
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
        assert!(state.send(general, id.clone(), "hi".into()).is_some());
        assert_eq!(state.conversations[&general].pending.len(), 1);
        state.apply(
            ServerMsg::Ack {
                client_id: id.clone(),
                id: MessageId(5),
                conversation: general,
                seq: 3,
                sent_at_ms: 9,
            },
            0.0,
        );
        let c = &state.conversations[&general];
        assert!(c.pending.is_empty());
        assert_eq!(c.messages.len(), 1);
        let mut echoed = message(5, 1, 3, &ann, "hi");
        echoed.client_id = Some(id);
        state.apply(ServerMsg::Message { message: echoed }, 0.0);
        let c = &state.conversations[&general];
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.unread(), 0, "own messages are read");
    }

    #[test]
    fn a_refused_message_is_marked_failed_and_can_be_retried() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let general = ConversationId(1);
        let id = ClientMsgId("c1".into());
        state.send(general, id.clone(), "hi".into());
        state.apply(
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
                retry_after_ms: Some(100),
                client_id: Some(id.clone()),
            },
            0.0,
        );
        assert_eq!(
            state.conversations[&general].pending[0].failed.as_deref(),
            Some("slow down")
        );
        assert!(state.retry(general, &id).is_some());
        assert_eq!(state.conversations[&general].pending[0].failed, None);
    }

    #[test]
    fn unacknowledged_messages_are_sent_again_after_a_reconnect() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let msg = state
            .send(ConversationId(1), ClientMsgId("c1".into()), "hi".into())
            .unwrap();
        assert_eq!(ready(&mut state, &ann, None), [Reaction::Send(vec![msg])]);
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
    fn online_users_count_once_and_go_offline() {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        state.apply(
            ServerMsg::Presence {
                user: user(2, "bob"),
            },
            0.0,
        );
        state.apply(
            ServerMsg::Presence {
                user: user(2, "bob"),
            },
            0.0,
        );
        assert_eq!(state.online().len(), 2);
        let mut gone = user(2, "bob");
        gone.online = false;
        state.apply(ServerMsg::Presence { user: gone }, 0.0);
        assert_eq!(
            state
                .online()
                .iter()
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
