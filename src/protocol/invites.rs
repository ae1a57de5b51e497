//! Private rooms and the invite links that let people into them. A private room is not
//! listed, not found by name and not joinable by it; its moderators make links with an
//! expiry and a number of uses, and revoke them. The server makes every code.

use serde::{Deserialize, Serialize};

use super::UserId;

/// Longest life of an invite link: 30 days, in seconds (0 asks for one that never
/// expires).
pub const INVITE_MAX_S: u32 = 30 * 24 * 3600;

/// Most joins one invite link allows (0 asks for no limit).
pub const INVITE_MAX_USES: u32 = 10_000;

/// Most live invite links of one room (those not expired, used up or revoked).
pub const INVITES_PER_ROOM: usize = 100;

/// What an invite link's address carries after `#`: `/#invite=CODE` (a fragment, so
/// the code is never in a request line or a server's log).
pub const INVITE_FRAGMENT: &str = "invite=";

/// Characters of an invite code the server makes, from base64url's alphabet.
pub const INVITE_CODE_LEN: usize = 22;

/// An invite link as the room's moderators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub code: String,
    pub created_by: UserId,
    pub created_at_ms: i64,
    /// When it stops working; never, if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    /// How many joins it allows; any number, if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    pub uses: u32,
}

impl InviteInfo {
    /// The link a person follows: `origin` is the page's (`https://host`).
    pub fn link(&self, origin: &str) -> String {
        format!("{origin}/#{INVITE_FRAGMENT}{}", self.code)
    }
}

/// Whether `code` could be one the server made (checked before any lookup).
pub fn is_invite_code(code: &str) -> bool {
    code.len() == INVITE_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The code of an invite link, or of the code alone as a person pasted it.
pub fn invite_code_in(text: &str) -> Option<String> {
    let text = text.trim();
    let code = match text.rsplit_once(INVITE_FRAGMENT) {
        Some((_, code)) => code,
        None => text,
    };
    is_invite_code(code).then(|| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_carries_its_code_and_gives_it_back() {
        let invite = InviteInfo {
            code: "AbCdEfGhIjKlMnOpQrSt-_".into(),
            created_by: UserId(1),
            created_at_ms: 0,
            expires_at_ms: None,
            max_uses: Some(1),
            uses: 0,
        };
        let link = invite.link("https://chat.example");
        assert_eq!(link, "https://chat.example/#invite=AbCdEfGhIjKlMnOpQrSt-_");
        assert_eq!(invite_code_in(&link).as_deref(), Some(invite.code.as_str()));
        assert_eq!(
            invite_code_in(" AbCdEfGhIjKlMnOpQrSt-_ ").as_deref(),
            Some(invite.code.as_str())
        );
        assert_eq!(invite_code_in("https://chat.example/#invite=short"), None);
        assert!(!is_invite_code("AbCdEfGhIjKlMnOpQrSt/_"), "not base64url");
        assert!(!is_invite_code(""));
    }
}
