//! Installing comfy-cli and starting the server in the background.

use super::{Comfy, PID_FILE, Run, Step, ms};
use crate::sys::which;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// pipx, then uvx, then pip --user (again with --break-system-packages when the system Python
/// is externally managed, PEP 668).
pub(super) fn install_comfy_cli(r: &mut Run<'_>, extra: &[PathBuf]) -> Result<Comfy, String> {
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
pub(super) fn start_server(
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

pub(super) fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
