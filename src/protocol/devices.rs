//! One person on several devices: the one-time codes that link a new device to a
//! signed-in one, and the sessions (devices) a user holds.

use serde::{Deserialize, Serialize};

/// A pending link of a new device, named in the request its owner confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LinkId(pub i64);

/// One of a user's sessions as the user sees it; not its secret (a prefix of the
/// token's hash, in hex).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(pub String);

/// Characters of a link code: Crockford's base 32 (no I, L, O or U), so that what
/// is read off one screen is typed on another without doubt.
pub const LINK_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a link code: 40 bits, tried at a few per minute per address, valid
/// for minutes and once.
pub const LINK_CODE_CHARS: usize = 8;

/// Where a link's address carries its code: `https://site/#link=ABCD2345`.
pub const LINK_FRAGMENT: &str = "link=";

/// A link code as typed, in its canonical form: upper case, without spaces or dashes,
/// with the letters people mistake for digits (O, I, L) read as those digits. `None`
/// if it cannot be a code at all.
pub fn normalize_link_code(typed: &str) -> Option<String> {
    let mut code = String::with_capacity(LINK_CODE_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !LINK_CODE_ALPHABET.contains(&(c as u8)) {
            return None;
        }
        code.push(c);
    }
    (code.len() == LINK_CODE_CHARS).then_some(code)
}

/// A code as shown to be read: `ABCD-2345`.
pub fn display_link_code(code: &str) -> String {
    if code.len() == LINK_CODE_CHARS && code.is_ascii() {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_string()
    }
}

/// What a device is, read from its browser's `User-Agent`: "Chrome", "Android".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The browser's name (empty if unknown).
    pub browser: String,
    /// The operating system's name (empty if unknown).
    pub system: String,
}

/// One session of the user's, in the device list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: DeviceId,
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// When the session began (logged in, or linked).
    pub created_at_ms: i64,
    /// When it was last used (connected, or still connected then).
    pub last_seen_ms: i64,
    /// The session of the connection that asked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub current: bool,
    /// Connected now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active: bool,
}

/// A QR code as an SVG path: `size` modules square, each dark run a rectangle of
/// `path` (drawn with `viewBox="0 0 size size"`), so the client needs no encoder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCode {
    pub size: u32,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(
            normalize_link_code("abcd-2345").as_deref(),
            Some("ABCD2345")
        );
        assert_eq!(
            normalize_link_code(" ab cd 23 45 ").as_deref(),
            Some("ABCD2345")
        );
        // O, I and L are the digits they look like.
        assert_eq!(normalize_link_code("OIL23456").as_deref(), Some("01123456"));
        for bad in [
            "",
            "ABCD234",
            "ABCD23456",
            "ABCD-23U5",
            "ABCD 2345ü",
            "ÅBCD2345",
        ] {
            assert_eq!(normalize_link_code(bad), None, "{bad}");
        }
        assert_eq!(display_link_code("ABCD2345"), "ABCD-2345");
    }
}
