//! Who blocked whom. A block is one row; what it hides is filtered where messages are
//! read for the blocker (history, search, unread counts: the statements there) and
//! by the hub where they are delivered live or replayed.

use crate::protocol::UserId;

use super::UserRow;

/// What came of blocking or unblocking ([`super::Storage::set_block`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocking {
    /// Done (or so already): everyone the user blocks now, by nickname.
    Listed(Vec<UserRow>),
    /// The user blocks [`crate::protocol::MAX_BLOCKS`] people already.
    TooMany,
    /// No such user (or the user themselves).
    NoSuchUser,
}

/// A user's blocks, read when a session of theirs starts on a server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlocksOf {
    /// Those the user blocks, by nickname.
    pub blocked: Vec<UserRow>,
    /// Those who block the user (never told to the user).
    pub blockers: Vec<UserId>,
}

/// The condition, for a message `m` read by user `${n}`, that its author is not one
/// the reader blocks (a fragment of the statements that read for a person).
macro_rules! not_blocked_by {
    ($n:literal) => {
        concat!(
            " NOT EXISTS (SELECT 1 FROM blocks bl WHERE bl.blocker_id = $",
            $n,
            " AND bl.blocked_id = m.author_id) "
        )
    };
}
pub(super) use not_blocked_by;

pub(super) const INSERT_BLOCK: &str = "INSERT INTO blocks (blocker_id, blocked_id, created_at)
     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

pub(super) const DELETE_BLOCK: &str =
    "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2";

pub(super) const COUNT_BLOCKS: &str = "SELECT COUNT(*) FROM blocks WHERE blocker_id = $1";

/// Whether `$1` blocks `$2` already.
pub(super) const IS_BLOCKED: &str =
    "SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2";

/// Those `$1` blocks.
pub(super) const BLOCKED_BY: &str = "SELECT u.id, u.nickname, u.avatar FROM blocks b
     JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1
     ORDER BY lower(u.nickname), u.id";

/// Those who block `$1`.
pub(super) const BLOCKERS_OF: &str = "SELECT blocker_id FROM blocks WHERE blocked_id = $1";

/// The block statements, the same on either backend (`$pool` and `$conn` as in
/// [`super::sql::statements_for`]).
macro_rules! block_statements_for {
    ($pool:ty, $conn:ty) => {
        use sqlx::Connection as _;

        use crate::protocol::{UserId, MAX_BLOCKS};
        use crate::server::store::{
            blocks::{self, Blocking, BlocksOf},
            sql, Result, UserFields, UserRow,
        };

        async fn blocked_by(conn: &mut $conn, user: UserId) -> Result<Vec<UserRow>> {
            let rows: Vec<UserFields> = sqlx::query_as(blocks::BLOCKED_BY)
                .bind(user.0)
                .fetch_all(conn)
                .await?;
            Ok(rows.into_iter().map(UserRow::from).collect())
        }

        /// `blocker` blocks `blocked` (`on`) or no longer does; the list as it is then.
        pub(in crate::server::store) async fn set_block(
            conn: &mut $conn,
            blocker: UserId,
            blocked: UserId,
            on: bool,
            now_ms: i64,
        ) -> Result<Blocking> {
            let mut tx = conn.begin().await?;
            if on {
                let user: Option<UserFields> = sqlx::query_as(sql::SELECT_USER)
                    .bind(blocked.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if user.is_none() || blocker == blocked {
                    return Ok(Blocking::NoSuchUser);
                }
                let already: Option<i32> = sqlx::query_scalar(blocks::IS_BLOCKED)
                    .bind(blocker.0)
                    .bind(blocked.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if already.is_none() {
                    let count: i64 = sqlx::query_scalar(blocks::COUNT_BLOCKS)
                        .bind(blocker.0)
                        .fetch_one(&mut *tx)
                        .await?;
                    if count >= MAX_BLOCKS as i64 {
                        return Ok(Blocking::TooMany);
                    }
                    sqlx::query(blocks::INSERT_BLOCK)
                        .bind(blocker.0)
                        .bind(blocked.0)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                }
            } else {
                sqlx::query(blocks::DELETE_BLOCK)
                    .bind(blocker.0)
                    .bind(blocked.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let listed = blocked_by(&mut tx, blocker).await?;
            tx.commit().await?;
            Ok(Blocking::Listed(listed))
        }

        /// Whom `user` blocks, and who blocks `user`.
        pub(in crate::server::store) async fn blocks_of(
            pool: &$pool,
            user: UserId,
        ) -> Result<BlocksOf> {
            let mut conn = pool.acquire().await?;
            let blocked = blocked_by(&mut *conn, user).await?;
            let blockers: Vec<i64> = sqlx::query_scalar(blocks::BLOCKERS_OF)
                .bind(user.0)
                .fetch_all(&mut *conn)
                .await?;
            Ok(BlocksOf {
                blocked,
                blockers: blockers.into_iter().map(UserId).collect(),
            })
        }
    };
}
pub(super) use block_statements_for;
