//! `comfyctl queue` (list, `clear`) and `comfyctl cancel ID…`.

use crate::Context;
use crate::cli::{CancelArgs, QueueAction, QueueArgs};
use crate::client::Server;
use crate::client::queue::{self, Cancelled};
use crate::error::{ExitStatus, Failure};
use crate::report::commands::{CancelOutcome, CancelReport, CancelResult, QueueReport};
use serde_json::json;

fn server(ctx: &Context) -> anyhow::Result<Server> {
    let settings = ctx.settings(None, None)?;
    ctx.server(&settings)
}

/// Runs `queue` or `queue clear`.
pub fn run(ctx: &Context, args: &QueueArgs) -> anyhow::Result<ExitStatus> {
    let server = server(ctx)?;
    if let Some(QueueAction::Clear { yes }) = &args.action {
        return crate::signals::block_on(clear(ctx, &server, *yes))?;
    }
    let q = crate::signals::block_on(queue::fetch(&server))??;
    let p = &ctx.printer;
    if args.json {
        let r = QueueReport {
            server: server.display_url(),
            running: q.running,
            pending: q.pending,
        };
        p.report(&r, false)?;
        return Ok(ExitStatus::Success);
    }
    if q.running.is_empty() && q.pending.is_empty() {
        p.info("the queue is empty");
        return Ok(ExitStatus::Success);
    }
    p.data_line(&format!(
        "{:<8}  {:>6}  {:<36}  {:>5}  CLIENT",
        "STATE", "NUMBER", "PROMPT", "NODES"
    ))?;
    for (state, jobs) in [("running", &q.running), ("pending", &q.pending)] {
        for j in jobs {
            p.data_line(&format!(
                "{state:<8}  {:>6}  {:<36}  {:>5}  {}",
                j.number,
                j.prompt_id,
                j.nodes,
                j.client_id.as_deref().unwrap_or("-")
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}

async fn clear(ctx: &Context, server: &Server, yes: bool) -> anyhow::Result<ExitStatus> {
    let q = queue::fetch(server).await?;
    if q.pending.is_empty() {
        ctx.printer.info("nothing pending to clear");
        return Ok(ExitStatus::Success);
    }
    if !yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Failure::usage(format!(
                "queue clear would remove {} pending job(s), including other people's: pass --yes",
                q.pending.len()
            ))
            .into());
        }
        eprint!(
            "Remove all {} pending job(s) from {} (other clients' too)? [y/N] ",
            q.pending.len(),
            server.display_url()
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            ctx.printer.info("left the queue alone");
            return Ok(ExitStatus::Success);
        }
    }
    server
        .post_json("/queue", &json!({"clear": true}), true)
        .await?;
    ctx.printer.info(&format!(
        "removed {} pending job(s); running jobs continue (comfyctl cancel ID stops one)",
        q.pending.len()
    ));
    Ok(ExitStatus::Success)
}

/// Runs `cancel`.
pub fn cancel(ctx: &Context, args: &CancelArgs) -> anyhow::Result<ExitStatus> {
    let server = server(ctx)?;
    let results = crate::signals::block_on(async {
        let mut out = Vec::new();
        for id in &args.prompt_ids {
            out.push((id.clone(), queue::cancel(&server, id).await));
        }
        out
    })?;
    let p = &ctx.printer;
    let mut all = true;
    let mut rows = Vec::new();
    for (id, r) in results {
        match r {
            Ok(c) => {
                all &= c.stopped();
                let line = match &c {
                    Cancelled::Interrupted => format!("{id}: interrupted"),
                    Cancelled::Deleted => format!("{id}: removed from the queue"),
                    Cancelled::AlreadyFinished(s) => format!("{id}: already finished ({s})"),
                    Cancelled::Unknown => format!("{id}: unknown to the server"),
                    Cancelled::LeftRunning(why) => format!("{id}: still running: {why}"),
                };
                if !args.json {
                    p.data_line(&line)?;
                }
                rows.push(CancelResult {
                    prompt_id: id,
                    result: CancelOutcome::of(&Ok(c)),
                });
            }
            Err(e) => {
                all = false;
                if !args.json {
                    p.error(&format!("{id}: {e}"), &[], e.hint().as_deref());
                }
                rows.push(CancelResult {
                    result: CancelOutcome::of(&Err(e)),
                    prompt_id: id,
                });
            }
        }
    }
    if args.json {
        let r = CancelReport {
            all_cancelled: all,
            results: rows,
        };
        p.report(&r, false)?;
    }
    Ok(if all {
        ExitStatus::Success
    } else {
        ExitStatus::JobFailed
    })
}
