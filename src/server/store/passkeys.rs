//! Passkeys in storage: each user's credentials (webauthn-rs's record of each kept as
//! JSON; storage does not read it), and the state of a ceremony between its two
//! halves, taken once and only before it expires. In the database, so that what one
//! server began another could finish, and a restart loses no passkey.

use crate::protocol::{PasskeyId, UserId};

/// A ceremony begun ([`super::Storage::put_ceremony`]).
pub struct NewCeremony {
    pub id: String,
    /// The registering user; `None` for a sign-in.
    pub user: Option<UserId>,
    /// The name the passkey being registered will have.
    pub name: String,
    /// webauthn-rs's state of the ceremony, as JSON.
    pub state: String,
    pub now_ms: i64,
    pub expires_at_ms: i64,
}

/// A ceremony taken to be finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenCeremony {
    pub name: String,
    pub state: String,
}

/// One of a user's passkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRow {
    pub id: PasskeyId,
    pub name: String,
    pub created_at_ms: i64,
    pub last_used_ms: Option<i64>,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
}

/// A passkey registered ([`super::Storage::add_passkey`]).
pub struct NewPasskey {
    pub user: UserId,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub name: String,
    pub passkey: String,
    pub now_ms: i64,
}

/// A passkey found by its credential id, to check a sign-in against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    pub user: UserId,
    pub user_handle: Vec<u8>,
    pub passkey: String,
}

/// A verified sign-in ([`super::Storage::passkey_sign_in`]).
pub struct PasskeySignIn {
    pub credential_id: Vec<u8>,
    /// The passkey's record after the sign-in (its counter moved on).
    pub passkey: String,
    /// The new session's token hash.
    pub token_hash: [u8; 32],
    pub user_agent: String,
    pub now_ms: i64,
}

/// Ceremonies past their time: of no use to anyone.
pub(super) const PRUNE_CEREMONIES: &str = "DELETE FROM passkey_ceremonies WHERE expires_at < $1";

pub(super) const PUT_CEREMONY: &str =
    "INSERT INTO passkey_ceremonies (id, user_id, name, state, expires_at) VALUES ($1, $2, $3, $4, $5)";

/// Takes ceremony `$1` of user `$2` (0: a sign-in) if it has not expired at `$3`.
pub(super) const TAKE_CEREMONY: &str = "DELETE FROM passkey_ceremonies
     WHERE id = $1 AND COALESCE(user_id, 0) = $2 AND expires_at > $3
     RETURNING name, state";

pub(super) const PASSKEYS_OF: &str =
    "SELECT id, name, created_at, last_used_at, credential_id, user_handle FROM passkeys
     WHERE user_id = $1 ORDER BY created_at, id";

/// A credential registered twice (by any user) is refused: no row.
pub(super) const ADD_PASSKEY: &str = "INSERT INTO passkeys
     (user_id, credential_id, user_handle, name, passkey, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING RETURNING id";

pub(super) const REMOVE_PASSKEY: &str =
    "DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING id";

pub(super) const PASSKEY_BY_CREDENTIAL: &str =
    "SELECT user_id, user_handle, passkey FROM passkeys WHERE credential_id = $1";

/// Records a sign-in with passkey `$3` at `$2` (its record now `$1`): its user, or no
/// row if the passkey was removed meanwhile (or its user banned from the server).
pub(super) const USE_PASSKEY: &str =
    "UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE credential_id = $3
       AND NOT EXISTS (SELECT 1 FROM server_bans b WHERE b.user_id = passkeys.user_id)
     RETURNING user_id";

/// The nickname claim of user `$1` at `$2`, made again if it was freed (it is not
/// freed or taken over while the user has a passkey; this is for one made before).
pub(super) const RENEW_CLAIM: &str = "INSERT INTO nickname_claims (skeleton, user_id, last_seen_at)
     SELECT skeleton, id, $2 FROM users WHERE id = $1
     ON CONFLICT (skeleton) DO UPDATE SET last_seen_at = excluded.last_seen_at
     WHERE nickname_claims.user_id = excluded.user_id";

/// The passkey statements, the same on either backend (`$pool` and `$conn` as in
/// [`super::sql::statements_for`]).
macro_rules! passkey_statements_for {
    ($pool:ty, $conn:ty) => {
        use sqlx::Connection as _;

        use crate::protocol::{PasskeyId, UserId};
        use crate::server::store::{
            devices::INSERT_LINKED_SESSION,
            passkeys::{
                self, NewCeremony, NewPasskey, PasskeyRow, PasskeySignIn, StoredPasskey,
                TakenCeremony,
            },
            Result,
        };

        pub(in crate::server::store) async fn put_ceremony(
            conn: &mut $conn,
            ceremony: NewCeremony,
        ) -> Result<()> {
            let mut tx = conn.begin().await?;
            sqlx::query(passkeys::PRUNE_CEREMONIES)
                .bind(ceremony.now_ms)
                .execute(&mut *tx)
                .await?;
            sqlx::query(passkeys::PUT_CEREMONY)
                .bind(&ceremony.id)
                .bind(ceremony.user.map(|u| u.0))
                .bind(&ceremony.name)
                .bind(&ceremony.state)
                .bind(ceremony.expires_at_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        pub(in crate::server::store) async fn take_ceremony(
            conn: &mut $conn,
            id: String,
            user: Option<UserId>,
            now_ms: i64,
        ) -> Result<Option<TakenCeremony>> {
            let row: Option<(String, String)> = sqlx::query_as(passkeys::TAKE_CEREMONY)
                .bind(&id)
                .bind(user.map_or(0, |u| u.0))
                .bind(now_ms)
                .fetch_optional(conn)
                .await?;
            Ok(row.map(|(name, state)| TakenCeremony { name, state }))
        }

        pub(in crate::server::store) async fn passkeys_of(
            pool: &$pool,
            user: UserId,
        ) -> Result<Vec<PasskeyRow>> {
            let rows: Vec<(i64, String, i64, Option<i64>, Vec<u8>, Vec<u8>)> =
                sqlx::query_as(passkeys::PASSKEYS_OF)
                    .bind(user.0)
                    .fetch_all(pool)
                    .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(id, name, created_at_ms, last_used_ms, credential_id, user_handle)| {
                        PasskeyRow {
                            id: PasskeyId(id),
                            name,
                            created_at_ms,
                            last_used_ms,
                            credential_id,
                            user_handle,
                        }
                    },
                )
                .collect())
        }

        pub(in crate::server::store) async fn add_passkey(
            conn: &mut $conn,
            new: NewPasskey,
        ) -> Result<bool> {
            let id: Option<i64> = sqlx::query_scalar(passkeys::ADD_PASSKEY)
                .bind(new.user.0)
                .bind(&new.credential_id)
                .bind(&new.user_handle)
                .bind(&new.name)
                .bind(&new.passkey)
                .bind(new.now_ms)
                .fetch_optional(conn)
                .await?;
            Ok(id.is_some())
        }

        pub(in crate::server::store) async fn remove_passkey(
            conn: &mut $conn,
            user: UserId,
            passkey: PasskeyId,
        ) -> Result<bool> {
            let id: Option<i64> = sqlx::query_scalar(passkeys::REMOVE_PASSKEY)
                .bind(passkey.0)
                .bind(user.0)
                .fetch_optional(conn)
                .await?;
            Ok(id.is_some())
        }

        pub(in crate::server::store) async fn passkey_by_credential(
            pool: &$pool,
            credential_id: Vec<u8>,
        ) -> Result<Option<StoredPasskey>> {
            let row: Option<(i64, Vec<u8>, String)> =
                sqlx::query_as(passkeys::PASSKEY_BY_CREDENTIAL)
                    .bind(&credential_id)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|(user, user_handle, passkey)| StoredPasskey {
                user: UserId(user),
                user_handle,
                passkey,
            }))
        }

        /// The passkey's new record, a session for its user and the user's claim on
        /// the nickname renewed: all of it or nothing.
        pub(in crate::server::store) async fn passkey_sign_in(
            conn: &mut $conn,
            sign_in: PasskeySignIn,
        ) -> Result<Option<UserId>> {
            let mut tx = conn.begin().await?;
            let user: Option<i64> = sqlx::query_scalar(passkeys::USE_PASSKEY)
                .bind(&sign_in.passkey)
                .bind(sign_in.now_ms)
                .bind(&sign_in.credential_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(user) = user else {
                return Ok(None);
            };
            sqlx::query(INSERT_LINKED_SESSION)
                .bind(&sign_in.token_hash[..])
                .bind(user)
                .bind(sign_in.now_ms)
                .bind(&sign_in.user_agent)
                .execute(&mut *tx)
                .await?;
            sqlx::query(passkeys::RENEW_CLAIM)
                .bind(user)
                .bind(sign_in.now_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(UserId(user)))
        }
    };
}
pub(super) use passkey_statements_for;
