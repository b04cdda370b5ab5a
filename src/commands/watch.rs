//! `comfyctl watch`: a live view of a server, or one job followed to its end (`--prompt-id`),
//! saving every preview frame with the job and node it belongs to.

use crate::Context;
use crate::cli::WatchArgs;
use crate::client::events::{ImageFormat, ServerMessage};
use crate::client::history::HistoryEntry;
use crate::client::job::{Attach, follow};
use crate::client::outputs::{self, SaveOptions};
use crate::client::ws::connect as open_socket;
use crate::client::{ClientError, JobEvent, JobOptions, JobStatus, Reporter, Server};
use crate::error::{ExitStatus, Failure};
use crate::printer::Printer;
use crate::progress::{HumanReporter, JsonlReporter};
use crate::workflow::Workflow;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Writes preview frames to `DIR/{prompt_id}/{node}/{seq}.{jpg|png}`.
struct PreviewSaver {
    dir: PathBuf,
    seq: HashMap<(String, String), u32>,
}

impl PreviewSaver {
    fn save(
        &mut self,
        prompt: &str,
        node: &str,
        ext: &str,
        data: &[u8],
    ) -> std::io::Result<PathBuf> {
        // Ids come from the server: keep only safe characters in path components.
        let clean = |s: &str| -> String {
            let c: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if c.is_empty() || c.chars().all(|x| x == '.') {
                "unknown".into()
            } else {
                c.replace(':', "_")
            }
        };
        let n = self
            .seq
            .entry((prompt.to_string(), node.to_string()))
            .or_insert(0);
        *n += 1;
        let dir = self.dir.join(clean(prompt)).join(clean(node));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{:05}.{ext}", n));
        let tmp = dir.join(format!(".{:05}.{ext}.tmp", n));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

fn ext(format: &str) -> &'static str {
    match format {
        "png" => "png",
        _ => "jpg",
    }
}

/// Saves previews, then passes every event on.
struct Saving<'a> {
    inner: &'a mut dyn Reporter,
    saver: Option<PreviewSaver>,
    printer: Printer,
}

impl Reporter for Saving<'_> {
    fn report(&mut self, event: JobEvent) {
        let event = match (event, &mut self.saver) {
            (
                JobEvent::Preview {
                    node,
                    bytes,
                    format,
                    prompt_id,
                    data,
                    ..
                },
                Some(saver),
            ) => {
                let path = match saver.save(
                    &prompt_id,
                    node.as_deref().unwrap_or("unknown"),
                    ext(format),
                    &data,
                ) {
                    Ok(p) => Some(p.display().to_string()),
                    Err(e) => {
                        self.printer.warn(&format!("cannot save a preview: {e}"));
                        None
                    }
                };
                JobEvent::Preview {
                    node,
                    bytes,
                    format,
                    prompt_id,
                    path,
                    data: Vec::new(),
                }
            }
            (e, _) => e,
        };
        self.inner.report(event);
    }
}

/// Runs the command.
pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<ExitStatus> {
    let settings = ctx.settings(args.save.output_dir.clone(), args.follow.timeout)?;
    let server = Server::new(&settings, super::run::debug_log(&ctx.printer))?;
    let opts = JobOptions {
        timeout: settings.timeout,
        idle_timeout: args.follow.idle_timeout.map(Duration::from_secs_f64),
    };
    let save = SaveOptions {
        output_dir: settings.output_dir.clone(),
        flat: args.save.flat_output,
        overwrite: args.save.overwrite,
    };
    super::block_on(async {
        let cancel = CancellationToken::new();
        {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.cancel();
                }
            });
        }
        if let Some(patterns) = &args.events {
            return events(ctx, args, &server, patterns, &opts, &cancel).await;
        }
        match &args.prompt_id {
            Some(id) => one(ctx, args, &server, id, &opts, &save, &cancel).await,
            None => monitor(ctx, args, &server, &opts, &cancel).await,
        }
    })?
}

/// `--events`: the developer event socket, reconnecting (and re-subscribing) after drops.
async fn events(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    patterns: &[String],
    opts: &JobOptions,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    if !server.is_cloud() {
        return Err(Failure::usage(
            "--events is Comfy Cloud's developer event socket: use a cloud profile (or COMFYCTL_KIND=cloud)",
        )
        .into());
    }
    let ping_every = std::env::var("COMFYCTL_EVENTS_PING_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(30));
    let mut sock = crate::client::devws::connect(server, patterns).await?;
    if !args.format.jsonl {
        p.info(&format!(
            "subscribed to {}; Ctrl-C to stop",
            patterns.join(", ")
        ));
    }
    let begin = Instant::now();
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    loop {
        let deadline = opts.timeout.map(|t| begin + t);
        tokio::select! {
            _ = cancel.cancelled() => return Ok(ExitStatus::Interrupted),
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d.into()).await, None => std::future::pending().await } } => {
                p.warn("--timeout reached");
                return Ok(ExitStatus::Timeout);
            }
            _ = ping.tick() => {
                sock.ping().await;
            }
            e = sock.next_event() => {
                let Some(e) = e else {
                    p.warn("event socket closed; reconnecting");
                    let mut again = None;
                    for n in 0..server.retry.attempts {
                        tokio::time::sleep(server.retry.delay(n)).await;
                        if let Ok(s) = crate::client::devws::connect(server, patterns).await {
                            again = Some(s);
                            break;
                        }
                    }
                    sock = again.ok_or_else(|| ClientError::Connect { url: server.display_url(), reason: "the event socket stays down".into() })?;
                    p.info("reconnected; subscriptions restored");
                    continue;
                };
                let id = e.payload["id"].as_str().unwrap_or("").to_string();
                if let Some(want) = &args.prompt_id && *want != id {
                    continue;
                }
                if args.format.jsonl {
                    p.json_line(&json!({"type": "event", "event": e.event, "timestamp": e.timestamp, "payload": e.payload}))?;
                } else {
                    let outs = e.payload["outputs"].as_array().map(Vec::len).unwrap_or(0);
                    let extra = match e.event.as_str() {
                        "job.completed" => format!(", {outs} output(s)"),
                        "job.failed" => format!(": {}", e.payload["error"].as_str().unwrap_or("")),
                        "job.progress" => format!(" {}%", e.payload["progress"]),
                        _ => String::new(),
                    };
                    p.data_line(&format!("{} {id}{extra}", e.event))?;
                }
                if args.prompt_id.is_some() {
                    match e.event.as_str() {
                        "job.completed" => return Ok(ExitStatus::Success),
                        "job.failed" | "job.cancelled" => return Ok(ExitStatus::JobFailed),
                        _ => {}
                    }
                }
            }
        }
    }
}

async fn one(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    id: &str,
    opts: &JobOptions,
    save: &SaveOptions,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    let found = super::logs::find(server, id).await?;
    if found.status == "unknown" {
        return Err(Failure::usage(format!(
            "the server has no prompt {id} (queued, running or in history)"
        ))
        .into());
    }
    let running = found.status == "running";
    let entry = found.entry;
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
    let mut human;
    let mut jsonl;
    let inner: &mut dyn Reporter = if args.format.jsonl {
        jsonl = JsonlReporter::new(printer.clone());
        &mut jsonl
    } else {
        human = HumanReporter::new(printer.clone(), !args.format.no_progress);
        &mut human
    };
    let mut rep = Saving {
        inner,
        saver: args.previews.clone().map(|dir| PreviewSaver {
            dir,
            seq: HashMap::new(),
        }),
        printer: printer.clone(),
    };
    let entry = match entry {
        Some(e) => {
            let word = e.outcome().as_str();
            printer.info(&format!("prompt {id} had already finished: {word}"));
            e
        }
        None => {
            // Local servers send a job's progress only to its submitter's socket.
            let conn = match (&args.client_id, server.is_cloud()) {
                (Some(cid), _) => Some(open_socket(server, cid).await?),
                (None, true) => Some(open_socket(server, &uuid::Uuid::new_v4().to_string()).await?),
                (None, false) => {
                    printer.warn("live steps go only to the client that submitted the job: pass --client-id (run --detach prints it); following by queue and history meanwhile");
                    None
                }
            };
            let attach = Attach {
                prompt_id: id.to_string(),
                client_id: args.client_id.clone().unwrap_or_default(),
                feed: crate::client::job::Feed::Own(conn.map(Box::new)),
                begin: Instant::now(),
                submitted_at: Instant::now(),
                dropped: Vec::new(),
                running,
            };
            let job = follow(server, &wf, attach, opts, &mut rep, cancel).await?;
            if job.status == JobStatus::Cancelled {
                printer.warn("stopped watching; the job goes on (comfyctl cancel stops it)");
                return Ok(ExitStatus::Interrupted);
            }
            if let Some(m) = &job.message
                && job.status != JobStatus::Success
            {
                printer.error(m, &[], None);
            }
            match (job.status, job.entry) {
                (JobStatus::Timeout, _) => return Ok(ExitStatus::Timeout),
                (_, Some(e)) => e,
                (_, None) => return Ok(ExitStatus::JobFailed),
            }
        }
    };
    let outcome = match entry.outcome() {
        crate::client::history::Outcome::Success => ExitStatus::Success,
        _ => ExitStatus::JobFailed,
    };
    let (files, _) = outputs::collect(&entry.outputs());
    let mut status = outcome;
    for f in &files {
        if !args.download {
            let url = crate::secret::redact_url(&outputs::view_url(server, f));
            if !args.format.jsonl {
                printer.data_line(&url)?;
            }
            continue;
        }
        match outputs::download(server, f, save, &mut rep, cancel).await {
            Ok(s) => {
                if !args.format.jsonl {
                    printer.data_line(&s.path.display().to_string())?;
                }
            }
            Err(e) => {
                printer.warn(&e.to_string());
                if status == ExitStatus::Success {
                    status = e.exit_status();
                }
            }
        }
    }
    if args.format.jsonl {
        printer.json_line(&json!({"type": "result", "prompt_id": id,
            "status": if outcome == ExitStatus::Success { "success" } else { "failed" }}))?;
    }
    Ok(status)
}

/// The newest finished jobs and how they ended.
async fn recent_history(server: &Server) -> Vec<(String, &'static str)> {
    let word = |e: &HistoryEntry| e.outcome().as_str();
    if server.is_cloud() {
        let Ok(v) = server.get_json("/jobs?limit=10").await else {
            return Vec::new();
        };
        return v["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|j| {
                let e = HistoryEntry::from_cloud_job(j)?;
                Some((j["id"].as_str()?.to_string(), word(&e)))
            })
            .collect();
    }
    let Ok(h) = server.get_json("/history?max_items=10").await else {
        return Vec::new();
    };
    h.as_object()
        .into_iter()
        .flatten()
        .map(|(id, e)| (id.clone(), word(&HistoryEntry { raw: e.clone() })))
        .collect()
}

fn line_for(m: &ServerMessage, wf_titles: &HashMap<String, String>) -> Option<String> {
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
        } => format!(
            "[{}] node {n}{}",
            short(prompt_id),
            wf_titles
                .get(n)
                .map(|t| format!(" ({t})"))
                .unwrap_or_default()
        ),
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

fn message_json(m: &ServerMessage) -> Value {
    let kind = match m {
        ServerMessage::Status { .. } => "status",
        ServerMessage::ExecutionStart { .. } => "execution_start",
        ServerMessage::ExecutionCached { .. } => "execution_cached",
        ServerMessage::Executing { .. } => "executing",
        ServerMessage::Progress { .. } => "progress",
        ServerMessage::ProgressState { .. } => "progress_state",
        ServerMessage::Executed { .. } => "executed",
        ServerMessage::ExecutionSuccess { .. } => "execution_success",
        ServerMessage::ExecutionError { .. } => "execution_error",
        ServerMessage::ExecutionInterrupted { .. } => "execution_interrupted",
        ServerMessage::Notification { .. } => "notification",
        ServerMessage::Preview { .. } => "preview",
        ServerMessage::Text { .. } => "text",
        ServerMessage::Logs { .. } => "logs",
        ServerMessage::FeatureFlags(_) => "feature_flags",
        ServerMessage::Other { .. } => "other",
    };
    let mut v = json!({"type": kind});
    if let Some(p) = m.prompt_id() {
        v["prompt_id"] = json!(p);
    }
    match m {
        ServerMessage::Status {
            queue_remaining, ..
        } => v["queue_remaining"] = json!(queue_remaining),
        ServerMessage::Executing { node, .. } => v["node"] = json!(node),
        ServerMessage::Progress {
            value, max, node, ..
        } => {
            v["value"] = json!(value);
            v["max"] = json!(max);
            v["node"] = json!(node);
        }
        ServerMessage::ExecutionError { error, .. } => {
            v["node_id"] = json!(error.node_id);
            v["exception_message"] = json!(error.exception_message);
        }
        ServerMessage::Notification { value } => v["value"] = json!(value),
        ServerMessage::Text { node_id, text } => {
            v["node"] = json!(node_id);
            v["text"] = json!(text);
        }
        _ => {}
    }
    v
}

/// Everything the socket says, plus job starts and ends seen in the queue (for jobs of other
/// clients, whose steps a local server does not send here).
async fn monitor(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    opts: &JobOptions,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let client_id = args
        .client_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut conn = Some(open_socket(server, &client_id).await?);
    if !args.format.jsonl {
        p.info(&format!(
            "watching {} as client {client_id}; Ctrl-C to stop",
            server.display_url()
        ));
    }
    let mut saver = args.previews.clone().map(|dir| PreviewSaver {
        dir,
        seq: HashMap::new(),
    });
    let mut current_prompt: Option<String> = None;
    let mut current_node: Option<String> = None;
    let mut running: Vec<String> = Vec::new();
    // Jobs that finished before this watch began are not news.
    let mut reported: std::collections::HashSet<String> = recent_history(server)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut poll_now = false;
    let begin = Instant::now();
    let mut last = Instant::now();
    let mut poll = tokio::time::interval(Duration::from_secs(2));
    let titles = HashMap::new();
    let emit = |v: Value| -> anyhow::Result<()> { Ok(p.json_line(&v)?) };
    loop {
        let deadline = opts.timeout.map(|t| begin + t);
        let idle_at = opts.idle_timeout.map(|d| last + d);
        tokio::select! {
            _ = cancel.cancelled() => {
                if let Some(c) = conn.take() { c.close().await; }
                return Ok(ExitStatus::Success);
            }
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d.into()).await, None => std::future::pending().await } } => {
                p.warn("--timeout reached");
                return Ok(ExitStatus::Timeout);
            }
            _ = async { match idle_at { Some(d) => tokio::time::sleep_until(d.into()).await, None => std::future::pending().await } } => {
                p.warn("no word from the server within --idle-timeout");
                return Ok(ExitStatus::Timeout);
            }
            m = async { match conn.as_mut() { Some(c) => c.next().await, None => std::future::pending().await } } => {
                last = Instant::now();
                let Some(m) = m else {
                    p.warn("WebSocket closed; reconnecting");
                    conn = None;
                    for n in 0..server.retry.attempts {
                        tokio::time::sleep(server.retry.delay(n)).await;
                        if let Ok(c) = open_socket(server, &client_id).await {
                            conn = Some(c);
                            break;
                        }
                    }
                    if conn.is_none() {
                        return Err(ClientError::Connect { url: server.display_url(), reason: "the WebSocket stays down".into() }.into());
                    }
                    p.info("reconnected");
                    continue;
                };
                if let Some(pid) = m.prompt_id() {
                    current_prompt = Some(pid.to_string());
                }
                if let ServerMessage::Executing { node, .. } = &m {
                    current_node = node.clone();
                }
                if let ServerMessage::Preview { format, metadata, image } = &m {
                    let pid = metadata.as_ref().and_then(|x| x.get("prompt_id")).and_then(Value::as_str).map(str::to_string).or(current_prompt.clone()).unwrap_or_else(|| "unknown".into());
                    let node = metadata.as_ref().and_then(|x| x.get("display_node_id").or(x.get("node_id"))).and_then(Value::as_str).map(str::to_string).or(current_node.clone()).unwrap_or_else(|| "unknown".into());
                    let e = match format { ImageFormat::Png => "png", _ => "jpg" };
                    let path = saver.as_mut().and_then(|s| s.save(&pid, &node, e, image).ok());
                    if args.format.jsonl {
                        emit(json!({"type": "preview", "prompt_id": pid, "node": node, "bytes": image.len(),
                                    "path": path.as_ref().map(|x| x.display().to_string())}))?;
                    } else if let Some(path) = path {
                        p.debug(&format!("preview saved to {}", path.display()));
                    }
                    continue;
                }
                // A queue change: look at the queue and history now, not at the next tick.
                if matches!(m, ServerMessage::Status { .. }) {
                    poll_now = true;
                }
                if args.format.jsonl {
                    emit(message_json(&m))?;
                } else if let Some(l) = line_for(&m, &titles) {
                    p.data_line(&l)?;
                }
            }
            _ = async { if poll_now { } else { poll.tick().await; } } => {
                poll_now = false;
                // Starts and ends of jobs, whoever submitted them.
                let Ok(q) = crate::client::queue::fetch(server).await else { continue };
                let now: Vec<String> = q.running.iter().map(|j| j.prompt_id.clone()).collect();
                for id in now.iter().filter(|i| !running.contains(i)) {
                    if args.format.jsonl { emit(json!({"type": "job_running", "prompt_id": id}))?; } else { p.data_line(&format!("prompt {id} is running"))?; }
                }
                running = now;
                for (id, status) in recent_history(server).await {
                    if !reported.insert(id.clone()) {
                        continue;
                    }
                    if args.format.jsonl { emit(json!({"type": "job_finished", "prompt_id": id, "status": status}))?; } else { p.data_line(&format!("prompt {id} finished: {status}"))?; }
                }
            }
        }
    }
}
