//! Texts as the full-text index takes them, and a query's words as it is searched
//! with: the same on both backends (SQLite FTS5, PostgreSQL `tsvector`), so that
//! Chinese words are found inside sentences.

/// Whether a character is written without spaces between words (Han, kana, Hangul…):
/// each is indexed, and searched, as a word of its own.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3040..=0x30FF | 0x3100..=0x312F | 0x3130..=0x318F
        | 0x31A0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// A text as the full-text index takes it: each CJK character a word of its own.
pub(super) fn searchable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_cjk) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// The words of a search query, each as the index has it (a CJK word becomes a
/// phrase of its characters). Every word must match; each backend quotes them its
/// own way, so that nothing in a query is read as the search syntax.
pub fn search_words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|word| {
            let word: String = word
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .collect();
            searchable(&word)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|w| !w.is_empty())
        .collect()
}
