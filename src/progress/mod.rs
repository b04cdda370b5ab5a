//! Every use of indicatif, and the reporters for the CLI: progress bars on a terminal,
//! milestone lines otherwise, JSON Lines for machines. The runner knows only the [`Reporter`]
//! trait. [`batch`] holds the batch's overall bar and per-job lines.

pub mod batch;
pub mod previews;
pub mod show;

use crate::client::{JobEvent, Reporter};
use crate::printer::{Printer, Verbosity};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// Human output on stderr.
pub struct HumanReporter {
    printer: Printer,
    bars: Option<Bars>,
    started: bool,
    /// `--show`: the latest preview frame, drawn in place above the bars.
    preview: Option<Box<Preview>>,
}

/// The live preview of a job and what becomes of it when the job ends.
struct Preview {
    live: crate::show::LiveFrame,
    /// Leave the last frame on screen at the end (no saved images will be drawn after it).
    keep: bool,
}

struct Bars {
    multi: MultiProgress,
    nodes: ProgressBar,
    steps: Option<ProgressBar>,
    download: Option<ProgressBar>,
    /// "server went away 12s ago; waiting for it" while a restart lasts.
    away: Option<ProgressBar>,
}

impl HumanReporter {
    /// Bars only on a terminal, and not under `-q`, `-v` or `--no-progress`.
    pub fn new(printer: Printer, allow_bars: bool) -> Self {
        let bars = (allow_bars && printer.live() && printer.verbosity == Verbosity::Normal).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let nodes = multi.add(ProgressBar::new(0));
            nodes.set_style(
                ProgressStyle::with_template("{spinner:.cyan} {elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} nodes  {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            nodes.enable_steady_tick(Duration::from_millis(120));
            nodes.set_message("connecting");
            Bars { multi, nodes, steps: None, download: None, away: None }
        });
        HumanReporter {
            printer,
            bars,
            started: false,
            preview: None,
        }
    }

    /// Draws the job's preview frames in place above the bars (only when there are bars: a
    /// frame between milestone lines would scroll away). `keep`: leave the last frame on
    /// screen when the job ends; otherwise it is erased (the saved images follow).
    pub fn show_previews(&mut self, live: crate::show::LiveFrame, keep: bool) {
        if self.bars.is_some() {
            self.preview = Some(Box::new(Preview { live, keep }));
        }
    }

    fn line(&mut self, msg: &str) {
        self.above(|p| p.info(msg));
    }

    fn warn(&mut self, msg: &str) {
        self.above(|p| p.warn(msg));
    }

    /// Prints with `f` above the bars; a preview frame on screen makes way for the line and is
    /// drawn again below it.
    fn above(&mut self, f: impl FnOnce(&Printer)) {
        let Some(b) = &self.bars else {
            return f(&self.printer);
        };
        b.multi.suspend(|| match &mut self.preview {
            Some(pv) => {
                let mut err = std::io::stderr().lock();
                let _ = pv.live.lift(&mut err);
                f(&self.printer);
                let _ = pv.live.draw_due(&mut err, std::time::Instant::now());
            }
            None => f(&self.printer),
        });
    }

    /// A preview frame: kept, and drawn when the last draw was long enough ago (the bars are
    /// hidden only then).
    fn preview_frame(&mut self, frame: Option<Vec<u8>>) {
        let (Some(b), Some(pv)) = (&self.bars, &mut self.preview) else {
            return;
        };
        if let Some(f) = frame.filter(|f| !f.is_empty()) {
            pv.live.offer(f);
        }
        let now = std::time::Instant::now();
        if pv.live.due(now) {
            b.multi.suspend(|| {
                let _ = pv.live.draw_due(&mut std::io::stderr().lock(), now);
            });
        }
    }

    /// A sampling step: the steps bar (made on the first step), or a debug line under `-v`.
    fn step(&mut self, node: Option<String>, value: f64, max: f64, verbose: bool) {
        match &mut self.bars {
            Some(b) => {
                let bar = b.steps.get_or_insert_with(|| {
                    let s = b.multi.add(ProgressBar::new(max as u64));
                    s.set_style(
                        ProgressStyle::with_template(
                            "       [{bar:30.green/white}] {pos}/{len} steps",
                        )
                        .expect("valid template")
                        .progress_chars("=> "),
                    );
                    s
                });
                bar.set_length(max as u64);
                bar.set_position(value as u64);
            }
            None if verbose => self.printer.debug(&format!(
                "step {value}/{max}{}",
                node.map(|n| format!(" (node {n})")).unwrap_or_default()
            )),
            None => {}
        }
    }

    /// Ends the preview: the last frame stays or is erased, as [`HumanReporter::show_previews`]
    /// was told.
    fn end_preview(&mut self) {
        let Some(mut pv) = self.preview.take() else {
            return;
        };
        let keep = pv.keep;
        match &self.bars {
            Some(b) => b.multi.suspend(|| {
                let _ = pv.live.finish(&mut std::io::stderr().lock(), keep);
            }),
            None => {
                let _ = pv.live.finish(&mut std::io::stderr().lock(), keep);
            }
        }
    }

    /// Removes all bars (before the final report).
    pub fn clear(&mut self) {
        self.end_preview();
        if let Some(b) = self.bars.take() {
            for bar in [Some(b.nodes), b.steps, b.download, b.away]
                .into_iter()
                .flatten()
            {
                bar.finish_and_clear();
            }
            let _ = b.multi.clear();
        }
    }

    /// Runs `f` with the bars hidden, so a line printed there does not tear them.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bars {
            Some(b) => b.multi.suspend(f),
            None => f(),
        }
    }
}

fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / 1024.0 / 1024.0)
    } else {
        format!("{:.2} GiB", n / 1024.0 / 1024.0 / 1024.0)
    }
}

impl Reporter for HumanReporter {
    // One arm per event kind: long because there are many kinds, each a few lines.
    fn report(&mut self, event: JobEvent) {
        let verbose = self.printer.verbosity == Verbosity::Verbose;
        match event {
            JobEvent::Connected { client_id } => self
                .printer
                .debug(&format!("WebSocket open, client id {client_id}")),
            JobEvent::WebsocketUnavailable { reason } => self.warn(&format!(
                "no WebSocket ({reason}); following the job by polling"
            )),
            JobEvent::Submitted {
                prompt_id, nodes, ..
            } => match &self.bars {
                Some(b) => {
                    b.nodes.set_length(nodes as u64);
                    b.nodes.set_message(format!("queued as {prompt_id}"));
                }
                None => self.line(&format!("submitted prompt {prompt_id} ({nodes} nodes)")),
            },
            JobEvent::PartiallyRejected { node_errors } => {
                self.warn(
                    "the server accepted the prompt but dropped outputs that failed validation:",
                );
                let text = crate::render::node_errors(&self.printer, &node_errors);
                self.above(|_| eprint!("{text}"));
            }
            JobEvent::Queue { remaining } => {
                if !self.started
                    && let Some(b) = &self.bars
                {
                    b.nodes
                        .set_message(format!("queued ({remaining} in the server's queue)"));
                }
            }
            JobEvent::Started => {
                self.started = true;
                match &self.bars {
                    Some(b) => b.nodes.set_message("running"),
                    None => self.line("running"),
                }
            }
            JobEvent::Cached { nodes } => {
                if let Some(b) = &self.bars {
                    b.nodes.set_position(nodes.len() as u64);
                } else {
                    self.line(&format!("{} node(s) cached", nodes.len()));
                }
            }
            JobEvent::Node {
                node,
                class_type,
                title,
                done,
                total,
            } => {
                self.started = true;
                let name = match (title, class_type) {
                    (Some(t), Some(c)) if t != c => format!("{t} ({c} #{node})"),
                    (_, Some(c)) => format!("{c} #{node}"),
                    _ => format!("node {node}"),
                };
                match &mut self.bars {
                    Some(b) => {
                        b.nodes.set_length(total as u64);
                        b.nodes.set_position(done.min(total) as u64);
                        b.nodes.set_message(name);
                        if let Some(s) = b.steps.take() {
                            s.finish_and_clear();
                        }
                    }
                    None => self.line(&format!("[{}/{total}] {name}", (done + 1).min(total))),
                }
            }
            JobEvent::Progress { node, value, max } => {
                // A step is a chance to draw a frame the rate limit held back.
                self.preview_frame(None);
                self.step(node, value, max, verbose);
            }
            JobEvent::Preview {
                node, bytes, data, ..
            } => {
                self.printer.debug(&format!(
                    "preview frame {bytes} bytes (node {})",
                    node.unwrap_or_default()
                ));
                self.preview_frame(Some(data));
            }
            JobEvent::Text { node, text } => self.line(&format!("node {node}: {text}")),
            JobEvent::TextOutput { node, text } => {
                self.line(&format!("text from node {node}: {text}"))
            }
            JobEvent::Disconnected { reason } => self.warn(&format!("{reason}; reconnecting")),
            JobEvent::Reconnected { attempts } => {
                self.line(&format!("reconnected after {attempts} attempt(s)"))
            }
            JobEvent::Finished { status, elapsed } => {
                self.end_preview();
                if let Some(b) = &mut self.bars {
                    if let Some(s) = b.steps.take() {
                        s.finish_and_clear();
                    }
                    if status == "success" {
                        b.nodes.set_position(b.nodes.length().unwrap_or(0));
                    }
                    b.nodes.finish_and_clear();
                }
                let mark = if status == "success" {
                    self.printer.green("✓")
                } else {
                    self.printer.red("✗")
                };
                self.line(&format!("{mark} {status} in {elapsed:.1}s"));
            }
            JobEvent::DownloadStarted { path, total } => {
                match &mut self.bars {
                    Some(b) => {
                        let bar = b.multi.add(ProgressBar::new(total.unwrap_or(0)));
                        bar.set_style(
                        ProgressStyle::with_template("  {msg} [{bar:30.yellow/white}] {bytes}/{total_bytes} {bytes_per_sec}")
                            .expect("valid template")
                            .progress_chars("=> "),
                    );
                        bar.set_message(path);
                        if let Some(old) = b.download.replace(bar) {
                            old.finish_and_clear();
                        }
                    }
                    None => self.printer.debug(&format!("downloading {path}")),
                }
            }
            JobEvent::DownloadProgress { bytes, .. } => {
                if let Some(b) = &self.bars
                    && let Some(d) = &b.download
                {
                    d.set_position(bytes);
                }
            }
            JobEvent::DownloadRetry {
                name,
                reason,
                attempt,
            } => self.warn(&format!(
                "download of {name} failed ({reason}); retry {attempt}"
            )),
            JobEvent::Saved { path, bytes, .. } => {
                if let Some(b) = &mut self.bars
                    && let Some(d) = b.download.take()
                {
                    d.finish_and_clear();
                }
                self.line(&format!("saved {path} ({})", human_bytes(bytes)));
            }
            JobEvent::Warning { message } => self.warn(&message),
            JobEvent::Notice { message } => self.line(&format!("server: {message}")),
            JobEvent::ServerDown { reason, window_s } => match &mut self.bars {
                Some(b) => {
                    let bar = b.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner:.yellow} {msg}")
                            .expect("valid template"),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar.set_message("server went away; waiting for it (Ctrl-C to stop)");
                    b.away = Some(bar);
                }
                None => self.warn(&format!(
                    "the server went away ({reason}); waiting up to {window_s:.0}s for it to come back (Ctrl-C to stop)"
                )),
            },
            JobEvent::ServerWaiting { waited_s, window_s } => {
                if let Some(b) = &self.bars
                    && let Some(bar) = &b.away
                {
                    bar.set_message(format!(
                        "server went away {waited_s:.0}s ago; waiting for it up to {window_s:.0}s (Ctrl-C to stop)"
                    ));
                }
            }
            JobEvent::ServerBack { after_s } => {
                if let Some(b) = &mut self.bars
                    && let Some(bar) = b.away.take()
                {
                    bar.finish_and_clear();
                }
                self.line(&format!("the server answers again after {after_s:.1}s"));
            }
        }
    }
}

/// The reporter a job command uses: people's or machines'.
pub enum Reporters {
    /// Bars or milestone lines on stderr.
    Human(HumanReporter),
    /// JSON Lines on stdout.
    Jsonl(JsonlReporter),
}

impl Reporters {
    /// JSON Lines for `--jsonl`, else bars (when allowed and on a terminal) or lines.
    pub fn new(printer: &Printer, jsonl: bool, allow_bars: bool) -> Reporters {
        if jsonl {
            Reporters::Jsonl(JsonlReporter::new(printer.clone()))
        } else {
            Reporters::Human(HumanReporter::new(printer.clone(), allow_bars))
        }
    }

    /// The reporter to hand to a job.
    pub fn reporter(&mut self) -> &mut dyn Reporter {
        match self {
            Reporters::Human(h) => h,
            Reporters::Jsonl(j) => j,
        }
    }

    /// Removes the bars before the final report.
    pub fn clear(&mut self) {
        if let Reporters::Human(h) = self {
            h.clear();
        }
    }

    /// `--show`: the job's preview frames drawn in place while it runs (see
    /// [`HumanReporter::show_previews`]); nothing without a viewer.
    pub fn show_previews(&mut self, viewer: Option<&crate::show::Viewer>, keep: bool) {
        if let (Reporters::Human(h), Some(v)) = (self, viewer) {
            h.show_previews(show::live(v), keep);
        }
    }
}

/// Every event as one JSON line on stdout; the command prints the result line last.
pub struct JsonlReporter {
    printer: Printer,
    /// Set when stdout went away; later lines are skipped.
    pub broken: bool,
}

impl JsonlReporter {
    /// A reporter writing to stdout.
    pub fn new(printer: Printer) -> Self {
        JsonlReporter {
            printer,
            broken: false,
        }
    }
}

impl Reporter for JsonlReporter {
    fn report(&mut self, event: JobEvent) {
        if self.broken
            || matches!(
                event,
                JobEvent::DownloadProgress { .. } | JobEvent::ServerWaiting { .. }
            )
        {
            return;
        }
        if self
            .printer
            .json_line(&crate::report::event_line(&event))
            .is_err()
        {
            self.broken = true;
        }
    }
}

/// A byte bar for a model download (a terminal at normal verbosity only).
pub fn download_bar(p: &Printer, name: &str) -> Box<dyn crate::deps::fix::DownloadProgress> {
    Box::new(DownloadBar(make_download_bar(p, name)))
}

struct DownloadBar(Option<ProgressBar>);

impl crate::deps::fix::DownloadProgress for DownloadBar {
    fn update(&mut self, have: u64, total: Option<u64>) {
        if let Some(b) = &self.0 {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(have);
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.0.take() {
            b.finish_and_clear();
        }
    }
}

fn make_download_bar(p: &Printer, name: &str) -> Option<ProgressBar> {
    (p.live() && p.verbosity == Verbosity::Normal).then(|| {
        let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{spinner:.cyan} {prefix} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b.set_prefix(name.to_string());
        b
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::human_bytes(500), "500 B");
        assert_eq!(super::human_bytes(11085), "10.8 KiB");
        assert_eq!(super::human_bytes(3 * 1024 * 1024 * 1024), "3.00 GiB");
    }
}
