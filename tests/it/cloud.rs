//! Comfy Cloud against the fake cloud: `/api` routing, `X-API-Key`, the broadcast WebSocket,
//! signed-URL redirects to another host that must never see the key, status synonyms, and
//! the errors a person can act on.

use crate::common::fake_server::{CloudOptions, FakeOptions, FakeServer, Faults};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const KEY: &str = "ck-test-secret-0123456789";
const PARTNER: &str = "partner-key-abcdef";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn cloud(opts: CloudOptions, faults: Faults) -> FakeServer {
    cloud_slow(opts, faults, std::time::Duration::from_millis(5))
}

fn cloud_slow(opts: CloudOptions, faults: Faults, step_delay: std::time::Duration) -> FakeServer {
    FakeServer::start(FakeOptions {
        cloud: Some(opts),
        faults,
        step_delay,
        ..Default::default()
    })
}

/// A `cloud` profile pointing at the fake (a real one would just use the cloud.comfy.org URL).
fn profile(dir: &Path, srv: &FakeServer) {
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[profiles.cloud]\nurl = \"{}\"\nkind = \"cloud\"\n",
            srv.url()
        ),
    )
    .unwrap();
}

fn run(dir: &Path, srv: &FakeServer, extra: &[&str], key: Option<&str>) -> Output {
    profile(dir, srv);
    let p = write_workflow(dir, "wf.json", &sample_workflow());
    let mut cmd = comfyctl(dir);
    if let Some(k) = key {
        cmd.env("COMFY_CLOUD_API_KEY", k);
    }
    cmd.arg("run")
        .arg(&p)
        .args(["--profile", "cloud"])
        .args(extra)
        .output()
        .unwrap()
}

fn assert_no_key(out: &Output) {
    for s in [text(&out.stdout), text(&out.stderr)] {
        assert!(!s.contains(KEY), "the key leaked: {s}");
        assert!(!s.contains(PARTNER), "the partner key leaked: {s}");
        assert!(
            !s.contains("deadbeef"),
            "a signed URL's signature leaked: {s}"
        );
    }
}

fn assert_storage_never_saw_credentials(srv: &FakeServer) {
    let reqs = srv.storage_requests();
    assert!(!reqs.is_empty(), "the download went through storage");
    for (path, headers) in reqs {
        for (k, v) in headers {
            let k = k.to_ascii_lowercase();
            assert!(
                !matches!(k.as_str(), "x-api-key" | "authorization" | "cookie") && !v.contains(KEY),
                "storage got {k}: {v} on {path}"
            );
        }
    }
}

#[test]
fn run_on_cloud_routes_auth_broadcast_and_signed_download() {
    let srv = cloud(CloudOptions::default(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    profile(dir.path(), &srv);
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .env("COMFY_API_KEY", PARTNER)
        .args([
            "run",
            p.to_str().unwrap(),
            "--profile",
            "cloud",
            "--json",
            "-v",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_no_key(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["status"], "success",
        "another job's execution_error is not ours"
    );
    let saved = dir.path().join(v["outputs"][0]["path"].as_str().unwrap());
    assert_eq!(std::fs::read(saved).unwrap(), FakeServer::default_output());
    let err = text(&out.stderr);
    assert!(err.contains("server: Executing workflow..."), "{err}");
    assert!(
        err.contains("WS connect") && err.contains("token=redacted"),
        "{err}"
    );
    // Every request went to /api (or the WebSocket), none to local paths.
    for r in srv.requests() {
        let path = r.split_whitespace().nth(1).unwrap_or("");
        assert!(path.starts_with("/api/") || path.starts_with("/ws"), "{r}");
    }
    // Cloud's PromptRequest has no client_id/prompt_id; partner nodes get their own key.
    let sub = &srv.submissions()[0];
    assert!(
        sub.get("client_id").is_none() && sub.get("prompt_id").is_none(),
        "{sub}"
    );
    assert_eq!(sub["extra_data"]["api_key_comfy_org"], PARTNER);
    assert_storage_never_saw_credentials(&srv);
}

#[test]
fn every_redirect_kind_and_chain_keeps_the_key_home() {
    for chain in [
        vec![301],
        vec![302],
        vec![303],
        vec![307],
        vec![308],
        vec![302, 307, 308, 301],
    ] {
        let srv = cloud(
            CloudOptions {
                redirects: chain.clone(),
                ..Default::default()
            },
            Faults::default(),
        );
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), &srv, &["--json"], Some(KEY));
        assert!(out.status.success(), "{chain:?}: {}", text(&out.stderr));
        assert_no_key(&out);
        assert_eq!(srv.storage_requests().len(), chain.len(), "{chain:?}");
        assert_storage_never_saw_credentials(&srv);
    }
}

#[test]
fn missing_and_refused_keys_say_what_to_do() {
    let srv = cloud(CloudOptions::default(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &[], None);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("Comfy Cloud needs an API key: COMFY_CLOUD_API_KEY is not set"),
        "{e}"
    );
    assert!(e.contains("platform.comfy.org"), "{e}");
    assert!(srv.requests().is_empty(), "nothing sent without a key");

    let out = run(dir.path(), &srv, &["--json"], Some("wrong-key"));
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(
        e.contains("Invalid or missing API key (unauthorized)"),
        "{e}"
    );
    assert!(e.contains("hint: the key was refused"), "{e}");
    assert!(!e.contains("wrong-key"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "unauthorized");
}

#[test]
fn account_errors_map_to_messages_and_codes() {
    for (status, code, words) in [
        (402, "insufficient_credits", "out of credits"),
        (403, "forbidden", "Standard, Creator or Pro"),
        (429, "subscription_inactive", "subscription is inactive"),
    ] {
        let srv = cloud(CloudOptions::default(), Faults::default());
        srv.cloud_fail_prompt(status);
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), &srv, &["--json", "--no-validate"], Some(KEY));
        assert_eq!(out.status.code(), Some(4), "{status}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["error"]["kind"], code);
        assert!(
            text(&out.stderr).contains(words),
            "{status}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            srv.submissions().len(),
            1,
            "{status}: a refused submission is not retried"
        );
    }
}

#[test]
fn without_the_websocket_status_synonyms_drive_the_job() {
    let srv = cloud(
        CloudOptions {
            status_words: ("executing".into(), "success".into()),
            ..Default::default()
        },
        Faults {
            ws_refuse: 1000,
            ..Default::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &srv, &["--json"], Some(KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        srv.requests()
            .iter()
            .any(|r| r.contains("/api/job/") && r.ends_with("/status"))
    );

    // A word nobody documented is shown, and the job is still followed to its end.
    let srv = cloud_slow(
        CloudOptions {
            status_words: ("teleporting".into(), "completed".into()),
            ..Default::default()
        },
        Faults {
            ws_refuse: 1000,
            ..Default::default()
        },
        std::time::Duration::from_millis(250),
    );
    let out = run(dir.path(), &srv, &["--json"], Some(KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert_eq!(
        e.matches("the server reports status 'teleporting', which comfyctl does not know")
            .count(),
        1,
        "{e}"
    );
}

/// The model listing the dependency and health checks use: both shapes, both folder names.
#[test]
fn model_lists_are_normalised_and_aliased() {
    let srv = cloud(CloudOptions::default(), Faults::default());
    srv.add_model("diffusion_models", "flux1-dev.safetensors");
    let local = FakeServer::start(FakeOptions::default());
    local.add_model("diffusion_models", "wan.safetensors");
    let settings = |url: String, cloud: bool| {
        let mut envs = comfyctl::settings::EnvSettings::default();
        envs.vars.insert("COMFYCTL_URL".into(), url);
        if cloud {
            envs.vars.insert("COMFYCTL_KIND".into(), "cloud".into());
            envs.vars.insert("COMFY_CLOUD_API_KEY".into(), KEY.into());
        }
        comfyctl::settings::resolve(&Default::default(), &envs, None, None).unwrap()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let list = |url: String, cloud: bool, folder: &'static str| {
        let s = comfyctl::client::Server::new(&settings(url, cloud), None).unwrap();
        rt.block_on(comfyctl::client::models::list(&s, folder))
            .unwrap()
    };
    assert_eq!(
        list(srv.url(), true, "checkpoints"),
        ["tiny-random-sd15.safetensors"]
    );
    assert_eq!(
        list(srv.url(), true, "unet"),
        ["flux1-dev.safetensors"],
        "legacy name"
    );
    assert!(
        list(srv.url(), true, "loras").is_empty(),
        "404 for an empty folder"
    );
    assert!(
        srv.requests()
            .iter()
            .any(|r| r == "GET /api/experiment/models/checkpoints")
    );
    assert_eq!(
        list(local.url(), false, "diffusion_models"),
        ["wan.safetensors"]
    );
}

#[test]
fn validate_and_params_work_against_cloud() {
    let srv = cloud(CloudOptions::default(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    profile(dir.path(), &srv);
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .args([
            "validate",
            p.to_str().unwrap(),
            "--profile",
            "cloud",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(srv.requests().iter().any(|r| r == "GET /api/object_info"));
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .args(["config", "show", "--profile", "cloud", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "cloud");
    assert_eq!(v["api_key"], "(redacted)");
    assert_eq!(v["api_key_env"], "COMFY_CLOUD_API_KEY");
    assert_no_key(&out);
}

/// The developer event socket: subscribe, ping, a drop that is healed with the subscription
/// restored, and the job's event ending the watch.
#[test]
fn developer_event_socket_follows_a_job() {
    let srv = cloud_slow(
        CloudOptions::default(),
        Faults::default(),
        std::time::Duration::from_millis(150),
    );
    srv.dev_drop_after(2);
    let dir = tempfile::tempdir().unwrap();
    profile(dir.path(), &srv);
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .args([
            "run",
            p.to_str().unwrap(),
            "--profile",
            "cloud",
            "--detach",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["prompt_id"].as_str().unwrap().to_string();
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .env("COMFYCTL_EVENTS_PING_MS", "100")
        .args([
            "watch",
            "--profile",
            "cloud",
            "--events",
            "job.*",
            "--prompt-id",
            &id,
            "--jsonl",
            "-v",
            "--timeout",
            "20",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The events carry signed download URLs as data (stdout); the key appears nowhere and the
    // -v log shows neither key nor signature.
    assert!(!text(&out.stdout).contains(KEY) && !text(&out.stderr).contains(KEY));
    assert!(!text(&out.stderr).contains("deadbeef"));
    assert!(
        text(&out.stderr).contains("api_key=redacted"),
        "{}",
        text(&out.stderr)
    );
    let last: Value = serde_json::from_str(text(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "job.completed");
    assert_eq!(last["payload"]["id"], id.as_str());
    let (subs, pings) = srv.dev_socket_log();
    assert_eq!(
        subs,
        vec![vec!["job.*".to_string()]; 2],
        "subscription restored after the drop"
    );
    assert!(pings > 0, "keep-alive pings");
    assert!(text(&out.stderr).contains("subscriptions restored"));

    // Not a cloud profile: a clear usage error.
    let out = comfyctl(dir.path())
        .args(["watch", "--events", "job.*", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_batch_on_the_cloud_routes_the_broadcast_socket_by_prompt_id_and_never_shows_the_key() {
    // The account's other jobs broadcast on the same socket; one fails. Ours must not.
    let srv = cloud(
        CloudOptions {
            other_jobs: true,
            ..Default::default()
        },
        Faults::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    profile(dir.path(), &srv);
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .args([
            "batch",
            p.to_str().unwrap(),
            "--count",
            "3",
            "--profile",
            "cloud",
        ])
        .args(["-o", "b", "--jsonl", "-v"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_no_key(&out);
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for l in &lines[..3] {
        assert_eq!(l["status"], "success", "{l}");
        assert_eq!(l["outputs"].as_array().unwrap().len(), 1, "{l}");
    }
    // Cloud default: one job in flight unless the profile says more.
    assert_eq!(lines[3]["servers"][0]["jobs"], 1);
}

/// Every subcommand, loud and machine-readable, on success and on error paths (and a crash):
/// neither the cloud key nor the partner key ever appears in stdout or stderr.
#[test]
fn no_subcommand_ever_prints_a_key() {
    let srv = cloud(CloudOptions::default(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    profile(dir.path(), &srv);
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let mut bad = sample_workflow();
    bad["3"]["inputs"]["sampler_name"] = serde_json::json!("nope");
    let bad = write_workflow(dir.path(), "bad.json", &bad);
    let (w, b) = (wf.to_str().unwrap(), bad.to_str().unwrap());
    let first = run(dir.path(), &srv, &["--json"], Some(KEY));
    let pid: Value = serde_json::from_slice(&first.stdout).unwrap();
    let pid = pid["prompt_id"].as_str().unwrap().to_string();
    let key_url = format!("http://me:{KEY}@127.0.0.1:9/?token={KEY}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", w, "-v", "--json"],
        vec!["run", w, "-v", "--jsonl"],
        vec!["run", w, "--detach", "--json", "-v"],
        vec!["run", b, "-v", "--json"],
        vec!["run", b, "--no-validate", "-v", "--jsonl"],
        vec!["batch", w, "--count", "2", "-v", "--jsonl", "-o", "bt"],
        vec!["params", w, "--json", "-v"],
        vec!["validate", b, "--json", "-v"],
        vec!["convert", w, "-v"],
        vec!["deps", w, "--json", "-v"],
        vec!["watch", "--prompt-id", &pid, "-v", "--jsonl"],
        vec!["queue", "--json", "-v"],
        vec!["cancel", "00000000-0000-4000-8000-000000000000", "-v"],
        vec!["health", "--json", "-v"],
        vec!["logs", &pid, "--json", "-v"],
        vec!["logs", "--json", "-v"],
        vec!["hw", "--json", "-v"],
        vec!["config", "show", "--json", "-v"],
        vec!["config", "show", "-v"],
        vec!["run", w, "-v", "--json", "--url", &key_url],
        vec!["health", "-v", "--url", &key_url],
        vec!["setup", "--dry-run", "--json", "-v", "--workspace", "ws"],
    ];
    for args in &cases {
        let mut cmd = comfyctl(dir.path());
        cmd.env("COMFY_CLOUD_API_KEY", KEY)
            .env("COMFY_API_KEY", PARTNER)
            .env("PATH", dir.path());
        if !args.contains(&"--url") {
            cmd.args(["--profile", "cloud"]);
        }
        let out = cmd.args(args).output().unwrap();
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        for s in [text(&out.stdout), text(&out.stderr)] {
            assert!(!s.contains(KEY), "{args:?} leaked the key: {s}");
            assert!(!s.contains(PARTNER), "{args:?} leaked the partner key: {s}");
        }
    }
    // A crash report is scrubbed too.
    let out = comfyctl(dir.path())
        .env("COMFY_CLOUD_API_KEY", KEY)
        .env("COMFYCTL_DEBUG_PANIC", "1")
        .args(["hw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101));
    assert!(text(&out.stderr).contains("comfyctl crashed (a bug)"));
    assert_no_key(&out);
}
