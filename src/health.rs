//! Is a server working: a checklist of everything comfyctl needs from it, each with what was
//! checked and how long it took, plus the smoke test — a real round trip without any model.

use crate::client::job::{Job, OutputMode, Start};
use crate::client::outputs::SaveOptions;
use crate::client::{JobEvent, JobOptions, JobStatus, Reporter, Server, ws};
use crate::workflow;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How one check ended.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// Broken: the exit status is 1.
    Fail,
    /// Not run because an earlier check failed.
    Skip,
}

/// One check.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Check {
    /// `profile`, `reachable`, `version`, `devices`, `queue`, `object_info`, `websocket`,
    /// `models`, `disk`, `smoke`.
    pub name: &'static str,
    /// How it ended.
    pub status: State,
    /// What was found.
    pub message: String,
    /// How long it took.
    pub ms: u64,
}

impl Check {
    /// A check that began at `t`.
    pub fn done(name: &'static str, status: State, message: String, t: Instant) -> Check {
        Check {
            name,
            status,
            message,
            ms: t.elapsed().as_millis() as u64,
        }
    }
}

/// What `health --json` prints.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HealthReport {
    /// No check failed (warnings allowed).
    pub healthy: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl crate::report::Shape for HealthReport {
    const TYPE: &'static str = "health";
}

struct Silent;
impl Reporter for Silent {
    fn report(&mut self, _: JobEvent) {}
}

/// `(major, minor, patch)` of "0.3.64".
fn version(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim_start_matches('v').split(['.', '-', '+']);
    Some((
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next().and_then(|p| p.parse().ok()).unwrap_or(0),
    ))
}

/// A PNG that is whole: signature, an IHDR with a good CRC and non-zero size, and an IEND.
pub fn png_ok(b: &[u8]) -> Result<(u32, u32), String> {
    if b.len() < 33 || &b[..8] != b"\x89PNG\r\n\x1a\n" {
        return Err("not a PNG".into());
    }
    if &b[12..16] != b"IHDR" {
        return Err("no IHDR chunk".into());
    }
    let crc = u32::from_be_bytes([b[29], b[30], b[31], b[32]]);
    if crc32(&b[12..29]) != crc {
        return Err("IHDR checksum mismatch".into());
    }
    let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
    if w == 0 || h == 0 {
        return Err("zero-sized image".into());
    }
    if !b.ends_with(&[0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]) {
        return Err("truncated (no IEND)".into());
    }
    Ok((w, h))
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1024.0 * 1024.0 * 1024.0))
}

/// Every check that needs the server, in order; `smoke` adds a real job (cancelled with
/// `cancel`). An unreachable server skips the rest.
pub async fn server_checks(
    server: &Server,
    checks: &mut Vec<Check>,
    smoke: bool,
    output_dir: &std::path::Path,
    cancel: &CancellationToken,
) {
    let t = Instant::now();
    let stats = match server.get_json("/system_stats").await {
        Ok(v) => {
            let msg = format!("/system_stats answered in {} ms", t.elapsed().as_millis());
            checks.push(Check::done("reachable", State::Ok, msg, t));
            v
        }
        Err(e) => {
            checks.push(Check::done("reachable", State::Fail, e.to_string(), t));
            for name in [
                "version",
                "devices",
                "queue",
                "object_info",
                "websocket",
                "models",
            ] {
                let skip = "server unreachable".into();
                checks.push(Check::done(name, State::Skip, skip, Instant::now()));
            }
            let (s, m) = disk_check(output_dir);
            checks.push(Check::done("disk", s, m, Instant::now()));
            return;
        }
    };
    let t = Instant::now();
    let (s, m) = version_check(server, &stats);
    checks.push(Check::done("version", s, m, t));
    let t = Instant::now();
    let (s, m) = devices_check(&stats);
    checks.push(Check::done("devices", s, m, t));
    let t = Instant::now();
    let (s, m) = queue_check(server).await;
    checks.push(Check::done("queue", s, m, t));
    let t = Instant::now();
    let (s, m) = match crate::client::object_info::fetch(
        server,
        crate::config::cache_dir().as_deref(),
        true,
    )
    .await
    {
        Ok(d) => (State::Ok, format!("{} node types", d.defs.len())),
        Err(e) => (State::Fail, e.to_string()),
    };
    checks.push(Check::done("object_info", s, m, t));
    let t = Instant::now();
    let (s, m) = websocket_check(server).await;
    checks.push(Check::done("websocket", s, m, t));
    let t = Instant::now();
    let (s, m) = models_check(server).await;
    checks.push(Check::done("models", s, m, t));
    let t = Instant::now();
    let (s, m) = disk_check(output_dir);
    checks.push(Check::done("disk", s, m, t));
    if smoke {
        let t = Instant::now();
        let (s, m) = smoke_test(server, cancel).await;
        checks.push(Check::done("smoke", s, m, t));
    }
}

/// The ComfyUI version: old servers cannot dedupe retried submissions.
fn version_check(server: &Server, stats: &Value) -> (State, String) {
    let sys = &stats["system"];
    let v = sys["comfyui_version"].as_str().unwrap_or("");
    let py = sys["python_version"]
        .as_str()
        .and_then(|p| p.split_whitespace().next());
    let torch = sys["pytorch_version"].as_str();
    let extra = [
        py.map(|p| format!("Python {p}")),
        torch.map(|t| format!("PyTorch {t}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    match (server.is_cloud(), version(v)) {
        (true, _) => (
            State::Ok,
            format!("Comfy Cloud {}", sys["cloud_version"].as_str().unwrap_or(v)),
        ),
        (false, None) => (
            State::Warn,
            "the server does not say its ComfyUI version".into(),
        ),
        (false, Some(ver)) if ver < (0, 3, 45) => (
            State::Warn,
            format!(
                "ComfyUI {v} ({extra}): older than 0.3.45, which ignores client prompt ids, so a retried submission cannot be told apart; upgrade"
            ),
        ),
        (false, Some(ver)) if ver < (0, 25, 0) => (
            State::Ok,
            format!("ComfyUI {v} ({extra}); no /api/jobs before 0.25 (history is used instead)"),
        ),
        (false, Some(_)) => (State::Ok, format!("ComfyUI {v} ({extra})")),
    }
}

/// The devices and free memory the server reports.
fn devices_check(stats: &Value) -> (State, String) {
    let devices: Vec<String> = stats["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let name = d["name"].as_str().unwrap_or("?");
            match (d["vram_free"].as_u64(), d["vram_total"].as_u64()) {
                (Some(f), Some(tot)) => format!("{name}: {} free of {}", gib(f), gib(tot)),
                _ => name.to_string(),
            }
        })
        .collect();
    let ram = stats["system"]["ram_free"]
        .as_u64()
        .map(|r| format!("; RAM {} free", gib(r)))
        .unwrap_or_default();
    if devices.is_empty() {
        (State::Warn, format!("no devices listed{ram}"))
    } else {
        (State::Ok, format!("{}{ram}", devices.join(", ")))
    }
}

/// Jobs waiting: a long queue is worth knowing.
async fn queue_check(server: &Server) -> (State, String) {
    match server.get_json("/queue").await {
        Ok(q) => {
            let n = |k: &str| q[k].as_array().map(Vec::len).unwrap_or(0);
            let (r, p) = (n("queue_running"), n("queue_pending"));
            let state = if p > 20 { State::Warn } else { State::Ok };
            (state, format!("{r} running, {p} pending"))
        }
        Err(e) => (State::Fail, e.to_string()),
    }
}

/// Connect the WebSocket and hear the first message.
async fn websocket_check(server: &Server) -> (State, String) {
    let t = Instant::now();
    match ws::connect(server, &uuid::Uuid::new_v4().to_string()).await {
        Ok(mut c) => {
            let first = tokio::time::timeout(Duration::from_secs(5), c.next()).await;
            c.close().await;
            match first {
                Ok(Some(_)) => (
                    State::Ok,
                    format!("connected and answered in {} ms", t.elapsed().as_millis()),
                ),
                _ => (State::Fail, "connected, but no message within 5 s".into()),
            }
        }
        Err(e) => (State::Fail, e.to_string()),
    }
}

/// A checkpoint or diffusion model to run with.
async fn models_check(server: &Server) -> (State, String) {
    let mut found = Vec::new();
    for folder in ["checkpoints", "diffusion_models"] {
        if let Ok(list) = crate::client::models::list(server, folder).await
            && !list.is_empty()
        {
            found.push(format!("{} in {folder}", list.len()));
        }
    }
    if found.is_empty() {
        (
            State::Warn,
            "no checkpoint or diffusion model: only model-free and API-node workflows will run"
                .into(),
        )
    } else {
        (State::Ok, found.join(", "))
    }
}

fn disk_check(output_dir: &std::path::Path) -> (State, String) {
    // Only the disk: a full hardware probe would run nvidia-smi and rocm-smi for nothing.
    match crate::hw::disk_free_mb(output_dir) {
        Some(mb) if mb < 1024 => (
            State::Warn,
            format!("only {mb} MiB free for outputs in {}", output_dir.display()),
        ),
        Some(mb) => (
            State::Ok,
            format!(
                "{:.1} GiB free for outputs in {}",
                mb as f64 / 1024.0,
                output_dir.display()
            ),
        ),
        None => (
            State::Warn,
            format!("cannot tell the free space in {}", output_dir.display()),
        ),
    }
}

/// EmptyImage → SaveImage with a random colour (so no cache can answer), followed over the
/// WebSocket, its PNG downloaded to a temporary directory and checked.
async fn smoke_test(server: &Server, cancel: &CancellationToken) -> (State, String) {
    let color: u64 = rand::random_range(0..0x00ff_ffff);
    let wf_json = json!({
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": color}, "_meta": {"title": "comfyctl health"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "comfyctl-health/smoke"}}
    });
    let wf =
        workflow::parse_str(&wf_json.to_string(), "health smoke test").expect("a valid workflow");
    // A health check is about the server now: a short window for a restart.
    let opts = JobOptions {
        timeout: Some(Duration::from_secs(120)),
        idle_timeout: None,
        reconnect_timeout: Duration::from_secs(10),
    };
    let dir = match tempfile_dir() {
        Ok(d) => d,
        Err(e) => {
            return (
                State::Fail,
                format!("cannot create a temporary directory: {e}"),
            );
        }
    };
    let outputs = OutputMode::Download(SaveOptions {
        output_dir: dir.clone(),
        flat: true,
        overwrite: true,
    });
    let job = Job {
        server,
        workflow: &wf,
        options: &opts,
        outputs: &outputs,
        prompt_id: None,
    };
    let o = job.run(Start::Submit, &mut Silent, cancel).await;
    let verdict = smoke_verdict(&o);
    let _ = std::fs::remove_dir_all(&dir);
    verdict
}

/// What the smoke job's outcome says about the server.
fn smoke_verdict(o: &crate::client::JobOutcome) -> (State, String) {
    let job = match &o.job {
        Ok(j) => j,
        Err(e) => return (State::Fail, format!("submission failed: {e}")),
    };
    if job.status != JobStatus::Success {
        return (
            State::Fail,
            format!(
                "the job ended {}: {}",
                job.status.as_str(),
                job.message.clone().unwrap_or_default()
            ),
        );
    }
    let Some(saved) = o.outputs.files.first() else {
        return match &o.outputs.error {
            Some(e) => (State::Fail, format!("the output did not download: {e}")),
            None => (State::Fail, "the job succeeded but produced no file".into()),
        };
    };
    match std::fs::read(&saved.path)
        .map_err(|e| e.to_string())
        .and_then(|b| png_ok(&b))
    {
        Ok((w, h)) => (
            State::Ok,
            format!(
                "prompt {} ran in {} ms; {w}×{h} PNG downloaded and checked",
                job.prompt_id, job.timings.total_ms
            ),
        ),
        Err(e) => (
            State::Fail,
            format!("the downloaded output is not a valid image: {e}"),
        ),
    }
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("comfyctl-health-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_pngs() {
        assert_eq!(version("0.3.64"), Some((0, 3, 64)));
        assert_eq!(version("v0.26.0-rc1"), Some((0, 26, 0)));
        assert!(version("0.3.44").unwrap() < (0, 3, 45));
        let png =
            include_bytes!("../tests/fixtures/real-comfyui-0.26.0/transcripts/sample_output.png");
        assert!(png_ok(png).is_ok());
        assert!(png_ok(&png[..png.len() - 10]).is_err());
        let mut bad = png.to_vec();
        bad[17] ^= 1;
        assert_eq!(png_ok(&bad), Err("IHDR checksum mismatch".into()));
    }
}
