//! The machine contract: the shape of every `--json` / `--jsonl` document each command prints,
//! pinned in `tests/snapshots/json/`. A shape keeps every key and the type of every value (the
//! values of `type`, `status`, `kind` and `schema_version` literally); arrays show the union of
//! their items' shapes. A change to a shape shows up as a diff of the snapshot:
//! `UPDATE_SNAPSHOTS=1 cargo test --test it json_shapes` rewrites them.

use crate::common::fake_server::{FakeOptions, FakeServer, Faults};
use crate::common::{comfyctl, comfyctl_std, sample_workflow, write_workflow};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Keys whose values are part of the contract, not data.
const LITERAL: &[&str] = &["type", "status", "kind", "schema_version", "valid", "ready"];

fn shape(v: &Value, key: Option<&str>) -> Value {
    match v {
        Value::Null => json!("null"),
        Value::Bool(b) if key.is_some_and(|k| LITERAL.contains(&k)) => json!(b),
        Value::Bool(_) => json!("bool"),
        Value::Number(n) if key == Some("schema_version") => json!(n),
        Value::Number(_) => json!("number"),
        Value::String(s) if key.is_some_and(|k| LITERAL.contains(&k)) => json!(s),
        Value::String(_) => json!("string"),
        Value::Array(items) => {
            let mut merged: Option<Value> = None;
            for i in items {
                let s = shape(i, None);
                merged = Some(match merged {
                    None => s,
                    Some(m) => merge(m, s),
                });
            }
            match merged {
                Some(m) => json!([m]),
                None => json!([]),
            }
        }
        Value::Object(o) => {
            let sorted: BTreeMap<&String, Value> =
                o.iter().map(|(k, v)| (k, shape(v, Some(k)))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
    }
}

fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let m = match a.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                a.insert(k, m);
            }
            let sorted: BTreeMap<String, Value> = a.into_iter().collect();
            Value::Object(sorted.into_iter().collect::<Map<_, _>>())
        }
        (Value::Array(a), Value::Array(b)) => match (a.into_iter().next(), b.into_iter().next()) {
            (Some(x), Some(y)) => json!([merge(x, y)]),
            (Some(x), None) | (None, Some(x)) => json!([x]),
            (None, None) => json!([]),
        },
        (a, b) if a == b => a,
        (a, b) => {
            let mut parts: Vec<String> = Vec::new();
            for v in [a, b] {
                let s = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                for p in s.split('|') {
                    if !parts.iter().any(|x| x == p) {
                        parts.push(p.to_string());
                    }
                }
            }
            parts.sort();
            json!(parts.join("|"))
        }
    }
}

/// The published schemas (docs/schema/), compiled once.
fn schemas() -> &'static Vec<(String, Value, jsonschema::Validator)> {
    static S: std::sync::OnceLock<Vec<(String, Value, jsonschema::Validator)>> =
        std::sync::OnceLock::new();
    S.get_or_init(|| {
        comfyctl::schemas::all_schemas()
            .into_iter()
            .map(|(name, schema)| {
                let v = jsonschema::validator_for(&schema)
                    .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"));
                (name.to_string(), schema, v)
            })
            .collect()
    })
}

/// Every document must validate against the published schema for its `type`; a line of a
/// tagged family (job events, the live view) against that family's schema.
fn validate(name: &str, doc: &Value) {
    let t = doc["type"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no type: {doc}"));
    let all = schemas();
    let exact: Vec<_> = all
        .iter()
        .filter(|(_, s, _)| s.pointer("/properties/type/const").and_then(Value::as_str) == Some(t))
        .collect();
    // A line of a tagged family may share its `type` with a one-shot document (`submitted`:
    // the job event, and `run --detach --json`): the exact schemas first, then the families.
    let candidates: Vec<_> = exact
        .into_iter()
        .chain(
            all.iter()
                .filter(|(n, _, _)| n == "event" || n == "server-message"),
        )
        .collect();
    let mut errors = Vec::new();
    for (schema_name, _, v) in &candidates {
        match v.validate(doc) {
            Ok(()) => return,
            Err(e) => errors.push(format!("{schema_name}: {e}")),
        }
    }
    panic!(
        "{name}: a `{t}` document fails its schema:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

/// Compares with (or, under `UPDATE_SNAPSHOTS`, writes) `tests/snapshots/json/NAME.json`.
fn check(name: &str, doc: &Value) {
    validate(name, doc);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/json")
        .join(format!("{name}.json"));
    let got = serde_json::to_string_pretty(&shape(doc, None)).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run UPDATE_SNAPSHOTS=1 cargo test --test it json_shapes",
            path.display()
        )
    });
    assert_eq!(
        got,
        want,
        "the JSON shape of {name} changed (UPDATE_SNAPSHOTS=1 rewrites {})",
        path.display()
    );
}

/// One JSON document from stdout.
fn one(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// JSON Lines from stdout, merged by `type` into one object per type (each line validated
/// against its schema on the way).
fn lines_by_type(out: &std::process::Output) -> Value {
    let mut by: BTreeMap<String, Value> = BTreeMap::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        validate("a JSON line", &v);
        let t = v["type"].as_str().unwrap_or("(no type)").to_string();
        let s = shape(&v, None);
        let m = match by.remove(&t) {
            Some(old) => merge(old, s),
            None => s,
        };
        by.insert(t, m);
    }
    Value::Object(by.into_iter().collect())
}

/// True when every key and type of `seen` is in `snap` (types there may list alternatives).
fn contained(seen: &Value, snap: &Value) -> bool {
    match (seen, snap) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| contained(v, w))),
        (Value::Array(a), Value::Array(b)) => match (a.first(), b.first()) {
            (None, _) => true,
            (Some(x), Some(y)) => contained(x, y),
            (Some(_), None) => false,
        },
        (Value::String(a), Value::String(b)) => a.split('|').all(|x| b.split('|').any(|y| y == x)),
        (a, b) => a == b,
    }
}

/// JSON Lines: which types appear, and when, depends on timing, so each line's shape must fit
/// the snapshot's shape for its type (which accumulates what was seen under
/// `UPDATE_SNAPSHOTS`), and the types in `always` must appear.
fn check_lines(name: &str, out: &std::process::Output, always: &[&str]) {
    let merged = lines_by_type(out);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/json")
        .join(format!("{name}.json"));
    for t in always {
        assert!(
            merged.get(*t).is_some(),
            "{name}: no line of type {t}: {merged:#}"
        );
    }
    let old: Option<Value> = std::fs::read_to_string(&path)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let all = match old {
            Some(o) => merge(o, merged),
            None => merged,
        };
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap() + "\n").unwrap();
        return;
    }
    let want = old.unwrap_or_else(|| {
        panic!(
            "no snapshot {}: run UPDATE_SNAPSHOTS=1 cargo test --test it json_shapes",
            path.display()
        )
    });
    assert!(
        contained(&merged, &want),
        "the JSON Lines shapes of {name} changed (UPDATE_SNAPSHOTS=1 adds them to {}):\nseen {merged:#}\nsnapshot {want:#}",
        path.display()
    );
}

fn cmd(dir: &Path, srv: &FakeServer, args: &[&str]) -> std::process::Output {
    comfyctl(dir)
        .args(args)
        .args(["--url", &srv.url()])
        .output()
        .unwrap()
}

#[test]
fn run_shapes() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write_workflow(d, "wf.json", &sample_workflow());
    let wf = p.to_str().unwrap();

    check("run_success", &one(&cmd(d, &srv, &["run", wf, "--json"])));
    check_lines(
        "run_jsonl",
        &cmd(d, &srv, &["run", wf, "--jsonl"]),
        &["submitted", "saved", "result"],
    );
    check(
        "run_detach",
        &one(&cmd(d, &srv, &["run", wf, "--detach", "--json"])),
    );
    check(
        "run_rejected_locally",
        &one(&cmd(d, &srv, &["run", wf, "--steps", "0", "--json"])),
    );
    check(
        "run_rejected_by_server",
        &one(&cmd(
            d,
            &srv,
            &["run", wf, "--steps", "0", "--no-validate", "--json"],
        )),
    );
    check(
        "run_no_download",
        &one(&cmd(d, &srv, &["run", wf, "--no-download", "--json"])),
    );
    let out = comfyctl(d)
        .args(["run", wf, "--json", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    check("run_unreachable", &one(&out));

    let failing = FakeServer::start(FakeOptions {
        faults: Faults {
            fail_class: Some("KSampler".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    check(
        "run_execution_error",
        &one(&cmd(d, &failing, &["run", wf, "--json"])),
    );

    let slow = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(400),
        ..Default::default()
    });
    check(
        "run_timeout",
        &one(&cmd(d, &slow, &["run", wf, "--json", "--timeout", "0.5"])),
    );
}

#[test]
fn batch_shapes() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write_workflow(d, "wf.json", &sample_workflow());
    let wf = p.to_str().unwrap();
    check(
        "batch_summary",
        &one(&cmd(
            d,
            &srv,
            &["batch", wf, "--sweep", "cfg=4,7", "-o", "b1", "--json"],
        )),
    );
    check_lines(
        "batch_jsonl",
        &cmd(
            d,
            &srv,
            &["batch", wf, "--sweep", "cfg=4,7", "-o", "b2", "--jsonl"],
        ),
        &["summary"],
    );
    check_lines(
        "batch_dry_run",
        &cmd(
            d,
            &srv,
            &["batch", wf, "--count", "2", "--dry-run", "--json"],
        ),
        &[],
    );
}

#[test]
fn workflow_command_shapes() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write_workflow(d, "wf.json", &sample_workflow());
    let wf = p.to_str().unwrap();
    check("params", &one(&cmd(d, &srv, &["params", wf, "--json"])));
    check(
        "validate_ok",
        &one(&cmd(d, &srv, &["validate", wf, "--json"])),
    );
    check(
        "validate_rejected",
        &one(&cmd(d, &srv, &["validate", wf, "--steps", "0", "--json"])),
    );
    let mut needs = sample_workflow();
    needs["20"] = json!({"class_type": "IPAdapterAdvanced", "inputs": {}});
    needs["21"] = json!({"class_type": "LoadImage", "inputs": {"image": "ref.png"}});
    let p2 = write_workflow(d, "needs.json", &needs);
    check(
        "deps",
        &one(&cmd(d, &srv, &["deps", p2.to_str().unwrap(), "--json"])),
    );
}

#[test]
fn server_command_shapes() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(150),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write_workflow(d, "wf.json", &sample_workflow());
    let wf = p.to_str().unwrap();
    let first = one(&cmd(d, &srv, &["run", wf, "--detach", "--json"]));
    let _second = one(&cmd(d, &srv, &["run", wf, "--detach", "--json"]));
    check("queue", &one(&cmd(d, &srv, &["queue", "--json"])));
    let id = first["prompt_id"].as_str().unwrap().to_string();
    let cid = first["client_id"].as_str().unwrap().to_string();
    check_lines(
        "watch_prompt_jsonl",
        &cmd(
            d,
            &srv,
            &["watch", "--prompt-id", &id, "--client-id", &cid, "--jsonl"],
        ),
        &["result"],
    );
    check(
        "cancel",
        &one(&cmd(
            d,
            &srv,
            &["cancel", "00000000-0000-4000-8000-000000000000", "--json"],
        )),
    );
    // Let the queue drain, then the job list and one job.
    std::thread::sleep(Duration::from_millis(2500));
    check("logs_one", &one(&cmd(d, &srv, &["logs", &id, "--json"])));
    check("logs_list", &one(&cmd(d, &srv, &["logs", "--json"])));
    check_lines(
        "logs_server",
        &cmd(d, &srv, &["logs", "--server", "--json"]),
        &["log"],
    );
    check("health", &one(&cmd(d, &srv, &["health", "--json"])));
    check(
        "config_show",
        &one(&cmd(d, &srv, &["config", "show", "--json"])),
    );

    // The live view: everything the socket says while another client's job runs.
    let child = comfyctl_std(d)
        .args(["watch", "--jsonl", "--timeout", "3", "--url", &srv.url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let _ = one(&cmd(d, &srv, &["run", wf, "--detach", "--json"]));
    let out = child.wait_with_output().unwrap();
    check_lines("watch_monitor_jsonl", &out, &["status", "job_finished"]);
}

#[test]
fn local_command_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = comfyctl(d)
        .env("PATH", d.join("no-bin"))
        .args(["hw", "--json"])
        .output()
        .unwrap();
    check("hw", &one(&out));
    let out = comfyctl(d)
        .env("PATH", d.join("no-bin"))
        .args(["setup", "--dry-run", "--json", "--workspace", "ws"])
        .output()
        .unwrap();
    check("setup_dry_run", &one(&out));
}

#[test]
fn the_published_schemas_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema");
    for (name, schema) in comfyctl::schemas::all_schemas() {
        let want = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let got = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap_or_default();
        assert_eq!(
            got, want,
            "docs/schema/{name}.json is stale: cargo run --example gen_schemas"
        );
    }
}
