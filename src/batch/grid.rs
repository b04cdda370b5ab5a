//! `--grid FILE.png`: a contact sheet of each job's first image, as an X/Y plot of one or two
//! swept parameters (values drawn as text on the image) or a plain grid. Images are read one at
//! a time and shrunk to a thumbnail, so memory is bounded by the sheet, never by the batch.

use image::{Rgb, RgbImage, imageops};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The sheet is at most this many pixels on its longer side (cells shrink to fit, down to
/// [`MIN_CELL`]).
pub const MAX_SIDE: u32 = 4096;
/// The sheet `batch --show` draws in the batch folder when `--grid` names none.
pub const SHOW_FILE: &str = "grid.png";
/// Largest thumbnail.
pub const MAX_CELL: u32 = 256;
/// Smallest thumbnail.
pub const MIN_CELL: u32 = 48;

const BG: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([20, 20, 20]);
const EMPTY: Rgb<u8> = Rgb([225, 225, 225]);

use super::plan::{NameTemplate, Plan};
use crate::report::GridInfo;
pub use crate::report::job::Axis;

/// How the sheet is laid out.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    /// Columns.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
    /// Column labels (X/Y plot).
    pub x: Option<Axis>,
    /// Row labels.
    pub y: Option<Axis>,
    /// Thumbnail side in pixels.
    pub cell: u32,
}

impl Layout {
    /// A layout for `cols × rows` cells with optional axes; the cell size keeps the sheet within
    /// [`MAX_SIDE`].
    pub fn new(cols: usize, rows: usize, x: Option<Axis>, y: Option<Axis>) -> Layout {
        let longest = cols.max(rows).max(1) as u32;
        let cell = (MAX_SIDE / longest).clamp(MIN_CELL, MAX_CELL);
        Layout {
            cols,
            rows,
            x,
            y,
            cell,
        }
    }

    /// A near-square plain grid for `n` images.
    pub fn plain(n: usize) -> Layout {
        let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
        let rows = n.div_ceil(cols).max(1);
        Layout::new(cols, rows, None, None)
    }

    fn scale(&self) -> u32 {
        if self.cell >= 128 { 2 } else { 1 }
    }

    fn char_px(&self) -> u32 {
        8 * self.scale()
    }

    /// Left margin (row labels) and top margin (column labels), in pixels.
    pub fn margins(&self) -> (u32, u32) {
        let pad = 8;
        let left = match &self.y {
            Some(y) => {
                let longest = y
                    .values
                    .iter()
                    .map(|v| label(&y.name, v).chars().count())
                    .max()
                    .unwrap_or(0)
                    .min(MAX_LABEL);
                longest as u32 * self.char_px() + 2 * pad
            }
            None => 0,
        };
        let top = if self.x.is_some() || self.y.is_some() {
            self.char_px() + 2 * pad
        } else {
            0
        };
        (left, top)
    }

    /// The sheet's size in pixels.
    pub fn size(&self) -> (u32, u32) {
        let (left, top) = self.margins();
        let gap = 4;
        (
            left + self.cols as u32 * (self.cell + gap) + gap,
            top + self.rows as u32 * (self.cell + gap) + gap,
        )
    }

    /// Top-left pixel of cell (`col`, `row`).
    pub fn cell_origin(&self, col: usize, row: usize) -> (u32, u32) {
        let (left, top) = self.margins();
        let gap = 4;
        (
            left + gap + col as u32 * (self.cell + gap),
            top + gap + row as u32 * (self.cell + gap),
        )
    }
}

const MAX_LABEL: usize = 32;

fn label(name: &str, value: &str) -> String {
    let s = format!("{name}={value}");
    if s.chars().count() > MAX_LABEL {
        let cut: String = s.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}~")
    } else {
        s
    }
}

/// Draws `text` with the public-domain 8×8 font; characters outside ASCII print as `?`.
fn draw_text(img: &mut RgbImage, x: u32, y: u32, text: &str, scale: u32, max_px: u32) {
    let mut cx = x;
    for ch in text.chars() {
        if cx + 8 * scale > x + max_px || cx + 8 * scale > img.width() {
            break;
        }
        let code = if ch.is_ascii() && !ch.is_ascii_control() {
            ch as usize
        } else {
            b'?' as usize
        };
        let glyph = font8x8::legacy::BASIC_LEGACY[code];
        for (gy, bits) in glyph.iter().enumerate() {
            for gx in 0..8 {
                if bits >> gx & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let px = cx + gx * scale + dx;
                            let py = y + gy as u32 * scale + dy;
                            if px < img.width() && py < img.height() {
                                img.put_pixel(px, py, INK);
                            }
                        }
                    }
                }
            }
        }
        cx += 8 * scale;
    }
}

/// Renders the sheet: `cell(col, row)` names the image for that cell (`None` leaves it grey),
/// `caption(col, row)` is drawn on plain grids. Unreadable images are counted, not fatal.
pub fn render(
    layout: &Layout,
    cell: &dyn Fn(usize, usize) -> Option<PathBuf>,
    caption: &dyn Fn(usize, usize) -> Option<String>,
    out: &Path,
) -> Result<RenderStats, String> {
    let (w, h) = layout.size();
    let mut img = RgbImage::from_pixel(w, h, BG);
    let scale = layout.scale();
    let (left, top) = layout.margins();
    if let Some(x) = &layout.x {
        for (col, v) in x.values.iter().enumerate().take(layout.cols) {
            let (cx, _) = layout.cell_origin(col, 0);
            draw_text(&mut img, cx, 8, &label(&x.name, v), scale, layout.cell);
        }
    }
    if let Some(y) = &layout.y {
        for (row, v) in y.values.iter().enumerate().take(layout.rows) {
            let (_, cy) = layout.cell_origin(0, row);
            let ty = cy + layout.cell / 2 - layout.char_px() / 2;
            draw_text(
                &mut img,
                8,
                ty,
                &label(&y.name, v),
                scale,
                left.saturating_sub(8),
            );
        }
    }
    let _ = top;
    let mut stats = RenderStats::default();
    for row in 0..layout.rows {
        for col in 0..layout.cols {
            let (ox, oy) = layout.cell_origin(col, row);
            let thumb = cell(col, row).and_then(|p| match load_thumb(&p, layout.cell) {
                Ok(t) => Some(t),
                Err(e) => {
                    stats.unreadable.push(format!("{}: {e}", p.display()));
                    None
                }
            });
            match thumb {
                Some(t) => {
                    let dx = (layout.cell - t.width()) / 2;
                    let dy = (layout.cell - t.height()) / 2;
                    imageops::replace(&mut img, &t, (ox + dx) as i64, (oy + dy) as i64);
                    stats.images += 1;
                }
                None => {
                    for y in oy..oy + layout.cell {
                        for x in ox..ox + layout.cell {
                            img.put_pixel(x, y, EMPTY);
                        }
                    }
                    stats.empty += 1;
                }
            }
            if let Some(c) = caption(col, row) {
                // A light box so the caption reads on any image.
                let cw = (c.chars().count() as u32 * 8 * scale + 4).min(layout.cell);
                for y in oy..(oy + 8 * scale + 4).min(oy + layout.cell) {
                    for x in ox..ox + cw {
                        img.put_pixel(x, y, BG);
                    }
                }
                draw_text(&mut img, ox + 2, oy + 2, &c, scale, layout.cell - 2);
            }
        }
    }
    write_png(&img, layout, out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(stats)
}

/// What went into the sheet.
#[derive(Debug, Default)]
pub struct RenderStats {
    /// Cells with an image.
    pub images: usize,
    /// Grey cells (failed job, no image, unreadable).
    pub empty: usize,
    /// Images that could not be decoded, with the reason.
    pub unreadable: Vec<String>,
}

fn load_thumb(path: &Path, cell: u32) -> Result<RgbImage, String> {
    let img = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .decode()
        .map_err(|e| e.to_string())?;
    Ok(img.thumbnail(cell, cell).to_rgb8())
}

/// Writes through a temp file and a rename, with the layout as a `comfyctl-grid` text chunk so
/// scripts (and tests) can read the axes back.
fn write_png(img: &RgbImage, layout: &Layout, out: &Path) -> std::io::Result<()> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.part",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("grid"),
        std::process::id()
    ));
    let result = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(f), img.width(), img.height());
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let meta = serde_json::to_string(layout).map_err(std::io::Error::other)?;
        enc.add_itxt_chunk("comfyctl-grid".into(), meta)
            .map_err(std::io::Error::other)?;
        let mut w = enc.write_header().map_err(std::io::Error::other)?;
        w.write_image_data(img.as_raw())
            .map_err(std::io::Error::other)?;
        w.finish().map_err(std::io::Error::other)?;
        std::fs::rename(&tmp, out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Draws the contact sheet of a batch directory into `out`: each job's first image, read from
/// the manifest (this run's lines and earlier runs').
pub fn draw(
    dir: &Path,
    out: &Path,
    p: &Plan,
    name: &NameTemplate,
) -> Result<(GridInfo, RenderStats), String> {
    // The first image of each job, from the manifest (this run's and earlier runs' lines).
    let total = p.len();
    let mut first: Vec<Option<PathBuf>> = vec![None; total];
    let f =
        std::fs::File::open(dir.join(super::manifest::MANIFEST_FILE)).map_err(|e| e.to_string())?;
    super::manifest::for_each_line(f, |_, v| {
        let Some(v) = v else { return };
        if v["status"] != "success" {
            return;
        }
        let Some(i) = v["index"]
            .as_u64()
            .map(|i| i as usize)
            .filter(|i| *i < total)
        else {
            return;
        };
        let img = v["outputs"].as_array().and_then(|o| {
            o.iter().find(|x| {
                x["kind"] == "images"
                    && x["path"].as_str().is_some_and(|p| {
                        let l = p.to_ascii_lowercase();
                        [".png", ".jpg", ".jpeg", ".webp"]
                            .iter()
                            .any(|e| l.ends_with(e))
                    })
            })
        });
        if let Some(path) = img.and_then(|x| x["path"].as_str()) {
            first[i] = Some(dir.join(path));
        }
    })
    .map_err(|e| e.to_string())?;

    let axis = |s: &super::plan::Sweep| Axis {
        name: s.name.clone(),
        values: s.values.clone(),
    };
    let xy = p.rows.is_empty() && !p.zip && (1..=2).contains(&p.sweeps.len());
    type CellIndex<'a> = Box<dyn Fn(usize, usize) -> Option<usize> + 'a>;
    let (layout, cell_index): (Layout, CellIndex) = if xy {
        let x = &p.sweeps[0];
        let per = |combo: usize, rep: usize| Some(combo * p.count + rep);
        if p.sweeps.len() == 2 {
            let y = &p.sweeps[1];
            let ny = y.values.len();
            (
                Layout::new(x.values.len(), ny, Some(axis(x)), Some(axis(y))),
                // Combination = xi * ny + yi (the last sweep varies fastest); repetition 0.
                Box::new(move |c, r| per(c * ny + r, 0)),
            )
        } else if p.count > 1 {
            let seeds: Vec<String> = (0..p.count)
                .map(|r| {
                    p.seed_of(&p.job(r))
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| format!("#{r}"))
                })
                .collect();
            (
                Layout::new(
                    x.values.len(),
                    p.count,
                    Some(axis(x)),
                    Some(Axis {
                        name: "seed".into(),
                        values: seeds,
                    }),
                ),
                Box::new(per),
            )
        } else {
            (
                Layout::new(x.values.len(), 1, Some(axis(x)), None),
                Box::new(move |c, _| per(c, 0)),
            )
        }
    } else {
        let l = Layout::plain(total);
        let cols = l.cols;
        (l, Box::new(move |c, r| Some(r * cols + c)))
    };
    let cell = |c: usize, r: usize| {
        cell_index(c, r)
            .filter(|i| *i < total)
            .and_then(|i| first[i].clone())
    };
    let caption = |c: usize, r: usize| -> Option<String> {
        if xy {
            return None;
        }
        let i = cell_index(c, r).filter(|i| *i < total)?;
        Some(p.job_name(name, &p.job(i)))
    };
    let stats = render(&layout, &cell, &caption, out)?;
    let info = GridInfo {
        path: out.display().to_string(),
        cols: layout.cols,
        rows: layout.rows,
        images: stats.images,
        empty: stats.empty,
        x: layout.x,
        y: layout.y,
    };
    Ok((info, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_shrink_so_a_thousand_job_sheet_stays_bounded() {
        let l = Layout::plain(1000);
        assert_eq!((l.cols, l.rows), (32, 32));
        let (w, h) = l.size();
        assert!(w <= MAX_SIDE + 200 && h <= MAX_SIDE + 200, "{w}x{h}");
        let small = Layout::new(2, 2, None, None);
        assert_eq!(small.cell, MAX_CELL);
    }

    #[test]
    fn labels_are_drawn_in_the_margins() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("g.png");
        let l = Layout::new(
            2,
            1,
            Some(Axis {
                name: "cfg".into(),
                values: vec!["4".into(), "7".into()],
            }),
            Some(Axis {
                name: "steps".into(),
                values: vec!["10".into()],
            }),
        );
        let stats = render(&l, &|_, _| None, &|_, _| None, &out).unwrap();
        assert_eq!(stats.empty, 2);
        let img = image::open(&out).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), l.size());
        let (_, top) = l.margins();
        let dark_top = (0..img.width())
            .flat_map(|x| (0..top).map(move |y| (x, y)))
            .filter(|(x, y)| img.get_pixel(*x, *y).0[0] < 100)
            .count();
        assert!(dark_top > 50, "column labels drawn: {dark_top}");
    }
}
