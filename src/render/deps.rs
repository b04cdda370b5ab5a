//! `deps` for people: what is missing, section by section, each with its fix.

use crate::deps::DepsReport;
use crate::printer::Printer;

/// The report on stdout (it is the command's data).
pub fn report(p: &Printer, r: &DepsReport) -> std::io::Result<()> {
    let x = p.red("✗");
    let section = |title: &str, n: usize| format!("{title} ({n} missing)");
    if !r.nodes.is_empty() {
        p.data_line(&section("NODES", r.nodes.len()))?;
        for n in &r.nodes {
            let pack = match &n.pack {
                Some(pk) => format!(" — {}: {}", pk.title, pk.url),
                None if r.node_map != Some(true) => {
                    " — pack unknown (pass --node-map extension-node-map.json)".into()
                }
                None => " — no known pack provides it".into(),
            };
            p.data_line(&format!(
                "  {x} {} ({}){pack}",
                n.class_type,
                n.nodes.join(", ")
            ))?;
            if let Some(f) = &n.fix {
                p.data_line(&format!("      fix: {f}"))?;
            }
        }
    }
    if !r.models.is_empty() {
        p.data_line(&section("MODELS", r.models.len()))?;
        for m in &r.models {
            let empty = if m.folder_empty == Some(true) {
                " (the cloud lists no files in that folder)"
            } else {
                ""
            };
            p.data_line(&format!(
                "  {x} {}/{} (node {} {}){empty}",
                m.folder, m.name, m.node, m.input
            ))?;
            match (&m.fix, m.folder_empty) {
                (Some(f), _) => p.data_line(&format!("      fix: {f}"))?,
                (None, None) => p.data_line("      no download URL known: put the file in that folder (or pass --model-list model-list.json)")?,
                (None, Some(_)) => {}
            }
        }
    }
    if !r.embeddings.is_empty() {
        p.data_line(&section("EMBEDDINGS", r.embeddings.len()))?;
        for e in &r.embeddings {
            p.data_line(&format!("  {x} embeddings/{}", e.name))?;
        }
    }
    if !r.inputs.is_empty() {
        p.data_line(&section("INPUT FILES", r.inputs.len()))?;
        for i in &r.inputs {
            p.data_line(&format!(
                "  {x} {} (node {})  fix: {}",
                i.name, i.node, i.fix
            ))?;
        }
    }
    if !r.invalid_values.is_empty() {
        p.data_line(&format!("INVALID VALUES ({})", r.invalid_values.len()))?;
        for i in &r.invalid_values {
            let sug = i
                .suggestion
                .as_deref()
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            p.data_line(&format!(
                "  {x} node {} {} = '{}' is not one of its {} values{sug}",
                i.node, i.input, i.value, i.allowed
            ))?;
        }
    }
    for e in r.errors.iter().flatten() {
        p.warn(&format!("cannot list models in {e}"));
    }
    let skipped = r.checks.nodes == "skipped";
    if r.ready || (skipped && r.missing() == 0 && r.errors.as_ref().is_none_or(Vec::is_empty)) {
        p.data_line(&format!(
            "{} {}: {}",
            p.green("✓"),
            r.workflow,
            if skipped {
                "every model it names is on the cloud (node types not checked)"
            } else {
                "everything it needs is on the server"
            }
        ))?;
    } else if !skipped || r.missing() > 0 {
        p.data_line(&format!("not ready: {} problem(s)", r.missing()))?;
    }
    Ok(())
}

/// What `--fix` did, after the report (stdout, like the table above it).
pub fn fix(p: &Printer, o: &crate::deps::fix::Outcome) -> std::io::Result<()> {
    p.data_line(if o.dry_run {
        "FIX (dry run: nothing was done)"
    } else {
        "FIX"
    })?;
    for a in &o.actions {
        let mark = match a.status {
            "fixed" | "present" => p.green("✓"),
            "failed" => p.red("✗"),
            _ => "-".to_string(),
        };
        let what = match (a.status, a.method) {
            ("planned", "download") => format!(
                "would download {} → {}",
                a.item,
                a.path.as_deref().unwrap_or("?")
            ),
            ("planned", _) => format!("would run: {}", a.command.as_deref().unwrap_or("?")),
            ("fixed", "download") => format!(
                "downloaded {} ({})",
                a.path.as_deref().unwrap_or(&a.item),
                a.detail.as_deref().unwrap_or("")
            ),
            ("fixed", m) => format!("installed {} ({m})", a.item),
            ("present", _) => {
                format!("{} is already there", a.path.as_deref().unwrap_or(&a.item))
            }
            ("failed", _) => format!("{}: {}", a.item, a.detail.as_deref().unwrap_or("failed")),
            _ => format!(
                "{}: {}",
                a.item,
                a.detail.as_deref().unwrap_or("do it by hand")
            ),
        };
        p.data_line(&format!("  {mark} {what}"))?;
        if a.status == "manual"
            && let Some(c) = &a.command
        {
            p.data_line(&format!("      run: {c}"))?;
        }
    }
    if !o.dry_run {
        p.data_line(&format!(
            "fixed {}, failed {}, left to do by hand {}",
            o.count("fixed"),
            o.count("failed"),
            o.count("manual")
        ))?;
    }
    if o.packs_installed() {
        p.warn("restart ComfyUI to load the new nodes (comfyctl does not restart it)");
    }
    Ok(())
}
