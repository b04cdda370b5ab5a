//! `logs` for people: a job's timeline and failure, the list of recent jobs.

use crate::printer::Printer;
use crate::report::logs::{JobLog, JobRow};
use serde_json::Value;

/// One job: status, start time, timeline, the failure with its node's inputs and traceback,
/// the outputs (stdout: it is the command's data).
pub fn job(p: &Printer, j: &JobLog) -> std::io::Result<()> {
    p.data_line(&format!("prompt {}: {}", j.prompt_id, j.status))?;
    let t0 = j.timeline.iter().find_map(|e| e.timestamp);
    if let Some(t0) = t0 {
        p.data_line(&format!("started {} UTC", crate::timefmt::utc(t0)))?;
    }
    for e in &j.timeline {
        let at = e
            .timestamp
            .zip(t0)
            .map(|(t, s)| format!("+{:.3}s", t.saturating_sub(s) as f64 / 1000.0))
            .unwrap_or_else(|| "      ".into());
        let extra = match e.event.as_str() {
            "execution_cached" => e
                .data
                .get("nodes")
                .and_then(Value::as_array)
                .map(|n| format!(" ({} node(s) from cache)", n.len()))
                .unwrap_or_default(),
            "execution_error" | "execution_interrupted" => e
                .data
                .get("node_id")
                .and_then(Value::as_str)
                .map(|n| format!(" at node {n}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        p.data_line(&format!("  {at:>9}  {}{extra}", e.event))?;
    }
    if let Some(x) = &j.error {
        let node = x.node_id.as_deref().unwrap_or("?");
        let class = x.class_type.as_deref().unwrap_or("?");
        let title = x
            .title
            .as_deref()
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
        if let Some(Value::Object(ins)) = &x.inputs {
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
    for o in &j.outputs {
        let sub = if o.subfolder.is_empty() {
            String::new()
        } else {
            format!("{}/", o.subfolder)
        };
        p.data_line(&format!("output  {sub}{}", o.filename))?;
    }
    if j.status == "unknown" {
        p.info("the server has no such prompt (ids are forgotten when the server restarts or history is cleared)");
    }
    Ok(())
}

/// The recent jobs as a table.
pub fn jobs(p: &Printer, rows: &[JobRow]) -> std::io::Result<()> {
    if rows.is_empty() {
        p.info("no finished jobs in the server's history");
        return Ok(());
    }
    p.data_line(&format!(
        "{:<36}  {:<11}  {:<19}  {:>8}  OUTPUTS",
        "PROMPT", "STATUS", "FINISHED (UTC)", "TOOK"
    ))?;
    for r in rows {
        let took = r
            .execution_ms
            .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
            .unwrap_or_default();
        p.data_line(&format!(
            "{:<36}  {:<11}  {:<19}  {:>8}  {}",
            r.prompt_id,
            r.status,
            r.finished.map(crate::timefmt::utc).unwrap_or_default(),
            took,
            r.outputs
                .map(|n| n.to_string())
                .unwrap_or_else(|| "null".into())
        ))?;
    }
    Ok(())
}
