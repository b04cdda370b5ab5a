//! `run --detach`, `queue`, `queue clear` and `cancel` against a slow fake server.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::Value;
use std::time::Duration;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn detach_queue_cancel_clear() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(600),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let cmd = |args: &[&str]| {
        comfyctl(dir.path())
            .args(args)
            .args(["--url", &srv.url()])
            .output()
            .unwrap()
    };
    let mut ids = Vec::new();
    for seed in 0..4 {
        let mut wf = sample_workflow();
        wf["3"]["inputs"]["seed"] = seed.into();
        let p = write_workflow(dir.path(), &format!("wf{seed}.json"), &wf);
        let out = cmd(&["run", p.to_str().unwrap(), "--detach", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["type"], "submitted");
        assert!(v["client_id"].as_str().unwrap().len() == 36);
        ids.push(v["prompt_id"].as_str().unwrap().to_string());
    }
    // Plain --detach prints just the id on stdout.
    let p = write_workflow(dir.path(), "wf9.json", &sample_workflow());
    let out = cmd(&["run", p.to_str().unwrap(), "--detach"]);
    let last = text(&out.stdout).trim().to_string();
    assert_eq!(last.len(), 36, "{last}");
    ids.push(last);

    let out = cmd(&["queue", "--json"]);
    let q: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(q["running"].as_array().unwrap().len(), 1, "{q}");
    let pending: Vec<f64> = q["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["number"].as_f64().unwrap())
        .collect();
    assert_eq!(pending.len(), 4);
    assert!(
        pending.windows(2).all(|w| w[0] < w[1]),
        "in run order: {pending:?}"
    );
    assert_eq!(q["running"][0]["nodes"], 7);
    assert!(q["running"][0]["client_id"].is_string());
    let out = cmd(&["queue"]);
    let o = text(&out.stdout);
    assert!(
        o.starts_with("STATE") && o.contains("running") && o.contains("pending"),
        "{o}"
    );

    // Cancel: the running one, a pending one, an unknown id.
    let running = q["running"][0]["prompt_id"].as_str().unwrap().to_string();
    let pending_id = q["pending"][0]["prompt_id"].as_str().unwrap().to_string();
    // The pending one first: once the running one is interrupted, the next starts at once.
    let out = cmd(&["cancel", &pending_id, &running]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let o = text(&out.stdout);
    assert!(o.contains(&format!("{running}: interrupted")), "{o}");
    assert!(
        o.contains(&format!("{pending_id}: removed from the queue")),
        "{o}"
    );
    let out = cmd(&["cancel", "00000000-0000-4000-8000-000000000000", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["all_cancelled"], false);
    assert_eq!(v["results"][0]["result"]["outcome"], "unknown");

    // queue clear refuses without a terminal or --yes, then clears pending only.
    let out = cmd(&["queue", "clear"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pass --yes"));
    let out = cmd(&["queue", "clear", "--yes"]);
    assert!(out.status.success());
    let out = cmd(&["queue", "--json"]);
    let q: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(q["pending"].as_array().unwrap().is_empty());

    // The interrupted job ended as such; a finished one cannot be cancelled.
    std::thread::sleep(Duration::from_millis(500));
    let out = cmd(&["cancel", &running]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("already finished (error)"),
        "{}",
        text(&out.stdout)
    );
}
