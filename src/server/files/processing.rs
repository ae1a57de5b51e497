//! What an uploaded file is, read from its content (never its name or the browser's
//! claim), and for a picture, a clean copy: decoded under limits (a file that declares
//! more pixels than allowed is refused before any memory is spent on them), turned
//! upright by its orientation, and encoded again, so that no EXIF, GPS or other
//! metadata survives; with a small copy for the conversation. Blocking work: run it on
//! a blocking thread, never the hub's task or the runtime's workers.

use std::{
    fs::File,
    io::{BufReader, Cursor},
    path::Path,
};

use image::{
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
        png::PngEncoder,
    },
    AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader,
};

/// Bytes of a file's beginning that tell its type.
pub const HEAD_BYTES: usize = 8 << 10;

/// Longest side of a picture's small copy, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

/// Quality of the JPEGs the server writes (photos, and small copies).
const JPEG_QUALITY: u8 = 85;

/// Most frames of an animated GIF kept.
const MAX_FRAMES: usize = 1000;

/// What the server decodes at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Width × height of one picture (and of all of an animation's frames together,
    /// four times that).
    pub max_pixels: u64,
}

impl ImageLimits {
    /// The decoder's own limits: no side above the pixel budget, and no allocation
    /// above what that many RGBA pixels take.
    fn decoder_limits(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        let side = u32::try_from(self.max_pixels).unwrap_or(u32::MAX);
        limits.max_image_width = Some(side);
        limits.max_image_height = Some(side);
        limits.max_alloc = Some(self.max_pixels.saturating_mul(4).saturating_add(16 << 20));
        limits
    }
}

/// A picture made anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanImage {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    /// At most [`THUMBNAIL_SIDE`] a side, of [`thumbnail_type`].
    pub thumbnail: Vec<u8>,
}

/// Why a picture was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageRefused {
    #[error("the picture has {pixels} pixels; this server decodes {max} at most")]
    TooManyPixels { pixels: u64, max: u64 },
    #[error("the picture cannot be read: {0}")]
    Unreadable(String),
}

/// The type of a file from its first bytes: a MIME type (`application/octet-stream`
/// when nothing is recognised).
pub fn content_type(head: &[u8]) -> &'static str {
    infer::get(head).map_or("application/octet-stream", |t| t.mime_type())
}

/// The type of the small copy of a picture of type `mime`: a JPEG's is a JPEG, the
/// others' (which may be see-through) PNGs.
pub fn thumbnail_type(mime: &str) -> &'static str {
    if mime == "image/jpeg" {
        "image/jpeg"
    } else {
        "image/png"
    }
}

/// The picture formats decoded and encoded again (the rest is kept as it came).
pub fn image_format(mime: &str) -> Option<ImageFormat> {
    match mime {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/webp" => Some(ImageFormat::WebP),
        "image/gif" => Some(ImageFormat::Gif),
        _ => None,
    }
}

/// Decodes the picture in `path` (of `format`) under `limits` and encodes it again:
/// a JPEG stays a JPEG, a PNG a PNG, a GIF a GIF (every frame); a WebP becomes a JPEG
/// (a PNG if it is see-through), as the encoder of WebP here writes only lossless ones.
pub fn clean_image(
    path: &Path,
    format: ImageFormat,
    limits: ImageLimits,
) -> Result<CleanImage, ImageRefused> {
    let unreadable = |e: &dyn std::fmt::Display| ImageRefused::Unreadable(e.to_string());
    let file = File::open(path).map_err(|e| unreadable(&e))?;
    if format == ImageFormat::Gif {
        return clean_gif(BufReader::new(file), limits);
    }
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    reader.limits(limits.decoder_limits());
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(&e))?;
    check_pixels(decoder.dimensions(), limits)?;
    let orientation = decoder.orientation().map_err(|e| unreadable(&e))?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(&e))?;
    picture.apply_orientation(orientation);
    let see_through = picture.color().has_alpha();
    let (bytes, mime) = match format {
        ImageFormat::Png => (png(&picture)?, "image/png"),
        ImageFormat::WebP if see_through => (png(&picture)?, "image/png"),
        _ => (jpeg(&picture)?, "image/jpeg"),
    };
    Ok(CleanImage {
        bytes,
        mime,
        width: picture.width(),
        height: picture.height(),
        thumbnail: thumbnail(&picture, mime)?,
    })
}

fn check_pixels((width, height): (u32, u32), limits: ImageLimits) -> Result<(), ImageRefused> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels || pixels == 0 {
        return Err(ImageRefused::TooManyPixels {
            pixels,
            max: limits.max_pixels,
        });
    }
    Ok(())
}

/// Every frame of a GIF, with its timing, into a new GIF (a GIF's comments and
/// application blocks are not carried over).
fn clean_gif(
    reader: impl std::io::BufRead + std::io::Seek,
    limits: ImageLimits,
) -> Result<CleanImage, ImageRefused> {
    let unreadable = |e: &dyn std::fmt::Display| ImageRefused::Unreadable(e.to_string());
    let mut decoder = GifDecoder::new(reader).map_err(|e| unreadable(&e))?;
    let (width, height) = decoder.dimensions();
    check_pixels((width, height), limits)?;
    decoder
        .set_limits(limits.decoder_limits())
        .map_err(|e| unreadable(&e))?;
    let per_frame = u64::from(width) * u64::from(height);
    let most_frames =
        (limits.max_pixels.saturating_mul(4) / per_frame.max(1)).clamp(1, MAX_FRAMES as u64);
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        frames.push(frame.map_err(|e| unreadable(&e))?);
        if frames.len() as u64 > most_frames {
            return Err(ImageRefused::TooManyPixels {
                pixels: per_frame.saturating_mul(frames.len() as u64),
                max: limits.max_pixels.saturating_mul(4),
            });
        }
    }
    let Some(first) = frames.first() else {
        return Err(ImageRefused::Unreadable("a GIF without a frame".into()));
    };
    let still = DynamicImage::ImageRgba8(first.buffer().clone());
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| unreadable(&e))?;
        encoder.encode_frames(frames).map_err(|e| unreadable(&e))?;
    }
    Ok(CleanImage {
        bytes,
        mime: "image/gif",
        width,
        height,
        thumbnail: thumbnail(&still, "image/gif")?,
    })
}

fn jpeg(picture: &DynamicImage) -> Result<Vec<u8>, ImageRefused> {
    let mut out = Cursor::new(Vec::new());
    let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    picture
        .to_rgb8()
        .write_with_encoder(encoder)
        .map_err(|e| ImageRefused::Unreadable(e.to_string()))?;
    Ok(out.into_inner())
}

fn png(picture: &DynamicImage) -> Result<Vec<u8>, ImageRefused> {
    let mut out = Cursor::new(Vec::new());
    picture
        .write_with_encoder(PngEncoder::new(&mut out))
        .map_err(|e| ImageRefused::Unreadable(e.to_string()))?;
    Ok(out.into_inner())
}

/// The small copy (of [`thumbnail_type`] for a picture of `mime`): the picture
/// itself if it is small already.
fn thumbnail(picture: &DynamicImage, mime: &str) -> Result<Vec<u8>, ImageRefused> {
    let small = if picture.width() <= THUMBNAIL_SIDE && picture.height() <= THUMBNAIL_SIDE {
        picture.clone()
    } else {
        picture.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    };
    match thumbnail_type(mime) {
        "image/jpeg" => jpeg(&small),
        _ => png(&small),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ImageLimits = ImageLimits {
        max_pixels: 1_000_000,
    };

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn the_type_comes_from_the_content() {
        let png = encoded(&DynamicImage::new_rgb8(4, 4), ImageFormat::Png);
        assert_eq!(content_type(&png), "image/png");
        assert_eq!(content_type(b"%PDF-1.7\n..."), "application/pdf");
        assert_eq!(
            content_type(b"<html><script>alert(1)</script>"),
            "text/html"
        );
        assert_eq!(content_type(b"just some words"), "application/octet-stream");
        assert_eq!(image_format("text/html"), None);
    }

    #[test]
    fn a_picture_is_encoded_again_upright_with_a_small_copy() {
        let dir = tempfile::tempdir().unwrap();
        let wide = DynamicImage::new_rgb8(800, 200);
        for (format, mime) in [
            (ImageFormat::Jpeg, "image/jpeg"),
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Gif, "image/gif"),
        ] {
            let path = write(&dir, "in", &encoded(&wide, format));
            let clean = clean_image(&path, format, LIMITS).unwrap();
            assert_eq!((clean.mime, clean.width, clean.height), (mime, 800, 200));
            let small = image::load_from_memory(&clean.thumbnail).unwrap();
            assert_eq!((small.width(), small.height()), (320, 80), "{format:?}");
            assert_eq!(
                image::guess_format(&clean.bytes).unwrap(),
                format,
                "the same kind of file"
            );
        }
    }

    /// EXIF with an orientation (6: turned a quarter) and a GPS latitude.
    pub(crate) fn exif_with_gps(orientation: u16) -> Vec<u8> {
        let mut e = b"II\x2a\0\x08\0\0\0".to_vec();
        e.extend_from_slice(&2u16.to_le_bytes());
        e.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        e.extend_from_slice(&orientation.to_le_bytes());
        e.extend_from_slice(&[0, 0]);
        e.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]);
        e.extend_from_slice(&38u32.to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes());
        e.extend_from_slice(&1u16.to_le_bytes());
        e.extend_from_slice(&[1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
        e.extend_from_slice(&0u32.to_le_bytes());
        e
    }

    fn exif_fields(bytes: &[u8]) -> Option<Vec<exif::Tag>> {
        let read = exif::Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .ok()?;
        Some(read.fields().map(|f| f.tag).collect())
    }

    #[test]
    fn no_metadata_survives_and_the_orientation_is_applied() {
        use image::ImageEncoder;
        let dir = tempfile::tempdir().unwrap();
        let mut photo = Vec::new();
        let mut encoder = JpegEncoder::new(&mut photo);
        encoder.set_exif_metadata(exif_with_gps(6)).unwrap();
        encoder
            .write_image(
                &vec![128; 800 * 200 * 3],
                800,
                200,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        let tags = exif_fields(&photo).expect("the test photo has EXIF");
        assert!(tags.contains(&exif::Tag::GPSLatitudeRef), "{tags:?}");
        let path = write(&dir, "photo.jpg", &photo);
        let clean = clean_image(&path, ImageFormat::Jpeg, LIMITS).unwrap();
        assert_eq!(exif_fields(&clean.bytes), None, "no EXIF at all");
        assert_eq!((clean.width, clean.height), (200, 800), "turned upright");
        assert_eq!(exif_fields(&clean.thumbnail), None);
    }

    /// CRC-32 of PNG chunks.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn more_pixels_than_allowed_are_refused_before_decoding() {
        let dir = tempfile::tempdir().unwrap();
        // A valid PNG head that declares 100,000 × 100,000 pixels in a few bytes.
        let mut png = encoded(&DynamicImage::new_luma8(1, 1), ImageFormat::Png);
        let at = png.windows(4).position(|w| w == b"IHDR").unwrap();
        png[at + 4..at + 8].copy_from_slice(&100_000u32.to_be_bytes());
        png[at + 8..at + 12].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&png[at..at + 17]);
        png[at + 17..at + 21].copy_from_slice(&crc.to_be_bytes());
        let path = write(&dir, "bomb.png", &png);
        assert_eq!(
            clean_image(&path, ImageFormat::Png, LIMITS),
            Err(ImageRefused::TooManyPixels {
                pixels: 10_000_000_000,
                max: LIMITS.max_pixels
            })
        );
        // Garbage that says it is a JPEG.
        let path = write(&dir, "junk.jpg", b"\xff\xd8\xff\xe0 not really");
        assert!(matches!(
            clean_image(&path, ImageFormat::Jpeg, LIMITS),
            Err(ImageRefused::Unreadable(_))
        ));
    }
}
