//! What the client does with reports: the reporter sees the server took theirs; a
//! moderator's panel lists the open ones, takes new ones live and drops handled ones,
//! and counts those filed while it was closed.

use super::*;
use crate::protocol::{Author, ReportId, ReportInfo};

fn report(id: i64, conversation: i64) -> ReportInfo {
    let author = |id: i64, name: &str| Author {
        id: UserId(id),
        nickname: name.into(),
        avatar: "fox".into(),
    };
    ReportInfo {
        id: ReportId(id),
        conversation: ConversationId(conversation),
        room: Some(format!("room-{conversation}")),
        seq: 3,
        reported: author(2, "Bob"),
        reporter: author(3, "Cat"),
        reason: "spam".into(),
        snippet: "buy now".into(),
        at_ms: 5,
    }
}

#[test]
fn the_reports_panel_follows_reports_filed_and_handled() {
    let room = ConversationId(4);
    let mut state = ChatState::default();
    ready(&mut state, &user(1, "Ann"), None);
    // Filed while the panel is closed: counted.
    state.apply(
        ServerMsg::ReportFiled {
            report: report(1, 4),
        },
        0.0,
    );
    state.apply(
        ServerMsg::ReportFiled {
            report: report(2, 9),
        },
        0.0,
    );
    assert_eq!(state.unseen_reports(room), 1);

    state.open_reports(Some(room));
    assert_eq!(state.unseen_reports(room), 0, "seen once opened");
    assert_eq!(state.reports_view.as_ref().unwrap().reports, None);
    // Another room's answer is not this panel's.
    state.apply(
        ServerMsg::Reports {
            conversation: Some(ConversationId(9)),
            reports: vec![report(2, 9)],
        },
        0.0,
    );
    assert_eq!(state.reports_view.as_ref().unwrap().reports, None);
    state.apply(
        ServerMsg::Reports {
            conversation: Some(room),
            reports: vec![report(1, 4)],
        },
        0.0,
    );
    state.apply(
        ServerMsg::ReportFiled {
            report: report(3, 4),
        },
        0.0,
    );
    state.apply(
        ServerMsg::ReportFiled {
            report: report(3, 4),
        },
        0.0,
    );
    let ids = |s: &ChatState| -> Vec<i64> {
        s.reports_view
            .as_ref()
            .unwrap()
            .reports
            .as_ref()
            .unwrap()
            .iter()
            .map(|r| r.id.0)
            .collect()
    };
    assert_eq!(ids(&state), [3, 1], "newest first, once");
    assert_eq!(state.unseen_reports(room), 0);
    state.apply(
        ServerMsg::ReportHandled {
            conversation: room,
            report: ReportId(1),
        },
        0.0,
    );
    assert_eq!(ids(&state), [3]);
    // Another panel's clean-up does not close this one.
    state.close_reports(None);
    assert!(state.reports_view.is_some());
    state.close_reports(Some(room));
    assert_eq!(state.reports_view, None);
}

#[test]
fn an_admins_list_of_every_room_takes_every_rooms_reports() {
    let mut state = ChatState::default();
    ready(&mut state, &user(1, "Ann"), None);
    assert!(!state.admin);
    // Made an admin while online: told at once.
    state.apply(ServerMsg::InstanceAdmin { admin: true }, 0.0);
    assert!(state.admin);
    for (id, room) in [(1, 4), (2, 9)] {
        state.apply(
            ServerMsg::ReportFiled {
                report: report(id, room),
            },
            0.0,
        );
    }
    assert_eq!(state.unseen_reports_anywhere(), 2);

    state.open_reports(None);
    assert_eq!(state.unseen_reports_anywhere(), 0, "seen once opened");
    // A room's answer is not the list of every room's.
    state.apply(
        ServerMsg::Reports {
            conversation: Some(ConversationId(4)),
            reports: vec![report(1, 4)],
        },
        0.0,
    );
    assert_eq!(state.reports_view.as_ref().unwrap().reports, None);
    state.apply(
        ServerMsg::Reports {
            conversation: None,
            reports: vec![report(2, 9), report(1, 4)],
        },
        0.0,
    );
    state.apply(
        ServerMsg::ReportFiled {
            report: report(3, 7),
        },
        0.0,
    );
    state.apply(
        ServerMsg::ReportHandled {
            conversation: ConversationId(9),
            report: ReportId(2),
        },
        0.0,
    );
    let listed: Vec<(i64, Option<String>)> = state
        .reports_view
        .as_ref()
        .unwrap()
        .reports
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| (r.id.0, r.room.clone()))
        .collect();
    assert_eq!(
        listed,
        [(3, Some("room-7".into())), (1, Some("room-4".into()))],
        "a new one of any room on top, a handled one gone"
    );
    assert_eq!(state.unseen_reports_anywhere(), 0);

    // No longer an admin: the list of every room closes.
    state.apply(ServerMsg::InstanceAdmin { admin: false }, 0.0);
    assert!(!state.admin);
    assert_eq!(state.reports_view, None);
}

#[test]
fn the_reporter_learns_the_report_was_taken() {
    let mut state = ChatState::default();
    ready(&mut state, &user(1, "Ann"), None);
    assert!(!state.was_reported(ConversationId(1), 3));
    state.apply(
        ServerMsg::Reported {
            conversation: ConversationId(1),
            seq: 3,
        },
        0.0,
    );
    assert!(state.was_reported(ConversationId(1), 3));
    assert!(!state.was_reported(ConversationId(1), 4));
}
