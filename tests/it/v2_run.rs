//! `run` and `batch` over the Comfy API v2: the real binary against the fake comfy-api-proxy in
//! front of the fake ComfyUI, for every surprise the recordings show (docs/v2.md): a stream that
//! ends `expired` for a job that succeeded, a poll that says `expired` once, a stream silent
//! until its keepalive, a lost submit answer, a full stream table, a busy queue; and the user's
//! side: `auto` finding v2, assets sent once, outputs in their subfolders, rejections and
//! failures with their exit codes, Ctrl-C cancelling the job, the key never printed.

use crate::common::fake_server::{FakeOptions, FakeServer, Faults};
use crate::common::fake_v2::{Race, V2Options};
use crate::common::{comfyctl, comfyctl_std, sample_workflow, walk, write_workflow};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TOKEN: &str = "v2-run-token";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fake_with(step_ms: u64, keepalive: Duration, faults: Faults) -> FakeServer {
    FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(step_ms),
        faults,
        v2: Some(V2Options {
            token: Some(TOKEN.into()),
            keepalive,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn fake() -> FakeServer {
    fake_with(5, Duration::from_secs(60), Faults::default())
}

/// `comfyctl` with the proxy's token where comfy-sdk reads it.
fn v2cmd(dir: &std::path::Path) -> assert_cmd::Command {
    let mut c = comfyctl(dir);
    c.env("COMFY_API_KEY", TOKEN);
    c
}

fn result(stdout: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", text(stdout));
    });
    assert_eq!(v["type"], "result", "{v}");
    v
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `auto` finds the v2 API, the job runs once with a fresh Idempotency-Key and the Bearer key,
/// and the output lands under its subfolder with the bytes the server holds.
#[test]
fn run_over_v2_end_to_end() {
    let srv = fake();
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2cmd(dir.path())
        .args(["run", wf.to_str().unwrap(), "--url", &srv.v2_url()])
        .args(["-o", "out", "--json", "-v"])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    let r = result(&o.stdout);
    assert_eq!(r["status"], "success");
    assert_eq!(r["client_id"], Value::Null);
    let out = &r["outputs"][0];
    assert_eq!(out["kind"], "images");
    assert_eq!(out["subfolder"], "e2e");
    let path = dir.path().join(out["path"].as_str().unwrap());
    assert!(path.starts_with(dir.path().join("out/e2e")), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), FakeServer::default_output());
    let v2 = srv.v2();
    assert_eq!(v2.submits(), 1);
    let reqs = v2.requests();
    let (_, h) = reqs.iter().find(|(r, _)| r == "POST /api/v2/jobs").unwrap();
    let header = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(header("authorization"), Some(format!("Bearer {TOKEN}")));
    assert!(
        header("idempotency-key").is_some_and(|k| k.starts_with("comfyctl-")),
        "{h:?}"
    );
    // Never HEAD an output (the proxy poisons the connection), never a browser Origin.
    assert!(
        reqs.iter()
            .all(|(r, _)| !r.starts_with("HEAD /api/v2/assets/") || r.contains("/by-hash/"))
    );
    assert!(
        reqs.iter()
            .all(|(_, h)| h.iter().all(|(k, _)| k != "origin"))
    );
    // The key never shows, even with -v.
    assert!(
        !err.contains(TOKEN) && !text(&o.stdout).contains(TOKEN),
        "{err}"
    );
    // Said once: where the definitions would have come from.
    assert!(err.contains("no node definitions"), "{err}");
}

/// An input goes up as an asset once; the next run finds it by hash and sends no bytes, and the
/// workflow carries a `core/ASSET` reference.
#[test]
fn inputs_are_assets_sent_once() {
    let srv = fake();
    let dir = tempfile::tempdir().unwrap();
    let wf = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "v2r/inv"}}
    });
    let wf = write_workflow(dir.path(), "inv.json", &wf);
    std::fs::write(dir.path().join("in.png"), FakeServer::default_output()).unwrap();
    for round in 0..2 {
        let o = v2cmd(dir.path())
            .args(["run", wf.to_str().unwrap(), "--url", &srv.v2_url()])
            .args(["--image", "in.png", "-o", "out", "--json"])
            .output()
            .unwrap();
        assert!(o.status.success(), "round {round}: {}", text(&o.stderr));
        let r = result(&o.stdout);
        assert_eq!(r["params"][0]["value"]["__type"], "core/ASSET", "{r}");
    }
    let reqs = srv.v2().requests();
    let uploads = reqs
        .iter()
        .filter(|(r, _)| r == "POST /api/v2/assets")
        .count();
    let by_hash = reqs
        .iter()
        .filter(|(r, _)| r == "POST /api/v2/assets/from-hash")
        .count();
    assert_eq!((uploads, by_hash), (1, 1), "{reqs:?}");
    assert_eq!(srv.v2().submits(), 2);
}

/// The stream's last status says `expired` for a job that succeeded, and the next poll says
/// `expired` once too: comfyctl asks again and saves the outputs.
#[test]
fn an_early_expired_is_asked_again() {
    let srv = fake();
    srv.v2().faults(|f| {
        f.end_races.push_back(Race::Expired);
        f.poll_expired = 1;
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2cmd(dir.path())
        .args(["run", wf.to_str().unwrap(), "--url", &srv.v2_url()])
        .args(["-o", "out", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = result(&o.stdout);
    assert_eq!(r["status"], "success");
    assert_eq!(r["outputs"].as_array().unwrap().len(), 1, "{r}");
}

/// A fast job ends before the proxy's stream listens: the stream stays silent until its
/// keepalive (here a minute). Polling finds the end long before the 20 s timeout would.
#[test]
fn a_silent_stream_does_not_hold_the_job() {
    let srv = fake_with(1, Duration::from_secs(60), Faults::default());
    srv.v2()
        .faults(|f| f.ws_connect_delay = Some(Duration::from_millis(300)));
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2cmd(dir.path())
        .args(["run", wf.to_str().unwrap(), "--url", &srv.v2_url()])
        .args(["-o", "out", "--json", "--timeout", "20"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(result(&o.stdout)["status"], "success");
}

/// The answer to the submission is lost after the job was made: comfyctl finds the job by its
/// label instead of sending it again, and the workflow runs once.
#[test]
fn a_lost_submit_answer_never_runs_the_job_twice() {
    let srv = fake();
    srv.v2().faults(|f| f.submit_answer_lost = 1);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2cmd(dir.path())
        .args(["run", wf.to_str().unwrap(), "--url", &srv.v2_url()])
        .args(["-o", "out", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(srv.v2().job_ids().len(), 1);
    assert_eq!(srv.prompt_posts(), 1, "ComfyUI got the prompt once");
}

/// Every stream slot taken (429 + Retry-After): the job is followed by polling and ends well.
/// A busy queue (429 `queue_full`) is waited out as the server asks.
#[test]
fn backpressure_is_waited_out() {
    let srv = fake();
    srv.v2().faults(|f| {
        f.reject_next.insert(
            "events".into(),
            (5, 429, "too_many_streams".into(), Some(1)),
        );
        f.reject_next
            .insert("submit".into(), (1, 429, "queue_full".into(), Some(1)));
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2cmd(dir.path())
        .args(["run", wf.to_str().unwrap(), "--url", &srv.v2_url()])
        .args(["-o", "out", "--jsonl"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lines: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["type"] == "websocket_unavailable"
            && l["reason"].as_str().unwrap().contains("polling")),
        "{lines:?}"
    );
    assert_eq!(lines.last().unwrap()["status"], "success");
    assert_eq!(srv.v2().job_ids().len(), 1);
}

/// Rejected by ComfyUI behind the proxy: exit 3 and the node errors as a native run shows them;
/// a failure at run time: exit 1 naming the node; a refused key: exit 4 with the key hint.
#[test]
fn failures_keep_their_exit_codes() {
    let srv = fake();
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = |extra: &[&str], key: &str| {
        comfyctl(dir.path())
            .env("COMFY_API_KEY", key)
            .args([
                "run",
                wf.to_str().unwrap(),
                "--url",
                &srv.v2_url(),
                "-o",
                "out",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&["--set", "3.steps=-5"], TOKEN);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("node 3 KSampler") && err.contains("steps"),
        "{err}"
    );
    assert!(err.contains("set by --set 3.steps=-5"), "{err}");

    srv.faults(|f| f.fail_class = Some("VAEDecode".into()));
    let o = run(&["--json"], TOKEN);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let r = result(&o.stdout);
    assert_eq!(r["status"], "error");
    assert_eq!(r["error"]["node_id"], "8");
    assert_eq!(r["error"]["node_type"], "VAEDecode");
    assert!(text(&o.stderr).contains("no traceback"));
    srv.faults(|f| f.fail_class = None);

    let o = run(&[], "not-the-token");
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("401") && err.contains("COMFY_API_KEY"),
        "{err}"
    );
    assert!(!err.contains("not-the-token"), "{err}");
}

/// Ctrl-C while the job runs cancels it on the server (POST /jobs/{id}/cancel) and exits 130.
#[test]
fn ctrl_c_cancels_the_job_on_the_server() {
    let srv = fake_with(30, Duration::from_secs(60), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let mut wf = sample_workflow();
    wf["3"]["inputs"]["steps"] = json!(200);
    let wf = write_workflow(dir.path(), "wf.json", &wf);
    let child = comfyctl_std(dir.path())
        .env("COMFY_API_KEY", TOKEN)
        .args([
            "run",
            wf.to_str().unwrap(),
            "--url",
            &srv.v2_url(),
            "-o",
            "out",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the job to run", Duration::from_secs(20), || {
        !srv.queued_ids().is_empty()
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(
        srv.v2()
            .requests()
            .iter()
            .any(|(r, _)| r.starts_with("POST /api/v2/jobs/") && r.ends_with("/cancel")),
        "no cancel was sent"
    );
    assert!(
        text(&o.stderr).contains("cancelled job"),
        "{}",
        text(&o.stderr)
    );
    wait_for("the queue to empty", Duration::from_secs(10), || {
        srv.queued_ids().is_empty()
    });
}

/// One batch over a native ComfyUI and a v2 server: every job runs once, each server takes
/// some, and the manifest reads the same for both.
#[test]
fn a_batch_spans_native_and_v2_servers() {
    let native = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(20),
        ..Default::default()
    });
    let v2 = fake_with(20, Duration::from_secs(60), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2cmd(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--sweep", "3.seed=1..8"])
        .args(["--url", &native.url(), "--url", &v2.v2_url(), "-o", "b"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lines: Vec<Value> = std::fs::read_to_string(dir.path().join("b/batch.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Value| l["type"] == "job")
        .collect();
    assert_eq!(lines.len(), 8);
    assert!(lines.iter().all(|l| l["status"] == "success"), "{lines:?}");
    for server in [native.url(), v2.v2_url()] {
        assert!(
            lines.iter().any(|l| l["server"] == server.as_str()),
            "{server} ran nothing: {lines:?}"
        );
    }
    let on_v2 = lines
        .iter()
        .filter(|l| l["server"] == v2.v2_url().as_str())
        .count();
    assert_eq!(v2.v2().submits(), on_v2);
    assert_eq!(native.prompt_posts() + v2.prompt_posts(), 8);
    let files: Vec<_> = walk(&dir.path().join("b"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(files.len(), 8, "{files:?}");
}

/// `--api v2` on a Comfy-hosted deployment without a key stops before anything is sent, naming
/// the variable comfy-sdk reads; `--api v3` is a usage error.
#[test]
fn choices_are_checked_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = comfyctl(dir.path())
        .args(["run", wf.to_str().unwrap(), "--no-validate", "--api", "v2"])
        .args(["--url", "https://nowhere.invalid.run.comfy.app"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("COMFY_API_KEY"),
        "{}",
        text(&o.stderr)
    );
    let o = comfyctl(dir.path())
        .args(["run", wf.to_str().unwrap(), "--api", "v3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Ctrl-C in a v2 batch, then `--resume`: the job Ctrl-C stopped runs again (its manifest line
/// carries the id sent beside the server's, so the resume knows it ended), the finished one
/// does not, and the resume succeeds.
#[test]
fn a_v2_batch_stopped_with_ctrl_c_resumes_by_running_the_stopped_job_again() {
    let srv = fake_with(150, Duration::from_secs(60), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let child = comfyctl_std(dir.path())
        .env("COMFY_API_KEY", TOKEN)
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--count",
            "2",
            "--steps",
            "10",
        ])
        .args(["-j", "1", "-o", "b", "--url", &srv.v2_url()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("a job on the server", Duration::from_secs(30), || {
        !srv.queued_ids().is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let read = || -> Vec<Value> {
        std::fs::read_to_string(dir.path().join("b/batch.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let first = read();
    let stopped: Vec<&Value> = first
        .iter()
        .filter(|l| l["status"] == "cancelled")
        .collect();
    assert_eq!(stopped.len(), 1, "{first:?}");
    assert!(
        stopped[0]["sent_id"].is_string() && stopped[0]["sent_id"] != stopped[0]["prompt_id"],
        "{first:?}"
    );
    let submits = srv.v2().submits();

    let o = v2cmd(dir.path())
        .args(["batch", "--resume", "b", "--url", &srv.v2_url()])
        .output()
        .unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(
        !e.contains("adopted"),
        "a job that ended is not adopted: {e}"
    );
    let all = read();
    for i in 0..2u64 {
        let last = all.iter().rfind(|l| l["index"] == i).unwrap();
        assert_eq!(last["status"], "success", "job {i}: {all:?}");
    }
    assert_eq!(
        srv.v2().submits(),
        submits + 2 - first.iter().filter(|l| l["status"] == "success").count(),
        "only what did not succeed ran again"
    );
}
