//! Is a server working: a checklist of everything comfyctl needs from it, each with what was
//! checked and how long it took, plus the smoke test — a real round trip without any model.

use crate::client::api::Api;
use crate::client::job::{Job, OutputMode, Start};
use crate::client::outputs::SaveOptions;
use crate::client::v2::{JobStatus as V2Status, V2Client};
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
    /// `models`, `disk`, `smoke`; over the Comfy API v2 also `key`.
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
    if server.api().await == Api::V2 {
        return v2_checks(server, checks, smoke, output_dir, cancel).await;
    }
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

/// The same checklist over the Comfy API v2: what `/api/v2/health` says (it needs no key and,
/// on comfy-api-proxy, does not ask ComfyUI), whether the key is accepted, the queue from
/// `GET /jobs`; what the API does not have (version, devices, node definitions, a server
/// socket, models) is skipped with that reason, and `--smoke` runs its job over v2.
async fn v2_checks(
    server: &Server,
    checks: &mut Vec<Check>,
    smoke: bool,
    output_dir: &std::path::Path,
    cancel: &CancellationToken,
) {
    let client = V2Client::new(server.clone());
    let t = Instant::now();
    let reachable = match client.health().await {
        Ok(v) => {
            let said = v["status"].as_str().unwrap_or("(no status)").to_string();
            let upstream = v["upstream"]
                .as_str()
                .map(|u| format!(", ComfyUI at {u}"))
                .unwrap_or_default();
            let state = if matches!(said.as_str(), "healthy" | "ok") {
                State::Ok
            } else {
                State::Warn
            };
            let msg = format!(
                "/api/v2/health answered {said:?} in {} ms{upstream}",
                t.elapsed().as_millis()
            );
            checks.push(Check::done("reachable", state, msg, t));
            true
        }
        Err(e) => {
            checks.push(Check::done("reachable", State::Fail, failure(e), t));
            false
        }
    };
    let t = Instant::now();
    let (s, m) = if reachable {
        let (state, msg, queue) = key_check(&client).await;
        checks.push(Check::done("key", state, msg, t));
        queue
    } else {
        let skip = "server unreachable".into();
        checks.push(Check::done("key", State::Skip, skip, t));
        (State::Skip, "server unreachable".into())
    };
    checks.push(Check::done("queue", s, m, Instant::now()));
    for (name, why) in [
        (
            "version",
            "the Comfy API v2 does not say which ComfyUI runs the jobs",
        ),
        ("devices", "the Comfy API v2 does not list devices"),
        (
            "object_info",
            "the Comfy API v2 has no node definitions: params and validate read --object-info FILE or skip server checks",
        ),
        (
            "websocket",
            "the Comfy API v2 streams each job's events (SSE): --smoke checks one",
        ),
        ("models", "the Comfy API v2 does not list models"),
    ] {
        checks.push(Check::done(name, State::Skip, why.into(), Instant::now()));
    }
    let t = Instant::now();
    let (s, m) = disk_check(output_dir);
    checks.push(Check::done("disk", s, m, t));
    if smoke && reachable {
        let t = Instant::now();
        let (s, m) = smoke_test(server, cancel).await;
        checks.push(Check::done("smoke", s, m, t));
    }
}

/// An error as a check's message: what went wrong, then what to do.
fn failure(e: impl Into<crate::client::ClientError>) -> String {
    let e = e.into();
    match e.hint() {
        Some(h) => format!("{e} ({h})"),
        None => e.to_string(),
    }
}

/// Whether the key is accepted, asking for the queued and running jobs (which also gives the
/// queue check); a server that cannot list jobs (501) is asked for a job that does not exist,
/// which a good key gets a 404 for. Returns the key check and the queue check.
async fn key_check(client: &V2Client) -> (State, String, (State, String)) {
    use crate::client::v2::{ErrorCode, V2Error, jobs};
    let active = [V2Status::Queued, V2Status::Running];
    match client.list_jobs(Some(jobs::LIST_LIMIT), &active).await {
        Ok(list) => {
            let n = |s: V2Status| list.jobs.iter().filter(|j| j.status == s).count();
            let (r, p) = (n(V2Status::Running), n(V2Status::Queued));
            let more = if list.truncated { "+" } else { "" };
            let state = if p > 20 { State::Warn } else { State::Ok };
            (
                State::Ok,
                "accepted (GET /api/v2/jobs answered)".into(),
                (
                    state,
                    format!("{r} running, {p}{more} pending (the jobs sent through this API)"),
                ),
            )
        }
        Err(V2Error::Api(a)) if a.code == ErrorCode::NotImplemented => {
            let skip = (
                State::Skip,
                "this server does not list jobs (GET /api/v2/jobs answers 501)".into(),
            );
            match client.job(&uuid::Uuid::nil().to_string()).await {
                Err(e) if jobs::is_not_found(&e) => (
                    State::Ok,
                    "accepted (an unknown job id answered 404)".into(),
                    skip,
                ),
                // Any answer but a refusal means the key got through.
                Ok(_) => (State::Ok, "accepted".into(), skip),
                Err(e) => (State::Fail, failure(e), skip),
            }
        }
        Err(e) => (
            State::Fail,
            failure(e),
            (State::Skip, "not listed: see the key check".into()),
        ),
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
