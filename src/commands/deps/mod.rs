//! `comfyctl deps`: what a workflow needs that the server lacks — node types (with the pack that
//! provides them), model files (with where to get them), embeddings and input files — and the
//! commands that fix each.

use crate::Context;
use crate::cli::DepsArgs;
use crate::client::Server;
use crate::error::{ExitStatus, Failure};
use crate::workflow::nodedefs::InputKind;
use crate::workflow::{self, Document, Workflow, schema};
use serde_json::{Value, json};
use std::collections::BTreeMap;

mod fix;

/// Version of the `--json` object.
pub const SCHEMA_VERSION: u32 = 1;

const MODEL_EXTENSIONS: &[&str] = &[
    ".safetensors",
    ".ckpt",
    ".pt",
    ".pth",
    ".bin",
    ".gguf",
    ".sft",
    ".onnx",
];

/// `{pack url: [[node types], {title_aux}]}` → node type → (title, url).
fn read_node_map(v: &Value) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for (url, entry) in v.as_object().into_iter().flatten() {
        let title = entry
            .pointer("/1/title_aux")
            .and_then(Value::as_str)
            .unwrap_or(url)
            .to_string();
        for n in entry
            .pointer("/0")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = n.as_str() {
                out.entry(n.to_string())
                    .or_insert((title.clone(), url.clone()));
            }
        }
    }
    out
}

fn read_json_file(path: &std::path::Path, what: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{}:{}:{}: invalid JSON in {what}: {e}",
            path.display(),
            e.line(),
            e.column().max(1)
        ))
        .into()
    })
}

/// Runs the command.
pub fn run(ctx: &Context, args: &DepsArgs) -> anyhow::Result<ExitStatus> {
    let mut provider = ctx.defs(args.defs.spec());
    let doc = workflow::load_document(&args.workflow)?;
    let server: Option<Server> = if args.defs.object_info.is_some() {
        None
    } else {
        Some(provider.server()?.clone())
    };
    let defs = match provider.get() {
        Ok(d) => d.defs.clone(),
        // Comfy Cloud's free tier refuses node definitions: check models by folder instead.
        Err(e) if server.as_ref().is_some_and(Server::is_cloud) && refused(&e) => {
            return cloud_without_defs(ctx, args, server.as_ref().expect("cloud"), doc);
        }
        Err(e) => return Err(e),
    };
    // Node types the server lacks, and a prompt of everything else.
    let (wf, missing_types): (Workflow, BTreeMap<String, Vec<String>>) = match doc {
        Document::Api(mut wf) => {
            let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
            wf.nodes.retain(|id, n| {
                let c = n.get("class_type").and_then(Value::as_str).unwrap_or("");
                if defs.get(c).is_some() {
                    true
                } else {
                    missing
                        .entry(c.to_string())
                        .or_default()
                        .push(format!("#{id}"));
                    false
                }
            });
            (wf, missing)
        }
        Document::Ui { value, source_name } => {
            let (c, unknown) = workflow::convert::convert_lenient(&value, &source_name, &defs)?;
            (c.workflow, unknown)
        }
    };
    let ext = crate::signals::block_on(load_extras(server.as_ref(), args))??;
    let node_map = ext.0;
    let model_list = ext.1;
    let embeddings_on_server = ext.2;

    let nodes: Vec<Value> = missing_types
        .iter()
        .map(|(t, ids)| {
            let pack = node_map.get(t);
            let fix = pack.map(|(title, url)| {
                let repo = url.trim_end_matches('/').trim_end_matches(".git").rsplit('/').next().unwrap_or(title).to_lowercase();
                format!("comfy node install {repo}   # or: git clone {url} ComfyUI/custom_nodes/{}", url.trim_end_matches('/').trim_end_matches(".git").rsplit('/').next().unwrap_or(""))
            });
            json!({"class_type": t, "nodes": ids, "pack": pack.map(|(title, url)| json!({"title": title, "url": url})), "fix": fix})
        })
        .collect();

    let mut models = Vec::new();
    let mut inputs = Vec::new();
    let mut invalid = Vec::new();
    for (id, n) in &wf.nodes {
        let class = n.get("class_type").and_then(Value::as_str).unwrap_or("");
        let Some(def) = defs.get(class) else { continue };
        for spec in &def.inputs {
            let Some(v) = n["inputs"].get(&spec.name) else {
                continue;
            };
            let Some(s) = v.as_str() else { continue };
            let InputKind::Combo {
                options,
                upload,
                open,
            } = &spec.kind
            else {
                continue;
            };
            if *open || options.iter().any(|o| o.as_str() == Some(s)) {
                continue;
            }
            if *upload {
                if !s.contains('/') && !s.ends_with(']') {
                    inputs.push(json!({"name": s, "node": id, "input": spec.name,
                        "fix": format!("comfyctl run … --input {id}=PATH (uploads it)")}));
                }
                continue;
            }
            let folder = schema::model_folder(class, &spec.name).or_else(|| {
                MODEL_EXTENSIONS
                    .iter()
                    .any(|e| s.to_lowercase().ends_with(e))
                    .then_some("?")
            });
            match folder {
                Some(folder) => {
                    let hint = wf.model_hints.iter().find(|h| h.name == s);
                    let listed = model_list.iter().find(|m| m["filename"].as_str() == Some(s));
                    let url = hint.and_then(|h| h.url.clone()).or_else(|| listed.and_then(|m| m["url"].as_str().map(str::to_string)));
                    let folder = hint
                        .and_then(|h| h.directory.clone())
                        .unwrap_or_else(|| folder.to_string());
                    let fix = url.as_ref().map(|u| format!("comfy model download --url {u} --relative-path models/{folder} --filename {s}"));
                    let sha256 = hint.and_then(|h| h.sha256.clone()).or_else(|| {
                        listed.and_then(|m| m["sha256"].as_str().map(str::to_string))
                    });
                    if models.iter().any(|m: &Value| m["name"] == s && m["folder"] == folder.as_str()) {
                        continue;
                    }
                    models.push(json!({"name": s, "folder": folder, "node": id, "input": spec.name, "url": url, "sha256": sha256, "fix": fix}));
                }
                None => invalid.push(json!({"node": id, "input": spec.name, "value": s,
                    "allowed": options.len(), "suggestion": crate::workflow::validate::closest(s, options)})),
            }
        }
    }
    let embeddings: Vec<Value> = match &embeddings_on_server {
        None => Vec::new(),
        Some(have) => schema::embeddings(&wf)
            .into_iter()
            .filter(|e| {
                let base = e.rsplit_once('.').map(|(b, _)| b).unwrap_or(e);
                !have.iter().any(|h| h == e || h == base)
            })
            .map(|e| json!({"name": e, "folder": "embeddings"}))
            .collect(),
    };
    let missing = nodes.len() + models.len() + embeddings.len() + inputs.len() + invalid.len();
    let ready = missing == 0;
    let p = &ctx.printer;
    let fixed = if args.fix && !ready {
        Some(crate::signals::block_on(fix::run(
            ctx,
            args,
            server.as_ref(),
            ext.3,
            &nodes,
            &models,
        ))??)
    } else {
        None
    };
    if args.json {
        let mut v = json!({"schema_version": SCHEMA_VERSION, "workflow": wf.source_name, "ready": ready,
            "nodes": nodes, "models": models, "embeddings": embeddings, "inputs": inputs, "invalid_values": invalid,
            "embeddings_checked": embeddings_on_server.is_some(), "node_map": !node_map.is_empty(),
            "checks": {"nodes": "done"}});
        if let Some(f) = &fixed {
            v["fix"] = f.to_json();
        }
        p.json_pretty(&v)?;
        return Ok(exit_for(ready, fixed.as_ref()));
    }
    let x = p.red("✗");
    let section = |title: &str, n: usize| format!("{title} ({n} missing)");
    if !nodes.is_empty() {
        p.data_line(&section("NODES", nodes.len()))?;
        for n in &nodes {
            let ids: Vec<&str> = n["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let pack = match n["pack"]["title"].as_str() {
                Some(t) => format!(" — {t}: {}", n["pack"]["url"].as_str().unwrap_or("")),
                None if node_map.is_empty() => {
                    " — pack unknown (pass --node-map extension-node-map.json)".into()
                }
                None => " — no known pack provides it".into(),
            };
            p.data_line(&format!(
                "  {x} {} ({}){pack}",
                n["class_type"].as_str().unwrap_or(""),
                ids.join(", ")
            ))?;
            if let Some(f) = n["fix"].as_str() {
                p.data_line(&format!("      fix: {f}"))?;
            }
        }
    }
    if !models.is_empty() {
        p.data_line(&section("MODELS", models.len()))?;
        for m in &models {
            p.data_line(&format!(
                "  {x} {}/{} (node {} {})",
                m["folder"].as_str().unwrap_or(""),
                m["name"].as_str().unwrap_or(""),
                m["node"].as_str().unwrap_or(""),
                m["input"].as_str().unwrap_or("")
            ))?;
            match m["fix"].as_str() {
                Some(f) => p.data_line(&format!("      fix: {f}"))?,
                None => p.data_line("      no download URL known: put the file in that folder (or pass --model-list model-list.json)")?,
            }
        }
    }
    if !embeddings.is_empty() {
        p.data_line(&section("EMBEDDINGS", embeddings.len()))?;
        for e in &embeddings {
            p.data_line(&format!(
                "  {x} embeddings/{}",
                e["name"].as_str().unwrap_or("")
            ))?;
        }
    }
    if !inputs.is_empty() {
        p.data_line(&section("INPUT FILES", inputs.len()))?;
        for i in &inputs {
            p.data_line(&format!(
                "  {x} {} (node {})  fix: {}",
                i["name"].as_str().unwrap_or(""),
                i["node"].as_str().unwrap_or(""),
                i["fix"].as_str().unwrap_or("")
            ))?;
        }
    }
    if !invalid.is_empty() {
        p.data_line(&format!("INVALID VALUES ({})", invalid.len()))?;
        for i in &invalid {
            let sug = i["suggestion"]
                .as_str()
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            p.data_line(&format!(
                "  {x} node {} {} = '{}' is not one of its {} values{sug}",
                i["node"].as_str().unwrap_or(""),
                i["input"].as_str().unwrap_or(""),
                i["value"].as_str().unwrap_or(""),
                i["allowed"]
            ))?;
        }
    }
    if ready {
        p.data_line(&format!(
            "{} {}: everything it needs is on the server",
            p.green("✓"),
            wf.source_name
        ))?;
    } else {
        p.data_line(&format!("not ready: {missing} problem(s)"))?;
    }
    if embeddings_on_server.is_none() && !schema::embeddings(&wf).is_empty() {
        p.warn("embeddings were not checked (no server to ask)");
    }
    if let Some(f) = &fixed {
        f.print(p)?;
    } else if !ready
        && !args.fix
        && (!nodes.is_empty() || models.iter().any(|m| !m["url"].is_null()))
    {
        p.info(&format!(
            "{} comfyctl deps {} --fix installs the packs and downloads the models above (--dry-run shows how)",
            p.paint_hint(),
            args.workflow.display()
        ));
    }
    Ok(exit_for(ready, fixed.as_ref()))
}

/// 0 when nothing was missing or `--fix` fixed everything; 1 otherwise.
fn exit_for(ready: bool, fixed: Option<&fix::Outcome>) -> ExitStatus {
    match fixed {
        _ if ready => ExitStatus::Success,
        Some(f) if f.all_fixed() => ExitStatus::Success,
        _ => ExitStatus::JobFailed,
    }
}

/// An HTTP 401/403 from the server (the cloud's free tier on node definitions).
fn refused(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<crate::client::ClientError>()
            .is_some_and(|c| matches!(c, crate::client::ClientError::Http { status: 403, .. }))
    })
}

/// Comfy Cloud without node definitions: the node check is skipped (a failure with
/// `--strict`); models are checked per folder through `/api/experiment/models/{folder}`.
fn cloud_without_defs(
    ctx: &Context,
    args: &DepsArgs,
    server: &Server,
    doc: Document,
) -> anyhow::Result<ExitStatus> {
    let wf = match doc {
        Document::Api(wf) => wf,
        Document::Ui { source_name, .. } => {
            return Err(Failure::usage(format!(
                "{source_name} is an editor workflow, and converting it needs node definitions, which this Comfy Cloud account may not read (HTTP 403); export it in API format"
            ))
            .into());
        }
    };
    // Model-like values by folder, from the loader's class and input name.
    let mut wanted: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for (id, n) in &wf.nodes {
        let class = n["class_type"].as_str().unwrap_or("");
        for (input, v) in n["inputs"].as_object().into_iter().flatten() {
            let Some(s) = v.as_str() else { continue };
            if let Some(folder) = schema::model_folder(class, input) {
                wanted.entry(folder.to_string()).or_default().push((
                    s.to_string(),
                    id.clone(),
                    input.clone(),
                ));
            }
        }
    }
    let listed = crate::signals::block_on(async {
        let mut out = BTreeMap::new();
        for folder in wanted.keys() {
            out.insert(
                folder.clone(),
                crate::client::models::list(server, folder).await,
            );
        }
        out
    })?;
    let mut models = Vec::new();
    let mut errors = Vec::new();
    for (folder, items) in &wanted {
        match &listed[folder] {
            Ok(names) => {
                for (name, node, input) in items {
                    if !names.iter().any(|n| n == name) {
                        models.push(
                            json!({"name": name, "folder": folder, "node": node, "input": input,
                            "url": null, "fix": null, "folder_empty": names.is_empty()}),
                        );
                    }
                }
            }
            Err(e) => errors.push(format!("{folder}: {e}")),
        }
    }
    let ready = models.is_empty() && errors.is_empty() && !args.strict;
    let p = &ctx.printer;
    if args.json {
        p.json_pretty(&json!({"schema_version": SCHEMA_VERSION, "workflow": wf.source_name, "ready": ready,
            "nodes": [], "models": models, "embeddings": [], "inputs": [], "invalid_values": [],
            "checks": {"nodes": "skipped", "nodes_reason": "the server refused /object_info (HTTP 403: Comfy Cloud's free tier)"},
            "errors": errors}))?;
    } else {
        p.warn("node types were not checked: this Comfy Cloud account may not read node definitions (HTTP 403); --strict makes that a failure");
        if !models.is_empty() {
            p.data_line(&format!("MODELS ({} missing)", models.len()))?;
            for m in &models {
                let empty = if m["folder_empty"] == true {
                    " (the cloud lists no files in that folder)"
                } else {
                    ""
                };
                p.data_line(&format!(
                    "  {} {}/{} (node {} {}){empty}",
                    p.red("✗"),
                    m["folder"].as_str().unwrap_or(""),
                    m["name"].as_str().unwrap_or(""),
                    m["node"].as_str().unwrap_or(""),
                    m["input"].as_str().unwrap_or("")
                ))?;
            }
        }
        for e in &errors {
            p.warn(&format!("cannot list models in {e}"));
        }
        if models.is_empty() && errors.is_empty() {
            p.data_line(&format!(
                "{} {}: every model it names is on the cloud (node types not checked)",
                p.green("✓"),
                wf.source_name
            ))?;
        }
    }
    Ok(if ready {
        ExitStatus::Success
    } else {
        ExitStatus::JobFailed
    })
}

type Extras = (
    BTreeMap<String, (String, String)>,
    Vec<Value>,
    Option<Vec<String>>,
    bool,
);

/// The node map and model list (file, else the server's Manager), and the server's embeddings.
async fn load_extras(server: Option<&Server>, args: &DepsArgs) -> anyhow::Result<Extras> {
    // ComfyUI-Manager on the server serves the same map (and can install packs).
    let manager_map = match server {
        Some(s) if !s.is_cloud() => s
            .get_json("/customnode/getmappings?mode=nickname")
            .await
            .ok(),
        _ => None,
    };
    let has_manager = manager_map.is_some();
    let node_map = match (&args.node_map, manager_map) {
        (Some(f), _) => read_node_map(&read_json_file(f, "--node-map file")?),
        (None, Some(v)) => read_node_map(&v),
        (None, None) => BTreeMap::new(),
    };
    let model_list = match (&args.model_list, server) {
        (Some(f), _) => read_json_file(f, "--model-list file")?["models"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        (None, Some(s)) => s
            .get_json("/externalmodel/getlist?mode=cache")
            .await
            .ok()
            .and_then(|v| v["models"].as_array().cloned())
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let embeddings = match server {
        Some(s) => s.get_json("/embeddings").await.ok().map(|v| {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect()
        }),
        None => None,
    };
    Ok((node_map, model_list, embeddings, has_manager))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_node_map() {
        assert_eq!(
            crate::workflow::schema::model_folder("CheckpointLoaderSimple", "ckpt_name"),
            Some("checkpoints")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("CLIPVisionLoader", "clip_name"),
            Some("clip_vision")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("DualCLIPLoader", "clip_name2"),
            Some("text_encoders")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("UpscaleModelLoader", "model_name"),
            Some("upscale_models")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("KSampler", "sampler_name"),
            None
        );
        let m = read_node_map(
            &json!({"https://github.com/cubiq/ComfyUI_IPAdapter_plus": [["IPAdapterAdvanced"], {"title_aux": "ComfyUI_IPAdapter_plus"}]}),
        );
        assert_eq!(m["IPAdapterAdvanced"].0, "ComfyUI_IPAdapter_plus");
    }
}
