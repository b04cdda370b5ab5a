//! Converts and validates every editor workflow in a directory (the
//! `comfyui-workflow-templates-json` package) against a saved `/object_info`, and reports how
//! many become prompts the server would accept apart from missing model files and input media.
//!
//! `cargo run --release --example corpus -- TEMPLATES_DIR OBJECT_INFO.json [--verbose] [--json]`
//! (`scripts/corpus.sh` downloads the package and runs this.)
//!
//! With `--golden=FILE.jsonl` (from `scripts/editor-oracle.sh`) it compares each conversion with
//! what the real editor sent instead, node by node, and lists every difference;
//! `--candidate=FILE.jsonl` compares another converter's output (same shape) instead of ours.
//! `--eligible` prints the names of the templates the editor oracle records.

#[path = "../tests/it/common/editor_golden.rs"]
mod editor_golden;

use comfyctl::workflow::convert::{convert, is_ui_format};
use comfyctl::workflow::nodedefs::{InputKind, NodeDefs};
use comfyctl::workflow::validate::validate;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Frontend-only node types; they need no definition.
const VIRTUAL: &[&str] = &["Note", "MarkdownNote", "Reroute", "PrimitiveNode"];

fn types_in(doc: &Value, subgraph_ids: &[String], out: &mut Vec<String>) {
    for n in doc
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = n.get("type").and_then(Value::as_str)
            && !subgraph_ids.iter().any(|s| s == t)
        {
            out.push(t.to_string());
        }
    }
    for s in doc
        .pointer("/definitions/subgraphs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        types_in(s, subgraph_ids, out);
    }
}

fn subgraph_ids(doc: &Value, out: &mut Vec<String>) {
    for s in doc
        .pointer("/definitions/subgraphs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = s.get("id").and_then(Value::as_str) {
            out.push(id.to_string());
        }
        subgraph_ids(s, out);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let min_percent: Option<f64> = args
        .iter()
        .find_map(|a| a.strip_prefix("--min-percent="))
        .and_then(|v| v.parse().ok());
    let json = args.iter().any(|a| a == "--json");
    let list_eligible = args.iter().any(|a| a == "--eligible");
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [dir, oi] = pos.as_slice() else {
        eprintln!(
            "usage: corpus TEMPLATES_DIR OBJECT_INFO.json [--verbose] [--json] [--min-percent=N]"
        );
        std::process::exit(2);
    };
    let oi: Value = serde_json::from_str(&std::fs::read_to_string(oi).expect("object_info"))
        .expect("object_info JSON");
    let defs = NodeDefs::from_value(&oi).expect("object_info");
    if let Some(golden) = args.iter().find_map(|a| a.strip_prefix("--golden=")) {
        let candidate = args.iter().find_map(|a| a.strip_prefix("--candidate="));
        let ok = against_editor(
            std::path::Path::new(dir.as_str()),
            golden,
            &defs,
            verbose,
            candidate,
        );
        std::process::exit(if ok { 0 } else { 1 });
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("templates dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    let (mut ui, mut eligible, mut ok, mut ok_with_missing_files) = (0, 0, 0, 0);
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut convert_time = std::time::Duration::ZERO;
    let mut parse_time = std::time::Duration::ZERO;
    let mut max_convert = std::time::Duration::ZERO;
    let mut validate_time = std::time::Duration::ZERO;
    let mut needs_newer = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let t = Instant::now();
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let parsed_in = t.elapsed();
        if !is_ui_format(&doc) {
            continue;
        }
        ui += 1;
        let mut ids = Vec::new();
        subgraph_ids(&doc, &mut ids);
        let mut types = Vec::new();
        types_in(&doc, &ids, &mut types);
        if types
            .iter()
            .any(|t| !VIRTUAL.contains(&t.as_str()) && defs.get(t).is_none())
        {
            continue;
        }
        eligible += 1;
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if list_eligible {
            // The editor-oracle set: templates built around paid API nodes (`api_*`) are left
            // out, as in issue 20's figures.
            if !name.starts_with("api_") {
                println!("{name}");
            }
            continue;
        }
        let t = Instant::now();
        let converted = convert(&doc, &name, &defs);
        let took = t.elapsed();
        convert_time += took;
        parse_time += parsed_in;
        max_convert = max_convert.max(took + parsed_in);
        let wf = match converted {
            Ok(c) => c.workflow,
            Err(e) => {
                *reasons.entry("conversion error".into()).or_default() += 1;
                failures.push((name, e.to_string()));
                continue;
            }
        };
        let t = Instant::now();
        let report = validate(&wf, &defs);
        validate_time += t.elapsed();
        let errors: Vec<(String, String, String, String)> = report
            .rejection
            .iter()
            .flat_map(|r| {
                let top = (r.node_errors.is_empty()).then(|| {
                    (
                        String::new(),
                        String::new(),
                        r.kind.clone(),
                        r.message.clone(),
                    )
                });
                top.into_iter().chain(r.node_errors.iter().flat_map(|n| {
                    n.errors.iter().map(|e| {
                        (
                            n.node_id.clone(),
                            n.class_type.clone().unwrap_or_default(),
                            e.kind.clone(),
                            format!("{}: {}", e.message, e.details),
                        )
                    })
                }))
            })
            .chain(report.partial.iter().flat_map(|n| {
                n.errors.iter().map(|e| {
                    (
                        n.node_id.clone(),
                        n.class_type.clone().unwrap_or_default(),
                        e.kind.clone(),
                        format!("{}: {}", e.message, e.details),
                    )
                })
            }))
            .collect();
        // Missing model files and input media are what any fresh server lacks.
        let is_missing_file = |(node, class, kind, _): &(String, String, String, String)| {
            if kind == "custom_validation_failed" {
                return true;
            }
            if kind != "value_not_in_list" {
                return false;
            }
            let Some(def) = defs.get(class) else {
                return false;
            };
            let input = wf.nodes[node]["inputs"].as_object().and_then(|inputs| {
                def.inputs.iter().find(|s| {
                    matches!(&s.kind, InputKind::Combo { upload: true, .. })
                        || (inputs
                            .get(&s.name)
                            .and_then(Value::as_str)
                            .is_some_and(|v| {
                                [
                                    ".safetensors",
                                    ".ckpt",
                                    ".pt",
                                    ".pth",
                                    ".bin",
                                    ".gguf",
                                    ".sft",
                                    ".onnx",
                                    ".json",
                                ]
                                .iter()
                                .any(|x| v.to_lowercase().ends_with(x))
                            }))
                })
            });
            input.is_some()
        };
        let real: Vec<&(String, String, String, String)> =
            errors.iter().filter(|e| !is_missing_file(e)).collect();
        if real.is_empty() {
            if errors.is_empty() {
                ok += 1;
            } else {
                ok_with_missing_files += 1;
            }
        } else {
            // A value the server's list lacks (a newer model name) or an output it does not
            // have: the template needs a newer server; the conversion is not at fault.
            let newer = real.iter().all(|(_, _, kind, msg)| {
                (kind == "value_not_in_list"
                    && ![
                        "'fixed'",
                        "'increment'",
                        "'decrement'",
                        "'randomize'",
                        "'image'",
                    ]
                    .iter()
                    .any(|c| msg.contains(&format!(": {c} not in"))))
                    || (kind == "bad_linked_input" && msg.contains("has no output"))
            });
            if newer {
                needs_newer += 1;
            }
            for (_, class, kind, _) in &real {
                *reasons.entry(format!("{kind} ({class})")).or_default() += 1;
            }
            failures.push((
                name.clone(),
                real.iter()
                    .map(|(n, c, k, m)| format!("node {n} {c}: {k}: {m}"))
                    .collect::<Vec<_>>()
                    .join(" | "),
            ));
        }
        if verbose {
            eprintln!(
                "{name}: {} nodes, {} error(s)",
                wf.nodes.len(),
                errors.len()
            );
        }
    }
    if list_eligible {
        return;
    }
    let good = ok + ok_with_missing_files;
    let pct = if eligible > 0 {
        100.0 * good as f64 / eligible as f64
    } else {
        0.0
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"ui_workflows": ui, "eligible": eligible, "valid": ok,
                "valid_except_missing_files": ok_with_missing_files, "percent": pct,
                "needs_newer_server": needs_newer,
                "convert_ms_per_workflow": convert_time.as_secs_f64() * 1000.0 / eligible.max(1) as f64,
                "parse_ms_per_workflow": parse_time.as_secs_f64() * 1000.0 / eligible.max(1) as f64,
                "validate_ms_per_workflow": validate_time.as_secs_f64() * 1000.0 / eligible.max(1) as f64,
                "max_parse_and_convert_ms": max_convert.as_secs_f64() * 1000.0,
                "failures": failures.iter().map(|(f, r)| serde_json::json!({"file": f, "reason": r})).collect::<Vec<_>>()})
        );
    } else {
        println!("editor workflows:            {ui}");
        println!("all node types known:        {eligible}");
        println!("valid as converted:          {ok}");
        println!("valid but for missing files: {ok_with_missing_files}");
        println!("converted correctly:         {good}/{eligible} = {pct:.1}%");
        println!(
            "of the {} others:             {needs_newer} only use values or outputs this server lacks (a newer server's template)",
            eligible - good
        );
        println!(
            "conversion time:             {:.2} ms per workflow",
            convert_time.as_secs_f64() * 1000.0 / eligible.max(1) as f64
        );
        if !failures.is_empty() {
            println!("\nfailures by reason:");
            for (r, n) in &reasons {
                println!("  {n:4}  {r}");
            }
            println!("\nfailures:");
            for (f, r) in &failures {
                println!("  {f}: {r}");
            }
        }
    }
    let conversion_errors = reasons.get("conversion error").copied().unwrap_or(0);
    if conversion_errors > 0 {
        eprintln!("FAIL: {conversion_errors} workflow(s) could not be converted");
        std::process::exit(1);
    }
    if let Some(min) = min_percent
        && pct < min
    {
        eprintln!("FAIL: {pct:.1}% is below the floor of {min}%");
        std::process::exit(1);
    }
}

/// A converted prompt: node id → node.
type Prompt = serde_json::Map<String, Value>;

/// Compares every conversion with the editor's golden output; false when a template could not
/// be converted.
fn against_editor(
    dir: &std::path::Path,
    golden: &str,
    defs: &NodeDefs,
    verbose: bool,
    candidate: Option<&str>,
) -> bool {
    use editor_golden::Kind;
    let entries = editor_golden::read(std::path::Path::new(golden));
    // Another converter's prompts, by template; an `error` line is a template it could not
    // convert.
    let others: Option<BTreeMap<String, Result<Prompt, String>>> = candidate.map(|path| {
        std::fs::read_to_string(path)
            .expect("candidate file")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("candidate line");
                let name = v["template"].as_str().unwrap_or("").to_string();
                let out = match v.get("output").and_then(Value::as_object) {
                    Some(o) => Ok(o.clone()),
                    None => Err(v["error"].as_str().unwrap_or("no output").to_string()),
                };
                (name, out)
            })
            .collect()
    });
    let mut candidate_failed = Vec::new();
    let (mut equal, mut only_invalid, mut formatting_only) = (0, 0, 0);
    let mut different: Vec<(String, Vec<editor_golden::Diff>)> = Vec::new();
    let mut not_loaded = Vec::new();
    let mut failed = Vec::new();
    let mut took = std::time::Duration::ZERO;
    let mut formatting = 0usize;
    for g in &entries {
        let path = dir.join(&g.template);
        let text = std::fs::read_to_string(&path).expect("template");
        let t = Instant::now();
        let doc: Value = serde_json::from_str(&text).expect("template JSON");
        let converted = convert(&doc, &g.template, defs);
        took += t.elapsed();
        let mut ours = match converted {
            Ok(c) => {
                if verbose {
                    for w in &c.warnings {
                        println!("  warning: {}: {w}", g.template);
                    }
                }
                c.workflow.nodes
            }
            Err(e) => {
                failed.push(format!("{}: {e}", g.template));
                continue;
            }
        };
        if let Some(others) = &others {
            match others.get(&g.template) {
                Some(Ok(o)) => ours = o.clone(),
                Some(Err(e)) => {
                    candidate_failed.push(format!("{}: {e}", g.template));
                    continue;
                }
                None => {
                    candidate_failed.push(format!("{}: not in the candidate file", g.template));
                    continue;
                }
            }
        }
        let Some(output) = &g.output else {
            not_loaded.push(format!(
                "{}: {}",
                g.template,
                g.error.as_deref().unwrap_or("")
            ));
            continue;
        };
        let diffs = editor_golden::compare(&g.template, output, &ours, defs);
        formatting += diffs.iter().filter(|d| d.kind == Kind::Formatting).count();
        let real: Vec<_> = diffs
            .iter()
            .filter(|d| d.kind != Kind::Formatting)
            .cloned()
            .collect();
        if real.is_empty() {
            if diffs.is_empty() {
                equal += 1;
            } else {
                formatting_only += 1;
            }
        } else if real.iter().all(|d| d.kind == Kind::EditorInvalid) {
            only_invalid += 1;
            different.push((g.template.clone(), real));
        } else {
            different.push((g.template.clone(), real));
        }
        if verbose {
            for d in diffs.iter().filter(|d| d.kind == Kind::Formatting) {
                println!("  formatting: {d}");
            }
        }
    }
    let n = entries.len();
    let frontend = entries
        .iter()
        .find_map(|g| g.frontend.clone())
        .unwrap_or_default();
    let real_diff = different.len() - only_invalid + candidate_failed.len();
    match candidate {
        Some(c) => println!("{c} against editor {frontend}: {n} templates"),
        None => println!("comfyctl against editor {frontend}: {n} templates"),
    }
    println!("equal to the editor:         {}", equal + formatting_only);
    println!("  byte-identical inputs:     {equal}");
    println!("  numbers written otherwise: {formatting_only} ({formatting} values)");
    println!(
        "differ only where the editor's value fails the server's declared type/range/options: {only_invalid}"
    );
    println!("different:                   {real_diff}");
    println!("the editor cannot load:      {}", not_loaded.len());
    println!(
        "equal or editor invalid:     {}/{} = {:.1}%",
        equal + formatting_only + only_invalid,
        n - not_loaded.len(),
        100.0 * (equal + formatting_only + only_invalid) as f64
            / (n - not_loaded.len()).max(1) as f64
    );
    if candidate.is_none() {
        println!(
            "conversion time:             {:.2} ms per workflow (parse and convert)",
            took.as_secs_f64() * 1000.0 / n.max(1) as f64
        );
    }
    for (t, diffs) in &different {
        println!("\n{t}:");
        for d in diffs {
            let tag = if d.kind == Kind::EditorInvalid {
                "editor invalid"
            } else {
                "different"
            };
            println!(
                "  {tag}: node {} ({}) {}: editor {} / ours {}{}",
                d.node,
                d.class,
                d.input.as_deref().unwrap_or("(node)"),
                d.editor,
                d.ours,
                d.why
                    .as_ref()
                    .map(|w| format!(" — editor's value {w}"))
                    .unwrap_or_default()
            );
        }
    }
    for l in &candidate_failed {
        println!("\nthe candidate could not convert {l}");
    }
    for l in &not_loaded {
        println!("\nthe editor cannot load {l}");
    }
    for f in &failed {
        println!("\nFAIL: cannot convert {f}");
    }
    failed.is_empty()
}
