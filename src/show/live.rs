//! A preview frame drawn in place: each new frame replaces the last one at the same place on
//! the screen, at most a few times a second, so it can sit under progress bars while a job runs.

use super::{Capabilities, Protocol, ShowSize};
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// The kitty image id of the live preview, so a new frame replaces the old image in the
/// terminal's memory instead of piling up.
const KITTY_ID: u32 = 0x00c0_ffee;

/// The newest preview frame, drawn in place and rate-limited.
///
/// Use: [`LiveFrame::offer`] every frame as it arrives (cheap: the bytes are kept, not
/// decoded), and call [`LiveFrame::draw_due`] whenever the screen may be written — with
/// indicatif, inside `MultiProgress::suspend`, which clears the bars first, so the cursor is
/// on the line below the previous frame, where `draw_due` expects it (and choose a size that
/// leaves room for the bars: a frame scrolled off the top cannot be rewound over).
/// [`LiveFrame::detach`] after printing anything else; [`LiveFrame::finish`] at the end keeps
/// or erases the last frame.
#[derive(Debug)]
pub struct LiveFrame {
    caps: Capabilities,
    size: ShowSize,
    every: Duration,
    last: Option<Instant>,
    rows: u16,
    pending: Option<Vec<u8>>,
    /// The frame on screen, to draw again after [`LiveFrame::lift`].
    shown: Option<Vec<u8>>,
}

impl LiveFrame {
    /// Four frames a second at most: smooth enough to watch a sampler converge, and the
    /// terminal is not flooded with escapes (a 60×30 truecolour frame is ~60 KB).
    pub const DEFAULT_EVERY: Duration = Duration::from_millis(250);

    /// A drawer for frames fitting `size`, drawing at most once per `every`.
    pub fn new(caps: Capabilities, size: ShowSize, every: Duration) -> LiveFrame {
        LiveFrame {
            caps,
            size,
            every,
            last: None,
            rows: 0,
            pending: None,
            shown: None,
        }
    }

    /// Keeps an encoded frame (JPEG/PNG bytes, as ComfyUI sends previews) as the next to draw;
    /// an older one not drawn yet is dropped.
    pub fn offer(&mut self, frame: Vec<u8>) {
        self.pending = Some(frame);
    }

    /// Rows the frame on screen takes (0 when none is).
    pub fn rows(&self) -> u16 {
        self.rows
    }

    /// Draws the pending frame if there is one and the last draw was at least `every` ago:
    /// moves the cursor up over the previous frame, erases to the end of the screen, draws.
    /// Returns whether it drew. A frame that cannot be decoded is dropped.
    pub fn draw_due(&mut self, w: &mut dyn Write, now: Instant) -> io::Result<bool> {
        if !self.due(now) {
            return Ok(false);
        }
        let bytes = self.pending.take().expect("checked by due");
        let Ok((img, _)) = super::decode_first_frame(&bytes) else {
            return Ok(false);
        };
        let mut out = Vec::new();
        self.rewind(&mut out);
        w.write_all(&out)?;
        let kitty_id = (self.caps.protocol == Protocol::Kitty).then_some(KITTY_ID);
        let (_, rows) = super::draw(w, &img, &self.caps, self.size, kitty_id)?;
        self.rows = rows;
        self.last = Some(now);
        self.shown = Some(bytes);
        Ok(true)
    }

    /// Whether [`LiveFrame::draw_due`] would draw at `now`: a frame is pending and the last
    /// draw was at least `every` ago. Cheap, so a caller can skip hiding its bars otherwise.
    pub fn due(&self, now: Instant) -> bool {
        self.pending.is_some()
            && self
                .last
                .is_none_or(|t| now.duration_since(t) >= self.every)
    }

    /// Erases the frame on screen (the cursor goes back to where it began) so a line can be
    /// printed there, and makes the frame due again at once: the next
    /// [`LiveFrame::draw_due`] puts it back below that line. Frames then stay under the
    /// newest line instead of piling up in the scrollback.
    pub fn lift(&mut self, w: &mut dyn Write) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut out = Vec::new();
        self.rewind(&mut out);
        self.rows = 0;
        if self.pending.is_none() {
            self.pending = self.shown.take();
        }
        self.last = None;
        w.write_all(&out)?;
        w.flush()
    }

    /// Leaves the frame on screen where it is and draws the next one below the cursor instead
    /// of over it. Call it when anything else was printed after the frame (a "saved …" line):
    /// rewinding would otherwise erase that line and draw over it.
    pub fn detach(&mut self) {
        self.rows = 0;
    }

    /// Ends the preview: with `keep`, the last frame stays (the newest one, drawn now if the
    /// rate limit held it back); otherwise it is erased (and, on kitty, deleted from the
    /// terminal's memory) and the cursor is back where the first frame was drawn.
    pub fn finish(&mut self, w: &mut dyn Write, keep: bool) -> io::Result<()> {
        if keep && self.pending.is_some() {
            self.last = None;
            self.draw_due(w, Instant::now())?;
        }
        self.pending = None;
        self.shown = None;
        if keep || self.rows == 0 {
            self.rows = 0;
            return Ok(());
        }
        let mut out = Vec::new();
        self.rewind(&mut out);
        if self.caps.protocol == Protocol::Kitty {
            super::kitty::delete(&mut out, KITTY_ID, self.caps.tmux);
        }
        self.rows = 0;
        w.write_all(&out)?;
        w.flush()
    }

    /// `ESC [ n F` (to the start of the line n up) over the frame on screen, then `ESC [ J`.
    fn rewind(&self, out: &mut Vec<u8>) {
        if self.rows > 0 {
            out.extend_from_slice(format!("\x1b[{}F\x1b[J", self.rows).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::Palette;

    fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn frames_replace_each_other_in_place_at_most_every_interval() {
        let caps = Capabilities::with_protocol(Protocol::Blocks(Palette::TrueColor));
        let size = ShowSize { cols: 4, rows: 2 };
        let mut live = LiveFrame::new(caps, size, Duration::from_millis(250));
        let t0 = Instant::now();
        let mut screen = Vec::new();
        // Nothing offered: nothing drawn.
        assert!(!live.draw_due(&mut screen, t0).unwrap());
        live.offer(png(4, 4, [255, 0, 0]));
        assert!(live.draw_due(&mut screen, t0).unwrap());
        let red_row = "\x1b[48;2;255;0;0m    \x1b[0m\n";
        assert_eq!(
            String::from_utf8(screen.clone()).unwrap(),
            red_row.repeat(2)
        );
        assert_eq!(live.rows(), 2);

        // Two frames within 250 ms: none drawn, the newest kept.
        screen.clear();
        live.offer(png(4, 4, [0, 255, 0]));
        live.offer(png(4, 4, [0, 0, 255]));
        assert!(
            !live
                .draw_due(&mut screen, t0 + Duration::from_millis(100))
                .unwrap()
        );
        assert!(screen.is_empty());
        assert!(
            live.draw_due(&mut screen, t0 + Duration::from_millis(250))
                .unwrap()
        );
        let blue_row = "\x1b[48;2;0;0;255m    \x1b[0m\n";
        // Up two lines, erase below, the blue frame (the green one was never drawn).
        assert_eq!(
            String::from_utf8(screen.clone()).unwrap(),
            format!("\x1b[2F\x1b[J{}", blue_row.repeat(2))
        );

        // Something printed below the frame: the next frame starts where the cursor is.
        screen.clear();
        live.detach();
        live.offer(png(4, 4, [255, 0, 0]));
        assert!(
            live.draw_due(&mut screen, t0 + Duration::from_millis(500))
                .unwrap()
        );
        assert_eq!(
            String::from_utf8(screen.clone()).unwrap(),
            red_row.repeat(2)
        );

        // Erased at the end: back up and cleared.
        screen.clear();
        live.finish(&mut screen, false).unwrap();
        assert_eq!(String::from_utf8(screen).unwrap(), "\x1b[2F\x1b[J");
        assert_eq!(live.rows(), 0);
    }

    #[test]
    fn a_lifted_frame_is_erased_and_drawn_again_below_the_line_printed_in_its_place() {
        let caps = Capabilities::with_protocol(Protocol::Blocks(Palette::TrueColor));
        let mut live = LiveFrame::new(caps, ShowSize { cols: 4, rows: 2 }, Duration::from_secs(60));
        let t0 = Instant::now();
        let mut screen = Vec::new();
        // Nothing on screen: lifting writes nothing.
        live.lift(&mut screen).unwrap();
        assert!(screen.is_empty());
        live.offer(png(4, 4, [255, 0, 0]));
        assert!(live.draw_due(&mut screen, t0).unwrap());
        assert!(!live.due(t0 + Duration::from_secs(1)), "nothing pending");
        screen.clear();
        live.lift(&mut screen).unwrap();
        assert_eq!(String::from_utf8(screen.clone()).unwrap(), "\x1b[2F\x1b[J");
        assert_eq!(live.rows(), 0);
        // Due at once although the interval has not passed: the same frame comes back.
        screen.clear();
        screen.extend_from_slice(b"a line\n");
        assert!(live.due(t0 + Duration::from_secs(1)));
        assert!(
            live.draw_due(&mut screen, t0 + Duration::from_secs(1))
                .unwrap()
        );
        let red_row = "\x1b[48;2;255;0;0m    \x1b[0m\n";
        assert_eq!(
            String::from_utf8(screen.clone()).unwrap(),
            format!("a line\n{}", red_row.repeat(2))
        );
        // A newer frame offered before the lift wins over the one on screen.
        live.offer(png(4, 4, [0, 0, 255]));
        screen.clear();
        live.lift(&mut screen).unwrap();
        assert!(
            live.draw_due(&mut screen, t0 + Duration::from_secs(2))
                .unwrap()
        );
        let s = String::from_utf8(screen).unwrap();
        assert!(s.contains("48;2;0;0;255m"), "{s:?}");
        assert!(!s.contains("48;2;255;0;0m"), "{s:?}");
    }

    #[test]
    fn a_kept_preview_ends_on_the_newest_frame_even_one_held_back_by_the_rate_limit() {
        let caps = Capabilities::with_protocol(Protocol::Blocks(Palette::TrueColor));
        let mut live = LiveFrame::new(caps, ShowSize { cols: 4, rows: 2 }, Duration::from_secs(60));
        let t0 = Instant::now();
        let mut screen = Vec::new();
        live.offer(png(4, 4, [255, 0, 0]));
        assert!(live.draw_due(&mut screen, t0).unwrap());
        live.offer(png(4, 4, [0, 0, 255]));
        assert!(!live.draw_due(&mut screen, t0).unwrap(), "held back");
        screen.clear();
        live.finish(&mut screen, true).unwrap();
        let s = String::from_utf8(screen).unwrap();
        assert!(s.starts_with("\x1b[2F\x1b[J"), "over the old frame: {s:?}");
        assert!(s.contains("48;2;0;0;255m"), "{s:?}");
        assert_eq!(live.rows(), 0, "left on screen");
        // Erasing never draws the held-back frame first.
        let mut screen = Vec::new();
        live.offer(png(4, 4, [0, 255, 0]));
        live.finish(&mut screen, false).unwrap();
        assert!(screen.is_empty(), "{screen:?}");
    }

    #[test]
    fn kitty_frames_reuse_one_image_id_and_delete_it_at_the_end() {
        let caps = Capabilities::with_protocol(Protocol::Kitty);
        let mut live = LiveFrame::new(caps, ShowSize { cols: 4, rows: 2 }, Duration::ZERO);
        let mut screen = Vec::new();
        let t0 = Instant::now();
        for n in 0..2u8 {
            live.offer(png(4, 4, [n, 0, 0]));
            assert!(live.draw_due(&mut screen, t0).unwrap());
        }
        let s = String::from_utf8(screen.clone()).unwrap();
        let id = format!("i={KITTY_ID},");
        assert_eq!(s.matches(&id).count(), 2, "{s:?}");
        assert!(s.contains("\n\x1b[2F\x1b[J\x1b_Ga=T,f=100"), "{s:?}");
        screen.clear();
        live.finish(&mut screen, false).unwrap();
        assert_eq!(
            String::from_utf8(screen).unwrap(),
            format!("\x1b[2F\x1b[J\x1b_Ga=d,d=I,i={KITTY_ID},q=2\x1b\\")
        );
    }

    #[test]
    fn an_undecodable_frame_is_dropped_and_a_kept_frame_stays() {
        let caps = Capabilities::with_protocol(Protocol::Ascii);
        let mut live = LiveFrame::new(caps, ShowSize { cols: 2, rows: 1 }, Duration::ZERO);
        let mut screen = Vec::new();
        live.offer(b"not an image".to_vec());
        assert!(!live.draw_due(&mut screen, Instant::now()).unwrap());
        assert!(screen.is_empty());
        live.offer(png(2, 2, [255, 255, 255]));
        assert!(live.draw_due(&mut screen, Instant::now()).unwrap());
        assert_eq!(String::from_utf8(screen.clone()).unwrap(), "@@\n");
        screen.clear();
        live.finish(&mut screen, true).unwrap();
        assert!(screen.is_empty());
    }
}
