//! How many terminal cells an image takes: `--show-size COLSxROWS` and the aspect ratio of
//! cells that are about twice as tall as they are wide.

use std::fmt;
use std::str::FromStr;

/// The largest box accepted in either direction; no terminal is wider or taller, and a typo
/// like `600x3000` would otherwise print megabytes of escapes.
pub const MAX_CELLS: u16 = 1000;

/// A box of terminal cells an image must fit in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowSize {
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

impl ShowSize {
    /// The box for a terminal of `cols × rows`: its whole width, and two rows fewer than its
    /// height so the image and the prompt below it fit on one screen.
    pub fn for_terminal(cols: u16, rows: u16) -> ShowSize {
        ShowSize {
            cols: cols.clamp(1, MAX_CELLS),
            rows: rows.saturating_sub(2).clamp(1, MAX_CELLS),
        }
    }
}

impl fmt::Display for ShowSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.cols, self.rows)
    }
}

impl FromStr for ShowSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_show_size(s)
    }
}

/// Parses `COLSxROWS` (`60x30`), for `--show-size`; usable as a clap `value_parser`. Zero,
/// negative, fractional, over [`MAX_CELLS`] and anything else is refused with a message that
/// names the value and the expected form.
pub fn parse_show_size(s: &str) -> Result<ShowSize, String> {
    let form = "expected COLSxROWS in terminal cells, e.g. 60x30";
    let t = s.trim();
    let Some((c, r)) = t.split_once(['x', 'X', '×']) else {
        return Err(format!("invalid size {s:?}: {form}"));
    };
    let num = |v: &str, what: &str| -> Result<u16, String> {
        let v = v.trim();
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid size {s:?}: {what} {v:?} is not a whole number; {form}"
            ));
        }
        match v.parse::<u64>() {
            Ok(0) => Err(format!("invalid size {s:?}: {what} must be at least 1")),
            Ok(n) if n <= u64::from(MAX_CELLS) => Ok(n as u16),
            _ => Err(format!(
                "invalid size {s:?}: {what} must be at most {MAX_CELLS}"
            )),
        }
    };
    Ok(ShowSize {
        cols: num(c, "columns")?,
        rows: num(r, "rows")?,
    })
}

/// The cells an image of `w × h` pixels takes inside `size`, keeping its aspect ratio with
/// cells twice as tall as wide (one cell is two half-block pixels). Never more than one column
/// per pixel, so a tiny image is not blown up into a blur; at least one cell.
pub fn fit_cells(w: u32, h: u32, size: ShowSize) -> (u16, u16) {
    let (w, h) = (u64::from(w.max(1)), u64::from(h.max(1)));
    let max_cols = u64::from(size.cols).min(w);
    let max_rows = u64::from(size.rows).min(h.div_ceil(2));
    // Width-bound: rows = cols·h/(2w); height-bound: cols = rows·2w/h.
    let rows_at_max_cols = (max_cols * h).div_ceil(2 * w);
    let (cols, rows) = if rows_at_max_cols <= max_rows {
        (max_cols, rows_at_max_cols)
    } else {
        ((max_rows * 2 * w / h).max(1), max_rows)
    };
    (cols.max(1) as u16, rows.max(1) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_show_size("60x30"),
            Ok(ShowSize { cols: 60, rows: 30 })
        );
        assert_eq!(
            parse_show_size(" 120X40 "),
            Ok(ShowSize {
                cols: 120,
                rows: 40
            })
        );
        assert_eq!(parse_show_size("1000x1").unwrap().to_string(), "1000x1");
        for (bad, says) in [
            ("0x30", "columns must be at least 1"),
            ("60x0", "rows must be at least 1"),
            ("-5x30", "columns \"-5\" is not a whole number"),
            ("60x-1", "rows \"-1\" is not a whole number"),
            ("1001x30", "columns must be at most 1000"),
            ("60x99999999999999999999999", "rows must be at most 1000"),
            ("60.5x30", "not a whole number"),
            ("60", "expected COLSxROWS"),
            ("", "expected COLSxROWS"),
            ("x30", "columns \"\" is not a whole number"),
            ("60x30x2", "rows \"30x2\" is not a whole number"),
            ("big", "expected COLSxROWS"),
        ] {
            let err = parse_show_size(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(
                err.contains(&format!("{bad:?}")),
                "{bad}: names the value: {err}"
            );
        }
    }

    #[test]
    fn cells_keep_the_aspect_ratio_with_cells_twice_as_tall() {
        let box60 = ShowSize { cols: 60, rows: 30 };
        // A square image: twice as many columns as rows.
        assert_eq!(fit_cells(512, 512, box60), (60, 30));
        assert_eq!(
            fit_cells(512, 512, ShowSize { cols: 80, rows: 30 }),
            (60, 30)
        );
        // Wide 2:1 → 4:1 in cells, bound by width.
        assert_eq!(fit_cells(1024, 512, box60), (60, 15));
        // Tall 1:2 → bound by height: 30 rows, 30 columns.
        assert_eq!(fit_cells(512, 1024, box60), (30, 30));
        // Tiny images are not enlarged: one column per pixel, two pixels per row.
        assert_eq!(fit_cells(8, 8, box60), (8, 4));
        assert_eq!(fit_cells(1, 1, box60), (1, 1));
        // Degenerate sizes still take a cell.
        assert_eq!(fit_cells(0, 0, box60), (1, 1));
        assert_eq!(fit_cells(10_000, 1, ShowSize { cols: 5, rows: 5 }), (5, 1));
    }

    #[test]
    fn the_terminal_box_leaves_room_for_the_prompt() {
        assert_eq!(
            ShowSize::for_terminal(80, 24),
            ShowSize { cols: 80, rows: 22 }
        );
        assert_eq!(ShowSize::for_terminal(0, 1), ShowSize { cols: 1, rows: 1 });
    }
}
