//! A software authenticator, as a browser's passkey would answer: ES256, "none"
//! attestation, a discoverable credential that keeps the user handle, user presence
//! and verification set. It answers the server's options with the JSON a browser's
//! `PublicKeyCredential.toJSON()` gives, so the server's checks run for real.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chat::protocol::{CeremonyId, ClientMsg, ErrorCode, PasskeyInfo, ServerMsg};
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{recv_until, send, Client};

/// The origin the test servers' passkeys are for (`passkey_origin`).
pub const ORIGIN: &str = "http://localhost:3000";

pub struct SoftPasskey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    rp_id: String,
    origin: String,
    pub user_handle: Option<Vec<u8>>,
    counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a base64url string"))
        .expect("base64url")
}

/// CBOR's head of a major type and length (RFC 8949, 3).
fn cbor_head(major: u8, len: usize, out: &mut Vec<u8>) {
    let major = major << 5;
    match len {
        0..=23 => out.push(major | len as u8),
        24..=255 => out.extend([major | 24, len as u8]),
        _ => {
            out.push(major | 25);
            out.extend((len as u16).to_be_bytes());
        }
    }
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, text.len(), out);
    out.extend(text.as_bytes());
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, bytes.len(), out);
    out.extend(bytes);
}

impl SoftPasskey {
    pub fn new() -> Self {
        Self::at(ORIGIN)
    }

    /// An authenticator of the browser at `origin`.
    pub fn at(origin: &str) -> Self {
        let rp_id = origin
            .split("://")
            .nth(1)
            .and_then(|host| host.split(':').next())
            .unwrap_or_default()
            .to_string();
        let key = loop {
            if let Ok(key) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                break key;
            }
        };
        Self {
            key,
            credential_id: rand::random::<[u8; 16]>().to_vec(),
            rp_id,
            origin: origin.to_string(),
            user_handle: None,
            counter: 0,
        }
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": options["challenge"],
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    fn auth_data(&mut self, flags: u8) -> Vec<u8> {
        self.counter += 1;
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend(self.counter.to_be_bytes());
        data
    }

    /// Answers `navigator.credentials.create`'s options: a new credential.
    pub fn create(&mut self, options: &Value) -> Value {
        assert_eq!(options["rp"]["id"], self.rp_id.as_str(), "{options}");
        assert_eq!(
            options["authenticatorSelection"]["residentKey"], "required",
            "a discoverable credential is asked for"
        );
        self.user_handle = Some(unb64(&options["user"]["id"]));
        let client_data = self.client_data("webauthn.create", options);
        // Flags: user present, user verified, attested credential data.
        let mut auth_data = self.auth_data(0x01 | 0x04 | 0x40);
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        let point = self.key.verifying_key().to_sec1_point(false);
        let xy = &point.as_bytes()[1..];
        // The public key, COSE: kty EC2, alg ES256, crv P-256, x, y.
        auth_data.extend([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]);
        cbor_bytes(&xy[..32], &mut auth_data);
        auth_data.push(0x22);
        cbor_bytes(&xy[32..], &mut auth_data);
        let mut attestation = Vec::new();
        cbor_head(5, 3, &mut attestation);
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        cbor_head(5, 0, &mut attestation);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&auth_data, &mut attestation);
        self.credential(
            json!({
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            }),
            json!({ "credProps": { "rk": true } }),
        )
    }

    /// Answers `navigator.credentials.get`'s options: an assertion, signed.
    pub fn get(&mut self, options: &Value) -> Value {
        assert_eq!(options["rpId"], self.rp_id.as_str(), "{options}");
        let client_data = self.client_data("webauthn.get", options);
        let auth_data = self.auth_data(0x01 | 0x04);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        self.credential(
            json!({
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": self.user_handle.as_deref().map(b64),
            }),
            json!({}),
        )
    }

    /// This credential's `toJSON()` around an authenticator's response.
    fn credential(&self, response: Value, extensions: Value) -> Value {
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": response,
            "clientExtensionResults": extensions,
        })
    }
}

/// The answer to a passkey request: what was asked for, or the refusal.
async fn answer<T>(
    client: &mut Client,
    pick: impl Fn(&ServerMsg) -> Option<T>,
) -> Result<T, ErrorCode> {
    recv_until(client, |m| match m {
        ServerMsg::Error { code, .. } => Some(Err(*code)),
        other => pick(other).map(Ok),
    })
    .await
}

/// Sends a ceremony's first request: the ceremony and its options for the browser.
async fn begin(client: &mut Client, request: ClientMsg) -> Result<(CeremonyId, Value), ErrorCode> {
    send(client, &request).await;
    answer(client, |m| match m {
        ServerMsg::PasskeyCreation { ceremony, options }
        | ServerMsg::PasskeyRequest { ceremony, options } => {
            Some((ceremony.clone(), options.clone()))
        }
        _ => None,
    })
    .await
}

/// Begins adding a passkey on a signed-in connection.
pub async fn add_start(client: &mut Client, name: &str) -> Result<(CeremonyId, Value), ErrorCode> {
    begin(client, ClientMsg::PasskeyAddStart { name: name.into() }).await
}

/// Finishes adding one: the user's passkeys after it.
pub async fn add_finish(
    client: &mut Client,
    ceremony: CeremonyId,
    credential: Value,
) -> Result<Vec<PasskeyInfo>, ErrorCode> {
    send(
        client,
        &ClientMsg::PasskeyAdd {
            ceremony,
            credential,
        },
    )
    .await;
    passkeys_answer(client).await
}

/// Removes one of the signed-in user's passkeys: their passkeys after it, or the refusal.
pub async fn remove(
    client: &mut Client,
    passkey: chat::protocol::PasskeyId,
) -> Result<Vec<PasskeyInfo>, ErrorCode> {
    send(client, &ClientMsg::PasskeyRemove { passkey }).await;
    passkeys_answer(client).await
}

pub async fn passkeys_answer(client: &mut Client) -> Result<Vec<PasskeyInfo>, ErrorCode> {
    answer(client, |m| match m {
        ServerMsg::Passkeys { passkeys } => Some(passkeys.clone()),
        _ => None,
    })
    .await
}

/// Adds a passkey of `authenticator` to the signed-in connection's user.
pub async fn add(
    client: &mut Client,
    authenticator: &mut SoftPasskey,
    name: &str,
) -> Vec<PasskeyInfo> {
    let (ceremony, options) = add_start(client, name).await.unwrap();
    add_finish(client, ceremony, authenticator.create(&options))
        .await
        .unwrap()
}

/// Begins a sign-in on a connection without a session.
pub async fn sign_in_start(client: &mut Client) -> Result<(CeremonyId, Value), ErrorCode> {
    begin(client, ClientMsg::PasskeySignInStart).await
}

/// Sends a sign-in's answer: the `ready` it brings (checked by the caller), or the refusal.
pub async fn sign_in_finish(
    client: &mut Client,
    ceremony: CeremonyId,
    credential: Value,
) -> Result<ServerMsg, ErrorCode> {
    send(
        client,
        &ClientMsg::PasskeySignIn {
            ceremony,
            credential,
        },
    )
    .await;
    answer(client, |m| {
        matches!(m, ServerMsg::Ready { .. }).then(|| m.clone())
    })
    .await
}
