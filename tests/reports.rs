//! Reports against a real server, on raw WebSocket clients: a member's report reaches
//! the room's moderators (never the reported user) and is handled once; an instance
//! admin, told at once when the operator names them, lists the open reports of every
//! room, rooms they are not in too, with where each is. Runs on SQLite, and on
//! PostgreSQL with `CHAT_TEST_STORE=postgres` (scripts/test.sh).

mod common;

use std::time::Duration;

use chat::{
    protocol::{ClientMsg, ErrorCode, ServerMsg},
    server::admin::{self, AdminCommand},
};
use common::{moderation::*, *};

/// How long to wait for what must not come.
const QUIET: Duration = Duration::from_millis(400);

#[tokio::test]
async fn a_report_reaches_the_moderators_never_the_reported_and_is_handled_once() {
    let Den {
        db: _db,
        server: _server,
        room,
        mut ann,
        mut moderator,
        mut bob,
        mut cat,
    } = den().await;
    let spam = post(&mut cat, room, "c-1", "cheap watches").await;
    let report = |seq| ClientMsg::Report {
        conversation: room,
        seq,
        reason: "spam".into(),
    };
    send(&mut bob.client, &report(spam)).await;
    recv_until(&mut bob.client, |m| {
        matches!(m, ServerMsg::Reported { seq, .. } if *seq == spam).then_some(())
    })
    .await;
    for tab in [&mut ann, &mut moderator] {
        let filed = recv_until(&mut tab.client, |m| match m {
            ServerMsg::ReportFiled { report } => Some(report.clone()),
            _ => None,
        })
        .await;
        assert_eq!((filed.seq, filed.reported.id), (spam, cat.me.id));
        assert_eq!(filed.reporter.id, bob.me.id);
    }
    expect_none(&mut cat.client, QUIET, |m| {
        matches!(m, ServerMsg::ReportFiled { .. })
    })
    .await;
    // A report of the moderator's own text goes to the owner, not to them.
    let theirs = post(&mut moderator, room, "m-1", "moderator's words").await;
    send(&mut bob.client, &report(theirs)).await;
    recv_until(&mut ann.client, |m| {
        matches!(m, ServerMsg::ReportFiled { report } if report.seq == theirs).then_some(())
    })
    .await;
    send(
        &mut moderator.client,
        &ClientMsg::Reports {
            conversation: Some(room),
        },
    )
    .await;
    let listed = recv_until(&mut moderator.client, |m| match m {
        ServerMsg::Reports { reports, .. } => Some(reports.clone()),
        _ => None,
    })
    .await;
    assert_eq!(listed.len(), 1, "not the one about them");
    // Members list nothing; nobody reports their own text or a made-up one.
    for msg in [
        ClientMsg::Reports {
            conversation: Some(room),
        },
        ClientMsg::Reports { conversation: None },
    ] {
        assert_eq!(
            refusal_of(&mut bob.client, &msg).await,
            Some(ErrorCode::NotAllowed)
        );
    }
    assert_eq!(
        refusal_of(&mut cat.client, &report(spam)).await,
        Some(ErrorCode::InvalidReport)
    );
    assert_eq!(
        refusal_of(&mut bob.client, &report(9_999)).await,
        Some(ErrorCode::InvalidReport)
    );
    // Handled once; a member cannot.
    let handle = ClientMsg::HandleReport {
        report: listed[0].id,
    };
    assert_eq!(
        refusal_of(&mut bob.client, &handle).await,
        Some(ErrorCode::NotAllowed)
    );
    send(&mut moderator.client, &handle).await;
    recv_until(&mut ann.client, |m| {
        matches!(m, ServerMsg::ReportHandled { report, .. } if *report == listed[0].id)
            .then_some(())
    })
    .await;
    assert_eq!(
        refusal_of(&mut moderator.client, &handle).await,
        Some(ErrorCode::NoSuchReport)
    );
}

#[tokio::test]
async fn an_admin_named_while_online_lists_and_handles_every_rooms_reports() {
    let Den {
        db,
        server,
        room,
        mut ann,
        mut bob,
        mut cat,
        ..
    } = den().await;
    let mut zed = server.login("Zed", "whale").await.unwrap();
    // Before: no list of every room's reports for them.
    assert_eq!(
        refusal_of(&mut zed.client, &ClientMsg::Reports { conversation: None }).await,
        Some(ErrorCode::NotAllowed)
    );
    let config = db.config();
    admin::run(&config, AdminCommand::Grant("Zed".into()))
        .await
        .unwrap();
    // Told while online (the server reads the list every few seconds).
    let told = recv_until(&mut zed.client, |m| match m {
        ServerMsg::InstanceAdmin { admin } => Some(*admin),
        _ => None,
    })
    .await;
    assert!(told);
    // Reports of "den" (Zed is not in it) and of a private conversation reach them.
    let spam = post(&mut cat, room, "c-1", "cheap watches").await;
    send(
        &mut bob.client,
        &ClientMsg::Report {
            conversation: room,
            seq: spam,
            reason: "spam".into(),
        },
    )
    .await;
    let filed = recv_until(&mut zed.client, |m| match m {
        ServerMsg::ReportFiled { report } => Some(report.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (filed.conversation, filed.room.as_deref()),
        (room, Some("den"))
    );
    let direct = open_direct(&mut cat, ann.me.id).await;
    let whisper = post(&mut cat, direct, "c-2", "psst, buy now").await;
    send(
        &mut ann.client,
        &ClientMsg::Report {
            conversation: direct,
            seq: whisper,
            reason: String::new(),
        },
    )
    .await;
    let filed = recv_until(&mut zed.client, |m| match m {
        ServerMsg::ReportFiled { report } if report.conversation == direct => Some(report.clone()),
        _ => None,
    })
    .await;
    assert_eq!(filed.room, None, "a private conversation has no name");

    send(&mut zed.client, &ClientMsg::Reports { conversation: None }).await;
    let listed = recv_until(&mut zed.client, |m| match m {
        ServerMsg::Reports {
            conversation: None,
            reports,
        } => Some(reports.clone()),
        _ => None,
    })
    .await;
    let wheres: Vec<_> = listed
        .iter()
        .map(|r| (r.conversation, r.room.clone(), r.snippet.clone()))
        .collect();
    assert_eq!(
        wheres,
        [
            (direct, None, "psst, buy now".to_string()),
            (room, Some("den".to_string()), "cheap watches".to_string()),
        ],
        "newest first, each with where it is"
    );
    // Handled by the admin: the room's owner is told too.
    send(
        &mut zed.client,
        &ClientMsg::HandleReport {
            report: listed[1].id,
        },
    )
    .await;
    recv_until(&mut ann.client, |m| {
        matches!(m, ServerMsg::ReportHandled { report, .. } if *report == listed[1].id)
            .then_some(())
    })
    .await;
    // No longer an admin: told, and refused the list again.
    admin::run(&config, AdminCommand::Revoke("Zed".into()))
        .await
        .unwrap();
    let told = recv_until(&mut zed.client, |m| match m {
        ServerMsg::InstanceAdmin { admin } => Some(*admin),
        _ => None,
    })
    .await;
    assert!(!told);
    assert_eq!(
        refusal_of(&mut zed.client, &ClientMsg::Reports { conversation: None }).await,
        Some(ErrorCode::NotAllowed)
    );
}
