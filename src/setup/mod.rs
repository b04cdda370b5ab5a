//! From nothing to a running local ComfyUI — hardware check, comfy-cli (pipx, else uvx, else
//! pip --user with the PEP 668 fallback), ComfyUI in a workspace, a background server with a
//! persistent log, and a profile. Each run does only what is missing.

mod install;
mod profile;

use crate::printer::Printer;
use crate::signals::Interrupt;
use crate::sys::which;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The server's log, inside the workspace.
pub const LOG_FILE: &str = "comfyctl-server.log";
/// The server's pid, inside the workspace.
pub const PID_FILE: &str = "comfyctl-server.pid";

/// What `setup` was asked for.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Where ComfyUI lives (absolute).
    pub workspace: PathBuf,
    /// The port it listens on (127.0.0.1 only).
    pub port: u16,
    /// The profile to write.
    pub profile_name: String,
    /// Seconds to wait for the server to answer.
    pub wait: u64,
    /// Install for the CPU even with a GPU.
    pub cpu: bool,
    /// Only say what would be done.
    pub dry_run: bool,
}

/// How setup went.
pub struct Setup {
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// `Ok(Some(pid))`: running (pid when setup started it); `Ok(None)`: a dry run;
    /// `Err(state)`: a step failed, with what state things are in.
    pub result: Result<Option<Option<u32>>, String>,
}

/// Runs every step that is missing. Steps are printed as they finish unless `json`.
pub fn run(printer: &Printer, json: bool, opts: &SetupOptions, intr: &Interrupt) -> Setup {
    let mut r = Run {
        printer,
        json,
        dry_run: opts.dry_run,
        steps: Vec::new(),
        interrupted: intr,
    };
    let url = format!("http://127.0.0.1:{}", opts.port);
    let result = Probe::new().and_then(|probe| steps(opts, &mut r, &probe, &url));
    Setup {
        steps: r.steps,
        result,
    }
}

/// One step's outcome.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Step {
    /// `hardware`, `server`, `comfy-cli`, `comfyui`, `start`, `wait`, `profile`.
    pub step: &'static str,
    /// `done`, `skipped` (already so), `planned` (dry run), `failed`.
    pub status: &'static str,
    /// What happened.
    pub detail: String,
    /// The command it ran (or would run).
    pub command: Option<String>,
    /// How long it took.
    pub ms: u64,
}

/// How to run comfy-cli.
#[derive(Debug, Clone)]
pub(crate) enum Comfy {
    Bin(PathBuf),
    /// `uvx --from comfy-cli comfy …` (nothing installed).
    Uvx(PathBuf),
}

impl Comfy {
    fn command(&self) -> Command {
        match self {
            Comfy::Bin(b) => Command::new(b),
            Comfy::Uvx(u) => {
                let mut c = Command::new(u);
                c.args(["--from", "comfy-cli", "comfy"]);
                c
            }
        }
    }

    fn shown(&self) -> &'static str {
        match self {
            Comfy::Bin(_) => "comfy",
            Comfy::Uvx(_) => "uvx --from comfy-cli comfy",
        }
    }
}

pub(crate) struct Run<'a> {
    printer: &'a Printer,
    json: bool,
    dry_run: bool,
    steps: Vec<Step>,
    interrupted: &'a Interrupt,
}

impl Run<'_> {
    fn record(&mut self, step: Step) {
        if !self.json {
            let mark = match step.status {
                "done" | "skipped" => self.printer.green("✓"),
                "failed" => self.printer.red("✗"),
                _ => "-".to_string(),
            };
            let cmd = match (&step.command, step.status) {
                (Some(c), "planned") => format!(": would run {c}"),
                (Some(c), "done" | "failed") => format!(" ({c})"),
                _ => String::new(),
            };
            eprintln!("{mark} {}: {}{cmd}", step.step, step.detail);
        }
        self.steps.push(step);
    }

    /// Runs a command with its output on stderr (stdout is for the URL / JSON).
    fn exec(&self, mut cmd: Command) -> Result<(), String> {
        let shown = format!("{cmd:?}");
        cmd.stdin(Stdio::null()).stdout(std::io::stderr());
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            Ok(_) if self.interrupted.pressed() => Err("interrupted".into()),
            Ok(s) => Err(format!("{shown} exited with {s}")),
            Err(e) => Err(format!("cannot run {shown}: {e}")),
        }
    }
}

pub(crate) fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// The default workspace: `<data dir>/ComfyUI`.
pub fn default_workspace() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "comfyctl", "comfyctl")
        .map(|d| d.data_dir().join("ComfyUI"))
}

/// Where `pip install --user` puts scripts.
pub(crate) fn user_bin() -> Vec<PathBuf> {
    directories::BaseDirs::new()
        .map(|b| vec![b.home_dir().join(".local/bin")])
        .unwrap_or_default()
}

/// Asks `/system_stats` on the local server: one runtime and client for every check, since the
/// wait loop asks four times a second. Plain http to 127.0.0.1 needs no trust store.
struct Probe {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Probe {
    fn new() -> Result<Probe, String> {
        Ok(Probe {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .tls_certs_only(Vec::<reqwest::Certificate>::new())
                .build()
                .map_err(|e| e.to_string())?,
        })
    }

    /// The ComfyUI version when the server answers.
    fn version(&self, url: &str) -> Option<String> {
        self.rt.block_on(async {
            let v: serde_json::Value = self
                .client
                .get(format!("{url}/system_stats"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            Some(
                v.pointer("/system/comfyui_version")
                    .and_then(|x| x.as_str())
                    .unwrap_or("unknown version")
                    .to_string(),
            )
        })
    }
}

/// The steps in order; see [`Setup::result`].
fn steps(
    opts: &SetupOptions,
    r: &mut Run<'_>,
    probe: &Probe,
    url: &str,
) -> Result<Option<Option<u32>>, String> {
    let workspace = &opts.workspace;
    let flag = hardware(opts, r);
    // Already running?
    let t = Instant::now();
    if let Some(version) = probe.version(url) {
        r.record(Step {
            step: "server",
            status: "skipped",
            detail: format!("ComfyUI {version} already answers at {url}; left alone"),
            command: None,
            ms: ms(t),
        });
        profile::profile_step(&opts.profile_name, r, url)?;
        return Ok(if r.dry_run { None } else { Some(None) });
    }
    let t = Instant::now();
    let extra = user_bin();
    let comfy = match which("comfy", &extra) {
        Some(b) => {
            r.record(Step {
                step: "comfy-cli",
                status: "skipped",
                detail: format!("found {}", b.display()),
                command: None,
                ms: ms(t),
            });
            Comfy::Bin(b)
        }
        None => install::install_comfy_cli(r, &extra)?,
    };
    install_comfyui(r, &comfy, workspace, flag)?;
    let Some(pid) = start(r, &comfy, opts, url)? else {
        profile::profile_step(&opts.profile_name, r, url)?;
        return Ok(None);
    };
    wait_until_it_answers(r, probe, opts, url, pid)?;
    profile::profile_step(&opts.profile_name, r, url)?;
    Ok(Some(Some(pid)))
}

/// The machine's GPU decides comfy-cli's install flag.
fn hardware(opts: &SetupOptions, r: &mut Run<'_>) -> &'static str {
    let t = Instant::now();
    let m = crate::hw::probe(opts.workspace.parent().unwrap_or(Path::new(".")));
    let gpu = if opts.cpu {
        None
    } else {
        m.gpus.first().cloned()
    };
    let flag = match gpu.as_ref().map(|g| g.vendor.as_str()) {
        Some("nvidia") => "--nvidia",
        Some("amd") => "--amd",
        Some("apple") => "--m-series",
        _ => "--cpu",
    };
    r.record(Step {
        step: "hardware",
        status: "done",
        detail: match &gpu {
            Some(g) => format!(
                "{} ({} GB); RAM {} GB; installing with {flag}",
                g.name,
                g.vram_mb / 1024,
                m.ram_total_mb / 1024
            ),
            None => format!(
                "no GPU{}; RAM {} GB; installing with --cpu (slow, but works)",
                if opts.cpu { " used (--cpu)" } else { " found" },
                m.ram_total_mb / 1024
            ),
        },
        command: None,
        ms: ms(t),
    });
    flag
}

/// `comfy install` into the workspace, unless it is there.
fn install_comfyui(
    r: &mut Run<'_>,
    comfy: &Comfy,
    workspace: &Path,
    flag: &str,
) -> Result<(), String> {
    let t = Instant::now();
    let ws = workspace.display().to_string();
    if workspace.join("main.py").is_file() {
        r.record(Step {
            step: "comfyui",
            status: "skipped",
            detail: format!("installed in {ws}"),
            command: None,
            ms: ms(t),
        });
        return Ok(());
    }
    let shown = format!(
        "{} --skip-prompt --workspace {ws} install {flag}",
        comfy.shown()
    );
    if r.dry_run {
        r.record(Step {
            step: "comfyui",
            status: "planned",
            detail: format!("install into {ws}"),
            command: Some(shown),
            ms: 0,
        });
        return Ok(());
    }
    if !r.json {
        r.printer.info(&format!(
            "installing ComfyUI into {ws} (this takes a while)…"
        ));
    }
    if let Some(parent) = workspace.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut c = comfy.command();
    c.args(["--skip-prompt", "--workspace", &ws, "install", flag]);
    let res = r.exec(c);
    let ok = res.is_ok() && workspace.join("main.py").is_file();
    r.record(Step {
        step: "comfyui",
        status: if ok { "done" } else { "failed" },
        detail: match &res {
            Ok(()) if ok => format!("installed into {ws}"),
            Ok(()) => format!("comfy install finished but {ws}/main.py is missing"),
            Err(e) => e.clone(),
        },
        command: Some(shown),
        ms: ms(t),
    });
    if !ok {
        return Err(format!(
            "ComfyUI is not (fully) installed in {ws}; nothing else was changed"
        ));
    }
    Ok(())
}

/// Starts the server in the background; `None` on a dry run.
fn start(
    r: &mut Run<'_>,
    comfy: &Comfy,
    opts: &SetupOptions,
    url: &str,
) -> Result<Option<u32>, String> {
    let t = Instant::now();
    let workspace = &opts.workspace;
    let ws = workspace.display().to_string();
    let log = workspace.join(LOG_FILE);
    let port = opts.port.to_string();
    let shown = format!(
        "{} --workspace {ws} launch -- --listen 127.0.0.1 --port {port}  >> {}",
        comfy.shown(),
        log.display()
    );
    if r.dry_run {
        r.record(Step {
            step: "start",
            status: "planned",
            detail: format!("start ComfyUI in the background on {url}"),
            command: Some(shown),
            ms: 0,
        });
        return Ok(None);
    }
    let pid = install::start_server(comfy, workspace, &ws, &port, &log).map_err(|e| {
        r.record(Step {
            step: "start",
            status: "failed",
            detail: e.clone(),
            command: Some(shown.clone()),
            ms: ms(t),
        });
        format!("ComfyUI is installed in {ws} but not running")
    })?;
    r.record(Step {
        step: "start",
        status: "done",
        detail: format!("pid {pid}, log {}", log.display()),
        command: Some(shown),
        ms: ms(t),
    });
    Ok(Some(pid))
}

/// Waits until `/system_stats` answers, the process exits, the time is up, or Ctrl-C.
fn wait_until_it_answers(
    r: &mut Run<'_>,
    probe: &Probe,
    opts: &SetupOptions,
    url: &str,
    pid: u32,
) -> Result<(), String> {
    let t = Instant::now();
    let ws = opts.workspace.display().to_string();
    let log = opts.workspace.join(LOG_FILE);
    let deadline = Instant::now() + Duration::from_secs(opts.wait);
    let version = loop {
        if let Some(v) = probe.version(url) {
            break v;
        }
        let gone = !crate::sys::process_alive(pid);
        let late = Instant::now() > deadline;
        let stopped = r.interrupted.pressed();
        if gone || late || stopped {
            let tail = install::log_tail(&log, 15);
            r.record(Step {
                step: "wait",
                status: "failed",
                detail: if gone {
                    format!("the server exited before answering; last log lines:\n{tail}")
                } else if stopped {
                    format!("interrupted while waiting; the server (pid {pid}) keeps starting")
                } else {
                    format!(
                        "no answer from {url} within {}s; last log lines:\n{tail}",
                        opts.wait
                    )
                },
                command: None,
                ms: ms(t),
            });
            return Err(if gone {
                format!(
                    "ComfyUI is installed in {ws} but would not start (log: {})",
                    log.display()
                )
            } else {
                format!(
                    "ComfyUI (pid {pid}) was started but did not answer yet; the profile was not written (log: {})",
                    log.display()
                )
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    r.record(Step {
        step: "wait",
        status: "done",
        detail: format!("ComfyUI {version} answers at {url}"),
        command: None,
        ms: ms(t),
    });
    Ok(())
}

/// What `setup --json` did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SetupReport {
    /// The server's URL.
    pub url: String,
    /// Where ComfyUI lives.
    pub workspace: String,
    /// The server's log.
    pub log: String,
    /// The profile written (or that would be).
    pub profile: String,
    /// The server's pid, when setup started it.
    pub pid: Option<u32>,
    /// Nothing was done.
    pub dry_run: bool,
    /// It runs (or, on a dry run, every step could be planned).
    pub ok: bool,
    /// Every step, in order.
    pub steps: Vec<Step>,
}

impl crate::report::Shape for SetupReport {
    const TYPE: &'static str = "setup";
}
