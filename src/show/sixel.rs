//! Sixel (xterm `-ti vt340`, foot, mlterm, WezTerm, Windows Terminal, tmux built with sixel):
//! a DCS sequence with a colour palette and six-pixel-tall bands.
//! <https://vt100.net/docs/vt3xx-gp/chapter14.html>

use image::RgbaImage;
use std::io;

/// Level (0–5) of a channel in the 6×6×6 colour cube.
fn level(v: u8) -> u16 {
    (u16::from(v) * 5 + 127) / 255
}

/// Palette index in the cube, or `None` for a transparent pixel.
fn index(p: &image::Rgba<u8>) -> Option<u16> {
    (p[3] >= 128).then(|| level(p[0]) * 36 + level(p[1]) * 6 + level(p[2]))
}

/// Writes `ESC P 0;1;0 q "1;1;W;H #palette… bands ESC \`. P2=1 leaves transparent pixels as
/// the background; colours are the 6×6×6 cube (only those used are declared, in percent);
/// each band of six rows holds, per colour, one sixel character per column (63 + a bit per
/// row), runs of four or more as `!N`, colours separated by `$` (back to the band's start),
/// bands by `-`.
pub fn write(out: &mut Vec<u8>, img: &RgbaImage) -> io::Result<()> {
    let (w, h) = img.dimensions();
    let idx: Vec<Option<u16>> = img.pixels().map(index).collect();
    let mut used = [false; 216];
    for i in idx.iter().flatten() {
        used[usize::from(*i)] = true;
    }
    out.extend_from_slice(format!("\x1bP0;1;0q\"1;1;{w};{h}").as_bytes());
    for (i, _) in used.iter().enumerate().filter(|(_, u)| **u) {
        let pct = |l: usize| l * 20;
        out.extend_from_slice(
            format!("#{i};2;{};{};{}", pct(i / 36), pct(i / 6 % 6), pct(i % 6)).as_bytes(),
        );
    }
    let (w, h) = (w as usize, h as usize);
    let mut row = vec![0u8; w];
    for band in 0..h.div_ceil(6) {
        if band > 0 {
            out.push(b'-');
        }
        let mut in_band = [false; 216];
        for y in band * 6..(band * 6 + 6).min(h) {
            for i in idx[y * w..y * w + w].iter().flatten() {
                in_band[usize::from(*i)] = true;
            }
        }
        let mut first = true;
        for colour in (0..216u16).filter(|c| in_band[usize::from(*c)]) {
            row.iter_mut().for_each(|b| *b = 0);
            for dy in 0..6 {
                let y = band * 6 + dy;
                if y >= h {
                    break;
                }
                for (x, bits) in row.iter_mut().enumerate() {
                    if idx[y * w + x] == Some(colour) {
                        *bits |= 1 << dy;
                    }
                }
            }
            if !first {
                out.push(b'$');
            }
            first = false;
            out.extend_from_slice(format!("#{colour}").as_bytes());
            // Trailing empty columns need not be sent.
            let end = row.iter().rposition(|b| *b != 0).map_or(0, |p| p + 1);
            run_length(out, &row[..end]);
        }
    }
    out.extend_from_slice(b"\x1b\\");
    Ok(())
}

fn run_length(out: &mut Vec<u8>, bits: &[u8]) {
    let mut i = 0;
    while i < bits.len() {
        let b = bits[i];
        let n = bits[i..].iter().take_while(|x| **x == b).count();
        let ch = 63 + b;
        if n >= 4 {
            out.extend_from_slice(format!("!{n}").as_bytes());
            out.push(ch);
        } else {
            out.extend(std::iter::repeat_n(ch, n));
        }
        i += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn two_colour_columns_give_a_palette_and_one_band() {
        // Left column red, right column blue, six rows: one band.
        let img = RgbaImage::from_fn(2, 6, |x, _| {
            if x == 0 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 255, 255])
            }
        });
        let mut out = Vec::new();
        write(&mut out, &img).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "\x1bP0;1;0q\"1;1;2;6#5;2;0;0;100#180;2;100;0;0#5?~$#180~\x1b\\"
        );
    }

    #[test]
    fn bands_runs_and_transparency() {
        // 8 wide, 7 tall: white everywhere except a transparent last column; the seventh row
        // is a second band holding only its top bit.
        let img = RgbaImage::from_fn(8, 7, |x, _| {
            if x == 7 {
                Rgba([0, 0, 0, 0])
            } else {
                Rgba([255, 255, 255, 255])
            }
        });
        let mut out = Vec::new();
        write(&mut out, &img).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "\x1bP0;1;0q\"1;1;8;7#215;2;100;100;100#215!7~-#215!7@\x1b\\"
        );
    }
}
