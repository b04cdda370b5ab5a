//! A batch's progress: one overall bar (jobs, rate, ETA) and a line per job in flight on a
//! terminal; a milestone line every 10% otherwise.

use crate::client::{JobEvent, Reporter};
use crate::printer::{Printer, Verbosity};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// Jobs finished so far in this run.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Succeeded.
    pub done: usize,
    /// Failed (any way).
    pub failed: usize,
    /// Stopped by Ctrl-C or `--fail-fast`.
    pub cancelled: usize,
    /// Done in an earlier run (resume).
    pub skipped: usize,
}

/// Progress for a batch: one overall bar and a line per job in flight on a terminal;
/// milestone lines otherwise.
pub struct Ui {
    printer: Printer,
    bars: Option<(MultiProgress, ProgressBar)>,
    total: usize,
    skipped: usize,
    last_milestone: std::cell::Cell<usize>,
}

impl Ui {
    /// Bars only on a terminal at normal verbosity; `pending` jobs to run, `skipped` done before.
    pub fn new(printer: &Printer, allow_bars: bool, pending: usize, skipped: usize) -> Ui {
        let bars = (allow_bars && printer.live() && printer.verbosity == Verbosity::Normal)
            .then(|| {
                let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
                let overall = multi.add(ProgressBar::new(pending as u64));
                overall.set_style(
                    ProgressStyle::with_template(
                        "{spinner:.cyan} {elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} jobs  ETA {eta}  {msg}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                overall.enable_steady_tick(Duration::from_millis(120));
                (multi, overall)
            });
        Ui {
            printer: printer.clone(),
            bars,
            total: pending,
            skipped,
            last_milestone: std::cell::Cell::new(0),
        }
    }

    /// A line for a job that starts on `server`.
    pub fn job_line(&self, name: &str, server: &str) -> JobLine {
        let bar = self.bars.as_ref().map(|(multi, _)| {
            let b = multi.add(ProgressBar::new_spinner());
            b.set_style(
                ProgressStyle::with_template("  {spinner:.dim} {prefix:.bold} {msg}")
                    .expect("valid template"),
            );
            b.set_prefix(name.to_string());
            b.set_message(format!("{server}  queued"));
            b
        });
        JobLine {
            bar,
            server: server.to_string(),
            node: String::new(),
        }
    }

    /// Runs `f` with the bars hidden, so a line printed there does not tear them.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bars {
            Some((m, _)) => m.suspend(f),
            None => f(),
        }
    }

    /// A job finished: the overall bar moves, failures are said, milestones printed.
    pub fn job_done(
        &self,
        index: usize,
        name: &str,
        status: &str,
        error: Option<&str>,
        c: &Counts,
    ) {
        let finished = c.done + c.failed + c.cancelled;
        if let Some((_, overall)) = &self.bars {
            overall.inc(1);
            let secs = overall.elapsed().as_secs_f64().max(0.001);
            let mut msg = format!("{:.1} jobs/s", finished as f64 / secs);
            if c.failed > 0 {
                msg.push_str(&format!(", {} failed", c.failed));
            }
            overall.set_message(msg);
        }
        if status != "success" && status != "cancelled" {
            let msg = error.unwrap_or(status);
            self.suspend(|| {
                self.printer
                    .warn(&format!("job {index} ({name}) {status}: {msg}"))
            });
        }
        if self.bars.is_none() && self.printer.verbosity == Verbosity::Normal && self.total > 0 {
            // Milestones: every 10% (and the last job), so logs stay readable for big batches.
            let step = (self.total / 10).max(1);
            if finished / step > self.last_milestone.get() || finished == self.total {
                self.last_milestone.set(finished / step);
                self.printer.info(&format!(
                    "batch: {}/{} jobs finished ({} failed){}",
                    finished,
                    self.total,
                    c.failed,
                    if self.skipped > 0 {
                        format!(", {} done before", self.skipped)
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }

    /// Removes the bars before the summary.
    pub fn clear(&self) {
        if let Some((m, overall)) = &self.bars {
            overall.finish_and_clear();
            let _ = m.clear();
        }
    }
}

/// One job's line under the overall bar.
pub struct JobLine {
    bar: Option<ProgressBar>,
    server: String,
    node: String,
}

impl JobLine {
    /// Removes the line.
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Reporter for JobLine {
    fn report(&mut self, event: JobEvent) {
        let Some(bar) = &self.bar else { return };
        match event {
            JobEvent::Started => bar.set_message(format!("{}  running", self.server)),
            JobEvent::Node {
                class_type, node, ..
            } => {
                self.node = class_type.unwrap_or(node);
                bar.set_message(format!("{}  {}", self.server, self.node));
            }
            JobEvent::Progress { value, max, .. } => bar.set_message(format!(
                "{}  {}  step {value}/{max}",
                self.server, self.node
            )),
            JobEvent::Saved { .. } => bar.set_message(format!("{}  saving", self.server)),
            JobEvent::ServerWaiting { waited_s, .. } => bar.set_message(format!(
                "{}  server away {waited_s:.0}s; waiting",
                self.server
            )),
            JobEvent::ServerBack { .. } => bar.set_message(format!("{}  back", self.server)),
            _ => {}
        }
        bar.tick();
    }
}
