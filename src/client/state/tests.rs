use super::*;
use crate::protocol::{ConversationInfo, MessageId, Seq, HISTORY_PAGE};

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
        unread: 0,
        mentions: 0,
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
    state.set_focus(Some(ConversationId(1)));
    assert_eq!(state.total_unread(), 0);
    assert_eq!(
        state.read_reports(),
        [ClientMsg::MarkRead {
            conversation: ConversationId(1),
            seq: 2
        }]
    );
    assert_eq!(state.read_reports(), []);
}

#[test]
fn what_arrives_in_the_open_conversation_is_read_and_told_once() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.set_focus(Some(ConversationId(1)));
    for seq in 1..=50 {
        let m = message(100 + seq as i64, 1, seq, &bob, "hi");
        state.apply(ServerMsg::Message { message: m }, 0.0);
    }
    assert_eq!(state.total_unread(), 0);
    // Fifty messages, one report of the newest.
    assert_eq!(
        state.read_reports(),
        [ClientMsg::MarkRead {
            conversation: ConversationId(1),
            seq: 50
        }]
    );
    // Out of focus (tab hidden), messages count as unread and nothing is told.
    state.set_focus(None);
    state.apply(
        ServerMsg::Message {
            message: message(151, 1, 51, &bob, "later"),
        },
        0.0,
    );
    assert_eq!(state.total_unread(), 1);
    assert_eq!(state.read_reports(), []);
}

#[test]
fn a_busy_conversation_keeps_a_bounded_window_of_the_newest() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let total = MAX_KEPT as u64 + 40;
    for seq in 1..=total {
        let m = message(seq as i64, 1, seq, &bob, "x");
        state.apply(ServerMsg::Message { message: m }, 0.0);
    }
    let c = &state.conversations[&ConversationId(1)];
    assert_eq!(c.messages().len(), MAX_KEPT);
    assert_eq!(c.messages()[0].seq, 41);
    assert_eq!(c.cursor().map(|c| c.seq), Some(total));
    assert!(c.has_more(), "the dropped ones come back by scrolling up");
    // A duplicate of a kept message is still shown once.
    state.apply(
        ServerMsg::Message {
            message: message(total as i64, 1, total, &bob, "x"),
        },
        0.0,
    );
    assert_eq!(
        state.conversations[&ConversationId(1)].messages().len(),
        MAX_KEPT
    );
    // The reader at the bottom keeps fewer; an older page asked for is kept whole.
    state.keep_newest(ConversationId(1), 100);
    assert_eq!(
        state.conversations[&ConversationId(1)].messages()[0].seq,
        total - 99
    );
    let page: Vec<_> = (total - 149..=total - 100)
        .map(|seq| message(seq as i64, 1, seq, &bob, "old"))
        .collect();
    state.apply(
        ServerMsg::History {
            conversation: ConversationId(1),
            messages: page,
            has_more: true,
        },
        0.0,
    );
    let c = &state.conversations[&ConversationId(1)];
    assert_eq!(c.messages().len(), 150);
    assert!(c.messages().windows(2).all(|w| w[1].seq == w[0].seq + 1));
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
            text: "hi".into(),
            reply_to: None,
            mentions: Vec::new(),
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
    assert_eq!(state.outbox[0].failed, Some(ErrorCode::NotAMember));
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
            .send(
                general,
                ClientMsgId(format!("c{i}")),
                i.to_string().into(),
                0.0,
            )
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
            before: Some(60),
            from: None,
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

#[test]
fn a_resume_names_the_most_recent_conversations_and_forgets_the_rest() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    let count = MAX_RESUME_CURSORS as i64 + 40;
    state.apply(
        ServerMsg::Ready {
            me: ann.clone(),
            token: None,
            conversations: (1..=count).map(|i| room(i, &format!("r{i}"), 0)).collect(),
            rooms: vec![],
            users: vec![ann.clone()],
            online_count: 1,
        },
        0.0,
    );
    // Room i's newest message is i seconds old: the lowest numbers are the newest.
    for i in 1..=count {
        let mut m = message(1000 + i, i, 1, &bob, "x");
        m.sent_at_ms = 1_000_000 - i * 1000;
        state.apply(ServerMsg::Message { message: m }, 0.0);
    }
    let cursors = state.resume_cursors();
    assert_eq!(cursors.len(), MAX_RESUME_CURSORS);
    let mut named: Vec<i64> = cursors.iter().map(|c| c.conversation.0).collect();
    named.sort_unstable();
    assert_eq!(named, (1..=MAX_RESUME_CURSORS as i64).collect::<Vec<_>>());
    // The rest hold nothing to resume from: opened, they load their newest page.
    let oldest = &state.conversations[&ConversationId(count)];
    assert!(oldest.messages().is_empty() && !oldest.loaded);
    // And the resume fits in one frame.
    let resume = ClientMsg::Resume {
        token: "t".repeat(64),
        cursors: cursors
            .iter()
            .map(|c| Cursor {
                conversation: ConversationId(9_999_999_999),
                seq: 9_999_999_999 + c.seq,
            })
            .collect(),
    };
    assert!(
        resume.to_json().len() < 16 * 1024,
        "{}",
        resume.to_json().len()
    );
}

fn change(id: i64, seq: Seq, author: &UserInfo, body: MessageBody) -> ServerMsg {
    let mut m = message(id, 1, seq, author, "");
    m.body = body;
    ServerMsg::Message { message: m }
}

#[test]
fn lines_and_changes_never_count_as_unread_and_mentions_count_apart() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let mut joined = message(10, 1, 1, &bob, "");
    joined.body = MessageBody::Joined;
    state.apply(ServerMsg::Message { message: joined }, 0.0);
    assert_eq!(state.total_unread(), 0, "a join line is not unread");
    state.apply(
        ServerMsg::Message {
            message: message(11, 1, 2, &bob, "hi"),
        },
        0.0,
    );
    let mut mention = message(12, 1, 3, &bob, "@Ann look");
    mention.mentions = vec![ann.id];
    state.apply(ServerMsg::Message { message: mention }, 0.0);
    let react = MessageBody::Reacted {
        target: 2,
        emoji: "👍".into(),
        on: true,
    };
    state.apply(change(13, 4, &bob, react), 0.0);
    let c = &state.conversations[&ConversationId(1)];
    assert_eq!((c.unread(), c.mentions()), (2, 1));
    assert_eq!(
        c.messages[1].reactions.len(),
        1,
        "the reaction is on its message"
    );
    assert_eq!(
        c.cursor().map(|c| c.seq),
        Some(4),
        "the cursor counts the change"
    );
    assert_eq!(state.total_mentions(), 1);
    state.set_focus(Some(ConversationId(1)));
    assert_eq!((state.total_unread(), state.total_mentions()), (0, 0));
}

#[test]
fn ready_gives_the_counts_and_what_follows_is_added_once() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    let mut info = room(1, "general", 5);
    (info.read_seq, info.unread, info.mentions) = (2, 3, 1);
    state.apply(
        ServerMsg::Ready {
            me: ann.clone(),
            token: None,
            conversations: vec![info],
            rooms: vec![],
            users: vec![],
            online_count: 1,
        },
        0.0,
    );
    // A replay of what the server already counted adds nothing; what is newer does.
    let replay = ServerMsg::Replay {
        conversation: ConversationId(1),
        messages: vec![message(5, 1, 5, &bob, "old"), message(6, 1, 6, &bob, "new")],
    };
    state.apply(replay, 0.0);
    let c = &state.conversations[&ConversationId(1)];
    assert_eq!((c.unread(), c.mentions()), (4, 1));
}

#[test]
fn own_changes_are_applied_at_their_ack_and_once() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let general = ConversationId(1);
    state.apply(
        ServerMsg::Message {
            message: message(7, 1, 1, &ann, "helo"),
        },
        0.0,
    );
    let edit = Draft {
        text: "hello".into(),
        change: Some(Change::Edit { seq: 1 }),
        ..Draft::default()
    };
    let (_, sent) = state
        .send(general, ClientMsgId("e1".into()), edit, 0.0)
        .unwrap();
    assert!(
        matches!(&sent[..], [Reaction::Send(m)] if matches!(m[0], ClientMsg::Edit { seq: 1, .. }))
    );
    assert!(
        state.pending_in(general).is_empty(),
        "a change is not a pending text"
    );
    state.apply(ack("e1", 8, 2), 0.0);
    let shown = |s: &ChatState| s.conversations[&general].messages[0].clone();
    assert_eq!(
        shown(&state).body,
        MessageBody::Text {
            text: "hello".into()
        }
    );
    assert_eq!(shown(&state).revision, 2);
    // The copy every tab gets changes nothing more.
    let mut copy = message(8, 1, 2, &ann, "");
    copy.body = MessageBody::Edited {
        target: 1,
        text: "hello".into(),
    };
    state.apply(ServerMsg::Message { message: copy }, 0.0);
    assert_eq!(shown(&state).revision, 2);
    assert!(state.outbox.is_empty());

    // A refused change leaves the outbox and says why.
    let delete = Draft {
        change: Some(Change::Delete { seq: 1 }),
        ..Draft::default()
    };
    state.send(general, ClientMsgId("d1".into()), delete, 0.0);
    state.apply(
        refusal(
            "d1",
            ErrorCode::NoSuchMessage,
            "That message was deleted.",
            None,
        ),
        0.0,
    );
    assert!(state.outbox.is_empty());
    assert_eq!(state.notice, Some(ErrorCode::NoSuchMessage));
}

#[test]
fn a_reply_shows_its_quote_at_its_ack_and_the_servers_copy_replaces_it() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let general = ConversationId(1);
    state.apply(
        ServerMsg::Message {
            message: message(7, 1, 1, &bob, "question?"),
        },
        0.0,
    );
    let reply = Draft {
        text: "answer".into(),
        reply_to: Some(1),
        mentions: vec![bob.id],
        ..Draft::default()
    };
    let (_, sent) = state
        .send(general, ClientMsgId("r1".into()), reply, 0.0)
        .unwrap();
    assert!(
        matches!(&sent[..], [Reaction::Send(m)] if matches!(&m[0], ClientMsg::Send { reply_to: Some(1), mentions, .. } if mentions == &vec![bob.id]))
    );
    state.apply(ack("r1", 8, 2), 0.0);
    let c = &state.conversations[&general];
    assert_eq!(
        c.messages[1].reply_to.as_ref().map(|q| q.snippet.as_str()),
        Some("question?")
    );
    let mut copy = c.messages[1].clone();
    copy.reply_to.as_mut().unwrap().nickname = "Bob (server)".into();
    state.apply(ServerMsg::Message { message: copy }, 0.0);
    let c = &state.conversations[&general];
    assert_eq!(c.messages.len(), 2);
    assert_eq!(
        c.messages[1].reply_to.as_ref().unwrap().nickname,
        "Bob (server)"
    );
}

#[test]
fn a_jump_loads_what_is_missing_and_is_taken_once_shown() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let general = ConversationId(1);
    state.apply(
        ServerMsg::Message {
            message: message(70, 1, 70, &ann, "late"),
        },
        0.0,
    );
    assert_eq!(
        state.jump_to(general, 12),
        Some(ClientMsg::History {
            conversation: general,
            before: Some(70),
            from: Some(12)
        })
    );
    assert_eq!(state.take_jump(general), None, "not loaded yet");
    state.apply(
        ServerMsg::History {
            conversation: general,
            messages: (12..70)
                .map(|s| message(s as i64, 1, s, &ann, "x"))
                .collect(),
            has_more: true,
        },
        0.0,
    );
    assert_eq!(state.take_jump(general), Some(12));
    assert_eq!(state.take_jump(general), None);
    assert_eq!(state.jump_to(general, 40), None, "already there");
    assert_eq!(state.take_jump(general), Some(40));
}

#[test]
fn search_results_are_kept_for_the_query_asked() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let request = state.search("hello".into(), None);
    assert_eq!(
        request,
        ClientMsg::Search {
            query: "hello".into(),
            conversation: None
        }
    );
    let found = vec![message(3, 1, 3, &ann, "hello")];
    // An answer to an older query is not this one's.
    state.apply(
        ServerMsg::SearchResults {
            query: "hell".into(),
            messages: vec![],
        },
        0.0,
    );
    assert_eq!(state.search, Some(("hello".into(), None)));
    state.apply(
        ServerMsg::SearchResults {
            query: "hello".into(),
            messages: found.clone(),
        },
        0.0,
    );
    assert_eq!(state.search, Some(("hello".into(), Some(found))));
}

#[test]
fn a_reply_quotes_its_message_as_it_is_now() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.apply(
        ServerMsg::Message {
            message: message(7, 1, 1, &ann, "helo"),
        },
        0.0,
    );
    let mut reply = message(8, 1, 2, &bob, "hi");
    reply.reply_to = state.conversations[&ConversationId(1)].messages[0]
        .quote()
        .map(Box::new);
    state.apply(ServerMsg::Message { message: reply }, 0.0);
    let edit = MessageBody::Edited {
        target: 1,
        text: "hello".into(),
    };
    state.apply(change(9, 3, &ann, edit), 0.0);
    let quote = |s: &ChatState| {
        *s.conversations[&ConversationId(1)].messages[1]
            .reply_to
            .clone()
            .unwrap()
    };
    assert_eq!(quote(&state).snippet, "hello");
    state.apply(change(10, 4, &ann, MessageBody::Deleted { target: 1 }), 0.0);
    assert!(quote(&state).deleted);
    assert_eq!(quote(&state).snippet, "");
}

#[test]
fn an_outbox_entry_stored_with_the_servers_words_is_still_read() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.send(
        ConversationId(1),
        ClientMsgId("c1".into()),
        "hi".into(),
        0.0,
    );
    let mut stored = serde_json::to_value(&state.outbox[0]).unwrap();
    stored["failed"] = "Not a member of this room.".into();
    let read: Pending = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(read.failed, Some(ErrorCode::Internal));
    assert_eq!(read.text, "hi");
    stored["failed"] = "not_a_member".into();
    let read: Pending = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(read.failed, Some(ErrorCode::NotAMember));
    stored["failed"] = serde_json::Value::Null;
    let read: Pending = serde_json::from_value(stored).unwrap();
    assert_eq!(read.failed, None);
}

#[test]
fn a_rooms_members_are_asked_once_and_kept_by_newer_join_and_leave_lines() {
    let (ann, bob, cat, dan) = (
        user(1, "Ann"),
        user(2, "Bob"),
        user(3, "cat"),
        user(4, "Dan"),
    );
    let author = |u: &UserInfo| Author {
        id: u.id,
        nickname: u.nickname.clone(),
        avatar: u.avatar.clone(),
    };
    let line = |id: i64, seq: Seq, who: &UserInfo, body: MessageBody| {
        let mut m = message(id, 2, seq, who, "");
        m.body = body;
        ServerMsg::Message { message: m }
    };
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    assert_eq!(
        state.members_request(ConversationId(1)),
        None,
        "general: everyone"
    );
    state.apply(
        ServerMsg::Joined {
            conversation: room(2, "team", 5),
        },
        0.0,
    );
    let team = ConversationId(2);
    let names = |state: &ChatState| -> Vec<String> {
        let people = state.mention_candidates(team);
        people.into_iter().map(|u| u.nickname).collect()
    };
    // Until the server has listed them: those who wrote.
    state.apply(
        ServerMsg::Message {
            message: message(20, 2, 6, &bob, "hi"),
        },
        0.0,
    );
    assert_eq!(names(&state), ["Bob"]);
    assert_eq!(
        state.members_request(team),
        Some(ClientMsg::Members { conversation: team })
    );
    assert_eq!(state.members_request(team), None, "asked once");

    state.apply(
        ServerMsg::Members {
            conversation: team,
            users: vec![author(&ann), author(&bob), author(&cat)],
            more: 0,
        },
        0.0,
    );
    assert_eq!(names(&state), ["Bob", "cat"], "the members but oneself");
    // Newer lines change the list; a line it already counts does not.
    state.apply(line(21, 7, &dan, MessageBody::Joined), 0.0);
    state.apply(line(22, 8, &cat, MessageBody::Left), 0.0);
    assert_eq!(names(&state), ["Bob", "Dan"]);
    state.apply(line(19, 4, &bob, MessageBody::Left), 0.0);
    assert_eq!(names(&state), ["Bob", "Dan"]);
}
