//! `comfyctl setup` with PATH shims standing in for pipx, pip and comfy-cli; the shim's
//! `comfy launch` starts the fake server, so the wait and the profile are real.
#![cfg(unix)]

use crate::common::comfyctl;
use crate::common::fake_server::{FakeOptions, FakeServer};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The fake server binary that `cargo test` builds with the examples.
fn fake_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap();
    let p = target.join("examples/fake_comfyui");
    assert!(p.exists(), "cargo test builds examples: {}", p.display());
    p
}

fn script(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `comfy`: records its arguments; `install` creates WORKSPACE/main.py; `launch` runs the fake
/// server on the port it was given.
fn comfy_body(log: &Path) -> String {
    format!(
        r#"echo "$@" >> {log}
ws=""; port=""; prev=""
for a in "$@"; do
  [ "$prev" = "--workspace" ] && ws="$a"
  [ "$prev" = "--port" ] && port="$a"
  prev="$a"
done
case " $* " in
  *" install "*) /bin/mkdir -p "$ws" && echo "print('comfyui')" > "$ws/main.py"; echo "installed ComfyUI" ;;
  *" launch "*) echo "Starting server"; exec {fake} --port "$port" ;;
esac
"#,
        log = log.display(),
        fake = fake_bin().display()
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Killer(PathBuf);
impl Drop for Killer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid.trim().parse().unwrap_or(0)),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[test]
fn from_nothing_to_a_running_server_and_a_profile_then_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("calls.log");
    // pipx installs comfy-cli: the shim writes the comfy shim next to itself.
    let comfy = comfy_body(&log).replace('\'', "'\\''");
    script(
        &bin,
        "pipx",
        &format!(
            "echo \"pipx $@\" >> {log}\nprintf '%s' '#!/bin/sh\n{comfy}' > {bin}/comfy\n/bin/chmod 755 {bin}/comfy\n",
            log = log.display(),
            bin = bin.display()
        ),
    );
    let ws = dir.path().join("ws");
    let port = free_port().to_string();
    let _kill = Killer(ws.join("comfyctl-server.pid"));
    let setup = |extra: &[&str]| {
        comfyctl(dir.path())
            .env("PATH", &bin)
            .args([
                "setup",
                "--workspace",
                ws.to_str().unwrap(),
                "--port",
                &port,
            ])
            .args(extra)
            .output()
            .unwrap()
    };

    let out = setup(&["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!log.exists(), "a dry run runs nothing");
    assert!(!ws.exists());
    assert!(!dir.path().join("config.toml").exists());
    let e = text(&out.stderr);
    assert!(e.contains("would run pipx install comfy-cli"), "{e}");
    assert!(e.contains("install --cpu"), "{e}");

    let out = setup(&["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{v:#}\n{}", text(&out.stderr));
    let steps: Vec<(&str, &str)> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("hardware", "done"),
            ("comfy-cli", "done"),
            ("comfyui", "done"),
            ("start", "done"),
            ("wait", "done"),
            ("profile", "done"),
        ]
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls[0], "pipx install comfy-cli");
    assert_eq!(
        calls[1],
        format!("--skip-prompt --workspace {} install --cpu", ws.display())
    );
    assert!(
        calls[2].contains("launch -- --listen 127.0.0.1 --port"),
        "{calls:?}"
    );
    // comfy-cli's output went to stderr, the server's to the log.
    assert!(text(&out.stderr).contains("installed ComfyUI"));
    let server_log = std::fs::read_to_string(ws.join("comfyctl-server.log")).unwrap();
    assert!(server_log.contains("Starting server"), "{server_log}");
    let cfg = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(
        cfg.contains(&format!("url = \"http://127.0.0.1:{port}\"")),
        "{cfg}"
    );
    assert!(cfg.contains("default_profile = \"local\""));

    // The profile works for the other commands.
    let out = comfyctl(dir.path())
        .args(["health", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Again: everything is there; nothing is run, the server is left alone.
    let before = std::fs::read_to_string(&log).unwrap();
    let out = setup(&[]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), format!("http://127.0.0.1:{port}"));
    assert!(
        text(&out.stderr).contains("already answers"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
}

#[test]
fn pip_falls_back_to_break_system_packages_and_keeps_other_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("calls.log");
    let home_bin = dir.path().join(".local/bin");
    let comfy = comfy_body(&log).replace('\'', "'\\''");
    // An externally managed Python: --user alone is refused (PEP 668).
    script(
        &bin,
        "pip3",
        &format!(
            r#"echo "pip3 $@" >> {log}
case " $* " in
  *" --break-system-packages "*) /bin/mkdir -p {hb}; printf '%s' '#!/bin/sh
{comfy}' > {hb}/comfy; /bin/chmod 755 {hb}/comfy ;;
  *) echo "error: externally-managed-environment" >&2; exit 1 ;;
esac
"#,
            log = log.display(),
            hb = home_bin.display()
        ),
    );
    std::fs::write(
        dir.path().join("config.toml"),
        "# my servers\n[profiles.gpu]\nurl = \"http://gpu:8188\"  # the big one\n",
    )
    .unwrap();
    let ws = dir.path().join("ws");
    let port = free_port().to_string();
    let _kill = Killer(ws.join("comfyctl-server.pid"));
    let out = comfyctl(dir.path())
        .env("PATH", &bin)
        .args([
            "setup",
            "--workspace",
            ws.to_str().unwrap(),
            "--port",
            &port,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("pip3 install --user comfy-cli\n"));
    assert!(calls.contains("pip3 install --user --break-system-packages comfy-cli\n"));
    assert!(text(&out.stderr).contains("PEP 668"));
    let cfg = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(
        cfg.contains("# my servers\n[profiles.gpu]\n"),
        "comments kept: {cfg}"
    );
    assert!(
        cfg.contains("url = \"http://gpu:8188\"  # the big one"),
        "{cfg}"
    );
    assert!(cfg.contains("[profiles.local]"), "{cfg}");
}

#[test]
fn a_server_that_will_not_start_fails_with_its_log_and_writes_no_profile() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    script(
        &bin,
        "comfy",
        "case \" $* \" in *\" launch \"*) echo 'RuntimeError: no CUDA device' ; exit 1 ;; esac\n",
    );
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("main.py"), "").unwrap();
    let port = free_port().to_string();
    let out = comfyctl(dir.path())
        .env("PATH", &bin)
        .args([
            "setup",
            "--workspace",
            ws.to_str().unwrap(),
            "--port",
            &port,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(e.contains("exited before answering"), "{e}");
    assert!(
        e.contains("RuntimeError: no CUDA device"),
        "the log's tail: {e}"
    );
    assert!(!dir.path().join("config.toml").exists());
}

#[test]
fn a_running_server_is_left_alone() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let port = srv.addr.port().to_string();
    let out = comfyctl(dir.path())
        .env("PATH", &empty)
        .args(["setup", "--workspace", "ws", "--port", &port, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"][1]["status"], "skipped");
    assert!(!dir.path().join("ws").exists());
}
