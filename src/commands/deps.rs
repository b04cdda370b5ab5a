//! `comfyctl deps`: what a workflow needs that the server lacks, and `--fix`. The checks live
//! in `crate::deps`; this reads the workflow and the definitions and prints.

use crate::Context;
use crate::cli::DepsArgs;
use crate::client::{ClientError, Server};
use crate::deps::fix::FixOptions;
use crate::deps::{self, DepsReport};
use crate::error::{ExitStatus, Failure};
use crate::workflow::{self, Document};

/// Runs the command.
pub fn run(ctx: &Context, args: &DepsArgs) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let mut provider = ctx.defs(args.defs.spec());
    let doc = workflow::load_document(&args.workflow)?;
    let server: Option<Server> = if args.defs.object_info.is_some() {
        None
    } else {
        Some(provider.server()?.clone())
    };
    let defs = match provider.get() {
        Ok(d) => d.defs.clone(),
        // Comfy Cloud's free tier refuses node definitions: check models by folder instead.
        Err(e) if server.as_ref().is_some_and(Server::is_cloud) && refused(&e) => {
            let Document::Api(wf) = doc else {
                return Err(Failure::usage(format!(
                    "{} is an editor workflow, and converting it needs node definitions, which this Comfy Cloud account may not read (HTTP 403); export it in API format",
                    args.workflow.display()
                ))
                .into());
            };
            let server = server.expect("cloud");
            let r = crate::signals::block_on(deps::analyze_cloud(&wf, &server, args.strict))?;
            if !args.json {
                p.warn("node types were not checked: this Comfy Cloud account may not read node definitions (HTTP 403); --strict makes that a failure");
            }
            return finish(ctx, args, r, None);
        }
        Err(e) => return Err(e),
    };
    // Node types the server lacks, and a prompt of everything else.
    let (wf, missing_types) = deps::split_missing(doc, &defs)?;
    let extras = crate::signals::block_on(deps::extras::load(
        server.as_ref(),
        args.node_map.as_deref(),
        args.model_list.as_deref(),
    ))??;
    let mut r = deps::analyze(&wf, &missing_types, &defs, &extras);
    if args.fix && !r.ready {
        let opts = FixOptions {
            dry_run: args.dry_run,
            models_dir: args.models_dir.clone(),
        };
        let outcome = crate::signals::block_on_interruptible(|intr| {
            let (r, server) = (&r, server.as_ref());
            async move {
                deps::fix::run(
                    p,
                    &opts,
                    server,
                    extras.has_manager,
                    r,
                    &|name| crate::progress::download_bar(p, name),
                    intr.token(),
                )
                .await
            }
        })??;
        r.fix = Some(outcome.summary());
        return finish(ctx, args, r, Some(outcome));
    }
    if !args.json
        && extras.embeddings.is_none()
        && !crate::workflow::schema::embeddings(&wf).is_empty()
    {
        p.warn("embeddings were not checked (no server to ask)");
    }
    finish(ctx, args, r, None)
}

/// Prints the report (JSON or the listing) and picks the exit status: 0 when nothing is
/// missing or `--fix` fixed everything, 1 otherwise.
fn finish(
    ctx: &Context,
    args: &DepsArgs,
    r: DepsReport,
    fixed: Option<crate::deps::fix::Outcome>,
) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let status = match &fixed {
        _ if r.ready => ExitStatus::Success,
        Some(f) if f.all_fixed() => ExitStatus::Success,
        _ => ExitStatus::JobFailed,
    };
    if args.json {
        p.report(&r, false)?;
        return Ok(status);
    }
    crate::render::deps::report(p, &r)?;
    match &fixed {
        Some(f) => crate::render::deps::fix(p, f)?,
        None if !r.ready
            && !args.fix
            && (!r.nodes.is_empty() || r.models.iter().any(|m| m.url.is_some())) =>
        {
            p.info(&format!(
                "{} comfyctl deps {} --fix installs the packs and downloads the models above (--dry-run shows how)",
                p.paint_hint(),
                args.workflow.display()
            ));
        }
        None => {}
    }
    Ok(status)
}

/// An HTTP 403 from the server (the cloud's free tier on node definitions).
fn refused(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ClientError>()
            .is_some_and(|c| matches!(c, ClientError::Http { status: 403, .. }))
    })
}
