//! `watch` without `--prompt-id`: a live view of a server.

use super::{reconnect, sleep_until};
use crate::Context;
use crate::cli::WatchArgs;
use crate::client::events::ServerMessage;
use crate::client::job::JobOptions;
use crate::client::{ClientError, Server, ws};
use crate::error::ExitStatus;
use crate::progress::previews::{PreviewSaver, ext};
use crate::progress::show::Pane;
use crate::report::commands::MonitorLine;
use crate::signals::Interrupt;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The live view: everything the socket says, plus job starts and ends seen in the queue (for
/// jobs of other clients, whose steps a local server does not send here).
pub(super) async fn run(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    options: &JobOptions,
    intr: &Interrupt,
    viewer: Option<&crate::show::Viewer>,
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
        pane: viewer.map(Pane::new),
    };
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let mut last = Instant::now();
    let mut poll = tokio::time::interval(Duration::from_secs(2));
    let mut poll_now = false;
    loop {
        let idle_at = options.idle_timeout.map(|d| last + d);
        tokio::select! {
            _ = intr.token().cancelled() => {
                view.end();
                conn.close().await;
                return Ok(ExitStatus::Interrupted);
            }
            _ = sleep_until(deadline) => {
                view.end();
                p.warn("--timeout reached");
                return Ok(ExitStatus::Timeout);
            }
            _ = sleep_until(idle_at) => {
                view.end();
                p.warn("no word from the server within --idle-timeout");
                return Ok(ExitStatus::Timeout);
            }
            m = conn.next() => {
                last = Instant::now();
                let Some(m) = m else {
                    view.say(true, || p.warn("WebSocket closed; reconnecting"));
                    conn = reconnect(server, intr, deadline, || ws::connect(server, &client_id))
                        .await
                        .map_err(|_| ClientError::Connect { url: server.display_url(), reason: "the WebSocket stays down".into() })?;
                    view.say(true, || p.info("reconnected"));
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
    /// `--show`: the latest preview, drawn in place below the lines.
    pane: Option<Pane>,
}

impl LiveView {
    /// Prints with `f` (on stderr when `on_stderr`, else stdout), the preview kept below it.
    fn say<T>(&mut self, on_stderr: bool, f: impl FnOnce() -> T) -> T {
        match &mut self.pane {
            Some(pane) => pane.print(on_stderr, f),
            None => f(),
        }
    }

    /// The watch ends: the newest preview stays on screen.
    fn end(&mut self) {
        if let Some(pane) = &mut self.pane {
            pane.finish();
        }
    }

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
            if let Some(pane) = &mut self.pane {
                pane.offer(image.clone());
            }
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
                self.say(true, || {
                    p.debug(&format!("preview saved to {}", path.display()))
                });
            }
            return Ok(());
        }
        if self.jsonl {
            self.emit(p, MonitorLine::from(m))?;
        } else if let Some(l) = crate::render::server_message(m) {
            self.say(false, || p.data_line(&l))?;
        }
        Ok(())
    }

    /// Starts and ends of jobs, whoever submitted them.
    async fn poll(&mut self, p: &crate::printer::Printer, server: &Server) -> anyhow::Result<()> {
        let Ok(q) = crate::client::queue::fetch(server).await else {
            return Ok(());
        };
        let now: Vec<String> = q.running.iter().map(|j| j.prompt_id.clone()).collect();
        let started: Vec<&String> = now.iter().filter(|i| !self.running.contains(i)).collect();
        for id in started {
            if self.jsonl {
                self.emit(
                    p,
                    MonitorLine::JobRunning {
                        prompt_id: id.clone(),
                    },
                )?;
            } else {
                self.say(false, || p.data_line(&format!("prompt {id} is running")))?;
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
                self.say(false, || {
                    p.data_line(&format!("prompt {id} finished: {status}"))
                })?;
            }
        }
        Ok(())
    }
}
