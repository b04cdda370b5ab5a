//! `comfyctl report DIR`: the page for a real batch against the fake server, and the errors.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::Value;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_finished_sweep_gets_a_page_with_every_job_thumbnailed_and_the_grid() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--sweep", "cfg=4,7"])
        .args(["--sweep", "steps=10,20", "-o", "b", "--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = comfyctl(dir.path()).args(["report", "b"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}\n",
            std::path::Path::new("b").join("report.html").display()
        )
    );
    assert!(
        text(&out.stderr)
            .contains("report: 4 jobs (4 done, 0 failed, 0 not finished), 4 thumbnails"),
        "{}",
        text(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("b/report.html")).unwrap();
    assert_eq!(html.matches("<article class=\"job st-success\"").count(), 4);
    assert_eq!(
        html.matches("src=\"data:image/jpeg;base64,").count(),
        8,
        "cards and grid"
    );
    assert!(html.contains("<h2>Grid: cfg × steps</h2>"));
    // Every linked image exists relative to the page.
    for href in html
        .split("<a href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
    {
        let decoded = href.replace("%20", " ");
        assert!(dir.path().join("b").join(&decoded).is_file(), "{href}");
    }

    // Elsewhere, with --json: links go back into the folder.
    let out = comfyctl(dir.path())
        .args(["report", "b", "-o", "pages/sweep.html", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["type"].as_str(),
            v["jobs"].as_u64(),
            v["succeeded"].as_u64()
        ),
        (Some("report"), Some(4), Some(4))
    );
    let html = std::fs::read_to_string(dir.path().join("pages/sweep.html")).unwrap();
    assert!(
        html.contains("<a href=\"../b/0000_cfg-4_steps-10/e2e/"),
        "links climb out of pages/"
    );

    // `-o -`: the page on stdout.
    let out = comfyctl(dir.path())
        .args(["report", "b", "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("<!doctype html>"));
}

#[test]
fn a_folder_that_is_not_a_batch_is_a_usage_error_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    let out = comfyctl(dir.path())
        .args(["report", "photos"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error: photos is not a batch folder: it has no batch.json"),
        "{err}"
    );
    assert!(
        err.contains("hint: a batch folder is the one `comfyctl batch -o DIR` made"),
        "{err}"
    );
    assert!(!dir.path().join("photos/report.html").exists());
}

/// A page never replaces a file it did not write: not the workflow, not the manifest, not
/// anything else; a page it wrote is replaced. `batch --report` refuses before any job.
#[test]
fn a_report_refuses_to_overwrite_a_file_that_is_not_a_report_page() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf_before = std::fs::read(&wf).unwrap();
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--count", "2", "-o", "b"])
        .args(["--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = std::fs::read(dir.path().join("b/batch.jsonl")).unwrap();

    for target in ["wf.json", "b/batch.jsonl", "b/batch.json"] {
        let out = comfyctl(dir.path())
            .args(["report", "b", "-o", target])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {err}");
        assert!(
            err.contains("exists and is not a report page comfyctl wrote"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read(&wf).unwrap(),
        wf_before,
        "the workflow is untouched"
    );
    assert_eq!(
        std::fs::read(dir.path().join("b/batch.jsonl")).unwrap(),
        manifest
    );

    // A page it wrote is written again.
    for _ in 0..2 {
        let out = comfyctl(dir.path())
            .args(["report", "b", "-o", "page.html"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    // A directory, and a folder that is not there, say so.
    let out = comfyctl(dir.path())
        .args(["report", "b", "-o", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is a directory"),
        "{}",
        text(&out.stderr)
    );
    let out = comfyctl(dir.path())
        .args(["report", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nowhere: no such folder"),
        "{}",
        text(&out.stderr)
    );

    // batch --report onto the workflow: refused before anything is sent.
    let posts = srv.prompt_posts();
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--report", "wf.json"])
        .args(["-o", "c", "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(srv.prompt_posts(), posts, "nothing was sent");
    assert_eq!(std::fs::read(&wf).unwrap(), wf_before);
}
