//! What the runner tells its caller while it works. Progress bars, milestone lines and JSON
//! Lines are all just implementations of [`Reporter`].

use super::NodeErrorReport;
use serde::Serialize;

/// Something that happened during a job, in the order it happened.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobEvent {
    /// The WebSocket is open.
    Connected {
        /// Our client id.
        client_id: String,
    },
    /// The WebSocket could not be opened; following by polling.
    WebsocketUnavailable {
        /// Why.
        reason: String,
    },
    /// The server accepted the prompt.
    Submitted {
        /// Prompt id.
        prompt_id: String,
        /// Queue number.
        #[serde(serialize_with = "crate::client::queue::whole_number_opt")]
        number: Option<f64>,
        /// Nodes in the prompt.
        nodes: usize,
    },
    /// The server accepted the prompt but dropped outputs that failed validation.
    PartiallyRejected {
        /// What it dropped.
        node_errors: Vec<NodeErrorReport>,
    },
    /// Queue size changed.
    Queue {
        /// Pending + running, all clients.
        remaining: u64,
    },
    /// Execution began.
    Started,
    /// Nodes served from cache.
    Cached {
        /// Node ids.
        nodes: Vec<String>,
    },
    /// A node began.
    Node {
        /// Node id.
        node: String,
        /// Class from the workflow.
        class_type: Option<String>,
        /// Title from the workflow.
        title: Option<String>,
        /// Nodes finished so far.
        done: usize,
        /// Nodes in the prompt.
        total: usize,
    },
    /// A sampling step.
    Progress {
        /// Node id.
        node: Option<String>,
        /// Step.
        value: f64,
        /// Steps.
        max: f64,
    },
    /// A preview frame arrived (not saved by `run`).
    Preview {
        /// Node it belongs to, when known.
        node: Option<String>,
        /// Size in bytes.
        bytes: usize,
        /// `jpeg`, `png` or `unknown`.
        format: &'static str,
        /// The prompt it belongs to.
        prompt_id: String,
        /// Where it was saved (`watch --previews`).
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// The encoded image (not serialised).
        #[serde(skip)]
        data: Vec<u8>,
    },
    /// A text frame from a node.
    Text {
        /// Node id.
        node: String,
        /// Text.
        text: String,
    },
    /// A text output of the finished job (history `text`, e.g. from a PreviewAny node).
    TextOutput {
        /// Node id.
        node: String,
        /// Text.
        text: String,
    },
    /// The WebSocket dropped.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// The WebSocket is back (same client id); state was reconciled with the server.
    Reconnected {
        /// Attempts it took.
        attempts: u32,
    },
    /// The server stopped answering (a restart, a network blip): comfyctl waits for it.
    ServerDown {
        /// What failed.
        reason: String,
        /// How long it will wait, in seconds (`--reconnect-timeout`).
        window_s: f64,
    },
    /// Still waiting for the server (about once a second).
    ServerWaiting {
        /// Seconds since it went away.
        waited_s: f64,
        /// How long it will wait in all.
        window_s: f64,
    },
    /// The server answers again.
    ServerBack {
        /// Seconds it was away.
        after_s: f64,
    },
    /// The run ended on the server (status from `/history`).
    Finished {
        /// `success`, `error` or `interrupted`.
        status: String,
        /// Seconds since submission.
        elapsed: f64,
    },
    /// A download began.
    DownloadStarted {
        /// Destination.
        path: String,
        /// Content-Length when known.
        total: Option<u64>,
    },
    /// Bytes arrived.
    DownloadProgress {
        /// Destination.
        path: String,
        /// Received so far.
        bytes: u64,
    },
    /// A download attempt failed and will be retried.
    DownloadRetry {
        /// Output name.
        name: String,
        /// Why.
        reason: String,
        /// Attempt number (1-based) that failed.
        attempt: u32,
    },
    /// An output is on disk.
    Saved {
        /// Node id.
        node: String,
        /// Output kind (`images`, `gifs`, …).
        kind: String,
        /// Final path.
        path: String,
        /// Size.
        bytes: u64,
    },
    /// A message the server addressed to the user (Comfy Cloud `notification`).
    Notice {
        /// Text.
        message: String,
    },
    /// Something worth a warning.
    Warning {
        /// Text.
        message: String,
    },
}

/// Receives job events. Implementations must not block for long.
pub trait Reporter: Send {
    /// Called for every event.
    fn report(&mut self, event: JobEvent);
}
