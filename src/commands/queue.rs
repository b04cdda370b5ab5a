//! `comfyctl queue` (list, `clear`) and `comfyctl cancel ID…`, over ComfyUI's `/queue` or the
//! Comfy API v2's `GET /jobs` and `POST /jobs/{id}/cancel` (`client::v2::jobs`).

use crate::Context;
use crate::cli::{CancelArgs, QueueAction, QueueArgs};
use crate::client::Server;
use crate::client::api::Api;
use crate::client::queue::{self, Cancelled, Queue};
use crate::client::v2::jobs;
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
    let q = crate::signals::block_on(fetch(ctx, &server))??;
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

/// The queue in either API; over v2 it holds only the jobs sent through that server's key or
/// proxy, and says so when the server had more than one page.
async fn fetch(ctx: &Context, server: &Server) -> anyhow::Result<Queue> {
    if server.api().await != Api::V2 {
        return Ok(queue::fetch(server).await?);
    }
    let (q, truncated) = jobs::queue(server).await?;
    if truncated {
        ctx.printer.warn(&format!(
            "the server has more than {} queued or running jobs; showing the newest",
            jobs::LIST_LIMIT
        ));
    }
    Ok(q)
}

async fn clear(ctx: &Context, server: &Server, yes: bool) -> anyhow::Result<ExitStatus> {
    let v2 = server.api().await == Api::V2;
    let q = fetch(ctx, server).await?;
    // ComfyUI's queue holds every client's jobs; a v2 server lists only those sent through it.
    let whose = if v2 {
        "sent through this API"
    } else {
        "other clients' too"
    };
    if q.pending.is_empty() {
        ctx.printer.info("nothing pending to clear");
        return Ok(ExitStatus::Success);
    }
    if !yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Failure::usage(format!(
                "queue clear would remove {} pending job(s) ({whose}): pass --yes",
                q.pending.len()
            ))
            .into());
        }
        eprint!(
            "Remove all {} pending job(s) from {} ({whose})? [y/N] ",
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
    let removed = if v2 {
        // The API has no "clear": each queued job is cancelled, and one that started meanwhile
        // is left running.
        let mut n = 0;
        for j in &q.pending {
            match jobs::cancel(server, &j.prompt_id, true).await? {
                Cancelled::Deleted | Cancelled::Interrupted => n += 1,
                other => ctx
                    .printer
                    .info(&format!("{}: {}", j.prompt_id, describe(&other, v2))),
            }
        }
        n
    } else {
        server
            .post_json("/queue", &json!({"clear": true}), true)
            .await?;
        q.pending.len()
    };
    ctx.printer.info(&format!(
        "removed {removed} pending job(s); running jobs continue (comfyctl cancel ID stops one)"
    ));
    Ok(ExitStatus::Success)
}

/// What one cancel did, for people (`--json` has [`CancelOutcome::of`]).
fn describe(c: &Cancelled, v2: bool) -> String {
    match c {
        // The proxy answers `expired` for a queued job it dequeued (it keeps no record of it).
        Cancelled::Deleted if v2 => {
            "removed from the queue (the server now reports it expired)".into()
        }
        Cancelled::Deleted => "removed from the queue".into(),
        Cancelled::Interrupted => "interrupted".into(),
        Cancelled::AlreadyFinished(s) => format!("already finished ({s})"),
        Cancelled::Unknown => "unknown to the server".into(),
        Cancelled::LeftRunning(why) => format!("still running: {why}"),
        Cancelled::Canceling(why) => format!("cancel asked, not confirmed: {why}"),
    }
}

/// Runs `cancel`.
pub fn cancel(ctx: &Context, args: &CancelArgs) -> anyhow::Result<ExitStatus> {
    let server = server(ctx)?;
    let (v2, results) = crate::signals::block_on(async {
        let v2 = server.api().await == Api::V2;
        let mut out = Vec::new();
        for id in &args.prompt_ids {
            let r = if v2 {
                jobs::cancel(&server, id, false).await
            } else {
                queue::cancel(&server, id).await
            };
            out.push((id.clone(), r));
        }
        (v2, out)
    })?;
    let p = &ctx.printer;
    let mut all = true;
    let mut rows = Vec::new();
    for (id, r) in results {
        match r {
            Ok(c) => {
                all &= c.stopped();
                let line = describe(&c, v2);
                if !args.json {
                    p.data_line(&format!("{id}: {line}"))?;
                }
                rows.push(CancelResult {
                    prompt_id: id,
                    result: CancelOutcome::of(&Ok(c), v2),
                });
            }
            Err(e) => {
                all = false;
                if !args.json {
                    p.error(&format!("{id}: {e}"), &[], e.hint().as_deref());
                }
                rows.push(CancelResult {
                    result: CancelOutcome::of(&Err(e), v2),
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
