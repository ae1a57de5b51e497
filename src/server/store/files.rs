//! What is known of each uploaded file (the bytes are in the object store,
//! [`crate::server::files`]): who uploaded it to which conversation, its name, type,
//! size, pixels and hash, and who may read it.

use crate::protocol::{ConversationId, FileId, UserId};

/// A file to record ([`super::Storage::add_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub conversation: ConversationId,
    pub uploader: UserId,
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// Lowercase hex of the stored bytes' SHA-256.
    pub sha256: String,
    pub dimensions: Option<(u32, u32)>,
    pub has_thumbnail: bool,
    pub now_ms: i64,
}

/// A recorded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    pub id: FileId,
    pub conversation: ConversationId,
    pub uploader: UserId,
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub sha256: String,
    pub dimensions: Option<(u32, u32)>,
    pub has_thumbnail: bool,
}

/// What a user has uploaded: bytes in all (their quota), and files since a moment
/// (their rate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uploaded {
    pub bytes: u64,
    pub files_since: u32,
}

/// Records file `$3..` of uploader `$2` in conversation `$1`, if they are a member.
pub(super) const INSERT_FILE: &str = "INSERT INTO files
     (conversation_id, uploader_id, name, mime, size, sha256, width, height, has_thumbnail, created_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
     WHERE EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2)
     RETURNING id";

/// File `$1`, if user `$2` may read it: its uploader while it is attached to nothing,
/// and once it is attached, the conversation's members; never once deleted.
pub(super) const READABLE_FILE: &str = "SELECT f.id, f.conversation_id, f.uploader_id,
        f.name, f.mime, f.size, f.sha256, f.width, f.height, f.has_thumbnail
     FROM files f
     WHERE f.id = $1 AND f.deleted_at IS NULL
       AND ((f.seq IS NULL AND f.uploader_id = $2)
         OR (f.seq IS NOT NULL AND EXISTS
              (SELECT 1 FROM members m WHERE m.conversation_id = f.conversation_id AND m.user_id = $2)))";

/// The bytes user `$1` keeps (files not deleted), and how many files they uploaded
/// since `$2`.
pub(super) const UPLOADED: &str = "SELECT
        CAST(COALESCE(SUM(CASE WHEN deleted_at IS NULL THEN size ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END), 0) AS BIGINT)
     FROM files WHERE uploader_id = $1";

/// A file row ([`READABLE_FILE`]).
#[derive(sqlx::FromRow)]
pub(super) struct FileFields {
    id: i64,
    conversation_id: i64,
    uploader_id: i64,
    name: String,
    mime: String,
    size: i64,
    sha256: String,
    width: Option<i64>,
    height: Option<i64>,
    has_thumbnail: bool,
}

impl From<FileFields> for FileRow {
    fn from(f: FileFields) -> Self {
        Self {
            id: FileId(f.id),
            conversation: ConversationId(f.conversation_id),
            uploader: UserId(f.uploader_id),
            name: f.name,
            mime: f.mime,
            size: f.size.max(0) as u64,
            sha256: f.sha256,
            dimensions: f.width.zip(f.height).map(|(w, h)| (w as u32, h as u32)),
            has_thumbnail: f.has_thumbnail,
        }
    }
}

/// The file statements, the same on either backend (`$pool` and `$conn` as in
/// [`super::sql::statements_for`]).
macro_rules! file_statements_for {
    ($pool:ty, $conn:ty) => {
        use crate::protocol::{FileId, UserId};
        use crate::server::store::{
            files::{self, FileFields, FileRow, NewFile, Uploaded},
            Result,
        };

        /// Records an uploaded file: its number, or none if the uploader is not a member.
        pub(in crate::server::store) async fn add_file(
            conn: &mut $conn,
            new: NewFile,
        ) -> Result<Option<FileId>> {
            let (width, height) = new.dimensions.map_or((None, None), |(w, h)| {
                (Some(i64::from(w)), Some(i64::from(h)))
            });
            let id: Option<i64> = sqlx::query_scalar(files::INSERT_FILE)
                .bind(new.conversation.0)
                .bind(new.uploader.0)
                .bind(&new.name)
                .bind(&new.mime)
                .bind(new.size as i64)
                .bind(&new.sha256)
                .bind(width)
                .bind(height)
                .bind(new.has_thumbnail)
                .bind(new.now_ms)
                .fetch_optional(conn)
                .await?;
            Ok(id.map(FileId))
        }

        pub(in crate::server::store) async fn readable_file(
            pool: &$pool,
            file: FileId,
            reader: UserId,
        ) -> Result<Option<FileRow>> {
            let row: Option<FileFields> = sqlx::query_as(files::READABLE_FILE)
                .bind(file.0)
                .bind(reader.0)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(FileRow::from))
        }

        pub(in crate::server::store) async fn is_member(
            pool: &$pool,
            conversation: crate::protocol::ConversationId,
            user: UserId,
        ) -> Result<bool> {
            let found: Option<i32> = sqlx::query_scalar(crate::server::store::invites::IS_MEMBER)
                .bind(conversation.0)
                .bind(user.0)
                .fetch_optional(pool)
                .await?;
            Ok(found.is_some())
        }

        pub(in crate::server::store) async fn uploaded(
            pool: &$pool,
            user: UserId,
            since_ms: i64,
        ) -> Result<Uploaded> {
            let (bytes, files_since): (i64, i64) = sqlx::query_as(files::UPLOADED)
                .bind(user.0)
                .bind(since_ms)
                .fetch_one(pool)
                .await?;
            Ok(Uploaded {
                bytes: bytes.max(0) as u64,
                files_since: files_since.clamp(0, i64::from(u32::MAX)) as u32,
            })
        }
    };
}
pub(super) use file_statements_for;
