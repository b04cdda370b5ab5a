//! `comfyctl watch`: one job followed to its end (`--prompt-id`, the shared [`Job`] lifecycle
//! attached to a job submitted earlier), a live view of a server, or Comfy Cloud's event
//! socket (`--events`).

use crate::Context;
use crate::cli::WatchArgs;
use crate::client::events::ServerMessage;
use crate::client::job::{Attach, Feed, Job, JobOptions, OutputMode, Start};
use crate::client::ws;
use crate::client::{ClientError, Server};
use crate::error::{ExitStatus, Failure};
use crate::progress::Reporters;
use crate::progress::previews::{PreviewSaver, Saving, ext};
use crate::report::RunResult;
use crate::report::commands::{CloudEventLine, MonitorLine};
use crate::signals::Interrupt;
use crate::workflow::Workflow;
use serde_json::Value;
use std::time::{Duration, Instant};

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
    let outputs = if args.download {
        OutputMode::Download(args.save.options(&settings.output_dir))
    } else {
        OutputMode::List
    };
    crate::signals::block_on_interruptible(|intr| async move {
        if let Some(patterns) = &args.events {
            return events(ctx, args, &server, patterns, &options, &intr).await;
        }
        match &args.prompt_id {
            Some(id) => one(ctx, args, &server, id, &options, &outputs, &intr).await,
            None => monitor(ctx, args, &server, &options, &intr).await,
        }
    })?
}

/// `--prompt-id`: follows one job (submitted by anyone) to its end and saves or lists its
/// outputs. Ctrl-C stops watching; the job goes on.
async fn one(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    id: &str,
    options: &JobOptions,
    outputs: &OutputMode,
    intr: &Interrupt,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    let found = crate::client::lookup::find(server, id).await?;
    if found.status == "unknown" {
        return Err(Failure::usage(format!(
            "the server has no prompt {id} (queued, running or in history)"
        ))
        .into());
    }
    if let Some(e) = &found.entry {
        printer.info(&format!(
            "prompt {id} had already finished: {}",
            e.outcome().as_str()
        ));
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
    // Local servers send a job's progress only to its submitter's socket.
    let conn = match (&found.entry, &args.client_id, server.is_cloud()) {
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
    }
    crate::render::outcome(printer, &outcome, true);
    Ok(outcome.exit_status(true))
}

/// `--events`: Comfy Cloud's developer event socket, reconnecting (and re-subscribing) after
/// drops; with `--prompt-id` it ends on that job's end.
async fn events(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    patterns: &[String],
    options: &JobOptions,
    intr: &Interrupt,
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
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = intr.token().cancelled() => return Ok(ExitStatus::Interrupted),
            _ = sleep_until(deadline) => {
                p.warn("--timeout reached");
                return Ok(ExitStatus::Timeout);
            }
            _ = ping.tick() => { sock.ping().await; }
            e = sock.next_event() => {
                let Some(e) = e else {
                    p.warn("event socket closed; reconnecting");
                    sock = reconnect(server, intr, deadline, || crate::client::devws::connect(server, patterns))
                        .await
                        .map_err(|_| ClientError::Connect { url: server.display_url(), reason: "the event socket stays down".into() })?;
                    p.info("reconnected; subscriptions restored");
                    continue;
                };
                let id = e.payload["id"].as_str().unwrap_or("").to_string();
                if args.prompt_id.as_ref().is_some_and(|want| *want != id) {
                    continue;
                }
                if args.format.jsonl {
                    let line = CloudEventLine { event: e.event.clone(), timestamp: e.timestamp.clone(), payload: e.payload.clone() };
                    p.report(&line, true)?;
                } else {
                    p.data_line(&format!("{} {id}{}", e.event, event_detail(&e.event, &e.payload)))?;
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

/// What a Cloud event line adds after the job id.
fn event_detail(event: &str, payload: &Value) -> String {
    let outs = payload["outputs"].as_array().map(Vec::len).unwrap_or(0);
    match event {
        "job.completed" => format!(", {outs} output(s)"),
        "job.failed" => format!(": {}", payload["error"].as_str().unwrap_or("")),
        "job.progress" => format!(" {}%", payload["progress"]),
        _ => String::new(),
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// The shared reconnect-with-backoff loop, bounded by Ctrl-C and the deadline.
async fn reconnect<T, Fut>(
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

/// The live view: everything the socket says, plus job starts and ends seen in the queue (for
/// jobs of other clients, whose steps a local server does not send here).
async fn monitor(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    options: &JobOptions,
    intr: &Interrupt,
) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let client_id = args
        .client_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut conn = ws::connect(server, &client_id).await?;
    if !args.format.jsonl {
        p.info(&format!(
            "watching {} as client {client_id}; Ctrl-C to stop",
            server.display_url()
        ));
    }
    let mut view = LiveView {
        saver: args.previews.clone().map(PreviewSaver::new),
        current_prompt: None,
        current_node: None,
        running: Vec::new(),
        // Jobs that finished before this watch began are not news.
        reported: crate::client::lookup::recent(server)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
        jsonl: args.format.jsonl,
    };
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let mut last = Instant::now();
    let mut poll = tokio::time::interval(Duration::from_secs(2));
    let mut poll_now = false;
    loop {
        let idle_at = options.idle_timeout.map(|d| last + d);
        tokio::select! {
            _ = intr.token().cancelled() => {
                conn.close().await;
                return Ok(ExitStatus::Interrupted);
            }
            _ = sleep_until(deadline) => {
                p.warn("--timeout reached");
                return Ok(ExitStatus::Timeout);
            }
            _ = sleep_until(idle_at) => {
                p.warn("no word from the server within --idle-timeout");
                return Ok(ExitStatus::Timeout);
            }
            m = conn.next() => {
                last = Instant::now();
                let Some(m) = m else {
                    p.warn("WebSocket closed; reconnecting");
                    conn = reconnect(server, intr, deadline, || ws::connect(server, &client_id))
                        .await
                        .map_err(|_| ClientError::Connect { url: server.display_url(), reason: "the WebSocket stays down".into() })?;
                    p.info("reconnected");
                    continue;
                };
                // A queue change: look at the queue and history now, not at the next tick.
                poll_now |= matches!(m, ServerMessage::Status { .. });
                view.message(p, &m)?;
            }
            _ = async { if !poll_now { poll.tick().await; } } => {
                poll_now = false;
                view.poll(p, server).await?;
            }
        }
    }
}

/// What the live view remembers between messages.
struct LiveView {
    saver: Option<PreviewSaver>,
    current_prompt: Option<String>,
    current_node: Option<String>,
    running: Vec<String>,
    reported: std::collections::HashSet<String>,
    jsonl: bool,
}

impl LiveView {
    fn emit(&self, p: &crate::printer::Printer, line: MonitorLine) -> std::io::Result<()> {
        p.json_line(&crate::report::tagged_line(&line))
    }

    /// One server message: a line (or a JSON line), previews saved.
    fn message(&mut self, p: &crate::printer::Printer, m: &ServerMessage) -> anyhow::Result<()> {
        if let Some(pid) = m.prompt_id() {
            self.current_prompt = Some(pid.to_string());
        }
        if let ServerMessage::Executing { node, .. } = m {
            self.current_node = node.clone();
        }
        if let ServerMessage::Preview {
            format,
            metadata,
            image,
        } = m
        {
            let meta = |k: &str| {
                metadata
                    .as_ref()
                    .and_then(|x| x.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let pid = meta("prompt_id")
                .or(self.current_prompt.clone())
                .unwrap_or_else(|| "unknown".into());
            let node = meta("display_node_id")
                .or_else(|| meta("node_id"))
                .or(self.current_node.clone())
                .unwrap_or_else(|| "unknown".into());
            let e = ext(match format {
                crate::client::events::ImageFormat::Png => "png",
                _ => "jpeg",
            });
            let path = self
                .saver
                .as_mut()
                .and_then(|s| s.save(&pid, &node, e, image).ok());
            if self.jsonl {
                let path = path.as_ref().map(|x| x.display().to_string());
                let line = MonitorLine::Preview {
                    prompt_id: pid,
                    node,
                    bytes: image.len(),
                    path,
                };
                self.emit(p, line)?;
            } else if let Some(path) = path {
                p.debug(&format!("preview saved to {}", path.display()));
            }
            return Ok(());
        }
        if self.jsonl {
            self.emit(p, MonitorLine::from(m))?;
        } else if let Some(l) = crate::render::server_message(m) {
            p.data_line(&l)?;
        }
        Ok(())
    }

    /// Starts and ends of jobs, whoever submitted them.
    async fn poll(&mut self, p: &crate::printer::Printer, server: &Server) -> anyhow::Result<()> {
        let Ok(q) = crate::client::queue::fetch(server).await else {
            return Ok(());
        };
        let now: Vec<String> = q.running.iter().map(|j| j.prompt_id.clone()).collect();
        for id in now.iter().filter(|i| !self.running.contains(i)) {
            if self.jsonl {
                self.emit(
                    p,
                    MonitorLine::JobRunning {
                        prompt_id: id.clone(),
                    },
                )?;
            } else {
                p.data_line(&format!("prompt {id} is running"))?;
            }
        }
        self.running = now;
        for (id, status) in crate::client::lookup::recent(server).await {
            if !self.reported.insert(id.clone()) {
                continue;
            }
            if self.jsonl {
                let line = MonitorLine::JobFinished {
                    prompt_id: id,
                    status: status.into(),
                };
                self.emit(p, line)?;
            } else {
                p.data_line(&format!("prompt {id} finished: {status}"))?;
            }
        }
        Ok(())
    }
}
