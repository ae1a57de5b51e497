//! The rules inputs must follow, shared by both sides: the server enforces them, the
//! browser uses them to answer before asking. Each refusal names its rule ([`Invalid`]).

use super::{ClientMsgId, ErrorCode, ServerMsg, AVATARS, QUERY_MAX_CHARS, QUOTE_CHARS, REACTIONS};

pub const NICKNAME_MAX_CHARS: usize = 24;
pub const ROOM_NAME_MAX_CHARS: usize = 32;
pub const TEXT_MAX_CHARS: usize = 2000;
pub const CLIENT_ID_MAX_CHARS: usize = 64;

/// A rule an input broke; the message names it for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: ErrorCode,
    pub message: String,
}

fn invalid(code: ErrorCode, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
}

/// Trims and NFKC-normalises a nickname, then checks its length and characters.
/// Returns the nickname as it will be stored and shown. The browser skips NFKC (its
/// tables would weigh on the WASM): its check is a hint, the server's is the rule.
pub fn normalize_nickname(raw: &str) -> Result<String, Invalid> {
    #[cfg(feature = "ssr")]
    let name: String = {
        use unicode_normalization::UnicodeNormalization;
        raw.trim().nfkc().collect()
    };
    #[cfg(not(feature = "ssr"))]
    let name = raw.to_string();
    let name = name.trim().to_string();
    let len = name.chars().count();
    if len == 0 {
        return Err(invalid(ErrorCode::InvalidNickname, "Choose a nickname."));
    }
    if len > NICKNAME_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidNickname,
            format!("A nickname has at most {NICKNAME_MAX_CHARS} characters."),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.')))
    {
        return Err(invalid(
            ErrorCode::InvalidNickname,
            format!("“{bad}” is not allowed: use letters, digits, spaces and _ - . only."),
        ));
    }
    if name.contains("  ") {
        return Err(invalid(
            ErrorCode::InvalidNickname,
            "Use single spaces between words.",
        ));
    }
    Ok(name)
}

/// Checks a room name: 1–32 of `a-z`, `0-9`, `-`, `_`.
pub fn validate_room_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() || name.chars().count() > ROOM_NAME_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidRoomName,
            format!("A room name has 1 to {ROOM_NAME_MAX_CHARS} characters."),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(invalid(
            ErrorCode::InvalidRoomName,
            "A room name uses only a-z, 0-9, - and _.",
        ));
    }
    Ok(())
}

/// Checks an avatar id against [`AVATARS`].
pub fn validate_avatar(id: &str) -> Result<(), Invalid> {
    if AVATARS.contains(&id) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidAvatar,
            "Choose one of the avatars shown.",
        ))
    }
}

/// Trims a message text and checks its length and characters; returns what is stored.
pub fn normalize_text(raw: &str) -> Result<String, Invalid> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err(invalid(
            ErrorCode::InvalidText,
            "A message cannot be empty.",
        ));
    }
    if len > TEXT_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidText,
            format!("A message has at most {TEXT_MAX_CHARS} characters ({len} given)."),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(
            ErrorCode::InvalidText,
            "A message cannot contain control characters other than newline and tab.",
        ));
    }
    if let Some(bad) = text.chars().find(|c| is_bidi_override(*c)) {
        return Err(invalid(
            ErrorCode::InvalidText,
            format!(
                "A message cannot contain the direction control U+{:04X}: it would reorder what others see.",
                bad as u32
            ),
        ));
    }
    Ok(text.to_string())
}

/// The bidirectional embedding, override and isolate controls (format characters,
/// invisible): text after one is shown reordered, so a message could read otherwise
/// than it is written ("Trojan Source"). The marks U+200E/U+200F only nudge
/// neutral characters and stay allowed.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a send's idempotency key: 1–64 printable ASCII characters.
pub fn validate_client_id(id: &ClientMsgId) -> Result<(), Invalid> {
    let ok = !id.0.is_empty()
        && id.0.len() <= CLIENT_ID_MAX_CHARS
        && id.0.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidClientId,
            format!("client_id must be 1 to {CLIENT_ID_MAX_CHARS} printable ASCII characters."),
        ))
    }
}

/// Checks a reaction against [`REACTIONS`].
pub fn validate_reaction(emoji: &str) -> Result<(), Invalid> {
    if REACTIONS.contains(&emoji) {
        Ok(())
    } else {
        Err(invalid(
            ErrorCode::InvalidReaction,
            format!("React with one of {}.", REACTIONS.join(" ")),
        ))
    }
}

/// Trims a search query and checks it: something to look for, not too long.
pub fn normalize_query(raw: &str) -> Result<String, Invalid> {
    let query = raw.trim();
    if !query.chars().any(char::is_alphanumeric) {
        return Err(invalid(
            ErrorCode::InvalidQuery,
            "Type a word to search for.",
        ));
    }
    if query.chars().count() > QUERY_MAX_CHARS {
        return Err(invalid(
            ErrorCode::InvalidQuery,
            format!("A search has at most {QUERY_MAX_CHARS} characters."),
        ));
    }
    Ok(query.to_string())
}

/// The first [`QUOTE_CHARS`] characters of a text, for a reply's quote.
pub fn snippet(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

impl From<Invalid> for ServerMsg {
    fn from(e: Invalid) -> Self {
        ServerMsg::error(e.code, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_are_trimmed_normalised_and_checked() {
        assert_eq!(normalize_nickname("  Alice  ").unwrap(), "Alice");
        // NFKC folds fullwidth letters.
        assert_eq!(normalize_nickname("Ａlice").unwrap(), "Alice");
        assert_eq!(normalize_nickname("Zoë_2.0-x").unwrap(), "Zoë_2.0-x");
        assert_eq!(normalize_nickname("李雷").unwrap(), "李雷");
        for bad in [
            "",
            "   ",
            "a<b",
            "x\u{0007}",
            "emoji😀",
            "a  b",
            &"n".repeat(25),
        ] {
            let err = normalize_nickname(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidNickname, "{bad:?}");
        }
        assert!(normalize_nickname(&"n".repeat(24)).is_ok());
    }

    #[test]
    fn room_names_avatars_texts_and_client_ids_are_checked() {
        assert!(validate_room_name("rust-lang_2").is_ok());
        for bad in ["", "Rust", "a b", "ü", &"r".repeat(33)] {
            assert_eq!(
                validate_room_name(bad).unwrap_err().code,
                ErrorCode::InvalidRoomName
            );
        }
        assert!(validate_avatar("fox").is_ok());
        assert!(validate_avatar("../../etc/passwd").is_err());
        assert!(AVATARS.len() >= 12);

        assert_eq!(normalize_text("  hi\nthere\t ").unwrap(), "hi\nthere");
        assert!(normalize_text(" \n ").is_err());
        assert!(normalize_text(&"é".repeat(2000)).is_ok());
        let err = normalize_text(&"é".repeat(2001)).unwrap_err();
        assert!(err.message.contains("2000"), "{}", err.message);
        assert!(normalize_text("bell\u{0007}").is_err());
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::NotAMember,
            ErrorCode::MalformedMessage,
        ] {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        // "Trojan Source": an override or isolate would reorder what others read.
        for control in ['\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}'] {
            let err = normalize_text(&format!("pay {control}01$ now")).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidText);
            assert!(err.message.contains("direction control"), "{}", err.message);
        }
        // Right-to-left text and its marks are fine.
        assert!(normalize_text("שלום \u{200F}עולם مرحبا").is_ok());

        assert!(validate_client_id(&ClientMsgId("m-1a2b".into())).is_ok());
        assert!(validate_client_id(&ClientMsgId(String::new())).is_err());
        assert!(validate_client_id(&ClientMsgId("a b".into())).is_err());
        assert!(validate_client_id(&ClientMsgId("x".repeat(65))).is_err());
    }
    #[test]
    fn snippets_queries_and_reactions_are_checked() {
        assert_eq!(snippet("short"), "short");
        let long = "字".repeat(QUOTE_CHARS + 5);
        assert_eq!(snippet(&long).chars().count(), QUOTE_CHARS + 1);
        assert!(validate_reaction("👍").is_ok());
        assert_eq!(
            validate_reaction("💩").unwrap_err().code,
            ErrorCode::InvalidReaction
        );
        assert_eq!(normalize_query("  你好 ").unwrap(), "你好");
        assert!(normalize_query(" \"* ").is_err());
        assert!(normalize_query(&"a".repeat(QUERY_MAX_CHARS + 1)).is_err());
    }
}
