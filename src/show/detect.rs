//! Which image protocol the terminal speaks, decided from its environment and, where that
//! says nothing, from its answer to a Primary Device Attributes query (`ESC [ c`): a terminal
//! that can draw sixel lists `4` among its attributes.

use std::time::Duration;

/// Forces a protocol: `kitty`, `iterm2`, `sixel`, `blocks`, `ascii`, or `auto` (the default).
pub const SHOW_PROTOCOL_ENV: &str = "COMFYCTL_SHOW_PROTOCOL";

/// How long to wait for the terminal's answer to `ESC [ c`. Every VT100-like terminal answers
/// it at once (kitty's own detection relies on that), so this is only spent on something that
/// is not a terminal at all.
pub const DA1_TIMEOUT: Duration = Duration::from_millis(200);

/// Colours for half-blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// 24-bit colour (`COLORTERM=truecolor` or `24bit`).
    TrueColor,
    /// xterm's 256 colours.
    Ansi256,
}

/// How an image is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The kitty graphics protocol.
    Kitty,
    /// iTerm2 inline images.
    Iterm2,
    /// Sixel.
    Sixel,
    /// Unicode half-blocks in colour.
    Blocks(Palette),
    /// Characters by brightness, no escape sequences: colour is off (`NO_COLOR`,
    /// `--color never`) or the terminal is `dumb`.
    Ascii,
}

impl Protocol {
    /// The name used by [`SHOW_PROTOCOL_ENV`] and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Kitty => "kitty",
            Protocol::Iterm2 => "iterm2",
            Protocol::Sixel => "sixel",
            Protocol::Blocks(Palette::TrueColor) => "blocks (24-bit colour)",
            Protocol::Blocks(Palette::Ansi256) => "blocks (256 colours)",
            Protocol::Ascii => "ascii",
        }
    }
}

/// What the terminal can draw, and how big it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The protocol to draw with.
    pub protocol: Protocol,
    /// Inside tmux: kitty and iTerm2 sequences are wrapped for passthrough.
    pub tmux: bool,
    /// Pixels per cell (width, height); 10×20 when the terminal does not say.
    pub cell_px: (u16, u16),
    /// Columns and rows of the terminal, when known.
    pub terminal: Option<(u16, u16)>,
    /// How the protocol was chosen, for `-v`.
    pub reason: String,
}

/// Cell size assumed when the terminal does not report pixels (a common 2:1 cell).
const DEFAULT_CELL_PX: (u16, u16) = (10, 20);

impl Capabilities {
    /// Capabilities with a fixed protocol and no terminal facts (tests, forced choices).
    pub fn with_protocol(protocol: Protocol) -> Capabilities {
        Capabilities {
            protocol,
            tmux: false,
            cell_px: DEFAULT_CELL_PX,
            terminal: None,
            reason: "given".into(),
        }
    }

    /// Detects the terminal behind stderr. Call it only when stderr is a terminal: it may ask
    /// the terminal (`/dev/tty`) for its attributes, waiting at most [`DA1_TIMEOUT`]. `color`
    /// is the printer's decision (`--color`, `NO_COLOR`, …); it only matters for the text
    /// fallback, since graphics protocols are pictures, not coloured text. Errors on a bad
    /// [`SHOW_PROTOCOL_ENV`] value.
    pub fn detect(color: bool) -> Result<Capabilities, String> {
        let env = |k: &str| std::env::var(k).ok();
        let mut caps = Capabilities::decide(&env, color, &mut || query_da1(DA1_TIMEOUT))?;
        let size = terminal_size::terminal_size_of(std::io::stderr());
        caps.terminal = size.map(|(w, h)| (w.0, h.0));
        if let Some(px) = cell_pixels() {
            caps.cell_px = px;
        }
        Ok(caps)
    }

    /// The decision, from environment variables and (only when they say nothing) the
    /// terminal's answer to `ESC [ c`. Pure apart from `da1`, so every branch is tested.
    pub fn decide(
        env: &dyn Fn(&str) -> Option<String>,
        color: bool,
        da1: &mut dyn FnMut() -> Option<String>,
    ) -> Result<Capabilities, String> {
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        let is = |k: &str, vals: &[&str]| get(k).is_some_and(|v| vals.contains(&v.as_str()));
        let term = get("TERM").unwrap_or_default();
        let tmux = get("TMUX").is_some() || term.starts_with("tmux");
        let multiplexer = tmux || term.starts_with("screen");
        let palette =
            if get("COLORTERM").is_some_and(|v| v.contains("truecolor") || v.contains("24bit")) {
                Palette::TrueColor
            } else {
                Palette::Ansi256
            };
        let text = if color && term != "dumb" {
            Protocol::Blocks(palette)
        } else {
            Protocol::Ascii
        };
        let done = |protocol: Protocol, reason: String| {
            Ok(Capabilities {
                protocol,
                tmux,
                cell_px: DEFAULT_CELL_PX,
                terminal: None,
                reason,
            })
        };
        match get(SHOW_PROTOCOL_ENV).as_deref() {
            None | Some("auto") => {}
            Some(forced) => {
                let p = match forced {
                    "kitty" => Protocol::Kitty,
                    "iterm2" => Protocol::Iterm2,
                    "sixel" => Protocol::Sixel,
                    "blocks" => Protocol::Blocks(palette),
                    "ascii" => Protocol::Ascii,
                    other => {
                        return Err(format!(
                            "{SHOW_PROTOCOL_ENV}={other:?}: expected kitty, iterm2, sixel, blocks, ascii or auto"
                        ));
                    }
                };
                return done(p, format!("{SHOW_PROTOCOL_ENV}={forced}"));
            }
        }
        // Inside tmux or screen, TERM_PROGRAM, KITTY_WINDOW_ID and LC_TERMINAL describe the
        // terminal that started the server, not necessarily the one attached now, and an image
        // passed through is not known to tmux (it does not scroll or clear with the pane): the
        // outer terminal's protocols are used only when forced.
        if !multiplexer {
            if term == "xterm-kitty" || get("KITTY_WINDOW_ID").is_some() {
                return done(Protocol::Kitty, "kitty (TERM/KITTY_WINDOW_ID)".into());
            }
            if term == "xterm-ghostty" || is("TERM_PROGRAM", &["ghostty"]) {
                return done(Protocol::Kitty, "Ghostty speaks the kitty protocol".into());
            }
            // WezTerm also speaks kitty's, but only with `enable_kitty_graphics`, off by default.
            if is("TERM_PROGRAM", &["iTerm.app", "WezTerm", "mintty"])
                || is("LC_TERMINAL", &["iTerm2", "WezTerm"])
            {
                return done(
                    Protocol::Iterm2,
                    "iTerm2 protocol (TERM_PROGRAM/LC_TERMINAL)".into(),
                );
            }
        }
        if term == "dumb" {
            return done(Protocol::Ascii, "TERM=dumb".into());
        }
        if ["foot", "foot-extra", "mlterm", "contour"].contains(&term.as_str()) {
            return done(Protocol::Sixel, format!("TERM={term} draws sixel"));
        }
        // tmux answers this query itself, listing 4 only when it can draw sixel in the pane.
        match da1().as_deref().and_then(parse_da1) {
            Some(attrs) if attrs.iter().skip(1).any(|a| *a == 4) => done(
                Protocol::Sixel,
                "the terminal lists sixel (4) in its attributes".into(),
            ),
            Some(_) => done(text, "no graphics protocol found; text cells".into()),
            None => done(
                text,
                "the terminal did not answer ESC [ c; text cells".into(),
            ),
        }
    }

    /// Pixels of `cols × rows` cells.
    pub fn pixel_box(&self, cols: u16, rows: u16) -> (u32, u32) {
        (
            u32::from(cols) * u32::from(self.cell_px.0.max(1)),
            u32::from(rows) * u32::from(self.cell_px.1.max(1)),
        )
    }

    /// The box to fit images in when no `--show-size` is given: the terminal's, or 80×24.
    pub fn default_size(&self) -> super::ShowSize {
        let (c, r) = self.terminal.unwrap_or((80, 24));
        super::ShowSize::for_terminal(c, r)
    }
}

/// Parses a Primary Device Attributes answer `ESC [ ? 6 2 ; 4 ; … c` into its numbers. Text
/// before it (a key the user typed) is skipped.
pub fn parse_da1(reply: &str) -> Option<Vec<u16>> {
    let start = reply.find("\x1b[?")? + 3;
    let rest = &reply[start..];
    let end = rest.find('c')?;
    rest[..end]
        .split(';')
        .map(|p| p.parse::<u16>().ok())
        .collect()
}

/// Asks the controlling terminal `ESC [ c` and reads its answer, with the terminal in raw mode
/// for as long as that takes. Only from the foreground process group: a background job that
/// touched the terminal's modes would be stopped by SIGTTOU.
#[cfg(unix)]
fn query_da1(timeout: Duration) -> Option<String> {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let fd = tty.as_raw_fd();
    // SAFETY: plain libc calls on a descriptor we own; `termios` is fully written by
    // tcgetattr before it is read.
    unsafe {
        if libc::tcgetpgrp(fd) != libc::getpgrp() {
            return None;
        }
        let mut saved: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut saved) != 0 {
            return None;
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 0;
        raw.c_cc[libc::VTIME] = 0;
        if libc::tcsetattr(fd, libc::TCSANOW, &raw) != 0 {
            return None;
        }
        struct Restore(i32, libc::termios);
        impl Drop for Restore {
            fn drop(&mut self) {
                // SAFETY: restores the modes read above on the same descriptor.
                unsafe { libc::tcsetattr(self.0, libc::TCSANOW, &self.1) };
            }
        }
        let _restore = Restore(fd, saved);
        tty.write_all(b"\x1b[c").ok()?;
        tty.flush().ok()?;
        let deadline = std::time::Instant::now() + timeout;
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            if libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) <= 0 {
                return None;
            }
            let n = tty.read(&mut buf).ok()?;
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(i) = text.find("\x1b[?")
                && text[i..].contains('c')
            {
                return Some(text.into_owned());
            }
        }
    }
}

/// Windows Terminal answers `ESC [ c` too, but reading the answer needs the console input API
/// in VT mode, which is not done here: sixel is used on Windows only when forced with
/// [`SHOW_PROTOCOL_ENV`].
#[cfg(not(unix))]
fn query_da1(_timeout: Duration) -> Option<String> {
    None
}

/// Pixels per cell, from the terminal's window size in pixels (`TIOCGWINSZ` on stderr).
#[cfg(unix)]
fn cell_pixels() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ fills a winsize struct.
    let ws = unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(2, libc::TIOCGWINSZ, &mut ws) != 0 {
            return None;
        }
        ws
    };
    (ws.ws_xpixel > 0 && ws.ws_ypixel > 0 && ws.ws_col > 0 && ws.ws_row > 0)
        .then(|| (ws.ws_xpixel / ws.ws_col, ws.ws_ypixel / ws.ws_row))
        .filter(|(w, h)| *w > 0 && *h > 0)
}

/// The Windows console does not report pixel sizes; the default cell is assumed.
#[cfg(not(unix))]
fn cell_pixels() -> Option<(u16, u16)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(vars: &[(&str, &str)], color: bool, da1: Option<&str>) -> (Protocol, bool) {
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let caps = Capabilities::decide(&env, color, &mut || da1.map(str::to_string)).unwrap();
        (caps.protocol, caps.tmux)
    }

    #[test]
    fn kitty_ghostty_iterm2_and_wezterm_are_known_by_their_environment() {
        let p = |vars: &[(&str, &str)]| decide(vars, true, None).0;
        assert_eq!(p(&[("TERM", "xterm-kitty")]), Protocol::Kitty);
        assert_eq!(
            p(&[("TERM", "xterm-256color"), ("KITTY_WINDOW_ID", "1")]),
            Protocol::Kitty
        );
        assert_eq!(p(&[("TERM", "xterm-ghostty")]), Protocol::Kitty);
        assert_eq!(p(&[("TERM_PROGRAM", "ghostty")]), Protocol::Kitty);
        assert_eq!(p(&[("TERM_PROGRAM", "iTerm.app")]), Protocol::Iterm2);
        assert_eq!(p(&[("LC_TERMINAL", "iTerm2")]), Protocol::Iterm2);
        assert_eq!(p(&[("TERM_PROGRAM", "WezTerm")]), Protocol::Iterm2);
    }

    #[test]
    fn sixel_comes_from_known_terms_or_the_terminals_own_answer() {
        assert_eq!(decide(&[("TERM", "foot")], true, None).0, Protocol::Sixel);
        // xterm -ti vt340 answers with 4 (sixel) among its attributes.
        assert_eq!(
            decide(
                &[("TERM", "xterm")],
                true,
                Some("\x1b[?63;1;2;4;6;9;15;22c")
            )
            .0,
            Protocol::Sixel
        );
        // A plain xterm does not.
        assert_eq!(
            decide(&[("TERM", "xterm")], true, Some("\x1b[?63;1;2;6;9;15;22c")).0,
            Protocol::Blocks(Palette::Ansi256)
        );
        // tmux built with sixel answers for itself; nothing is wrapped for sixel.
        assert_eq!(
            decide(
                &[("TERM", "tmux-256color"), ("TMUX", "/tmp/t,1,0")],
                true,
                Some("\x1b[?1;2;4c")
            ),
            (Protocol::Sixel, true)
        );
        // No answer: text cells.
        assert_eq!(
            decide(
                &[("TERM", "xterm-256color"), ("COLORTERM", "truecolor")],
                true,
                None
            )
            .0,
            Protocol::Blocks(Palette::TrueColor)
        );
    }

    #[test]
    fn inside_tmux_the_outer_terminals_variables_are_not_trusted_unless_forced() {
        let tmux_kitty = [
            ("TERM", "tmux-256color"),
            ("TMUX", "/tmp/tmux-0/default,1,0"),
            ("KITTY_WINDOW_ID", "3"),
            ("TERM_PROGRAM", "tmux"),
        ];
        assert_eq!(
            decide(&tmux_kitty, true, Some("\x1b[?1;2c")),
            (Protocol::Blocks(Palette::Ansi256), true)
        );
        let mut forced = tmux_kitty.to_vec();
        forced.push((SHOW_PROTOCOL_ENV, "kitty"));
        assert_eq!(decide(&forced, true, None), (Protocol::Kitty, true));
        assert_eq!(
            decide(&[("TERM", "screen"), ("LC_TERMINAL", "iTerm2")], true, None).0,
            Protocol::Blocks(Palette::Ansi256)
        );
    }

    #[test]
    fn no_color_and_dumb_terminals_get_plain_characters_but_keep_graphics() {
        assert_eq!(
            decide(&[("TERM", "xterm-256color")], false, None).0,
            Protocol::Ascii
        );
        assert_eq!(decide(&[("TERM", "dumb")], true, None).0, Protocol::Ascii);
        // An image protocol draws a picture, not coloured text: NO_COLOR leaves it alone.
        assert_eq!(
            decide(&[("TERM", "xterm-kitty")], false, None).0,
            Protocol::Kitty
        );
    }

    #[test]
    fn the_terminal_is_asked_only_when_its_environment_says_nothing() {
        let mut asked = 0;
        let env = |k: &str| (k == "TERM").then(|| "xterm-kitty".to_string());
        Capabilities::decide(&env, true, &mut || {
            asked += 1;
            None
        })
        .unwrap();
        assert_eq!(asked, 0);
        let env = |k: &str| (k == "TERM").then(|| "xterm-256color".to_string());
        Capabilities::decide(&env, true, &mut || {
            asked += 1;
            None
        })
        .unwrap();
        assert_eq!(asked, 1);
    }

    #[test]
    fn a_bad_forced_protocol_is_an_error_naming_the_choices() {
        let env = |k: &str| (k == SHOW_PROTOCOL_ENV).then(|| "kity".to_string());
        let err = Capabilities::decide(&env, true, &mut || None).unwrap_err();
        assert!(
            err.contains("\"kity\"") && err.contains("kitty, iterm2, sixel"),
            "{err}"
        );
    }

    #[test]
    fn device_attributes_parse_and_junk_does_not() {
        assert_eq!(parse_da1("\x1b[?62;4;22c"), Some(vec![62, 4, 22]));
        assert_eq!(parse_da1("typed\x1b[?1;2c"), Some(vec![1, 2]));
        assert_eq!(parse_da1("\x1b[?1;xc"), None);
        assert_eq!(parse_da1("\x1b[?62;4"), None);
        assert_eq!(parse_da1(""), None);
    }
}
