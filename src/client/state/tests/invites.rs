//! What the client does with private rooms and invites: a room gone private leaves
//! the list of those who are not in it and is marked for those who are; an invite
//! followed before signing in goes out at `ready`, and its room opens once accepted.

use super::*;
use crate::protocol::RoomInfo;

fn listed(id: i64, name: &str) -> RoomInfo {
    RoomInfo {
        id: ConversationId(id),
        name: name.into(),
        member_count: 3,
        private: false,
    }
}

#[test]
fn a_room_gone_private_is_dropped_by_outsiders_and_marked_by_members() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.apply(
        ServerMsg::Rooms {
            rooms: vec![listed(4, "den"), listed(5, "club")],
        },
        0.0,
    );
    state.apply(
        ServerMsg::Joined {
            conversation: room(5, "club", 0),
        },
        0.0,
    );
    for id in [4, 5] {
        state.apply(
            ServerMsg::Privacy {
                conversation: ConversationId(id),
                private: true,
            },
            0.0,
        );
    }
    assert!(!state.rooms.contains_key(&ConversationId(4)), "not hers");
    assert!(state.rooms[&ConversationId(5)].private, "hers, marked");
    assert!(state.is_private(ConversationId(5)));
    assert!(!state.is_private(ConversationId(4)));
    state.apply(
        ServerMsg::Privacy {
            conversation: ConversationId(5),
            private: false,
        },
        0.0,
    );
    assert!(!state.is_private(ConversationId(5)));
}

#[test]
fn an_invite_followed_before_signing_in_goes_out_at_ready_and_opens_its_room() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    assert_eq!(
        state.follow_invite("k3Jx9_QmT2vLp0aZr8YwNc".into(), true),
        None,
        "no session yet"
    );
    let reactions = ready(&mut state, &ann, Some("token"));
    let join = ClientMsg::JoinInvite {
        code: "k3Jx9_QmT2vLp0aZr8YwNc".into(),
    };
    assert!(
        reactions.contains(&Reaction::Send(vec![join.clone()])),
        "{reactions:?}"
    );
    assert_eq!(state.pending_invite, None, "sent once");
    let again = ready(&mut state, &ann, None);
    assert!(
        !again.contains(&Reaction::Send(vec![join])),
        "not at the next ready"
    );
    state.apply(
        ServerMsg::InviteAccepted {
            conversation: ConversationId(5),
            name: "club".into(),
        },
        0.0,
    );
    assert_eq!(state.take_invited_to().as_deref(), Some("club"));
    assert_eq!(state.take_invited_to(), None, "opened once");
}

#[test]
fn an_invite_followed_while_signed_in_goes_out_at_once_but_waits_while_disconnected() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, Some("token"));
    let code = "k3Jx9_QmT2vLp0aZr8YwNc".to_string();
    assert_eq!(
        state.follow_invite(code.clone(), true),
        Some(ClientMsg::JoinInvite { code: code.clone() })
    );
    assert_eq!(state.pending_invite, None);
    // The link is down (reconnecting): it goes out at the next `ready`.
    assert_eq!(state.follow_invite(code.clone(), false), None);
    let reactions = ready(&mut state, &ann, None);
    assert!(
        reactions.contains(&Reaction::Send(vec![ClientMsg::JoinInvite { code }])),
        "{reactions:?}"
    );
}
