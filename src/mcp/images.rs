//! Saved outputs as image content: a thumbnail small enough for a model's context (the full
//! file's path goes alongside in the structured result), decoded with the same code `--show`
//! uses.

use base64::Engine;
use image::DynamicImage;
use std::path::Path;

/// At most this many images go into one result; the rest are listed by path only.
pub const MAX_IMAGES: usize = 8;

/// Extensions decoded into thumbnails.
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "gif"];

/// True for a file this module turns into image content.
pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A thumbnail of `path` whose longest side is at most `max_px`: `(base64, mime type)`. PNG
/// when the image has transparency, else JPEG (a fraction of the size for renders).
pub fn thumbnail(path: &Path, max_px: u32) -> Result<(String, &'static str), String> {
    let (img, _) = crate::show::load_first_frame(path)?;
    encode(&shrink(img, max_px))
}

fn shrink(img: DynamicImage, max_px: u32) -> DynamicImage {
    if img.width() <= max_px && img.height() <= max_px {
        img
    } else {
        img.thumbnail(max_px, max_px)
    }
}

fn encode(img: &DynamicImage) -> Result<(String, &'static str), String> {
    let mut bytes = Vec::new();
    let mut out = std::io::Cursor::new(&mut bytes);
    let mime = if img.color().has_alpha() {
        img.write_to(&mut out, image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        "image/png"
    } else {
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&rgb)
            .map_err(|e| e.to_string())?;
        "image/jpeg"
    };
    Ok((
        base64::engine::general_purpose::STANDARD.encode(bytes),
        mime,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_bounded_and_keep_alpha_as_png() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.png");
        image::RgbImage::from_pixel(1200, 600, image::Rgb([200, 10, 10]))
            .save(&big)
            .unwrap();
        let (b64, mime) = thumbnail(&big, 256).unwrap();
        assert_eq!(mime, "image/jpeg");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (256, 128));
        let alpha = dir.path().join("a.png");
        image::RgbaImage::from_pixel(10, 10, image::Rgba([0, 0, 0, 0]))
            .save(&alpha)
            .unwrap();
        assert_eq!(thumbnail(&alpha, 256).unwrap().1, "image/png");
        assert!(is_image(&big) && !is_image(Path::new("x.mp4")));
    }
}
