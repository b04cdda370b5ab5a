//! Fixing what `deps` found: install missing node packs (comfy-cli when it is on PATH, else the server's
//! ComfyUI-Manager, else the command to run) and download missing models with known URLs.
//! A failed item never stops the others; restarting the server is left to the user.

use super::{MissingModel, MissingNode};
use crate::client::Server;
use crate::client::fetch::{self, FetchError};
use crate::printer::Printer;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Shows one download's bytes (the CLI draws a bar; nothing else needs to).
pub trait DownloadProgress {
    /// Bytes so far, and the total when known.
    fn update(&mut self, have: u64, total: Option<u64>);
    /// The download ended.
    fn finish(&mut self);
}

/// Makes a [`DownloadProgress`] for a file name.
pub type Bars<'a> = &'a dyn Fn(&str) -> Box<dyn DownloadProgress>;

/// How to fix.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// Say what would be done, do nothing.
    pub dry_run: bool,
    /// The ComfyUI models folder to download into (default: the local server's own folders).
    pub models_dir: Option<PathBuf>,
}

/// One thing `--fix` did (or would do).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Action {
    /// `node_pack` or `model`.
    pub kind: &'static str,
    /// Pack title or model file name.
    pub item: String,
    /// `comfy-cli`, `manager`, `download` or `manual`.
    pub method: &'static str,
    /// The command run (or to run).
    pub command: Option<String>,
    /// Where a model goes.
    pub path: Option<String>,
    /// `planned` (dry run), `fixed`, `present`, `failed` or `manual`.
    pub status: &'static str,
    /// Why it failed or what to do.
    pub detail: Option<String>,
}

/// Everything `--fix` did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Nothing was done (`--dry-run`).
    pub dry_run: bool,
    /// Per item.
    pub actions: Vec<Action>,
}

impl Outcome {
    /// True when every item is fixed or was already there.
    pub fn all_fixed(&self) -> bool {
        !self.dry_run
            && self
                .actions
                .iter()
                .all(|a| matches!(a.status, "fixed" | "present"))
    }

    /// Actions with this status.
    pub fn count(&self, status: &str) -> usize {
        self.actions.iter().filter(|a| a.status == status).count()
    }

    /// Node packs were installed (the server must restart to load them).
    pub fn packs_installed(&self) -> bool {
        self.actions
            .iter()
            .any(|a| a.kind == "node_pack" && a.status == "fixed")
    }

    /// The `fix` object of `--json`.
    pub fn summary(&self) -> FixSummary {
        FixSummary {
            dry_run: self.dry_run,
            actions: self.actions.clone(),
            fixed: self.count("fixed"),
            failed: self.count("failed"),
            manual: self.count("manual"),
            present: self.count("present"),
            restart_needed: self.packs_installed(),
        }
    }
}

/// What `--fix` did, in `deps --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FixSummary {
    /// Nothing was done.
    pub dry_run: bool,
    /// Per item.
    pub actions: Vec<Action>,
    /// Items fixed.
    pub fixed: usize,
    /// Items that failed.
    pub failed: usize,
    /// Items left to do by hand.
    pub manual: usize,
    /// Items already there.
    pub present: usize,
    /// New nodes need a server restart.
    pub restart_needed: bool,
}

/// The repository's name (the folder a git clone makes).
pub(super) fn repo_name(url: &str) -> &str {
    url.trim_end_matches('/')
        .trim_end_matches(".git")
        .rsplit('/')
        .next()
        .unwrap_or(url)
}

/// The registry name comfy-cli takes: the repository's name, lower-case.
fn pack_name(url: &str) -> String {
    repo_name(url).to_lowercase()
}

/// Runs the fixes: node packs first, then models. A failed item never stops the others;
/// Ctrl-C (`cancel`) stops a download and leaves its `.part` file for the next run.
pub async fn run(
    p: &Printer,
    opts: &FixOptions,
    server: Option<&Server>,
    has_manager: bool,
    found: &super::DepsReport,
    bars: Bars<'_>,
    cancel: &CancellationToken,
) -> anyhow::Result<Outcome> {
    let (nodes, models) = (&found.nodes, &found.models);
    let mut out = Outcome {
        dry_run: opts.dry_run,
        actions: Vec::new(),
    };
    install_packs(p, opts, server, has_manager, nodes, &mut out).await;
    download_models(opts, server, models, &mut out, bars, cancel).await;
    Ok(out)
}

/// Node packs, once each: comfy-cli, else the server's Manager, else the command to run.
async fn install_packs(
    p: &Printer,
    opts: &FixOptions,
    server: Option<&Server>,
    has_manager: bool,
    nodes: &[MissingNode],
    out: &mut Outcome,
) {
    // Node packs, once each.
    let comfy = crate::sys::which("comfy", &[]);
    let mut packs: Vec<(String, String)> = Vec::new();
    for n in nodes {
        match &n.pack {
            Some(pk) => {
                if !packs.iter().any(|(_, x)| *x == pk.url) {
                    packs.push((pk.title.clone(), pk.url.clone()));
                }
            }
            None => out.actions.push(Action {
                kind: "node_pack",
                item: n.class_type.clone(),
                method: "manual",
                command: None,
                path: None,
                status: "manual",
                detail: Some(
                    "no known pack provides this node type (pass --node-map extension-node-map.json)"
                        .into(),
                ),
            }),
        }
    }
    for (title, url) in packs {
        let name = pack_name(&url);
        let cli_cmd = format!("comfy --skip-prompt node install {name}");
        let mut a = Action {
            kind: "node_pack",
            item: title.clone(),
            method: "manual",
            command: Some(cli_cmd.clone()),
            path: None,
            status: "manual",
            detail: Some(format!(
                "comfy-cli is not on PATH and the server has no ComfyUI-Manager; or: git clone {url} ComfyUI/custom_nodes/{}",
                repo_name(&url)
            )),
        };
        if let Some(bin) = &comfy {
            a.method = "comfy-cli";
            if opts.dry_run {
                a.status = "planned";
                a.detail = None;
            } else {
                p.info(&format!("installing {title}: {cli_cmd}"));
                // comfy-cli's own output goes to stderr: stdout stays this report.
                let status = std::process::Command::new(bin)
                    .args(["--skip-prompt", "node", "install", &name])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::io::stderr())
                    .status();
                match status {
                    Ok(s) if s.success() => {
                        a.status = "fixed";
                        a.detail = None;
                    }
                    Ok(s) => {
                        a.status = "failed";
                        a.detail = Some(format!("comfy exited with {s}"));
                    }
                    Err(e) => {
                        a.status = "failed";
                        a.detail = Some(format!("cannot run {}: {e}", bin.display()));
                    }
                }
            }
        } else if let (true, Some(s)) = (has_manager, server) {
            a.method = "manager";
            a.command = Some(format!(
                "POST {}/manager/queue/install ({url})",
                s.display_url()
            ));
            if opts.dry_run {
                a.status = "planned";
                a.detail = None;
            } else {
                match manager_install(s, &title, &url, &name).await {
                    Ok(()) => {
                        a.status = "fixed";
                        a.detail = None;
                    }
                    Err(e) => {
                        a.status = "failed";
                        a.detail = Some(e);
                    }
                }
            }
        }
        out.actions.push(a);
    }
}

/// Models with a known URL, into `--models-dir` or the local server's own folders.
async fn download_models(
    opts: &FixOptions,
    server: Option<&Server>,
    models: &[MissingModel],
    out: &mut Outcome,
    bars: Bars<'_>,
    cancel: &CancellationToken,
) {
    let folders = match (&opts.models_dir, server) {
        (Some(_), _) => None,
        (None, Some(s)) if s.is_local_machine() => s.get_json("/internal/folder_paths").await.ok(),
        _ => None,
    };
    let tokens = fetch::tokens_from_env(|k| std::env::var(k).ok());
    let http = fetch::client();
    for m in models {
        let name = m.name.clone();
        let folder = m.folder.clone();
        let url = m.url.clone();
        let mut a = Action {
            kind: "model",
            item: format!("{folder}/{name}"),
            method: "manual",
            command: m.fix.clone(),
            path: None,
            status: "manual",
            detail: None,
        };
        let Some(url) = url else {
            a.detail = Some("no download URL known: put the file in that folder (or pass --model-list model-list.json)".into());
            out.actions.push(a);
            continue;
        };
        let dir = match (&opts.models_dir, folder_from(&folders, &folder)) {
            (Some(d), _) => Some(d.join(&folder)),
            (None, Some(d)) => Some(d),
            (None, None) => None,
        };
        let Some(dir) = dir else {
            a.detail = Some(
                "comfyctl does not know where this server keeps its models: pass --models-dir ComfyUI/models"
                    .into(),
            );
            out.actions.push(a);
            continue;
        };
        a.method = "download";
        let target = dir.join(&name);
        a.path = Some(target.display().to_string());
        // The name comes from the workflow: one plain file name, nothing that climbs out.
        if crate::client::outputs::safe_filename(&name).is_err() || name.starts_with('.') {
            a.status = "failed";
            a.detail = Some("the file name is not a plain name; refusing to write it".into());
            out.actions.push(a);
            continue;
        }
        if target.exists() {
            a.status = "present";
            out.actions.push(a);
            continue;
        }
        let Ok(parsed) = url::Url::parse(&url) else {
            a.status = "failed";
            a.detail = Some(format!("not a URL: {url}"));
            out.actions.push(a);
            continue;
        };
        if opts.dry_run {
            a.status = "planned";
            out.actions.push(a);
            continue;
        }
        let mut bar = bars(&name);
        let mut progress = |have: u64, total: Option<u64>| bar.update(have, total);
        let r = fetch::download(
            &http,
            &parsed,
            &dir,
            &name,
            m.sha256.as_deref(),
            &tokens,
            &mut progress,
            cancel,
        )
        .await;
        bar.finish();
        match r {
            Ok(f) => {
                a.status = "fixed";
                a.detail = Some(match (f.resumed_from, &f.sha256) {
                    (0, Some(_)) => format!("{} bytes, sha256 checked", f.bytes),
                    (0, None) => format!("{} bytes", f.bytes),
                    (r, s) => format!(
                        "{} bytes (resumed at {r}){}",
                        f.bytes,
                        if s.is_some() { ", sha256 checked" } else { "" }
                    ),
                });
            }
            Err(FetchError::Cancelled) => {
                a.status = "failed";
                a.detail = Some(FetchError::Cancelled.to_string());
                out.actions.push(a);
                break;
            }
            Err(e) => {
                a.status = "failed";
                a.detail = Some(e.to_string());
            }
        }
        out.actions.push(a);
    }
}

/// The server's own folder for `folder` from `/internal/folder_paths` (legacy aliases too).
fn folder_from(folders: &Option<Value>, folder: &str) -> Option<PathBuf> {
    let f = folders.as_ref()?;
    let pick = |k: &str| {
        f.get(k)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(PathBuf::from)
    };
    pick(folder).or_else(|| crate::client::models::alias(folder).and_then(pick))
}

/// ComfyUI-Manager (v3 API): queue the pack's git install, then start the queue.
async fn manager_install(s: &Server, title: &str, url: &str, name: &str) -> Result<(), String> {
    let body = json!({"id": name, "title": title, "reference": url, "repository": url,
                      "files": [url], "install_type": "git-clone", "version": "nightly",
                      "selected_version": "nightly", "channel": "default", "mode": "cache"});
    // Both answer with an empty body; only the status matters.
    let check = |r: Result<reqwest::Response, crate::client::ClientError>, what: &str| match r {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(format!(
            "{what}: HTTP {} (Manager's security level may forbid installs from the API)",
            resp.status().as_u16()
        )),
        Err(e) => Err(format!("{what}: {e}")),
    };
    check(
        s.send(
            reqwest::Method::POST,
            s.endpoint("/manager/queue/install"),
            Some(&body),
        )
        .await,
        "Manager refused the install",
    )?;
    check(
        s.send(
            reqwest::Method::GET,
            s.endpoint("/manager/queue/start"),
            None,
        )
        .await,
        "Manager did not start its queue",
    )
}
