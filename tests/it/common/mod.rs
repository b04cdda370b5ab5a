//! Shared test helpers: the fake server and a hermetic command builder.

pub mod editor_golden;
pub mod fake_server;
pub mod fake_v2;
pub mod pty;
pub mod tls;

use assert_cmd::Command;
use std::path::Path;

/// `comfyctl` with a hermetic environment: no user config, no colour, fast retries.
pub fn comfyctl(home: &Path) -> Command {
    Command::from_std(comfyctl_std(home))
}

/// [`comfyctl`] as a plain `std` command (to spawn, kill, or limit it).
pub fn comfyctl_std(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("comfyctl"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg"))
        .env("COMFYCTL_CONFIG", home.join("config.toml"))
        .env("COMFYCTL_CACHE_DIR", home.join(".cache-comfyctl"))
        .env("NO_COLOR", "1")
        .env("COMFYCTL_RETRY_BASE_MS", "20")
        .current_dir(home);
    cmd
}

/// The recorded `sample` workflow (checkpoint → KSampler 4 steps → VAEDecode → SaveImage e2e/).
pub fn sample_workflow() -> serde_json::Value {
    serde_json::json!({
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-random-sd15.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a tiny red fox", "clip": ["4", 1]}, "_meta": {"title": "Positive"}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {"seed": 1234, "steps": 4, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "e2e/sample"}}
    })
}

/// Writes a workflow into `dir` and returns its path.
pub fn write_workflow(dir: &Path, name: &str, wf: &serde_json::Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(wf).unwrap()).unwrap();
    p
}

/// Every file under `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The binary as a std command with the hermetic environment of [`comfyctl`], whose files may
/// not grow past `bytes`: writes beyond fail with EFBIG, as on a full disk (SIGXFSZ, which would
/// kill it instead, is ignored — an ignored signal stays ignored across exec).
pub fn comfyctl_with_disk_limit(home: &Path, bytes: u64) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = comfyctl_std(home);
    // SAFETY: only async-signal-safe calls (sigaction, setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGXFSZ,
                nix::sys::signal::SigHandler::SigIgn,
            )
            .map_err(std::io::Error::from)?;
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_FSIZE, bytes, bytes)
                .map_err(std::io::Error::from)
        });
    }
    cmd
}
