//! What the client does when the user blocks someone: what it had of them goes (no
//! placeholder), the list is kept across a reload, and an unblock loads the
//! conversations again so their messages come back.

use super::*;

#[test]
fn blocking_drops_what_the_client_had_of_the_person_and_unblocking_reloads() {
    let (ann, bob, cat) = (user(1, "Ann"), user(2, "Bob"), user(3, "Cat"));
    let mut state = ChatState::default();
    ready(&mut state, &ann, Some("token"));
    let general = ConversationId(1);
    for (seq, who) in [(1, &bob), (2, &cat), (3, &bob)] {
        let m = message(seq as i64, 1, seq, who, "hi");
        state.apply(ServerMsg::Message { message: m }, 0.0);
    }
    state.apply(
        ServerMsg::Typing {
            conversation: general,
            user: bob.id,
        },
        0.0,
    );
    state.take_changes();

    state.apply(
        ServerMsg::Blocked {
            users: vec![bob.clone()],
        },
        10.0,
    );
    let c = &state.conversations[&general];
    assert_eq!(c.messages().iter().map(|m| m.seq).collect::<Vec<_>>(), [2]);
    assert!(c.typing.is_empty());
    assert!(state.blocks(bob.id) && !state.blocks(cat.id));
    assert_eq!(state.blocked_people(), vec![bob.clone()]);
    assert!(!state.take_changes().is_empty());

    // Kept across a reload, so a `ready` without Bob is an unblock made elsewhere.
    let mut restored = ChatState::default();
    restored.restore(state.saved().unwrap(), vec![]);
    assert!(restored.blocks(bob.id));
    assert!(restored.conversations[&general].loaded);
    ready(&mut restored, &ann, None);
    assert!(!restored.blocks(bob.id));
    let c = &restored.conversations[&general];
    assert!(c.messages().is_empty() && !c.loaded, "loads again");
}

#[test]
fn a_private_conversation_with_someone_blocked_is_closed_to_the_user() {
    let (ann, bob) = (user(1, "Ann"), user(2, "Bob"));
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let direct = ConversationInfo {
        id: ConversationId(7),
        kind: ConversationKind::Direct {
            users: [ann.id, bob.id],
        },
        ..room(7, "x", 0)
    };
    state.apply(
        ServerMsg::Joined {
            conversation: direct,
        },
        0.0,
    );
    assert_eq!(state.blocked_peer(ConversationId(7)), None);
    state.apply(
        ServerMsg::Blocked {
            users: vec![bob.clone()],
        },
        0.0,
    );
    assert_eq!(state.blocked_peer(ConversationId(7)), Some(bob));
    assert_eq!(state.blocked_peer(ConversationId(1)), None, "a room");
}
