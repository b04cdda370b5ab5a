//! `comfyctl run`: one workflow, end to end — prepare it, check it, run the [`Job`], print the
//! outcome.

use crate::Context;
use crate::cli::RunArgs;
use crate::client::job::{Job, JobOptions, OutputMode, Start};
use crate::client::{ClientError, Server};
use crate::error::ExitStatus;
use crate::prepare::{self, Check, Prepared};
use crate::printer::Printer;
use crate::progress::{Reporters, show};
use crate::report::{RunResult, Submitted};
use crate::show::Viewer;
use crate::signals::Interrupt;
use serde_json::Value;

/// Runs the command.
pub fn run(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let (mut prepared, mut defs) = ctx.load_workflow(
        &args.workflow,
        &args.params,
        &args.defs,
        !args.no_embed_workflow,
    )?;
    if args.print_prompt {
        if prepare::inputs_offline(&mut prepared.wf, &args.inputs.spec())? > 0 {
            ctx.printer.warn(
                "input files are shown by their local names; --print-prompt does not upload them",
            );
        }
        prepare::report_applied(&ctx.printer, &prepared.applied);
        ctx.printer.json_pretty(&Value::Object(prepared.wf.nodes))?;
        return Ok(ExitStatus::Success);
    }
    let settings = ctx.settings_following(args.save.output_dir.clone(), &args.follow)?;
    let mut server = ctx.server(&settings)?;
    if let Some(k) = &args.submit.partner_key {
        server.partner_key = Some(crate::secret::Secret::new(k.clone()));
    }
    let options = JobOptions::from_settings(&settings);
    let show = args.show.wanted(settings.show) && !args.detach;
    let viewer = show::viewer(
        &ctx.printer,
        show,
        args.format.machine(),
        args.show.show_size,
    )?;
    let outputs = if args.no_download {
        OutputMode::List
    } else {
        OutputMode::Download(args.save.options(&settings.output_dir))
    };
    let preloaded = defs.take();
    crate::signals::block_on_interruptible(|intr| async move {
        let mut prepared = prepared;
        if let Some(status) = before_submit(ctx, args, &server, &mut prepared, preloaded).await? {
            return Ok(status);
        }
        if args.detach {
            return detach(ctx, args, &server, &prepared).await;
        }
        let job = Job {
            server: &server,
            workflow: &prepared.wf,
            options: &options,
            outputs: &outputs,
            prompt_id: None,
        };
        follow(ctx, args, &job, &prepared, &intr, viewer.as_ref()).await
    })?
}

/// Uploads inputs and checks the prompt before it is sent. `Some(status)` ends the run.
async fn before_submit(
    ctx: &Context,
    args: &RunArgs,
    server: &Server,
    prepared: &mut Prepared,
    preloaded: Option<crate::client::object_info::Defs>,
) -> anyhow::Result<Option<ExitStatus>> {
    let printer = &ctx.printer;
    prepare::upload_inputs(
        server,
        printer,
        &mut prepared.wf,
        &args.inputs.spec(),
        &mut prepared.applied,
    )
    .await?;
    prepare::report_applied(printer, &prepared.applied);
    if args.submit.no_validate {
        return Ok(None);
    }
    let variants = [("the prompt".to_string(), prepared.wf.clone())];
    let check = prepare::check_before_submit(
        Some(server),
        &args.defs.spec(),
        &variants,
        preloaded,
        args.allow_partial,
        &prepared.applied,
    )
    .await;
    match check {
        Check::Clean { warnings } => warnings.iter().for_each(|w| printer.warn(w)),
        Check::Unchecked { reason: Some(r) } => printer.warn(&format!(
            "prompt not checked before sending, the server checks it on arrival: {r}"
        )),
        Check::Unchecked { reason: None } => {}
        // Nothing was sent: stop now. `--json` still gets its result object.
        Check::Unreachable(e) if args.format.machine() => {
            let hint = crate::render::error::setup_hint(&e, ctx.situation()).or_else(|| e.hint());
            printer.error(&e.to_string(), &[], hint.as_deref());
            let outcome = crate::client::JobOutcome {
                job: Err(e),
                outputs: Default::default(),
            };
            let r = RunResult::new(&server.display_url(), &outcome, &prepared.applied);
            printer.report(&r, args.format.jsonl)?;
            return Ok(Some(outcome.exit_status(args.allow_partial)));
        }
        Check::Unreachable(e) => return Err(e.into()),
        Check::Rejected { rejection, .. } => {
            eprint!(
                "{}",
                crate::render::rejection(printer, &rejection, "the server would reject the prompt")
            );
            printer.info(&format!(
                "{} nothing was sent; --no-validate sends it anyway",
                printer.paint_hint()
            ));
            if args.format.machine() {
                let r = RunResult::rejected(
                    &server.display_url(),
                    &rejection,
                    "comfyctl",
                    &prepared.applied,
                );
                printer.report(&r, args.format.jsonl)?;
            }
            return Ok(Some(ExitStatus::Rejected));
        }
    }
    Ok(None)
}

/// `--detach`: submit, print the ids, exit.
async fn detach(
    ctx: &Context,
    args: &RunArgs,
    server: &Server,
    prepared: &Prepared,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    let d = match crate::client::job::submit_detached(server, &prepared.wf).await {
        Ok(d) => d,
        Err(ClientError::Rejected(mut rej)) => {
            prepare::annotate(&mut rej.node_errors, &prepared.applied);
            eprint!(
                "{}",
                crate::render::rejection(printer, &rej, "the server rejected the prompt")
            );
            if args.format.json {
                let r =
                    RunResult::rejected(&server.display_url(), &rej, "server", &prepared.applied);
                printer.report(&r, false)?;
            }
            return Ok(ExitStatus::Rejected);
        }
        Err(e) => return Err(e.into()),
    };
    if args.format.json {
        printer.report(
            &Submitted {
                server: server.display_url(),
                prompt_id: d.prompt_id.clone(),
                client_id: d.client_id.clone(),
                number: d.number,
                dropped_outputs: d.dropped.clone(),
                params: prepared.applied.clone(),
            },
            false,
        )?;
    } else {
        printer.data_line(&d.prompt_id)?;
        printer.info(&match &d.client_id {
            Some(c) => format!(
                "submitted prompt {0} as client {c}; follow it with comfyctl watch --prompt-id {0} --client-id {c}{1}",
                d.prompt_id,
                ctx.server_flag(server)
            ),
            None => format!(
                "submitted job {0}; follow it with comfyctl watch --prompt-id {0}{1}",
                d.prompt_id,
                ctx.server_flag(server)
            ),
        });
    }
    if !d.dropped.is_empty() {
        printer.warn("the server dropped some outputs that failed validation");
        if !args.allow_partial {
            return Ok(ExitStatus::Rejected);
        }
    }
    Ok(ExitStatus::Success)
}

/// Runs the job with progress on stderr, then prints what it saved and how it ended.
async fn follow(
    ctx: &Context,
    args: &RunArgs,
    job: &Job<'_>,
    prepared: &Prepared,
    intr: &Interrupt,
    viewer: Option<&Viewer>,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    let mut out = Reporters::new(printer, args.format.jsonl, !args.format.no_progress);
    out.show_previews(viewer, args.no_download);
    let mut outcome = job.run(Start::Submit, out.reporter(), intr.token()).await;
    out.clear();
    if let Err(ClientError::Rejected(rej)) = &mut outcome.job {
        prepare::annotate(&mut rej.node_errors, &prepared.applied);
    }
    let server = job.server.display_url();
    match &outcome.job {
        Err(ClientError::Rejected(rej)) => {
            let text = crate::render::rejection(printer, rej, "the server rejected the prompt");
            if !args.format.machine() || printer.verbosity != crate::printer::Verbosity::Quiet {
                eprint!("{text}");
            }
        }
        Err(ClientError::Cancelled) => printer
            .warn("interrupted before the prompt was queued; nothing is running on the server"),
        // People get the usual error report (with its hint) from the one error printer.
        Err(_) if !args.format.machine() => {
            return Err(outcome.job.expect_err("matched above").into());
        }
        Err(e) => printer.error(&e.to_string(), &[], e.hint().as_deref()),
        Ok(_) => {}
    }
    if args.format.machine() {
        let r = RunResult::new(&server, &outcome, &prepared.applied);
        printer.report(&r, args.format.jsonl)?;
    } else {
        print_paths(printer, &outcome)?;
        show::outputs(printer, viewer, &outcome);
    }
    crate::render::outcome(
        printer,
        &outcome,
        args.allow_partial,
        &ctx.server_flag(job.server),
    );
    Ok(outcome.exit_status(args.allow_partial))
}

/// Saved paths (or listed URLs), one per line: stdout is data.
pub fn print_paths(printer: &Printer, o: &crate::client::JobOutcome) -> std::io::Result<()> {
    for f in &o.outputs.files {
        printer.data_line(&f.path.display().to_string())?;
    }
    for l in &o.outputs.listed {
        printer.data_line(&l.url)?;
    }
    Ok(())
}
