//! Private rooms and invite links in storage. Switching a room's privacy, making and
//! revoking a link are each one transaction with their audit entry; following a link
//! checks it, counts the use and makes the member in one, so two people racing for a
//! link's last use cannot both get in, on any number of servers.

use crate::protocol::{ConversationId, InviteInfo, Seq, UserId};

use super::Joining;

/// An invite link to store ([`super::Storage::create_invite`]).
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub room: ConversationId,
    pub by: UserId,
    pub code: String,
    pub now_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub max_uses: Option<u32>,
}

/// What came of following an invite link ([`super::Storage::use_invite`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteUse {
    /// Unknown, expired, used up or revoked.
    Invalid,
    /// The room, and the user's membership of it: [`Joining::New`] used the link,
    /// [`Joining::Already`] did not; [`Joining::Banned`] is no member and used nothing.
    Room {
        room: ConversationId,
        name: String,
        last_seq: Seq,
        private: bool,
        joining: Joining,
    },
}

/// A room's setting, changed by its owner or moderators
/// ([`super::Storage::set_room_setting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomSetting {
    /// Private (unlisted, joined with an invite) or public.
    Private(bool),
    /// Seconds between one member's messages (0: off).
    SlowMode(u32),
}

impl RoomSetting {
    /// How the audit log tells the change.
    pub(super) fn action(self) -> crate::protocol::AuditAction {
        use crate::protocol::AuditAction;
        match self {
            Self::Private(private) => AuditAction::PrivacySet { private },
            Self::SlowMode(seconds) => AuditAction::SlowModeSet { seconds },
        }
    }
}

/// Sets room `$1`'s slow mode to `$2` seconds, if it is a room and was not so already.
pub(super) const SET_SLOW_MODE: &str = "UPDATE conversations SET slow_mode_s = $2
     WHERE id = $1 AND room_name IS NOT NULL AND slow_mode_s <> $2";

/// Makes room `$1` private (`$2`) or public, if it is a room and was not so already.
pub(super) const SET_PRIVATE: &str = "UPDATE conversations SET private = $2
     WHERE id = $1 AND room_name IS NOT NULL AND private <> $2";

/// A row if room `$1` is private and `$2` is not one of its members.
pub(super) const CLOSED_TO: &str = "SELECT 1 FROM conversations c
     WHERE c.id = $1 AND c.private
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = c.id AND m.user_id = $2)";

/// Whether an invite is live at `$2`: the condition of [`LIVE_INVITES`],
/// [`COUNT_LIVE_INVITES`], [`REVOKE_INVITE`] and [`USE_INVITE`].
macro_rules! live {
    () => {
        "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
         AND (max_uses IS NULL OR uses < max_uses)"
    };
}

/// Room `$1`'s live invites at `$2`, newest first, `$3` of them.
pub(super) const LIVE_INVITES: &str = concat!(
    "SELECT code, created_by, created_at, expires_at, max_uses, uses FROM invites
     WHERE conversation_id = $1 AND ",
    live!(),
    " ORDER BY created_at DESC, code LIMIT $3"
);

/// How many live invites room `$1` has at `$2`.
pub(super) const COUNT_LIVE_INVITES: &str = concat!(
    "SELECT COUNT(*) FROM invites WHERE conversation_id = $1 AND ",
    live!(),
);

pub(super) const INSERT_INVITE: &str = "INSERT INTO invites
     (code, conversation_id, created_by, created_at, expires_at, max_uses)
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Revokes live invite `$3` of room `$1` at `$2`: a row if there was one.
pub(super) const REVOKE_INVITE: &str = concat!(
    "UPDATE invites SET revoked_at = $2 WHERE conversation_id = $1 AND code = $3 AND ",
    live!(),
    " RETURNING code"
);

/// The room of invite `$1`, live or not (a member following an old link is let in
/// as one).
pub(super) const INVITE_ROOM: &str = "SELECT conversation_id FROM invites WHERE code = $1";

/// Uses live invite `$1` at `$2` once: a row if it was live. On PostgreSQL a use
/// racing another for the last one waits for it, then finds the invite used up.
pub(super) const USE_INVITE: &str = concat!(
    "UPDATE invites SET uses = uses + 1 WHERE code = $1 AND ",
    live!(),
    " RETURNING conversation_id"
);

/// Room `$1`'s name, newest number and privacy.
pub(super) const ROOM: &str =
    "SELECT room_name, last_seq, private FROM conversations WHERE id = $1 AND room_name IS NOT NULL";

pub(super) const IS_MEMBER: &str =
    "SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2";

/// An invite row ([`LIVE_INVITES`]).
#[derive(sqlx::FromRow)]
pub(super) struct InviteRow {
    code: String,
    created_by: i64,
    created_at: i64,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
    uses: i64,
}

impl From<InviteRow> for InviteInfo {
    fn from(r: InviteRow) -> Self {
        Self {
            code: r.code,
            created_by: UserId(r.created_by),
            created_at_ms: r.created_at,
            expires_at_ms: r.expires_at,
            max_uses: r.max_uses.map(|n| n as u32),
            uses: r.uses as u32,
        }
    }
}

/// The invite statements, the same on either backend (`$pool` and `$conn` as in
/// [`super::sql::statements_for`]); the audit entries are written by the moderation
/// statements of the same backend (`super::moderation_same`).
macro_rules! invite_statements_for {
    ($pool:ty, $conn:ty) => {
        use sqlx::Connection as _;

        use crate::protocol::{
            AuditAction, AuditEntry, ConversationId, InviteInfo, Seq, UserId, INVITES_PER_ROOM,
        };
        use crate::server::store::{
            invites::{self, InviteRow, InviteUse, NewInvite},
            sql, Joining, Result,
        };

        use super::moderation_same::{user_row, write_audit};

        /// Changes a room setting, with its audit entry: `None` if it was so already
        /// (or is no room, or the actor no user).
        pub(in crate::server::store) async fn set_room_setting(
            conn: &mut $conn,
            room: ConversationId,
            actor: UserId,
            setting: invites::RoomSetting,
            now_ms: i64,
        ) -> Result<Option<AuditEntry>> {
            let mut tx = conn.begin().await?;
            let Some(actor) = user_row(&mut tx, actor).await? else {
                return Ok(None);
            };
            let update = match setting {
                invites::RoomSetting::Private(private) => {
                    sqlx::query(invites::SET_PRIVATE).bind(room.0).bind(private)
                }
                invites::RoomSetting::SlowMode(seconds) => sqlx::query(invites::SET_SLOW_MODE)
                    .bind(room.0)
                    .bind(i64::from(seconds)),
            };
            let changed = update.execute(&mut *tx).await?.rows_affected() > 0;
            if !changed {
                return Ok(None);
            }
            let entry = write_audit(&mut tx, room, &actor, None, setting.action(), now_ms).await?;
            tx.commit().await?;
            Ok(Some(entry))
        }

        /// Room `room`'s live invites at `now_ms`, newest first.
        pub(in crate::server::store) async fn invites(
            pool: &$pool,
            room: ConversationId,
            now_ms: i64,
        ) -> Result<Vec<InviteInfo>> {
            let rows: Vec<InviteRow> = sqlx::query_as(invites::LIVE_INVITES)
                .bind(room.0)
                .bind(now_ms)
                .bind(INVITES_PER_ROOM as i64)
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(InviteInfo::from).collect())
        }

        /// Stores a new invite with its audit entry: `None` if the room has
        /// [`INVITES_PER_ROOM`] live ones already (or the actor is no user).
        pub(in crate::server::store) async fn create_invite(
            conn: &mut $conn,
            new: NewInvite,
        ) -> Result<Option<AuditEntry>> {
            let mut tx = conn.begin().await?;
            let Some(actor) = user_row(&mut tx, new.by).await? else {
                return Ok(None);
            };
            let live: i64 = sqlx::query_scalar(invites::COUNT_LIVE_INVITES)
                .bind(new.room.0)
                .bind(new.now_ms)
                .fetch_one(&mut *tx)
                .await?;
            if live >= INVITES_PER_ROOM as i64 {
                return Ok(None);
            }
            sqlx::query(invites::INSERT_INVITE)
                .bind(&new.code)
                .bind(new.room.0)
                .bind(new.by.0)
                .bind(new.now_ms)
                .bind(new.expires_at_ms)
                .bind(new.max_uses.map(i64::from))
                .execute(&mut *tx)
                .await?;
            let action = AuditAction::InviteCreated {
                expires_at_ms: new.expires_at_ms,
                max_uses: new.max_uses,
            };
            let entry = write_audit(&mut tx, new.room, &actor, None, action, new.now_ms).await?;
            tx.commit().await?;
            Ok(Some(entry))
        }

        /// Revokes a live invite of the room, with its audit entry: `None` if there
        /// was none of that code.
        pub(in crate::server::store) async fn revoke_invite(
            conn: &mut $conn,
            room: ConversationId,
            code: &str,
            actor: UserId,
            now_ms: i64,
        ) -> Result<Option<AuditEntry>> {
            let mut tx = conn.begin().await?;
            let Some(actor) = user_row(&mut tx, actor).await? else {
                return Ok(None);
            };
            let revoked: Option<String> = sqlx::query_scalar(invites::REVOKE_INVITE)
                .bind(room.0)
                .bind(now_ms)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            if revoked.is_none() {
                return Ok(None);
            }
            let action = AuditAction::InviteRevoked;
            let entry = write_audit(&mut tx, room, &actor, None, action, now_ms).await?;
            tx.commit().await?;
            Ok(Some(entry))
        }

        /// Follows invite `code` for `user` at `now_ms`: a member already (by any link
        /// of the room, live or not) or a banned user uses nothing; anyone else uses a
        /// live one once and is a member, in one transaction.
        pub(in crate::server::store) async fn use_invite(
            conn: &mut $conn,
            code: &str,
            user: UserId,
            now_ms: i64,
        ) -> Result<InviteUse> {
            let mut tx = conn.begin().await?;
            let room: Option<i64> = sqlx::query_scalar(invites::INVITE_ROOM)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(room) = room else {
                return Ok(InviteUse::Invalid);
            };
            let Some((name, last_seq, private)) =
                sqlx::query_as::<_, (String, i64, bool)>(invites::ROOM)
                    .bind(room)
                    .fetch_optional(&mut *tx)
                    .await?
            else {
                return Ok(InviteUse::Invalid);
            };
            let banned: Option<i32> =
                sqlx::query_scalar(crate::server::store::moderation::IS_BANNED)
                    .bind(room)
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let member: Option<i32> = sqlx::query_scalar(invites::IS_MEMBER)
                .bind(room)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
            let joining = if banned.is_some() {
                Joining::Banned
            } else if member.is_some() {
                Joining::Already
            } else {
                let used: Option<i64> = sqlx::query_scalar(invites::USE_INVITE)
                    .bind(code)
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                if used.is_none() {
                    return Ok(InviteUse::Invalid);
                }
                sqlx::query(sql::INSERT_MEMBER)
                    .bind(room)
                    .bind(user.0)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                Joining::New
            };
            tx.commit().await?;
            Ok(InviteUse::Room {
                room: ConversationId(room),
                name,
                last_seq: last_seq as Seq,
                private,
                joining,
            })
        }
    };
}
pub(super) use invite_statements_for;
