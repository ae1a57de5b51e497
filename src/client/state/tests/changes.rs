//! Edits, deletions, reactions, replies and their quotes, jumps and search results.

use super::*;

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
    let edited = MessageBody::Edited {
        target: 1,
        text: "hello".into(),
    };
    state.apply(delivered(8, 1, 2, &ann, edited), 0.0);
    assert_eq!(shown(&state).revision, 2);
    assert!(state.outbox.is_empty());

    // A refused change leaves the outbox and says why.
    let delete = Draft::change(Change::Delete { seq: 1 });
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
    state.apply(delivered(9, 1, 3, &ann, edit), 0.0);
    let quote = |s: &ChatState| {
        *s.conversations[&ConversationId(1)].messages[1]
            .reply_to
            .clone()
            .unwrap()
    };
    assert_eq!(quote(&state).snippet, "hello");
    state.apply(
        delivered(10, 1, 4, &ann, MessageBody::Deleted { target: 1 }),
        0.0,
    );
    assert!(quote(&state).deleted);
    assert_eq!(quote(&state).snippet, "");
}
