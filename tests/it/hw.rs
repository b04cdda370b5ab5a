//! `comfyctl hw` with PATH shims standing in for `nvidia-smi` and `rocm-smi`.

use crate::common::comfyctl;
use serde_json::Value;
use std::path::Path;

fn shim(dir: &Path, name: &str, script: &str) {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn hw(dir: &Path, bin: &Path, extra: &[&str]) -> std::process::Output {
    comfyctl(dir)
        // Only the shims: a real nvidia-smi in /usr/bin must not answer on a GPU machine.
        .env("PATH", bin)
        .arg("hw")
        .args(extra)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn nvidia_gpu_from_nvidia_smi() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    shim(
        &bin,
        "nvidia-smi",
        r#"case "$1" in
  --query-gpu=*) echo "NVIDIA GeForce RTX 4070, 12282, 550.54.14" ;;
  *) echo "| NVIDIA-SMI 550.54.14    Driver Version: 550.54.14    CUDA Version: 12.4 |" ;;
esac"#,
    );
    shim(&bin, "rocm-smi", "exit 1");
    let out = hw(dir.path(), &bin, &[]);
    assert!(out.status.success());
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(
        o.contains("GPU     NVIDIA GeForce RTX 4070 — 12.0 GiB VRAM, driver 550.54.14, CUDA 12.4"),
        "{o}"
    );
    assert!(
        o.contains("Flux dev/schnell (fp8)     yes: needs 12 GB VRAM, 12 GB here"),
        "{o}"
    );
    assert!(o.contains("Verdict: 12 GB of VRAM"), "{o}");
    let out = hw(dir.path(), &bin, &["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["machine"]["gpus"][0]["vram_mb"], 12282);
    let flux = v["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["family"] == "Flux dev (fp16)")
        .unwrap();
    assert_ne!(flux["fit"], "fits", "24 GB of weights do not fit in 12 GB");
}

#[cfg(unix)]
#[test]
fn amd_gpu_from_rocm_smi_and_no_gpu_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    shim(
        &bin,
        "rocm-smi",
        r#"echo '{"card0": {"Card Series": "Radeon RX 7900 XTX", "VRAM Total Memory (B)": "25753026560"}}'"#,
    );
    let out = hw(dir.path(), &bin, &["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["machine"]["gpus"][0]["vendor"], "amd");
    assert_eq!(v["machine"]["gpus"][0]["name"], "Radeon RX 7900 XTX");
    assert!(
        v["verdict"]
            .as_str()
            .unwrap()
            .contains("everything in the table")
    );

    std::fs::remove_file(bin.join("rocm-smi")).unwrap();
    let out = hw(dir.path(), &bin, &[]);
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(
        o.contains("GPU     none found (nvidia-smi not found; rocm-smi not found)"),
        "{o}"
    );
    assert!(o.contains("Comfy Cloud"), "{o}");
    assert!(
        o.contains("SDXL (fp16)                no: needs a GPU with 8 GB VRAM (or 5 GB with 16 GB RAM, offloading); too slow on a CPU"),
        "{o}"
    );
}
