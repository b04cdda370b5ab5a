//! `comfyctl logs`: why did prompt X fail (or is it still running), the last jobs, and the
//! server's own log.

use crate::Context;
use crate::cli::LogsArgs;
use crate::client::events::{ServerMessage, log_entries};
use crate::client::history::{HistoryEntry, Outcome};
use crate::client::{Server, ws};
use crate::error::{ExitStatus, Failure};
use crate::printer::Printer;
use serde_json::{Value, json};

/// Version of the `--json` objects.
pub const SCHEMA_VERSION: u32 = 1;

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

fn messages(e: &HistoryEntry) -> Vec<(String, Value)> {
    e.raw
        .pointer("/status/messages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| Some((m.get(0)?.as_str()?.to_string(), m.get(1)?.clone())))
                .collect()
        })
        .unwrap_or_default()
}

async fn one(
    ctx: &Context,
    server: &Server,
    id: &str,
    as_json: bool,
) -> anyhow::Result<ExitStatus> {
    let f = crate::client::lookup::find(server, id).await?;
    let p = &ctx.printer;
    let node_info = |node: &str| {
        let n = f.prompt.as_ref().and_then(|pr| pr.get(node));
        (
            n.and_then(|n| n.get("class_type"))
                .and_then(Value::as_str)
                .map(str::to_string),
            n.and_then(|n| n.pointer("/_meta/title"))
                .and_then(Value::as_str)
                .map(str::to_string),
            n.and_then(|n| n.get("inputs")).cloned(),
        )
    };
    let msgs = f.entry.as_ref().map(messages).unwrap_or_default();
    let t0 = msgs
        .iter()
        .find_map(|(_, d)| d.get("timestamp").and_then(Value::as_u64));
    let failure = f.entry.as_ref().and_then(|e| match e.outcome() {
        Outcome::Error(x) => Some(x),
        _ => None,
    });
    let failure_json = failure.as_ref().map(|x| {
        let node = x.node_id.clone().unwrap_or_default();
        let (class, title, inputs) = node_info(&node);
        json!({"node_id": x.node_id, "class_type": x.node_type.clone().or(class), "title": title,
               "exception_type": x.exception_type, "exception_message": x.exception_message,
               "traceback": x.traceback, "inputs": inputs})
    });
    let outputs: Vec<Value> = f
        .entry
        .as_ref()
        .map(|e| {
            let (files, _) = crate::client::outputs::collect(&e.outputs());
            files
                .iter()
                .map(|o| json!({"node_id": o.node_id, "filename": o.filename, "subfolder": o.subfolder, "type": o.file_type}))
                .collect()
        })
        .unwrap_or_default();
    if as_json {
        let timeline: Vec<Value> = msgs
            .iter()
            .map(|(k, d)| json!({"event": k, "timestamp": d.get("timestamp"), "data": d}))
            .collect();
        p.json_pretty(
            &json!({"schema_version": SCHEMA_VERSION, "prompt_id": id, "status": f.status,
            "timeline": timeline, "error": failure_json, "outputs": outputs}),
        )?;
    } else {
        p.data_line(&format!("prompt {id}: {}", f.status))?;
        if let Some(t0) = t0 {
            p.data_line(&format!("started {} UTC", crate::timefmt::utc(t0)))?;
        }
        for (k, d) in &msgs {
            let at = d
                .get("timestamp")
                .and_then(Value::as_u64)
                .zip(t0)
                .map(|(t, s)| format!("+{:.3}s", t.saturating_sub(s) as f64 / 1000.0))
                .unwrap_or_else(|| "      ".into());
            let extra = match k.as_str() {
                "execution_cached" => d
                    .get("nodes")
                    .and_then(Value::as_array)
                    .map(|n| format!(" ({} node(s) from cache)", n.len()))
                    .unwrap_or_default(),
                "execution_error" | "execution_interrupted" => d
                    .get("node_id")
                    .and_then(Value::as_str)
                    .map(|n| format!(" at node {n}"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            p.data_line(&format!("  {at:>9}  {k}{extra}"))?;
        }
        if let Some(x) = &failure {
            let node = x.node_id.clone().unwrap_or_else(|| "?".into());
            let (class, title, inputs) = node_info(&node);
            let class = x.node_type.clone().or(class).unwrap_or_else(|| "?".into());
            let title = title
                .filter(|t| *t != class)
                .map(|t| format!(" \"{t}\""))
                .unwrap_or_default();
            p.data_line("")?;
            p.data_line(&format!("failed at node {node} ({class}{title})"))?;
            p.data_line(&format!(
                "  {}: {}",
                x.exception_type.as_deref().unwrap_or("error"),
                x.exception_message.as_deref().unwrap_or("").trim()
            ))?;
            if let Some(Value::Object(ins)) = inputs {
                p.data_line("  inputs:")?;
                for (k, v) in ins {
                    p.data_line(&format!("    {k} = {v}"))?;
                }
            }
            if !x.traceback.is_empty() {
                p.data_line("  traceback:")?;
                for l in x.traceback.concat().lines() {
                    p.data_line(&format!("    {l}"))?;
                }
            }
        }
        for o in &outputs {
            let sub = o["subfolder"].as_str().unwrap_or("");
            p.data_line(&format!(
                "output  {}{}",
                if sub.is_empty() {
                    String::new()
                } else {
                    format!("{sub}/")
                },
                o["filename"].as_str().unwrap_or("")
            ))?;
        }
        if f.status == "unknown" {
            p.info("the server has no such prompt (ids are forgotten when the server restarts or history is cleared)");
        }
    }
    Ok(match f.status {
        "success" | "running" | "pending" => ExitStatus::Success,
        "unknown" => ExitStatus::Usage,
        _ => ExitStatus::JobFailed,
    })
}

async fn list(
    ctx: &Context,
    server: &Server,
    limit: usize,
    as_json: bool,
) -> anyhow::Result<ExitStatus> {
    let mut rows: Vec<Value> = Vec::new();
    if server.is_cloud() {
        let v = server.get_json(&format!("/jobs?limit={limit}")).await?;
        for j in v
            .get("jobs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            rows.push(json!({"prompt_id": j.get("id"), "status": j.get("status"),
                "finished": j.get("execution_end_time").or(j.get("create_time")),
                "outputs": j.get("outputs_count")}));
        }
    } else {
        let h = server
            .get_json(&format!("/history?max_items={limit}"))
            .await?;
        // Insertion order is oldest first; show newest first like `gh run list`.
        for (id, e) in h
            .as_object()
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            let entry = HistoryEntry { raw: e.clone() };
            let msgs = messages(&entry);
            let ts: Vec<u64> = msgs
                .iter()
                .filter_map(|(_, d)| d.get("timestamp").and_then(Value::as_u64))
                .collect();
            let (files, _) = crate::client::outputs::collect(&entry.outputs());
            rows.push(json!({"prompt_id": id, "status": entry.outcome().as_str(),
                "finished": ts.iter().max(), "execution_ms": entry.execution_ms(), "outputs": files.len()}));
        }
    }
    if as_json {
        ctx.printer
            .json_pretty(&json!({"schema_version": SCHEMA_VERSION, "jobs": rows}))?;
        return Ok(ExitStatus::Success);
    }
    let p: &Printer = &ctx.printer;
    if rows.is_empty() {
        p.info("no finished jobs in the server's history");
        return Ok(ExitStatus::Success);
    }
    p.data_line(&format!(
        "{:<36}  {:<11}  {:<19}  {:>8}  OUTPUTS",
        "PROMPT", "STATUS", "FINISHED (UTC)", "TOOK"
    ))?;
    for r in rows {
        let finished = r["finished"].as_u64().map(|t| {
            // Seconds on Cloud's job list, ms locally.
            crate::timefmt::utc(if t < 10_000_000_000 { t * 1000 } else { t })
        });
        let took = r["execution_ms"]
            .as_u64()
            .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
            .unwrap_or_default();
        p.data_line(&format!(
            "{:<36}  {:<11}  {:<19}  {:>8}  {}",
            r["prompt_id"].as_str().unwrap_or("?"),
            r["status"].as_str().unwrap_or("?"),
            finished.unwrap_or_default(),
            took,
            r["outputs"]
        ))?;
    }
    Ok(ExitStatus::Success)
}

async fn server_log(ctx: &Context, server: &Server, args: &LogsArgs) -> anyhow::Result<ExitStatus> {
    if server.is_cloud() {
        return Err(Failure::usage(
            "Comfy Cloud does not expose its server log; use comfyctl logs PROMPT_ID",
        )
        .into());
    }
    let p = &ctx.printer;
    // /internal is not mounted under /api (protocol §1.1).
    let print = |entries: &[(String, String)], as_json: bool| -> anyhow::Result<()> {
        for (t, m) in entries {
            if as_json {
                p.json_line(&json!({"type": "log", "t": t, "m": m}))?;
            } else {
                for line in m.trim_end_matches('\n').lines() {
                    p.data_line(line)?;
                }
            }
        }
        Ok(())
    };
    let v = server.get_json("/internal/logs/raw").await?;
    print(&log_entries(&v), args.json)?;
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
        tokio::select! {
            m = conn.next() => match m {
                Some(ServerMessage::Logs { entries }) => print(&entries, args.json)?,
                Some(_) => {}
                None => {
                    p.warn("the server closed the connection");
                    return Ok(ExitStatus::Connection);
                }
            },
            _ = tokio::signal::ctrl_c() => {
                conn.close().await;
                return Ok(ExitStatus::Success);
            }
        }
    }
}
