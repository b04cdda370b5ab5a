//! The shapes of the commands that are not a job's ending: `watch`'s live view and Cloud events
//! here; the one-shot commands' reports beside them.

use super::Shape;
use crate::client::events::ServerMessage;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// One line of `watch --jsonl` (the live view): a server message, or a job seen starting or
/// ending in the queue (jobs of any client).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MonitorLine {
    /// Queue size.
    Status {
        /// Pending + running, all clients.
        queue_remaining: Option<u64>,
    },
    /// A prompt began.
    ExecutionStart {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
    },
    /// Nodes answered from the cache.
    ExecutionCached {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
    },
    /// A node began (`node: null`: the prompt ended).
    Executing {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
        /// Node id.
        node: Option<String>,
    },
    /// A sampler step.
    Progress {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
        /// Step.
        value: f64,
        /// Steps.
        max: f64,
        /// Node id.
        node: Option<String>,
    },
    /// Node states.
    ProgressState {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
    },
    /// A node finished with outputs.
    Executed {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
    },
    /// A prompt succeeded.
    ExecutionSuccess {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
    },
    /// A prompt failed.
    ExecutionError {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
        /// Failing node.
        node_id: Option<String>,
        /// The exception's message.
        exception_message: Option<String>,
    },
    /// A prompt was interrupted.
    ExecutionInterrupted {
        /// Prompt id.
        #[serde(skip_serializing_if = "Option::is_none")]
        prompt_id: Option<String>,
    },
    /// A message for the user.
    Notification {
        /// Text.
        value: String,
    },
    /// A preview frame.
    Preview {
        /// The prompt it belongs to (`unknown` when the server did not say).
        prompt_id: String,
        /// The node.
        node: String,
        /// Size.
        bytes: usize,
        /// Where it was saved (`--previews`).
        path: Option<String>,
    },
    /// A text frame from a node.
    Text {
        /// Node id.
        node: String,
        /// Text.
        text: String,
    },
    /// Server log lines.
    Logs {},
    /// The server's feature flags.
    FeatureFlags {},
    /// A message type comfyctl does not read.
    Other {},
    /// A job is waiting in the queue (Comfy API v2: seen in `GET /jobs`).
    JobQueued {
        /// Prompt id.
        prompt_id: String,
        /// 1-based place in the whole server queue, when the server says.
        queue_position: Option<u64>,
    },
    /// A job (of any client) is running.
    JobRunning {
        /// Prompt id.
        prompt_id: String,
    },
    /// A job (of any client) finished.
    JobFinished {
        /// Prompt id.
        prompt_id: String,
        /// `success`, `error` or `interrupted`; over the Comfy API v2 also `lost` (expired).
        status: String,
    },
}

impl From<&ServerMessage> for MonitorLine {
    fn from(m: &ServerMessage) -> MonitorLine {
        let pid = m.prompt_id().map(str::to_string);
        match m {
            ServerMessage::Status {
                queue_remaining, ..
            } => MonitorLine::Status {
                queue_remaining: *queue_remaining,
            },
            ServerMessage::ExecutionStart { .. } => MonitorLine::ExecutionStart { prompt_id: pid },
            ServerMessage::ExecutionCached { .. } => {
                MonitorLine::ExecutionCached { prompt_id: pid }
            }
            ServerMessage::Executing { node, .. } => MonitorLine::Executing {
                prompt_id: pid,
                node: node.clone(),
            },
            ServerMessage::Progress {
                value, max, node, ..
            } => MonitorLine::Progress {
                prompt_id: pid,
                value: *value,
                max: *max,
                node: node.clone(),
            },
            ServerMessage::ProgressState { .. } => MonitorLine::ProgressState { prompt_id: pid },
            ServerMessage::Executed { .. } => MonitorLine::Executed { prompt_id: pid },
            ServerMessage::ExecutionSuccess { .. } => {
                MonitorLine::ExecutionSuccess { prompt_id: pid }
            }
            ServerMessage::ExecutionError { error, .. } => MonitorLine::ExecutionError {
                prompt_id: pid,
                node_id: error.node_id.clone(),
                exception_message: error.exception_message.clone(),
            },
            ServerMessage::ExecutionInterrupted { .. } => {
                MonitorLine::ExecutionInterrupted { prompt_id: pid }
            }
            ServerMessage::Notification { value } => MonitorLine::Notification {
                value: value.clone(),
            },
            ServerMessage::Preview { image, .. } => MonitorLine::Preview {
                prompt_id: pid.unwrap_or_else(|| "unknown".into()),
                node: "unknown".into(),
                bytes: image.len(),
                path: None,
            },
            ServerMessage::Text { node_id, text } => MonitorLine::Text {
                node: node_id.clone(),
                text: text.clone(),
            },
            ServerMessage::Logs { .. } => MonitorLine::Logs {},
            ServerMessage::FeatureFlags(_) => MonitorLine::FeatureFlags {},
            ServerMessage::Other { .. } => MonitorLine::Other {},
        }
    }
}

/// One event of Comfy Cloud's developer event socket (`watch --events --jsonl`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CloudEventLine {
    /// `job.completed`, `job.failed`, `job.progress`, `input.ready`, …
    pub event: String,
    /// When, as the cloud says.
    pub timestamp: Option<String>,
    /// The event's payload (job id, outputs with signed `download_url`s — treat those like
    /// keys).
    pub payload: Value,
}

impl Shape for CloudEventLine {
    const TYPE: &'static str = "event";
}

/// Where `validate` got the node definitions.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DefinitionsInfo {
    /// `server`, `cache` or `file`.
    pub source: String,
    /// Node classes in them.
    pub classes: usize,
    /// The server's ComfyUI version, when known.
    pub comfyui_version: Option<String>,
    /// The server asked (credentials redacted).
    pub server: Option<String>,
}

/// Why the server would reject the prompt (its shape).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValidationError {
    /// The server's error type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its message.
    pub message: String,
    /// Details.
    pub details: String,
    /// `extra_info`.
    pub extra_info: Value,
    /// Per-node errors, with the flag that set each bad value.
    pub node_errors: Vec<crate::client::NodeErrorReport>,
}

/// What `validate --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValidationReport {
    /// The workflow.
    pub workflow: String,
    /// The server would accept it.
    pub valid: bool,
    /// Where the node definitions came from.
    pub definitions: DefinitionsInfo,
    /// Output nodes that would run.
    pub outputs: Vec<String>,
    /// Why it would be rejected.
    pub error: Option<ValidationError>,
    /// What the server accepts but probably should not.
    pub warnings: Vec<String>,
    /// What the command line changed.
    pub params: Vec<crate::workflow::params::Applied>,
}

impl Shape for ValidationReport {
    const TYPE: &'static str = "validation";
}

impl ValidationReport {
    /// The report of checking `workflow` against `defs` (from `server`, unless a file): the
    /// validator's `report`, and the `rejection` it stands for with the flags that set values.
    pub fn new(
        workflow: &str,
        report: &crate::workflow::validate::Report,
        defs: &crate::client::object_info::Defs,
        server: Option<String>,
        rejection: Option<&crate::client::Rejection>,
        params: Vec<crate::workflow::params::Applied>,
    ) -> ValidationReport {
        use crate::client::object_info::DefsSource;
        ValidationReport {
            workflow: workflow.to_string(),
            valid: rejection.is_none(),
            definitions: DefinitionsInfo {
                source: match defs.source {
                    DefsSource::File(_) => "file",
                    DefsSource::Cache(_) => "cache",
                    DefsSource::Server => "server",
                }
                .into(),
                classes: defs.defs.len(),
                comfyui_version: defs.version.clone(),
                server,
            },
            outputs: report.valid_outputs.clone(),
            error: rejection.map(|r| ValidationError {
                kind: r.kind.clone(),
                message: r.message.clone(),
                details: r.details.clone(),
                extra_info: r.extra_info.clone(),
                node_errors: r.node_errors.clone(),
            }),
            warnings: report.warnings.clone(),
            params,
        }
    }
}

/// What `queue --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueueReport {
    /// The server.
    pub server: String,
    /// Running now.
    pub running: Vec<crate::client::queue::QueuedJob>,
    /// Waiting, in the order they will run.
    pub pending: Vec<crate::client::queue::QueuedJob>,
}

impl Shape for QueueReport {
    // Not `queue`: that is the job event saying the queue's size changed.
    const TYPE: &'static str = "queue_list";
}

/// What happened to one job `cancel` was given.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CancelOutcome {
    /// `interrupted`, `deleted`, `already_finished`, `unknown`, `left_running`, `canceling`
    /// (Comfy API v2: the server accepted the cancel but the job had not stopped) or `error`.
    pub outcome: String,
    /// The finished job's status, why it was left running or is still canceling, the error, or
    /// for a job removed from a v2 server's queue the state it then reports (`expired`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One job of `cancel`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CancelResult {
    /// The prompt.
    pub prompt_id: String,
    /// What happened.
    pub result: CancelOutcome,
}

/// What `cancel --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CancelReport {
    /// Every job was stopped.
    pub all_cancelled: bool,
    /// Per job.
    pub results: Vec<CancelResult>,
}

impl Shape for CancelReport {
    const TYPE: &'static str = "cancel";
}

impl CancelOutcome {
    /// What cancelling one job did, as reported; `v2` when it was a Comfy API v2 server's
    /// (whose word for a dequeued job, `expired`, goes in `detail`).
    pub fn of(
        r: &Result<crate::client::queue::Cancelled, crate::client::ClientError>,
        v2: bool,
    ) -> CancelOutcome {
        use crate::client::queue::Cancelled;
        let (outcome, detail) = match r {
            Ok(Cancelled::Interrupted) => ("interrupted", None),
            Ok(Cancelled::Deleted) if v2 => ("deleted", Some("expired".to_string())),
            Ok(Cancelled::Deleted) => ("deleted", None),
            Ok(Cancelled::Canceling(why)) => ("canceling", Some(why.clone())),
            Ok(Cancelled::AlreadyFinished(s)) => ("already_finished", Some(s.clone())),
            Ok(Cancelled::Unknown) => ("unknown", None),
            Ok(Cancelled::LeftRunning(why)) => ("left_running", Some(why.clone())),
            Err(e) => ("error", Some(e.to_string())),
        };
        CancelOutcome {
            outcome: outcome.into(),
            detail,
        }
    }
}

/// One model family and whether it runs here.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FamilyFit {
    /// The family.
    pub family: String,
    /// `fits`, `offload`, `cpu_only` or `no`.
    pub fit: crate::hw::Fit,
    /// VRAM it needs.
    pub vram_gb: f64,
    /// RAM it needs when offloaded.
    pub ram_gb_offloaded: f64,
    /// One line on what decided it.
    pub why: String,
}

/// What `hw --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HwReport {
    /// The machine.
    pub machine: crate::hw::Machine,
    /// Each family.
    pub families: Vec<FamilyFit>,
    /// What PyTorch sees (`--torch`), as its probe printed it.
    pub torch: Option<Value>,
    /// One sentence on what to run where.
    pub verdict: String,
}

impl Shape for HwReport {
    const TYPE: &'static str = "hw";
}

/// What `config show --json` prints: each setting and where it came from, secrets redacted.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConfigReport {
    /// The config file.
    pub config_file: Option<String>,
    /// Whether it exists.
    pub config_file_exists: bool,
    /// The active profile.
    pub profile: Option<String>,
    /// The server (credentials redacted).
    pub url: String,
    /// Where it came from.
    pub url_source: String,
    /// The output directory.
    pub output_dir: String,
    /// Where it came from.
    pub output_dir_source: String,
    /// The whole-job timeout.
    pub timeout_secs: Option<f64>,
    /// Where it came from.
    pub timeout_source: String,
    /// Extra headers, values redacted.
    pub headers: std::collections::BTreeMap<String, String>,
    /// `(redacted)` when a key is set.
    pub api_key: Option<String>,
    /// The header that carries it.
    pub api_key_header: Option<String>,
    /// The variable it came from.
    pub api_key_env: Option<String>,
    /// `local` or `cloud`.
    pub kind: String,
    /// Where it came from.
    pub kind_source: String,
    /// `(redacted)` when a partner-node key is set.
    pub partner_key: Option<String>,
    /// TLS certificate checks are off.
    pub insecure: bool,
    /// The profile's `show`: `run`, `watch` and `batch` draw images in the terminal.
    pub show: bool,
    /// `native`, `v1`, `v2` or `auto` (decided by asking the server once).
    pub api: String,
    /// Where it came from.
    pub api_source: String,
    /// The variable a v2 server's Bearer key comes from, when set.
    pub v2_key_env: Option<String>,
    /// Every profile in the file: its server and the API it is driven through.
    pub profiles: Vec<ProfileApi>,
}

/// One profile in `config show`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProfileApi {
    /// Its name.
    pub name: String,
    /// Its first server (credentials redacted), if it names one.
    pub url: Option<String>,
    /// `native`, `v1`, `v2` or `auto`.
    pub api: String,
}

impl Shape for ConfigReport {
    const TYPE: &'static str = "config";
}
