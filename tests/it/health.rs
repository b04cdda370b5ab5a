//! `comfyctl health`: every check passing, each failing in turn, and the smoke test end to end.

use crate::common::comfyctl;
use crate::common::fake_server::{CloudOptions, FakeOptions, FakeServer, Faults};
use serde_json::Value;
use std::path::Path;

fn health(dir: &Path, url: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let out = comfyctl(dir)
        .args(["health", "--json", "--url", url])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn status<'a>(v: &'a Value, name: &str) -> &'a str {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["status"].as_str())
        .unwrap_or("absent")
}

#[test]
fn healthy_server_with_smoke_test_and_no_cache_reuse() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = health(dir.path(), &srv.url(), &["--smoke"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["healthy"], true);
    for name in [
        "profile",
        "reachable",
        "version",
        "devices",
        "queue",
        "object_info",
        "websocket",
        "models",
        "disk",
        "smoke",
    ] {
        assert_eq!(status(&v, name), "ok", "{name}: {v}");
    }
    let (code, _) = health(dir.path(), &srv.url(), &["--smoke"]);
    assert_eq!(code, Some(0));
    // Two smoke jobs, neither answered from the cache.
    let ids = srv.history_ids();
    assert_eq!(ids.len(), 2);
    for id in ids {
        let e = srv.history_entry(&id).unwrap();
        let cached = e["status"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m[0] == "execution_cached")
            .map(|m| m[1]["nodes"].as_array().unwrap().len())
            .unwrap_or(0);
        assert_eq!(cached, 0, "{e}");
    }
    // Nothing landed in the user's output directory.
    assert!(!dir.path().join("outputs").exists());
}

#[test]
fn each_failure_is_its_own_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = health(dir.path(), "http://127.0.0.1:9", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&v, "reachable"), "fail");
    assert_eq!(status(&v, "websocket"), "skip");

    let srv = FakeServer::start(FakeOptions {
        faults: Faults {
            ws_refuse: 100,
            ..Default::default()
        },
        ..Default::default()
    });
    let (code, v) = health(dir.path(), &srv.url(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&v, "websocket"), "fail");
    assert_eq!(status(&v, "object_info"), "ok");

    let srv = FakeServer::start(FakeOptions::default());
    srv.faults(|f| {
        f.fail_next.insert("object_info".into(), (10, 500));
    });
    let (code, v) = health(dir.path(), &srv.url(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&v, "object_info"), "fail");

    let srv = FakeServer::start(FakeOptions {
        faults: Faults {
            fail_class: Some("EmptyImage".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    let (code, v) = health(dir.path(), &srv.url(), &["--smoke"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&v, "smoke"), "fail");

    // The human view: one line per check, marks, and a verdict.
    let out = comfyctl(dir.path())
        .args(["health", "--url", &srv.url()])
        .output()
        .unwrap();
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(
        o.contains("✓ reachable") && o.contains("✓ websocket"),
        "{o}"
    );
    assert!(
        o.trim_end().ends_with("healthy (9 checks, 0 warning(s))"),
        "{o}"
    );
}

#[test]
fn smoke_on_cloud_asks_first() {
    let srv = FakeServer::start(FakeOptions {
        cloud: Some(CloudOptions::default()),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let key = CloudOptions::default().api_key;
    let out = comfyctl(dir.path())
        .env("COMFYCTL_KIND", "cloud")
        .env("COMFY_CLOUD_API_KEY", &key)
        .args(["health", "--smoke", "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("costs credits: pass --yes"));
    assert!(srv.submissions().is_empty());
    let out = comfyctl(dir.path())
        .env("COMFYCTL_KIND", "cloud")
        .env("COMFY_CLOUD_API_KEY", &key)
        .args(["health", "--smoke", "--yes", "--json", "--url", &srv.url()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(status(&v, "smoke"), "ok");
}
