//! `@` mentions in the composer: what is being typed after an `@`, completing it
//! with a nickname, and which people a text names when it is sent.

use crate::protocol::{UserId, UserInfo, MAX_MENTIONS};

/// The `@` being typed at `caret` (a byte offset): where it starts and what follows
/// it so far. An `@` counts at the start or after a space, with no space since.
pub fn query_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let typed = &before[at + 1..];
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    (starts_word && !typed.contains(char::is_whitespace)).then_some((at, typed))
}

/// People whose nickname starts with `typed` (any case), at most `limit`.
pub fn matching<'a>(people: &'a [UserInfo], typed: &str, limit: usize) -> Vec<&'a UserInfo> {
    let typed = typed.to_lowercase();
    people
        .iter()
        .filter(|u| u.nickname.to_lowercase().starts_with(&typed))
        .take(limit)
        .collect()
}

/// The text with the `@…` from `at` to `caret` replaced by `@nickname `, and the
/// caret after it.
pub fn complete(text: &str, at: usize, caret: usize, nickname: &str) -> (String, usize) {
    let inserted = format!("@{nickname} ");
    let mut out = String::with_capacity(text.len() + inserted.len());
    out.push_str(&text[..at]);
    out.push_str(&inserted);
    out.push_str(&text[caret..]);
    (out, at + inserted.len())
}

/// The people a text mentions: `@nickname` not followed by a letter or digit (so
/// `@Ann` does not name "Anna"), longest nickname first, each once.
pub fn mentioned(text: &str, people: &[UserInfo]) -> Vec<UserId> {
    let mut by_length: Vec<&UserInfo> = people.iter().collect();
    by_length.sort_by_key(|u| std::cmp::Reverse(u.nickname.len()));
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for user in by_length {
        let needle = format!("@{}", user.nickname.to_lowercase());
        let named = lower.match_indices(&needle).any(|(i, _)| {
            lower[i + needle.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
        });
        if named && !found.contains(&user.id) {
            found.push(user.id);
        }
    }
    found.truncate(MAX_MENTIONS);
    found
}

/// The byte offset of a UTF-16 offset (what a text field's caret is) in `text`.
pub fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The UTF-16 offset of a byte offset in `text`.
pub fn utf16_offset(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, name: &str) -> UserInfo {
        UserInfo {
            id: UserId(id),
            nickname: name.into(),
            avatar: "fox".into(),
            online: true,
        }
    }

    #[test]
    fn an_at_sign_starts_a_mention_only_as_a_word() {
        assert_eq!(query_at("hi @An", 6), Some((3, "An")));
        assert_eq!(query_at("@", 1), Some((0, "")));
        assert_eq!(query_at("mail a@b.c", 10), None);
        assert_eq!(query_at("@Ann hello", 10), None, "a space ends it");
        assert_eq!(
            query_at("你好 @李", "你好 @李".len()),
            Some(("你好 ".len(), "李"))
        );
    }

    #[test]
    fn completing_puts_the_nickname_in_place() {
        let (text, caret) = complete("hi @an, ok", 3, 6, "Ann Lee");
        assert_eq!(text, "hi @Ann Lee , ok");
        assert_eq!(&text[..caret], "hi @Ann Lee ");
        let people = [user(1, "Ann Lee"), user(2, "Bob"), user(3, "anna")];
        let names: Vec<&str> = matching(&people, "AN", 5)
            .iter()
            .map(|u| u.nickname.as_str())
            .collect();
        assert_eq!(names, ["Ann Lee", "anna"]);
    }

    #[test]
    fn a_text_mentions_whole_nicknames_once() {
        let people = [user(1, "Ann"), user(2, "Anna"), user(3, "Bob")];
        assert_eq!(
            mentioned("@anna and @Ann, hi @Ann", &people),
            [UserId(2), UserId(1)]
        );
        assert_eq!(mentioned("@Annabel", &people), Vec::<UserId>::new());
        assert!(mentioned("mail bob@x", &people).is_empty());
    }

    #[test]
    fn carets_convert_between_utf16_and_bytes() {
        let text = "a😀b";
        assert_eq!(byte_offset(text, 3), 5);
        assert_eq!(utf16_offset(text, 5), 3);
        assert_eq!(byte_offset(text, 99), text.len());
    }
}
