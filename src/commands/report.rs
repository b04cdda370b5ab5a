//! `comfyctl report DIR`: the batch report page for a batch folder (running, finished or
//! resumed). The page itself is `batch::page`.

use crate::Context;
use crate::batch::page::{self, PageError, REPORT_FILE};
use crate::cli::ReportArgs;
use crate::error::{ExitStatus, Failure};
use serde_json::json;
use std::io::Write;

/// Version of the `--json` object.
pub const SCHEMA_VERSION: u32 = 1;

/// Runs the command.
pub fn run(ctx: &Context, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let usage = |e: PageError| -> anyhow::Error {
        match e {
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
        let mut v = json!({"schema_version": SCHEMA_VERSION, "type": "report",
                           "path": out.display().to_string()});
        if let (Some(o), Ok(serde_json::Value::Object(s))) =
            (v.as_object_mut(), serde_json::to_value(&stats))
        {
            o.extend(s);
        }
        println!("{v}");
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
        println!("{}", out.display());
    }
    Ok(ExitStatus::Success)
}
