//! The CLI surface: completions committed under completions/ are current, help and version.

use crate::common::comfyctl;

#[test]
fn committed_completions_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "comfyctl.bash"),
        ("zsh", "_comfyctl"),
        ("fish", "comfyctl.fish"),
        ("powershell", "_comfyctl.ps1"),
        ("elvish", "comfyctl.elv"),
    ] {
        let out = comfyctl(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let committed = std::fs::read(root.join(file)).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run scripts/gen-completions.sh and commit the result"
        );
    }
}

#[test]
fn version_has_commit_and_help_has_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = comfyctl(dir.path()).arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.starts_with("comfyctl 0.1.0 ("), "{v}");
    let out = comfyctl(dir.path())
        .args(["run", "--help"])
        .output()
        .unwrap();
    let h = String::from_utf8_lossy(&out.stdout);
    assert!(
        h.contains("Examples:") && h.contains("--set <NODE.INPUT=VALUE>"),
        "{h}"
    );
    let out = comfyctl(dir.path()).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("130  interrupted with Ctrl-C"));
    let out = comfyctl(dir.path()).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every command's `--help` is part of the contract scripts and docs are written against; a
/// change must be deliberate (regenerate with scripts/gen-completions.sh and review the diff).
#[test]
fn help_matches_the_reviewed_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/help");
    let mut commands = vec![None];
    for c in [
        "run",
        "params",
        "validate",
        "convert",
        "deps",
        "watch",
        "queue",
        "cancel",
        "health",
        "logs",
        "hw",
        "config",
        "completions",
        "report",
        "mcp",
    ] {
        commands.push(Some(c));
    }
    for c in commands {
        let mut cmd = comfyctl(dir.path());
        if let Some(c) = c {
            cmd.arg(c);
        }
        let out = cmd.arg("--help").output().unwrap();
        let name = c.unwrap_or("comfyctl");
        let want = std::fs::read_to_string(root.join(format!("{name}.txt"))).unwrap_or_default();
        assert!(
            want == String::from_utf8_lossy(&out.stdout),
            "`{name} --help` changed: run scripts/gen-completions.sh and review tests/snapshots/help/{name}.txt"
        );
        assert!(
            c.is_none_or(
                |c| matches!(c, "config" | "completions" | "cancel") || want.contains("Examples:")
            ),
            "{name} --help has examples"
        );
    }
}

#[test]
fn dynamic_completion_offers_profile_names_and_the_workflows_parameters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[profiles.local]\nurl = \"http://127.0.0.1:8188\"\n[profiles.gpu]\nurl = \"http://gpu:8188\"\n",
    )
    .unwrap();
    let wf =
        crate::common::write_workflow(dir.path(), "wf.json", &crate::common::sample_workflow());
    let complete = |index: &str, words: &[&str]| {
        let out = crate::common::comfyctl(dir.path())
            .env("COMPLETE", "bash")
            .env("_CLAP_IFS", "\n")
            .env("_CLAP_COMPLETE_INDEX", index)
            .arg("--")
            .args(words)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        complete("3", &["comfyctl", "run", "--profile", "g"]),
        ["gpu"]
    );
    let mut all = complete("3", &["comfyctl", "batch", "--profile", ""]);
    all.sort();
    assert_eq!(all, ["gpu", "local"]);
    let w = wf.to_str().unwrap();
    assert_eq!(
        complete("4", &["comfyctl", "run", w, "-p", "st"]),
        ["steps="]
    );
    let names = complete("4", &["comfyctl", "batch", w, "-p", ""]);
    assert!(
        names.contains(&"prompt=".to_string()) && names.contains(&"seed=".to_string()),
        "{names:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_config_with_secrets_that_others_can_read_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "default_profile = \"p\"\n[profiles.p]\nurl = \"http://127.0.0.1:9\"\n[profiles.p.headers]\nX-Proxy-Token = \"tok-777\"\n",
    )
    .unwrap();
    let show = || {
        crate::common::comfyctl(dir.path())
            .args(["config", "show"])
            .output()
            .unwrap()
    };
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = show();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("other users can read it: chmod 600"), "{err}");
    assert!(!err.contains("tok-777") && !String::from_utf8_lossy(&out.stdout).contains("tok-777"));
    // Once per command, though batch resolves its settings twice (its folder, its servers).
    crate::common::write_workflow(dir.path(), "wf.json", &crate::common::sample_workflow());
    let out = crate::common::comfyctl(dir.path())
        .args(["batch", "wf.json", "--count", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.matches("chmod 600").count(), 1, "{err}");
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = show();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("chmod"));
}
