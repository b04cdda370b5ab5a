//! The shape of `params --json`: a workflow's friendly parameters (type, value, every input
//! each sets), the model files it names, its embeddings and output nodes. The MCP server builds
//! workflow tools' input schemas from the same listing.

use super::Shape;
use crate::workflow::Workflow;
use crate::workflow::schema::{self, MODEL_FOLDERS, Param};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// A node, as people know it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NodeRef {
    /// Node id.
    pub node: String,
    /// Its class.
    pub class_type: Option<String>,
    /// Its title.
    pub title: Option<String>,
}

/// One input a parameter sets.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParamTarget {
    /// Node id.
    pub node: String,
    /// Its class.
    pub class_type: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// The input.
    pub input: String,
    /// Its value now.
    pub value: Value,
}

/// One friendly parameter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParamInfo {
    /// The name `-p` takes.
    pub name: String,
    /// What it is.
    pub about: String,
    /// `STRING`, `INT`, `FLOAT`, `BOOLEAN` or `COMBO` (one of a list the server knows).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its value (`null` when the inputs it sets differ).
    pub value: Value,
    /// Every input it sets.
    pub targets: Vec<ParamTarget>,
}

/// A model file the workflow names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelRef {
    /// The parameter that sets it (`null`: named only by the editor's `properties.models`).
    pub param: Option<String>,
    /// Its folder under `models/`.
    pub folder: Option<String>,
    /// The file.
    pub name: Value,
    /// The node.
    pub node: Option<String>,
    /// The input.
    pub input: Option<String>,
    /// Where the editor workflow says it can be downloaded.
    pub url: Option<String>,
}

/// What `params --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParamsReport {
    /// The workflow.
    pub workflow: String,
    /// Its friendly parameters.
    pub params: Vec<ParamInfo>,
    /// Model files it names.
    pub models: Vec<ModelRef>,
    /// `embedding:` references in its prompt text.
    pub embeddings: Vec<String>,
    /// Its output nodes.
    pub outputs: Vec<NodeRef>,
}

impl Shape for ParamsReport {
    const TYPE: &'static str = "params";
}

/// Parameters whose value is one of a list the server knows (models, samplers, files).
const COMBO_PARAMS: &[&str] = &[
    "sampler",
    "scheduler",
    "ckpt",
    "unet",
    "vae",
    "clip",
    "clip1",
    "clip2",
    "clip3",
    "clip_vision",
    "lora",
    "controlnet",
    "upscale_model",
    "motion_model",
    "image",
    "mask",
    "video",
];

/// The type a parameter's value shows.
pub fn type_of(name: &str, v: &Value) -> &'static str {
    if COMBO_PARAMS.contains(&name) {
        return "COMBO";
    }
    match v {
        Value::String(_) => "STRING",
        Value::Bool(_) => "BOOLEAN",
        Value::Number(n) if n.is_f64() => "FLOAT",
        Value::Number(_) => "INT",
        _ => "?",
    }
}

fn value_at(wf: &Workflow, node: &str, input: &str) -> Value {
    wf.nodes[node]["inputs"]
        .get(input)
        .cloned()
        .unwrap_or(Value::Null)
}

impl ParamsReport {
    /// The listing of `wf`'s parameters (`params` traced by `schema::discover`).
    pub fn new(wf: &Workflow, params: &[Param]) -> ParamsReport {
        let node_ref = |id: &str| NodeRef {
            node: id.to_string(),
            class_type: wf.class_type(id).map(str::to_string),
            title: wf.title(id).map(str::to_string),
        };
        let ps = params
            .iter()
            .map(|p| {
                let targets: Vec<ParamTarget> = p
                    .targets
                    .iter()
                    .map(|t| {
                        let n = node_ref(&t.node);
                        ParamTarget {
                            node: n.node,
                            class_type: n.class_type,
                            title: n.title,
                            input: t.input.clone(),
                            value: value_at(wf, &t.node, &t.input),
                        }
                    })
                    .collect();
                let first = targets
                    .first()
                    .map(|t| t.value.clone())
                    .unwrap_or(Value::Null);
                let same = targets.iter().all(|t| t.value == first);
                ParamInfo {
                    name: p.name.to_string(),
                    about: p.about.to_string(),
                    kind: type_of(p.name, &first).to_string(),
                    value: if same { first } else { Value::Null },
                    targets,
                }
            })
            .collect();
        ParamsReport {
            workflow: wf.source_name.clone(),
            params: ps,
            models: models(wf, params),
            embeddings: schema::embeddings(wf),
            outputs: schema::output_nodes(wf)
                .iter()
                .map(|id| node_ref(id))
                .collect(),
        }
    }
}

/// The model files the parameters set, and those only the editor's `properties.models` names
/// (LoRA stacks in custom nodes, text encoders of unusual loaders, …).
fn models(wf: &Workflow, params: &[Param]) -> Vec<ModelRef> {
    let hint_for = |name: &Value| {
        wf.model_hints
            .iter()
            .find(|h| Some(h.name.as_str()) == name.as_str())
    };
    let mut models: Vec<ModelRef> = params
        .iter()
        .filter_map(|p| {
            MODEL_FOLDERS
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, f)| (p, *f))
        })
        .flat_map(|(p, folder)| {
            p.targets.iter().map(move |t| {
                let name = value_at(wf, &t.node, &t.input);
                ModelRef {
                    param: Some(p.name.to_string()),
                    folder: Some(folder.to_string()),
                    url: hint_for(&name).and_then(|h| h.url.clone()),
                    name,
                    node: Some(t.node.clone()),
                    input: Some(t.input.clone()),
                }
            })
        })
        .collect();
    for h in &wf.model_hints {
        if !models
            .iter()
            .any(|m| m.name.as_str() == Some(h.name.as_str()))
        {
            models.push(ModelRef {
                param: None,
                folder: h.directory.clone(),
                name: Value::from(h.name.clone()),
                node: Some(h.node.clone()),
                input: None,
                url: h.url.clone(),
            });
        }
    }
    models
}
