//! What the client shows of moderation: who moderates, whom the user may moderate, a
//! timeout, a removal (also one that happened while away), and the audit log's pages.

use super::*;
use crate::protocol::{AuditAction, AuditEntry, AuditId, Author, Removal, Role, Staff};

fn entry(id: i64, action: AuditAction) -> AuditEntry {
    AuditEntry {
        id: AuditId(id),
        at_ms: id,
        actor: Author {
            id: UserId(1),
            nickname: "Ann".into(),
            avatar: "fox".into(),
        },
        target: None,
        action,
    }
}

#[test]
fn roles_timeouts_removals_and_the_log_follow_the_server() {
    let (ann, bob) = (user(1, "Ann"), user(2, "Bob"));
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let den = ConversationId(4);
    state.apply(
        ServerMsg::Joined {
            conversation: room(4, "den", 0),
        },
        0.0,
    );
    assert_eq!(state.my_role(den), Role::Member);
    assert!(!state.may_moderate(den, bob.id));
    state.apply(
        ServerMsg::Staff {
            conversation: den,
            staff: Staff {
                owner: Some(UserId(9)),
                moderators: vec![ann.id],
            },
        },
        0.0,
    );
    assert_eq!(state.my_role(den), Role::Moderator);
    assert!(state.may_moderate(den, bob.id));
    assert!(!state.may_moderate(den, UserId(9)), "not the owner");
    assert!(!state.may_moderate(den, ann.id), "not oneself");
    assert!(
        !state.may_moderate(ConversationId(1), bob.id),
        "nothing in general"
    );
    // A timeout, until the server lifts it (or it passes).
    state.apply(
        ServerMsg::TimedOut {
            conversation: den,
            until_ms: 5_000,
        },
        1_000.0,
    );
    assert_eq!(state.timed_out_until(den, 1_000.0), Some(5_000));
    assert_eq!(state.timed_out_until(den, 6_000.0), None, "passed");
    state.apply(
        ServerMsg::TimedOut {
            conversation: den,
            until_ms: 0,
        },
        2_000.0,
    );
    assert_eq!(state.timed_out_until(den, 2_000.0), None);
    // Slow mode holds members, not the moderator the user is.
    state.apply(
        ServerMsg::SlowMode {
            conversation: den,
            seconds: 30,
        },
        2_000.0,
    );
    assert_eq!(state.slow_mode(den), 30);
    assert_eq!(state.slow_mode_for_me(den), None, "a moderator is not held");
    // The log: a page, an entry as it happens, an older page.
    state.open_audit(Some(den));
    state.apply(
        ServerMsg::AuditLog {
            conversation: den,
            entries: vec![
                entry(7, AuditAction::Kicked),
                entry(6, AuditAction::Unbanned),
            ],
            has_more: true,
        },
        0.0,
    );
    state.apply(
        ServerMsg::Audited {
            conversation: den,
            entry: entry(8, AuditAction::TimeoutLifted),
        },
        0.0,
    );
    state.apply(
        ServerMsg::AuditLog {
            conversation: den,
            entries: vec![entry(5, AuditAction::Kicked)],
            has_more: false,
        },
        0.0,
    );
    let shown = state.audit.as_ref().unwrap();
    let ids: Vec<i64> = shown.entries.iter().map(|e| e.id.0).collect();
    assert_eq!(ids, vec![8, 7, 6, 5]);
    assert!(!shown.has_more);
    // Banned: the room goes, the log with it, and the user is told which room.
    state.apply(
        ServerMsg::Left {
            conversation: den,
            removed: Some(Removal::Banned),
        },
        0.0,
    );
    assert!(state.audit.is_none());
    assert_eq!(
        state.removed,
        Some(Removed {
            room: "den".into(),
            how: Removal::Banned
        })
    );
    state.dismiss_removed();
    assert_eq!(state.removed, None);
}

#[test]
fn a_removal_while_away_is_named_after_the_next_ready() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    state.apply(
        ServerMsg::Joined {
            conversation: room(4, "den", 0),
        },
        0.0,
    );
    // The resume's `ready` no longer lists the room; `left` then says why.
    ready(&mut state, &ann, None);
    assert!(!state.conversations.contains_key(&ConversationId(4)));
    state.apply(
        ServerMsg::Left {
            conversation: ConversationId(4),
            removed: Some(Removal::Banned),
        },
        0.0,
    );
    assert_eq!(state.removed.map(|r| r.room), Some("den".into()));
}

#[test]
fn slow_mode_holds_a_member_and_comes_with_the_room() {
    let ann = user(1, "Ann");
    let mut state = ChatState::default();
    ready(&mut state, &ann, None);
    let den = ConversationId(4);
    let mut info = room(4, "den", 0);
    info.slow_mode_s = 10;
    state.apply(ServerMsg::Joined { conversation: info }, 0.0);
    assert_eq!(state.slow_mode_for_me(den), Some(10));
    state.apply(
        ServerMsg::SlowMode {
            conversation: den,
            seconds: 0,
        },
        0.0,
    );
    assert_eq!(state.slow_mode_for_me(den), None, "off");
}
