//! `comfyctl deps`: what the server lacks, from API and editor workflows, with fix commands.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::{Value, json};
use std::path::Path;

fn fixture(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

#[test]
fn lists_nodes_models_embeddings_inputs_with_fixes() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    // Small stand-ins for ComfyUI-Manager's files (same shapes).
    std::fs::write(
        dir.path().join("map.json"),
        json!({"https://github.com/cubiq/ComfyUI_IPAdapter_plus": [["IPAdapterAdvanced", "IPAdapterModelLoader"], {"title_aux": "ComfyUI_IPAdapter_plus"}]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("models.json"),
        json!({"models": [{"name": "UltraSharp", "filename": "4x-UltraSharp.pth", "url": "https://example.com/4x-UltraSharp.pth", "save_path": "upscale_models"}]}).to_string(),
    )
    .unwrap();
    let mut wf = sample_workflow();
    wf["7"]["inputs"]["text"] = json!("blurry, embedding:easynegative");
    wf["20"] = json!({"class_type": "IPAdapterAdvanced", "inputs": {}});
    wf["21"] = json!({"class_type": "LoadImage", "inputs": {"image": "ref.png"}});
    wf["22"] =
        json!({"class_type": "UpscaleModelLoader", "inputs": {"model_name": "4x-UltraSharp.pth"}});
    let p = write_workflow(dir.path(), "wf.json", &wf);
    let out = comfyctl(dir.path())
        .args([
            "deps",
            p.to_str().unwrap(),
            "--url",
            &srv.url(),
            "--node-map",
            "map.json",
            "--model-list",
            "models.json",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ready"], false);
    assert_eq!(v["nodes"][0]["class_type"], "IPAdapterAdvanced");
    assert_eq!(v["nodes"][0]["pack"]["title"], "ComfyUI_IPAdapter_plus");
    assert!(
        v["nodes"][0]["fix"]
            .as_str()
            .unwrap()
            .starts_with("comfy node install comfyui_ipadapter_plus")
    );
    assert_eq!(v["models"][0]["folder"], "upscale_models");
    assert_eq!(
        v["models"][0]["fix"],
        "comfy model download --url https://example.com/4x-UltraSharp.pth --relative-path models/upscale_models --filename 4x-UltraSharp.pth"
    );
    assert_eq!(v["embeddings"][0]["name"], "easynegative");
    assert_eq!(v["inputs"][0]["name"], "ref.png");
    assert_eq!(v["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["models"].as_array().unwrap().len(),
        1,
        "the checkpoint is on the server"
    );

    // A workflow the server can run as is.
    let p = write_workflow(dir.path(), "ok.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["deps", p.to_str().unwrap(), "--url", &srv.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("everything it needs is on the server"));
}

#[test]
fn editor_workflows_offline_use_their_own_download_urls() {
    let dir = tempfile::tempdir().unwrap();
    let out = comfyctl(dir.path())
        .arg("deps")
        .arg(fixture("templates/image_z_image_turbo.json"))
        .arg("--object-info")
        .arg(fixture("real-comfyui-0.26.0/object_info.json"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    let unet = models.iter().find(|m| m["input"] == "unet_name").unwrap();
    assert_eq!(unet["node"], "57:28");
    assert_eq!(unet["folder"], "diffusion_models");
    assert!(
        unet["url"]
            .as_str()
            .unwrap()
            .starts_with("https://huggingface.co/Comfy-Org/z_image_turbo/")
    );
    assert_eq!(v["embeddings_checked"], false);
}

const HF_TOKEN: &str = "hf_secret_token_4242";

/// A workflow that needs a node pack (IPAdapterAdvanced) and a LoRA the server lacks.
fn needs_pack_and_lora(dir: &Path, lora_url: &str, sha256: Option<&str>) -> std::path::PathBuf {
    std::fs::write(
        dir.join("map.json"),
        json!({"https://github.com/cubiq/ComfyUI_IPAdapter_plus": [["IPAdapterAdvanced"], {"title_aux": "ComfyUI_IPAdapter_plus"}]}).to_string(),
    )
    .unwrap();
    let mut entry = json!({"name": "detail lora", "filename": "detail.safetensors", "url": lora_url, "save_path": "loras"});
    if let Some(s) = sha256 {
        entry["sha256"] = json!(s);
    }
    std::fs::write(
        dir.join("models.json"),
        json!({"models": [entry]}).to_string(),
    )
    .unwrap();
    let mut wf = sample_workflow();
    wf["20"] = json!({"class_type": "IPAdapterAdvanced", "inputs": {}});
    wf["21"] = json!({"class_type": "LoraLoaderModelOnly", "inputs": {"model": ["4", 0], "lora_name": "detail.safetensors", "strength_model": 1.0}});
    wf["3"]["inputs"]["model"] = json!(["21", 0]);
    write_workflow(dir, "wf.json", &wf)
}

/// A `comfy` on PATH that records its arguments.
fn comfy_shim(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("shim");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("comfy");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\necho installing from comfy-cli\n",
            dir.join("comfy.log").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn model_blob() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8).collect()
}

#[cfg(unix)]
#[test]
fn fix_installs_packs_with_comfy_cli_and_resumes_a_cut_download_with_the_token_kept_home() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.add_model_file("detail.safetensors", model_blob());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/hf/detail.safetensors", srv.url());
    let wf = needs_pack_and_lora(dir.path(), &url, None);
    let shim = comfy_shim(dir.path());
    let deps = |extra: &[&str]| {
        comfyctl(dir.path())
            .env("PATH", &shim)
            .env("HF_TOKEN", HF_TOKEN)
            .env("HF_ENDPOINT", srv.url())
            .args(["deps", wf.to_str().unwrap(), "--url", &srv.url()])
            .args(["--node-map", "map.json", "--model-list", "models.json"])
            .args(extra)
            .output()
            .unwrap()
    };

    // --dry-run: every action, none done.
    let out = deps(&["--fix", "--dry-run", "--models-dir", "models", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions = v["fix"]["actions"].as_array().unwrap();
    assert_eq!(v["fix"]["dry_run"], true);
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0]["method"], "comfy-cli");
    assert_eq!(
        actions[0]["command"],
        "comfy --skip-prompt node install comfyui_ipadapter_plus"
    );
    assert_eq!(actions[1]["method"], "download");
    assert!(actions.iter().all(|a| a["status"] == "planned"));
    assert!(!dir.path().join("comfy.log").exists());
    assert!(!dir.path().join("models").exists());
    assert!(srv.model_requests().is_empty());

    // The real thing, with the first download cut short.
    srv.faults(|f| f.model_cut_after = Some(100_000));
    let out = deps(&["--fix", "--models-dir", "models"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("installed ComfyUI_IPAdapter_plus (comfy-cli)"),
        "{stdout}"
    );
    assert!(stdout.contains("sha256 checked"), "{stdout}");
    assert!(stderr.contains("restart ComfyUI"), "{stderr}");
    assert!(
        stderr.contains("installing from comfy-cli"),
        "comfy's output on stderr"
    );
    assert!(!stdout.contains("installing from comfy-cli"));
    let log = std::fs::read_to_string(dir.path().join("comfy.log")).unwrap();
    assert_eq!(
        log.trim(),
        "--skip-prompt node install comfyui_ipadapter_plus"
    );
    let saved = dir.path().join("models/loras/detail.safetensors");
    assert_eq!(std::fs::read(&saved).unwrap(), model_blob());
    assert!(
        !dir.path()
            .join("models/loras/detail.safetensors.part")
            .exists()
    );

    let reqs = srv.model_requests();
    let auth = |h: &Vec<(String, String)>| {
        h.iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
    };
    let hf: Vec<_> = reqs.iter().filter(|r| r.1.starts_with("/hf/")).collect();
    let cdn: Vec<_> = reqs.iter().filter(|r| r.1.starts_with("/files/")).collect();
    assert!(
        hf.iter()
            .all(|r| auth(&r.2) == Some(format!("Bearer {HF_TOKEN}")))
    );
    assert!(cdn.len() >= 2, "cut, then resumed: {cdn:?}");
    assert!(
        cdn.iter().all(|r| auth(&r.2).is_none()),
        "the CDN never sees the token"
    );
    assert!(
        cdn.iter().any(|r| r
            .2
            .iter()
            .any(|(k, v)| k == "range" && v.starts_with("bytes="))),
        "resumed with Range: {cdn:?}"
    );
    for s in [&stdout, &stderr] {
        assert!(!s.contains(HF_TOKEN), "the token leaked");
    }

    // Nothing left to fix: the file is there, the check passes... except the node, which the
    // server only gets after a restart (the fake never does).
    let out = deps(&["--fix", "--models-dir", "models", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lora = v["fix"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "model")
        .unwrap()
        .clone();
    assert_eq!(lora["status"], "present", "never downloaded twice: {lora}");
}

#[test]
fn a_checksum_mismatch_keeps_nothing_and_the_other_items_still_run() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.add_model_file("detail.safetensors", model_blob());
    let dir = tempfile::tempdir().unwrap();
    // Served directly from the second host: no X-Linked-Etag, the model list's sha256 counts.
    let url = format!("{}/files/detail.safetensors", srv.storage_url());
    let wf = needs_pack_and_lora(dir.path(), &url, Some(&"0".repeat(64)));
    let empty = dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let out = comfyctl(dir.path())
        .env("PATH", &empty)
        .args(["deps", wf.to_str().unwrap(), "--url", &srv.url()])
        .args(["--node-map", "map.json", "--model-list", "models.json"])
        .args(["--fix", "--models-dir", "models", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = v["fix"]["actions"].as_array().unwrap();
    // No comfy-cli and no Manager: the pack is left with the command to run.
    assert_eq!(a[0]["status"], "manual");
    assert!(
        a[0]["detail"]
            .as_str()
            .unwrap()
            .contains("git clone https://github.com/cubiq/ComfyUI_IPAdapter_plus")
    );
    assert_eq!(a[1]["status"], "failed");
    assert!(
        a[1]["detail"]
            .as_str()
            .unwrap()
            .contains("checksum mismatch"),
        "{}",
        a[1]
    );
    assert_eq!(v["fix"]["failed"], 1);
    let loras = dir.path().join("models/loras");
    assert!(
        std::fs::read_dir(&loras).map(|d| d.count()).unwrap_or(0) == 0,
        "neither the file nor a .part is kept"
    );
}

#[test]
fn without_comfy_cli_packs_go_through_the_servers_manager_and_models_to_its_folders() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.add_model_file("detail.safetensors", model_blob());
    srv.enable_manager(json!({"https://github.com/cubiq/ComfyUI_IPAdapter_plus": [["IPAdapterAdvanced"], {"title_aux": "ComfyUI_IPAdapter_plus"}]}));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ComfyUI/models");
    srv.set_models_root(&root);
    let url = format!("{}/files/detail.safetensors", srv.url());
    let wf = needs_pack_and_lora(dir.path(), &url, None);
    let empty = dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let out = comfyctl(dir.path())
        .env("PATH", &empty)
        .args(["deps", wf.to_str().unwrap(), "--url", &srv.url()])
        .args(["--model-list", "models.json", "--fix", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fix"]["actions"][0]["method"], "manager");
    assert_eq!(v["fix"]["restart_needed"], true);
    let (installs, starts) = srv.manager_installs();
    assert_eq!(installs.len(), 1);
    assert_eq!(
        installs[0]["files"][0],
        "https://github.com/cubiq/ComfyUI_IPAdapter_plus"
    );
    assert_eq!(starts, 1);
    assert_eq!(
        std::fs::read(root.join("loras/detail.safetensors")).unwrap(),
        model_blob()
    );
}

#[test]
fn on_the_clouds_free_tier_the_node_check_is_skipped_and_strict_fails_it() {
    use crate::common::fake_server::CloudOptions;
    let srv = FakeServer::start(FakeOptions {
        cloud: Some(CloudOptions {
            free_tier: true,
            ..Default::default()
        }),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[profiles.cloud]\nurl = \"{}\"\nkind = \"cloud\"\n",
            srv.url()
        ),
    )
    .unwrap();
    let mut wf = sample_workflow();
    wf["21"] = json!({"class_type": "LoraLoaderModelOnly", "inputs": {"model": ["4", 0], "lora_name": "detail.safetensors", "strength_model": 1.0}});
    let p = write_workflow(dir.path(), "wf.json", &wf);
    let deps = |extra: &[&str]| {
        comfyctl(dir.path())
            .env("COMFY_CLOUD_API_KEY", "ck-test-secret-0123456789")
            .args(["deps", p.to_str().unwrap(), "--profile", "cloud", "--json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = deps(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checks"]["nodes"], "skipped");
    assert_eq!(v["models"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["models"][0]["name"], "detail.safetensors");
    assert_eq!(
        v["models"][0]["folder_empty"], true,
        "an empty folder is a 404 on the cloud"
    );

    srv.add_model("loras", "detail.safetensors");
    let out = deps(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = deps(&["--strict"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a skipped check fails under --strict"
    );
}

#[test]
fn fix_on_an_editor_template_downloads_what_its_properties_models_name_into_their_folders() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut wf: Value = serde_json::from_slice(
        &std::fs::read(fixture("templates/image_z_image_turbo.json")).unwrap(),
    )
    .unwrap();
    // Point every `properties.models` entry at the fake host; state a sha256 for the first.
    let mut first = true;
    let mut names = Vec::new();
    let mut patch = |nodes: &mut Value| {
        for n in nodes.as_array_mut().into_iter().flatten() {
            for m in n["properties"]["models"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                let name = m["name"].as_str().unwrap().to_string();
                let blob: Vec<u8> = name.bytes().cycle().take(50_000).collect();
                srv.add_model_file(&name, blob.clone());
                m["url"] = json!(format!("{}/files/{name}", srv.url()));
                if first {
                    use sha2::Digest;
                    let h: String = sha2::Sha256::digest(&blob)
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    m["hash"] = json!(h);
                    m["hash_type"] = json!("SHA256");
                    first = false;
                }
                names.push((name, m["directory"].as_str().unwrap().to_string()));
            }
        }
    };
    patch(&mut wf["nodes"]);
    for sg in wf["definitions"]["subgraphs"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        patch(&mut sg["nodes"]);
    }
    let p = write_workflow(dir.path(), "template.json", &wf);
    let out = comfyctl(dir.path())
        .args(["deps", p.to_str().unwrap(), "--url", &srv.url()])
        .args(["--fix", "--models-dir", "models", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fix"]["fixed"], 3, "{:#}", v["fix"]);
    let actions = v["fix"]["actions"].as_array().unwrap();
    assert!(
        actions
            .iter()
            .filter(|a| a["detail"].as_str().unwrap().contains("sha256 checked"))
            .count()
            == 1
    );
    for a in actions {
        let rel = a["path"].as_str().unwrap();
        assert!(Path::new(rel).starts_with("models"), "{rel}");
        assert!(dir.path().join(rel).is_file(), "{rel}");
    }
    // Each model went to the folder the workflow names for it.
    for (name, folder) in names.iter().filter(|(n, _)| {
        actions
            .iter()
            .any(|a| a["item"].as_str().unwrap().ends_with(n.as_str()))
    }) {
        assert!(
            dir.path().join("models").join(folder).join(name).is_file(),
            "{folder}/{name}"
        );
    }
}
