//! The test suite's fake ComfyUI server, runnable on its own for trying comfyctl by hand and for
//! benchmarks:
//!
//!     cargo run --example fake_comfyui -- --port 8188
//!     comfyctl run workflows/sd15_txt2img_tiny.json --url http://127.0.0.1:8188
//!
//! Flags: --port N, --old (imitate 0.3.64), --step-delay-ms N, --fail-class CLASS,
//! --drop-ws-after N, --output-size BYTES, --view-truncate N, --fail-next KIND:COUNT:STATUS,
//! --progress-burst N / --preview-burst N (each sampler step also sends N× progress_state and
//! progress / N preview frames: the WebSocket ingest benchmark), --chaos RATE (random 5xx, lost
//! prompt answers, truncated downloads and dropped sockets; unique output bytes) and
//! --served-log FILE (queued prompt ids and output checksums), for scripts/soak.sh,
//! --cloud KEY (imitate Comfy Cloud: /api routes, X-API-Key, signed-URL redirects to a second
//! host, a broadcast WebSocket), --front-end-root DIR (serve the editor from a
//! `comfyui-frontend-package` static folder: scripts/editor-oracle.sh), --v2 [TOKEN] (also serve
//! the Comfy API v2 through a fake comfy-api-proxy in front of this server, on --v2-port N or a
//! free port; TOKEN is its Bearer token), --v2-keepalive-ms N (its stream keepalive, 15 s by
//! default), and --outage-at-step N [--downtime-ms MS] [--blip] (a restart or a network blip).

#[path = "../tests/it/common/fake_server.rs"]
mod fake_server;
#[path = "../tests/it/common/fake_v2.rs"]
mod fake_v2;

use fake_server::{CloudOptions, FakeOptions, Version, serve};
use std::time::Duration;

fn main() {
    let mut opts = FakeOptions {
        port: 8188,
        step_delay: Duration::from_millis(50),
        ..Default::default()
    };
    let mut args = std::env::args().skip(1).peekable();
    const USAGE: &str = "usage: fake_comfyui [--port N] [--old] [--step-delay-ms N] [--fail-class CLASS] [--drop-ws-after N] [--output-size BYTES] [--view-truncate N] [--fail-next KIND:COUNT:STATUS] [--progress-burst N] [--preview-burst N] [--chaos RATE] [--served-log FILE] [--cloud KEY] [--front-end-root DIR] [--outage-at-step N [--downtime-ms MS] [--blip]] [--v2 [TOKEN]] [--v2-port N] [--v2-keepalive-ms N]";
    let usage = || -> ! {
        eprintln!("{USAGE}");
        std::process::exit(2)
    };
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--port" => opts.port = val().parse().unwrap_or_else(|_| usage()),
            "--old" => opts.version = Version::V0_3_64,
            "--step-delay-ms" => {
                opts.step_delay = Duration::from_millis(val().parse().unwrap_or_else(|_| usage()))
            }
            "--fail-class" => opts.faults.fail_class = Some(val()),
            "--drop-ws-after" => {
                opts.faults.ws_drop_after = Some(val().parse().unwrap_or_else(|_| usage()))
            }
            "--output-size" => {
                opts.faults.output_size = Some(val().parse().unwrap_or_else(|_| usage()))
            }
            "--view-truncate" => {
                opts.faults.view_truncate = val().parse().unwrap_or_else(|_| usage())
            }
            "--fail-next" => {
                let v = val();
                let parts: Vec<&str> = v.split(':').collect();
                let [kind, count, status] = parts.as_slice() else {
                    usage()
                };
                opts.faults.fail_next.insert(
                    kind.to_string(),
                    (
                        count.parse().unwrap_or_else(|_| usage()),
                        status.parse().unwrap_or_else(|_| usage()),
                    ),
                );
            }
            "--progress-burst" => {
                opts.faults.progress_burst = val().parse().unwrap_or_else(|_| usage())
            }
            "--preview-burst" => {
                opts.faults.preview_burst = val().parse().unwrap_or_else(|_| usage())
            }
            "--chaos" => opts.faults.chaos = Some(val().parse().unwrap_or_else(|_| usage())),
            "--served-log" => opts.faults.served_log = Some(val().into()),
            "--cloud" => {
                opts.cloud = Some(CloudOptions {
                    api_key: val(),
                    ..Default::default()
                })
            }
            "--front-end-root" => opts.front_end_root = Some(val().into()),
            // A restart (or, with --blip, a network blip) at this sampler step of the next run:
            // the port refuses connections for --downtime-ms (default: for good).
            "--outage-at-step" => {
                let step = val().parse().unwrap_or_else(|_| usage());
                opts.faults.outage_at_step = Some((
                    step,
                    fake_server::Outage {
                        downtime: None,
                        restart: true,
                    },
                ));
            }
            "--downtime-ms" => {
                let ms: u64 = val().parse().unwrap_or_else(|_| usage());
                match &mut opts.faults.outage_at_step {
                    Some((_, o)) => o.downtime = Some(Duration::from_millis(ms)),
                    None => usage(),
                }
            }
            "--blip" => match &mut opts.faults.outage_at_step {
                Some((_, o)) => o.restart = false,
                None => usage(),
            },
            "--v2" => {
                let token = args.next_if(|a| !a.starts_with("--"));
                opts.v2.get_or_insert_with(Default::default).token = token;
            }
            "--v2-port" => {
                let port = val().parse().unwrap_or_else(|_| usage());
                opts.v2.get_or_insert_with(Default::default).port = port;
            }
            "--v2-keepalive-ms" => {
                let ms = val().parse().unwrap_or_else(|_| usage());
                opts.v2.get_or_insert_with(Default::default).keepalive = Duration::from_millis(ms);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            _ => usage(),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (addr, shared, fut) = serve(opts).await;
        eprintln!("fake ComfyUI listening on http://{addr}");
        if let Some(v2) = shared.v2_url() {
            eprintln!("fake Comfy API v2 listening on {v2}");
        }
        tokio::select! {
            _ = fut => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    });
}
