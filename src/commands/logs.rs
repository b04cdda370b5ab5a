//! `comfyctl logs`: why did prompt X fail (or is it still running), the last jobs, and the
//! server's own log. Over the Comfy API v2 a job's story comes from `GET /jobs/{id}` (its
//! `error`) and the list from `GET /jobs`; the API has no server log.

use crate::Context;
use crate::cli::LogsArgs;
use crate::client::api::Api;
use crate::client::events::{ServerMessage, log_entries};
use crate::client::history::HistoryEntry;
use crate::client::v2::jobs;
use crate::client::{Server, ws};
use crate::error::{ExitStatus, Failure};
use crate::report::logs::{JobList, JobLog, JobRow, ServerLogLine};
use serde_json::{Value, json};

/// Runs the command.
pub fn run(ctx: &Context, args: &LogsArgs) -> anyhow::Result<ExitStatus> {
    let settings = ctx.settings(None, None)?;
    let server = ctx.server(&settings)?;
    crate::signals::block_on(async {
        if server.api().await == Api::V2 {
            return v2(ctx, &server, args).await;
        }
        if args.server {
            return server_log(ctx, &server, args).await;
        }
        match &args.prompt_id {
            Some(id) => one(ctx, &server, id, args.json).await,
            None => list(ctx, &server, args.limit, args.json).await,
        }
    })?
}

/// One job: exit 0 success/running/pending, 1 error/interrupted/lost, 2 unknown id.
async fn one(
    ctx: &Context,
    server: &Server,
    id: &str,
    as_json: bool,
) -> anyhow::Result<ExitStatus> {
    let f = crate::client::lookup::find(server, id).await?;
    print_job(ctx, &JobLog::new(id, &f), as_json)
}

fn print_job(ctx: &Context, log: &JobLog, as_json: bool) -> anyhow::Result<ExitStatus> {
    if as_json {
        ctx.printer.report(log, false)?;
    } else {
        crate::render::logs::job(&ctx.printer, log)?;
    }
    Ok(match log.status.as_str() {
        "success" | "running" | "pending" => ExitStatus::Success,
        "unknown" => ExitStatus::Usage,
        _ => ExitStatus::JobFailed,
    })
}

fn print_list(ctx: &Context, rows: Vec<JobRow>, as_json: bool) -> anyhow::Result<ExitStatus> {
    if as_json {
        ctx.printer.report(&JobList { jobs: rows }, false)?;
    } else {
        crate::render::logs::jobs(&ctx.printer, &rows)?;
    }
    Ok(ExitStatus::Success)
}

/// `logs` on a Comfy API v2 server: one job from `GET /jobs/{id}`, the newest from
/// `GET /jobs` (which lists only the jobs sent through this server).
async fn v2(ctx: &Context, server: &Server, args: &LogsArgs) -> anyhow::Result<ExitStatus> {
    if args.server {
        return Err(Failure::usage(
            "the Comfy API v2 has no server log (comfy-api-proxy and Comfy Cloud expose none): use comfyctl logs JOB_ID, or --api native against the ComfyUI behind a proxy",
        )
        .into());
    }
    let Some(id) = &args.prompt_id else {
        let jobs = jobs::recent(server, args.limit).await?;
        return print_list(ctx, jobs.iter().map(JobRow::from_v2).collect(), args.json);
    };
    let log = match jobs::find(server, id).await? {
        Some((job, wf)) => JobLog::from_v2(&job, wf.as_ref()),
        None => JobLog::unknown(id),
    };
    print_job(ctx, &log, args.json)
}

/// The newest `limit` jobs, newest first.
async fn list(
    ctx: &Context,
    server: &Server,
    limit: usize,
    as_json: bool,
) -> anyhow::Result<ExitStatus> {
    let rows: Vec<JobRow> = if server.is_cloud() {
        let v = server.get_json(&format!("/jobs?limit={limit}")).await?;
        v.get("jobs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(JobRow::from_cloud)
            .collect()
    } else {
        let h = server
            .get_json(&format!("/history?max_items={limit}"))
            .await?;
        // Insertion order is oldest first; show newest first like `gh run list`.
        let entries: Vec<(&String, &Value)> = h.as_object().into_iter().flatten().collect();
        entries
            .into_iter()
            .rev()
            .map(|(id, e)| JobRow::from_history(id, &HistoryEntry { raw: e.clone() }))
            .collect()
    };
    print_list(ctx, rows, as_json)
}

/// `--server`: the server's own log; `--follow` prints new lines until Ctrl-C.
async fn server_log(ctx: &Context, server: &Server, args: &LogsArgs) -> anyhow::Result<ExitStatus> {
    if server.is_cloud() {
        return Err(Failure::usage(
            "Comfy Cloud does not expose its server log; use comfyctl logs PROMPT_ID",
        )
        .into());
    }
    let p = &ctx.printer;
    let print = |entries: &[(String, String)]| -> anyhow::Result<()> {
        for (t, m) in entries {
            if args.json {
                let line = ServerLogLine {
                    t: t.clone(),
                    m: m.clone(),
                };
                p.report(&line, true)?;
            } else {
                for line in m.trim_end_matches('\n').lines() {
                    p.data_line(line)?;
                }
            }
        }
        Ok(())
    };
    // /internal is not mounted under /api (docs/protocol.md, "Routes").
    let v = server.get_json("/internal/logs/raw").await?;
    print(&log_entries(&v))?;
    if !args.follow {
        return Ok(ExitStatus::Success);
    }
    let client_id = uuid::Uuid::new_v4().to_string();
    let mut conn = ws::connect(server, &client_id).await?;
    let url = server.endpoint("/internal/logs/subscribe");
    let resp = server
        .send(
            reqwest::Method::PATCH,
            url,
            Some(&json!({"clientId": client_id, "enabled": true})),
        )
        .await?;
    if !resp.status().is_success() {
        return Err(crate::client::http::http_error(
            "PATCH",
            "/internal/logs/subscribe",
            resp.status(),
            &resp.bytes().await.unwrap_or_default(),
        )
        .into());
    }
    p.info("following the server log; Ctrl-C to stop");
    loop {
        match conn.next().await {
            Some(ServerMessage::Logs { entries }) => print(&entries)?,
            Some(_) => {}
            None => {
                p.warn("the server closed the connection");
                return Ok(ExitStatus::Connection);
            }
        }
    }
}
