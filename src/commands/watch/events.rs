//! `watch --events`: Comfy Cloud's developer event socket.

use super::{reconnect, sleep_until};
use crate::Context;
use crate::cli::WatchArgs;
use crate::client::job::JobOptions;
use crate::client::{ClientError, Server};
use crate::error::{ExitStatus, Failure};
use crate::report::commands::CloudEventLine;
use crate::signals::Interrupt;
use serde_json::Value;
use std::time::{Duration, Instant};

/// `--events`: Comfy Cloud's developer event socket, reconnecting (and re-subscribing) after
/// drops; with `--prompt-id` it ends on that job's end.
pub(super) async fn run(
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
