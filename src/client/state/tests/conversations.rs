//! Conversations: messages in order and once, read marks, a bounded window, resume
//! and reload, older pages, unread and mention counts, a room's members.

use super::*;

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
            share_receipts: true,
            admin: false,
            blocked: vec![],
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

#[test]
fn lines_and_changes_never_count_as_unread_and_mentions_count_apart() {
    let ann = user(1, "Ann");
    let bob = user(2, "Bob");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.apply(delivered(10, 1, 1, &bob, MessageBody::Joined), 0.0);
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
    state.apply(delivered(13, 1, 4, &bob, react), 0.0);
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
            share_receipts: true,
            admin: false,
            blocked: vec![],
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
    state.apply(delivered(21, 2, 7, &dan, MessageBody::Joined), 0.0);
    state.apply(delivered(22, 2, 8, &cat, MessageBody::Left), 0.0);
    assert_eq!(names(&state), ["Bob", "Dan"]);
    state.apply(delivered(19, 2, 4, &bob, MessageBody::Left), 0.0);
    assert_eq!(names(&state), ["Bob", "Dan"]);
}
