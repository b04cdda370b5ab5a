//! `comfyctl watch`: one job followed to its end (`--prompt-id`, the shared [`Job`] lifecycle
//! attached to a job submitted earlier), a live view of a server, or Comfy Cloud's event
//! socket (`--events`).

mod events;
mod jobs;
mod live;

use crate::Context;
use crate::cli::WatchArgs;
use crate::client::api::Api;
use crate::client::job::{Attach, Feed, Job, JobOptions, OutputMode, Start};
use crate::client::ws;
use crate::client::{ClientError, Server};
use crate::error::{ExitStatus, Failure};
use crate::progress::previews::{PreviewSaver, Saving};
use crate::progress::{Reporters, show};
use crate::report::RunResult;
use crate::show::Viewer;
use crate::signals::Interrupt;
use crate::workflow::Workflow;
use std::time::Instant;

/// Runs the command.
pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<ExitStatus> {
    if args.format.json && args.prompt_id.is_none() {
        return Err(Failure::usage(
            "watch --json prints one job's result: give --prompt-id (or use --jsonl for the live view)",
        )
        .into());
    }
    let settings = ctx.settings_following(args.save.output_dir.clone(), &args.follow)?;
    let server = ctx.server(&settings)?;
    let options = JobOptions::from_settings(&settings);
    let show = args.show.wanted(settings.show) && args.events.is_none();
    let viewer = show::viewer(
        &ctx.printer,
        show,
        args.format.machine(),
        args.show.show_size,
    )?;
    let viewer = viewer.as_ref();
    let outputs = if args.download {
        OutputMode::Download(args.save.options(&settings.output_dir))
    } else {
        OutputMode::List
    };
    crate::signals::block_on_interruptible(|intr| async move {
        if let Some(patterns) = &args.events {
            return events::run(ctx, args, &server, patterns, &options, &intr).await;
        }
        match &args.prompt_id {
            Some(id) => one(ctx, args, &server, id, &options, &outputs, &intr, viewer).await,
            // A v2 server has no server-wide socket: its job list is polled instead (and it
            // sends no previews there to show).
            None if server.api().await == Api::V2 => {
                jobs::run(ctx, args, &server, &options, &intr).await
            }
            None => live::run(ctx, args, &server, &options, &intr, viewer).await,
        }
    })?
}

/// `--prompt-id`: follows one job (submitted by anyone) to its end and saves or lists its
/// outputs. Ctrl-C stops watching; the job goes on.
#[allow(clippy::too_many_arguments)]
async fn one(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    id: &str,
    options: &JobOptions,
    outputs: &OutputMode,
    intr: &Interrupt,
    viewer: Option<&Viewer>,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    let v2 = server.api().await == Api::V2;
    let found = crate::client::lookup::find(server, id).await?;
    if found.status == "unknown" {
        let where_ = if v2 {
            "GET /api/v2/jobs/{id} answers 404"
        } else {
            "queued, running or in history"
        };
        return Err(Failure::usage(format!(
            "the server has no prompt {id} ({})",
            where_.replace("{id}", id)
        ))
        .into());
    }
    if let Some(e) = &found.entry {
        printer.info(&format!(
            "prompt {id} had already finished: {}",
            e.outcome().as_str()
        ));
    } else if v2 && !matches!(found.status, "running" | "pending") {
        printer.info(&format!("job {id} had already finished: {}", found.status));
    }
    let wf = Workflow {
        nodes: found
            .prompt
            .and_then(|p| p.as_object().cloned())
            .unwrap_or_default(),
        source_name: format!("prompt {id}"),
        dropped_keys: Vec::new(),
        editor: None,
        model_hints: Vec::new(),
    };
    // Local servers send a job's progress only to its submitter's socket; a v2 job has its
    // own event stream, which the follower opens.
    let conn = match (&found.entry, &args.client_id, server.is_cloud()) {
        _ if v2 => None,
        (Some(_), _, _) => None,
        (None, Some(cid), _) => Some(ws::connect(server, cid).await?),
        (None, None, true) => Some(ws::connect(server, &uuid::Uuid::new_v4().to_string()).await?),
        (None, None, false) => {
            printer.warn("live steps go only to the client that submitted the job: pass --client-id (run --detach prints it); following by queue and history meanwhile");
            None
        }
    };
    let attach = Attach {
        prompt_id: id.to_string(),
        client_id: args.client_id.clone().unwrap_or_default(),
        feed: Feed::Own(conn.map(Box::new)),
        begin: Instant::now(),
        submitted_at: Instant::now(),
        dropped: Vec::new(),
        running: found.status == "running",
        owned: false,
    };
    let mut out = Reporters::new(printer, args.format.jsonl, !args.format.no_progress);
    out.show_previews(viewer, !args.download);
    let mut rep = Saving {
        inner: out.reporter(),
        saver: args.previews.clone().map(PreviewSaver::new),
        printer: printer.clone(),
    };
    let job = Job {
        server,
        workflow: &wf,
        options,
        outputs,
        prompt_id: None,
    };
    let outcome = job.run(Start::Attach(attach), &mut rep, intr.token()).await;
    out.clear();
    let outcome = match outcome.job {
        // Not found, not reachable: the usual error report.
        Err(e) if !args.format.machine() => return Err(e.into()),
        _ => outcome,
    };
    if args.format.machine() {
        let r = RunResult::new(&server.display_url(), &outcome, &[]);
        printer.report(&r, args.format.jsonl)?;
    } else {
        super::run::print_paths(printer, &outcome)?;
        show::outputs(printer, viewer, &outcome);
    }
    crate::render::outcome(printer, &outcome, true, &ctx.server_flag(server));
    Ok(outcome.exit_status(true))
}

pub(super) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// The shared reconnect-with-backoff loop, bounded by Ctrl-C and the deadline.
pub(super) async fn reconnect<T, Fut>(
    server: &Server,
    intr: &Interrupt,
    deadline: Option<Instant>,
    connect: impl FnMut() -> Fut,
) -> Result<T, ClientError>
where
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    ws::retry_connect(
        &server.retry,
        server.retry.attempts,
        true,
        intr.token(),
        deadline,
        connect,
    )
    .await
    .map(|(c, _)| c)
}
