//! Images in the terminal for the job commands (`--show`): whether to draw at all, the live
//! preview drawn in place while a job runs, and the saved images (or a batch's grid) at the end.
//! The encoders are [`crate::show`]; this is where they meet the printer and the bars.

use crate::error::Failure;
use crate::printer::{Printer, Verbosity};
use crate::show::{LiveFrame, ShowSize, Shown, Viewer};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

/// Whether images may be drawn: asked for, stderr is a terminal (never into a pipe or a file),
/// stdout is not for machines (`--json`, `--jsonl`), and not `-q`.
pub fn allowed(wanted: bool, stderr_tty: bool, machine: bool, verbosity: Verbosity) -> bool {
    wanted && stderr_tty && !machine && verbosity != Verbosity::Quiet
}

/// The viewer a command draws with, or `None` when [`allowed`] says no (then nothing is asked
/// of the terminal). A bad `COMFYCTL_SHOW_PROTOCOL` is a usage error.
pub fn viewer(
    printer: &Printer,
    wanted: bool,
    machine: bool,
    size: Option<ShowSize>,
) -> Result<Option<Viewer>, Failure> {
    let ok = allowed(wanted, printer.stderr_tty, machine, printer.verbosity);
    if wanted && !ok {
        printer.debug("--show: no images drawn (stderr is not a terminal, or --json/--jsonl/-q)");
    }
    let v = Viewer::for_stderr(ok, printer.color, size).map_err(Failure::usage)?;
    if let Some(v) = &v {
        printer.debug(&format!(
            "--show: {} in {} cells ({})",
            v.caps.protocol.name(),
            v.size,
            v.caps.reason
        ));
    }
    Ok(v)
}

/// Lines kept free under a live preview for the bars (nodes, steps, a download, a server that
/// went away) and the line being printed: a frame pushed off the top of the screen could not
/// be drawn over in place.
const ROWS_FOR_BARS: u16 = 6;

/// The live preview drawer for `v`: its box, made short enough to leave room for the bars when
/// the terminal's height is known.
pub fn live(v: &Viewer) -> LiveFrame {
    let mut size = v.size;
    if let Some((_, rows)) = v.caps.terminal {
        size.rows = size.rows.min(rows.saturating_sub(ROWS_FOR_BARS)).max(1);
    }
    LiveFrame::new(v.caps.clone(), size, LiveFrame::DEFAULT_EVERY)
}

/// Draws each image among `paths` on stderr, with a line for each note (an animation's first
/// frame) or file not drawn (a video, an unreadable file); files that are not pictures (audio,
/// models, text) are passed over. A terminal that went away ends the drawing quietly.
pub fn files<P: AsRef<Path>>(printer: &Printer, v: &Viewer, paths: &[P]) {
    let mut err = std::io::stderr().lock();
    for p in paths.iter().map(AsRef::as_ref) {
        if !crate::show::is_visual(p) {
            continue;
        }
        match v.show_files(&mut err, &[p]) {
            Ok(shown) => match shown.into_iter().next() {
                Some(Shown::Drawn { note: Some(n), .. }) => {
                    printer.info(&format!("{}: {n}", p.display()))
                }
                Some(Shown::Skipped(why)) => printer.info(&format!("not shown: {why}")),
                _ => {}
            },
            Err(_) => return,
        }
    }
}

/// `--show` after a job: the images it saved, when there is a viewer.
pub fn outputs(printer: &Printer, v: Option<&Viewer>, o: &crate::client::JobOutcome) {
    if let Some(v) = v {
        let paths: Vec<&Path> = o.outputs.files.iter().map(|f| f.path.as_path()).collect();
        files(printer, v, &paths);
    }
}

/// A live preview on stderr below lines printed as they come (`watch`'s live view): each new
/// frame replaces the last one in place, and a line printed while a frame is on screen takes its
/// place, the frame drawn again below it.
pub struct Pane {
    live: LiveFrame,
    /// Lines on stdout land on the same screen (stdout is a terminal too).
    stdout_tty: bool,
}

impl Pane {
    /// A pane for `v`'s live previews.
    pub fn new(v: &Viewer) -> Pane {
        Pane {
            live: live(v),
            stdout_tty: std::io::stdout().is_terminal(),
        }
    }

    /// A frame arrived: kept, and drawn if the last draw was long enough ago.
    pub fn offer(&mut self, frame: Vec<u8>) {
        self.live.offer(frame);
        let _ = self
            .live
            .draw_due(&mut std::io::stderr().lock(), Instant::now());
    }

    /// Prints with `f` (a line on stdout or stderr) where the frame is, then draws the frame
    /// below it. When stdout goes elsewhere, its lines do not move the frame: only lines
    /// written to stderr need the lift (`on_stderr`).
    pub fn print<T>(&mut self, on_stderr: bool, f: impl FnOnce() -> T) -> T {
        if !(on_stderr || self.stdout_tty) {
            return f();
        }
        let mut err = std::io::stderr().lock();
        let _ = self.live.lift(&mut err);
        let out = f();
        let _ = std::io::stdout().flush();
        let _ = self.live.draw_due(&mut err, Instant::now());
        out
    }

    /// Leaves the newest frame on screen (drawn now if the rate limit held it back).
    pub fn finish(&mut self) {
        let _ = self.live.finish(&mut std::io::stderr().lock(), true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::{Capabilities, Protocol};

    #[test]
    fn images_are_drawn_only_on_a_terminal_for_people() {
        use Verbosity::*;
        assert!(allowed(true, true, false, Normal));
        assert!(allowed(true, true, false, Verbose));
        assert!(!allowed(false, true, false, Normal), "not asked for");
        assert!(
            !allowed(true, false, false, Normal),
            "stderr is a pipe or a file"
        );
        assert!(!allowed(true, true, true, Normal), "--json/--jsonl");
        assert!(!allowed(true, true, false, Quiet), "-q");
    }

    #[test]
    fn nothing_is_asked_of_the_terminal_when_not_allowed() {
        let p = Printer {
            verbosity: Verbosity::Normal,
            color: true,
            stderr_tty: false,
        };
        // Not a terminal: no viewer, whatever the protocol variable says.
        assert!(viewer(&p, true, false, None).unwrap().is_none());
    }

    #[test]
    fn the_live_box_leaves_room_for_the_bars() {
        let mut caps = Capabilities::with_protocol(Protocol::Ascii);
        caps.terminal = Some((80, 24));
        let v = Viewer {
            caps: caps.clone(),
            size: ShowSize { cols: 80, rows: 22 },
        };
        // 24 rows: 18 for the frame, 6 for the bars and a line.
        let mut live = live(&v);
        let mut screen = Vec::new();
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::new(400, 400));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        live.offer(png.clone());
        live.draw_due(&mut screen, Instant::now()).unwrap();
        assert_eq!(live.rows(), 18);
        // A tiny terminal still gets a row; no terminal size: the viewer's box as it is.
        caps.terminal = Some((80, 3));
        let mut tiny = super::live(&Viewer {
            caps: caps.clone(),
            size: ShowSize { cols: 80, rows: 22 },
        });
        tiny.offer(png.clone());
        tiny.draw_due(&mut Vec::new(), Instant::now()).unwrap();
        assert_eq!(tiny.rows(), 1);
        caps.terminal = None;
        let mut free = super::live(&Viewer {
            caps,
            size: ShowSize { cols: 80, rows: 22 },
        });
        free.offer(png);
        free.draw_due(&mut Vec::new(), Instant::now()).unwrap();
        assert_eq!(free.rows(), 22);
    }
}
