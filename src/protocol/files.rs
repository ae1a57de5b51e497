//! Files people share: what the upload endpoint answers, and what a message carries of
//! each file attached to it. The bytes go over HTTP (`POST /api/conversations/{id}/files`,
//! `GET /files/{id}/{sha256}`), never over the WebSocket.

use serde::{Deserialize, Serialize};

/// An uploaded file, numbered by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileId(pub i64);

/// Longest file name kept, in characters (a longer one is cut, its extension kept).
pub const FILE_NAME_MAX_CHARS: usize = 200;

/// What the server knows of a stored file, as its readers are told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: FileId,
    /// The name it was uploaded with (cleaned of paths and control characters).
    pub name: String,
    /// The type the server read from the content (never the name's or the browser's).
    pub mime: String,
    /// Bytes, as stored (a picture's after it was encoded again).
    pub size: u64,
    /// A picture's pixels, upright.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Where its readers get it (the content's hash is in the address, so it can be
    /// cached for good).
    pub url: String,
    /// A picture's small copy, for the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

impl FileInfo {
    /// Whether the web client shows it as a picture (the types the server encodes again
    /// and serves inline).
    pub fn is_image(&self) -> bool {
        INLINE_TYPES.contains(&self.mime.as_str())
    }
}

/// The types served inline (shown in the page); every other file is a download.
pub const INLINE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

/// The name a file is kept under: no folders, no control or bidirectional characters,
/// at most [`FILE_NAME_MAX_CHARS`] (cut before the extension), never empty.
pub fn clean_file_name(given: &str) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".into();
    }
    if cleaned.chars().count() <= FILE_NAME_MAX_CHARS {
        return cleaned.to_string();
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => (stem, ext),
        _ => (cleaned, ""),
    };
    let keep = FILE_NAME_MAX_CHARS - ext.chars().count() - usize::from(!ext.is_empty());
    let stem: String = stem.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_folders_controls_and_length() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\me\\cat.jpg"), "cat.jpg");
        assert_eq!(clean_file_name("evil\u{202e}gpj.exe"), "evilgpj.exe");
        assert_eq!(clean_file_name("a\nb\u{0}.png"), "ab.png");
        assert_eq!(clean_file_name(" .. "), "file");
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        let long = format!("{}.pdf", "x".repeat(300));
        let kept = clean_file_name(&long);
        assert_eq!(kept.chars().count(), FILE_NAME_MAX_CHARS);
        assert!(kept.ends_with("x.pdf"), "{kept}");
    }
}
