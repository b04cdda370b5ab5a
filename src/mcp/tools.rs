//! The generic tools: their arguments (deserialised from the call and turned into its input
//! schema by the same struct), descriptions, annotations and output schemas (the report shapes
//! the CLI prints with `--json`).

use super::schema::{input_schema, one_of, output_schema};
use super::shapes::{Converted, ModelsReport};
use crate::report::{self, Shape};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A workflow: a file, or the workflow itself.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum WorkflowArg {
    /// A file in the workflows or inputs dir (relative to it).
    Path(String),
    /// The workflow as JSON: API format, a `/prompt` body, or as the editor saves it.
    Inline(Map<String, Value>),
}

/// `run_workflow`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunArgs {
    /// A workflow file (relative to the workflows or inputs dir) or the workflow as a JSON object (API or editor format)
    pub workflow: WorkflowArg,
    /// Parameters by friendly name (prompt, negative, seed, steps, cfg, sampler, width, ckpt, …; NAME@NODE for one node) or NODE.input; see workflow_params
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Input files by parameter or loader (image, mask, video, image@12): paths in the inputs dir, uploaded first
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// Wait for the job and return its outputs (default); false returns the prompt id at once
    #[serde(default = "yes")]
    pub wait: bool,
    /// The server to use (its URL as health shows it) [default: the least loaded]
    pub server: Option<String>,
}

fn yes() -> bool {
    true
}

/// `workflow_params`, `validate_workflow`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WorkflowArgs {
    /// A workflow file (relative to the workflows or inputs dir) or the workflow as a JSON object
    pub workflow: WorkflowArg,
    /// Parameters to apply first, as for run_workflow
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The server whose node definitions to use [default: the first]
    pub server: Option<String>,
}

/// `workflow_deps`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DepsArgs {
    /// A workflow file (relative to the workflows or inputs dir) or the workflow as a JSON object
    pub workflow: WorkflowArg,
    /// INSTALLS the missing node packs and DOWNLOADS the missing models on the server's machine. Only when the user asked for it
    #[serde(default)]
    pub fix: bool,
    /// The server to check against [default: the first]
    pub server: Option<String>,
}

/// `convert_workflow`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ConvertArgs {
    /// An editor-saved workflow file (relative to the workflows or inputs dir) or the workflow as a JSON object
    pub workflow: WorkflowArg,
    /// Parameters to apply after converting, as for run_workflow
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Write the API format to this new file in the output dir instead of returning it
    pub output: Option<String>,
    /// The server whose node definitions to use [default: the first]
    pub server: Option<String>,
}

/// `job_status`, `job_outputs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PromptArgs {
    /// The prompt id (run_workflow returns it)
    pub prompt_id: String,
    /// The server that ran it [default: the one this session sent it to, else each is asked]
    pub server: Option<String>,
}

/// `cancel_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CancelArgs {
    /// Prompt ids to stop: running ones are interrupted, pending ones removed from the queue
    pub prompt_ids: Vec<String>,
    /// The server [default: the one this session sent each to, else the first]
    pub server: Option<String>,
}

/// `queue`, `health`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ServerArgs {
    /// The server [default: the first]
    pub server: Option<String>,
}

/// `list_models`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ModelsArgs {
    /// The folder under models/: checkpoints, loras, vae, diffusion_models, text_encoders, controlnet, upscale_models, …
    pub folder: String,
    /// The server [default: the first]
    pub server: Option<String>,
}

/// How a tool treats the world, as MCP annotations.
#[derive(Clone, Copy)]
struct Hints {
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool,
}

const READ: Hints = Hints {
    read_only: true,
    destructive: false,
    idempotent: true,
    open_world: false,
};

/// Jobs: they add work and files, may reach paid APIs, and each call is a new job.
pub const JOB: (bool, bool, bool, bool) = (false, false, false, true);

/// MCP annotations for a tool.
pub fn annotations(
    title: &str,
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool,
) -> ToolAnnotations {
    ToolAnnotations::with_title(title)
        .read_only(read_only)
        .destructive(destructive)
        .idempotent(idempotent)
        .open_world(open_world)
}

fn tool<A: JsonSchema>(
    name: &'static str,
    title: &str,
    description: &'static str,
    hints: Hints,
    output: Value,
    servers: usize,
) -> Tool {
    let mut input = input_schema::<A>();
    if servers < 2 {
        drop_server_argument(&mut input);
    }
    Tool::new(name, description, Arc::new(input))
        .with_raw_output_schema(Arc::new(output_schema(output)))
        .with_annotations(annotations(
            title,
            hints.read_only,
            hints.destructive,
            hints.idempotent,
            hints.open_world,
        ))
}

/// With one server there is nothing to choose: the argument would only cost context.
pub fn drop_server_argument(input: &mut JsonObject) {
    if let Some(Value::Object(p)) = input.get_mut("properties") {
        p.remove("server");
    }
}

/// The generic tools, for a session with `servers` servers; `deps_fix` when the user allowed
/// installing (`--allow-install`).
pub fn generic(servers: usize, deps_fix: bool) -> Vec<Tool> {
    let mut deps = tool::<DepsArgs>(
        "workflow_deps",
        "What a workflow lacks",
        "What the workflow needs that the server lacks (node types with the pack that provides them, model files with where to download them, embeddings, input files) and the command that gets each.",
        READ,
        report::schema_of::<crate::deps::DepsReport>(),
        servers,
    );
    if deps_fix {
        deps.description = Some(
            "What the workflow needs that the server lacks (node types and their packs, models and where to download them, embeddings, input files). With fix=true it INSTALLS the packs and DOWNLOADS the models on the server's machine: only when the user asked for that.".into(),
        );
        deps.annotations = Some(annotations(
            "What a workflow lacks (and install it)",
            false,
            true,
            true,
            true,
        ));
    } else if let Some(Value::Object(p)) =
        Arc::make_mut(&mut deps.input_schema).get_mut("properties")
    {
        p.remove("fix");
    }
    vec![
        tool::<RunArgs>(
            "run_workflow",
            "Run a workflow",
            "Run a ComfyUI workflow (file or JSON) with parameters and input files; checked against the server first. Waits and returns its outputs (images as thumbnails, full paths in the result), or with wait=false the prompt id at once.",
            Hints {
                read_only: JOB.0,
                destructive: JOB.1,
                idempotent: JOB.2,
                open_world: JOB.3,
            },
            one_of(vec![
                report::schema_of::<report::RunResult>(),
                report::schema_of::<report::Submitted>(),
            ]),
            servers,
        ),
        tool::<WorkflowArgs>(
            "workflow_params",
            "A workflow's parameters",
            "The friendly parameters of a workflow (name, type, value, the inputs each sets), its model files, embeddings and output nodes: the names run_workflow's params take.",
            READ,
            report::schema_of::<report::params::ParamsReport>(),
            servers,
        ),
        tool::<WorkflowArgs>(
            "validate_workflow",
            "Check a workflow",
            "Check a workflow (with parameters) against the server's node definitions without running it: whether the server would accept it, and each bad input with the parameter that set it.",
            READ,
            report::schema_of::<report::commands::ValidationReport>(),
            servers,
        ),
        deps,
        tool::<ConvertArgs>(
            "convert_workflow",
            "Convert an editor workflow",
            "Convert an editor-saved (UI) workflow to API format, as the editor's Queue button does; returns it, or writes it to a new file in the output dir.",
            Hints {
                read_only: false,
                destructive: false,
                idempotent: false,
                open_world: false,
            },
            Converted::schema(),
            servers,
        ),
        tool::<PromptArgs>(
            "job_status",
            "A job's status and log",
            "Where a job is (pending, running, success, error, interrupted, unknown) with its timeline; for a failure the node, exception, its inputs and the traceback; the outputs when finished.",
            READ,
            report::schema_of::<report::logs::JobLog>(),
            servers,
        ),
        tool::<PromptArgs>(
            "job_outputs",
            "A job's outputs",
            "Wait for a job (e.g. one run with wait=false) and save its outputs to the output dir; returns them with images as thumbnails.",
            Hints {
                read_only: false,
                destructive: false,
                idempotent: false,
                open_world: false,
            },
            report::schema_of::<report::RunResult>(),
            servers,
        ),
        tool::<ServerArgs>(
            "queue",
            "The server's queue",
            "Running and pending jobs of every client, pending in the order they will run.",
            READ,
            report::schema_of::<report::commands::QueueReport>(),
            servers,
        ),
        tool::<CancelArgs>(
            "cancel_jobs",
            "Stop jobs",
            "Stop jobs by prompt id: interrupt a running one, remove a pending one. Other jobs are never touched.",
            Hints {
                read_only: false,
                destructive: true,
                idempotent: true,
                open_world: false,
            },
            report::schema_of::<report::commands::CancelReport>(),
            servers,
        ),
        tool::<ServerArgs>(
            "health",
            "Is the server working",
            "A checklist of the server: reachable, version, devices, queue, node definitions, WebSocket, models, disk.",
            READ,
            report::schema_of::<crate::health::HealthReport>(),
            servers,
        ),
        tool::<ModelsArgs>(
            "list_models",
            "Model files of a folder",
            "The model files the server has in one folder (checkpoints, loras, vae, …), as workflows name them.",
            READ,
            ModelsReport::schema(),
            servers,
        ),
    ]
}

/// The output schema of a shape, envelope included.
trait SchemaOf {
    fn schema() -> Value;
}

impl<T: Shape> SchemaOf for T {
    fn schema() -> Value {
        report::schema_of::<T>()
    }
}
