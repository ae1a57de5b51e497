//! The outbox: sent once acknowledged, retried when refused as too fast, failed
//! otherwise, sent again after a reconnect, one at a time, and read back from storage.

use super::*;

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
    // Too fast for the server's limit, or for the room's slow mode.
    for code in [ErrorCode::RateLimited, ErrorCode::SlowMode] {
        let ann = user(1, "Ann");
        let mut state = ChatState::default();
        ready(&mut state, &ann, None);
        let id = ClientMsgId("c1".into());
        let (stored, _) = state
            .send(ConversationId(1), id.clone(), "hi".into(), 0.0)
            .unwrap();
        let request = stored.request();
        let reactions = state.apply(refusal("c1", code, "slow down", Some(180)), 0.0);
        assert_eq!(
            reactions,
            [Reaction::SendAfter {
                ms: 180,
                msg: request
            }],
            "{code:?}"
        );
        assert_eq!(state.outbox[0].failed, None);
    }
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
