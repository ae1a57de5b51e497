//! Passkeys (WebAuthn, with webauthn-rs): a signed-in user registers one (several,
//! each named); a connection without a session signs in with one, without a name
//! typed (a discoverable credential: the browser offers the passkeys it holds for
//! this site and tells whose it is). Each ceremony's state waits in storage between
//! its two halves, is taken once, and expires; the verifying runs on a task of its
//! own, never on the hub's. A user with a passkey keeps the nickname past the idle
//! expiry (storage's claim statements see to it).

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::{
    protocol::{
        normalize_passkey_name, CeremonyId, ErrorCode, PasskeyId, PasskeyInfo, ServerMsg,
        PASSKEYS_MAX, PASSKEY_NAME_MAX,
    },
    server::{
        store::passkeys::{NewCeremony, NewPasskey, PasskeyRow, PasskeySignIn},
        unix_millis,
    },
};

use super::{
    devices::device_info,
    encode, internal, refuse,
    sessions::{hash_token, new_token},
    ConnId, Refusal, State, UserRow,
};

/// How long a ceremony may take: the browser's dialog, the user's finger or PIN.
pub(super) const CEREMONY: Duration = Duration::from_secs(120);

/// The relying party: this site, as webauthn-rs checks the browsers' answers against.
pub(super) struct Passkeys {
    webauthn: Arc<Webauthn>,
}

/// The relying party of the site at `origin` (`https://chat.example.org`): its host
/// is the relying party id, which webauthn-rs checks against the origin.
pub fn relying_party(origin: &str) -> Result<Webauthn, String> {
    let url = Url::parse(origin).map_err(|e| e.to_string())?;
    let rp_id = url
        .domain()
        .ok_or("browsers take a host name for passkeys, not an IP address")?;
    WebauthnBuilder::new(rp_id, &url)
        .and_then(|b| b.rp_name("Chat").timeout(CEREMONY).build())
        .map_err(|e| e.to_string())
}

impl Passkeys {
    /// The relying party of the site at `origin`; `None`, logged, if it is not one.
    pub(super) fn new(origin: &str) -> Option<Self> {
        match relying_party(origin) {
            Ok(webauthn) => Some(Self {
                webauthn: Arc::new(webauthn),
            }),
            Err(e) => {
                tracing::warn!(origin, error = %e, "passkeys are off: not a relying party");
                None
            }
        }
    }
}

/// A registration's state, with the user handle the new credential will carry.
#[derive(Serialize, Deserialize)]
struct Registering {
    handle: Uuid,
    state: PasskeyRegistration,
}

fn new_ceremony_id() -> CeremonyId {
    let bytes: [u8; 16] = rand::random();
    CeremonyId(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn failed() -> Refusal {
    refuse(
        ErrorCode::PasskeyFailed,
        "The passkey could not be checked (or took too long). Try again.",
    )
}

fn unknown() -> Refusal {
    refuse(
        ErrorCode::PasskeyUnknown,
        "This passkey is not one of an account here (it may have been removed).",
    )
}

/// What webauthn-rs could not do with a ceremony: logged, then a plain failure.
fn not_verified(e: impl std::fmt::Display) -> Refusal {
    tracing::info!(error = %e, "passkey ceremony failed");
    failed()
}

fn json_failure(e: serde_json::Error) -> Refusal {
    tracing::error!(error = %e, "passkey state did not encode");
    failed()
}

fn infos(rows: Vec<PasskeyRow>) -> Vec<PasskeyInfo> {
    rows.into_iter()
        .map(|row| PasskeyInfo {
            id: row.id,
            name: row.name,
            created_at_ms: row.created_at_ms,
            last_used_ms: row.last_used_ms,
        })
        .collect()
}

/// A passkey not named by its user is named after the device that made it.
fn default_name(user_agent: &str) -> String {
    let device = device_info(user_agent);
    let name = match (device.browser.is_empty(), device.system.is_empty()) {
        (false, false) => format!("{} · {}", device.browser, device.system),
        (false, true) => device.browser,
        (true, false) => device.system,
        (true, true) => "Passkey".to_string(),
    };
    name.chars().take(PASSKEY_NAME_MAX).collect()
}

/// The options to create a credential the authenticator keeps (discoverable), so that
/// signing in needs no name: webauthn-rs' passkey options leave that to the device.
fn discoverable(mut options: serde_json::Value) -> serde_json::Value {
    if let Some(selection) = options
        .get_mut("authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    options
}

impl State {
    fn webauthn(&self) -> Result<Arc<Webauthn>, Refusal> {
        self.passkeys
            .as_ref()
            .map(|p| p.webauthn.clone())
            .ok_or_else(|| {
                refuse(
                    ErrorCode::PasskeysOff,
                    "Passkeys are not set up on this server.",
                )
            })
    }

    fn user_agent_of(&self, conn: ConnId) -> String {
        self.conns
            .get(&conn)
            .map(|c| c.user_agent.clone())
            .unwrap_or_default()
    }

    /// A signed-in user begins registering a passkey.
    pub(super) fn passkey_add_start(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        name: &str,
    ) -> Result<(), Refusal> {
        let webauthn = self.webauthn()?;
        let name = normalize_passkey_name(name).ok_or_else(|| {
            refuse(
                ErrorCode::PasskeyRefused,
                format!("A passkey's name is at most {PASSKEY_NAME_MAX} characters."),
            )
        })?;
        let name = if name.is_empty() {
            default_name(&self.user_agent_of(conn))
        } else {
            name
        };
        let (store, user) = (self.store.clone(), user.clone());
        let now_ms = unix_millis();
        self.spawn_io(
            conn,
            async move {
                let existing = store.passkeys_of(user.id).await.map_err(internal)?;
                if existing.len() >= PASSKEYS_MAX {
                    return Err(refuse(
                        ErrorCode::PasskeyRefused,
                        format!("You have {PASSKEYS_MAX} passkeys; remove one first."),
                    ));
                }
                // All of a user's passkeys carry one handle, random, nothing else of them.
                let handle = existing
                    .first()
                    .and_then(|p| Uuid::from_slice(&p.user_handle).ok())
                    .unwrap_or_else(|| Uuid::from_bytes(rand::random()));
                let exclude = existing.into_iter().map(|p| p.credential_id).collect();
                let (creation, state) = webauthn
                    .start_passkey_registration(
                        handle,
                        &user.nickname,
                        &user.nickname,
                        Some(exclude),
                    )
                    .map_err(not_verified)?;
                let options = serde_json::to_value(&creation.public_key).map_err(json_failure)?;
                let state =
                    serde_json::to_string(&Registering { handle, state }).map_err(json_failure)?;
                let ceremony = new_ceremony_id();
                store
                    .put_ceremony(NewCeremony {
                        id: ceremony.0.clone(),
                        user: Some(user.id),
                        name,
                        state,
                        now_ms,
                        expires_at_ms: now_ms + CEREMONY.as_millis() as i64,
                    })
                    .await
                    .map_err(internal)?;
                Ok(ServerMsg::PasskeyCreation {
                    ceremony,
                    options: discoverable(options),
                })
            },
            move |state, answer| state.answer(conn, answer),
        );
        Ok(())
    }

    /// The browser's new credential for a registration this user began.
    pub(super) fn passkey_add(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        ceremony: CeremonyId,
        credential: serde_json::Value,
    ) -> Result<(), Refusal> {
        let webauthn = self.webauthn()?;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_value(credential).map_err(not_verified)?;
        let (store, user) = (self.store.clone(), user.clone());
        let now_ms = unix_millis();
        self.spawn_io(
            conn,
            async move {
                let taken = store
                    .take_ceremony(ceremony.0, Some(user.id), now_ms)
                    .await
                    .map_err(internal)?
                    .ok_or_else(failed)?;
                let registering: Registering =
                    serde_json::from_str(&taken.state).map_err(not_verified)?;
                let passkey = webauthn
                    .finish_passkey_registration(&credential, &registering.state)
                    .map_err(not_verified)?;
                let added = store
                    .add_passkey(NewPasskey {
                        user: user.id,
                        credential_id: passkey.cred_id().clone(),
                        user_handle: registering.handle.as_bytes().to_vec(),
                        name: taken.name,
                        passkey: serde_json::to_string(&passkey).map_err(json_failure)?,
                        now_ms,
                    })
                    .await
                    .map_err(internal)?;
                if !added {
                    return Err(refuse(
                        ErrorCode::PasskeyRefused,
                        "This passkey is registered already.",
                    ));
                }
                tracing::info!(user = %user.id, "passkey added");
                let passkeys = store.passkeys_of(user.id).await.map_err(internal)?;
                Ok(ServerMsg::Passkeys {
                    passkeys: infos(passkeys),
                })
            },
            move |state, answer| state.answer(conn, answer),
        );
        Ok(())
    }

    /// The user's passkeys; with `remove`, after removing that one.
    pub(super) fn list_passkeys(
        &mut self,
        conn: ConnId,
        user: &UserRow,
        remove: Option<PasskeyId>,
    ) -> Result<(), Refusal> {
        let (store, user) = (self.store.clone(), user.id);
        self.spawn_io(
            conn,
            async move {
                if let Some(passkey) = remove {
                    if !store
                        .remove_passkey(user, passkey)
                        .await
                        .map_err(internal)?
                    {
                        return Err(refuse(
                            ErrorCode::NoSuchPasskey,
                            "You have no such passkey (it may have been removed already).",
                        ));
                    }
                    tracing::info!(%user, "passkey removed");
                }
                let passkeys = store.passkeys_of(user).await.map_err(internal)?;
                Ok(ServerMsg::Passkeys {
                    passkeys: infos(passkeys),
                })
            },
            move |state, answer| state.answer(conn, answer),
        );
        Ok(())
    }

    /// A connection without a session begins signing in with a passkey: it has the
    /// ceremony's time (not only the login deadline) to answer.
    pub(super) fn passkey_sign_in_start(&mut self, conn: ConnId) -> Result<(), Refusal> {
        let webauthn = self.webauthn()?;
        let (request, state) = webauthn
            .start_discoverable_authentication()
            .map_err(not_verified)?;
        let options = serde_json::to_value(&request.public_key).map_err(json_failure)?;
        let state = serde_json::to_string(&state).map_err(json_failure)?;
        let ceremony = new_ceremony_id();
        let now_ms = unix_millis();
        if let Some(c) = self.conns.get_mut(&conn) {
            c.ceremony_until_ms = now_ms + CEREMONY.as_millis() as i64;
        }
        let store = self.store.clone();
        self.spawn_io(
            conn,
            async move {
                store
                    .put_ceremony(NewCeremony {
                        id: ceremony.0.clone(),
                        user: None,
                        name: String::new(),
                        state,
                        now_ms,
                        expires_at_ms: now_ms + CEREMONY.as_millis() as i64,
                    })
                    .await
                    .map_err(internal)?;
                Ok(ServerMsg::PasskeyRequest { ceremony, options })
            },
            move |state, answer| state.answer(conn, answer),
        );
        Ok(())
    }

    /// The browser's answer to a sign-in: checked against the passkey it names, then
    /// a new session of that passkey's user starts on this connection.
    pub(super) fn passkey_sign_in(
        &mut self,
        conn: ConnId,
        ceremony: CeremonyId,
        credential: serde_json::Value,
    ) -> Result<(), Refusal> {
        let webauthn = self.webauthn()?;
        let credential: PublicKeyCredential =
            serde_json::from_value(credential).map_err(not_verified)?;
        let user_agent = self.user_agent_of(conn);
        let token = new_token();
        let token_hash = hash_token(&token);
        let store = self.store.clone();
        let now_ms = unix_millis();
        self.spawn_io(
            conn,
            async move {
                let taken = store
                    .take_ceremony(ceremony.0, None, now_ms)
                    .await
                    .map_err(internal)?
                    .ok_or_else(failed)?;
                let state: DiscoverableAuthentication =
                    serde_json::from_str(&taken.state).map_err(not_verified)?;
                let (handle, credential_id) = webauthn
                    .identify_discoverable_authentication(&credential)
                    .map_err(not_verified)?;
                let stored = store
                    .passkey_by_credential(credential_id.to_vec())
                    .await
                    .map_err(internal)?
                    .ok_or_else(unknown)?;
                if stored.user_handle != handle.as_bytes() {
                    return Err(unknown());
                }
                let mut passkey: Passkey =
                    serde_json::from_str(&stored.passkey).map_err(not_verified)?;
                let result = webauthn
                    .finish_discoverable_authentication_v2(&credential, state, &passkey)
                    .map_err(not_verified)?;
                passkey.update_credential(&result);
                let user = store
                    .passkey_sign_in(PasskeySignIn {
                        credential_id: credential_id.to_vec(),
                        passkey: serde_json::to_string(&passkey).map_err(json_failure)?,
                        token_hash,
                        user_agent,
                        now_ms,
                    })
                    .await
                    .map_err(internal)?
                    .ok_or_else(unknown)?;
                tracing::info!(%user, "signed in with a passkey");
                Ok(())
            },
            move |state, signed_in: Result<(), Refusal>| {
                signed_in?;
                state.start_stored_session(conn, token_hash, Vec::new(), Some(token));
                Ok(())
            },
        );
        Ok(())
    }

    /// Sends a ceremony's answer to the connection, or its refusal.
    fn answer(&mut self, conn: ConnId, answer: Result<ServerMsg, Refusal>) -> Result<(), Refusal> {
        let answer = answer?;
        self.send_to_conn(conn, &encode(&answer), true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relying_party_needs_a_host_name() {
        assert!(Passkeys::new("http://localhost:3000").is_some());
        assert!(Passkeys::new("https://chat.example.org").is_some());
        assert!(Passkeys::new("not an origin").is_none());
    }

    #[test]
    fn registrations_ask_for_a_discoverable_credential() {
        let Some(passkeys) = Passkeys::new("http://localhost:3000") else {
            panic!("localhost is a relying party");
        };
        let (creation, _) = passkeys
            .webauthn
            .start_passkey_registration(Uuid::from_bytes([7; 16]), "ada", "ada", None)
            .unwrap();
        let options = discoverable(serde_json::to_value(&creation.public_key).unwrap());
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["requireResidentKey"],
            true
        );
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(options["rp"]["id"], "localhost");
    }

    #[test]
    fn an_unnamed_passkey_is_named_after_its_device() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
        assert_eq!(default_name(chrome), "Chrome · Linux");
        assert_eq!(default_name(""), "Passkey");
    }
}
