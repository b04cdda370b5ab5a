//! Opt-in checks against a real ComfyUI: `COMFYCTL_E2E_URL=http://127.0.0.1:8188 cargo test --test e2e`.
//! Only core nodes are used, so no model is needed. Skipped (and says so) when the variable is unset.

use assert_cmd::Command;
use serde_json::{Value, json};

fn server() -> Option<String> {
    let url = std::env::var("COMFYCTL_E2E_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: set COMFYCTL_E2E_URL to a real ComfyUI server to run the e2e checks");
    }
    url
}

fn run(url: &str, wf: &Value, extra: &[&str]) -> (Option<i32>, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wf.json");
    std::fs::write(&p, wf.to_string()).unwrap();
    let out = Command::cargo_bin("comfyctl")
        .unwrap()
        .env("COMFYCTL_CONFIG", dir.path().join("none.toml"))
        .current_dir(dir.path())
        .args(["run", p.to_str().unwrap(), "--url", url, "--json"])
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn smoke(color: u64, width: i64) -> Value {
    json!({
        "1": {"class_type": "EmptyImage", "inputs": {"width": width, "height": 24, "batch_size": 1, "color": color}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "comfyctl-e2e/smoke"}}
    })
}

#[test]
fn real_server_success_saves_png_in_subfolder() {
    let Some(url) = server() else { return };
    let color = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 16_777_215;
    let (code, v, err) = run(&url, &smoke(color, 32), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["status"], "success");
    assert_eq!(v["outputs"][0]["subfolder"], "comfyctl-e2e");
    assert!(v["outputs"][0]["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn real_server_validation_error_exit_3() {
    let Some(url) = server() else { return };
    // comfyctl's own check and the server's must agree on type, node and input.
    let (code, local, err) = run(&url, &smoke(0, 0), &[]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(local["error"]["rejected_by"], "comfyctl");
    let (code, remote, err) = run(&url, &smoke(0, 0), &["--no-validate"]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(remote["error"]["rejected_by"], "server");
    for v in [&local, &remote] {
        let e = &v["error"]["node_errors"][0];
        assert_eq!(e["node_id"], "1");
        assert_eq!(e["errors"][0]["type"], "value_smaller_than_min");
        assert_eq!(e["errors"][0]["input_name"], "width");
    }
    assert_eq!(
        local["error"]["node_errors"][0]["errors"][0]["message"],
        remote["error"]["node_errors"][0]["errors"][0]["message"]
    );
}

#[test]
fn real_server_parameters_and_validate() {
    let Some(url) = server() else { return };
    // `-p width=…` reaches EmptyImage only through --set; friendly names need a sampler graph,
    // so check `validate` against the server's definitions and a named input instead.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wf.json");
    std::fs::write(&p, smoke(5, 16).to_string()).unwrap();
    let out = Command::cargo_bin("comfyctl")
        .unwrap()
        .env("COMFYCTL_CONFIG", dir.path().join("none.toml"))
        .env("COMFYCTL_CACHE_DIR", dir.path().join("cache"))
        .args([
            "validate",
            p.to_str().unwrap(),
            "--url",
            &url,
            "--json",
            "-p",
            "filename_prefix=comfyctl-e2e/v",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert!(v["definitions"]["classes"].as_u64().unwrap() > 100);
}

#[test]
fn real_server_execution_error_exit_1() {
    let Some(url) = server() else { return };
    let wf = json!({
        "1": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 24, "batch_size": 1, "color": 7}},
        "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 0.01}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "comfyctl-e2e/err"}}
    });
    let (code, v, err) = run(&url, &wf, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(v["error"]["node_id"], "2");
}
