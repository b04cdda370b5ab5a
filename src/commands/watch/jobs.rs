//! `watch` without `--prompt-id` on a Comfy API v2 server: the API has no server-wide socket,
//! so the view polls `GET /jobs` and reports each job's changes (`client::v2::jobs::JobWatch`).
//! It sees the jobs sent through this server (comfy-api-proxy lists only its own submissions).

use super::sleep_until;
use crate::Context;
use crate::cli::WatchArgs;
use crate::client::ClientError;
use crate::client::Server;
use crate::client::job::JobOptions;
use crate::client::v2::V2Client;
use crate::client::v2::jobs::{JobWatch, Transition, status_word};
use crate::error::ExitStatus;
use crate::printer::Printer;
use crate::report::commands::MonitorLine;
use crate::signals::Interrupt;
use std::time::{Duration, Instant};

/// How often the job list is asked for.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// The live view over v2. A server that cannot list jobs (501), a refused key or any other
/// error answer ends it with that error; a server that stops answering is waited for until
/// `--idle-timeout`.
pub(super) async fn run(
    ctx: &Context,
    args: &WatchArgs,
    server: &Server,
    options: &JobOptions,
    intr: &Interrupt,
) -> anyhow::Result<ExitStatus> {
    let p = &ctx.printer;
    let client = V2Client::new(server.clone());
    let mut watch = JobWatch::new();
    let first = watch.poll(&client).await.map_err(ClientError::from)?;
    if !args.format.jsonl {
        p.info(&format!(
            "watching the jobs on {} (polled: the Comfy API v2 has no server-wide events); Ctrl-C to stop",
            server.display_url()
        ));
    }
    if args.previews.is_some() {
        p.warn("--previews: this view sees job states only (a v2 job's previews come on its own stream): watch --prompt-id ID --previews DIR saves them");
    }
    print(p, args.format.jsonl, first)?;
    let deadline = options.timeout.map(|t| Instant::now() + t);
    let mut last_answer = Instant::now();
    let mut down = false;
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.tick().await;
    loop {
        let idle_at = options.idle_timeout.map(|d| last_answer + d);
        tokio::select! {
            _ = intr.token().cancelled() => return Ok(ExitStatus::Interrupted),
            _ = sleep_until(deadline) => {
                p.warn("--timeout reached");
                return Ok(ExitStatus::Timeout);
            }
            _ = sleep_until(idle_at) => {
                p.warn("no word from the server within --idle-timeout");
                return Ok(ExitStatus::Timeout);
            }
            _ = poll.tick() => match watch.poll(&client).await.map_err(ClientError::from) {
                Ok(t) => {
                    last_answer = Instant::now();
                    if std::mem::take(&mut down) {
                        p.info("the server answers again");
                    }
                    print(p, args.format.jsonl, t)?;
                }
                Err(e @ ClientError::Connect { .. }) => {
                    if !std::mem::replace(&mut down, true) {
                        p.warn(&format!("{e}; asking again every second"));
                    }
                }
                Err(e) => return Err(e.into()),
            },
        }
    }
}

/// Each change as a line, or (`--jsonl`) the same `job_*` lines the native live view prints.
fn print(p: &Printer, jsonl: bool, changes: Vec<Transition>) -> anyhow::Result<()> {
    for t in changes {
        if jsonl {
            let line = match t {
                Transition::Queued { id, position } => MonitorLine::JobQueued {
                    prompt_id: id,
                    queue_position: position,
                },
                Transition::Running { id } => MonitorLine::JobRunning { prompt_id: id },
                Transition::Ended { id, status, .. } => MonitorLine::JobFinished {
                    prompt_id: id,
                    status: status_word(status).into(),
                },
            };
            p.json_line(&crate::report::tagged_line(&line))?;
            continue;
        }
        let line = match t {
            Transition::Queued { id, position } => match position {
                Some(n) => format!("prompt {id} is queued (position {n})"),
                None => format!("prompt {id} is queued"),
            },
            Transition::Running { id } => format!("prompt {id} is running"),
            Transition::Ended { id, status, error } => {
                let why = error
                    .map(|e| {
                        let node = e
                            .node_id
                            .map(|n| format!(" at node {n}"))
                            .unwrap_or_default();
                        format!("{node}: {}", e.message.trim_end())
                    })
                    .unwrap_or_default();
                format!("prompt {id} finished: {}{why}", status_word(status))
            }
        };
        p.data_line(&line)?;
    }
    Ok(())
}
