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
