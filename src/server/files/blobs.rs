//! The bytes of files, in an object store under their SHA-256 (`files/<hash>`, a
//! picture's small copy at `thumbnails/<hash>`): one copy of the same bytes however
//! often they are uploaded. A folder by default (`object_store`'s local store), so
//! nothing is to be installed for one server.

use std::sync::Arc;

use object_store::{
    local::LocalFileSystem, path::Path as Key, GetOptions, GetRange, GetResult, ObjectStore,
    ObjectStoreExt, PutPayload, WriteMultipart,
};
use tokio::io::AsyncReadExt;

/// Parts a large file is written in.
const PART_BYTES: usize = 5 << 20;

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

fn file_key(sha256: &str) -> Key {
    Key::from(format!("files/{sha256}"))
}

fn thumbnail_key(sha256: &str) -> Key {
    Key::from(format!("thumbnails/{sha256}"))
}

impl Blobs {
    /// Blobs in a folder (created if missing).
    pub fn in_folder(dir: &std::path::Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    async fn has(&self, key: &Key) -> object_store::Result<bool> {
        match self.store.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Keeps `bytes` (a picture made anew) unless the same are kept already.
    pub async fn put_bytes(&self, sha256: &str, bytes: Vec<u8>) -> object_store::Result<()> {
        let key = file_key(sha256);
        if !self.has(&key).await? {
            self.store.put(&key, PutPayload::from(bytes)).await?;
        }
        Ok(())
    }

    pub async fn put_thumbnail(&self, sha256: &str, bytes: Vec<u8>) -> object_store::Result<()> {
        let key = thumbnail_key(sha256);
        if !self.has(&key).await? {
            self.store.put(&key, PutPayload::from(bytes)).await?;
        }
        Ok(())
    }

    /// Keeps the file at `path` (whose bytes hash to `sha256`) part by part, never
    /// whole in memory, unless the same bytes are kept already.
    pub async fn put_file(&self, sha256: &str, path: &std::path::Path) -> object_store::Result<()> {
        let key = file_key(sha256);
        if self.has(&key).await? {
            return Ok(());
        }
        let mut file =
            tokio::fs::File::open(path)
                .await
                .map_err(|e| object_store::Error::Generic {
                    store: "files",
                    source: Box::new(e),
                })?;
        let mut upload =
            WriteMultipart::new_with_chunk_size(self.store.put_multipart(&key).await?, PART_BYTES);
        let mut buffer = vec![0; 256 << 10];
        loop {
            let n = match file.read(&mut buffer).await {
                Ok(n) => n,
                Err(e) => {
                    upload.abort().await?;
                    return Err(object_store::Error::Generic {
                        store: "files",
                        source: Box::new(e),
                    });
                }
            };
            if n == 0 {
                break;
            }
            upload.wait_for_capacity(2).await?;
            upload.write(&buffer[..n]);
        }
        upload.finish().await?;
        Ok(())
    }

    /// The file's bytes (or `range` of them), to stream.
    pub async fn get(
        &self,
        sha256: &str,
        range: Option<GetRange>,
    ) -> object_store::Result<GetResult> {
        let options = GetOptions {
            range,
            ..GetOptions::default()
        };
        self.store.get_opts(&file_key(sha256), options).await
    }

    pub async fn get_thumbnail(&self, sha256: &str) -> object_store::Result<GetResult> {
        self.store.get(&thumbnail_key(sha256)).await
    }
}

/// One range of `Range: bytes=…` (`a-b`, `a-`, `-n`); none for what this server does
/// not serve (several ranges, other units, nonsense): answered 416.
pub fn parse_range(asked: &str) -> Option<GetRange> {
    let spec = asked.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    match (start.is_empty(), end.is_empty()) {
        (true, false) => Some(GetRange::Suffix(end.parse().ok().filter(|n| *n > 0)?)),
        (false, true) => Some(GetRange::Offset(start.parse().ok()?)),
        (false, false) => {
            let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            let end = end.checked_add(1)?;
            (start < end).then_some(GetRange::Bounded(start..end))
        }
        (true, true) => None,
    }
}

/// The bytes `range` names of a file of `size` bytes; none if it names none of them.
pub fn resolve(range: &GetRange, size: u64) -> Option<std::ops::Range<u64>> {
    let (start, end) = match *range {
        GetRange::Bounded(ref r) => (r.start, r.end.min(size)),
        GetRange::Offset(start) => (start, size),
        GetRange::Suffix(n) => (size.saturating_sub(n), size),
    };
    (start < end).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_range_is_read_in_each_form() {
        assert_eq!(parse_range("bytes=0-99"), Some(GetRange::Bounded(0..100)));
        assert_eq!(parse_range("bytes=100-"), Some(GetRange::Offset(100)));
        assert_eq!(parse_range("bytes=-5"), Some(GetRange::Suffix(5)));
        for bad in [
            "bytes=5-1",
            "bytes=0-1,4-5",
            "items=0-1",
            "bytes=-",
            "bytes=x-2",
            "bytes=-0",
        ] {
            assert_eq!(parse_range(bad), None, "{bad}");
        }
        assert_eq!(resolve(&GetRange::Bounded(5..500), 100), Some(5..100));
        assert_eq!(resolve(&GetRange::Suffix(500), 100), Some(0..100));
        assert_eq!(resolve(&GetRange::Offset(100), 100), None);
    }

    #[tokio::test]
    async fn the_same_bytes_are_kept_once_and_read_back_in_part() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::in_folder(dir.path()).unwrap();
        let source = dir.path().join("upload");
        let bytes: Vec<u8> = (0..(6 << 20)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();
        blobs.put_file("abc", &source).await.unwrap();
        blobs.put_file("abc", &source).await.unwrap();
        let whole = blobs.get("abc", None).await.unwrap().bytes().await.unwrap();
        assert_eq!(whole.len(), bytes.len());
        let part = blobs
            .get("abc", Some(GetRange::Bounded(10..20)))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&part[..], &bytes[10..20]);
        assert!(matches!(
            blobs.get("nothing", None).await,
            Err(object_store::Error::NotFound { .. })
        ));
    }
}
