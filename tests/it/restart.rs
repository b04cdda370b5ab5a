//! What real servers do: a restart mid-job (the port refuses connections for a while, then the
//! server answers with its queue and history gone), a network blip (refused for a moment, the
//! job runs on), a server that never comes back — for `run`, `watch --prompt-id` and `batch`;
//! and a batch killed with `kill -9` and resumed.

use crate::common::fake_server::{FakeOptions, FakeServer, Faults, Outage};
use crate::common::{comfyctl, comfyctl_std, sample_workflow, walk, write_workflow};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server whose next run goes away at sampler step 3 for `downtime` (`None`: for good).
fn failing(downtime: Option<Duration>, restart: bool) -> FakeServer {
    FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(100),
        faults: Faults {
            outage_at_step: Some((3, Outage { downtime, restart })),
            ..Default::default()
        },
        ..Default::default()
    })
}

fn run(dir: &Path, srv: &FakeServer, extra: &[&str]) -> (Option<i32>, String, String, f64) {
    let wf = write_workflow(dir, "wf.json", &sample_workflow());
    let t = Instant::now();
    let out = comfyctl(dir)
        .args([
            "run",
            wf.to_str().unwrap(),
            "--steps",
            "10",
            "--url",
            &srv.url(),
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr),
        t.elapsed().as_secs_f64(),
    )
}

#[test]
fn a_restart_shorter_than_the_window_is_a_lost_job_with_a_restart_hint() {
    let srv = failing(Some(Duration::from_secs(3)), true);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, e, secs) = run(dir.path(), &srv, &["--reconnect-timeout", "20"]);
    assert_eq!(code, Some(1), "{e}");
    let pid = srv.queued_log()[0].clone();
    assert!(e.contains(&format!("no longer knows prompt {pid}")), "{e}");
    assert!(e.contains("hint: the server restarted"), "{e}");
    assert!(
        e.contains("the server went away"),
        "said when it started waiting: {e}"
    );
    assert!(e.contains("answers again after"), "said when it ended: {e}");
    assert!(secs > 3.0, "it waited for the server: {secs}");
}

#[test]
fn a_server_that_never_comes_back_is_exit_4_after_the_window() {
    let srv = failing(None, true);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, e, secs) = run(dir.path(), &srv, &["--reconnect-timeout", "3"]);
    assert_eq!(code, Some(4), "{e}");
    assert!(e.contains("(the --reconnect-timeout window)"), "{e}");
    assert!(
        e.contains("no answer for 3."),
        "says how long it waited: {e}"
    );
    assert!((3.0..30.0).contains(&secs), "{secs}");
}

#[test]
fn a_network_blip_while_the_job_runs_on_is_a_success() {
    let srv = failing(Some(Duration::from_secs(3)), false);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, e, _) = run(dir.path(), &srv, &["--reconnect-timeout", "20"]);
    assert_eq!(code, Some(0), "{e}");
    assert_eq!(out.lines().count(), 1, "the output is saved: {out}");
    assert_eq!(srv.queued_log().len(), 1, "queued once");
}

#[test]
fn watch_waits_for_a_restart_and_for_a_blip_like_run() {
    for (restart, want) in [(true, 1), (false, 0)] {
        let srv = failing(Some(Duration::from_secs(3)), restart);
        let dir = tempfile::tempdir().unwrap();
        let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
        let out = comfyctl(dir.path())
            .args(["run", wf.to_str().unwrap(), "--steps", "10", "--detach"])
            .args(["--json", "--url", &srv.url()])
            .output()
            .unwrap();
        let d: Value = serde_json::from_slice(&out.stdout).unwrap();
        let out = comfyctl(dir.path())
            .args(["watch", "--prompt-id", d["prompt_id"].as_str().unwrap()])
            .args(["--client-id", d["client_id"].as_str().unwrap()])
            .args(["--reconnect-timeout", "20", "--url", &srv.url()])
            .output()
            .unwrap();
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(want), "restart {restart}: {e}");
        assert!(e.contains("the server went away"), "restart {restart}: {e}");
    }
    let srv = failing(None, true);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["run", wf.to_str().unwrap(), "--steps", "10", "--detach"])
        .args(["--json", "--url", &srv.url()])
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = comfyctl(dir.path())
        .args(["watch", "--prompt-id", d["prompt_id"].as_str().unwrap()])
        .args(["--reconnect-timeout", "3", "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
}

fn manifest(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("batch.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn batch(dir: &Path, srv: &FakeServer, window: &str) -> (Option<i32>, String) {
    let wf = write_workflow(dir, "wf.json", &sample_workflow());
    let out = comfyctl(dir)
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--count",
            "3",
            "--steps",
            "10",
        ])
        .args(["-j", "1", "-o", "b", "--reconnect-timeout", window])
        .args(["--url", &srv.url()])
        .output()
        .unwrap();
    (out.status.code(), text(&out.stderr))
}

#[test]
fn a_batch_requeues_a_job_lost_to_a_restart_once_and_records_why() {
    let srv = failing(Some(Duration::from_secs(2)), true);
    let dir = tempfile::tempdir().unwrap();
    let (code, e) = batch(dir.path(), &srv, "20");
    assert_eq!(code, Some(0), "{e}");
    assert!(
        e.contains("goes again: the server forgot it"),
        "said on screen: {e}"
    );
    let lines = manifest(&dir.path().join("b"));
    assert_eq!(lines.len(), 3, "one line per job: {lines:?}");
    assert!(lines.iter().all(|l| l["status"] == "success"), "{lines:?}");
    let retried: Vec<&Value> = lines
        .iter()
        .filter(|l| !l["retries"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(retried.len(), 1, "the lost job went again: {lines:?}");
    let r = &retried[0]["retries"][0];
    assert!(r["reason"].as_str().unwrap().contains("forgot"), "{r}");
    assert_eq!(retried[0]["attempt"], 2);
    // Each job's prompt queued once, the lost one twice under two ids: nothing ran twice
    // because of one cause.
    let log = srv.queued_log();
    assert_eq!(log.len(), 4, "{log:?}");
    let mut unique = log.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "no prompt id queued twice: {log:?}");
}

#[test]
fn a_batch_rides_out_a_blip_and_gives_up_on_a_server_that_never_returns() {
    let srv = failing(Some(Duration::from_secs(2)), false);
    let dir = tempfile::tempdir().unwrap();
    let (code, e) = batch(dir.path(), &srv, "20");
    assert_eq!(code, Some(0), "{e}");
    let lines = manifest(&dir.path().join("b"));
    assert!(lines.iter().all(|l| l["retries"] == serde_json::json!([])));
    assert_eq!(srv.queued_log().len(), 3, "nothing ran twice");

    let srv = failing(None, true);
    let dir = tempfile::tempdir().unwrap();
    let (code, e) = batch(dir.path(), &srv, "2");
    assert_eq!(code, Some(1), "{e}");
    let lines = manifest(&dir.path().join("b"));
    assert_eq!(lines.len(), 3, "every job accounted for: {lines:?}");
    assert!(lines.iter().all(|l| l["status"] == "failed"), "{lines:?}");
    assert!(e.contains("no server reachable"), "{e}");
}

#[test]
fn a_batch_killed_with_kill_9_and_resumed_adopts_what_still_runs() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(60),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let b = dir.path().join("b");
    let mut child = comfyctl_std(dir.path())
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--count",
            "6",
            "--steps",
            "10",
        ])
        .args(["-j", "2", "-o", "b", "--url", &srv.url()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it while two jobs are on the server.
    let until = Instant::now() + Duration::from_secs(30);
    while !(manifest(&b).len() >= 2 && srv.queued_ids().len() >= 2) {
        assert!(Instant::now() < until, "the batch did not get going");
        std::thread::sleep(Duration::from_millis(10));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    let before = manifest(&b).len();
    let left_behind = srv.queued_ids();
    assert!(!left_behind.is_empty());

    let out = comfyctl(dir.path())
        .args(["batch", "--resume", "b", "--json"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{e}");
    assert!(e.contains("adopted"), "says how many were adopted: {e}");
    let lines = manifest(&b);
    let mut idx: Vec<u64> = lines.iter().map(|l| l["index"].as_u64().unwrap()).collect();
    idx.sort();
    assert_eq!(idx, (0..6).collect::<Vec<_>>(), "every job once: {lines:?}");
    assert!(lines.len() > before);
    // Nothing queued twice: the jobs the kill left on the server were followed, not resent.
    let log = srv.queued_log();
    let mut unique = log.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), log.len(), "{log:?}");
    assert_eq!(log.len(), 6, "six jobs, six prompts: {log:?}");
    for id in &left_behind {
        let line = lines
            .iter()
            .find(|l| l["prompt_id"] == id.as_str())
            .unwrap_or_else(|| panic!("the adopted job {id} has its line: {lines:?}"));
        assert_eq!(line["status"], "success", "{line}");
        // The values it was sent with, as on every other line.
        assert_eq!(line["params"]["seed"], line["seed"], "{line}");
        let path = line["outputs"][0]["path"].as_str().unwrap();
        assert!(b.join(path).is_file(), "its output was saved: {path}");
    }
    assert!(
        walk(&b)
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".part"))
    );
}

#[test]
fn resume_with_the_batchs_own_arguments_repeated_works_and_other_ones_are_explained() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();
    let url = srv.url();
    let first = comfyctl(dir.path())
        .args(["batch", wf, "--sweep", "cfg=4,7", "-o", "b", "--url", &url])
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let same = comfyctl(dir.path())
        .args([
            "batch", wf, "--sweep", "cfg=4,7", "--resume", "b", "--url", &url,
        ])
        .output()
        .unwrap();
    let e = text(&same.stderr);
    assert_eq!(same.status.code(), Some(0), "{e}");
    assert!(e.contains("the arguments match the batch in b"), "{e}");
    // The original command repeated whole: its -o is the folder resumed; another is refused.
    let with_o = |o: &str| {
        comfyctl(dir.path())
            .args(["batch", wf, "--sweep", "cfg=4,7", "-o", o])
            .args(["--resume", "b", "--url", &url])
            .output()
            .unwrap()
    };
    let same_o = with_o("b");
    assert_eq!(same_o.status.code(), Some(0), "{}", text(&same_o.stderr));
    let other_o = with_o("c");
    assert_eq!(other_o.status.code(), Some(2), "{}", text(&other_o.stderr));
    assert!(text(&other_o.stderr).contains("-o c names another"));
    let other = comfyctl(dir.path())
        .args(["batch", wf, "--sweep", "cfg=4,8", "--steps", "9"])
        .args(["--resume", "b", "--url", &url])
        .output()
        .unwrap();
    let e = text(&other.stderr);
    assert_eq!(other.status.code(), Some(2), "{e}");
    assert!(e.contains("--sweep cfg=4,8 (the batch has cfg=4,7)"), "{e}");
    assert!(e.contains("node(s) 3"), "{e}");
    assert_eq!(
        srv.queued_log().len(),
        2,
        "nothing ran for the refused resume"
    );
}

/// A kill between a job's end and its manifest line: every job is on the server's history,
/// none in the manifest. The resume adopts them all (it used to say "all done already" and
/// then wait forever for servers it had not set up).
#[test]
fn a_resume_whose_every_job_is_only_in_the_sent_journal_adopts_them_and_ends() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let b = dir.path().join("b");
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--count", "2", "-o", "b"])
        .args(["--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(b.join("batch.jsonl"), "").unwrap();
    let mut child = comfyctl_std(dir.path())
        .args(["batch", "--resume", "b", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > until {
            child.kill().unwrap();
            panic!("the resume hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{e}");
    assert!(!e.contains("done already"), "{e}");
    assert!(e.contains("adopted 2 job(s)"), "{e}");
    let lines = manifest(&b);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["status"] == "success"), "{lines:?}");
    assert_eq!(srv.queued_log().len(), 2, "nothing ran twice");
    let summary: Value = serde_json::from_slice(&out.stdout)
        .ok()
        .or_else(|| {
            text(&out.stdout)
                .lines()
                .last()
                .and_then(|l| serde_json::from_str(l).ok())
        })
        .unwrap();
    assert_eq!(summary["done"], 2, "{summary}");
    assert_eq!(summary["not_run"], 0, "{summary}");
}

/// Two `--resume`s of one folder at once: the second is refused before it sends anything
/// (each used to run the jobs left, so they ran twice).
#[test]
fn a_second_resume_of_a_running_batch_is_refused() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(100),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let b = dir.path().join("b");
    let spawn = |args: &[&str]| {
        comfyctl_std(dir.path())
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn(&[
        "batch",
        wf.to_str().unwrap(),
        "--count",
        "4",
        "--steps",
        "10",
        "-j",
        "1",
        "-o",
        "b",
        "--url",
        &srv.url(),
    ]);
    let until = Instant::now() + Duration::from_secs(30);
    while srv.queued_ids().is_empty() {
        assert!(Instant::now() < until, "the batch did not get going");
        std::thread::sleep(Duration::from_millis(10));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    first.wait().unwrap();
    let posts = srv.prompt_posts();
    let mut resume = spawn(&["batch", "--resume", "b"]);
    let until = Instant::now() + Duration::from_secs(30);
    while srv.prompt_posts() == posts {
        assert!(Instant::now() < until, "the resume did not get going");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = comfyctl(dir.path())
        .args(["batch", "--resume", "b"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("is being run by another comfyctl"), "{e}");
    assert!(resume.wait().unwrap().success());
    let lines = manifest(&b);
    let mut idx: Vec<u64> = lines.iter().map(|l| l["index"].as_u64().unwrap()).collect();
    idx.sort();
    assert_eq!(idx, [0, 1, 2, 3], "each job once: {lines:?}");
    assert_eq!(srv.queued_log().len(), 4, "nothing ran twice");
}
