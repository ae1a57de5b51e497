//! One person on several devices: read marks from the other devices, read receipts,
//! and the dialogs of linking a device.

use super::*;

fn direct(id: i64, a: i64, b: i64, last_seq: Seq, reads: Vec<ReadMark>) -> ConversationInfo {
    ConversationInfo {
        id: ConversationId(id),
        kind: ConversationKind::Direct {
            users: [UserId(a), UserId(b)],
        },
        last_seq,
        read_seq: 0,
        unread: 0,
        mentions: 0,
        reads,
        read_count: None,
        staff: Default::default(),
        timed_out_until_ms: None,
        slow_mode_s: 0,
    }
}

fn mark(user: i64, seq: Seq, at_ms: i64) -> ReadMark {
    ReadMark {
        user: UserId(user),
        seq,
        at_ms,
    }
}

fn history(conv: i64, messages: Vec<ChatMessage>) -> ServerMsg {
    ServerMsg::History {
        conversation: ConversationId(conv),
        messages,
        has_more: false,
    }
}

/// Ann logged in, with her private conversation 5 with user 2.
fn with_direct(ann: &UserInfo) -> ChatState {
    let mut state = ChatState::default();
    ready(&mut state, ann, None);
    state.apply(
        ServerMsg::Joined {
            conversation: direct(5, 1, 2, 0, vec![]),
        },
        0.0,
    );
    state
}

#[test]
fn seen_goes_under_the_newest_own_message_the_other_has_read() {
    let (ann, bob) = (user(1, "Ann"), user(2, "Bob"));
    let mut state = with_direct(&ann);
    state.apply(ServerMsg::Presence { user: bob.clone() }, 0.0);
    state.apply(
        history(
            5,
            vec![
                message(10, 5, 1, &ann, "one"),
                message(11, 5, 2, &ann, "two"),
                message(12, 5, 3, &ann, "three"),
            ],
        ),
        0.0,
    );
    let id = ConversationId(5);
    assert_eq!(state.receipt(id), None, "nothing read yet");
    state.apply(
        ServerMsg::Read {
            conversation: id,
            reads: vec![mark(2, 2, 77)],
        },
        0.0,
    );
    let seen = state.receipt(id).unwrap();
    assert_eq!((seen.seq, seen.direct), (2, true));
    assert_eq!(seen.seen_at_ms, Some(77));
    assert_eq!(seen.readers, ["Bob"]);
    // A mark never goes back; a newer one moves the receipt.
    state.apply(
        ServerMsg::Read {
            conversation: id,
            reads: vec![mark(2, 1, 78)],
        },
        0.0,
    );
    assert_eq!(state.receipt(id).unwrap().seq, 2);
    state.apply(
        ServerMsg::Read {
            conversation: id,
            reads: vec![mark(2, 3, 90)],
        },
        0.0,
    );
    assert_eq!(state.receipt(id).unwrap().seq, 3);
    // Turned off in another tab: no receipts shown.
    state.apply(ServerMsg::ReceiptsShared { on: false }, 0.0);
    assert_eq!(state.receipt(id), None);
}

#[test]
fn a_room_counts_its_readers_and_a_reply_tells_nothing() {
    let (ann, bob, cy) = (user(1, "Ann"), user(2, "Bob"), user(3, "Cy"));
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.apply(
        ServerMsg::People {
            users: vec![bob.clone(), cy.clone()],
        },
        0.0,
    );
    let mut den = room(6, "den", 0);
    den.reads = vec![mark(3, 1, 5)];
    state.apply(ServerMsg::Joined { conversation: den }, 0.0);
    state.apply(
        history(
            6,
            vec![
                message(20, 6, 1, &ann, "hello"),
                message(21, 6, 2, &bob, "hi Ann"),
            ],
        ),
        0.0,
    );
    let receipt = state.receipt(ConversationId(6)).unwrap();
    assert_eq!((receipt.seq, receipt.direct), (1, false));
    // Bob answered, but only Cy's mark says she read it (Bob may not share his).
    assert_eq!(receipt.readers, ["Cy"]);
    state.apply(
        ServerMsg::Read {
            conversation: ConversationId(6),
            reads: vec![mark(2, 2, 9)],
        },
        0.0,
    );
    assert_eq!(
        state.receipt(ConversationId(6)).unwrap().readers,
        ["Bob", "Cy"]
    );
}

#[test]
fn a_big_room_shows_how_many_read_the_newest_own_text() {
    let (ann, bob) = (user(1, "Ann"), user(2, "Bob"));
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let mut hall = room(7, "hall", 0);
    hall.read_count = Some(crate::protocol::ReadCount { seq: 1, count: 40 });
    state.apply(ServerMsg::Joined { conversation: hall }, 0.0);
    state.apply(
        history(
            7,
            vec![
                message(30, 7, 1, &ann, "hello all"),
                message(31, 7, 2, &bob, "hi"),
            ],
        ),
        0.0,
    );
    let receipt = state.receipt(ConversationId(7)).unwrap();
    assert_eq!((receipt.seq, receipt.count), (1, 40));
    assert!(
        receipt.readers.is_empty(),
        "a big room tells how many, not who"
    );
    // A newer text of hers, read by 3: the receipt moves; an older count is ignored.
    state.apply(
        ServerMsg::Message {
            message: message(32, 7, 3, &ann, "again"),
        },
        0.0,
    );
    let count = |seq, count| ServerMsg::ReadCount {
        conversation: ConversationId(7),
        seq,
        count,
    };
    state.apply(count(3, 3), 0.0);
    state.apply(count(1, 41), 0.0);
    let receipt = state.receipt(ConversationId(7)).unwrap();
    assert_eq!((receipt.seq, receipt.count), (3, 3));
    // Not shared: nothing shown.
    state.apply(ServerMsg::ReceiptsShared { on: false }, 0.0);
    assert_eq!(state.receipt(ConversationId(7)), None);
}

#[test]
fn what_another_device_read_is_no_longer_unread_here() {
    let (ann, bob) = (user(1, "Ann"), user(2, "Bob"));
    let mut state = with_direct(&ann);
    for (id, seq) in [(30, 1), (31, 2), (32, 3)] {
        state.apply(
            ServerMsg::Message {
                message: message(id, 5, seq, &bob, "psst"),
            },
            0.0,
        );
    }
    let id = ConversationId(5);
    assert_eq!(state.conversations[&id].unread(), 3);
    // Ann's phone read the first two.
    state.apply(
        ServerMsg::Read {
            conversation: id,
            reads: vec![mark(1, 2, 50)],
        },
        0.0,
    );
    assert_eq!(state.conversations[&id].unread(), 1);
    assert_eq!(state.conversations[&id].info.read_seq, 2);
    // Told already: this tab does not report it again.
    assert!(state.read_reports().is_empty());
    state.apply(
        ServerMsg::Read {
            conversation: id,
            reads: vec![mark(1, 3, 60)],
        },
        0.0,
    );
    assert_eq!(state.conversations[&id].unread(), 0);
    // Her own mark is no receipt of hers.
    assert!(state.conversations[&id].reads.is_empty());
}

#[test]
fn closing_the_code_dialog_and_answering_a_request_are_shown_at_once() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.take_changes();
    state.apply(
        ServerMsg::LinkCode {
            code: "ABCD2345".into(),
            expires_at_ms: 1,
            link: None,
            qr: None,
        },
        0.0,
    );
    state.apply(
        ServerMsg::LinkRequest {
            link: crate::protocol::LinkId(4),
            device: Default::default(),
        },
        0.0,
    );
    assert!(state.take_changes().devices);
    state.link_answered(crate::protocol::LinkId(4));
    assert!(state.devices.requests.is_empty());
    assert!(state.take_changes().devices, "the view is told");
    state.close_link_offer();
    assert_eq!(state.devices.offer, None);
    assert!(state.take_changes().devices, "the view is told");
}
