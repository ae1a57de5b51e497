//! A user's devices in storage: the sessions they hold, the one-time codes that link
//! a new device (offered, redeemed once, then allowed or refused by the user), and
//! whether the user shares read receipts. In the database, so that a code offered on
//! one server is redeemed on another.

use crate::protocol::{LinkId, UserId};

use super::UserRow;

/// A code a signed-in session offers ([`super::Storage::offer_link`]).
pub struct LinkOffer {
    pub code_hash: [u8; 32],
    pub user: UserId,
    /// The offering session's token hash.
    pub offered_by: [u8; 32],
    pub now_ms: i64,
    pub expires_at_ms: i64,
}

/// A new device redeeming a code ([`super::Storage::claim_link`]).
pub struct LinkClaim {
    pub code_hash: [u8; 32],
    /// The hash of the token the new device will hold once allowed.
    pub token_hash: [u8; 32],
    pub user_agent: String,
    pub now_ms: i64,
    /// The user has until then to allow it.
    pub decide_by_ms: i64,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The code is this device's now: its user must allow it by `decide_by_ms`.
    Claimed {
        link: LinkId,
        user: UserRow,
        offered_by: [u8; 32],
        decide_by_ms: i64,
    },
    /// No such code.
    Unknown,
    Expired,
    /// Redeemed before.
    Used,
}

/// A link the user decided ([`super::Storage::decide_link`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub offered_by: [u8; 32],
    /// The new device's token hash: a session of the user now, if allowed.
    pub claim: [u8; 32],
}

/// One session of a user, for the device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: [u8; 32],
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    pub user_agent: String,
}

/// Longest User-Agent kept for a session.
pub const USER_AGENT_MAX: usize = 512;

/// The User-Agent as kept: at most [`USER_AGENT_MAX`] bytes, on a character boundary.
pub fn kept_user_agent(user_agent: &str) -> String {
    let mut end = user_agent.len().min(USER_AGENT_MAX);
    while !user_agent.is_char_boundary(end) {
        end -= 1;
    }
    user_agent[..end].to_string()
}

/// A token hash from a stored column (32 bytes, or an error).
pub(super) fn hash_column(bytes: Vec<u8>) -> super::Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode("a token hash is not 32 bytes".into()))
}

pub(super) const OFFER_LINK: &str =
    "INSERT INTO device_links (code_hash, user_id, offered_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5) RETURNING id";

/// A session's earlier offers nobody redeemed (a new offer replaces them).
pub(super) const WITHDRAW_OFFERS: &str =
    "DELETE FROM device_links WHERE offered_by = $1 AND claimed_at IS NULL";

/// Links past their time by a day: of no use to anyone.
pub(super) const PRUNE_LINKS: &str = "DELETE FROM device_links WHERE expires_at < $1";

/// Redeems `$1` at `$2` for the token hash `$3` (User-Agent `$4`), to be decided by `$5`.
pub(super) const CLAIM_LINK: &str = "UPDATE device_links
     SET claimed_at = $2, claim_token_hash = $3, claim_user_agent = $4, expires_at = $5
     WHERE code_hash = $1 AND claimed_at IS NULL AND expires_at > $2
     RETURNING id, user_id, offered_by";

/// Why a code could not be redeemed.
pub(super) const LINK_STATE: &str =
    "SELECT claimed_at, expires_at FROM device_links WHERE code_hash = $1";

/// The user `$4` decides (`$2`: 1 allows) link `$3` at `$1`, if it was redeemed and is
/// still waiting.
pub(super) const DECIDE_LINK: &str = "UPDATE device_links SET decided_at = $1, accepted = $2
     WHERE id = $3 AND user_id = $4 AND claimed_at IS NOT NULL AND decided_at IS NULL
       AND expires_at > $1
     RETURNING offered_by, claim_token_hash, claim_user_agent";

/// The device that redeemed link `$2` stopped waiting (at `$1`).
pub(super) const ABANDON_LINK: &str =
    "UPDATE device_links SET decided_at = $1, accepted = 0 WHERE id = $2 AND decided_at IS NULL";

/// The live sessions (seen since `$2`) of user `$1`, last used first.
pub(super) const SESSIONS_OF: &str =
    "SELECT token_hash, created_at, last_seen_at, user_agent FROM sessions
     WHERE user_id = $1 AND last_seen_at >= $2 ORDER BY last_seen_at DESC, created_at DESC";

/// A session made for a linked device (`$1` token hash, `$2` user, `$3` now, `$4` agent).
pub(super) const INSERT_LINKED_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, user_agent)
     VALUES ($1, $2, $3, $3, $4)";

pub(super) const SHARE_RECEIPTS: &str = "UPDATE users SET share_receipts = $2 WHERE id = $1";

pub(super) const RECEIPTS_OFF: &str = "SELECT id FROM users WHERE share_receipts = 0";

/// The device statements, the same on either backend (`$pool` and `$conn` as in
/// [`super::sql::statements_for`]).
macro_rules! device_statements_for {
    ($pool:ty, $conn:ty) => {
        use sqlx::Connection as _;

        use crate::protocol::{LinkId, UserId};
        use crate::server::store::{
            devices::{self, hash_column, Claimed, Decided, LinkClaim, LinkOffer, SessionRow},
            sql, Result, UserFields, UserRow,
        };

        /// Stores an offer (replacing the session's unredeemed ones) and forgets old links.
        pub(in crate::server::store) async fn offer_link(
            conn: &mut $conn,
            offer: LinkOffer,
        ) -> Result<LinkId> {
            let mut tx = conn.begin().await?;
            sqlx::query(devices::WITHDRAW_OFFERS)
                .bind(&offer.offered_by[..])
                .execute(&mut *tx)
                .await?;
            sqlx::query(devices::PRUNE_LINKS)
                .bind(offer.now_ms - 24 * 3600 * 1000)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(devices::OFFER_LINK)
                .bind(&offer.code_hash[..])
                .bind(offer.user.0)
                .bind(&offer.offered_by[..])
                .bind(offer.now_ms)
                .bind(offer.expires_at_ms)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(LinkId(id))
        }

        pub(in crate::server::store) async fn withdraw_offers(
            conn: &mut $conn,
            offered_by: [u8; 32],
        ) -> Result<()> {
            sqlx::query(devices::WITHDRAW_OFFERS)
                .bind(&offered_by[..])
                .execute(conn)
                .await?;
            Ok(())
        }

        /// Redeems a code once: the first claim takes it, any later one finds it used.
        pub(in crate::server::store) async fn claim_link(
            conn: &mut $conn,
            claim: LinkClaim,
        ) -> Result<Claimed> {
            let mut tx = conn.begin().await?;
            let row: Option<(i64, i64, Vec<u8>)> = sqlx::query_as(devices::CLAIM_LINK)
                .bind(&claim.code_hash[..])
                .bind(claim.now_ms)
                .bind(&claim.token_hash[..])
                .bind(&claim.user_agent)
                .bind(claim.decide_by_ms)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((id, user, offered_by)) = row else {
                let state: Option<(Option<i64>, i64)> = sqlx::query_as(devices::LINK_STATE)
                    .bind(&claim.code_hash[..])
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(match state {
                    None => Claimed::Unknown,
                    Some((Some(_), _)) => Claimed::Used,
                    Some((None, _)) => Claimed::Expired,
                });
            };
            let user: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user) = user else {
                tx.rollback().await?;
                return Ok(Claimed::Unknown);
            };
            tx.commit().await?;
            Ok(Claimed::Claimed {
                link: LinkId(id),
                user: UserRow::from(user),
                offered_by: hash_column(offered_by)?,
                decide_by_ms: claim.decide_by_ms,
            })
        }

        /// Allows (a session for the new device, its user's nickname kept alive) or
        /// refuses a redeemed link of `user`'s; `None` if it is not waiting (any more).
        pub(in crate::server::store) async fn decide_link(
            conn: &mut $conn,
            link: LinkId,
            user: UserId,
            accept: bool,
            now_ms: i64,
        ) -> Result<Option<Decided>> {
            let mut tx = conn.begin().await?;
            let row: Option<(Vec<u8>, Option<Vec<u8>>, Option<String>)> =
                sqlx::query_as(devices::DECIDE_LINK)
                    .bind(now_ms)
                    .bind(i64::from(accept))
                    .bind(link.0)
                    .bind(user.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((offered_by, Some(claim), user_agent)) = row else {
                tx.rollback().await?;
                return Ok(None);
            };
            if accept {
                sqlx::query(devices::INSERT_LINKED_SESSION)
                    .bind(&claim)
                    .bind(user.0)
                    .bind(now_ms)
                    .bind(user_agent.unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::TOUCH_CLAIM)
                    .bind(now_ms)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Some(Decided {
                offered_by: hash_column(offered_by)?,
                claim: hash_column(claim)?,
            }))
        }

        pub(in crate::server::store) async fn abandon_link(
            conn: &mut $conn,
            link: LinkId,
            now_ms: i64,
        ) -> Result<()> {
            sqlx::query(devices::ABANDON_LINK)
                .bind(now_ms)
                .bind(link.0)
                .execute(conn)
                .await?;
            Ok(())
        }

        pub(in crate::server::store) async fn share_receipts(
            conn: &mut $conn,
            user: UserId,
            on: bool,
        ) -> Result<()> {
            sqlx::query(devices::SHARE_RECEIPTS)
                .bind(user.0)
                .bind(i64::from(on))
                .execute(conn)
                .await?;
            Ok(())
        }

        pub(in crate::server::store) async fn receipts_off(pool: &$pool) -> Result<Vec<UserId>> {
            let ids: Vec<i64> = sqlx::query_scalar(devices::RECEIPTS_OFF)
                .fetch_all(pool)
                .await?;
            Ok(ids.into_iter().map(UserId).collect())
        }

        pub(in crate::server::store) async fn sessions_of(
            pool: &$pool,
            user: UserId,
            alive_since_ms: i64,
        ) -> Result<Vec<SessionRow>> {
            let rows: Vec<(Vec<u8>, i64, i64, String)> = sqlx::query_as(devices::SESSIONS_OF)
                .bind(user.0)
                .bind(alive_since_ms)
                .fetch_all(pool)
                .await?;
            rows.into_iter()
                .map(|(hash, created_at_ms, last_seen_ms, user_agent)| {
                    Ok(SessionRow {
                        token_hash: hash_column(hash)?,
                        created_at_ms,
                        last_seen_ms,
                        user_agent,
                    })
                })
                .collect()
        }
    };
}
pub(super) use device_statements_for;
