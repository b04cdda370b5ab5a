//! `comfyctl run` end to end against the fake server: success, every failure's message and
//! exit code, reconnects, downloads, and the output-path rules.

use crate::common::fake_server::{FakeOptions, FakeServer, Version};
use crate::common::{comfyctl, comfyctl_with_disk_limit, sample_workflow, walk, write_workflow};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

fn run(dir: &Path, srv: &FakeServer, wf: &Value, extra: &[&str]) -> Output {
    let p = write_workflow(dir, "wf.json", wf);
    comfyctl(dir)
        .arg("run")
        .arg(&p)
        .arg("--url")
        .arg(srv.url())
        .args(extra)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn invert_workflow(scale: Option<f64>) -> Value {
    let mut wf = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "e2e/invert"}}
    });
    if let Some(s) = scale {
        wf["2"] = json!({"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": s}});
    }
    wf
}

#[test]
fn sample_run_saves_output_with_subfolder() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &[]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "outputs/e2e/sample_00001_.png");
    let saved = dir.path().join("outputs/e2e/sample_00001_.png");
    assert_eq!(std::fs::read(saved).unwrap(), FakeServer::default_output());
    // Milestone lines on a non-terminal stderr, no progress-bar escapes.
    let err = text(&out.stderr);
    assert!(
        err.contains("submitted prompt") && err.contains("success in"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err}");
    // The submission used a client prompt id and a client_id, once.
    assert_eq!(srv.prompt_posts(), 1);
}

#[test]
fn older_server_works_too() {
    let srv = FakeServer::start(FakeOptions {
        version: Version::V0_3_64,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["--json"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "success");
}

#[test]
fn set_changes_inputs_and_print_prompt_needs_no_server() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args([
            "run",
            p.to_str().unwrap(),
            "--set",
            "3.seed=7",
            "--set",
            "Positive.text=a dog",
            "--set-json",
            "3.cfg=5.5",
            "--print-prompt",
        ])
        .args(["--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["3"]["inputs"]["seed"], 7);
    assert_eq!(v["3"]["inputs"]["cfg"], 5.5);
    assert_eq!(v["6"]["inputs"]["text"], "a dog");
    // Key order is kept.
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["4", "6", "7", "5", "3", "8", "9"]);
}

#[test]
fn bad_inputs_exit_2_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        "{\n  \"3\": {\"class_type\": \"KSampler\",\n}",
    )
    .unwrap();
    let out = comfyctl(dir.path())
        .args(["run", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.json:3:1: invalid JSON"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(
        dir.path().join("ui.json"),
        r#"{"nodes": [], "links": [], "version": 0.4}"#,
    )
    .unwrap();
    let out = comfyctl(dir.path())
        .args(["run", "ui.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "ui.json: cannot convert the editor workflow: the editor workflow has no nodes"
        ),
        "{}",
        text(&out.stderr)
    );

    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["run", p.to_str().unwrap(), "--set", "3.sed=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("has no input 'sed'") && e.contains("cfg, denoise, latent_image"),
        "{e}"
    );

    let out = comfyctl(dir.path())
        .args(["run", p.to_str().unwrap(), "--set", "3.positive=hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("node 3 (KSampler)") && e.contains("node 6 (CLIPTextEncode)"),
        "{e}"
    );

    let out = comfyctl(dir.path())
        .args(["run", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = comfyctl(dir.path()).args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn comment_keys_are_dropped_with_a_warning() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut wf = invert_workflow(None);
    wf["_comment"] = json!("made by hand");
    let out = run(dir.path(), &srv, &wf, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("dropped top-level key '_comment'"));
}

#[test]
fn validation_error_exit_3_names_node_and_input() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut wf = sample_workflow();
    wf["4"]["inputs"]["ckpt_name"] = json!("nope.safetensors");
    // Caught before sending, in the server's words; and by the server itself with
    // --no-validate. Both read the same.
    for (flags, who) in [
        (&[][..], "the server would reject the prompt"),
        (&["--no-validate"][..], "the server rejected the prompt"),
    ] {
        let before = srv.prompt_posts();
        let out = run(dir.path(), &srv, &wf, flags);
        assert_eq!(out.status.code(), Some(3));
        let e = text(&out.stderr);
        assert!(
            e.contains(&format!("{who}: Prompt outputs failed validation")),
            "{e}"
        );
        assert!(e.contains("node 4 CheckpointLoaderSimple"), "{e}");
        assert!(e.contains("ckpt_name: Value not in list — ckpt_name: 'nope.safetensors' not in ['tiny-random-sd15.safetensors']"), "{e}");
        assert!(text(&out.stdout).is_empty());
        let after = srv.prompt_posts();
        assert_eq!(after - before, flags.len(), "sent only with --no-validate");
    }

    let out = run(dir.path(), &srv, &wf, &["--json", "--no-validate"]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["error"]["rejected_by"], "server");
    assert_eq!(v["error"]["node_errors"][0]["node_id"], "4");
    assert_eq!(
        v["error"]["node_errors"][0]["errors"][0]["type"],
        "value_not_in_list"
    );
    assert_eq!(
        v["error"]["node_errors"][0]["errors"][0]["input_name"],
        "ckpt_name"
    );

    let wf = json!({"1": {"class_type": "NoSuchNodeXYZ", "inputs": {}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}});
    let out = run(dir.path(), &srv, &wf, &["--no-validate"]);
    assert_eq!(out.status.code(), Some(3));
    let e = text(&out.stderr);
    assert!(
        e.contains("Node 'NoSuchNodeXYZ' not found") && e.contains("missing_node_type"),
        "{e}"
    );
}

#[test]
fn partial_acceptance_exits_3_unless_allowed() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut wf = invert_workflow(None);
    wf["10"] = json!({"class_type": "EmptyImage", "inputs": {"width": 0, "height": 64, "batch_size": 1, "color": 0}});
    wf["11"] = json!({"class_type": "SaveImage", "inputs": {"images": ["10", 0], "filename_prefix": "bad"}});
    // comfyctl sees it first and sends nothing.
    let out = run(dir.path(), &srv, &wf, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(
        e.contains("some outputs would fail validation (only 3 would run)")
            && e.contains("width: Value 0 smaller than min of 1"),
        "{e}"
    );
    assert!(text(&out.stdout).is_empty());
    assert!(!srv.requests().iter().any(|r| r == "POST /prompt"));
    // The server's own partial acceptance.
    let out = run(dir.path(), &srv, &wf, &["--no-validate"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(
        e.contains("dropped outputs") && e.contains("width: Value 0 smaller than min of 1"),
        "{e}"
    );
    assert_eq!(
        text(&out.stdout).trim(),
        "outputs/e2e/invert_00001_.png",
        "the valid output still arrives"
    );
    let out = run(dir.path(), &srv, &wf, &["--allow-partial"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn execution_error_exit_1_with_node_and_exception() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &invert_workflow(Some(0.01)), &[]);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(
        e.contains("node 2 (ImageScaleBy) failed: RuntimeError: Input and output sizes"),
        "{e}"
    );
    let out = run(
        dir.path(),
        &srv,
        &invert_workflow(Some(0.01)),
        &["--json", "-q"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["error"]["kind"], "execution");
    assert_eq!(v["error"]["node_id"], "2");
    assert_eq!(v["error"]["exception_type"], "RuntimeError");
    assert!(v["error"]["traceback"].as_array().unwrap().len() == 1);
}

#[test]
fn json_schema_of_a_success() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["status"], "success");
    assert!(uuid_like(v["prompt_id"].as_str().unwrap()));
    let o = &v["outputs"][0];
    assert_eq!(o["node_id"], "9");
    assert_eq!(o["kind"], "images");
    assert_eq!(o["subfolder"], "e2e");
    assert_eq!(o["path"], "outputs/e2e/sample_00001_.png");
    assert_eq!(o["bytes"], FakeServer::default_output().len());
    assert!(v["timings"]["total_ms"].is_u64());
    assert!(v["timings"]["execution_ms"].is_u64());
    assert!(v["error"].is_null());
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase() || c == '-')
}

#[test]
fn jsonl_streams_events_then_result() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["--jsonl"]);
    assert!(out.status.success());
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"connected"));
    assert!(
        types.contains(&"submitted") && types.contains(&"progress") && types.contains(&"saved"),
        "{types:?}"
    );
    assert_eq!(types.last(), Some(&"result"));
    assert_eq!(lines.last().unwrap()["status"], "success");
}

#[test]
fn all_cached_rerun_still_gets_outputs_from_history() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(dir.path(), &srv, &sample_workflow(), &[])
            .status
            .success()
    );
    let out = run(dir.path(), &srv, &sample_workflow(), &["--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cached_nodes"].as_array().unwrap().len(), 7);
    // Same server name again: saved beside the first, never over it.
    assert_eq!(v["outputs"][0]["path"], "outputs/e2e/sample_00001_-1.png");
    assert!(dir.path().join("outputs/e2e/sample_00001_.png").exists());
}

#[test]
fn no_overwrite_unless_asked_and_flat_output() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("outputs/e2e")).unwrap();
    std::fs::write(dir.path().join("outputs/e2e/invert_00001_.png"), "precious").unwrap();
    let out = run(dir.path(), &srv, &invert_workflow(None), &[]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), "outputs/e2e/invert_00001_-1.png");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("outputs/e2e/invert_00001_.png")).unwrap(),
        "precious"
    );

    // --overwrite replaces the taken name instead of numbering; --flat-output drops "e2e/".
    std::fs::create_dir_all(dir.path().join("flat")).unwrap();
    std::fs::write(dir.path().join("flat/invert_00001_.png"), "stale").unwrap();
    let out = run(
        dir.path(),
        &srv,
        &invert_workflow(None),
        &["--overwrite", "--flat-output", "-o", "flat"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "flat/invert_00001_.png");
    assert_eq!(
        std::fs::read(dir.path().join("flat/invert_00001_.png")).unwrap(),
        FakeServer::default_output()
    );
    assert_eq!(walk(&dir.path().join("flat")).len(), 1, "no numbered copy");
}

#[test]
fn text_outputs_go_to_stderr_and_json_not_stdout() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut wf = invert_workflow(None);
    wf["20"] = json!({"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}});
    let out = run(dir.path(), &srv, &wf, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "outputs/e2e/invert_00001_.png");
    assert!(
        text(&out.stderr).contains("text from node 20: preview of ImageInvert #2"),
        "{}",
        text(&out.stderr)
    );
    let out = run(dir.path(), &srv, &wf, &["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["texts"],
        json!([{"node_id": "20", "text": "preview of ImageInvert #2"}])
    );
}

#[test]
fn no_download_prints_view_urls() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["--no-download"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "{}/view?filename=sample_00001_.png&subfolder=e2e&type=output",
            srv.url()
        )
    );
    assert!(!dir.path().join("outputs").exists());
}

#[test]
fn traversal_attempts_are_refused_and_nothing_escapes() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.extra_outputs = vec![
            json!({"filename": "../../escape.png", "subfolder": "", "type": "output"}),
            json!({"filename": "x.png", "subfolder": "../../etc", "type": "output"}),
            json!({"filename": "y.png", "subfolder": "/abs", "type": "output"}),
            json!({"filename": "z.png", "subfolder": "C:\\win", "type": "output"}),
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &invert_workflow(None), &["-o", "sub/out"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert_eq!(
        e.matches("warning: refusing to save output").count(),
        4,
        "{e}"
    );
    assert_eq!(text(&out.stdout).trim(), "sub/out/e2e/invert_00001_.png");
    let all: Vec<_> = walk(dir.path());
    assert!(
        all.iter().all(|p| p.starts_with(dir.path().join("sub/out"))
            || p.starts_with(dir.path().join(".cache-comfyctl"))
            || p.ends_with("wf.json")),
        "{all:?}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_in_output_dir_is_not_followed() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("outputs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("outputs/e2e")).unwrap();
    let out = run(dir.path(), &srv, &invert_workflow(None), &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("symlink"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn websocket_dropped_at_every_message_index_still_finishes() {
    // The sample run sends 4 + 7 nodes × ~3 + 4 steps × 3 + 4 messages; cover every index.
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    for n in 1..=45 {
        let mut wf = sample_workflow();
        wf["3"]["inputs"]["seed"] = json!(1000 + n); // a fresh run every time, not a cached one
        srv.faults(|f| f.ws_drop_after = Some(n));
        let out = run(dir.path(), &srv, &wf, &["--json", "-q"]);
        assert!(
            out.status.success(),
            "drop after {n}: {}",
            text(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["status"], "success", "drop after {n}");
        let path = v["outputs"][0]["path"].as_str().unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(path)).unwrap(),
            FakeServer::default_output(),
            "drop after {n}"
        );
    }
    let posts = srv.prompt_posts();
    assert_eq!(posts, 45, "never submitted twice");
}

#[test]
fn websocket_refused_falls_back_to_polling() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| f.ws_refuse = 100);
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("following the job by polling"));
    assert!(dir.path().join("outputs/e2e/sample_00001_.png").exists());
}

#[test]
fn history_written_late_is_waited_for() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| f.history_delay = Some(std::time::Duration::from_millis(600)));
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn execution_blocked_is_not_the_end_and_legacy_messages_work() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.execution_blocked = true;
        f.legacy_messages = true;
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["--jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("execution blocked"), "{s}");
    assert!(s.contains(r#""type":"text""#), "{s}");
    assert!(s.contains(r#""status":"success""#));
}

#[test]
fn server_restart_mid_job_is_reported_lost() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| f.lose_job = true);
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no longer knows prompt"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn transient_5xx_are_retried_and_never_duplicate_a_submission() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.fail_next.insert("prompt".into(), (2, 500));
        f.fail_next.insert("history".into(), (2, 503));
        f.fail_next.insert("view".into(), (2, 502));
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(srv.history_ids().len(), 1, "exactly one run on the server");
}

/// The fault matrix: a burst of each 5xx on each request kind a run makes, and a submission
/// whose answer is lost after the server queued it. Each run ends in success with its output,
/// and the server ran the job exactly once.
#[test]
fn every_request_kind_survives_a_5xx_burst_and_a_lost_answer_never_queues_twice() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("in.png");
    std::fs::write(&img, FakeServer::default_output()).unwrap();
    let cases: Vec<(&str, u16)> = [
        "prompt",
        "history",
        "view",
        "upload",
        "object_info",
        "queue",
    ]
    .into_iter()
    .flat_map(|k| [(k, 500), (k, 502), (k, 503)])
    .chain([("answer-lost", 500)])
    .collect();
    for (kind, status) in cases {
        let srv = FakeServer::start(FakeOptions::default());
        srv.faults(|f| {
            if kind == "answer-lost" {
                f.prompt_answer_lost = 1;
            } else {
                f.fail_next.insert(kind.into(), (2, status));
            }
        });
        let home = tempfile::tempdir().unwrap(); // no cached node definitions
        let wf = write_workflow(home.path(), "wf.json", &invert_workflow(None));
        let out = comfyctl(home.path())
            .args(["run", wf.to_str().unwrap(), "--url", &srv.url()])
            .args(["--image", img.to_str().unwrap(), "--json", "-q"])
            .output()
            .unwrap();
        let e = text(&out.stderr);
        assert!(out.status.success(), "{kind} {status}: {e}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["outputs"].as_array().unwrap().len(), 1, "{kind} {status}");
        assert_eq!(
            srv.history_ids().len(),
            1,
            "{kind} {status}: ran exactly once"
        );
        let queued = srv.prompt_posts();
        // Two refused submissions before the third; otherwise one (a lost answer is asked about).
        let expect = if kind == "prompt" { 3 } else { 1 };
        assert_eq!(queued, expect, "{kind} {status}: submissions");
    }
}

/// The `exec_error` and `invert` recordings' messages, with the socket dropped after each and
/// the first reconnects refused: the run still ends as the failure it was (node and exception),
/// or with its output.
#[test]
fn websocket_dropped_at_every_message_of_the_failing_and_invert_runs_still_ends_right() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    for n in 1..=20 {
        let mut wf = invert_workflow(Some(0.01));
        wf["3"]["inputs"]["filename_prefix"] = json!(format!("e2e/fail{n}")); // not cached
        srv.faults(|f| {
            f.ws_drop_after = Some(n);
            f.ws_refuse = 2; // and the first reconnects are refused
        });
        let out = run(dir.path(), &srv, &wf, &["--json", "-q"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "drop after {n}: {}",
            text(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["error"]["kind"], "execution", "drop after {n}");
        assert_eq!(v["error"]["node_id"], "2", "drop after {n}");
        assert_eq!(
            v["error"]["exception_type"], "RuntimeError",
            "drop after {n}"
        );
    }
    // The `invert` recording (no sampler, an output from a loaded image), the same way.
    for n in 1..=16 {
        let mut wf = invert_workflow(None);
        wf["3"]["inputs"]["filename_prefix"] = json!(format!("e2e/inv{n}"));
        srv.faults(|f| {
            f.ws_drop_after = Some(n);
            f.ws_refuse = 2;
        });
        let out = run(dir.path(), &srv, &wf, &["--json", "-q"]);
        assert!(
            out.status.success(),
            "drop after {n}: {}",
            text(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["outputs"].as_array().unwrap().len(), 1, "drop after {n}");
    }
}

#[test]
fn truncated_download_is_retried_and_never_left_partial() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.output_size = Some(300_000);
        f.view_truncate = 2;
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("retry"), "{}", text(&out.stderr));
    let files = walk(&dir.path().join("outputs"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), 300_000);

    srv.faults(|f| f.view_truncate = 100);
    let mut wf = sample_workflow();
    wf["3"]["inputs"]["seed"] = json!(99);
    let out = run(dir.path(), &srv, &wf, &[]);
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(e.contains("download of sample_00002_.png failed"), "{e}");
    assert!(
        !e.contains("is ComfyUI running"),
        "not a connection problem: {e}"
    );
    assert_eq!(
        walk(&dir.path().join("outputs")).len(),
        1,
        "no partial file left behind"
    );
}

#[test]
fn a_full_disk_mid_download_says_so_and_leaves_nothing_partial() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| f.output_size = Some(1 << 20));
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl_with_disk_limit(dir.path(), 256 << 10)
        .args(["run", p.to_str().unwrap(), "--url", &srv.url(), "-o", "out"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("File too large"), "{e}");
    assert!(e.contains("hint: the disk is full"), "{e}");
    assert!(
        walk(&dir.path().join("out")).is_empty(),
        "nothing partial left: {:?}",
        walk(&dir.path().join("out"))
    );
    // The same job with room: the whole file, under its own name.
    let out = comfyctl(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", &srv.url(), "-o", "out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files = walk(&dir.path().join("out"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), 1 << 20);
}

#[test]
fn an_output_dir_that_is_a_file_is_a_clear_error() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "a file").unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["-o", "taken/out"]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("cannot write") && e.contains("taken"), "{e}");
    assert!(e.contains("hint: choose a writable directory"), "{e}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken")).unwrap(),
        "a file"
    );
}

#[test]
fn stalled_download_times_out_with_a_message() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.output_size = Some(300_000);
        f.view_stall = true;
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("COMFYCTL_READ_TIMEOUT", "0.5")
        .args(["run", p.to_str().unwrap(), "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("download of sample_00001_.png failed"),
        "{}",
        text(&out.stderr)
    );
    assert!(walk(&dir.path().join("outputs")).is_empty());
}

#[test]
fn unreachable_server_exit_4_with_hint() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(
        e.contains("cannot reach http://127.0.0.1:9") && e.contains("hint:"),
        "{e}"
    );
}

#[test]
fn timeout_exit_5_says_what_was_last_seen() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: std::time::Duration::from_millis(400),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &sample_workflow(), &["--timeout", "1"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("timed out after 1.0s; last seen: node"),
        "{}",
        text(&out.stderr)
    );
    // The job goes on on the server; the hint says how to reach it from the next command.
    let id = srv.queued_ids().pop().expect("still on the server");
    assert!(
        text(&out.stderr).contains(&format!("comfyctl cancel {id} --url {}", srv.url())),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_interrupts_only_our_job_and_exits_130() {
    use std::time::{Duration, Instant};
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(300),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut wf = sample_workflow();
    wf["3"]["inputs"]["steps"] = json!(50);
    let p = write_workflow(dir.path(), "wf.json", &wf);
    let child = crate::common::comfyctl_std(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", &srv.url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !srv
        .requests()
        .iter()
        .any(|r| r.starts_with("GET /view") || r == "POST /prompt")
    {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(800)); // let the sampler start
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("interrupted prompt"),
        "{}",
        text(&out.stderr)
    );
    let reqs = srv.requests();
    let interrupts: Vec<_> = reqs
        .iter()
        .filter(|r| r.starts_with("POST /interrupt"))
        .collect();
    assert_eq!(interrupts.len(), 1, "{reqs:?}");
    let start = Instant::now();
    while srv.history_ids().is_empty() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let id = srv
        .history_ids()
        .pop()
        .expect("the run ended on the server");
    let entry = srv.history_entry(&id).unwrap();
    assert_eq!(entry["status"]["status_str"], "error");
    assert!(
        entry["status"]["messages"]
            .to_string()
            .contains("execution_interrupted")
    );
}

#[test]
fn config_profiles_and_redaction() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "default_profile = \"fake\"\n[profiles.fake]\nurl = \"{}\"\noutput_dir = \"renders\"\napi_key_env = \"MY_KEY\"\n[profiles.fake.headers]\nX-Proxy-Auth = \"hunter2\"\n",
            srv.url()
        ),
    )
    .unwrap();
    let out = comfyctl(dir.path())
        .env("MY_KEY", "sk-secret-123")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains(&srv.url()) && s.contains("profile fake") && s.contains("renders"),
        "{s}"
    );
    assert!(
        !s.contains("sk-secret-123") && !s.contains("hunter2"),
        "{s}"
    );
    let out = comfyctl(dir.path())
        .env("MY_KEY", "sk-secret-123")
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["api_key"], "(redacted)");
    assert_eq!(v["url_source"], "profile fake");

    // The profile drives `run`, and -v never shows the key.
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("MY_KEY", "sk-secret-123")
        .args(["run", p.to_str().unwrap(), "-v"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "renders/e2e/sample_00001_.png");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("sk-secret-123") && !all.contains("hunter2"));

    // Env beats profile; an unknown profile lists the known ones.
    let out = comfyctl(dir.path())
        .env("MY_KEY", "k")
        .env("COMFYCTL_URL", "http://127.0.0.1:9")
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["url_source"], "env COMFYCTL_URL");
    let out = comfyctl(dir.path())
        .args(["config", "show", "--profile", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("available: fake"));

    // A broken config names file, line and column.
    std::fs::write(
        dir.path().join("config.toml"),
        "[profiles.a]\nurl = http://x\n",
    )
    .unwrap();
    let out = comfyctl(dir.path())
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("config.toml:2:7"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn broken_pipe_exits_quietly() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let bin = assert_cmd::cargo::cargo_bin("comfyctl");
    let script = format!(
        "'{}' run '{}' --url {} --jsonl | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        bin.display(),
        p.display(),
        srv.url()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("COMFYCTL_CONFIG", dir.path().join("n.toml"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout).trim(), "0", "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_job_finishing_before_the_server_registered_our_socket_is_not_missed() {
    // The server registers a socket only after the handshake; an all-cached job submitted in
    // that window would send its messages to nobody. comfyctl waits for the greeting first.
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(dir.path(), &srv, &sample_workflow(), &[])
            .status
            .success()
    );
    srv.faults(|f| f.ws_register_delay = Some(std::time::Duration::from_millis(400)));
    let out = run(dir.path(), &srv, &sample_workflow(), &["--jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Followed over the socket (the cached event arrived), not found later by the
    // silent-socket check.
    assert!(events.iter().any(|e| e["type"] == "cached"), "{events:?}");
    assert_eq!(events.last().unwrap()["status"], "success");
}

/// Output names a hostile or broken server could send: `..` everywhere, absolute paths,
/// backslashes, drive letters, NUL and control characters, very long names, Unicode look-alikes
/// of `.` and `/`, Windows oddities, and names that collide.
fn hostile_names(abs_target: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let f = |n: &str| (n.to_string(), String::new());
    let s = |n: &str, sub: &str| (n.to_string(), sub.to_string());
    for n in [
        "..",
        "../x.png",
        "../../x.png",
        "a/../../x.png",
        "a/..",
        "./../x.png",
        "x.png/..",
        "..\\x.png",
        "..\\..\\x.png",
        "a\\..\\..\\x.png",
        "\\x.png",
        "\\\\server\\share\\x.png",
        "/x.png",
        "C:x.png",
        "C:\\x.png",
        "c:/x.png",
        "x.png:stream",
        "a\0.png",
        "\0",
        "\n.png",
        "x\r.png",
        "x\t.png",
        "",
        ".",
        "./",
        "//",
        "x.png.",
        "x.png ",
        "CON",
        "NUL.png",
        "\u{2025}/x.png",
        "\u{ff0e}\u{ff0e}/x.png",
        "..\u{2215}x.png",
        "..\u{2044}x.png",
        "..\u{ff0f}x.png",
        "%2e%2e%2fx.png",
        "..%2fx.png",
        "\u{202e}gnp.x",
        ".\u{200b}./x.png",
        "x.png",
        "x.png",
    ] {
        v.push(f(n));
    }
    v.push(f(abs_target));
    v.push(f(&"a".repeat(300)));
    v.push(f(&format!("{}.png", "é".repeat(200))));
    for (n, sub) in [
        ("x.png", ".."),
        ("x.png", "../.."),
        ("x.png", "a/../.."),
        ("x.png", "..\\.."),
        ("x.png", "/etc"),
        ("x.png", "\\\\server\\share"),
        ("x.png", "D:"),
        ("x.png", "D:\\x"),
        ("x.png", "a\0b"),
        ("x.png", "\u{ff0e}\u{ff0e}"),
        ("x.png", ".\u{200b}."),
    ] {
        v.push(s(n, sub));
    }
    v.push(s("x.png", &"deep/".repeat(900)));
    v.push(s(
        "x.png",
        std::path::Path::new(abs_target)
            .parent()
            .unwrap()
            .to_str()
            .unwrap(),
    ));
    v
}

#[test]
fn fifty_hostile_output_names_never_write_outside_the_output_dir() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let abs_target = outside.path().join("escaped.png");
    let names = hostile_names(abs_target.to_str().unwrap());
    assert!(names.len() >= 50, "{}", names.len());
    srv.faults(|f| {
        f.extra_outputs = names
            .iter()
            .map(|(n, sub)| json!({"filename": n, "subfolder": sub, "type": "output"}))
            .collect();
    });
    // The server also really has files under some of the look-alike names.
    for (n, sub) in &names {
        if !n.contains('/') && !n.contains('\\') && !n.contains('\0') && !n.is_empty() {
            srv.add_file("output", sub, n, b"hostile".to_vec());
        }
    }
    let out = run(dir.path(), &srv, &invert_workflow(None), &["-o", "sub/out"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "not every output could be saved"
    );
    let e = text(&out.stderr);
    assert!(!e.contains("panicked"), "{e}");
    // Everything written is inside sub/out; nothing at all in the other directory.
    for p in walk(dir.path()) {
        assert!(
            p.starts_with(dir.path().join("sub/out"))
                || p.starts_with(dir.path().join(".cache-comfyctl"))
                || p.ends_with("wf.json"),
            "written outside the output dir: {p:?}"
        );
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!abs_target.exists());
    // No temp files left anywhere.
    assert!(
        walk(dir.path())
            .iter()
            .all(|p| !p.to_string_lossy().contains(".part")),
        "a partial file was left"
    );
}

/// A response that sends its headers and then nothing: retried where that is safe (a stalled
/// submission only after asking the server whether the job was queued), and when it keeps
/// happening the message says which request was awaited.
#[test]
fn a_stalled_response_is_retried_and_then_named() {
    for kind in ["object_info", "prompt", "history"] {
        let srv = FakeServer::start(FakeOptions::default());
        srv.faults(|f| {
            f.stall_next.insert(kind.into(), 1);
        });
        let dir = tempfile::tempdir().unwrap();
        let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
        let out = comfyctl(dir.path())
            .env("COMFYCTL_READ_TIMEOUT", "0.3")
            .args(["run", p.to_str().unwrap(), "--url", &srv.url(), "-v"])
            .output()
            .unwrap();
        let e = text(&out.stderr);
        assert!(out.status.success(), "{kind}: {e}");
        assert!(e.contains("stopped arriving"), "{kind}: {e}");
        assert_eq!(srv.history_ids().len(), 1, "{kind}: the job ran once");
    }
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.stall_next.insert("history".into(), 100);
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("COMFYCTL_READ_TIMEOUT", "0.3")
        .args(["run", p.to_str().unwrap(), "--url", &srv.url()])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{e}");
    assert!(
        e.contains("error: the answer to GET /history/")
            && e.contains("stopped arriving: no data for 0.3s after the headers"),
        "{e}"
    );
}

/// `kill -9` in the middle of a download: nothing at the final path; the next run saves the
/// whole file there.
#[test]
fn kill_9_mid_download_leaves_no_file_at_the_final_path() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.output_size = Some(4 << 20);
        f.view_chunk_delay = Some(std::time::Duration::from_millis(40));
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let mut child = crate::common::comfyctl_std(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", &srv.url(), "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out_dir = dir.path().join("outputs");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // Wait until the download has written some bytes.
    loop {
        assert!(std::time::Instant::now() < until, "no download started");
        let started = out_dir.exists()
            && walk(&out_dir)
                .iter()
                .any(|f| std::fs::metadata(f).map(|m| m.len() > 0).unwrap_or(false));
        if started {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let final_path = out_dir.join("e2e/sample_00001_.png");
    assert!(!final_path.exists(), "a partial file at the final path");
    for f in walk(&out_dir) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with('.') && name.ends_with(".part"),
            "only a hidden temp file may remain: {f:?}"
        );
    }
    srv.faults(|f| f.view_chunk_delay = None);
    let out = comfyctl(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::metadata(&final_path).unwrap().len(), 4 << 20);
}

/// Bad workflows, parameters, config files and flag values: exit 2 with a message, and not a
/// single request reaches the server.
#[test]
fn bad_input_of_every_kind_exits_2_before_any_request() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_workflow(d, "wf.json", &sample_workflow());
    write_workflow(d, "inv.json", &invert_workflow(None));
    std::fs::write(d.join("broken.json"), "{\"3\": {\"class_type\": }").unwrap();
    std::fs::write(d.join("rows.csv"), "steps,cfg\n10,7,extra\n").unwrap();
    std::fs::write(d.join("broken.toml"), "[profiles.x\nurl = 1\n").unwrap();
    let url = srv.url();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", "broken.json"], "broken.json:1:"),
        (vec!["run", "wf.json", "-p", "nosuch=1"], "nosuch"),
        (vec!["run", "wf.json", "-p", "steps"], "NAME=VALUE"),
        (
            vec!["run", "wf.json", "--set", "3.sed=1"],
            "has no input 'sed'",
        ),
        (vec!["run", "wf.json", "--set", "99.seed=1"], "99"),
        (vec!["run", "wf.json", "--timeout=-1"], "invalid timeout"),
        (vec!["run", "wf.json", "--seed", "many"], "many"),
        (
            vec!["run", "inv.json", "--image", "missing.png"],
            "missing.png",
        ),
        (vec!["batch", "wf.json", "--sweep", "steps="], "steps"),
        (
            vec!["batch", "wf.json", "--sweep", "steps=10..1:0"],
            "steps",
        ),
        (
            vec!["batch", "wf.json", "--params-file", "rows.csv"],
            "rows.csv",
        ),
        (vec!["batch", "wf.json", "-j", "0"], "-j"),
        (vec!["validate", "broken.json"], "broken.json"),
        (vec!["params", "broken.json"], "broken.json"),
    ];
    for (args, needle) in &cases {
        let out = comfyctl(d)
            .args(args)
            .args(["--url", &url])
            .output()
            .unwrap();
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {e}");
    }
    let out = comfyctl(d)
        .env("COMFYCTL_CONFIG", d.join("broken.toml"))
        .args(["run", "wf.json"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("broken.toml:1:"), "{e}");
    let out = comfyctl(d)
        .args(["run", "wf.json", "--url", "http://[not-a-host"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(srv.requests(), Vec::<String>::new(), "no request was sent");
}
