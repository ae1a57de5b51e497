//! Every JSON example in docs/PROTOCOL.md parses as the message it documents, and
//! every message type of src/protocol.rs has an example there.

use std::collections::BTreeSet;

use chat::protocol::{ClientMsg, ServerMsg};

const DOC: &str = include_str!("../docs/PROTOCOL.md");

/// The ```json client / ```json server blocks of the document, in order.
fn examples(side: &str) -> Vec<String> {
    let fence = format!("```json {side}");
    let mut found = Vec::new();
    let mut rest = DOC;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body
            .find("```")
            .expect("unclosed code block in PROTOCOL.md");
        found.push(body[..end].trim().to_string());
        rest = &body[end + 3..];
    }
    found
}

// Exhaustive matches: a new variant does not compile until it is named here,
// and the test below then fails until PROTOCOL.md has an example of it.
// Keep each list beside its match.
fn client_tag(msg: &ClientMsg) -> &'static str {
    match msg {
        ClientMsg::Ping { .. } => "ping",
        ClientMsg::Login { .. } => "login",
        ClientMsg::Resume { .. } => "resume",
        ClientMsg::Logout => "logout",
        ClientMsg::Send { .. } => "send",
        ClientMsg::Edit { .. } => "edit",
        ClientMsg::Delete { .. } => "delete",
        ClientMsg::React { .. } => "react",
        ClientMsg::Search { .. } => "search",
        ClientMsg::JoinRoom { .. } => "join_room",
        ClientMsg::LeaveRoom { .. } => "leave_room",
        ClientMsg::OpenDirect { .. } => "open_direct",
        ClientMsg::History { .. } => "history",
        ClientMsg::Members { .. } => "members",
        ClientMsg::Typing { .. } => "typing",
        ClientMsg::MarkRead { .. } => "mark_read",
        ClientMsg::LinkStart { .. } => "link_start",
        ClientMsg::LinkRedeem { .. } => "link_redeem",
        ClientMsg::LinkConfirm { .. } => "link_confirm",
        ClientMsg::LinkCancel => "link_cancel",
        ClientMsg::Devices => "devices",
        ClientMsg::EndSession { .. } => "end_session",
        ClientMsg::EndOtherSessions => "end_other_sessions",
        ClientMsg::ShareReceipts { .. } => "share_receipts",
        ClientMsg::PasskeyAddStart { .. } => "passkey_add_start",
        ClientMsg::PasskeyAdd { .. } => "passkey_add",
        ClientMsg::Passkeys => "passkeys",
        ClientMsg::PasskeyRemove { .. } => "passkey_remove",
        ClientMsg::PasskeySignInStart => "passkey_sign_in_start",
        ClientMsg::PasskeySignIn { .. } => "passkey_sign_in",
        ClientMsg::SetRole { .. } => "set_role",
        ClientMsg::Kick { .. } => "kick",
        ClientMsg::Ban { .. } => "ban",
        ClientMsg::Unban { .. } => "unban",
        ClientMsg::Timeout { .. } => "timeout",
        ClientMsg::AuditLog { .. } => "audit_log",
        ClientMsg::BanFromServer { .. } => "ban_from_server",
        ClientMsg::Report { .. } => "report",
        ClientMsg::Reports { .. } => "reports",
        ClientMsg::HandleReport { .. } => "handle_report",
        ClientMsg::SetPrivate { .. } => "set_private",
        ClientMsg::SetSlowMode { .. } => "set_slow_mode",
        ClientMsg::CreateInvite { .. } => "create_invite",
        ClientMsg::Invites { .. } => "invites",
        ClientMsg::RevokeInvite { .. } => "revoke_invite",
        ClientMsg::JoinInvite { .. } => "join_invite",
        ClientMsg::Block { .. } => "block",
        ClientMsg::Unblock { .. } => "unblock",
    }
}
const ALL_CLIENT_TAGS: &[&str] = &[
    "ping",
    "login",
    "resume",
    "logout",
    "send",
    "edit",
    "delete",
    "react",
    "search",
    "join_room",
    "leave_room",
    "open_direct",
    "history",
    "members",
    "typing",
    "mark_read",
    "link_start",
    "link_redeem",
    "link_confirm",
    "link_cancel",
    "devices",
    "end_session",
    "end_other_sessions",
    "share_receipts",
    "passkey_add_start",
    "passkey_add",
    "passkeys",
    "passkey_remove",
    "passkey_sign_in_start",
    "passkey_sign_in",
    "set_role",
    "kick",
    "ban",
    "unban",
    "timeout",
    "audit_log",
    "ban_from_server",
    "report",
    "reports",
    "handle_report",
    "set_private",
    "set_slow_mode",
    "create_invite",
    "invites",
    "revoke_invite",
    "join_invite",
    "block",
    "unblock",
];

fn server_tag(msg: &ServerMsg) -> &'static str {
    match msg {
        ServerMsg::Welcome { .. } => "welcome",
        ServerMsg::Pong { .. } => "pong",
        ServerMsg::Ready { .. } => "ready",
        ServerMsg::Message { .. } => "message",
        ServerMsg::Ack { .. } => "ack",
        ServerMsg::Replay { .. } => "replay",
        ServerMsg::Reload { .. } => "reload",
        ServerMsg::History { .. } => "history",
        ServerMsg::Joined { .. } => "joined",
        ServerMsg::Left { .. } => "left",
        ServerMsg::Rooms { .. } => "rooms",
        ServerMsg::People { .. } => "people",
        ServerMsg::Presence { .. } => "presence",
        ServerMsg::Online { .. } => "online",
        ServerMsg::Typing { .. } => "typing",
        ServerMsg::SearchResults { .. } => "search_results",
        ServerMsg::Members { .. } => "members",
        ServerMsg::LinkCode { .. } => "link_code",
        ServerMsg::LinkWaiting { .. } => "link_waiting",
        ServerMsg::LinkRequest { .. } => "link_request",
        ServerMsg::LinkDone { .. } => "link_done",
        ServerMsg::Devices { .. } => "devices",
        ServerMsg::Read { .. } => "read",
        ServerMsg::ReadCount { .. } => "read_count",
        ServerMsg::ReceiptsShared { .. } => "receipts_shared",
        ServerMsg::PasskeyCreation { .. } => "passkey_creation",
        ServerMsg::PasskeyRequest { .. } => "passkey_request",
        ServerMsg::Passkeys { .. } => "passkeys",
        ServerMsg::Staff { .. } => "staff",
        ServerMsg::TimedOut { .. } => "timed_out",
        ServerMsg::AuditLog { .. } => "audit_log",
        ServerMsg::Audited { .. } => "audited",
        ServerMsg::Reported { .. } => "reported",
        ServerMsg::Reports { .. } => "reports",
        ServerMsg::ReportFiled { .. } => "report_filed",
        ServerMsg::ReportHandled { .. } => "report_handled",
        ServerMsg::InstanceAdmin { .. } => "instance_admin",
        ServerMsg::Privacy { .. } => "privacy",
        ServerMsg::SlowMode { .. } => "slow_mode",
        ServerMsg::Invites { .. } => "invites",
        ServerMsg::InviteAccepted { .. } => "invite_accepted",
        ServerMsg::Blocked { .. } => "blocked",
        ServerMsg::Error { .. } => "error",
    }
}
const ALL_SERVER_TAGS: &[&str] = &[
    "welcome",
    "pong",
    "ready",
    "message",
    "ack",
    "replay",
    "reload",
    "history",
    "joined",
    "left",
    "rooms",
    "people",
    "presence",
    "online",
    "typing",
    "search_results",
    "members",
    "link_code",
    "link_waiting",
    "link_request",
    "link_done",
    "devices",
    "read",
    "read_count",
    "receipts_shared",
    "passkey_creation",
    "passkey_request",
    "passkeys",
    "staff",
    "timed_out",
    "audit_log",
    "audited",
    "reported",
    "reports",
    "report_filed",
    "report_handled",
    "instance_admin",
    "privacy",
    "slow_mode",
    "invites",
    "invite_accepted",
    "blocked",
    "error",
];

#[test]
fn client_examples_parse_and_cover_every_client_message() {
    let mut seen = BTreeSet::new();
    for example in examples("client") {
        let msg: ClientMsg =
            serde_json::from_str(&example).unwrap_or_else(|e| panic!("{example}: {e}"));
        seen.insert(client_tag(&msg));
    }
    assert_eq!(seen, ALL_CLIENT_TAGS.iter().copied().collect());
}

#[test]
fn server_examples_parse_and_cover_every_server_message() {
    let mut seen = BTreeSet::new();
    for example in examples("server") {
        let msg: ServerMsg =
            serde_json::from_str(&example).unwrap_or_else(|e| panic!("{example}: {e}"));
        seen.insert(server_tag(&msg));
    }
    assert_eq!(seen, ALL_SERVER_TAGS.iter().copied().collect());
}
