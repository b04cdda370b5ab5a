//! `comfyctl params`: what can be changed in a workflow, and where each name goes.

use crate::Context;
use crate::cli::ParamsArgs;
use crate::error::ExitStatus;
use crate::prepare;
use crate::report::params::ParamsReport;
use crate::workflow::Workflow;
use crate::workflow::schema;
use serde_json::Value;

/// Runs the command.
pub fn run(ctx: &Context, args: &ParamsArgs) -> anyhow::Result<ExitStatus> {
    let (prepared, _) = ctx.load_workflow(&args.workflow, &args.params, &args.defs, true)?;
    prepare::report_applied(&ctx.printer, &prepared.applied);
    let wf = &prepared.wf;
    if args.print_prompt {
        ctx.printer.json_pretty(&Value::Object(wf.nodes.clone()))?;
        return Ok(ExitStatus::Success);
    }
    let listing = ParamsReport::new(wf, &schema::discover(wf));
    if args.json {
        ctx.printer.report(&listing, false)?;
        return Ok(ExitStatus::Success);
    }
    print_table(ctx, wf, &serde_json::to_value(&listing)?)?;
    Ok(ExitStatus::Success)
}

fn short(v: &Value, max: usize) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "(differs per node)".to_string(),
        other => other.to_string(),
    };
    let s = s.replace('\n', "\\n");
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn print_table(ctx: &Context, wf: &Workflow, v: &Value) -> anyhow::Result<()> {
    let p = &ctx.printer;
    let params = v["params"].as_array().cloned().unwrap_or_default();
    let node_label = |t: &Value| -> String {
        let class = t["class_type"].as_str().unwrap_or("?");
        match t["title"].as_str() {
            Some(title) if title != class => format!(
                "{}.{} ({class} \"{title}\")",
                t["node"].as_str().unwrap_or(""),
                t["input"].as_str().unwrap_or("")
            ),
            _ => format!(
                "{}.{} ({class})",
                t["node"].as_str().unwrap_or(""),
                t["input"].as_str().unwrap_or("")
            ),
        }
    };
    if params.is_empty() {
        p.data_line(&format!(
            "{}: no friendly parameters found; set inputs with --set NODE.input=VALUE",
            wf.source_name
        ))?;
    } else {
        let rows: Vec<(String, String, String, String)> = params
            .iter()
            .map(|x| {
                let targets: Vec<Value> = x["targets"].as_array().cloned().unwrap_or_default();
                (
                    x["name"].as_str().unwrap_or("").to_string(),
                    x["type"].as_str().unwrap_or("").to_string(),
                    short(&x["value"], 48),
                    targets
                        .iter()
                        .map(&node_label)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(9);
        let w1 = 7;
        let w2 = rows
            .iter()
            .map(|r| r.2.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        p.data_line(&format!(
            "{:w0$}  {:w1$}  {:w2$}  SETS",
            "PARAMETER", "TYPE", "VALUE"
        ))?;
        for (n, t, val, targets) in rows {
            let pad = w2.saturating_sub(val.chars().count());
            p.data_line(&format!(
                "{n:w0$}  {t:w1$}  {val}{}  {targets}",
                " ".repeat(pad)
            ))?;
        }
    }
    let models = v["models"].as_array().cloned().unwrap_or_default();
    if !models.is_empty() {
        p.data_line("")?;
        p.data_line("MODELS")?;
        for m in models {
            let param = match m["param"].as_str() {
                Some(p) => format!("{p} at node {}", m["node"].as_str().unwrap_or("")),
                None => format!("node {}", m["node"].as_str().unwrap_or("")),
            };
            p.data_line(&format!(
                "  {}/{}  ({param})",
                m["folder"].as_str().unwrap_or("?"),
                m["name"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| m["name"].to_string()),
            ))?;
            if let Some(url) = m["url"].as_str() {
                p.data_line(&format!("    {url}"))?;
            }
        }
    }
    let emb = v["embeddings"].as_array().cloned().unwrap_or_default();
    if !emb.is_empty() {
        p.data_line("")?;
        p.data_line(&format!(
            "EMBEDDINGS  {}",
            emb.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    let outs = v["outputs"].as_array().cloned().unwrap_or_default();
    if !outs.is_empty() {
        p.data_line("")?;
        p.data_line(&format!(
            "OUTPUTS     {}",
            outs.iter()
                .map(|o| format!(
                    "{} ({})",
                    o["node"].as_str().unwrap_or(""),
                    o["class_type"].as_str().unwrap_or("?")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    Ok(())
}
