//! Editor (UI-format) workflows: `convert`, and `run`/`params`/`validate` taking them directly,
//! with definitions from the fake server or a saved `/object_info`.

use crate::common::comfyctl;
use crate::common::fake_server::{FakeOptions, FakeServer};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn oi(version: &str) -> String {
    fixture(&format!("real-comfyui-{version}/object_info.json"))
        .display()
        .to_string()
}

#[test]
fn convert_real_editor_workflows_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = comfyctl(dir.path())
        .arg("convert")
        .arg(fixture("templates/sdxl_simple_example.json"))
        .args(["--object-info", &oi("0.3.64")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Notes and primitives are gone; primitives' values are in their targets.
    let ids: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(ids.len(), 11, "{ids:?}");
    let base = &p["10"]["inputs"];
    assert_eq!(
        base["noise_seed"], 721897303308196u64,
        "saved seed; 'randomize' is for the next run"
    );
    assert_eq!(base["steps"], 25, "from the steps primitive");
    assert_eq!(base["end_at_step"], 20);
    assert_eq!(base["cfg"], 8.0);
    assert_eq!(base["positive"], json!(["6", 0]));
    assert_eq!(p["11"]["inputs"]["start_at_step"], 20);
    assert_eq!(
        p["15"]["inputs"]["text"],
        "evening sunset scenery blue sky nature, glass bottle with a galaxy in it"
    );
    assert_eq!(p["10"]["_meta"]["title"], "KSampler (Advanced) - BASE");
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));

    // A subgraph with promoted widgets: ids are OUTER:INNER, values come from inside.
    let out = comfyctl(dir.path())
        .arg("convert")
        .arg(fixture("templates/image_z_image_turbo.json"))
        .args(["--object-info", &oi("0.26.0"), "--prompt-body"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &body["prompt"];
    assert_eq!(p["57:3"]["class_type"], "KSampler");
    assert_eq!(p["57:3"]["inputs"]["steps"], 8);
    assert_eq!(p["57:3"]["inputs"]["sampler_name"], "res_multistep");
    assert_eq!(p["9"]["inputs"]["images"], json!(["57:8", 0]));
    assert!(body["extra_data"]["extra_pnginfo"]["workflow"]["nodes"].is_array());
}

#[test]
fn convert_writes_whole_files_and_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("api.json");
    let conv = |extra: &[&str]| {
        comfyctl(dir.path())
            .arg("convert")
            .arg(fixture("templates/sdxl_simple_example.json"))
            .args(["--object-info", &oi("0.3.64"), "-o", "api.json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = conv(&["-p", "prompt=a red fox"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).is_empty());
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(p["6"]["inputs"]["text"], "a red fox");
    assert_eq!(
        p["15"]["inputs"]["text"], "a red fox",
        "the prompt fans out like the primitive did"
    );
    std::fs::write(&target, "keep me").unwrap();
    let out = conv(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("api.json exists; pass --force"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    let out = conv(&["--force"]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("KSamplerAdvanced")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn editor_workflows_run_like_pressing_queue() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = comfyctl(dir.path())
        .arg("run")
        .arg(fixture("templates/sdxl_simple_example.json"))
        .args([
            "--url",
            &srv.url(),
            "--json",
            "-p",
            "ckpt=tiny-random-sd15.safetensors",
            "--steps",
            "3",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "success");
    let entry = srv.history_entry(v["prompt_id"].as_str().unwrap()).unwrap();
    let prompt = &entry["prompt"][2];
    assert_eq!(prompt["10"]["inputs"]["steps"], 3);
    assert_eq!(prompt["11"]["inputs"]["steps"], 3);
    assert_eq!(
        prompt["12"]["inputs"]["ckpt_name"],
        "tiny-random-sd15.safetensors"
    );
    // The editor workflow rides along so saved PNGs carry it.
    assert!(
        entry["prompt"][3]["extra_pnginfo"]["workflow"]["nodes"].is_array(),
        "{}",
        entry["prompt"][3]
    );
    assert!(
        srv.requests()
            .iter()
            .filter(|r| *r == "GET /object_info")
            .count()
            == 1,
        "definitions fetched once, for conversion and validation"
    );

    let out = comfyctl(dir.path())
        .arg("run")
        .arg(fixture("templates/sdxl_simple_example.json"))
        .args([
            "--url",
            &srv.url(),
            "--json",
            "-p",
            "ckpt=tiny-random-sd15.safetensors",
            "--no-embed-workflow",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = srv.history_entry(v["prompt_id"].as_str().unwrap()).unwrap();
    assert!(entry["prompt"][3].get("extra_pnginfo").is_none());
}

#[test]
fn editor_workflows_need_definitions_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = comfyctl(dir.path())
        .arg("params")
        .arg(fixture("templates/sdxl_simple_example.json"))
        .args(["--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(e.contains("is an editor (UI-format) workflow; converting it needs the server's node definitions (or --object-info FILE)"), "{e}");
    assert!(e.contains("cannot reach http://127.0.0.1:9"), "{e}");
    // Unknown node types: all of them, with the editor's ids, exit 3 like a rejection.
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("templates/sdxl_simple_example.json")).unwrap(),
    )
    .unwrap();
    doc["nodes"][0]["type"] = json!("Efficient Loader");
    doc["nodes"][2]["type"] = json!("KSampler (Efficient)");
    let p = dir.path().join("custom.json");
    std::fs::write(&p, doc.to_string()).unwrap();
    let out = comfyctl(dir.path())
        .arg("validate")
        .arg(&p)
        .args(["--object-info", &oi("0.3.64")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let e = text(&out.stderr);
    assert!(e.contains("2 node type(s) are not installed on the server: Efficient Loader (#5); KSampler (Efficient) (#4 \"Load Checkpoint - BASE\")"), "{e}");
    assert!(e.contains("hint: install the custom nodes"), "{e}");
}
