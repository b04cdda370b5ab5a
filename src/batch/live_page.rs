//! `batch --report FILE`: the report page ([`super::page`]) written as jobs finish and once
//! more at the end, so it can be opened while the batch runs and is complete when it ends.

use super::page::{self, PageError, PageStats};
use crate::printer::Printer;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The shortest time between two writes while the batch runs: a page reads every finished
/// job's image for its thumbnail, so a write per job would cost a long batch more than its
/// jobs. The end always writes.
pub const MIN_EVERY: Duration = Duration::from_secs(5);

/// The page of the batch in a folder, kept current.
#[derive(Debug)]
pub struct LivePage {
    dir: PathBuf,
    out: PathBuf,
    /// When the page was last written, and how long that took.
    last: Option<(Instant, Duration)>,
    /// A write failed while the batch ran (said once; the end tries again).
    warned: bool,
}

impl PageStats {
    /// "12 jobs (10 done, 1 failed, 1 not finished), 10 thumbnails, 85.3 KiB".
    pub fn describe(&self) -> String {
        format!(
            "{} jobs ({} done, {} failed, {} not finished), {} thumbnails, {:.1} KiB",
            self.jobs,
            self.succeeded,
            self.failed,
            self.not_finished,
            self.thumbnails,
            self.bytes as f64 / 1024.0
        )
    }
}

impl LivePage {
    /// The page for the batch in `dir`, written to `out` (see [`LivePage::check`]).
    pub fn new(dir: &Path, out: &Path) -> Result<LivePage, String> {
        Self::check(out)?;
        Ok(LivePage {
            dir: dir.to_path_buf(),
            out: out.to_path_buf(),
            last: None,
            warned: false,
        })
    }

    /// Refuses what cannot be a page file (stdout, a directory): called first, so a refused
    /// `--report` costs no request to a server.
    pub fn check(out: &Path) -> Result<(), String> {
        if out.as_os_str() == "-" {
            return Err(
                "--report writes a file (stdout carries the saved paths); for the page on stdout, run comfyctl report DIR -o - after the batch"
                    .into(),
            );
        }
        page::check_target(out).map_err(|e| format!("--report: {e}"))
    }

    /// Where the page goes.
    pub fn path(&self) -> &Path {
        &self.out
    }

    /// Whether a job finishing at `now` should rewrite the page: the first time, then after
    /// [`MIN_EVERY`] or ten times the last write's duration, whichever is longer.
    pub fn due(&self, now: Instant) -> bool {
        match self.last {
            None => true,
            Some((at, took)) => now.duration_since(at) >= MIN_EVERY.max(took * 10),
        }
    }

    /// A job finished: the page is rewritten when [`LivePage::due`]. The first write names the
    /// file; a failure is a warning (once), since the batch goes on.
    pub fn job_done(&mut self, printer: &Printer) {
        let now = Instant::now();
        if !self.due(now) {
            return;
        }
        let first = self.last.is_none();
        match self.write(now) {
            Ok(_) if first => printer.info(&format!(
                "report: {} (rewritten as jobs finish)",
                self.out.display()
            )),
            Ok(_) => {}
            Err(e) if !self.warned => {
                self.warned = true;
                printer.warn(&format!("{e}; trying again at the end"));
            }
            Err(_) => {}
        }
    }

    /// The batch ended: the page is written with every job's last line.
    pub fn finish(mut self) -> Result<PageStats, PageError> {
        self.write(Instant::now())
    }

    /// [`LivePage::finish`], saying what the page holds or why it could not be written.
    pub fn end(self, printer: &Printer) {
        let out = self.out.clone();
        match self.finish() {
            Ok(stats) => printer.info(&format!("report: {}: {}", out.display(), stats.describe())),
            Err(e) => printer.error(&e.to_string(), &[], None),
        }
    }

    fn write(&mut self, now: Instant) -> Result<PageStats, PageError> {
        let stats = page::write_report(&self.dir, &self.out);
        self.last = Some((now, now.elapsed()));
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_and_directories_are_refused_before_the_batch_starts() {
        let d = tempfile::tempdir().unwrap();
        let err = LivePage::new(d.path(), Path::new("-")).unwrap_err();
        assert!(err.contains("comfyctl report DIR -o -"), "{err}");
        let err = LivePage::new(d.path(), d.path()).unwrap_err();
        assert!(err.contains("is a directory"), "{err}");
        assert!(LivePage::new(d.path(), &d.path().join("r.html")).is_ok());
        // A file that is not a page is never replaced; a page is.
        std::fs::write(d.path().join("wf.json"), "{}").unwrap();
        let err = LivePage::new(d.path(), &d.path().join("wf.json")).unwrap_err();
        assert!(err.contains("is not a report page"), "{err}");
        std::fs::write(
            d.path().join("old.html"),
            "<!doctype html>\n<meta name=\"generator\" content=\"comfyctl 0.2.0\">",
        )
        .unwrap();
        assert!(LivePage::new(d.path(), &d.path().join("old.html")).is_ok());
    }

    #[test]
    fn the_page_is_written_first_then_at_most_every_few_seconds() {
        let d = tempfile::tempdir().unwrap();
        let mut p = LivePage::new(d.path(), &d.path().join("r.html")).unwrap();
        let t0 = Instant::now();
        assert!(p.due(t0));
        p.last = Some((t0, Duration::from_millis(100)));
        assert!(!p.due(t0 + Duration::from_secs(4)));
        assert!(p.due(t0 + MIN_EVERY));
        // A slow page (2 s to write) waits ten times as long.
        p.last = Some((t0, Duration::from_secs(2)));
        assert!(!p.due(t0 + Duration::from_secs(19)));
        assert!(p.due(t0 + Duration::from_secs(20)));
    }

    #[test]
    fn a_folder_that_is_not_a_batch_fails_at_the_end_with_the_pages_error() {
        let d = tempfile::tempdir().unwrap();
        let p = LivePage::new(d.path(), &d.path().join("r.html")).unwrap();
        assert!(matches!(p.finish(), Err(PageError::NotABatch(_))));
    }
}
