//! `batch` end to end: sweeps, the manifest, the grid, resume after kill -9, fail-fast, Ctrl-C,
//! and two servers with one going down.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::{comfyctl, comfyctl_with_disk_limit, sample_workflow, walk, write_workflow};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn manifest(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("batch.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The binary as a child process (for kill and Ctrl-C), with the hermetic environment.
fn spawn(home: &Path, args: &[&str]) -> std::process::Child {
    crate::common::comfyctl_std(home)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_two_by_two_sweep_gives_four_folders_a_manifest_a_labelled_grid_and_a_summary() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--sweep",
            "cfg=4,7",
            "--sweep",
        ])
        .args([
            "steps=10,20",
            "-j",
            "4",
            "--grid",
            "grid.png",
            "-o",
            "b",
            "--json",
        ])
        .args(["--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(
        (&summary["total"], &summary["done"], &summary["failed"]),
        (&json!(4), &json!(4), &json!(0))
    );
    assert_eq!(summary["servers"][0]["done"], 4);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("4 jobs on"),
        "job count shown first: {stderr}"
    );
    assert!(
        stderr.contains("batch finished: 4 done, 0 failed"),
        "{stderr}"
    );

    let b = dir.path().join("b");
    let lines = manifest(&b);
    assert_eq!(lines.len(), 4);
    let mut seen = Vec::new();
    for l in &lines {
        assert_eq!(l["status"], "success", "{l}");
        let name = l["name"].as_str().unwrap();
        let out0 = &l["outputs"][0];
        // The job's folder, with the server's subfolder kept below it.
        assert_eq!(
            out0["path"].as_str().unwrap(),
            format!("{name}/e2e/{}", out0["filename"].as_str().unwrap())
        );
        assert!(b.join(out0["path"].as_str().unwrap()).is_file());
        assert!(l["prompt_id"].as_str().unwrap().len() == 36);
        assert!(l["timings"]["total_ms"].is_u64());
        seen.push((
            l["index"].as_u64().unwrap(),
            l["params"]["cfg"].as_f64().unwrap(),
            l["params"]["steps"].as_u64().unwrap(),
            name.to_string(),
        ));
    }
    seen.sort_by_key(|s| s.0);
    assert_eq!(
        seen,
        [
            (0, 4.0, 10, "0000_cfg-4_steps-10".to_string()),
            (1, 4.0, 20, "0001_cfg-4_steps-20".into()),
            (2, 7.0, 10, "0002_cfg-7_steps-10".into()),
            (3, 7.0, 20, "0003_cfg-7_steps-20".into()),
        ]
    );
    // The server really got those values.
    let mut sent: Vec<(f64, u64)> = srv
        .history_ids()
        .iter()
        .map(|id| {
            let h = srv.history_entry(id).unwrap();
            let k = &h["prompt"][2]["3"]["inputs"];
            (k["cfg"].as_f64().unwrap(), k["steps"].as_u64().unwrap())
        })
        .collect();
    sent.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(sent, [(4.0, 10), (4.0, 20), (7.0, 10), (7.0, 20)]);
    // One WebSocket for the whole batch, under the client id every prompt was submitted with.
    let sessions = srv.ws_sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    for id in srv.history_ids() {
        let h = srv.history_entry(&id).unwrap();
        assert_eq!(h["prompt"][3]["client_id"], sessions[0].as_str());
    }

    // The grid: 2×2 cells, labels drawn, the axes in a text chunk.
    let grid = dir.path().join("grid.png");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&grid).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    let meta = info
        .utf8_text
        .iter()
        .find(|t| t.keyword == "comfyctl-grid")
        .expect("layout chunk")
        .get_text()
        .unwrap();
    let meta: Value = serde_json::from_str(&meta).unwrap();
    assert_eq!((&meta["cols"], &meta["rows"]), (&json!(2), &json!(2)));
    assert_eq!(meta["x"], json!({"name": "cfg", "values": ["4", "7"]}));
    assert_eq!(meta["y"], json!({"name": "steps", "values": ["10", "20"]}));
    let img = image::open(&grid).unwrap().to_rgb8();
    let cell = meta["cell"].as_u64().unwrap() as u32;
    assert!(
        img.width() > 2 * cell && img.width() < 2 * cell + 400,
        "{}",
        img.width()
    );
    assert!(img.height() > 2 * cell && img.height() < 2 * cell + 100);
    // Text in the top margin (column labels) and the left margin (row labels).
    let dark = |x0: u32, y0: u32, x1: u32, y1: u32| {
        (x0..x1)
            .flat_map(|x| (y0..y1).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|c| *c < 80))
            .count()
    };
    assert!(dark(0, 0, img.width(), 30) > 40, "column labels");
    assert!(dark(0, 40, 100, img.height()) > 40, "row labels");
    assert_eq!(summary["grid"]["images"], 4);
}

#[test]
fn dry_run_lists_jobs_from_counts_ranges_and_params_files_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    std::fs::write(
        dir.path().join("rows.csv"),
        "prompt,cfg\n\"a fox, red\",5\na cat,\n",
    )
    .unwrap();
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--params-file", "rows.csv"])
        .args([
            "--sweep",
            "steps=10..30:10",
            "--count",
            "2",
            "--dry-run",
            "--jsonl",
        ])
        .args(["--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let jobs: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(jobs.len(), 2 * 3 * 2);
    assert_eq!(
        jobs[0]["params"],
        json!({"prompt": "a fox, red", "cfg": "5", "steps": "10", "seed": 1234})
    );
    assert_eq!(jobs[1]["params"]["seed"], 1235);
    assert_eq!(
        jobs[11]["params"],
        json!({"prompt": "a cat", "steps": "30", "seed": 1235})
    );
    assert!(text(&out.stderr).contains("12 jobs (6 combinations × --count 2)"));
    assert!(
        !dir.path().join("outputs").exists(),
        "a dry run writes nothing"
    );
}

#[test]
fn bad_sweeps_names_and_dirs_are_refused_before_anything_is_sent() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = |extra: &[&str]| {
        comfyctl(dir.path())
            .args(["batch", wf.to_str().unwrap(), "--url", &srv.url()])
            .args(extra)
            .output()
            .unwrap()
    };
    let cases: &[(&[&str], &str)] = &[
        (&["--sweep", "cfgg=1,2"], "did you mean 'cfg'"),
        (&["--sweep", "steps=10,ten"], "--sweep steps=ten"),
        (
            &["--sweep", "steps=1..5:0"],
            "step '0' must be a positive number",
        ),
        (
            &["--sweep", "cfg=1,2", "--sweep", "steps=1,2,3", "--zip"],
            "--zip needs sweeps of equal length",
        ),
        (
            &["--count", "3", "--name", "fixed"],
            "gives jobs 0 and 1 the same folder",
        ),
        (&["--name", "{index}_{cfgg}"], "unknown field '{cfgg}'"),
        (&["--params-file", "missing.csv"], "cannot read missing.csv"),
        (&["--grid", "grid.jpg"], "name it FILE.png"),
        (&["-j", "0"], "at least 1"),
    ];
    for (args, needle) in cases {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // A value the server would reject: exit 3, nothing queued, no batch directory left.
    let out = run(&["--sweep", "sampler=euler,bogus", "-o", "rej"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--sweep sampler=bogus"));
    assert!(!dir.path().join("rej").exists());
    assert!(srv.history_ids().is_empty() && srv.queued_ids().is_empty());
    // An existing batch is not overwritten.
    assert!(run(&["-o", "done"]).status.success());
    let out = run(&["-o", "done"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--resume done"),
        "{}",
        text(&out.stderr)
    );
    let out = comfyctl(dir.path())
        .args(["batch", "--resume", "nowhere", "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is it a batch directory"));
}

#[test]
fn a_full_disk_fails_jobs_cleanly_the_manifest_stays_whole_and_resume_finishes() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| f.output_size = Some(1 << 20));
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl_with_disk_limit(dir.path(), 256 << 10)
        .args(["batch", wf.to_str().unwrap(), "--count", "3", "-o", "b"])
        .args(["--url", &srv.url()])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    let b = dir.path().join("b");
    let lines = manifest(&b);
    assert_eq!(lines.len(), 3, "one line per job: {lines:?}");
    for l in &lines {
        assert_eq!(l["status"], "failed", "{l}");
        assert_eq!(l["error"]["kind"], "local_io", "{l}");
        assert!(
            l["error"]["message"]
                .as_str()
                .unwrap()
                .contains("File too large"),
            "{l}"
        );
    }
    let mut files: Vec<String> = walk(&b)
        .iter()
        .map(|p| p.strip_prefix(&b).unwrap().display().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "batch.json",
            "batch.jsonl",
            "batch.lock",
            "batch.sent.jsonl"
        ],
        "nothing partial left"
    );
    // With room again, --resume alone goes back to the batch's server and runs the three.
    let out = comfyctl(dir.path())
        .args(["batch", "--resume", b.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert!(out.status.success(), "{e}");
    assert!(
        e.contains(&format!(
            "resuming on the batch's own servers: {}",
            srv.url()
        )),
        "{e}"
    );
    let done: Vec<Value> = manifest(&b)
        .into_iter()
        .filter(|l| l["status"] == "success")
        .collect();
    assert_eq!(done.len(), 3);
    for l in &done {
        let p = b.join(l["outputs"][0]["path"].as_str().unwrap());
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 1 << 20, "{p:?}");
    }
}

#[test]
fn a_batch_killed_mid_way_resumes_exactly_the_missing_jobs() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(25),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let url = srv.url();
    let wfs = wf.to_str().unwrap();
    let b = dir.path().join("b");
    let mut child = spawn(
        dir.path(),
        &[
            "batch", wfs, "--count", "8", "--steps", "12", "-o", "b", "--url", &url,
        ],
    );
    wait_for("two finished jobs", Duration::from_secs(30), || {
        manifest(&b).len() >= 2
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let before = manifest(&b);
    let done_before: Vec<u64> = before
        .iter()
        .filter(|l| l["status"] == "success")
        .map(|l| l["index"].as_u64().unwrap())
        .collect();
    assert!(
        done_before.len() >= 2 && done_before.len() < 8,
        "{done_before:?}"
    );
    // No file at a final path is partial: a download cut by the kill can only have left its
    // temp file (`.NAME.ID.part`); every other output is whole.
    for entry in walk(&b) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".part") || name.starts_with("batch.") {
            continue;
        }
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            FakeServer::default_output(),
            "a partial file at a final path: {name}"
        );
    }

    let out = comfyctl(dir.path())
        .args(["batch", "--resume", "b", "--url", &url, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["skipped"], done_before.len());
    assert_eq!(summary["done"], 8 - done_before.len());
    let after = manifest(&b);
    let new_lines = &after[before.len()..];
    let mut redone: Vec<u64> = new_lines
        .iter()
        .map(|l| l["index"].as_u64().unwrap())
        .collect();
    redone.sort();
    let missing: Vec<u64> = (0..8).filter(|i| !done_before.contains(i)).collect();
    assert_eq!(redone, missing, "exactly the jobs without a success line");
    for l in new_lines {
        assert_eq!(l["status"], "success");
        // Seeds are the same as the first run would have used (increment from 1234).
        assert_eq!(l["seed"], 1234 + l["index"].as_u64().unwrap());
    }
    // A second resume has nothing to do.
    let out = comfyctl(dir.path())
        .args(["batch", "--resume", "b", "--url", &url])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("all 8 jobs of b are done already"));
}

/// sample + ImageScaleBy: the fake fails the scale node when scale_by < 0.05.
fn scaling_workflow() -> Value {
    let mut wf = sample_workflow();
    wf["10"] = json!({"class_type": "ImageScaleBy", "inputs": {"image": ["8", 0], "upscale_method": "nearest-exact", "scale_by": 1.0}});
    wf["9"]["inputs"]["images"] = json!(["10", 0]);
    wf
}

#[test]
fn failures_do_not_stop_the_batch_unless_fail_fast() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &scaling_workflow());
    let out = comfyctl(dir.path())
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--sweep",
            "10.scale_by=0.01,0.5,1,2",
        ])
        .args(["-o", "all", "--url", &srv.url(), "--jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "four job lines and the summary");
    let failed: Vec<&Value> = lines.iter().filter(|l| l["status"] == "error").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["index"], 0);
    assert_eq!(failed[0]["error"]["node_type"], "ImageScaleBy");
    assert_eq!(lines[4]["type"], "summary");
    assert_eq!(
        (&lines[4]["done"], &lines[4]["failed"]),
        (&json!(3), &json!(1))
    );
    assert!(text(&out.stderr).contains("job 0 (0000_10.scale_by-0.01) error"));

    let out = comfyctl(dir.path())
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--sweep",
            "10.scale_by=0.01,0.5,1,2",
        ])
        .args([
            "-o",
            "ff",
            "--url",
            &srv.url(),
            "--fail-fast",
            "-j",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["failed"], 1);
    assert_eq!(s["not_run"], 3, "{s}");
    assert!(text(&out.stderr).contains("--fail-fast"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_only_this_batchs_jobs_and_exits_130() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(150),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let url = srv.url();
    let wfs = wf.to_str().unwrap();
    let b = dir.path().join("b");
    let mut child = spawn(
        dir.path(),
        &[
            "batch", wfs, "--count", "6", "--steps", "40", "-o", "b", "--url", &url,
        ],
    );
    wait_for("a running job", Duration::from_secs(20), || {
        srv.queued_ids().len() >= 2
    });
    // Someone else's job, queued behind ours: it must survive our Ctrl-C.
    let mut other = sample_workflow();
    other["3"]["inputs"]["seed"] = json!(99);
    let p = write_workflow(dir.path(), "other.json", &other);
    let o = comfyctl(dir.path())
        .args(["run", p.to_str().unwrap(), "--detach", "--url", &url])
        .output()
        .unwrap();
    let other_id = text(&o.stdout).trim().to_string();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = wait_child(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130));
    let lines = manifest(&b);
    assert!(
        lines.iter().any(|l| l["status"] == "cancelled"),
        "{lines:?}"
    );
    // The interrupted job leaves the running slot at the server's next step.
    wait_for(
        "our jobs to leave the queue",
        Duration::from_secs(5),
        || srv.queued_ids() == [other_id.clone()],
    );
}

/// Waits for the child, then reads what it printed (small: `--json` and a few lines).
fn wait_output(
    child: &mut std::process::Child,
    t: Duration,
) -> (std::process::ExitStatus, String, String) {
    use std::io::Read;
    let status = wait_child(child, t);
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stdout, stderr)
}

fn wait_child(child: &mut std::process::Child, t: Duration) -> std::process::ExitStatus {
    let until = Instant::now() + t;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < until, "comfyctl did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_server_down_at_the_start_gets_jobs_once_it_comes_back() {
    let a = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(15),
        ..Default::default()
    });
    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ub = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out_dir = dir.path().join("m");
    let ua = a.url();
    let mut child = spawn(
        dir.path(),
        &[
            "batch",
            wf.to_str().unwrap(),
            "--count",
            "40",
            "--steps",
            "10",
            "-j",
            "1",
            "-o",
            "m",
            "--url",
            &ua,
            "--url",
            &ub,
            "--json",
        ],
    );
    wait_for(
        "the first job on the up server",
        Duration::from_secs(30),
        || !manifest(&out_dir).is_empty(),
    );
    let b = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(15),
        port,
        ..Default::default()
    });
    let (status, stdout, stderr) = wait_output(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(0), "{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["done"], 40, "{s}");
    let on_b = manifest(&out_dir)
        .iter()
        .filter(|l| l["server"] == ub.as_str())
        .count();
    assert!(on_b >= 1, "the returning server took jobs: {s}\n{stderr}");
    assert!(stderr.contains("trying it again every 3s"), "{stderr}");
    assert!(
        stderr.contains(&format!("{ub} is up; sending it jobs")),
        "{stderr}"
    );
    assert_eq!(b.history_ids().len(), on_b, "each of them ran there once");
    let mut idx: Vec<u64> = manifest(&out_dir)
        .iter()
        .map(|l| l["index"].as_u64().unwrap())
        .collect();
    idx.sort();
    assert_eq!(idx, (0..40).collect::<Vec<_>>(), "every job once");
}

#[test]
fn jobs_spread_over_two_servers_and_move_when_one_goes_down() {
    let a = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(10),
        ..Default::default()
    });
    let b = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(40),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let (ua, ub) = (a.url(), b.url());
    let out_dir = dir.path().join("m");
    let mut child = spawn(
        dir.path(),
        &[
            "batch",
            wf.to_str().unwrap(),
            "--count",
            "12",
            "--steps",
            "10",
            "-o",
            "m",
            "--url",
            &ua,
            "--url",
            &ub,
            "--json",
            // The second server never comes back: its job in flight waits this long for it
            // (a restart) before moving.
            "--reconnect-timeout",
            "5",
        ],
    );
    wait_for(
        "a job on the second server",
        Duration::from_secs(30),
        || {
            manifest(&out_dir)
                .iter()
                .any(|l| l["server"] == ub.as_str())
        },
    );
    drop(b);
    let (status, stdout, stderr) = wait_output(&mut child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["done"], 12, "{s}");
    assert_eq!(s["servers"][1]["down"], true);
    assert!(s["servers"][0]["done"].as_u64().unwrap() >= 1);
    assert!(s["servers"][1]["done"].as_u64().unwrap() >= 1);
    assert!(stderr.contains("is down; moving its jobs"), "{stderr}");
    let lines = manifest(&out_dir);
    let mut idx: Vec<u64> = lines.iter().map(|l| l["index"].as_u64().unwrap()).collect();
    idx.sort();
    assert_eq!(idx, (0..12).collect::<Vec<_>>(), "every job once");
}

#[test]
fn a_profile_with_several_urls_is_a_farm_for_batch_and_one_server_for_run() {
    let a = FakeServer::start(FakeOptions::default());
    let b = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[profiles.farm]\nurls = [\"{}\", \"{}\"]\njobs = 3\n",
            a.url(),
            b.url()
        ),
    )
    .unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args([
            "batch",
            wf.to_str().unwrap(),
            "--count",
            "6",
            "--profile",
            "farm",
        ])
        .args(["-o", "f", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let servers = s["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[0]["url"], a.url().as_str());
    assert_eq!(servers[1]["jobs"], 3);
    assert_eq!(
        servers[0]["done"].as_u64().unwrap() + servers[1]["done"].as_u64().unwrap(),
        6
    );
    // Other commands take the first server; several --url is batch-only.
    let out = comfyctl(dir.path())
        .args(["run", wf.to_str().unwrap(), "--profile", "farm", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["server"], a.url().as_str());
    let out = comfyctl(dir.path())
        .args([
            "run",
            wf.to_str().unwrap(),
            "--url",
            &a.url(),
            "--url",
            &b.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("only batch takes several --profile or --url"));
}

/// A swept seed is the job's seed everywhere: the prompt, the manifest line, the folder name.
#[test]
fn a_swept_seed_names_the_jobs_and_is_their_manifest_seed() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--sweep", "seed=5,6"])
        .args(["--name", "job_{seed}", "-o", "b", "--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut lines = manifest(&dir.path().join("b"));
    lines.sort_by_key(|l| l["index"].as_u64());
    let got: Vec<(Value, Value)> = lines
        .iter()
        .map(|l| (l["seed"].clone(), l["name"].clone()))
        .collect();
    assert_eq!(
        got,
        [(json!(5), json!("job_5")), (json!(6), json!("job_6"))],
        "{lines:?}"
    );
    let mut sent: Vec<Value> = srv
        .history_ids()
        .iter()
        .map(|id| srv.history_entry(id).unwrap()["prompt"][2]["3"]["inputs"]["seed"].clone())
        .collect();
    sent.sort_by_key(|v| v.as_u64());
    assert_eq!(sent, [json!(5), json!(6)]);
}
