//! `comfyctl run`: one workflow, end to end.

use crate::Context;
use crate::cli::RunArgs;
use crate::client::object_info::Defs;
use crate::client::outputs::{self, SaveOptions, SavedFile};
use crate::client::{
    ClientError, JobOptions, JobResult, JobStatus, NodeErrorReport, Reporter, Server, run_job,
};
use crate::commands::prepare::{self, Prepared};
use crate::error::{ExitStatus, Failure};
use crate::printer::Printer;
use crate::progress::{HumanReporter, JsonlReporter};
use crate::secret::redact_url;
use crate::workflow::params::Applied;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Version of the `--json` result object. Bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Runs the command.
pub fn run(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let mut provider = prepare::DefsProvider::new(ctx, &args.defs);
    let mut prepared = prepare::load_and_apply(
        ctx,
        &args.workflow,
        &args.params,
        &mut provider,
        !args.no_embed_workflow,
    )?;
    if args.print_prompt {
        if prepare::inputs_offline(&mut prepared.wf, &args.inputs)? > 0 {
            ctx.printer.warn(
                "input files are shown by their local names; --print-prompt does not upload them",
            );
        }
        prepare::report_applied(&ctx.printer, &prepared.applied);
        ctx.printer.json_pretty(&Value::Object(prepared.wf.nodes))?;
        return Ok(ExitStatus::Success);
    }
    let settings = ctx.settings(args.save.output_dir.clone(), args.follow.timeout)?;
    let mut server = Server::new(&settings, debug_log(&ctx.printer))?;
    if let Some(k) = &args.submit.partner_key {
        server.partner_key = Some(crate::secret::Secret::new(k.clone()));
    }
    if let Some(t) = args.follow.idle_timeout
        && !(t.is_finite() && t > 0.0)
    {
        return Err(Failure::usage(format!(
            "invalid --idle-timeout {t}: expected a positive number of seconds"
        ))
        .into());
    }
    let opts = JobOptions {
        timeout: settings.timeout,
        idle_timeout: args.follow.idle_timeout.map(Duration::from_secs_f64),
    };
    let save = SaveOptions {
        output_dir: settings.output_dir.clone(),
        flat: args.save.flat_output,
        overwrite: args.save.overwrite,
    };
    let preloaded = provider.take();
    crate::commands::block_on(execute(
        ctx, args, &server, prepared, preloaded, &opts, &save,
    ))?
}

/// `-v` prints requests through this.
pub fn debug_log(printer: &Printer) -> Option<crate::client::http::DebugLog> {
    (printer.verbosity == crate::printer::Verbosity::Verbose)
        .then(|| Arc::new(move |m: &str| eprintln!("debug: {m}")) as crate::client::http::DebugLog)
}

/// Uploads inputs and checks the prompt before it is sent. `Ok(Some(status))` ends the run.
async fn before_submit(
    ctx: &Context,
    args: &RunArgs,
    server: &Server,
    prepared: &mut Prepared,
    preloaded: Option<Defs>,
) -> anyhow::Result<Option<ExitStatus>> {
    let printer = &ctx.printer;
    prepare::upload_inputs(
        server,
        printer,
        &mut prepared.wf,
        &args.inputs,
        &mut prepared.applied,
    )
    .await?;
    prepare::report_applied(printer, &prepared.applied);
    if args.submit.no_validate {
        return Ok(None);
    }
    let (report, _) =
        match prepare::validate_with_refresh(Some(server), &args.defs, &prepared.wf, preloaded)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                // Unreachable server: the submit reports it with the right exit code. Anything
                // else (a proxy without /object_info): the server still validates.
                if e.downcast_ref::<ClientError>()
                    .is_some_and(|c| matches!(c, ClientError::Connect { .. }))
                {
                    return Ok(None);
                }
                printer.warn(&format!(
                    "cannot check the prompt before sending it ({e}); the server will"
                ));
                return Ok(None);
            }
        };
    for w in &report.warnings {
        printer.warn(w);
    }
    if report.rejection.is_none() && (report.partial.is_empty() || args.allow_partial) {
        if !report.partial.is_empty() {
            printer.warn(&format!(
                "some outputs fail validation; only {} will run (--allow-partial)",
                report.valid_outputs.join(", ")
            ));
        }
        return Ok(None);
    }
    let mut rej = prepare::local_rejection(&report).expect("not clean");
    prepare::annotate(&mut rej.node_errors, &prepared.applied);
    let machine = args.format.json || args.format.jsonl;
    eprint!(
        "{}",
        format_rejection(printer, &rej, "the server would reject the prompt")
    );
    printer.info(&format!(
        "{} nothing was sent; --no-validate sends it anyway",
        printer.paint_hint()
    ));
    if machine {
        let v = rejection_json(server, &rej, "comfyctl", &prepared.applied);
        emit_result(printer, args, &v)?;
    }
    Ok(Some(ExitStatus::Rejected))
}

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
                format_rejection(printer, &rej, "the server rejected the prompt")
            );
            if args.format.json {
                let v = rejection_json(server, &rej, "server", &prepared.applied);
                emit_result(printer, args, &v)?;
            }
            return Ok(ExitStatus::Rejected);
        }
        Err(e) => return Err(e.into()),
    };
    if args.format.json {
        printer.json_pretty(&json!({
            "schema_version": SCHEMA_VERSION,
            "type": "submitted",
            "server": server.display_url(),
            "prompt_id": d.prompt_id,
            "client_id": d.client_id,
            "number": d.number,
            "dropped_outputs": d.dropped,
            "params": prepared.applied,
        }))?;
    } else {
        printer.data_line(&d.prompt_id)?;
        printer.info(&format!(
            "submitted prompt {0} as client {1}; follow it with comfyctl watch --prompt-id {0} --client-id {1}",
            d.prompt_id, d.client_id
        ));
    }
    if !d.dropped.is_empty() {
        printer.warn("the server dropped some outputs that failed validation");
        return Ok(if args.allow_partial {
            ExitStatus::Success
        } else {
            ExitStatus::Rejected
        });
    }
    Ok(ExitStatus::Success)
}

fn rejection_json(
    server: &Server,
    rej: &crate::client::Rejection,
    by: &str,
    applied: &[Applied],
) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "result",
        "status": "rejected",
        "server": server.display_url(),
        "prompt_id": null,
        "outputs": [],
        "texts": [],
        "params": applied,
        "error": {"kind": "rejected", "rejected_by": by, "message": rej.message, "type": rej.kind, "details": rej.details,
                  "extra_info": rej.extra_info, "node_errors": rej.node_errors},
    })
}

enum Out {
    Human(HumanReporter),
    Jsonl(JsonlReporter),
}

impl Out {
    fn reporter(&mut self) -> &mut dyn Reporter {
        match self {
            Out::Human(h) => h,
            Out::Jsonl(j) => j,
        }
    }
}

async fn execute(
    ctx: &Context,
    args: &RunArgs,
    server: &Server,
    mut prepared: Prepared,
    preloaded: Option<Defs>,
    opts: &JobOptions,
    save: &SaveOptions,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    if let Some(status) = before_submit(ctx, args, server, &mut prepared, preloaded).await? {
        return Ok(status);
    }
    let wf = &prepared.wf;
    if args.detach {
        return detach(ctx, args, server, &prepared).await;
    }
    let cancel = CancellationToken::new();
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
                // A second Ctrl-C means "now".
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(ExitStatus::Interrupted.code() as i32);
                }
            }
        });
    }
    let mut out = if args.format.jsonl {
        Out::Jsonl(JsonlReporter::new(printer.clone()))
    } else {
        Out::Human(HumanReporter::new(
            printer.clone(),
            !args.format.no_progress,
        ))
    };
    let machine = args.format.json || args.format.jsonl;
    let result = run_job(server, wf, opts, out.reporter(), &cancel).await;
    let job = match result {
        Ok(job) => job,
        Err(ClientError::Rejected(mut rej)) => {
            if let Out::Human(h) = &mut out {
                h.clear();
            }
            prepare::annotate(&mut rej.node_errors, &prepared.applied);
            let text = format_rejection(printer, &rej, "the server rejected the prompt");
            if !machine || printer.verbosity != crate::printer::Verbosity::Quiet {
                eprint!("{text}");
            }
            if machine {
                let v = rejection_json(server, &rej, "server", &prepared.applied);
                emit_result(printer, args, &v)?;
            }
            // The report above is complete; no second `error:` line.
            return Ok(ExitStatus::Rejected);
        }
        Err(ClientError::Cancelled) => {
            if let Out::Human(h) = &mut out {
                h.clear();
            }
            printer
                .warn("interrupted before the prompt was queued; nothing is running on the server");
            return Ok(ExitStatus::Interrupted);
        }
        Err(e) => {
            if let Out::Human(h) = &mut out {
                h.clear();
            }
            if machine {
                let v = failure_json(server, &e);
                emit_result(printer, args, &v)?;
                printer.error(&e.to_string(), &[], e.hint().as_deref());
                return Ok(e.exit_status());
            }
            return Err(e.into());
        }
    };

    // Outputs: also after a failure, nodes that ran before it may have saved files.
    let (files, texts) = job
        .entry
        .as_ref()
        .map(|e| outputs::collect(&e.outputs()))
        .unwrap_or_default();
    let mut saved: Vec<SavedFile> = Vec::new();
    let mut listed: Vec<Value> = Vec::new();
    let mut download_error: Option<ClientError> = None;
    for t in &texts {
        if !args.format.jsonl {
            let line = format!("text from node {}: {}", t.node_id, t.text);
            match &out {
                Out::Human(h) => h.suspend(|| printer.info(&line)),
                Out::Jsonl(_) => {}
            }
        }
    }
    for f in &files {
        if args.no_download {
            let url = redact_url(&outputs::view_url(server, f));
            if !machine {
                printer.data_line(&url)?;
            }
            listed.push(json!({"node_id": f.node_id, "kind": f.kind, "filename": f.filename, "subfolder": f.subfolder,
                               "type": f.file_type, "animated": f.animated, "url": url}));
            continue;
        }
        if cancel.is_cancelled() {
            download_error.get_or_insert(ClientError::Cancelled);
            break;
        }
        match outputs::download(server, f, save, out.reporter(), &cancel).await {
            Ok(s) => {
                if !machine {
                    printer.data_line(&s.path.display().to_string())?;
                }
                saved.push(s);
            }
            Err(ClientError::Cancelled) => {
                download_error = Some(ClientError::Cancelled);
                break;
            }
            Err(e) => {
                match &out {
                    Out::Human(h) => h.suspend(|| printer.warn(&e.to_string())),
                    Out::Jsonl(_) => printer.warn(&e.to_string()),
                }
                download_error.get_or_insert(e);
            }
        }
    }
    if let Out::Human(h) = &mut out {
        h.clear();
    }

    let mut status = match job.status {
        JobStatus::Success => ExitStatus::Success,
        JobStatus::Error | JobStatus::Interrupted | JobStatus::Lost => ExitStatus::JobFailed,
        JobStatus::Timeout => ExitStatus::Timeout,
        JobStatus::Cancelled => ExitStatus::Interrupted,
    };
    if status == ExitStatus::Success && !job.dropped.is_empty() && !args.allow_partial {
        status = ExitStatus::Rejected;
    }
    if let Some(e) = &download_error
        && status == ExitStatus::Success
    {
        status = e.exit_status();
    }

    if machine {
        let mut v = result_json(
            server,
            &job,
            &saved,
            &listed,
            &texts,
            download_error.as_ref(),
        );
        v["params"] = serde_json::to_value(&prepared.applied)?;
        emit_result(printer, args, &v)?;
    }
    report_outcome(
        printer,
        &job,
        download_error.as_ref(),
        status,
        args.allow_partial,
    );
    Ok(status)
}

fn emit_result(printer: &Printer, args: &RunArgs, v: &Value) -> anyhow::Result<()> {
    if args.format.jsonl {
        printer.json_line(v)?;
    } else {
        printer.json_pretty(v)?;
    }
    Ok(())
}

fn report_outcome(
    printer: &Printer,
    job: &JobResult,
    dl: Option<&ClientError>,
    status: ExitStatus,
    allow_partial: bool,
) {
    match job.status {
        JobStatus::Success => {}
        JobStatus::Error => {
            let mut causes = Vec::new();
            if let Some(e) = &job.error
                && !e.traceback.is_empty()
                && printer.verbosity == crate::printer::Verbosity::Verbose
            {
                causes.push(format!("traceback:\n{}", e.traceback.concat().trim_end()));
            }
            let hint = job
                .error
                .as_ref()
                .and_then(|e| e.exception_type.as_deref())
                .and_then(execution_hint)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!(
                        "comfyctl run -v shows the traceback; prompt id {}",
                        job.prompt_id
                    )
                });
            printer.error(
                job.message
                    .as_deref()
                    .unwrap_or("the job failed on the server"),
                &causes,
                Some(&hint),
            );
        }
        JobStatus::Cancelled => printer.warn(job.message.as_deref().unwrap_or("cancelled")),
        _ => printer.error(
            job.message.as_deref().unwrap_or(job.status.as_str()),
            &[],
            None,
        ),
    }
    if status == ExitStatus::Rejected && !allow_partial {
        printer.error(
            "the server dropped some outputs that failed validation",
            &[],
            Some("pass --allow-partial to accept a partial run"),
        );
    }
    if let Some(e) = dl
        && !matches!(e, ClientError::Cancelled)
    {
        printer.error(
            "not every output was saved",
            &[e.to_string()],
            e.hint().as_deref(),
        );
    }
    if matches!(dl, Some(ClientError::Cancelled)) {
        printer.warn("interrupted while saving outputs; no partial file was left behind");
    }
}

/// What to do about Comfy Cloud's execution error types (protocol §5.3) and common local ones.
fn execution_hint(exception_type: &str) -> Option<&'static str> {
    let t = exception_type.rsplit('.').next().unwrap_or(exception_type);
    Some(match t {
        "ValidationError" => {
            "the workflow did not pass the cloud's checks: run comfyctl validate --profile … to see which input"
        }
        "ModelDownloadError" => {
            "a model the workflow names could not be fetched: check its file name against the cloud's model list"
        }
        "ImageDownloadError" => {
            "an input image could not be fetched: upload it with --image/--input, or check its name"
        }
        "OOMError" | "OutOfMemoryError" => {
            "out of GPU memory: lower the resolution, batch size or length, or use a smaller model"
        }
        "InsufficientFundsError" => {
            "the account is out of credits: add credits at platform.comfy.org"
        }
        "InactiveSubscriptionError" => {
            "the subscription is inactive: check the plan at platform.comfy.org"
        }
        "PanicError" | "ServiceError" | "DispatcherError" | "WebSocketError" => {
            "the cloud failed on its side: run again; if it keeps failing, report the prompt id"
        }
        _ => return None,
    })
}

fn failure_json(server: &Server, e: &ClientError) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "result",
        "status": "failed",
        "server": server.display_url(),
        "prompt_id": null,
        "outputs": [],
        "texts": [],
        "error": {"kind": error_kind(e), "message": e.to_string()},
    })
}

fn error_kind(e: &ClientError) -> &'static str {
    e.code()
}

fn result_json(
    server: &Server,
    job: &JobResult,
    saved: &[SavedFile],
    listed: &[Value],
    texts: &[outputs::TextOutput],
    dl: Option<&ClientError>,
) -> Value {
    let outputs: Vec<Value> = if listed.is_empty() {
        saved
            .iter()
            .map(|s| {
                json!({"node_id": s.file.node_id, "kind": s.file.kind, "filename": s.file.filename,
                       "subfolder": s.file.subfolder, "type": s.file.file_type, "animated": s.file.animated,
                       "path": s.path.display().to_string(), "bytes": s.bytes})
            })
            .collect()
    } else {
        listed.to_vec()
    };
    let error = match job.status {
        JobStatus::Success if job.dropped.is_empty() => match dl {
            None => Value::Null,
            Some(e) => json!({"kind": error_kind(e), "message": e.to_string()}),
        },
        JobStatus::Success => {
            json!({"kind": "partial", "message": "the server dropped outputs that failed validation",
                                     "node_errors": job.dropped})
        }
        JobStatus::Error => {
            let e = job.error.clone().unwrap_or_default();
            json!({"kind": "execution", "message": job.message, "node_id": e.node_id, "node_type": e.node_type,
                   "exception_type": e.exception_type, "exception_message": e.exception_message,
                   "traceback": e.traceback})
        }
        s => json!({"kind": s.as_str(), "message": job.message}),
    };
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "result",
        "status": job.status.as_str(),
        "server": server.display_url(),
        "prompt_id": job.prompt_id,
        "client_id": job.client_id,
        "outputs": outputs,
        "texts": texts,
        "cached_nodes": job.cached_nodes,
        "dropped_outputs": job.dropped,
        "timings": job.timings,
        "error": error,
    })
}

/// Human text for per-node validation errors: node id, class, title, input, message, details,
/// and what the user typed that set the input.
pub fn format_node_errors(printer: &Printer, errors: &[NodeErrorReport]) -> String {
    let mut s = String::new();
    for ne in errors {
        let class = ne.class_type.as_deref().unwrap_or("?");
        let title = match &ne.title {
            Some(t) if t != class => format!(" \"{t}\""),
            _ => String::new(),
        };
        s.push_str(&format!(
            "  {} {class}{title}\n",
            printer.bold(&format!("node {}", ne.node_id))
        ));
        for e in &ne.errors {
            let input = e
                .input_name
                .as_deref()
                .map(|i| format!("{i}: "))
                .unwrap_or_default();
            let details =
                if e.details.is_empty() || e.details == e.input_name.clone().unwrap_or_default() {
                    String::new()
                } else if e.kind == "value_not_in_list" && e.details.chars().count() > 160 {
                    // The server lists every allowed value; hundreds of model names bury the
                    // point. --json keeps the full text.
                    let n = e.details.matches("', '").count() + 1;
                    let got = match &e.received_value {
                        Some(serde_json::Value::String(v)) => v.clone(),
                        Some(v) => v.to_string(),
                        None => "?".into(),
                    };
                    format!(" — '{got}' is not one of the {n} values the server lists")
                } else {
                    format!(" — {}", shorten(&e.details, 200))
                };
            s.push_str(&format!("    {input}{}{details} [{}]\n", e.message, e.kind));
            if let Some(o) = &e.origin {
                s.push_str(&format!("      {}\n", printer.dim(&format!("set by {o}"))));
            }
            if let Some(sug) = &e.suggestion {
                s.push_str(&format!("      did you mean '{sug}'?\n"));
            }
        }
        if !ne.dependent_outputs.is_empty() {
            s.push_str(&format!(
                "    {}\n",
                printer.dim(&format!(
                    "blocks output node(s) {}",
                    ne.dependent_outputs.join(", ")
                ))
            ));
        }
    }
    s
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}… ({} more characters)", s.chars().count() - max)
}

/// The whole report for a rejected prompt; `who` is "the server rejected the prompt" or
/// "the server would reject the prompt".
pub fn format_rejection(printer: &Printer, rej: &crate::client::Rejection, who: &str) -> String {
    let mut s = format!("{} {who}: {}", printer.red("error:"), rej.message);
    if !rej.details.is_empty() && rej.details != rej.message {
        s.push_str(&format!(" ({})", shorten(&rej.details, 300)));
    }
    if !rej.kind.is_empty() {
        s.push_str(&format!(" [{}]", rej.kind));
    }
    s.push('\n');
    s.push_str(&format_node_errors(printer, &rej.node_errors));
    if rej.kind == "missing_node_type" {
        s.push_str(&format!(
            "{} install the custom node that provides it, or check the class_type spelling\n",
            printer.paint_hint()
        ));
    }
    let mut folders: Vec<&str> = rej
        .node_errors
        .iter()
        .flat_map(|n| {
            let class = n.class_type.as_deref().unwrap_or("");
            n.errors.iter().map(move |e| (class, e))
        })
        .filter(|(_, e)| e.kind == "value_not_in_list" && e.origin.is_none())
        .filter_map(|(class, e)| {
            e.input_name
                .as_deref()
                .and_then(|i| crate::workflow::schema::model_folder(class, i))
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    folders.retain(|f| seen.insert(*f));
    if !folders.is_empty() {
        s.push_str(&format!(
            "{} the server does not have these model files; they go in ComfyUI/models/{}/\n",
            printer.paint_hint(),
            folders.join("/, models/")
        ));
    }
    s
}
