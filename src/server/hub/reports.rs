//! Reports: a member reports a message with a reason; the room's moderators and the
//! instance admins are told at once (on every server) and can list the open ones and
//! mark them handled. The reported user is never told, nor shown a report about them
//! (a report of a moderator goes to the others).

use crate::{
    protocol::{
        normalize_text, ConversationId, ErrorCode, ReportId, ReportInfo, Seq, ServerMsg, UserId,
        REPORTS_LISTED, REPORT_REASON_MAX_CHARS,
    },
    server::{bus::Event, store::moderation::NewReport, unix_millis},
};

use super::{encode, internal, permissions::Need, refuse, ConnId, Refusal, State, UserRow};

impl State {
    /// Stores a report of message `seq` (a text by someone else, not deleted).
    pub(super) fn report(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        conversation: ConversationId,
        seq: Seq,
        reason: &str,
    ) -> Result<(), Refusal> {
        let reason = match reason.trim() {
            "" => String::new(),
            given => normalize_text(given)?,
        };
        if reason.chars().count() > REPORT_REASON_MAX_CHARS {
            return Err(refuse(
                ErrorCode::InvalidReport,
                format!("A reason has {REPORT_REASON_MAX_CHARS} characters at most."),
            ));
        }
        let new = NewReport {
            conversation,
            seq,
            reporter: user.id,
            reason,
            now_ms: unix_millis(),
        };
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.report(new).await },
            move |state, filed| {
                let Some(report) = filed.map_err(internal)? else {
                    return Err(refuse(
                        ErrorCode::InvalidReport,
                        "There is no such message of someone else's to report.",
                    ));
                };
                tracing::info!(report = report.id.0, %conversation, "message reported");
                let reply = ServerMsg::Reported { conversation, seq };
                state.send_to_conn(conn, &encode(&reply), true);
                state.bus.publish(Event::ReportFiled {
                    report: report.clone(),
                });
                state.tell_report(report);
                Ok(())
            },
        );
        Ok(())
    }

    /// Who is told of the reports of a room here: its moderators and owner who are
    /// members, and every admin online; never `reported`.
    fn report_readers(&self, room: ConversationId, reported: Option<UserId>) -> Vec<UserId> {
        let mut readers = self.conversations.moderating_members(room);
        readers.extend(self.admins.iter().filter(|a| self.live.contains_key(a)));
        readers.sort_unstable();
        readers.dedup();
        readers.retain(|u| Some(*u) != reported);
        readers
    }

    pub(super) fn tell_report(&mut self, report: ReportInfo) {
        let readers = self.report_readers(report.conversation, Some(report.reported.id));
        let frame = encode(&ServerMsg::ReportFiled { report });
        self.send_to_users(readers, &frame, true);
    }

    pub(super) fn tell_handled(&mut self, conversation: ConversationId, report: ReportId) {
        let readers = self.report_readers(conversation, None);
        let frame = encode(&ServerMsg::ReportHandled {
            conversation,
            report,
        });
        self.send_to_users(readers, &frame, true);
    }

    /// The open reports of a room (the user moderates it) or of every room (an admin),
    /// but those about the user.
    pub(super) fn list_reports(
        &mut self,
        conn: ConnId,
        user: UserId,
        conversation: Option<ConversationId>,
    ) -> Result<(), Refusal> {
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.open_reports(conversation, REPORTS_LISTED).await },
            move |state, found| {
                let mut reports = found.map_err(internal)?;
                reports.retain(|r| r.reported.id != user);
                let reply = ServerMsg::Reports {
                    conversation,
                    reports,
                };
                state.send_to_conn(conn, &encode(&reply), true);
                Ok(())
            },
        );
        Ok(())
    }

    /// Marks a report handled, for a moderator of its room (or an admin).
    pub(super) fn handle_report(
        &mut self,
        conn: ConnId,
        user: UserId,
        report: ReportId,
    ) -> Result<(), Refusal> {
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move { store.report_room(report).await },
            move |state, room| {
                let Some(room) = room.map_err(internal)? else {
                    return Err(refuse(
                        ErrorCode::NoSuchReport,
                        "There is no such open report.",
                    ));
                };
                state.authorize(user, Need::Moderator(room))?;
                let store = state.store.clone();
                state.spawn_io(
                    conn,
                    async move { store.handle_report(report, user, unix_millis()).await },
                    move |state, handled| {
                        let Some(room) = handled.map_err(internal)? else {
                            return Err(refuse(
                                ErrorCode::NoSuchReport,
                                "There is no such open report.",
                            ));
                        };
                        state.bus.publish(Event::ReportHandled {
                            conversation: room,
                            report,
                        });
                        state.tell_handled(room, report);
                        Ok(())
                    },
                );
                Ok(())
            },
        );
        Ok(())
    }
}
