//! `comfyctl logs`: one job in every state, the job list, and the server log (also live).

use crate::common::fake_server::{CloudOptions, FakeOptions, FakeServer};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run_json(dir: &Path, srv: &FakeServer, wf: &Value) -> Value {
    let p = write_workflow(dir, "wf.json", wf);
    let out = comfyctl(dir)
        .args([
            "run",
            p.to_str().unwrap(),
            "--url",
            &srv.url(),
            "--json",
            "--no-validate",
        ])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn logs(dir: &Path, srv: &FakeServer, args: &[&str]) -> std::process::Output {
    comfyctl(dir)
        .arg("logs")
        .args(args)
        .args(["--url", &srv.url()])
        .output()
        .unwrap()
}

fn failing() -> Value {
    json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": "Photo"}},
        "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 0.01}, "_meta": {"title": "Shrink"}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}
    })
}

#[test]
fn one_job_success_failure_unknown() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let ok = run_json(dir.path(), &srv, &sample_workflow());
    let id = ok["prompt_id"].as_str().unwrap();
    let out = logs(dir.path(), &srv, &[id]);
    assert_eq!(out.status.code(), Some(0));
    let o = text(&out.stdout);
    assert!(
        o.starts_with(&format!("prompt {id}: success\nstarted ")),
        "{o}"
    );
    assert!(
        o.contains("execution_start") && o.contains("execution_success"),
        "{o}"
    );
    assert!(o.contains("output  e2e/sample_"), "{o}");

    let bad = run_json(dir.path(), &srv, &failing());
    let id = bad["prompt_id"].as_str().unwrap();
    let out = logs(dir.path(), &srv, &[id]);
    assert_eq!(out.status.code(), Some(1));
    let o = text(&out.stdout);
    assert!(o.contains("execution_error at node 2"), "{o}");
    assert!(
        o.contains("failed at node 2 (ImageScaleBy \"Shrink\")"),
        "{o}"
    );
    assert!(o.contains("RuntimeError: "), "{o}");
    assert!(o.contains("    scale_by = 0.01"), "{o}");
    assert!(o.contains("  traceback:"), "{o}");
    let out = logs(dir.path(), &srv, &[id, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["error"]["node_id"], "2");
    assert_eq!(v["error"]["title"], "Shrink");
    assert!(v["timeline"].as_array().unwrap().len() >= 2);

    let out = logs(dir.path(), &srv, &["00000000-0000-4000-8000-000000000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains(": unknown"));

    // The list: newest first.
    let out = logs(dir.path(), &srv, &["-n", "5"]);
    let o = text(&out.stdout);
    let lines: Vec<&str> = o.lines().collect();
    assert!(lines[0].starts_with("PROMPT"), "{o}");
    assert!(lines[1].contains(id) && lines[1].contains("error"), "{o}");
    assert!(lines[2].contains("success"), "{o}");
}

#[test]
fn a_running_job_is_running_not_unknown() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(300),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let mut child = crate::common::comfyctl_std(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", &srv.url(), "-q"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut id = None;
    for _ in 0..100 {
        if let Some(q) = srv.queued_ids().first() {
            id = Some(q.clone());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let id = id.expect("the job was queued");
    let out = logs(dir.path(), &srv, &[&id]);
    assert_eq!(out.status.code(), Some(0));
    let o = text(&out.stdout);
    assert!(o.contains(": running") || o.contains(": pending"), "{o}");
    child.wait().unwrap();
}

#[test]
fn server_log_and_follow() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = logs(dir.path(), &srv, &["--server"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Starting server"));

    let mut child = crate::common::comfyctl_std(dir.path())
        .args([
            "logs",
            "--server",
            "--follow",
            "--json",
            "--url",
            &srv.url(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(l) = line else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    // The backlog first, then a live line from a new job.
    let first: Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert_eq!(first["type"], "log");
    // Wait until subscribed.
    for _ in 0..100 {
        if srv
            .requests()
            .iter()
            .any(|r| r == "PATCH /internal/logs/subscribe")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    run_json(dir.path(), &srv, &sample_workflow());
    let mut seen = false;
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(10)) {
        if l.contains("got prompt") {
            seen = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen, "a live line arrived");
}

#[test]
fn logs_on_cloud_read_the_job_detail() {
    let srv = FakeServer::start(FakeOptions {
        cloud: Some(CloudOptions::default()),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let base = |c: &mut assert_cmd::Command| {
        c.env("COMFYCTL_KIND", "cloud")
            .env("COMFY_CLOUD_API_KEY", CloudOptions::default().api_key);
    };
    let mut c = comfyctl(dir.path());
    base(&mut c);
    let out = c
        .args(["run", p.to_str().unwrap(), "--url", &srv.url(), "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["prompt_id"].as_str().unwrap();
    let mut c = comfyctl(dir.path());
    base(&mut c);
    let out = c.args(["logs", id, "--url", &srv.url()]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("prompt {id}: success")));
    assert!(
        srv.requests()
            .iter()
            .any(|r| r == &format!("GET /api/jobs/{id}"))
    );
}
