//! stdout carries data, stderr carries everything a person reads. Colour is decided once here.

use std::io::{self, IsTerminal, Write};

/// `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Decides colour from the flag, then `NO_COLOR`, then `FORCE_COLOR`/`CLICOLOR_FORCE`, then
/// whether stderr is a terminal. Pure so it can be tested.
pub fn decide_color(
    choice: ColorChoice,
    no_color: Option<&str>,
    force: Option<&str>,
    tty: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if no_color.is_some_and(|v| !v.is_empty()) {
                false
            } else if force.is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                tty
            }
        }
    }
}

/// `TERM=dumb`: no escapes, no cursor movement.
fn dumb_term() -> bool {
    std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// How loud to be on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Milestones and warnings.
    Normal,
    /// `-v`: also requests and every server message.
    Verbose,
}

/// The one writer for humans (stderr) and data (stdout).
#[derive(Debug, Clone)]
pub struct Printer {
    /// Loudness.
    pub verbosity: Verbosity,
    /// Colour on stderr.
    pub color: bool,
    /// stderr is a terminal (progress bars allowed).
    pub stderr_tty: bool,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Printer {
    /// Builds a printer from the global flags and the environment.
    pub fn new(verbosity: Verbosity, choice: ColorChoice) -> Self {
        let stderr_tty = io::stderr().is_terminal();
        let no_color = std::env::var("NO_COLOR").ok();
        let force = std::env::var("FORCE_COLOR")
            .ok()
            .or_else(|| std::env::var("CLICOLOR_FORCE").ok());
        // `TERM=dumb` (Emacs' shell, some CI consoles): a terminal that cannot take escapes.
        let color = decide_color(
            choice,
            no_color.as_deref(),
            force.as_deref(),
            stderr_tty && !dumb_term(),
        );
        Printer {
            verbosity,
            color,
            stderr_tty,
        }
    }

    /// Whether stderr can take live progress (bars redrawn in place): a terminal that is not
    /// `TERM=dumb`. Otherwise progress is milestone lines, as in a pipe.
    pub fn live(&self) -> bool {
        self.stderr_tty && !dumb_term()
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// Bold text (for headings in human output).
    pub fn bold(&self, text: &str) -> String {
        self.paint(BOLD, text)
    }

    /// The `hint:` label.
    pub fn paint_hint(&self) -> String {
        self.paint(CYAN, "hint:")
    }

    /// Dimmed text.
    pub fn dim(&self, text: &str) -> String {
        self.paint(DIM, text)
    }

    /// Green text (success marks).
    pub fn green(&self, text: &str) -> String {
        self.paint(GREEN, text)
    }

    /// Red text (failure marks).
    pub fn red(&self, text: &str) -> String {
        self.paint(RED, text)
    }

    /// A line for people; suppressed by `-q`.
    pub fn info(&self, msg: &str) {
        if self.verbosity != Verbosity::Quiet {
            let _ = writeln!(io::stderr(), "{msg}");
        }
    }

    /// A warning; suppressed by `-q`.
    pub fn warn(&self, msg: &str) {
        if self.verbosity != Verbosity::Quiet {
            let _ = writeln!(io::stderr(), "{} {msg}", self.paint(YELLOW, "warning:"));
        }
    }

    /// A warning that `-q` does not silence (a safety switch left on).
    pub fn warn_always(&self, msg: &str) {
        let _ = writeln!(io::stderr(), "{} {msg}", self.paint(YELLOW, "warning:"));
    }

    /// A debug line, only with `-v`.
    pub fn debug(&self, msg: &str) {
        if self.verbosity == Verbosity::Verbose {
            let _ = writeln!(io::stderr(), "{} {msg}", self.paint(DIM, "debug:"));
        }
    }

    /// `-v` lines from the HTTP client go through this (the client itself never prints).
    pub fn debug_log(&self) -> Option<crate::client::http::DebugLog> {
        (self.verbosity == Verbosity::Verbose).then(|| {
            std::sync::Arc::new(move |m: &str| eprintln!("debug: {m}"))
                as crate::client::http::DebugLog
        })
    }

    /// Prints a typed report: pretty JSON for `--json`, one line for `--jsonl`.
    pub fn report<T: crate::report::Shape>(&self, body: &T, line: bool) -> io::Result<()> {
        let v = crate::report::to_value(body);
        if line {
            self.json_line(&v)
        } else {
            self.json_pretty(&v)
        }
    }

    /// The final error report: `error:`, each `Caused by:`, then `hint:`. Never suppressed.
    pub fn error(&self, headline: &str, causes: &[String], hint: Option<&str>) {
        let mut e = io::stderr().lock();
        let _ = writeln!(e, "{} {headline}", self.paint(RED, "error:"));
        for c in causes {
            let _ = writeln!(e, "  {} {c}", self.paint(DIM, "Caused by:"));
        }
        if let Some(h) = hint {
            let _ = writeln!(e, "{} {h}", self.paint(CYAN, "hint:"));
        }
    }

    /// Writes a line of data to stdout. A broken pipe comes back as an error the caller turns
    /// into a quiet exit.
    pub fn data_line(&self, line: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()
    }

    /// Writes one JSON value as a single line on stdout (no colour, ever).
    pub fn json_line(&self, value: &serde_json::Value) -> io::Result<()> {
        // Serialise first so a closed stdout surfaces as io::ErrorKind::BrokenPipe, not as a
        // serde error wrapping it.
        let mut buf = serde_json::to_vec(value).map_err(io::Error::other)?;
        buf.push(b'\n');
        let mut out = io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()
    }

    /// Pretty JSON document on stdout.
    pub fn json_pretty(&self, value: &serde_json::Value) -> io::Result<()> {
        let mut buf = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        buf.push(b'\n');
        let mut out = io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_precedence() {
        assert!(!decide_color(ColorChoice::Auto, Some("1"), Some("1"), true));
        assert!(decide_color(ColorChoice::Auto, None, Some("1"), false));
        assert!(!decide_color(ColorChoice::Auto, None, Some("0"), false));
        assert!(decide_color(ColorChoice::Auto, Some(""), None, true));
        assert!(decide_color(ColorChoice::Always, Some("1"), None, false));
        assert!(!decide_color(ColorChoice::Never, None, Some("1"), true));
    }
}
