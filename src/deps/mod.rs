//! What a workflow needs that the server lacks — node types (with the pack that provides them),
//! model files (with where to get them), embeddings, input files, list values — and, with
//! [`fix`], installing and downloading what can be.

pub mod extras;
pub mod fix;

use crate::client::Server;
use crate::report::Shape;
use crate::workflow::nodedefs::{InputKind, NodeDefs};
use crate::workflow::{Workflow, schema};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

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

/// A node pack.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pack {
    /// Its title in ComfyUI-Manager's list.
    pub title: String,
    /// Its repository.
    pub url: String,
}

/// A node type the server lacks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MissingNode {
    /// The type.
    pub class_type: String,
    /// The nodes that use it (`#12`, editor ids for subgraphs).
    pub nodes: Vec<String>,
    /// The pack that provides it, when known.
    pub pack: Option<Pack>,
    /// The command that installs it.
    pub fix: Option<String>,
}

/// A model file the server lacks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MissingModel {
    /// File name as the workflow names it.
    pub name: String,
    /// Its folder under `models/` (`?` when only the extension says it is a model).
    pub folder: String,
    /// The node that names it.
    pub node: String,
    /// Its input.
    pub input: String,
    /// Where to download it, when known.
    pub url: Option<String>,
    /// Its checksum, when a source states one.
    pub sha256: Option<String>,
    /// The command that downloads it.
    pub fix: Option<String>,
    /// Comfy Cloud: the folder lists no files at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_empty: Option<bool>,
}

/// An embedding the prompt text references that the server lacks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MissingEmbedding {
    /// Its name.
    pub name: String,
    /// `embeddings`.
    pub folder: String,
}

/// An input file the server lacks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MissingInput {
    /// File name.
    pub name: String,
    /// The loader.
    pub node: String,
    /// Its input.
    pub input: String,
    /// How to provide it.
    pub fix: String,
}

/// A list value the server would reject that is not a file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InvalidValue {
    /// Node.
    pub node: String,
    /// Input.
    pub input: String,
    /// The value.
    pub value: String,
    /// How many values the server allows.
    pub allowed: usize,
    /// The closest allowed one.
    pub suggestion: Option<String>,
}

/// Which checks ran.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Checks {
    /// `done`, or `skipped` (Comfy Cloud's free tier refuses node definitions).
    pub nodes: String,
    /// Why the node check was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes_reason: Option<String>,
}

/// What `deps --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DepsReport {
    /// The workflow.
    pub workflow: String,
    /// Nothing is missing.
    pub ready: bool,
    /// Node types the server lacks.
    pub nodes: Vec<MissingNode>,
    /// Model files.
    pub models: Vec<MissingModel>,
    /// Embeddings.
    pub embeddings: Vec<MissingEmbedding>,
    /// Input files.
    pub inputs: Vec<MissingInput>,
    /// Other list values the server would reject.
    pub invalid_values: Vec<InvalidValue>,
    /// Embeddings were checked (a server answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embeddings_checked: Option<bool>,
    /// A node map was available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_map: Option<bool>,
    /// Which checks ran.
    pub checks: Checks,
    /// Folders that could not be listed (Comfy Cloud).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
    /// What `--fix` did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<fix::FixSummary>,
}

impl Shape for DepsReport {
    const TYPE: &'static str = "deps";
}

impl DepsReport {
    /// Problems found.
    pub fn missing(&self) -> usize {
        self.nodes.len()
            + self.models.len()
            + self.embeddings.len()
            + self.inputs.len()
            + self.invalid_values.len()
    }
}

/// Takes the nodes whose types the server lacks out of the workflow (an editor workflow is
/// converted leniently, its unknown types listed with their editor ids).
pub fn split_missing(
    doc: crate::workflow::Document,
    defs: &NodeDefs,
) -> anyhow::Result<(Workflow, BTreeMap<String, Vec<String>>)> {
    Ok(match doc {
        crate::workflow::Document::Api(mut wf) => {
            let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
            wf.nodes.retain(|id, n| {
                let c = n.get("class_type").and_then(Value::as_str).unwrap_or("");
                if defs.get(c).is_some() {
                    return true;
                }
                missing
                    .entry(c.to_string())
                    .or_default()
                    .push(format!("#{id}"));
                false
            });
            (wf, missing)
        }
        crate::workflow::Document::Ui { value, source_name } => {
            let (c, unknown) =
                crate::workflow::convert::convert_lenient(&value, &source_name, defs)?;
            (c.workflow, unknown)
        }
    })
}

/// Checks `wf` (with the node types the server lacks already taken out, `missing_types`)
/// against the server's definitions and what `extras` says.
pub fn analyze(
    wf: &Workflow,
    missing_types: &BTreeMap<String, Vec<String>>,
    defs: &NodeDefs,
    extras: &extras::Extras,
) -> DepsReport {
    let nodes: Vec<MissingNode> = missing_types
        .iter()
        .map(|(t, ids)| {
            let pack = extras.node_map.get(t);
            MissingNode {
                class_type: t.clone(),
                nodes: ids.clone(),
                pack: pack.map(|(title, url)| Pack {
                    title: title.clone(),
                    url: url.clone(),
                }),
                fix: pack.map(|(_, url)| {
                    let repo = fix::repo_name(url);
                    format!(
                        "comfy node install {}   # or: git clone {url} ComfyUI/custom_nodes/{repo}",
                        repo.to_lowercase()
                    )
                }),
            }
        })
        .collect();
    let (models, inputs, invalid_values) = list_values(wf, defs, extras);
    let embeddings: Vec<MissingEmbedding> = match &extras.embeddings {
        None => Vec::new(),
        Some(have) => schema::embeddings(wf)
            .into_iter()
            .filter(|e| {
                let base = e.rsplit_once('.').map(|(b, _)| b).unwrap_or(e);
                !have.iter().any(|h| h == e || h == base)
            })
            .map(|e| MissingEmbedding {
                name: e,
                folder: "embeddings".into(),
            })
            .collect(),
    };
    let mut r = DepsReport {
        workflow: wf.source_name.clone(),
        ready: false,
        nodes,
        models,
        embeddings,
        inputs,
        invalid_values,
        embeddings_checked: Some(extras.embeddings.is_some()),
        node_map: Some(!extras.node_map.is_empty()),
        checks: Checks {
            nodes: "done".into(),
            nodes_reason: None,
        },
        errors: None,
        fix: None,
    };
    r.ready = r.missing() == 0;
    r
}

/// Every list value the server does not list: a model file (by folder), an input file, or
/// another value.
fn list_values(
    wf: &Workflow,
    defs: &NodeDefs,
    extras: &extras::Extras,
) -> (Vec<MissingModel>, Vec<MissingInput>, Vec<InvalidValue>) {
    let mut models: Vec<MissingModel> = Vec::new();
    let mut inputs = Vec::new();
    let mut invalid = Vec::new();
    for (id, n) in &wf.nodes {
        let class = n.get("class_type").and_then(Value::as_str).unwrap_or("");
        let Some(def) = defs.get(class) else { continue };
        for spec in &def.inputs {
            let Some(s) = n["inputs"].get(&spec.name).and_then(Value::as_str) else {
                continue;
            };
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
                    inputs.push(MissingInput {
                        name: s.into(),
                        node: id.clone(),
                        input: spec.name.clone(),
                        fix: format!("comfyctl run … --input {id}=PATH (uploads it)"),
                    });
                }
                continue;
            }
            let folder = schema::model_folder(class, &spec.name).or_else(|| {
                MODEL_EXTENSIONS
                    .iter()
                    .any(|e| s.to_lowercase().ends_with(e))
                    .then_some("?")
            });
            let Some(folder) = folder else {
                invalid.push(InvalidValue {
                    node: id.clone(),
                    input: spec.name.clone(),
                    value: s.into(),
                    allowed: options.len(),
                    suggestion: crate::workflow::validate::closest(s, options),
                });
                continue;
            };
            let hint = wf.model_hints.iter().find(|h| h.name == s);
            let listed = extras
                .model_list
                .iter()
                .find(|m| m["filename"].as_str() == Some(s));
            let url = hint
                .and_then(|h| h.url.clone())
                .or_else(|| listed.and_then(|m| m["url"].as_str().map(str::to_string)));
            let folder = hint
                .and_then(|h| h.directory.clone())
                .unwrap_or_else(|| folder.to_string());
            if models.iter().any(|m| m.name == s && m.folder == folder) {
                continue;
            }
            models.push(MissingModel {
                fix: url.as_ref().map(|u| {
                    format!(
                        "comfy model download --url {u} --relative-path models/{folder} --filename {s}"
                    )
                }),
                sha256: hint
                    .and_then(|h| h.sha256.clone())
                    .or_else(|| listed.and_then(|m| m["sha256"].as_str().map(str::to_string))),
                name: s.into(),
                folder,
                node: id.clone(),
                input: spec.name.clone(),
                url,
                folder_empty: None,
            });
        }
    }
    (models, inputs, invalid)
}

/// Comfy Cloud without node definitions: the node check is skipped (a failure when
/// `strict`); models are checked per folder through `/api/experiment/models/{folder}`.
pub async fn analyze_cloud(wf: &Workflow, server: &Server, strict: bool) -> DepsReport {
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
    let mut models = Vec::new();
    let mut errors = Vec::new();
    for (folder, items) in &wanted {
        match crate::client::models::list(server, folder).await {
            Ok(names) => {
                for (name, node, input) in items {
                    if !names.iter().any(|n| n == name) {
                        models.push(MissingModel {
                            name: name.clone(),
                            folder: folder.clone(),
                            node: node.clone(),
                            input: input.clone(),
                            url: None,
                            sha256: None,
                            fix: None,
                            folder_empty: Some(names.is_empty()),
                        });
                    }
                }
            }
            Err(e) => errors.push(format!("{folder}: {e}")),
        }
    }
    DepsReport {
        workflow: wf.source_name.clone(),
        ready: models.is_empty() && errors.is_empty() && !strict,
        nodes: Vec::new(),
        models,
        embeddings: Vec::new(),
        inputs: Vec::new(),
        invalid_values: Vec::new(),
        embeddings_checked: None,
        node_map: None,
        checks: Checks {
            nodes: "skipped".into(),
            nodes_reason: Some(
                "the server refused /object_info (HTTP 403: Comfy Cloud's free tier)".into(),
            ),
        },
        errors: Some(errors),
        fix: None,
    }
}
