//! Files over HTTP, beside the WebSocket: `POST /api/conversations/{id}/files` takes
//! one file (the body, streamed to a temporary file, never whole in memory) from a
//! member of the conversation, signed in with their session token; `GET
//! /files/{id}/{sha256}` (and `…/thumbnail`) serves it to those who may read it, with
//! headers that keep any content from running on the site's origin. Types are read
//! from the content; pictures are made anew without their metadata
//! ([`processing`]); the bytes live in an object store under their SHA-256
//! ([`blobs`]), what is known of them in storage ([`crate::server::store::files`]).

pub mod blobs;
pub mod processing;

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::{io::AsyncWriteExt, sync::Semaphore};

use crate::protocol::{
    clean_file_name, ConversationId, ErrorCode, FileId, FileInfo, UserId, INLINE_TYPES,
};

use super::{
    store::{
        files::{FileRow, NewFile},
        Store,
    },
    unix_millis, Config,
};
use blobs::Blobs;
use processing::{ImageLimits, ImageRefused, HEAD_BYTES};

/// The policy on every file served: nothing in it runs, loads or submits anything.
pub const FILE_POLICY: &str = "sandbox; default-src 'none'";

/// What the upload and download handlers share.
#[derive(Clone)]
pub struct Files {
    blobs: Blobs,
    store: Store,
    /// Where uploads wait while they arrive and are looked at.
    incoming: Arc<PathBuf>,
    limits: UploadLimits,
    /// Pictures decoded at once: each may take hundreds of megabytes.
    decodes: Arc<Semaphore>,
    session_idle: Duration,
}

/// The settings of uploads (from [`Config`]).
#[derive(Debug, Clone, Copy)]
struct UploadLimits {
    max_bytes: u64,
    per_minute: u32,
    quota_bytes: u64,
    image: ImageLimits,
}

impl Files {
    /// The files of `config`'s folder (created if missing), recorded in `store`.
    pub fn open(config: &Config, store: Store) -> std::io::Result<Self> {
        let dir = config.files_dir();
        let incoming = dir.join("incoming");
        std::fs::create_dir_all(&incoming)?;
        let decodes = std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2));
        Ok(Self {
            blobs: Blobs::in_folder(&dir.join("blobs"))?,
            store,
            incoming: Arc::new(incoming),
            limits: UploadLimits {
                max_bytes: config.upload_max_bytes,
                per_minute: config.uploads_per_minute,
                quota_bytes: config.upload_quota_bytes,
                image: ImageLimits {
                    max_pixels: config.image_max_pixels,
                },
            },
            decodes: Arc::new(Semaphore::new(decodes)),
            session_idle: Duration::from_secs(config.session_idle_days * 24 * 3600),
        })
    }

    /// The user of the session token in `Authorization: Bearer …`.
    async fn signed_in(&self, headers: &HeaderMap) -> Result<UserId, Refusal> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::SessionInvalid,
                    "Sign in first: send the session token as Authorization: Bearer.",
                )
            })?;
        let now = unix_millis();
        let alive_since = now - self.session_idle.as_millis() as i64;
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        match self.store.session_user(&hash, alive_since, now).await {
            Ok(Some(user)) => Ok(user.id),
            Ok(None) => Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::SessionInvalid,
                "That session is unknown or expired: sign in again.",
            )),
            Err(e) => Err(Refusal::internal(e)),
        }
    }
}

/// A refused request: its status, and the code and words the client shows.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    body: RefusalBody,
    retry_after_s: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RefusalBody {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: RefusalBody {
                code,
                message: message.into(),
            },
            retry_after_s: None,
        }
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "a file request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "The server could not complete this; try again.",
        )
    }

    /// The same answer as for a file that does not exist.
    fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NoSuchConversation,
            "No such file.",
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if self.status.is_server_error() || self.status == StatusCode::NOT_FOUND {
            tracing::debug!(status = %self.status, code = self.body.code.as_str(), "file request refused");
        } else {
            tracing::info!(status = %self.status, code = self.body.code.as_str(), "file request refused");
        }
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The upload's query: the file's name.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    name: String,
}

/// `POST /api/conversations/{id}/files?name=NAME`: the body is the file. Answers 201
/// with its [`FileInfo`]; 401 without a session, 404 if the user is not a member,
/// 413 over the size or the quota, 429 over the rate, 422 for a picture that cannot
/// be read.
pub async fn upload(
    State(files): State<Files>,
    Path(conversation): Path<i64>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<FileInfo>), Refusal> {
    let limits = files.limits;
    if limits.max_bytes == 0 {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            ErrorCode::UploadsOff,
            "This server takes no files.",
        ));
    }
    let user = files.signed_in(&headers).await?;
    let conversation = ConversationId(conversation);
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::FileTooLarge,
            format!("A file has {} bytes at most here.", limits.max_bytes),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large());
    }
    match files.store.is_member(conversation, user).await {
        Ok(true) => {}
        Ok(false) => return Err(Refusal::not_found()),
        Err(e) => return Err(Refusal::internal(e)),
    }
    let now = unix_millis();
    let uploaded = files
        .store
        .uploaded(user, now - 60_000)
        .await
        .map_err(Refusal::internal)?;
    if uploaded.files_since >= limits.per_minute {
        let mut refusal = Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!(
                "{} files a minute at most; wait a little.",
                limits.per_minute
            ),
        );
        refusal.retry_after_s = Some(60);
        return Err(refusal);
    }
    let quota_left = limits.quota_bytes.saturating_sub(uploaded.bytes);
    let over_quota = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UploadQuota,
            format!(
                "Your files may take {} bytes in all here; delete some first.",
                limits.quota_bytes
            ),
        )
    };
    if declared.is_some_and(|n| n > quota_left) {
        return Err(over_quota());
    }

    // Into a temporary file (removed when dropped), hashed on the way.
    let arrived =
        tempfile::NamedTempFile::new_in(files.incoming.as_path()).map_err(Refusal::internal)?;
    let (std_file, path) = arrived.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedMessage,
                format!("The upload broke off: {e}"),
            )
        })?;
        size += chunk.len() as u64;
        if size > limits.max_bytes {
            return Err(too_large());
        }
        if size > quota_left {
            return Err(over_quota());
        }
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(Refusal::internal)?;
    }
    file.flush().await.map_err(Refusal::internal)?;
    drop(file);
    if size == 0 {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedMessage,
            "The file is empty.",
        ));
    }

    let name = clean_file_name(&query.name);
    let mime = processing::content_type(&head);
    let new = match processing::image_format(mime) {
        Some(format) => {
            let permit = files
                .decodes
                .clone()
                .acquire_owned()
                .await
                .map_err(Refusal::internal)?;
            let image_limits = limits.image;
            let source = path.to_path_buf();
            let cleaned = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                processing::clean_image(&source, format, image_limits)
            })
            .await
            .map_err(Refusal::internal)?;
            let clean = cleaned.map_err(|refused| {
                let message = match refused {
                    ImageRefused::TooManyPixels { max, .. } => {
                        format!("A picture has {max} pixels at most here.")
                    }
                    ImageRefused::Unreadable(_) => "That picture cannot be read.".to_string(),
                };
                tracing::info!(%conversation, %refused, "picture refused");
                Refusal::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::InvalidImage,
                    message,
                )
            })?;
            let sha256 = hex(&Sha256::digest(&clean.bytes));
            let size = clean.bytes.len() as u64;
            files
                .blobs
                .put_bytes(&sha256, clean.bytes)
                .await
                .map_err(Refusal::internal)?;
            files
                .blobs
                .put_thumbnail(&sha256, clean.thumbnail)
                .await
                .map_err(Refusal::internal)?;
            NewFile {
                conversation,
                uploader: user,
                name: with_extension(&name, clean.mime),
                mime: clean.mime.to_string(),
                size,
                sha256,
                dimensions: Some((clean.width, clean.height)),
                has_thumbnail: true,
                now_ms: now,
            }
        }
        None => {
            let sha256 = hex(&hasher.finalize());
            files
                .blobs
                .put_file(&sha256, &path)
                .await
                .map_err(Refusal::internal)?;
            NewFile {
                conversation,
                uploader: user,
                name,
                mime: mime.to_string(),
                size,
                sha256,
                dimensions: None,
                has_thumbnail: false,
                now_ms: now,
            }
        }
    };
    drop(path);
    let info = FileRow {
        id: FileId(0),
        conversation,
        uploader: user,
        name: new.name.clone(),
        mime: new.mime.clone(),
        size: new.size,
        sha256: new.sha256.clone(),
        dimensions: new.dimensions,
        has_thumbnail: new.has_thumbnail,
    };
    let Some(id) = files.store.add_file(new).await.map_err(Refusal::internal)? else {
        // Left the conversation meanwhile.
        return Err(Refusal::not_found());
    };
    tracing::info!(file = id.0, %conversation, size = info.size, mime = %info.mime, "file uploaded");
    Ok((
        StatusCode::CREATED,
        Json(file_info(&FileRow { id, ..info })),
    ))
}

/// What a reader is told of a file.
pub fn file_info(row: &FileRow) -> FileInfo {
    let url = format!("/files/{}/{}", row.id.0, row.sha256);
    FileInfo {
        id: row.id,
        name: row.name.clone(),
        mime: row.mime.clone(),
        size: row.size,
        width: row.dimensions.map(|d| d.0),
        height: row.dimensions.map(|d| d.1),
        thumbnail_url: row.has_thumbnail.then(|| format!("{url}/thumbnail")),
        url,
    }
}

/// A picture's name with the extension of the type it was encoded as (a WebP made a
/// JPEG is named so).
fn with_extension(name: &str, mime: &str) -> String {
    let ext = match mime {
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "jpg",
    };
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem = if stem.is_empty() { "picture" } else { stem };
    format!("{stem}.{ext}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /files/{id}/{sha256}`: the file, for those who may read it (else 404, as for
/// a file that does not exist).
pub async fn download(
    State(files): State<Files>,
    Path((id, sha256)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    serve(files, id, sha256, false, headers).await
}

/// `GET /files/{id}/{sha256}/thumbnail`: a picture's small copy.
pub async fn thumbnail(
    State(files): State<Files>,
    Path((id, sha256)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    serve(files, id, sha256, true, headers).await
}

async fn serve(
    files: Files,
    id: i64,
    sha256: String,
    small: bool,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let user = files.signed_in(&headers).await?;
    let row = files
        .store
        .readable_file(FileId(id), user)
        .await
        .map_err(Refusal::internal)?
        .filter(|row| row.sha256 == sha256 && (!small || row.has_thumbnail))
        .ok_or_else(Refusal::not_found)?;
    // One range of the file, checked against its size before anything is read.
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(asked) if !small => {
            match blobs::parse_range(asked).and_then(|r| blobs::resolve(&r, row.size)) {
                Some(bytes) => Some(object_store::GetRange::Bounded(bytes)),
                None => return Ok(unsatisfiable(row.size)),
            }
        }
        _ => None,
    };
    let found = if small {
        files.blobs.get_thumbnail(&row.sha256).await
    } else {
        files.blobs.get(&row.sha256, range.clone()).await
    };
    let got = match found {
        Ok(got) => got,
        Err(object_store::Error::NotFound { .. }) => return Err(Refusal::not_found()),
        Err(e) => return Err(Refusal::internal(e)),
    };
    let total = got.meta.size;
    let shown = got.range.clone();
    let mut response = Response::new(Body::from_stream(got.into_stream()));
    let h = response.headers_mut();
    let mime = if small {
        processing::thumbnail_type(&row.mime)
    } else {
        row.mime.as_str()
    };
    let inline = INLINE_TYPES.contains(&mime);
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Its address names its content: it never changes, and only this reader may keep it.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&row.name, inline)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(shown.end - shown.start),
    );
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{total}",
            shown.start,
            shown.end.saturating_sub(1)
        )) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

/// 416, naming the file's size.
fn unsatisfiable(size: u64) -> Response {
    let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    response
}

/// `inline` (a picture of the allowed types) or `attachment`, with the name in both
/// an ASCII fallback and RFC 5987's UTF-8 form.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_safely_in_both_forms() {
        assert_eq!(
            content_disposition("cat \"pic\".png", true),
            "inline; filename=\"cat _pic_.png\"; filename*=UTF-8''cat%20%22pic%22.png"
        );
        assert_eq!(
            content_disposition("报告.pdf", false),
            "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"
        );
        assert_eq!(with_extension("holiday.webp", "image/jpeg"), "holiday.jpg");
        assert_eq!(with_extension(".png", "image/png"), "picture.png");
    }
}
