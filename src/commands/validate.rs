//! `comfyctl validate`: would the server accept this prompt? Checked locally against its node
//! definitions (fetched and cached, or a saved `/object_info` file), without submitting.

use crate::Context;
use crate::cli::ValidateArgs;
use crate::client::Server;
use crate::client::object_info::DefsSource;
use crate::error::ExitStatus;
use crate::prepare;
use crate::report::commands::ValidationReport;

/// Runs the command.
pub fn run(ctx: &Context, args: &ValidateArgs) -> anyhow::Result<ExitStatus> {
    let (mut prepared, mut provider) =
        ctx.load_workflow(&args.workflow, &args.params, &args.defs, true)?;
    prepare::report_applied(&ctx.printer, &prepared.applied);
    let server = match &args.defs.object_info {
        Some(_) => None,
        None => Some(provider.server()?.clone()),
    };
    let preloaded = provider.take();
    let (report, defs) = crate::signals::block_on(prepare::validate_with_refresh(
        server.as_ref(),
        &args.defs.spec(),
        &prepared.wf,
        preloaded,
    ))??;
    let mut rejection = prepare::local_rejection(&report);
    if let Some(r) = &mut rejection {
        prepare::annotate(&mut r.node_errors, &prepared.applied);
    }
    let p = &ctx.printer;
    let source = match &defs.source {
        DefsSource::Server => "server".to_string(),
        DefsSource::Cache(_) => "cache".to_string(),
        DefsSource::File(f) => f.display().to_string(),
    };
    if args.json {
        let v = ValidationReport::new(
            &prepared.wf.source_name,
            &report,
            &defs,
            server.as_ref().map(Server::display_url),
            rejection.as_ref(),
            std::mem::take(&mut prepared.applied),
        );
        for w in &report.warnings {
            p.warn(w);
        }
        p.report(&v, false)?;
    } else {
        for w in &report.warnings {
            p.warn(w);
        }
        match &rejection {
            // Errors print even under -q.
            Some(r) => eprint!(
                "{}",
                crate::render::rejection(p, r, "the server would reject the prompt")
            ),
            None => {
                let version = defs
                    .version
                    .as_deref()
                    .map(|v| format!(", ComfyUI {v}"))
                    .unwrap_or_default();
                p.info(&format!(
                    "{} {}: valid ({} output node(s) would run; checked against {} node classes from {source}{version})",
                    p.green("✓"),
                    prepared.wf.source_name,
                    report.valid_outputs.len(),
                    defs.defs.len()
                ));
            }
        }
    }
    Ok(if rejection.is_some() {
        ExitStatus::Rejected
    } else {
        ExitStatus::Success
    })
}
