//! `comfyctl report DIR`: the batch report page for a batch folder (running, finished or
//! resumed). The page itself is `batch::page`.

use crate::Context;
use crate::batch::page::{self, PageError, REPORT_FILE, ReportWritten};
use crate::cli::ReportArgs;
use crate::error::{ExitStatus, Failure};
use std::io::Write;

/// Runs the command.
pub fn run(ctx: &Context, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let usage = |e: PageError| -> anyhow::Error {
        match e {
            PageError::Refused(_) | PageError::NoFolder(_) => Failure::usage(e.to_string()).into(),
            PageError::NotABatch(_) | PageError::BadPlan { .. } => Failure::usage(e.to_string())
                .with_hint(
                    "a batch folder is the one `comfyctl batch -o DIR` made; it holds batch.json",
                )
                .into(),
            other => other.into(),
        }
    };
    let to_stdout = args.output.as_deref() == Some(std::path::Path::new("-"));
    if to_stdout {
        // Links as if the page were saved in the batch folder.
        let (html, _) = page::render(&args.dir, ".").map_err(usage)?;
        std::io::stdout().lock().write_all(html.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.dir.join(REPORT_FILE));
    let stats = page::write_report(&args.dir, &out).map_err(usage)?;
    if args.json {
        ctx.printer.report(
            &ReportWritten {
                path: out.display().to_string(),
                stats,
            },
            false,
        )?;
    } else {
        ctx.printer.info(&format!(
            "report: {} jobs ({} done, {} failed, {} not finished), {} thumbnails, {:.1} KiB",
            stats.jobs,
            stats.succeeded,
            stats.failed,
            stats.not_finished,
            stats.thumbnails,
            stats.bytes as f64 / 1024.0
        ));
        ctx.printer.data_line(&out.display().to_string())?;
    }
    Ok(ExitStatus::Success)
}
