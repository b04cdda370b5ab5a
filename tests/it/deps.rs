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
