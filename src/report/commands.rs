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
    /// A job (of any client) is running.
    JobRunning {
        /// Prompt id.
        prompt_id: String,
    },
    /// A job (of any client) finished.
    JobFinished {
        /// Prompt id.
        prompt_id: String,
        /// `success`, `error` or `interrupted`.
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
