//! Unicode half-blocks: each cell is two pixels, the top one the foreground of `▀` and the
//! bottom one its background — in 24-bit colour or the 256-colour palette. Without colour
//! (`NO_COLOR`, `--color never`, `TERM=dumb`) a ramp of ASCII characters by brightness.

use super::Palette;
use image::{Rgba, RgbaImage};
use std::io;

const UPPER: &str = "\u{2580}";
const LOWER: &str = "\u{2584}";

/// A colour as the terminal is told it: 24-bit, or an index into the 256-colour palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colour {
    Rgb(u8, u8, u8),
    Indexed(u8),
}

impl Colour {
    fn of(p: &Rgba<u8>, palette: Palette) -> Option<Colour> {
        if p[3] < 128 {
            return None;
        }
        Some(match palette {
            Palette::TrueColor => Colour::Rgb(p[0], p[1], p[2]),
            Palette::Ansi256 => Colour::Indexed(ansi256(p[0], p[1], p[2])),
        })
    }

    /// SGR parameters, `base` 38 for the foreground and 48 for the background.
    fn sgr(self, base: u8) -> String {
        match self {
            Colour::Rgb(r, g, b) => format!("{base};2;{r};{g};{b}"),
            Colour::Indexed(n) => format!("{base};5;{n}"),
        }
    }
}

/// The nearest of xterm's 256 colours: the 6×6×6 cube (16–231) or the grey ramp (232–255).
pub fn ansi256(r: u8, g: u8, b: u8) -> u8 {
    const CUBE: [i32; 6] = [0, 95, 135, 175, 215, 255];
    let to_level = |v: u8| -> usize {
        match v {
            0..48 => 0,
            48..115 => 1,
            _ => (usize::from(v) - 35) / 40,
        }
    };
    let (lr, lg, lb) = (to_level(r), to_level(g), to_level(b));
    let dist = |a: [i32; 3]| -> i32 {
        let d = [
            a[0] - i32::from(r),
            a[1] - i32::from(g),
            a[2] - i32::from(b),
        ];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    };
    let cube_dist = dist([CUBE[lr], CUBE[lg], CUBE[lb]]);
    let avg = (i32::from(r) + i32::from(g) + i32::from(b)) / 3;
    let grey_i = ((avg - 3) / 10).clamp(0, 23);
    let grey = 8 + 10 * grey_i;
    if dist([grey, grey, grey]) < cube_dist {
        232 + grey_i as u8
    } else {
        16 + (36 * lr + 6 * lg + lb) as u8
    }
}

/// Writes the image (its height even: two pixels per row of cells) as rows of half-blocks,
/// each row ending in a reset and a newline. A colour is only sent when it changes; fully
/// transparent pixels show the terminal's own background.
pub fn write(out: &mut Vec<u8>, img: &RgbaImage, palette: Palette) -> io::Result<()> {
    let (w, h) = img.dimensions();
    for row in 0..h.div_ceil(2) {
        let (mut fg, mut bg): (Option<Colour>, Option<Colour>) = (None, None);
        for x in 0..w {
            let top = Colour::of(img.get_pixel(x, row * 2), palette);
            let bottom = if row * 2 + 1 < h {
                Colour::of(img.get_pixel(x, row * 2 + 1), palette)
            } else {
                None
            };
            // (wanted fg, wanted bg, glyph)
            let (want_fg, want_bg, glyph) = match (top, bottom) {
                (Some(t), Some(b)) if t == b => (fg, Some(b), " "),
                (Some(t), b) => (Some(t), b, UPPER),
                (None, Some(b)) => (Some(b), None, LOWER),
                (None, None) => (fg, None, " "),
            };
            let mut params: Vec<String> = Vec::new();
            if want_fg != fg {
                params.push(want_fg.map_or("39".into(), |c| c.sgr(38)));
                fg = want_fg;
            }
            if want_bg != bg {
                params.push(want_bg.map_or("49".into(), |c| c.sgr(48)));
                bg = want_bg;
            }
            if !params.is_empty() {
                out.extend_from_slice(format!("\x1b[{}m", params.join(";")).as_bytes());
            }
            out.extend_from_slice(glyph.as_bytes());
        }
        out.extend_from_slice(b"\x1b[0m\n");
    }
    Ok(())
}

/// Brightness ramp from dark to light, for a dark background.
const RAMP: &[u8] = b" .:-=+*#%@";

/// Writes the image with no escape sequence at all: one character per cell by the brightness
/// of its two pixels (transparent counts as dark).
pub fn write_ascii(out: &mut Vec<u8>, img: &RgbaImage) -> io::Result<()> {
    let (w, h) = img.dimensions();
    let luma = |p: &Rgba<u8>| -> u32 {
        // Rec. 709 weights, scaled by alpha.
        (2126 * u32::from(p[0]) + 7152 * u32::from(p[1]) + 722 * u32::from(p[2])) / 10_000
            * u32::from(p[3])
            / 255
    };
    for row in 0..h.div_ceil(2) {
        for x in 0..w {
            let mut l = luma(img.get_pixel(x, row * 2));
            if row * 2 + 1 < h {
                l = (l + luma(img.get_pixel(x, row * 2 + 1))) / 2;
            }
            out.push(RAMP[(l as usize * RAMP.len() / 256).min(RAMP.len() - 1)]);
        }
        out.push(b'\n');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_by_two() -> RgbaImage {
        // Top row red, green; bottom row blue, green.
        let mut img = RgbaImage::new(2, 2);
        img.put_pixel(0, 0, Rgba([255, 0, 0, 255]));
        img.put_pixel(1, 0, Rgba([0, 255, 0, 255]));
        img.put_pixel(0, 1, Rgba([0, 0, 255, 255]));
        img.put_pixel(1, 1, Rgba([0, 255, 0, 255]));
        img
    }

    #[test]
    fn truecolor_half_blocks_carry_top_as_fg_and_bottom_as_bg() {
        let mut out = Vec::new();
        write(&mut out, &two_by_two(), Palette::TrueColor).unwrap();
        // Cell 1: ▀ red over blue. Cell 2: both green → a space on a green background (the
        // foreground is left as it was).
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "\x1b[38;2;255;0;0;48;2;0;0;255m▀\x1b[48;2;0;255;0m \x1b[0m\n"
        );
    }

    #[test]
    fn ansi256_half_blocks_use_the_palette_and_skip_repeated_colours() {
        let img = RgbaImage::from_fn(3, 2, |_, y| {
            if y == 0 {
                Rgba([255, 255, 255, 255])
            } else {
                Rgba([0, 0, 0, 255])
            }
        });
        let mut out = Vec::new();
        write(&mut out, &img, Palette::Ansi256).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "\x1b[38;5;231;48;5;16m▀▀▀\x1b[0m\n"
        );
    }

    #[test]
    fn transparency_and_an_odd_last_row_show_the_terminal_background() {
        // 2×3: row 0 = (red, transparent), row 1 = (transparent, blue), row 2 = (green, red).
        let mut img = RgbaImage::new(2, 3);
        img.put_pixel(0, 0, Rgba([255, 0, 0, 255]));
        img.put_pixel(1, 1, Rgba([0, 0, 255, 255]));
        img.put_pixel(0, 2, Rgba([0, 255, 0, 255]));
        img.put_pixel(1, 2, Rgba([255, 0, 0, 200]));
        let mut out = Vec::new();
        write(&mut out, &img, Palette::TrueColor).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            concat!(
                // ▀ red on default; ▄ blue on default.
                "\x1b[38;2;255;0;0m▀\x1b[38;2;0;0;255m▄\x1b[0m\n",
                // last (odd) row: top pixels only, as ▀ on the default background.
                "\x1b[38;2;0;255;0m▀\x1b[38;2;255;0;0m▀\x1b[0m\n",
            )
        );
    }

    #[test]
    fn palette_mapping_picks_cube_or_grey() {
        assert_eq!(ansi256(0, 0, 0), 16);
        assert_eq!(ansi256(255, 255, 255), 231);
        assert_eq!(ansi256(255, 0, 0), 196);
        assert_eq!(ansi256(128, 128, 128), 244);
        assert_eq!(ansi256(95, 135, 175), 67);
    }

    #[test]
    fn ascii_has_no_escapes_and_follows_brightness() {
        let img = RgbaImage::from_fn(4, 2, |x, _| {
            let v = (x * 85) as u8;
            Rgba([v, v, v, 255])
        });
        let mut out = Vec::new();
        write_ascii(&mut out, &img).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), " -*@\n");
    }
}
