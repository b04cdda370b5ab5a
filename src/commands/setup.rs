//! `comfyctl setup`: from nothing to a running local ComfyUI — hardware check, comfy-cli
//! (pipx, else uvx, else pip --user with the PEP 668 fallback), ComfyUI in a workspace, a
//! background server with a persistent log, and a profile. Each run does only what is missing.

use crate::Context;
use crate::cli::SetupArgs;
use crate::error::{ExitStatus, Failure};
use crate::printer::Printer;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Version of the `--json` object.
pub const SCHEMA_VERSION: u32 = 1;

/// The server's log, inside the workspace.
pub const LOG_FILE: &str = "comfyctl-server.log";
/// The server's pid, inside the workspace.
pub const PID_FILE: &str = "comfyctl-server.pid";

/// An executable on `PATH` (or in `extra` directories, searched after it).
pub fn which(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().cloned())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// One step's outcome.
#[derive(Debug, Clone, Serialize)]
struct Step {
    step: &'static str,
    /// `done`, `skipped` (already so), `planned` (dry run), `failed`.
    status: &'static str,
    detail: String,
    command: Option<String>,
    ms: u64,
}

/// How to run comfy-cli.
#[derive(Debug, Clone)]
enum Comfy {
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

struct Run<'a> {
    printer: &'a Printer,
    json: bool,
    dry_run: bool,
    steps: Vec<Step>,
    interrupted: Arc<AtomicBool>,
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
            Ok(_) if self.interrupted.load(Ordering::SeqCst) => Err("interrupted".into()),
            Ok(s) => Err(format!("{shown} exited with {s}")),
            Err(e) => Err(format!("cannot run {shown}: {e}")),
        }
    }
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// The default workspace: `<data dir>/ComfyUI`.
fn default_workspace() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "comfyctl", "comfyctl")
        .map(|d| d.data_dir().join("ComfyUI"))
}

/// Where `pip install --user` puts scripts.
fn user_bin() -> Vec<PathBuf> {
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

/// Runs the command.
pub fn run(ctx: &Context, args: &SetupArgs) -> anyhow::Result<ExitStatus> {
    let workspace = match &args.workspace {
        Some(w) => std::path::absolute(w).unwrap_or_else(|_| w.clone()),
        None => default_workspace().ok_or_else(|| {
            Failure::usage("no home directory to put ComfyUI in: pass --workspace DIR")
        })?,
    };
    if args.port == 0 {
        return Err(Failure::usage("--port must be 1-65535").into());
    }
    let url = format!("http://127.0.0.1:{}", args.port);
    let interrupted = Arc::new(AtomicBool::new(false));
    if !args.dry_run {
        let flag = interrupted.clone();
        // Ctrl-C reaches comfy-cli too (same process group); we only note it and report.
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    while tokio::signal::ctrl_c().await.is_ok() {
                        flag.store(true, Ordering::SeqCst);
                    }
                });
            }
        });
    }
    let mut r = Run {
        printer: &ctx.printer,
        json: args.json,
        dry_run: args.dry_run,
        steps: Vec::new(),
        interrupted: interrupted.clone(),
    };
    let outcome = Probe::new().and_then(|probe| steps(ctx, args, &mut r, &probe, &workspace, &url));
    let status = match &outcome {
        Ok(Some(pid)) => {
            if !args.json {
                ctx.printer.data_line(&url)?;
                if let Some(pid) = pid {
                    ctx.printer.info(&format!(
                        "ComfyUI runs in the background (pid {pid}); log: {}; stop it with: kill {pid}",
                        workspace.join(LOG_FILE).display()
                    ));
                }
            }
            ExitStatus::Success
        }
        Ok(None) => ExitStatus::Success,
        Err(_) if interrupted.load(Ordering::SeqCst) => ExitStatus::Interrupted,
        Err(_) => ExitStatus::JobFailed,
    };
    if let Err(state) = &outcome {
        let head = if status == ExitStatus::Interrupted {
            "setup interrupted"
        } else {
            "setup failed"
        };
        ctx.printer.error(
            head,
            std::slice::from_ref(state),
            Some("comfyctl setup again picks up where this one stopped"),
        );
    }
    if args.json {
        let pid = match &outcome {
            Ok(Some(p)) => json!(p),
            _ => json!(null),
        };
        ctx.printer.json_pretty(&json!({
            "schema_version": SCHEMA_VERSION,
            "url": url,
            "workspace": workspace.display().to_string(),
            "log": workspace.join(LOG_FILE).display().to_string(),
            "profile": args.profile_name,
            "pid": pid,
            "dry_run": args.dry_run,
            "ok": status == ExitStatus::Success,
            "steps": r.steps,
        }))?;
    }
    Ok(status)
}

/// `Ok(Some(pid))`: running (pid when we started it); `Ok(None)`: dry run; `Err(state)`: a
/// step failed, with what state things are in.
fn steps(
    ctx: &Context,
    args: &SetupArgs,
    r: &mut Run<'_>,
    probe: &Probe,
    workspace: &Path,
    url: &str,
) -> Result<Option<Option<u32>>, String> {
    // 1. Hardware.
    let t = Instant::now();
    let m = crate::hw::probe(workspace.parent().unwrap_or(Path::new(".")));
    let gpu = if args.cpu {
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
                if args.cpu { " used (--cpu)" } else { " found" },
                m.ram_total_mb / 1024
            ),
        },
        command: None,
        ms: ms(t),
    });

    // 2. Already running?
    let t = Instant::now();
    if let Some(version) = probe.version(url) {
        r.record(Step {
            step: "server",
            status: "skipped",
            detail: format!("ComfyUI {version} already answers at {url}; left alone"),
            command: None,
            ms: ms(t),
        });
        profile_step(args, r, url)?;
        return Ok(if r.dry_run { None } else { Some(None) });
    }

    // 3. comfy-cli.
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
        None => install_comfy_cli(r, &extra)?,
    };

    // 4. ComfyUI in the workspace.
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
    } else {
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
        } else {
            if !r.json {
                ctx.printer.info(&format!(
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
        }
    }

    // 5. Start it.
    let t = Instant::now();
    let log = workspace.join(LOG_FILE);
    let port = args.port.to_string();
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
        profile_step(args, r, url)?;
        return Ok(None);
    }
    let pid = start_server(&comfy, workspace, &ws, &port, &log).map_err(|e| {
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

    // 6. Wait until it answers.
    let t = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let version = loop {
        if let Some(v) = probe.version(url) {
            break v;
        }
        let gone = !process_alive(pid);
        let late = Instant::now() > deadline;
        let stopped = r.interrupted.load(Ordering::SeqCst);
        if gone || late || stopped {
            let tail = log_tail(&log, 15);
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
                        args.wait
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
    profile_step(args, r, url)?;
    Ok(Some(Some(pid)))
}

/// pipx, then uvx, then pip --user (again with --break-system-packages when the system Python
/// is externally managed, PEP 668).
fn install_comfy_cli(r: &mut Run<'_>, extra: &[PathBuf]) -> Result<Comfy, String> {
    let t = Instant::now();
    if let Some(pipx) = which("pipx", &[]) {
        let shown = "pipx install comfy-cli".to_string();
        if r.dry_run {
            r.record(Step {
                step: "comfy-cli",
                status: "planned",
                detail: "not found; install it with pipx".into(),
                command: Some(shown),
                ms: 0,
            });
            return Ok(Comfy::Bin(PathBuf::from("comfy")));
        }
        let mut c = Command::new(pipx);
        c.args(["install", "comfy-cli"]);
        let res = r.exec(c);
        return finish_cli_install(r, t, shown, res, extra);
    }
    if let Some(uvx) = which("uvx", &[]) {
        r.record(Step {
            step: "comfy-cli",
            status: if r.dry_run { "planned" } else { "done" },
            detail: "not installed; running it through uvx".into(),
            command: Some("uvx --from comfy-cli comfy".into()),
            ms: ms(t),
        });
        return Ok(Comfy::Uvx(uvx));
    }
    let Some(pip) = which("pip3", &[]).or_else(|| which("pip", &[])) else {
        r.record(Step {
            step: "comfy-cli",
            status: "failed",
            detail: "neither comfy, pipx, uvx nor pip is on PATH: install Python 3 and pipx first"
                .into(),
            command: None,
            ms: ms(t),
        });
        return Err("nothing was installed".into());
    };
    let shown = format!("{} install --user comfy-cli", pip.display());
    if r.dry_run {
        r.record(Step {
            step: "comfy-cli",
            status: "planned",
            detail: "not found; no pipx or uvx, so pip --user".into(),
            command: Some(shown),
            ms: 0,
        });
        return Ok(Comfy::Bin(PathBuf::from("comfy")));
    }
    let out = Command::new(&pip)
        .args(["install", "--user", "comfy-cli"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", pip.display()))?;
    let res = if out.status.success() {
        Ok(())
    } else if String::from_utf8_lossy(&out.stderr).contains("externally-managed-environment") {
        // PEP 668: the distribution manages this Python; a --user install is still separate
        // from its packages.
        r.printer.warn("this Python is externally managed (PEP 668); installing comfy-cli for this user with --break-system-packages");
        let mut c = Command::new(&pip);
        c.args(["install", "--user", "--break-system-packages", "comfy-cli"]);
        r.exec(c)
    } else {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        Err(format!("{shown} exited with {}", out.status))
    };
    finish_cli_install(r, t, shown, res, extra)
}

fn finish_cli_install(
    r: &mut Run<'_>,
    t: Instant,
    shown: String,
    res: Result<(), String>,
    extra: &[PathBuf],
) -> Result<Comfy, String> {
    let found = res.as_ref().ok().and_then(|_| which("comfy", extra));
    r.record(Step {
        step: "comfy-cli",
        status: if found.is_some() { "done" } else { "failed" },
        detail: match (&res, &found) {
            (Ok(()), Some(b)) => format!("installed {}", b.display()),
            (Ok(()), None) => "installed, but no `comfy` on PATH or in ~/.local/bin".into(),
            (Err(e), _) => e.clone(),
        },
        command: Some(shown),
        ms: ms(t),
    });
    found
        .map(Comfy::Bin)
        .ok_or_else(|| "comfy-cli is not installed; ComfyUI was not touched".into())
}

/// Starts the server in its own process group (Ctrl-C here does not stop it), output appended
/// to the log, and records its pid.
fn start_server(
    comfy: &Comfy,
    workspace: &Path,
    ws: &str,
    port: &str,
    log: &Path,
) -> Result<u32, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let mut c = comfy.command();
    c.args([
        "--workspace",
        ws,
        "launch",
        "--",
        "--listen",
        "127.0.0.1",
        "--port",
        port,
    ])
    .current_dir(workspace)
    .stdin(Stdio::null())
    .stdout(file)
    .stderr(err);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        c.process_group(0);
    }
    let child = c.spawn().map_err(|e| format!("cannot start comfy: {e}"))?;
    let pid = child.id();
    // Not waited on: it outlives us. The pid file is written whole, then renamed.
    let _ =
        crate::fsutil::write_atomically(&workspace.join(PID_FILE), format!("{pid}\n").as_bytes());
    std::mem::forget(child);
    Ok(pid)
}

fn process_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // A zombie (exited, not reaped: our child) counts as gone.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(s) => !s
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Writes (or updates) `[profiles.NAME] url = …`, keeping the rest of the file as it was, and
/// makes it the default when the file names none.
fn profile_step(args: &SetupArgs, r: &mut Run<'_>, url: &str) -> Result<(), String> {
    let t = Instant::now();
    let envs = crate::settings::EnvSettings::from_process();
    let Some(path) = crate::config::config_path(envs.get(crate::config::env::CONFIG)) else {
        r.record(Step {
            step: "profile",
            status: "failed",
            detail: "no config directory; use --url instead".into(),
            command: None,
            ms: ms(t),
        });
        return Ok(());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!(
            "{} is not valid TOML ({}); the server runs, but the profile was not written",
            path.display(),
            e.message()
        )
    })?;
    let name = &args.profile_name;
    let current = doc
        .get("profiles")
        .and_then(|p| p.get(name))
        .and_then(|p| p.get("url"))
        .and_then(|u| u.as_str())
        .map(str::to_string);
    let make_default = doc.get("default_profile").is_none();
    if current.as_deref() == Some(url) && !make_default {
        r.record(Step {
            step: "profile",
            status: "skipped",
            detail: format!("'{name}' in {} already points at {url}", path.display()),
            command: None,
            ms: ms(t),
        });
        return Ok(());
    }
    let what = match &current {
        None => format!("add profile '{name}' ({url}) to {}", path.display()),
        Some(old) if old != url => format!(
            "point profile '{name}' at {url} (was {old}) in {}",
            path.display()
        ),
        Some(_) => format!("make '{name}' the default profile in {}", path.display()),
    };
    if r.dry_run {
        r.record(Step {
            step: "profile",
            status: "planned",
            detail: what,
            command: None,
            ms: 0,
        });
        return Ok(());
    }
    if doc.get("profiles").is_none() {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        doc.insert("profiles", toml_edit::Item::Table(t));
    }
    let profiles = doc["profiles"]
        .as_table_mut()
        .ok_or_else(|| format!("'profiles' in {} is not a table", path.display()))?;
    if !profiles.contains_key(name) {
        profiles.insert(name, toml_edit::Item::Table(toml_edit::Table::new()));
    }
    profiles[name.as_str()]["url"] = toml_edit::value(url);
    if make_default {
        doc["default_profile"] = toml_edit::value(name.as_str());
    }
    let out = doc.to_string();
    // The result must still be a config comfyctl reads.
    crate::config::parse(&path, &out).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.part");
    std::fs::write(&tmp, out)
        .and_then(|_| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0o600);
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
            }
            std::fs::rename(&tmp, &path)
        })
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })?;
    r.record(Step {
        step: "profile",
        status: "done",
        detail: format!(
            "{what}{}",
            if make_default {
                " (the default profile)"
            } else {
                ""
            }
        ),
        command: None,
        ms: ms(t),
    });
    Ok(())
}
