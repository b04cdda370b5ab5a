//! Images in the terminal: the kitty graphics protocol, iTerm2 inline images, sixel, and
//! Unicode half-blocks otherwise.
//!
//! Everything here writes to a `&mut dyn Write` with a [`Capabilities`] value, so the bytes can
//! be tested; the caller decides whether to draw at all (only when the stream is a terminal,
//! never with `--json`, never into a pipe) and calls [`Capabilities::detect`] only then.
//!
//! Encoders are our own rather than `viuer`'s: viuer's half-block printer ignores the writer it
//! is given and writes to the process's stdout (so it cannot go to stderr under progress bars
//! nor be tested), its default moves the cursor to the screen's top-left corner, its kitty check
//! writes temp files and reads the terminal's answer from stdin, its sixel needs libsixel (C),
//! it has no tmux passthrough and no NO_COLOR; each protocol is a few dozen lines.

mod blocks;
mod detect;
mod fit;
mod iterm;
mod kitty;
mod live;
mod sixel;

pub use detect::{Capabilities, Palette, Protocol, SHOW_PROTOCOL_ENV, parse_da1};
pub use fit::{ShowSize, fit_cells, parse_show_size};
pub use live::LiveFrame;

use image::DynamicImage;
use std::io::{self, Write};
use std::path::Path;

/// What a command needs to show images: the terminal's capabilities and the box to fit in.
///
/// Wiring `--show` is: `let viewer = Viewer::for_stderr(allowed, printer.color, args.show_size)?;`
/// with `allowed = args.show && printer.stderr_tty && !json && !quiet`, then
/// `viewer.show_files(&mut std::io::stderr(), &paths)` after the run (printing each note), or
/// `viewer.live()` for previews while it runs.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// What the terminal draws.
    pub caps: Capabilities,
    /// The box images fit in: `--show-size`, else the terminal's.
    pub size: ShowSize,
}

impl Viewer {
    /// A viewer for stderr, or `None` when `allowed` is false (not a terminal, `--json`, `-q`):
    /// nothing is detected or asked of the terminal then. Errors on a bad
    /// [`SHOW_PROTOCOL_ENV`].
    pub fn for_stderr(
        allowed: bool,
        color: bool,
        size: Option<ShowSize>,
    ) -> Result<Option<Viewer>, String> {
        if !allowed {
            return Ok(None);
        }
        let caps = Capabilities::detect(color)?;
        let size = size.unwrap_or_else(|| caps.default_size());
        Ok(Some(Viewer { caps, size }))
    }

    /// Shows each file in turn (see [`show_file`]); returns what happened to each, for the
    /// caller to print notes and reasons.
    pub fn show_files<P: AsRef<Path>>(
        &self,
        w: &mut dyn Write,
        paths: &[P],
    ) -> io::Result<Vec<Shown>> {
        paths
            .iter()
            .map(|p| show_file(w, p.as_ref(), &self.caps, self.size))
            .collect()
    }

    /// A drawer for live previews in this viewer's box, at [`LiveFrame::DEFAULT_EVERY`].
    pub fn live(&self) -> LiveFrame {
        LiveFrame::new(self.caps.clone(), self.size, LiveFrame::DEFAULT_EVERY)
    }
}

/// What [`show_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// The image (or the first frame of an animation) was drawn in this many cells; `note`
    /// says what was left out, for the caller to print as a human line.
    Drawn {
        /// Columns used.
        cols: u16,
        /// Rows used.
        rows: u16,
        /// E.g. "first frame of 24".
        note: Option<String>,
    },
    /// Nothing was drawn, and why (a video, an unreadable file).
    Skipped(String),
}

/// Draws one decoded image with the terminal's protocol, within `size` cells, followed by a
/// newline so the cursor ends on the line below it. Returns the cells used.
pub fn show_image(
    w: &mut dyn Write,
    img: &DynamicImage,
    caps: &Capabilities,
    size: ShowSize,
) -> io::Result<(u16, u16)> {
    draw(w, img, caps, size, None)
}

/// [`show_image`] with a kitty image id, so a later frame with the same id replaces this one
/// (the live preview).
pub(crate) fn draw(
    w: &mut dyn Write,
    img: &DynamicImage,
    caps: &Capabilities,
    size: ShowSize,
    kitty_id: Option<u32>,
) -> io::Result<(u16, u16)> {
    let (cols, rows) = fit_cells(img.width(), img.height(), size);
    let mut out = Vec::new();
    match caps.protocol {
        Protocol::Kitty => {
            let px = caps.pixel_box(cols, rows);
            let png = encode_png(&downscale(img, px))?;
            kitty::write(&mut out, &png, cols, rows, kitty_id, caps.tmux)?;
            out.push(b'\n');
        }
        Protocol::Iterm2 => {
            let px = caps.pixel_box(cols, rows);
            let png = encode_png(&downscale(img, px))?;
            iterm::write(&mut out, &png, cols, rows, caps.tmux)?;
            out.push(b'\n');
        }
        Protocol::Sixel => {
            let (pw, ph) = caps.pixel_box(cols, rows);
            let small = img.resize_exact(pw, ph, image::imageops::FilterType::Triangle);
            sixel::write(&mut out, &small.to_rgba8())?;
            out.push(b'\n');
        }
        Protocol::Blocks(palette) => {
            let px = img.resize_exact(
                u32::from(cols),
                u32::from(rows) * 2,
                image::imageops::FilterType::Triangle,
            );
            blocks::write(&mut out, &px.to_rgba8(), palette)?;
        }
        Protocol::Ascii => {
            let px = img.resize_exact(
                u32::from(cols),
                u32::from(rows) * 2,
                image::imageops::FilterType::Triangle,
            );
            blocks::write_ascii(&mut out, &px.to_rgba8())?;
        }
    }
    // One write: a half-drawn image is never left if the terminal goes away mid-way.
    w.write_all(&out)?;
    w.flush()?;
    Ok((cols, rows))
}

/// Reads an output file and draws it: still images whole, animations (GIF, animated PNG/WebP)
/// as their first frame with a note, videos not at all (there is no video decoder here) with a
/// note saying so. I/O errors on `w` are returned; a file that cannot be read is `Skipped`.
pub fn show_file(
    w: &mut dyn Write,
    path: &Path,
    caps: &Capabilities,
    size: ShowSize,
) -> io::Result<Shown> {
    let (img, note) = match load_first_frame(path) {
        Ok(x) => x,
        Err(reason) => return Ok(Shown::Skipped(reason)),
    };
    let (cols, rows) = show_image(w, &img, caps, size)?;
    Ok(Shown::Drawn { cols, rows, note })
}

/// Extensions of video containers: not decoded, only named.
const VIDEO_EXTENSIONS: &[&str] = &["mp4", "webm", "mov", "mkv", "avi", "m4v"];

/// Extensions of the still and animated images decoded here.
const IMAGE_EXTENSIONS: &[&str] = &["png", "apng", "jpg", "jpeg", "webp", "gif", "bmp"];

/// Whether [`show_file`] has something to say about a file: an image (drawn) or a video
/// (named with a note). Audio, 3D models, latents and text are none of a viewer's business.
pub fn is_visual(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    IMAGE_EXTENSIONS.contains(&ext.as_str()) || VIDEO_EXTENSIONS.contains(&ext.as_str())
}

/// Decodes a file's first frame; the note says when there were more.
pub fn load_first_frame(path: &Path) -> Result<(DynamicImage, Option<String>), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if VIDEO_EXTENSIONS.contains(&ext.as_str()) {
        return Err(format!(
            "{} is a video ({ext}); comfyctl does not decode video, open it with a player",
            path.display()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    decode_first_frame(&bytes).map_err(|e| format!("cannot show {}: {e}", path.display()))
}

/// Decodes bytes (PNG, JPEG, WebP, GIF) to the first frame, noting an animation's frame count.
pub fn decode_first_frame(bytes: &[u8]) -> Result<(DynamicImage, Option<String>), String> {
    use image::AnimationDecoder;
    let format = image::guess_format(bytes).map_err(|e| e.to_string())?;
    let cursor = || io::Cursor::new(bytes);
    let frames = |n: usize| -> Option<String> {
        (n > 1).then(|| format!("animation: first frame of {n} shown"))
    };
    let frames_at_least =
        |more: bool| -> Option<String> { more.then(|| "animation: first frame shown".to_string()) };
    let note = match format {
        image::ImageFormat::Gif => {
            let d = image::codecs::gif::GifDecoder::new(cursor()).map_err(|e| e.to_string())?;
            // Counting needs decoding every frame; two say enough.
            frames_at_least(d.into_frames().take(2).count() > 1)
        }
        image::ImageFormat::Png => {
            let d = image::codecs::png::PngDecoder::new(cursor()).map_err(|e| e.to_string())?;
            match d.is_apng().map_err(|e| e.to_string())? {
                true => {
                    let apng = d.apng().map_err(|e| e.to_string())?;
                    frames(apng.into_frames().count().max(2))
                }
                false => None,
            }
        }
        image::ImageFormat::WebP => {
            let d = image::codecs::webp::WebPDecoder::new(cursor()).map_err(|e| e.to_string())?;
            frames_at_least(d.has_animation())
        }
        _ => None,
    };
    // `load_from_memory` decodes the first frame of an animation.
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    Ok((img, note))
}

fn encode_png(img: &DynamicImage) -> io::Result<Vec<u8>> {
    let mut png = Vec::new();
    img.write_to(&mut io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(io::Error::other)?;
    Ok(png)
}

/// Shrinks (never enlarges) to fit `(w, h)` pixels: the terminal scales the rest, and fewer
/// bytes cross the tty.
fn downscale(img: &DynamicImage, (w, h): (u32, u32)) -> DynamicImage {
    if img.width() <= w && img.height() <= h {
        img.clone()
    } else {
        img.resize(w, h, image::imageops::FilterType::Triangle)
    }
}

/// Standard base64, as every protocol here wants it.
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Wraps an escape sequence for tmux's passthrough (`allow-passthrough on`, tmux ≥ 3.3): the
/// sequence inside `ESC P tmux; … ESC \` with every ESC doubled.
pub(crate) fn tmux_wrap(out: &mut Vec<u8>, seq: &[u8]) {
    out.extend_from_slice(b"\x1bPtmux;");
    for &b in seq {
        if b == 0x1b {
            out.push(0x1b);
        }
        out.push(b);
    }
    out.extend_from_slice(b"\x1b\\");
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use image::{Rgba, RgbaImage};

    fn gradient(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(w, h, |x, y| {
            Rgba([
                (x * 255 / w.max(1)) as u8,
                (y * 255 / h.max(1)) as u8,
                128,
                255,
            ])
        }))
    }

    #[test]
    fn half_blocks_take_the_fitted_rows_and_end_on_the_next_line() {
        let caps = Capabilities::with_protocol(Protocol::Blocks(Palette::Ansi256));
        let mut out = Vec::new();
        let (cols, rows) = show_image(
            &mut out,
            &gradient(512, 512),
            &caps,
            ShowSize { cols: 20, rows: 30 },
        )
        .unwrap();
        assert_eq!((cols, rows), (20, 10));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 10);
        assert!(text.ends_with("\x1b[0m\n"));
        for line in text.lines() {
            assert_eq!(line.matches(['▀', '▄', ' ']).count(), 20, "{line:?}");
        }
    }

    #[test]
    fn kitty_sends_a_png_shrunk_to_the_cells_pixels() {
        let mut caps = Capabilities::with_protocol(Protocol::Kitty);
        caps.cell_px = (8, 16);
        let mut out = Vec::new();
        let (cols, rows) = show_image(
            &mut out,
            &gradient(1024, 1024),
            &caps,
            ShowSize { cols: 20, rows: 10 },
        )
        .unwrap();
        assert_eq!((cols, rows), (20, 10));
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("\x1b_Ga=T,f=100,t=d,q=2,c=20,r=10,m="),
            "{}",
            &text[..60]
        );
        assert!(text.ends_with("\x1b\\\n"));
        let payload: String = text
            .trim_end()
            .split("\x1b\\")
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once(';').unwrap().1)
            .collect();
        let png = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap();
        let back = image::load_from_memory(&png).unwrap();
        // 20×10 cells of 8×16 px is 160×160: the 1024 px image is shrunk to that.
        assert_eq!((back.width(), back.height()), (160, 160));
    }

    #[test]
    fn sixel_is_sized_in_pixels_of_the_cells() {
        let mut caps = Capabilities::with_protocol(Protocol::Sixel);
        caps.cell_px = (9, 18);
        let mut out = Vec::new();
        show_image(
            &mut out,
            &gradient(64, 64),
            &caps,
            ShowSize { cols: 4, rows: 2 },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("\x1bP0;1;0q\"1;1;36;36#"),
            "{}",
            &text[..30]
        );
        assert!(text.ends_with("\x1b\\\n"));
        // 36 rows of pixels are six bands.
        assert_eq!(text.matches('-').count(), 5);
    }

    #[test]
    fn animations_show_their_first_frame_with_a_note_and_videos_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let gif = dir.path().join("anim.gif");
        {
            let f = std::fs::File::create(&gif).unwrap();
            let mut enc = image::codecs::gif::GifEncoder::new(f);
            let frames = [[255u8, 0, 0], [0, 0, 255]].map(|c| {
                image::Frame::new(RgbaImage::from_pixel(4, 4, Rgba([c[0], c[1], c[2], 255])))
            });
            enc.encode_frames(frames).unwrap();
        }
        let caps = Capabilities::with_protocol(Protocol::Blocks(Palette::TrueColor));
        let mut out = Vec::new();
        let shown = show_file(&mut out, &gif, &caps, ShowSize { cols: 10, rows: 10 }).unwrap();
        assert_eq!(
            shown,
            Shown::Drawn {
                cols: 4,
                rows: 2,
                note: Some("animation: first frame shown".into())
            }
        );
        // The first frame is the red one.
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("\x1b[48;2;255;0;0m    "), "{text:?}");

        let still = dir.path().join("still.png");
        gradient(4, 4).save(&still).unwrap();
        let mut out = Vec::new();
        let shown = show_file(&mut out, &still, &caps, ShowSize { cols: 10, rows: 10 }).unwrap();
        assert!(
            matches!(shown, Shown::Drawn { note: None, .. }),
            "{shown:?}"
        );

        let video = dir.path().join("clip.mp4");
        std::fs::write(&video, b"\0\0\0 ftypisom").unwrap();
        let mut out = Vec::new();
        match show_file(&mut out, &video, &caps, ShowSize { cols: 10, rows: 10 }).unwrap() {
            Shown::Skipped(why) => assert!(why.contains("is a video (mp4)"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty(), "nothing is drawn for a video");

        assert!(is_visual(&gif) && is_visual(&still) && is_visual(&video));
        assert!(is_visual(Path::new("A.JPG")));
        for other in ["song.flac", "mesh.glb", "x.latent", "notes.txt", "noext"] {
            assert!(!is_visual(Path::new(other)), "{other}");
        }

        let junk = dir.path().join("junk.png");
        std::fs::write(&junk, b"not a png").unwrap();
        assert!(matches!(
            show_file(&mut out, &junk, &caps, ShowSize { cols: 10, rows: 10 }).unwrap(),
            Shown::Skipped(_)
        ));
        assert!(out.is_empty());
    }
}
