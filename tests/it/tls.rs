//! TLS: certificates are verified by default; `--insecure` (or a profile's `insecure = true`)
//! accepts a self-signed server for HTTP and the WebSocket, and says so on every run.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::tls::tls_front;
use crate::common::{comfyctl, sample_workflow, walk, write_workflow};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_self_signed_server_is_refused_unless_insecure_which_warns_every_time() {
    let srv = FakeServer::start(FakeOptions::default());
    let url = tls_front(srv.addr);
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();

    let out = comfyctl(dir.path())
        .args(["run", wf, "--url", &url])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{e}");
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    assert!(e.contains("--insecure"), "the hint names the switch: {e}");
    assert!(srv.history_ids().is_empty(), "nothing was sent");

    // HTTP and the WebSocket both go through TLS; the job runs and the output is saved.
    let out = comfyctl(dir.path())
        .args(["run", wf, "--url", &url, "--insecure", "-q", "--jsonl"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert!(out.status.success(), "{e}");
    assert!(
        e.contains(&format!(
            "warning: TLS certificate checks are off for {url} (--insecure)"
        )),
        "warned even under -q: {e}"
    );
    assert!(
        text(&out.stdout).contains("{\"type\":\"connected\"")
            && text(&out.stdout).contains("{\"type\":\"preview\""),
        "the job was followed over wss://, not by polling: {}",
        text(&out.stdout)
    );
    assert_eq!(walk(&dir.path().join("outputs")).len(), 1);

    // Said once per command, though batch resolves its settings twice.
    let out = comfyctl(dir.path())
        .args([
            "batch",
            wf,
            "--count",
            "1",
            "--url",
            &url,
            "--insecure",
            "-q",
        ])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert!(out.status.success(), "{e}");
    assert_eq!(
        e.matches("TLS certificate checks are off").count(),
        1,
        "{e}"
    );

    // The same from a profile.
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[profiles.lab]\nurl = \"{url}\"\ninsecure = true\n"),
    )
    .unwrap();
    let out = comfyctl(dir.path())
        .args(["--profile", "lab", "queue"])
        .output()
        .unwrap();
    let e = text(&out.stderr);
    assert!(out.status.success(), "{e}");
    assert!(e.contains("TLS certificate checks are off"), "{e}");
}
