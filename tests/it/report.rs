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
