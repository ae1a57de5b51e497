//! Passkeys (WebAuthn): a user signs in on any device without a name typed, and keeps
//! the nickname past the idle expiry. The ceremonies' options and the browser's
//! answers travel as the JSON the browser's `PublicKeyCredential.parse…FromJSON` and
//! `toJSON()` read and write, so the client carries no WebAuthn code of its own.

use serde::{Deserialize, Serialize};

/// One of a user's passkeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasskeyId(pub i64);

/// A ceremony the server began (its challenge kept in storage until it is answered,
/// once, or expires).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CeremonyId(pub String);

/// A passkey as its owner sees it in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    pub id: PasskeyId,
    pub name: String,
    pub created_at_ms: i64,
    /// When it last signed in (never: absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_ms: Option<i64>,
}

/// Longest passkey name, in characters.
pub const PASSKEY_NAME_MAX: usize = 64;

/// Passkeys one user may have.
pub const PASSKEYS_MAX: usize = 10;

/// A passkey's name as given: trimmed, control characters refused; empty means "name
/// it after the device".
pub fn normalize_passkey_name(name: &str) -> Option<String> {
    let name = name.trim();
    (name.chars().count() <= PASSKEY_NAME_MAX && !name.chars().any(char::is_control))
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkey_names_are_trimmed_and_kept_short() {
        assert_eq!(normalize_passkey_name("  Laptop "), Some("Laptop".into()));
        assert_eq!(normalize_passkey_name(""), Some(String::new()));
        assert_eq!(normalize_passkey_name("a\u{7}b"), None);
        assert_eq!(
            normalize_passkey_name(&"x".repeat(PASSKEY_NAME_MAX)).map(|n| n.len()),
            Some(64)
        );
        assert_eq!(
            normalize_passkey_name(&"x".repeat(PASSKEY_NAME_MAX + 1)),
            None
        );
    }
}
