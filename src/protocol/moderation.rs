//! Keeping a room clean: who may act in it ([`Role`]), what they did ([`AuditEntry`]),
//! and why someone is no longer in it ([`Removal`]). The server decides every one of
//! these; a client is told them to show the right actions and words.

use serde::{Deserialize, Serialize};

use super::{Author, Seq, UserId};

/// What a user may do in a room, lowest first. Nobody acts on someone of an equal or
/// higher role, or grants a role at or above their own (an owner hands theirs over).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Member,
    /// Appointed by the owner: kicks, bans, times out, removes messages, reads the log.
    Moderator,
    /// The room's creator (or whom they handed it to): one per room.
    Owner,
    /// An instance admin, named by the operator: above everyone, in every room.
    Admin,
}

impl Role {
    /// May moderate (kick, ban, time out, remove, read the log).
    pub fn moderates(self) -> bool {
        self >= Role::Moderator
    }

    pub fn is_member(&self) -> bool {
        *self == Role::Member
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Owner => "owner",
            Role::Admin => "admin",
        }
    }

    /// A stored room role (`owner` or `moderator`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Role::Owner),
            "moderator" => Some(Role::Moderator),
            _ => None,
        }
    }
}

/// Why a user is no longer in a room, when it was not their choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// Removed by a moderator; may join again.
    Kicked,
    /// Removed and may not join again.
    Banned,
}

/// Longest timeout: 28 days, in seconds.
pub const TIMEOUT_MAX_S: u32 = 28 * 24 * 3600;

/// How far back a ban may remove the banned user's messages: 7 days, in seconds.
pub const BAN_REMOVE_MAX_S: u32 = 7 * 24 * 3600;

/// Most of the banned user's texts one ban removes (the newest).
pub const BAN_REMOVE_MAX_MESSAGES: u32 = 1000;

/// Longest slow mode: 6 hours between one member's messages, in seconds.
pub const SLOW_MODE_MAX_S: u32 = 6 * 3600;

/// Entries per page of the audit log.
pub const AUDIT_PAGE: u32 = 50;

/// One entry of a room's audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditId(pub i64);

/// What a moderator (or the owner, or an admin) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AuditAction {
    Kicked,
    /// Banned, and this many of their recent texts removed.
    Banned {
        #[serde(default)]
        removed: u32,
    },
    Unbanned,
    /// May not write until `until_ms`.
    TimedOut {
        until_ms: i64,
    },
    TimeoutLifted,
    /// The target's role is now `role` (for `owner`: the room was handed over, the
    /// actor is a moderator now).
    RoleSet {
        role: Role,
    },
    /// Removed the target's message `seq`.
    MessageRemoved {
        seq: Seq,
    },
    /// Made the room private (`true`) or public.
    PrivacySet {
        private: bool,
    },
    /// Set the room's slow mode: `seconds` between one member's messages (0: off).
    SlowModeSet {
        seconds: u32,
    },
    /// Made an invite link (its code is not logged).
    InviteCreated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_uses: Option<u32>,
    },
    InviteRevoked,
}

/// An entry of the audit log: who did what to whom, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: AuditId,
    pub at_ms: i64,
    pub actor: Author,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Author>,
    #[serde(flatten)]
    pub action: AuditAction,
}

/// A report of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportId(pub i64);

/// Longest reason of a report, in characters.
pub const REPORT_REASON_MAX_CHARS: usize = 500;

/// Most open reports one `reports` answer lists (the newest).
pub const REPORTS_LISTED: u32 = 100;

/// A report as the room's moderators and the instance admins see it (never the
/// reported user: a report about a moderator is not shown to them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportInfo {
    pub id: ReportId,
    pub conversation: super::ConversationId,
    /// The room's name (none: a private conversation), so that an admin's list of every
    /// room's reports says where each is, rooms they are not in too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    pub seq: Seq,
    /// Who wrote the message.
    pub reported: Author,
    pub reporter: Author,
    pub reason: String,
    /// The beginning of the message's text when it was reported.
    pub snippet: String,
    pub at_ms: i64,
}

/// Who moderates a room, as its members are told it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moderators: Vec<UserId>,
}

impl Staff {
    pub fn is_empty(&self) -> bool {
        self.owner.is_none() && self.moderators.is_empty()
    }

    /// The role this names for `user` (not an admin's: admins are told apart).
    pub fn role_of(&self, user: UserId) -> Role {
        if self.owner == Some(user) {
            Role::Owner
        } else if self.moderators.contains(&user) {
            Role::Moderator
        } else {
            Role::Member
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ranked_and_audit_entries_read_back() {
        assert!(Role::Admin > Role::Owner && Role::Owner > Role::Moderator);
        assert!(Role::Moderator > Role::Member);
        assert!(Role::Moderator.moderates() && !Role::Member.moderates());
        assert_eq!(Role::parse("owner"), Some(Role::Owner));
        assert_eq!(
            Role::parse("admin"),
            None,
            "admins are not a room's to store"
        );
        let entry = AuditEntry {
            id: AuditId(3),
            at_ms: 5,
            actor: Author {
                id: UserId(1),
                nickname: "Ann".into(),
                avatar: "fox".into(),
            },
            target: None,
            action: AuditAction::TimedOut { until_ms: 9 },
        };
        let json = serde_json::to_string(&entry).unwrap();
        assert!(
            json.contains(r#""action":"timed_out","until_ms":9"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<AuditEntry>(&json).unwrap(), entry);
        let staff = Staff {
            owner: Some(UserId(1)),
            moderators: vec![UserId(2)],
        };
        assert_eq!(staff.role_of(UserId(2)), Role::Moderator);
        assert_eq!(staff.role_of(UserId(3)), Role::Member);
    }
}
