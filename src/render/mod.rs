//! Human text on stderr: rejections with their node errors, how a job ended, hints. JSON goes
//! through `report`; this is the rendering people read, in one place so every command words a
//! failure the same way.

pub mod deps;
pub mod error;
pub mod logs;

use crate::client::job::{JobOutcome, JobStatus};
use crate::client::{ClientError, NodeErrorReport, Rejection};
use crate::printer::{Printer, Verbosity};

/// Human text for per-node validation errors: node id, class, title, input, message, details,
/// and what the user typed that set the input.
pub fn node_errors(printer: &Printer, errors: &[NodeErrorReport]) -> String {
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
pub fn rejection(printer: &Printer, rej: &Rejection, who: &str) -> String {
    let mut s = format!("{} {who}: {}", printer.red("error:"), rej.message);
    if !rej.details.is_empty() && rej.details != rej.message {
        s.push_str(&format!(" ({})", shorten(&rej.details, 300)));
    }
    if !rej.kind.is_empty() {
        s.push_str(&format!(" [{}]", rej.kind));
    }
    s.push('\n');
    s.push_str(&node_errors(printer, &rej.node_errors));
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

/// What to do about Comfy Cloud's execution error types (docs/protocol.md, "Comfy Cloud") and common local ones.
pub fn execution_hint(exception_type: &str) -> Option<&'static str> {
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

/// Says how a job ended, on stderr: the server's error with a hint, a timeout or loss, dropped
/// outputs, outputs that could not be saved. Success says nothing here (the reporter did).
/// `again` is what a follow-up command needs to reach the same server (`Context::server_flag`).
pub fn outcome(printer: &Printer, o: &JobOutcome, allow_partial: bool, again: &str) {
    let job = match &o.job {
        Ok(j) => j,
        Err(_) => return,
    };
    match job.status {
        JobStatus::Success => {}
        JobStatus::Error => {
            let mut causes = Vec::new();
            if let Some(e) = &job.error
                && !e.traceback.is_empty()
                && printer.verbosity == Verbosity::Verbose
            {
                causes.push(format!("traceback:\n{}", e.traceback.concat().trim_end()));
            }
            let hint = job
                .error
                .as_ref()
                .and_then(|e| e.exception_type.as_deref())
                .and_then(execution_hint)
                .map(str::to_string)
                .unwrap_or_else(|| match &job.v2 {
                    // The v2 API drops ComfyUI's traceback.
                    Some(_) => format!(
                        "the v2 API carries no traceback: ComfyUI's own log has it; job id {}",
                        job.prompt_id
                    ),
                    None => format!(
                        "comfyctl run -v shows the traceback; prompt id {}",
                        job.prompt_id
                    ),
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
        JobStatus::Lost => printer.error(
            job.message.as_deref().unwrap_or("lost"),
            &[],
            Some(&format!(
                "the server restarted (or its queue was cleared) while prompt {} ran; run it again",
                job.prompt_id
            )),
        ),
        // comfyctl stopped waiting; the server did not stop the job.
        JobStatus::Timeout => printer.error(
            job.message.as_deref().unwrap_or("timed out"),
            &[],
            Some(&format!(
                "the job may still be queued or running on the server: comfyctl watch --prompt-id {id}{again} follows it, comfyctl cancel {id}{again} stops it",
                id = job.prompt_id
            )),
        ),
        _ => printer.error(
            job.message.as_deref().unwrap_or(job.status.as_str()),
            &[],
            None,
        ),
    }
    if job.status == JobStatus::Success && !job.dropped.is_empty() && !allow_partial {
        printer.error(
            "the server dropped some outputs that failed validation",
            &[],
            Some("pass --allow-partial to accept a partial run"),
        );
    }
    match &o.outputs.error {
        Some(ClientError::Cancelled) => {
            printer.warn("interrupted while saving outputs; no partial file was left behind")
        }
        Some(e) => printer.error(
            "not every output was saved",
            &[e.to_string()],
            e.hint().as_deref(),
        ),
        None => {}
    }
}

/// The end of a batch on stderr: counts, each server's share, the manifest, and how to finish
/// what did not succeed.
pub fn batch_summary(
    printer: &Printer,
    s: &crate::report::BatchSummary,
    status: crate::error::ExitStatus,
) {
    if printer.verbosity == Verbosity::Quiet {
        return;
    }
    let mut line = format!("{} done, {} failed", s.done, s.failed);
    if s.cancelled > 0 {
        line.push_str(&format!(", {} cancelled", s.cancelled));
    }
    if s.skipped > 0 {
        line.push_str(&format!(", {} skipped (done before)", s.skipped));
    }
    if s.not_run > 0 {
        line.push_str(&format!(", {} not run", s.not_run));
    }
    line.push_str(&format!(
        " of {} in {:.1}s ({} jobs/s)",
        s.total, s.elapsed_s, s.jobs_per_s
    ));
    let head = if status == crate::error::ExitStatus::Success {
        printer.green("batch finished:")
    } else {
        printer.red("batch finished:")
    };
    eprintln!("{head} {line}");
    if s.servers.len() > 1 {
        for sv in &s.servers {
            eprintln!(
                "  {}: {} done, {} failed{}",
                sv.url,
                sv.done,
                sv.failed,
                if sv.down { " (down)" } else { "" }
            );
        }
    }
    eprintln!("  manifest: {}", s.manifest);
    if status == crate::error::ExitStatus::Interrupted || s.not_run > 0 || s.failed > 0 {
        eprintln!(
            "  {} comfyctl batch --resume {} runs the jobs that did not succeed",
            printer.paint_hint(),
            s.dir
        );
    }
}

/// One line for a server message in `watch`'s live view; `None` for messages not worth one.
pub fn server_message(m: &crate::client::events::ServerMessage) -> Option<String> {
    use crate::client::events::ServerMessage;
    let short = |p: &Option<String>| {
        p.as_deref()
            .map(|s| s.chars().take(8).collect::<String>())
            .unwrap_or_else(|| "?".into())
    };
    Some(match m {
        ServerMessage::Status {
            queue_remaining: Some(n),
            ..
        } => format!("queue: {n} remaining"),
        ServerMessage::ExecutionStart { prompt_id } => format!("[{}] started", short(prompt_id)),
        ServerMessage::ExecutionCached { prompt_id, nodes } if !nodes.is_empty() => {
            format!("[{}] {} node(s) cached", short(prompt_id), nodes.len())
        }
        ServerMessage::Executing {
            node: Some(n),
            prompt_id,
            ..
        } => format!("[{}] node {n}", short(prompt_id)),
        ServerMessage::Progress {
            value,
            max,
            node,
            prompt_id,
        } => format!(
            "[{}] step {value}/{max}{}",
            short(prompt_id),
            node.as_ref()
                .map(|n| format!(" (node {n})"))
                .unwrap_or_default()
        ),
        ServerMessage::ExecutionSuccess { prompt_id } => format!("[{}] success", short(prompt_id)),
        ServerMessage::ExecutionError {
            prompt_id, error, ..
        } => format!(
            "[{}] error at node {}: {}",
            short(prompt_id),
            error.node_id.as_deref().unwrap_or("?"),
            error.exception_message.as_deref().unwrap_or("").trim()
        ),
        ServerMessage::ExecutionInterrupted { prompt_id, .. } => {
            format!("[{}] interrupted", short(prompt_id))
        }
        ServerMessage::Notification { value } => format!("server: {value}"),
        ServerMessage::Text { node_id, text } => format!("text from node {node_id}: {text}"),
        _ => return None,
    })
}
