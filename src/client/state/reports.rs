//! What the client knows of reports: the message the user just reported (the
//! server's answer), and for a moderator the open reports of a room, or for an instance
//! admin those of every room (the panel, kept up to date as reports are filed and
//! handled) and how many came in while it was closed.

use super::ChatState;
use crate::protocol::{ConversationId, ReportInfo, Seq, ServerMsg};

/// A room's open reports (or every room's: `conversation` none), as the server last
/// listed them and changed them since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportsView {
    pub conversation: Option<ConversationId>,
    /// `None` until the server has answered; newest first.
    pub reports: Option<Vec<ReportInfo>>,
}

impl ChatState {
    /// Applies a message about reports.
    pub(super) fn reports(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Reported { conversation, seq } => {
                self.reported = Some((conversation, seq));
            }
            ServerMsg::Reports {
                conversation,
                reports,
            } => {
                if let Some(view) = &mut self.reports_view {
                    if view.conversation == conversation {
                        view.reports = Some(reports);
                    }
                }
            }
            ServerMsg::ReportFiled { report } => {
                let conversation = report.conversation;
                match &mut self.reports_view {
                    Some(view) if view.shows(conversation) => {
                        if let Some(list) = &mut view.reports {
                            if !list.iter().any(|r| r.id == report.id) {
                                list.insert(0, report);
                            }
                        }
                    }
                    _ => *self.unseen_reports.entry(conversation).or_default() += 1,
                }
            }
            ServerMsg::ReportHandled {
                conversation,
                report,
            } => {
                if let Some(list) = self
                    .reports_view
                    .as_mut()
                    .filter(|v| v.shows(conversation))
                    .and_then(|v| v.reports.as_mut())
                {
                    list.retain(|r| r.id != report);
                }
            }
            _ => {}
        }
    }

    /// The open reports of a room (or of every room: `None`) are asked for anew; the
    /// count of new ones there is cleared.
    pub fn open_reports(&mut self, conversation: Option<ConversationId>) {
        match conversation {
            Some(c) => {
                self.unseen_reports.remove(&c);
            }
            None => self.unseen_reports.clear(),
        }
        self.reports_view = Some(ReportsView {
            conversation,
            reports: None,
        });
        self.changes.moderation = true;
    }

    /// The reports panel of `conversation` (or of every room) was closed; one opened
    /// since for another stays.
    pub fn close_reports(&mut self, conversation: Option<ConversationId>) {
        if self
            .reports_view
            .as_ref()
            .is_some_and(|v| v.conversation == conversation)
        {
            self.reports_view = None;
            self.changes.moderation = true;
        }
    }

    /// Whether the server took the user's report of this message.
    pub fn was_reported(&self, conversation: ConversationId, seq: Seq) -> bool {
        self.reported == Some((conversation, seq))
    }

    /// Reports filed in the room while its panel was closed.
    pub fn unseen_reports(&self, conversation: ConversationId) -> u32 {
        self.unseen_reports.get(&conversation).copied().unwrap_or(0)
    }

    /// Reports filed in any room while no panel showed them (an admin's count).
    pub fn unseen_reports_anywhere(&self) -> u32 {
        self.unseen_reports.values().sum()
    }
}

impl ReportsView {
    /// Whether this view lists the reports of `conversation`.
    fn shows(&self, conversation: ConversationId) -> bool {
        self.conversation.is_none_or(|c| c == conversation)
    }
}
