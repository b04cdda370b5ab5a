//! `comfyctl watch`: attaching to a detached run (live steps, previews, outputs), surviving a
//! dropped socket, exit codes, and the live monitor.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn detach(dir: &Path, srv: &FakeServer, wf: &Value) -> (String, String) {
    let p = write_workflow(dir, "wf.json", wf);
    let out = comfyctl(dir)
        .args([
            "run",
            p.to_str().unwrap(),
            "--detach",
            "--json",
            "--no-validate",
            "--url",
            &srv.url(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["prompt_id"].as_str().unwrap().to_string(),
        v["client_id"].as_str().unwrap().to_string(),
    )
}

fn slow() -> FakeServer {
    FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(120),
        ..Default::default()
    })
}

#[test]
fn attach_as_the_submitter_saves_previews_and_outputs() {
    let srv = slow();
    let dir = tempfile::tempdir().unwrap();
    let (pid, cid) = detach(dir.path(), &srv, &sample_workflow());
    let out = comfyctl(dir.path())
        .args([
            "watch",
            "--prompt-id",
            &pid,
            "--client-id",
            &cid,
            "--previews",
            "p",
            "--download",
            "--jsonl",
            "--url",
            &srv.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let previews: Vec<&Value> = lines.iter().filter(|l| l["type"] == "preview").collect();
    assert!(!previews.is_empty(), "live steps arrive as the submitter");
    for pv in &previews {
        let path = pv["path"].as_str().unwrap();
        assert!(path.starts_with(&format!("p/{pid}/3/")), "{path}");
        assert!(dir.path().join(path).is_file());
    }
    assert!(lines.iter().any(|l| l["type"] == "progress"));
    assert!(lines.iter().any(|l| l["type"] == "saved"));
    assert_eq!(lines.last().unwrap()["type"], "result");
    assert!(dir.path().join("outputs/e2e/sample_00001_.png").is_file());
}

#[test]
fn a_dropped_socket_does_not_lose_the_end() {
    let srv = slow();
    let dir = tempfile::tempdir().unwrap();
    let (pid, cid) = detach(dir.path(), &srv, &sample_workflow());
    srv.faults(|f| f.ws_drop_after = Some(4));
    let out = comfyctl(dir.path())
        .args([
            "watch",
            "--prompt-id",
            &pid,
            "--client-id",
            &cid,
            "--url",
            &srv.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(e.contains("success"), "{e}");
    assert!(
        text(&out.stdout).contains("/view?filename=sample_"),
        "URLs without --download"
    );
}

#[test]
fn exit_codes_and_someone_elses_job() {
    // Slow enough that the failing job is still queued when watch looks.
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(700),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let bad = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
        "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 0.01}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}
    });
    let (pid, _) = detach(dir.path(), &srv, &bad);
    // Without the client id: followed through queue and history, with a warning.
    let out = comfyctl(dir.path())
        .args(["watch", "--prompt-id", &pid, "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("pass --client-id"));
    let out = comfyctl(dir.path())
        .args([
            "watch",
            "--prompt-id",
            "00000000-0000-4000-8000-000000000000",
            "--url",
            &srv.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the server has no prompt"));
}

#[test]
fn monitor_reports_jobs_of_any_client() {
    let srv = slow();
    let dir = tempfile::tempdir().unwrap();
    let child = crate::common::comfyctl_std(dir.path())
        .args(["watch", "--jsonl", "--timeout", "4", "--url", &srv.url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (pid, _) = detach(dir.path(), &srv, &sample_workflow());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(5), "ends at --timeout");
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["type"] == "job_finished"
            && l["prompt_id"] == pid.as_str()
            && l["status"] == "success"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l["type"] == "status"));
}

#[test]
fn type1_previews_are_attributed_to_the_running_node() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(120),
        faults: crate::common::fake_server::Faults {
            type1_previews: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (pid, cid) = detach(dir.path(), &srv, &sample_workflow());
    let out = comfyctl(dir.path())
        .args([
            "watch",
            "--prompt-id",
            &pid,
            "--client-id",
            &cid,
            "--previews",
            "p",
            "--url",
            &srv.url(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let frames: Vec<_> = std::fs::read_dir(dir.path().join("p").join(&pid).join("3"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!frames.is_empty());
    assert!(
        frames.iter().all(|f| f.ends_with(".jpg") && f.len() == 9),
        "{frames:?}"
    );
    // The real recording's type-1 frame is a JPEG.
    let first = std::fs::read(dir.path().join("p").join(&pid).join("3").join("00001.jpg")).unwrap();
    assert_eq!(&first[..2], &[0xff, 0xd8]);
}
