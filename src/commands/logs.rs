//! `comfyctl logs`: why did prompt X fail (or is it still running), the last jobs, and the
//! server's own log.

use crate::Context;
use crate::cli::LogsArgs;
use crate::client::events::{ServerMessage, log_entries};
use crate::client::history::HistoryEntry;
use crate::client::{Server, ws};
use crate::error::{ExitStatus, Failure};
use crate::report::logs::{JobList, JobLog, JobRow, ServerLogLine};
use serde_json::{Value, json};

/// Runs the command.
pub fn run(ctx: &Context, args: &LogsArgs) -> anyhow::Result<ExitStatus> {
    let settings = ctx.settings(None, None)?;
    let server = ctx.server(&settings)?;
    crate::signals::block_on(async {
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
    let log = JobLog::new(id, &f);
    if as_json {
        ctx.printer.report(&log, false)?;
    } else {
        crate::render::logs::job(&ctx.printer, &log)?;
    }
    Ok(match f.status {
        "success" | "running" | "pending" => ExitStatus::Success,
        "unknown" => ExitStatus::Usage,
        _ => ExitStatus::JobFailed,
    })
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
    if as_json {
        ctx.printer.report(&JobList { jobs: rows }, false)?;
    } else {
        crate::render::logs::jobs(&ctx.printer, &rows)?;
    }
    Ok(ExitStatus::Success)
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
