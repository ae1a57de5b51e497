use super::*;
use crate::protocol::{ConversationInfo, MessageId, ReadMark, Seq, HISTORY_PAGE};

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
            private: false,
        },
        last_seq,
        read_seq: last_seq,
        unread: 0,
        mentions: 0,
        reads: vec![],
        read_count: None,
        staff: Default::default(),
        timed_out_until_ms: None,
        slow_mode_s: 0,
    }
}

fn message(id: i64, conv: i64, seq: Seq, author: &UserInfo, text: &str) -> ChatMessage {
    let author = Author {
        id: author.id,
        nickname: author.nickname.clone(),
        avatar: author.avatar.clone(),
    };
    let body = MessageBody::Text { text: text.into() };
    ChatMessage::new(
        MessageId(id),
        ConversationId(conv),
        seq,
        author,
        0,
        body,
        None,
    )
}

/// The server delivering a message with this body (a line or a change).
fn delivered(id: i64, conv: i64, seq: Seq, author: &UserInfo, body: MessageBody) -> ServerMsg {
    let mut m = message(id, conv, seq, author, "");
    m.body = body;
    ServerMsg::Message { message: m }
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
            share_receipts: true,
            admin: false,
            blocked: vec![],
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

mod blocks;
mod changes;
mod conversations;
mod devices;
mod invites;
mod moderation;
mod outbox;
mod reports;

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
fn changes_name_only_what_an_update_touched() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    assert!(state.take_changes().all);
    assert!(state.take_changes().is_empty());
    state.apply(
        ServerMsg::Message {
            message: message(7, 1, 1, &bob, "hi"),
        },
        0.0,
    );
    let changes = state.take_changes();
    assert_eq!(changes.messages, [ConversationId(1)].into());
    assert!(!changes.all && !changes.people && !changes.rooms && !changes.session);
    state.apply(ServerMsg::Online { count: 3 }, 0.0);
    assert_eq!(
        state.take_changes(),
        Changes {
            people: true,
            ..Changes::default()
        }
    );
    state.keep_newest(ConversationId(1), 10);
    assert!(state.take_changes().is_empty(), "nothing was dropped");
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
    // The page was opened with an invite link: restoring keeps it.
    let mut restored = ChatState::default();
    assert_eq!(
        restored.follow_invite("k3Jx9_QmT2vLp0aZr8YwNc".into(), false),
        None
    );
    restored.restore(saved, vec![second.clone(), stray, first.clone()]);
    assert_eq!(
        restored.pending_invite.as_deref(),
        Some("k3Jx9_QmT2vLp0aZr8YwNc")
    );
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
    assert_eq!(restored.title(general).as_deref(), Some("# general"));
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
    assert_eq!(state.login_error, Some(ErrorCode::NicknameTaken));
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
