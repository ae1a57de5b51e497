//! Moderation in storage: each room's owner and moderators, its bans and timeouts, its
//! audit log, and the instance admins. An action and its audit entry are one
//! transaction; what the hub keeps in memory of it is read with the conversations.

use crate::protocol::{AuditAction, AuditEntry, AuditId, Author, ConversationId, Role, UserId};

use super::UserRow;

/// What a moderator (or the owner, or an admin) does to a user in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Out of the room (and out of any role in it); may join again.
    Kick,
    /// Out for good; their texts since `remove_since_ms` (if given) are listed to be
    /// removed.
    Ban {
        remove_since_ms: Option<i64>,
    },
    Unban,
    /// No writing until `until_ms`; 0 lifts it.
    Timeout {
        until_ms: i64,
    },
    /// Moderator or member; owner hands the room over (the old owner, if any, becomes
    /// a moderator).
    SetRole(Role),
}

/// An action to store ([`super::Storage::moderate`]).
#[derive(Debug, Clone)]
pub struct Moderation {
    pub room: ConversationId,
    pub actor: UserId,
    pub target: UserId,
    pub act: Act,
    pub now_ms: i64,
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderated {
    pub target: UserRow,
    /// The target was a member and is not one now (a kick or a ban).
    pub removed_member: bool,
    /// A ban's texts to remove (their numbers, newest first).
    pub to_remove: Vec<crate::protocol::Seq>,
    /// The previous owner, when the room was handed over.
    pub previous_owner: Option<UserId>,
    pub entry: AuditEntry,
}

/// Roles, bans and timeouts of a room, as storage has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomModeration {
    pub roles: Vec<(UserId, Role)>,
    pub banned: Vec<UserId>,
    /// Timeouts with their ends (Unix ms), past ones too.
    pub timeouts: Vec<(UserId, i64)>,
}

pub(super) const SELECT_ROLES: &str = "SELECT conversation_id, user_id, role FROM room_roles";
pub(super) const SELECT_BANS: &str = "SELECT conversation_id, user_id FROM room_bans";
pub(super) const SELECT_TIMEOUTS: &str =
    "SELECT conversation_id, user_id, until_ms FROM room_timeouts";
pub(super) const SELECT_ADMINS: &str = "SELECT user_id FROM instance_admins ORDER BY user_id";

pub(super) const IS_BANNED: &str =
    "SELECT 1 FROM room_bans WHERE conversation_id = $1 AND user_id = $2";

pub(super) const SET_ROLE: &str = "INSERT INTO room_roles (conversation_id, user_id, role)
     VALUES ($1, $2, $3) ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role";

pub(super) const DROP_ROLE: &str =
    "DELETE FROM room_roles WHERE conversation_id = $1 AND user_id = $2";

/// The owner of room `$1` becomes a moderator: the old owner, or no row.
pub(super) const DEMOTE_OWNER: &str = "UPDATE room_roles SET role = 'moderator'
     WHERE conversation_id = $1 AND role = 'owner' RETURNING user_id";

pub(super) const BAN: &str =
    "INSERT INTO room_bans (conversation_id, user_id, banned_by, banned_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING";

pub(super) const UNBAN: &str = "DELETE FROM room_bans WHERE conversation_id = $1 AND user_id = $2";

pub(super) const SET_TIMEOUT: &str =
    "INSERT INTO room_timeouts (conversation_id, user_id, until_ms) VALUES ($1, $2, $3)
     ON CONFLICT (conversation_id, user_id) DO UPDATE SET until_ms = excluded.until_ms";

pub(super) const LIFT_TIMEOUT: &str =
    "DELETE FROM room_timeouts WHERE conversation_id = $1 AND user_id = $2";

/// The texts of `$2` in `$1` since `$3` that are still there, newest first, at most `$4`.
pub(super) const TEXTS_SINCE: &str = "SELECT seq FROM messages
     WHERE conversation_id = $1 AND author_id = $2 AND created_at >= $3 AND kind = 'text'
       AND deleted_at IS NULL ORDER BY seq DESC LIMIT $4";

pub(super) const AUDIT: &str =
    "INSERT INTO audit_log (conversation_id, actor_id, target_id, action, created_at)
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

/// A page of room `$1`'s log before entry `$2`, newest first, `$3` of them.
pub(super) const AUDIT_LOG: &str =
    "SELECT a.id, a.created_at, a.action, a.actor_id, actor.nickname AS actor_nickname,
        actor.avatar AS actor_avatar, a.target_id, target.nickname AS target_nickname,
        target.avatar AS target_avatar
     FROM audit_log a JOIN users actor ON actor.id = a.actor_id
     LEFT JOIN users target ON target.id = a.target_id
     WHERE a.conversation_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3";

/// The user who holds the nickname skeleton `$1` now, or else its newest user.
pub(super) const USER_BY_SKELETON: &str = "SELECT u.id, u.nickname, u.avatar FROM users u
     LEFT JOIN nickname_claims c ON c.user_id = u.id AND c.skeleton = u.skeleton
     WHERE u.skeleton = $1 ORDER BY (c.user_id IS NOT NULL) DESC, u.id DESC LIMIT 1";

pub(super) const GRANT_ADMIN: &str =
    "INSERT INTO instance_admins (user_id, granted_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";

pub(super) const REVOKE_ADMIN: &str = "DELETE FROM instance_admins WHERE user_id = $1";

pub(super) const BAN_USER: &str =
    "INSERT INTO server_bans (user_id, banned_by, banned_at) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING";

pub(super) const UNBAN_USER: &str = "DELETE FROM server_bans WHERE user_id = $1";

pub(super) const END_SESSIONS_OF: &str = "DELETE FROM sessions WHERE user_id = $1";

pub(super) const SELECT_SERVER_BANS: &str = "SELECT user_id FROM server_bans ORDER BY user_id";

pub(super) const LIST_ADMINS: &str = "SELECT u.id, u.nickname, u.avatar FROM instance_admins a
     JOIN users u ON u.id = a.user_id ORDER BY u.nickname, u.id";

/// A report to store ([`super::Storage::report`]).
#[derive(Debug, Clone)]
pub struct NewReport {
    pub conversation: ConversationId,
    pub seq: crate::protocol::Seq,
    pub reporter: UserId,
    pub reason: String,
    pub now_ms: i64,
}

/// The text `$2` of conversation `$1`, if it can be reported (a text not deleted), with
/// the room's name (none: a private conversation).
pub(super) const REPORTABLE: &str = "SELECT m.author_id, m.body, c.room_name
     FROM messages m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.conversation_id = $1 AND m.seq = $2 AND m.kind = 'text' AND m.deleted_at IS NULL";

pub(super) const INSERT_REPORT: &str = "INSERT INTO reports
     (conversation_id, seq, reporter_id, reported_id, reason, snippet, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

/// The open reports of room `$1` (0: of every room), newest first, `$2` of them.
pub(super) const OPEN_REPORTS: &str =
    "SELECT r.id, r.conversation_id, c.room_name, r.seq, r.reason, r.snippet, r.created_at,
        r.reported_id, d.nickname AS reported_nickname, d.avatar AS reported_avatar,
        r.reporter_id, p.nickname AS reporter_nickname, p.avatar AS reporter_avatar
     FROM reports r JOIN users d ON d.id = r.reported_id JOIN users p ON p.id = r.reporter_id
        JOIN conversations c ON c.id = r.conversation_id
     WHERE r.handled_at IS NULL AND ($1 = 0 OR r.conversation_id = $1)
     ORDER BY r.id DESC LIMIT $2";

/// Marks open report `$1` handled by `$2` at `$3`: its room, or no row.
pub(super) const HANDLE_REPORT: &str =
    "UPDATE reports SET handled_by = $2, handled_at = $3 WHERE id = $1 AND handled_at IS NULL
     RETURNING conversation_id";

/// The room of open report `$1`.
pub(super) const REPORT_ROOM: &str =
    "SELECT conversation_id FROM reports WHERE id = $1 AND handled_at IS NULL";

/// A report row ([`OPEN_REPORTS`]).
#[derive(sqlx::FromRow)]
pub(super) struct ReportRow {
    id: i64,
    conversation_id: i64,
    room_name: Option<String>,
    seq: i64,
    reason: String,
    snippet: String,
    created_at: i64,
    reported_id: i64,
    reported_nickname: String,
    reported_avatar: String,
    reporter_id: i64,
    reporter_nickname: String,
    reporter_avatar: String,
}

impl From<ReportRow> for crate::protocol::ReportInfo {
    fn from(r: ReportRow) -> Self {
        Self {
            id: crate::protocol::ReportId(r.id),
            conversation: ConversationId(r.conversation_id),
            room: r.room_name,
            seq: r.seq as crate::protocol::Seq,
            reported: Author {
                id: UserId(r.reported_id),
                nickname: r.reported_nickname,
                avatar: r.reported_avatar,
            },
            reporter: Author {
                id: UserId(r.reporter_id),
                nickname: r.reporter_nickname,
                avatar: r.reporter_avatar,
            },
            reason: r.reason,
            snippet: r.snippet,
            at_ms: r.created_at,
        }
    }
}

/// An audit log row ([`AUDIT_LOG`]).
#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    created_at: i64,
    action: String,
    actor_id: i64,
    actor_nickname: String,
    actor_avatar: String,
    target_id: Option<i64>,
    target_nickname: Option<String>,
    target_avatar: Option<String>,
}

impl AuditRow {
    /// The entry, if its action is one this server knows (a newer one's are skipped).
    pub(super) fn entry(self) -> Option<AuditEntry> {
        let action: AuditAction = serde_json::from_str(&self.action).ok()?;
        let target = match (self.target_id, self.target_nickname, self.target_avatar) {
            (Some(id), Some(nickname), Some(avatar)) => Some(Author {
                id: UserId(id),
                nickname,
                avatar,
            }),
            _ => None,
        };
        Some(AuditEntry {
            id: AuditId(self.id),
            at_ms: self.created_at,
            actor: Author {
                id: UserId(self.actor_id),
                nickname: self.actor_nickname,
                avatar: self.actor_avatar,
            },
            target,
            action,
        })
    }
}

/// The audit action an act is written down as.
pub(super) fn audit_action(act: &Act, removed: usize) -> AuditAction {
    match act {
        Act::Kick => AuditAction::Kicked,
        Act::Ban { .. } => AuditAction::Banned {
            removed: removed as u32,
        },
        Act::Unban => AuditAction::Unbanned,
        Act::Timeout { until_ms: 0 } => AuditAction::TimeoutLifted,
        Act::Timeout { until_ms } => AuditAction::TimedOut {
            until_ms: *until_ms,
        },
        Act::SetRole(role) => AuditAction::RoleSet { role: *role },
    }
}

/// The moderation statements, the same on either backend (`$pool` and `$conn` as in
/// [`super::sql::statements_for`]).
macro_rules! moderation_statements_for {
    ($pool:ty, $conn:ty) => {
        use sqlx::Connection as _;

        use crate::protocol::{
            AuditAction, AuditEntry, AuditId, Author, ConversationId, Role, Seq, UserId,
            BAN_REMOVE_MAX_MESSAGES,
        };
        use crate::server::store::{
            moderation::{self, Act, AuditRow, Moderated, Moderation, RoomModeration},
            sql, Result, UserFields, UserRow,
        };

        /// Every room's roles, bans and timeouts.
        pub(in crate::server::store) async fn rooms(
            conn: &mut $conn,
        ) -> Result<std::collections::HashMap<ConversationId, RoomModeration>> {
            let mut all: std::collections::HashMap<ConversationId, RoomModeration> =
                Default::default();
            let roles: Vec<(i64, i64, String)> = sqlx::query_as(moderation::SELECT_ROLES)
                .fetch_all(&mut *conn)
                .await?;
            for (room, user, role) in roles {
                if let Some(role) = Role::parse(&role) {
                    let of = all.entry(ConversationId(room)).or_default();
                    of.roles.push((UserId(user), role));
                }
            }
            let bans: Vec<(i64, i64)> = sqlx::query_as(moderation::SELECT_BANS)
                .fetch_all(&mut *conn)
                .await?;
            for (room, user) in bans {
                let of = all.entry(ConversationId(room)).or_default();
                of.banned.push(UserId(user));
            }
            let timeouts: Vec<(i64, i64, i64)> = sqlx::query_as(moderation::SELECT_TIMEOUTS)
                .fetch_all(&mut *conn)
                .await?;
            for (room, user, until) in timeouts {
                let of = all.entry(ConversationId(room)).or_default();
                of.timeouts.push((UserId(user), until));
            }
            Ok(all)
        }

        pub(in crate::server::store) async fn admins(pool: &$pool) -> Result<Vec<UserId>> {
            let ids: Vec<i64> = sqlx::query_scalar(moderation::SELECT_ADMINS)
                .fetch_all(pool)
                .await?;
            Ok(ids.into_iter().map(UserId).collect())
        }

        pub(in crate::server::store) async fn user_row(
            conn: &mut $conn,
            id: UserId,
        ) -> Result<Option<UserRow>> {
            let row: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
                .bind(id.0)
                .fetch_optional(conn)
                .await?;
            Ok(row.map(UserRow::from))
        }

        /// Carries out `m` and writes it in the room's log, in one transaction; `None`
        /// if the target or the actor is no user.
        pub(in crate::server::store) async fn moderate(
            conn: &mut $conn,
            m: Moderation,
        ) -> Result<Option<Moderated>> {
            let mut tx = conn.begin().await?;
            let (Some(target), Some(actor)) = (
                user_row(&mut tx, m.target).await?,
                user_row(&mut tx, m.actor).await?,
            ) else {
                return Ok(None);
            };
            let (room, user) = (m.room.0, m.target.0);
            let mut removed_member = false;
            let mut to_remove = Vec::new();
            let mut previous_owner = None;
            match &m.act {
                Act::Kick | Act::Ban { .. } => {
                    removed_member = sqlx::query(sql::DELETE_MEMBER)
                        .bind(room)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        > 0;
                    sqlx::query(moderation::DROP_ROLE)
                        .bind(room)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                    if let Act::Ban { remove_since_ms } = m.act {
                        sqlx::query(moderation::BAN)
                            .bind(room)
                            .bind(user)
                            .bind(m.actor.0)
                            .bind(m.now_ms)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(moderation::LIFT_TIMEOUT)
                            .bind(room)
                            .bind(user)
                            .execute(&mut *tx)
                            .await?;
                        if let Some(since) = remove_since_ms {
                            let seqs: Vec<i64> = sqlx::query_scalar(moderation::TEXTS_SINCE)
                                .bind(room)
                                .bind(user)
                                .bind(since)
                                .bind(i64::from(BAN_REMOVE_MAX_MESSAGES))
                                .fetch_all(&mut *tx)
                                .await?;
                            to_remove = seqs.into_iter().map(|s| s as Seq).collect();
                        }
                    }
                }
                Act::Unban => {
                    sqlx::query(moderation::UNBAN)
                        .bind(room)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                }
                Act::Timeout { until_ms: 0 } => {
                    sqlx::query(moderation::LIFT_TIMEOUT)
                        .bind(room)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                }
                Act::Timeout { until_ms } => {
                    sqlx::query(moderation::SET_TIMEOUT)
                        .bind(room)
                        .bind(user)
                        .bind(*until_ms)
                        .execute(&mut *tx)
                        .await?;
                }
                Act::SetRole(Role::Member) | Act::SetRole(Role::Admin) => {
                    sqlx::query(moderation::DROP_ROLE)
                        .bind(room)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                }
                Act::SetRole(role) => {
                    if *role == Role::Owner {
                        let old: Option<i64> = sqlx::query_scalar(moderation::DEMOTE_OWNER)
                            .bind(room)
                            .fetch_optional(&mut *tx)
                            .await?;
                        previous_owner = old.map(UserId);
                    }
                    sqlx::query(moderation::SET_ROLE)
                        .bind(room)
                        .bind(user)
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let action: AuditAction = moderation::audit_action(&m.act, to_remove.len());
            let entry =
                write_audit(&mut tx, m.room, &actor, Some(&target), action, m.now_ms).await?;
            tx.commit().await?;
            Ok(Some(Moderated {
                target,
                removed_member,
                to_remove,
                previous_owner,
                entry,
            }))
        }

        /// Writes an entry of the room's log.
        pub(in crate::server::store) async fn write_audit(
            conn: &mut $conn,
            room: ConversationId,
            actor: &UserRow,
            target: Option<&UserRow>,
            action: AuditAction,
            now_ms: i64,
        ) -> Result<AuditEntry> {
            let json = serde_json::to_string(&action).unwrap_or_default();
            let id: i64 = sqlx::query_scalar(moderation::AUDIT)
                .bind(room.0)
                .bind(actor.id.0)
                .bind(target.map(|t| t.id.0))
                .bind(json)
                .bind(now_ms)
                .fetch_one(conn)
                .await?;
            let author = |u: &UserRow| Author {
                id: u.id,
                nickname: u.nickname.clone(),
                avatar: u.avatar.clone(),
            };
            Ok(AuditEntry {
                id: AuditId(id),
                at_ms: now_ms,
                actor: author(actor),
                target: target.map(author),
                action,
            })
        }

        /// A page of the room's log before `before`, newest first, and whether there
        /// is more.
        pub(in crate::server::store) async fn audit_log(
            pool: &$pool,
            room: ConversationId,
            before: Option<AuditId>,
            limit: u32,
        ) -> Result<(Vec<AuditEntry>, bool)> {
            let mut rows: Vec<AuditRow> = sqlx::query_as(moderation::AUDIT_LOG)
                .bind(room.0)
                .bind(before.map_or(i64::MAX, |b| b.0))
                .bind(i64::from(limit) + 1)
                .fetch_all(pool)
                .await?;
            let more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            Ok((rows.into_iter().filter_map(AuditRow::entry).collect(), more))
        }

        /// Makes the user of nickname skeleton `skeleton` an admin (or not): the user,
        /// or `None` if nobody has that name.
        pub(in crate::server::store) async fn set_admin(
            conn: &mut $conn,
            skeleton: &str,
            on: bool,
            now_ms: i64,
        ) -> Result<Option<UserRow>> {
            let mut tx = conn.begin().await?;
            let row: Option<UserFields> = sqlx::query_as(moderation::USER_BY_SKELETON)
                .bind(skeleton)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user) = row.map(UserRow::from) else {
                return Ok(None);
            };
            let statement = if on {
                moderation::GRANT_ADMIN
            } else {
                moderation::REVOKE_ADMIN
            };
            let query = sqlx::query(statement).bind(user.id.0);
            let query = if on { query.bind(now_ms) } else { query };
            query.execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(user))
        }

        pub(in crate::server::store) async fn user_by_skeleton(
            pool: &$pool,
            skeleton: &str,
        ) -> Result<Option<UserRow>> {
            let row: Option<UserFields> = sqlx::query_as(moderation::USER_BY_SKELETON)
                .bind(skeleton)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(UserRow::from))
        }

        /// Bans `user` from the server (every session ended; the name kept), or lifts it:
        /// the user, or `None` if there is no such user.
        pub(in crate::server::store) async fn ban_from_server(
            conn: &mut $conn,
            user: UserId,
            by: Option<UserId>,
            on: bool,
            now_ms: i64,
        ) -> Result<Option<UserRow>> {
            let mut tx = conn.begin().await?;
            let Some(row) = user_row(&mut tx, user).await? else {
                return Ok(None);
            };
            if on {
                sqlx::query(moderation::BAN_USER)
                    .bind(user.0)
                    .bind(by.map(|b| b.0))
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(moderation::END_SESSIONS_OF)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(moderation::UNBAN_USER)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Some(row))
        }

        /// Stores a report of a text that can be reported: the report, or `None`.
        pub(in crate::server::store) async fn report(
            conn: &mut $conn,
            new: moderation::NewReport,
        ) -> Result<Option<crate::protocol::ReportInfo>> {
            let mut tx = conn.begin().await?;
            let found: Option<(i64, String, Option<String>)> =
                sqlx::query_as(moderation::REPORTABLE)
                    .bind(new.conversation.0)
                    .bind(new.seq as i64)
                    .fetch_optional(&mut *tx)
                    .await?;
            // Nobody reports their own text.
            let Some((reported, body, room)) =
                found.filter(|(author, _, _)| *author != new.reporter.0)
            else {
                return Ok(None);
            };
            let (Some(reported), Some(reporter)) = (
                user_row(&mut tx, UserId(reported)).await?,
                user_row(&mut tx, new.reporter).await?,
            ) else {
                return Ok(None);
            };
            let snippet = crate::protocol::snippet(&body);
            let id: i64 = sqlx::query_scalar(moderation::INSERT_REPORT)
                .bind(new.conversation.0)
                .bind(new.seq as i64)
                .bind(reporter.id.0)
                .bind(reported.id.0)
                .bind(&new.reason)
                .bind(&snippet)
                .bind(new.now_ms)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            let author = |u: UserRow| Author {
                id: u.id,
                nickname: u.nickname,
                avatar: u.avatar,
            };
            Ok(Some(crate::protocol::ReportInfo {
                id: crate::protocol::ReportId(id),
                conversation: new.conversation,
                room,
                seq: new.seq,
                reported: author(reported),
                reporter: author(reporter),
                reason: new.reason,
                snippet,
                at_ms: new.now_ms,
            }))
        }

        pub(in crate::server::store) async fn open_reports(
            pool: &$pool,
            room: Option<ConversationId>,
            limit: u32,
        ) -> Result<Vec<crate::protocol::ReportInfo>> {
            let rows: Vec<moderation::ReportRow> = sqlx::query_as(moderation::OPEN_REPORTS)
                .bind(room.map_or(0, |r| r.0))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        pub(in crate::server::store) async fn report_room(
            pool: &$pool,
            report: crate::protocol::ReportId,
        ) -> Result<Option<ConversationId>> {
            let room: Option<i64> = sqlx::query_scalar(moderation::REPORT_ROOM)
                .bind(report.0)
                .fetch_optional(pool)
                .await?;
            Ok(room.map(ConversationId))
        }

        pub(in crate::server::store) async fn handle_report(
            conn: &mut $conn,
            report: crate::protocol::ReportId,
            by: UserId,
            now_ms: i64,
        ) -> Result<Option<ConversationId>> {
            let room: Option<i64> = sqlx::query_scalar(moderation::HANDLE_REPORT)
                .bind(report.0)
                .bind(by.0)
                .bind(now_ms)
                .fetch_optional(conn)
                .await?;
            Ok(room.map(ConversationId))
        }

        pub(in crate::server::store) async fn server_bans(pool: &$pool) -> Result<Vec<UserId>> {
            let ids: Vec<i64> = sqlx::query_scalar(moderation::SELECT_SERVER_BANS)
                .fetch_all(pool)
                .await?;
            Ok(ids.into_iter().map(UserId).collect())
        }

        pub(in crate::server::store) async fn admin_users(pool: &$pool) -> Result<Vec<UserRow>> {
            let rows: Vec<UserFields> = sqlx::query_as(moderation::LIST_ADMINS)
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(UserRow::from).collect())
        }
    };
}
pub(super) use moderation_statements_for;
