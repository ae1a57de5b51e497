//! Uploads and downloads over real HTTP against a real server: a member's photo comes
//! back without any EXIF (read with an EXIF reader) and with a small copy; an HTML
//! file named `.png` is served as a download under the sandbox policy; a picture that
//! declares 10 billion pixels is refused at once; size, quota and rate limits answer
//! 413 and 429; only who may read a file gets it (others, and the signed-out, get 404
//! or 401); one range of a file; files are still there after a restart. Runs on
//! SQLite, and on PostgreSQL with `CHAT_TEST_STORE=postgres` (scripts/test.sh).

mod common;

use chat::{
    protocol::{ErrorCode, FileInfo},
    server::{files::RefusalBody, Config},
};
use common::*;
use reqwest::{header, StatusCode};

/// A 600 × 200 JPEG with EXIF: turned a quarter (orientation 6) and a GPS latitude.
fn photo_with_gps() -> Vec<u8> {
    use image::ImageEncoder;
    let mut exif = b"II\x2a\0\x08\0\0\0".to_vec();
    exif.extend_from_slice(&2u16.to_le_bytes());
    exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]);
    exif.extend_from_slice(&38u32.to_le_bytes());
    exif.extend_from_slice(&0u32.to_le_bytes());
    exif.extend_from_slice(&1u16.to_le_bytes());
    exif.extend_from_slice(&[1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    exif.extend_from_slice(&0u32.to_le_bytes());
    let mut photo = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut photo);
    encoder.set_exif_metadata(exif).unwrap();
    encoder
        .write_image(
            &vec![90; 600 * 200 * 3],
            600,
            200,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    photo
}

fn exif_tags(bytes: &[u8]) -> Option<Vec<exif::Tag>> {
    let read = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .ok()?;
    Some(read.fields().map(|f| f.tag).collect())
}

/// A PNG whose head declares 100,000 × 100,000 pixels (a few dozen bytes).
fn pixel_bomb() -> Vec<u8> {
    let mut png = Vec::new();
    image::DynamicImage::new_luma8(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let at = png.windows(4).position(|w| w == b"IHDR").unwrap();
    png[at + 4..at + 8].copy_from_slice(&100_000u32.to_be_bytes());
    png[at + 8..at + 12].copy_from_slice(&100_000u32.to_be_bytes());
    let mut crc = !0u32;
    for &b in &png[at..at + 17] {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    png[at + 17..at + 21].copy_from_slice(&(!crc).to_be_bytes());
    png
}

struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    fn of(server: &TestServer) -> Self {
        Self {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
        }
    }

    async fn upload(
        &self,
        token: Option<&str>,
        conversation: i64,
        name: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!(
                "{}/api/conversations/{conversation}/files",
                self.base
            ))
            .query(&[("name", name)])
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    async fn uploaded(
        &self,
        token: &str,
        conversation: i64,
        name: &str,
        body: Vec<u8>,
    ) -> FileInfo {
        let response = self.upload(Some(token), conversation, name, body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    async fn get(&self, token: Option<&str>, url: &str) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{url}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }
}

async fn refusal(response: reqwest::Response) -> (StatusCode, ErrorCode) {
    let status = response.status();
    let body: RefusalBody = response.json().await.unwrap();
    (status, body.code)
}

#[tokio::test]
async fn a_photo_loses_its_metadata_and_an_html_file_is_only_a_download() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let http = Http::of(&server);
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let room = join_room(&mut ann.client, "photos").await.id.0;

    let photo = photo_with_gps();
    assert!(exif_tags(&photo)
        .unwrap()
        .contains(&exif::Tag::GPSLatitudeRef));
    let info = http
        .uploaded(&ann.token, room, "../beach.jpeg", photo)
        .await;
    assert_eq!(info.name, "beach.jpg");
    assert_eq!(info.mime, "image/jpeg");
    assert_eq!((info.width, info.height), (Some(200), Some(600)), "upright");
    let got = http.get(Some(&ann.token), &info.url).await;
    assert_eq!(got.status(), StatusCode::OK);
    let h = got.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        h[header::CONTENT_SECURITY_POLICY],
        "sandbox; default-src 'none'"
    );
    assert!(h[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    assert!(h[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .starts_with("private"));
    let bytes = got.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, info.size);
    assert_eq!(exif_tags(&bytes), None, "no EXIF at all");
    let small = http
        .get(Some(&ann.token), info.thumbnail_url.as_deref().unwrap())
        .await;
    assert_eq!(small.status(), StatusCode::OK);
    let small = image::load_from_memory(&small.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (107, 320));

    // HTML under a picture's name: its type comes from its content, and it is a download.
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let info = http.uploaded(&ann.token, room, "cute-cat.png", html).await;
    assert_eq!(
        (info.mime.as_str(), info.thumbnail_url),
        ("text/html", None)
    );
    let got = http.get(Some(&ann.token), &info.url).await;
    let h = got.headers();
    assert_eq!(
        h[header::CONTENT_SECURITY_POLICY],
        "sandbox; default-src 'none'"
    );
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        h[header::CONTENT_DISPOSITION],
        "attachment; filename=\"cute-cat.png\"; filename*=UTF-8''cute-cat.png"
    );
    // An SVG with a script is a download too.
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let info = http.uploaded(&ann.token, room, "logo.svg", svg).await;
    let got = http.get(Some(&ann.token), &info.url).await;
    assert!(got.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_ne!(got.headers()[header::CONTENT_TYPE], "image/svg+xml");

    // A picture of 10 billion pixels is refused at once.
    let started = std::time::Instant::now();
    let (status, code) = refusal(
        http.upload(Some(&ann.token), room, "bomb.png", pixel_bomb())
            .await,
    )
    .await;
    assert_eq!(
        (status, code),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidImage)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn only_who_may_read_a_file_gets_it_and_it_outlives_a_restart() {
    let db = TestDb::new();
    let server = TestServer::start(db.config()).await;
    let http = Http::of(&server);
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let mut bob = server.login("Bob", "owl").await.unwrap();
    let room = join_room(&mut ann.client, "papers").await.id.0;
    join_room(&mut bob.client, "papers").await;
    let pdf: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..100_000).map(|i| (i % 200) as u8))
        .collect();
    let info = http
        .uploaded(&ann.token, room, "report.pdf", pdf.clone())
        .await;
    assert_eq!(info.mime, "application/pdf");

    // Signed out: 401. Not a member, or a file attached to no message yet (only its
    // uploader reads it), or a wrong hash: 404, as for a file that does not exist.
    assert_eq!(
        http.get(None, &info.url).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let carl = server.login("Carl", "cat").await.unwrap();
    for (token, url) in [
        (&carl.token, info.url.clone()),
        (&bob.token, info.url.clone()),
        (
            &ann.token,
            format!("/files/{}/{}", info.id.0, "0".repeat(64)),
        ),
        (&ann.token, format!("/files/{}/x", info.id.0 + 1)),
    ] {
        let (status, _) = refusal(http.get(Some(token), &url).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
    }
    // Nobody uploads to a conversation they are not in, or signed out.
    let (status, _) = refusal(
        http.upload(Some(&carl.token), room, "x.pdf", pdf.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, code) = refusal(http.upload(None, room, "x.pdf", pdf.clone()).await).await;
    assert_eq!(
        (status, code),
        (StatusCode::UNAUTHORIZED, ErrorCode::SessionInvalid)
    );

    // One range of it.
    let part = http
        .client
        .get(format!("{}{}", http.base, info.url))
        .bearer_auth(&ann.token)
        .header(header::RANGE, "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 2-5/{}", pdf.len()).as_str()
    );
    assert_eq!(&part.bytes().await.unwrap()[..], &pdf[2..6]);
    let beyond = http
        .client
        .get(format!("{}{}", http.base, info.url))
        .bearer_auth(&ann.token)
        .header(header::RANGE, format!("bytes={}-", pdf.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // After a restart, on the same database and folder.
    server.stop().await;
    let server = TestServer::start(db.config()).await;
    let http = Http::of(&server);
    let got = http.get(Some(&ann.token), &info.url).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().len(), pdf.len());
}

#[tokio::test]
async fn size_quota_and_rate_limits_answer_413_and_429() {
    let db = TestDb::new();
    let server = TestServer::start(Config {
        upload_max_bytes: 10_000,
        upload_quota_bytes: 25_000,
        uploads_per_minute: 4,
        ..db.config()
    })
    .await;
    let http = Http::of(&server);
    let mut ann = server.login("Ann", "fox").await.unwrap();
    let room = join_room(&mut ann.client, "limits").await.id.0;
    let (status, code) = refusal(
        http.upload(Some(&ann.token), room, "big.bin", vec![7; 10_001])
            .await,
    )
    .await;
    assert_eq!(
        (status, code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::FileTooLarge)
    );
    for n in 0..2u8 {
        http.uploaded(&ann.token, room, "part.bin", vec![n; 10_000])
            .await;
    }
    let (status, code) = refusal(
        http.upload(Some(&ann.token), room, "more.bin", vec![9; 6_000])
            .await,
    )
    .await;
    assert_eq!(
        (status, code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::UploadQuota)
    );
    http.uploaded(&ann.token, room, "small.bin", vec![1; 100])
        .await;
    http.uploaded(&ann.token, room, "small.bin", vec![2; 100])
        .await;
    let response = http
        .upload(Some(&ann.token), room, "fifth.bin", vec![3; 100])
        .await;
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    let (status, code) = refusal(response).await;
    assert_eq!(
        (status, code),
        (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
    );

    // Uploads off.
    server.stop().await;
    let server = TestServer::start(Config {
        upload_max_bytes: 0,
        ..db.config()
    })
    .await;
    let (status, code) = refusal(
        Http::of(&server)
            .upload(Some(&ann.token), room, "a.bin", vec![1])
            .await,
    )
    .await;
    assert_eq!(
        (status, code),
        (StatusCode::FORBIDDEN, ErrorCode::UploadsOff)
    );
}
