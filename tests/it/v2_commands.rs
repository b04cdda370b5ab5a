//! `queue`, `cancel`, `logs`, `watch` and `health` over the Comfy API v2: the real binary
//! against the fake comfy-api-proxy in front of the fake ComfyUI. The queue from `GET /jobs`,
//! cancel through `/jobs/{id}/cancel` (a queued job answers `expired`, and says so), a failed
//! job's story from its `error`, a job followed to its end with its outputs downloaded, what
//! `/api/v2/health` says, unknown ids, a refused key, a server that cannot list jobs (501), and
//! the key never printed.

use crate::common::fake_server::{FakeOptions, FakeServer, Faults};
use crate::common::fake_v2::V2Options;
use crate::common::{comfyctl, comfyctl_std, sample_workflow, write_workflow};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const TOKEN: &str = "v2-commands-token";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fake(step_ms: u64) -> FakeServer {
    FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(step_ms),
        faults: Faults::default(),
        v2: Some(V2Options {
            token: Some(TOKEN.into()),
            keepalive: Duration::from_secs(60),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// `comfyctl ARGS --url V2` with the key where comfy-sdk reads it.
fn v2(dir: &Path, srv: &FakeServer, args: &[&str]) -> std::process::Output {
    v2_key(dir, srv, TOKEN, args)
}

fn v2_key(dir: &Path, srv: &FakeServer, key: &str, args: &[&str]) -> std::process::Output {
    let o = comfyctl(dir)
        .env("COMFY_API_KEY", key)
        .args(args)
        .args(["--url", &srv.v2_url()])
        .output()
        .unwrap();
    for out in [&o.stdout, &o.stderr] {
        assert!(
            !text(out).contains(key),
            "the key was printed: {}",
            text(out)
        );
    }
    o
}

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            text(&o.stdout),
            text(&o.stderr)
        )
    })
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Submits `steps` sampler steps with `run --detach` and returns the job id.
fn detach(dir: &Path, srv: &FakeServer, steps: u64) -> String {
    let mut wf = sample_workflow();
    wf["3"]["inputs"]["steps"] = json!(steps);
    let p = write_workflow(dir, &format!("wf{steps}.json"), &wf);
    let o = v2(
        dir,
        srv,
        &["run", p.to_str().unwrap(), "--detach", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    json_of(&o)["prompt_id"].as_str().unwrap().to_string()
}

/// The v2 job's state as the fake proxy reports it.
fn status(dir: &Path, srv: &FakeServer, id: &str) -> String {
    let o = v2(dir, srv, &["logs", id, "--json"]);
    json_of(&o)["status"].as_str().unwrap().to_string()
}

fn cancels(srv: &FakeServer) -> Vec<String> {
    srv.v2()
        .requests()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.starts_with("POST /api/v2/jobs/") && r.ends_with("/cancel"))
        .collect()
}

/// `queue` lists the running job and the queued one (with its place) from `GET /jobs`; `cancel`
/// interrupts the running one and removes the queued one — which the proxy then calls
/// `expired`, and comfyctl says so — and a second cancel reports them finished (exit 1).
#[test]
fn queue_then_cancel_a_running_and_a_queued_job() {
    let srv = fake(30);
    let dir = tempfile::tempdir().unwrap();
    let running = detach(dir.path(), &srv, 400);
    let queued = detach(dir.path(), &srv, 400);
    wait_for("the first job to run", Duration::from_secs(20), || {
        status(dir.path(), &srv, &running) == "running"
    });

    let o = v2(dir.path(), &srv, &["queue", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let q = json_of(&o);
    assert_eq!(q["type"], "queue_list", "{q}");
    assert_eq!(q["running"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(q["running"][0]["prompt_id"], running.as_str());
    assert_eq!(
        q["running"][0]["nodes"], 7,
        "node count from the job's workflow: {q}"
    );
    assert_eq!(q["pending"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(q["pending"][0]["prompt_id"], queued.as_str());
    assert_eq!(q["pending"][0]["queue_position"], 1, "{q}");
    assert_eq!(q["pending"][0]["client_id"], Value::Null);

    let o = v2(dir.path(), &srv, &["queue"]);
    let table = text(&o.stdout);
    assert!(table.starts_with("STATE"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("running") && l.contains(&running)),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("pending") && l.contains(&queued)),
        "{table}"
    );

    let o = v2(dir.path(), &srv, &["cancel", &queued, &running]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "{queued}: removed from the queue (the server now reports it expired)"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("{running}: interrupted")), "{out}");
    // Through the API, one request per job; never ComfyUI's own routes.
    assert_eq!(cancels(&srv).len(), 2, "{:?}", cancels(&srv));
    assert!(srv.requests().iter().all(|r| !r.contains("/interrupt")));
    wait_for("the queue to empty", Duration::from_secs(10), || {
        srv.queued_ids().is_empty()
    });

    let o = v2(dir.path(), &srv, &["cancel", "--json", &queued, &running]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let r = json_of(&o);
    assert_eq!(r["all_cancelled"], false);
    assert_eq!(r["results"][0]["result"]["outcome"], "already_finished");
    assert_eq!(r["results"][0]["result"]["detail"], "expired");
    assert_eq!(r["results"][1]["result"]["outcome"], "already_finished");
    assert_eq!(r["results"][1]["result"]["detail"], "canceled");
    assert_eq!(status(dir.path(), &srv, &running), "interrupted");
    assert_eq!(status(dir.path(), &srv, &queued), "lost");
}

/// `cancel --json` of a queued job: `deleted` with the server's word, `expired`.
#[test]
fn cancel_json_of_a_queued_job_says_expired() {
    let srv = fake(30);
    let dir = tempfile::tempdir().unwrap();
    let running = detach(dir.path(), &srv, 400);
    let queued = detach(dir.path(), &srv, 4);
    wait_for("the first job to run", Duration::from_secs(20), || {
        status(dir.path(), &srv, &running) == "running"
    });
    let o = v2(dir.path(), &srv, &["cancel", "--json", &queued]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = json_of(&o);
    assert_eq!(r["type"], "cancel", "{r}");
    assert_eq!(r["all_cancelled"], true);
    assert_eq!(
        r["results"][0],
        json!({"prompt_id": queued, "result": {"outcome": "deleted", "detail": "expired"}})
    );
    // `queue clear` cancels what is still queued, job by job (the API has no "clear").
    let again = detach(dir.path(), &srv, 4);
    let o = v2(dir.path(), &srv, &["queue", "clear", "--yes"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("removed 1 pending job(s)"),
        "{}",
        text(&o.stderr)
    );
    assert!(cancels(&srv).iter().any(|r| r.contains(&again)));
    assert!(!cancels(&srv).iter().any(|r| r.contains(&running)));
    assert_eq!(status(dir.path(), &srv, &running), "running");
    let o = v2(dir.path(), &srv, &["cancel", &running]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// `logs ID` of a failed job: the failing node, its class, title and inputs from the job's
/// workflow, the error message; exit 1. The list shows it; `--server` says why there is no log.
#[test]
fn logs_of_a_failed_job() {
    let srv = fake(5);
    srv.faults(|f| f.fail_class = Some("VAEDecode".into()));
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2(dir.path(), &srv, &["run", wf.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let id = json_of(&o)["prompt_id"].as_str().unwrap().to_string();

    let o = v2(dir.path(), &srv, &["logs", &id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with(&format!("prompt {id}: error\n")), "{out}");
    assert!(out.contains("failed at node 8 (VAEDecode)"), "{out}");
    assert!(out.contains("samples = [\"3\",0]"), "{out}");

    let o = v2(dir.path(), &srv, &["logs", &id, "--json"]);
    let log = json_of(&o);
    assert_eq!(log["type"], "job_log");
    assert_eq!(log["status"], "error");
    assert_eq!(log["error"]["node_id"], "8");
    assert_eq!(log["error"]["class_type"], "VAEDecode");
    assert_eq!(log["error"]["inputs"]["vae"], json!(["4", 2]));
    assert!(
        log["error"]["exception_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{log}"
    );

    let o = v2(dir.path(), &srv, &["logs", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list = json_of(&o);
    assert_eq!(list["type"], "jobs");
    assert_eq!(list["jobs"][0]["prompt_id"], id.as_str());
    assert_eq!(list["jobs"][0]["status"], "error");

    let o = v2(dir.path(), &srv, &["logs", "--server"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("has no server log"),
        "{}",
        text(&o.stderr)
    );
}

/// `watch --prompt-id` follows a v2 job (sent by another process) to success and downloads its
/// output into its subfolder; `--jsonl` on the finished job prints the event lines and the
/// same result.
#[test]
fn watch_a_job_to_success_with_download() {
    let srv = fake(20);
    let dir = tempfile::tempdir().unwrap();
    let id = detach(dir.path(), &srv, 30);
    let o = v2(
        dir.path(),
        &srv,
        &[
            "watch",
            "--prompt-id",
            &id,
            "--download",
            "-o",
            "out",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = json_of(&o);
    assert_eq!(r["type"], "result");
    assert_eq!(r["status"], "success", "{r}");
    assert_eq!(r["prompt_id"], id.as_str());
    let path = dir.path().join(r["outputs"][0]["path"].as_str().unwrap());
    assert!(path.starts_with(dir.path().join("out/e2e")), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), FakeServer::default_output());
    // Followed, not resubmitted.
    assert_eq!(srv.v2().submits(), 1);

    let o = v2(dir.path(), &srv, &["watch", "--prompt-id", &id, "--jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "result");
    assert_eq!(last["status"], "success");
    assert!(
        last["outputs"][0]["url"]
            .as_str()
            .is_some_and(|u| u.contains("/api/v2/assets/")),
        "{last}"
    );
    assert!(
        text(&o.stderr).contains("had already finished: success"),
        "{}",
        text(&o.stderr)
    );
}

/// `watch` alone over v2 polls the job list: a job sent meanwhile shows as finished (JSON Lines
/// `job_finished`), and `--timeout` ends the view with exit 5.
#[test]
fn the_live_view_polls_the_job_list() {
    let srv = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let child = comfyctl_std(dir.path())
        .env("COMFY_API_KEY", TOKEN)
        .args(["watch", "--jsonl", "--timeout", "5", "--url", &srv.v2_url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the view's first poll", Duration::from_secs(10), || {
        srv.v2()
            .requests()
            .iter()
            .any(|(r, _)| r.starts_with("GET /api/v2/jobs?"))
    });
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let o = v2(dir.path(), &srv, &["run", wf.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let id = json_of(&o)["prompt_id"].as_str().unwrap().to_string();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
    let lines: Vec<Value> = text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["type"] == "job_finished"
            && l["prompt_id"] == id.as_str()
            && l["status"] == "success"),
        "{lines:?}"
    );
}

/// `health` over v2: what `/api/v2/health` says, the key accepted, the queue; what the API
/// lacks is skipped with its reason; `--smoke` runs a job over v2. A refused key fails the
/// key check (exit 1) with the key hint.
#[test]
fn health_over_v2() {
    let srv = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let o = v2(dir.path(), &srv, &["health", "--json", "--smoke"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let h = json_of(&o);
    assert_eq!(h["type"], "health");
    assert_eq!(h["healthy"], true, "{h}");
    let check = |h: &Value, name: &str| -> Value {
        h["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} check: {h}"))
    };
    let r = check(&h, "reachable");
    assert_eq!(r["status"], "ok");
    assert!(
        r["message"].as_str().unwrap().contains("\"healthy\""),
        "{r}"
    );
    assert_eq!(check(&h, "key")["status"], "ok");
    assert_eq!(check(&h, "queue")["status"], "ok");
    assert_eq!(check(&h, "object_info")["status"], "skip");
    assert_eq!(check(&h, "smoke")["status"], "ok", "{h}");
    // No ComfyUI route was asked through the proxy's port.
    assert!(
        srv.v2()
            .requests()
            .iter()
            .all(|(r, _)| r.contains("/api/v2/")),
        "{:?}",
        srv.v2().requests()
    );

    let o = v2_key(dir.path(), &srv, "wrong-key", &["health", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let h = json_of(&o);
    assert_eq!(h["healthy"], false);
    let k = check(&h, "key");
    assert_eq!(k["status"], "fail");
    let m = k["message"].as_str().unwrap();
    assert!(m.contains("401") && m.contains("COMFY_API_KEY"), "{m}");
}

/// An id the server does not know: `logs` exits 2 saying so, `watch --prompt-id` exits 2,
/// `cancel` reports it unknown (exit 1).
#[test]
fn unknown_job_ids() {
    let srv = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let id = "0b6f7f5e-7e0a-4c39-9a39-3c1c6f0e0d11";
    let o = v2(dir.path(), &srv, &["logs", id]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&format!("prompt {id}: unknown")));
    let o = v2(dir.path(), &srv, &["watch", "--prompt-id", id]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("404"), "{}", text(&o.stderr));
    let o = v2(dir.path(), &srv, &["cancel", id, "not-a-uuid"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("{id}: unknown to the server")),
        "{out}"
    );
    assert!(out.contains("not-a-uuid: unknown to the server"), "{out}");
}

/// A refused key: every command exits 4 with the key hint, and never prints the key.
#[test]
fn a_bad_key_is_said_clearly() {
    let srv = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let id = "0b6f7f5e-7e0a-4c39-9a39-3c1c6f0e0d11";
    for args in [
        vec!["queue"],
        vec!["logs"],
        vec!["logs", id],
        vec!["watch", "--prompt-id", id],
        vec!["watch"],
    ] {
        let o = v2_key(dir.path(), &srv, "wrong-key-123", &args);
        assert_eq!(o.status.code(), Some(4), "{args:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("401") && err.contains("COMFY_API_KEY"),
            "{args:?}: {err}"
        );
    }
    // cancel reports per job and exits 1, still with the hint.
    let o = v2_key(dir.path(), &srv, "wrong-key-123", &["cancel", id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("COMFY_API_KEY"),
        "{}",
        text(&o.stderr)
    );
}

/// What a server answers instead of a list: 501 (it cannot list jobs) is a clear usage error
/// naming what still works; 429 with `Retry-After` is waited out; 402 is the credits message.
#[test]
fn servers_that_cannot_list_or_are_busy() {
    let srv = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let reject = |route: &str, n: usize, status: u16, code: &str, retry: Option<u64>| {
        let (route, code) = (route.to_string(), code.to_string());
        srv.v2().faults(move |f| {
            f.reject_next.insert(route, (n, status, code, retry));
        });
    };
    reject("list", 10, 501, "not_implemented", None);
    for args in [vec!["queue"], vec!["watch"], vec!["logs"]] {
        let o = v2(dir.path(), &srv, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("does not implement") && err.contains("watch --prompt-id"),
            "{args:?}: {err}"
        );
    }
    srv.v2().faults(|f| f.reject_next.clear());

    reject("list", 1, 429, "queue_full", Some(1));
    let t = Instant::now();
    let o = v2(dir.path(), &srv, &["queue", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );

    let id = detach(dir.path(), &srv, 4);
    reject("cancel", 1, 402, "insufficient_credits", None);
    let o = v2(dir.path(), &srv, &["cancel", &id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("credits"), "{}", text(&o.stderr));
}
