//! The shapes of a job's ending, shared by `run`, `watch --prompt-id`, `batch` (its manifest
//! lines) and the MCP server: one output record, one error record, whoever ran the job.

use super::Shape;
use crate::client::job::{JobOutcome, JobStatus, Timings};
use crate::client::outputs::{OutputFile, TextOutput};
use crate::client::{ClientError, NodeErrorReport, Rejection};
use crate::workflow::params::Applied;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;

/// One file output: where it came from, and where it is now (`path`) or can be fetched (`url`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OutputRecord {
    /// The output as the server named it.
    #[serde(flatten)]
    pub file: OutputFile,
    /// The saved file (relative to the batch directory in a batch manifest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where to fetch it (credentials redacted), when it was not downloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Size on disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl OutputRecord {
    fn new(f: &OutputFile) -> OutputRecord {
        OutputRecord {
            file: f.clone(),
            path: None,
            url: None,
            bytes: None,
        }
    }

    /// Every saved or listed output of a job; saved paths relative to `base` when given.
    pub fn all(o: &JobOutcome, base: Option<&Path>) -> Vec<OutputRecord> {
        let mut out: Vec<OutputRecord> = o
            .outputs
            .files
            .iter()
            .map(|s| {
                let path = base
                    .and_then(|b| s.path.strip_prefix(b).ok())
                    .unwrap_or(&s.path);
                OutputRecord {
                    path: Some(path.display().to_string()),
                    bytes: Some(s.bytes),
                    ..OutputRecord::new(&s.file)
                }
            })
            .collect();
        out.extend(o.outputs.listed.iter().map(|l| OutputRecord {
            url: Some(l.url.clone()),
            ..OutputRecord::new(&l.file)
        }));
        out
    }
}

/// Why a job did not simply succeed. `kind` says which of the shapes it is: `execution` (the
/// server's exception), `rejected` (validation, with per-node errors), `partial` (outputs
/// dropped at submission), or a short code with a message (`timeout`, `lost`, `cancelled`,
/// `connection`, `unauthorized`, `download`, …).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ErrorRecord {
    /// The job failed on the server.
    Execution {
        /// `execution`.
        kind: String,
        /// One line: node, exception type and message.
        message: Option<String>,
        /// Failing node.
        node_id: Option<String>,
        /// Its class.
        node_type: Option<String>,
        /// Python exception type.
        exception_type: Option<String>,
        /// The exception's message.
        exception_message: Option<String>,
        /// Traceback lines.
        traceback: Vec<String>,
    },
    /// The prompt was refused before it ran.
    Rejected {
        /// `rejected`.
        kind: String,
        /// `comfyctl` (checked before sending) or `server`.
        rejected_by: String,
        /// The server's message.
        message: String,
        /// The server's error type (`prompt_outputs_failed_validation`, …).
        #[serde(rename = "type")]
        error_type: String,
        /// Details.
        details: String,
        /// The server's `extra_info`.
        extra_info: Value,
        /// Per-node errors, with the flag that set each bad value.
        node_errors: Vec<NodeErrorReport>,
    },
    /// The server ran the job but dropped outputs that failed validation.
    Partial {
        /// `partial`.
        kind: String,
        /// What happened.
        message: String,
        /// The dropped outputs' errors.
        node_errors: Vec<NodeErrorReport>,
    },
    /// Anything else: a code and a sentence.
    Other {
        /// A stable code (`timeout`, `lost`, `cancelled`, `connection`, `download`, …).
        kind: String,
        /// What happened.
        message: Option<String>,
    },
}

impl ErrorRecord {
    /// A rejection; `by` is `comfyctl` or `server`.
    pub fn rejected(rej: &Rejection, by: &str) -> ErrorRecord {
        ErrorRecord::Rejected {
            kind: "rejected".into(),
            rejected_by: by.into(),
            message: rej.message.clone(),
            error_type: rej.kind.clone(),
            details: rej.details.clone(),
            extra_info: rej.extra_info.clone(),
            node_errors: rej.node_errors.clone(),
        }
    }

    fn client(e: &ClientError) -> ErrorRecord {
        match e {
            ClientError::Rejected(r) => ErrorRecord::rejected(r, "server"),
            ClientError::Cancelled => ErrorRecord::Other {
                kind: "cancelled".into(),
                message: Some("cancelled before it was queued".into()),
            },
            e => ErrorRecord::Other {
                kind: e.code().into(),
                message: Some(e.to_string()),
            },
        }
    }

    /// What went wrong with a job, if anything.
    pub fn of(o: &JobOutcome) -> Option<ErrorRecord> {
        let job = match &o.job {
            Ok(j) => j,
            Err(e) => return Some(ErrorRecord::client(e)),
        };
        Some(match job.status {
            JobStatus::Success if !job.dropped.is_empty() => ErrorRecord::Partial {
                kind: "partial".into(),
                message: "the server dropped outputs that failed validation".into(),
                node_errors: job.dropped.clone(),
            },
            JobStatus::Success => match &o.outputs.error {
                None => return None,
                Some(ClientError::Cancelled) => ErrorRecord::Other {
                    kind: "cancelled".into(),
                    message: Some("interrupted while saving outputs".into()),
                },
                Some(e) => ErrorRecord::Other {
                    kind: e.code().into(),
                    message: Some(format!("not every output was saved: {e}")),
                },
            },
            JobStatus::Error => {
                let e = job.error.clone().unwrap_or_default();
                ErrorRecord::Execution {
                    kind: "execution".into(),
                    message: job.message.clone(),
                    node_id: e.node_id,
                    node_type: e.node_type,
                    exception_type: e.exception_type,
                    exception_message: e.exception_message,
                    traceback: e.traceback,
                }
            }
            s => ErrorRecord::Other {
                kind: s.as_str().into(),
                message: job.message.clone(),
            },
        })
    }
}

/// How one job ended (`run --json`, the last line of `run --jsonl`, `watch --prompt-id --json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunResult {
    /// `success`, `error`, `interrupted`, `cancelled`, `timeout`, `lost`, `rejected` or `failed`
    /// (no prompt id: connection, HTTP, key).
    pub status: String,
    /// The server (credentials redacted).
    pub server: String,
    /// The prompt id, once the server took the job.
    pub prompt_id: Option<String>,
    /// The WebSocket client id it was submitted under.
    pub client_id: Option<String>,
    /// Saved (or, with `--no-download`, listed) file outputs.
    pub outputs: Vec<OutputRecord>,
    /// Text outputs.
    pub texts: Vec<TextOutput>,
    /// Nodes the server answered from its cache.
    pub cached_nodes: Vec<String>,
    /// Outputs the server dropped at submission.
    pub dropped_outputs: Vec<NodeErrorReport>,
    /// Timings, once the job was queued.
    pub timings: Option<Timings>,
    /// What the command line changed, and which inputs it set.
    pub params: Vec<Applied>,
    /// Why it did not succeed.
    pub error: Option<ErrorRecord>,
}

impl Shape for RunResult {
    const TYPE: &'static str = "result";
}

impl RunResult {
    /// The result of a job that ran (or failed to start) on `server`.
    pub fn new(server: &str, o: &JobOutcome, params: &[Applied]) -> RunResult {
        let job = o.job.as_ref().ok();
        RunResult {
            status: match &o.job {
                Ok(j) => j.status.as_str().into(),
                Err(ClientError::Rejected(_)) => "rejected".into(),
                Err(ClientError::Cancelled) => "cancelled".into(),
                Err(_) => "failed".into(),
            },
            server: server.into(),
            prompt_id: job.map(|j| j.prompt_id.clone()),
            client_id: job.map(|j| j.client_id.clone()).filter(|c| !c.is_empty()),
            outputs: OutputRecord::all(o, None),
            texts: o.outputs.texts.clone(),
            cached_nodes: job.map(|j| j.cached_nodes.clone()).unwrap_or_default(),
            dropped_outputs: job.map(|j| j.dropped.clone()).unwrap_or_default(),
            timings: job.map(|j| j.timings.clone()),
            params: params.to_vec(),
            error: ErrorRecord::of(o),
        }
    }

    /// A prompt refused before it ran: by comfyctl's own check (`by` = `comfyctl`) or by the
    /// server (`server`).
    pub fn rejected(server: &str, rej: &Rejection, by: &str, params: &[Applied]) -> RunResult {
        RunResult {
            status: "rejected".into(),
            server: server.into(),
            prompt_id: None,
            client_id: None,
            outputs: Vec::new(),
            texts: Vec::new(),
            cached_nodes: Vec::new(),
            dropped_outputs: Vec::new(),
            timings: None,
            params: params.to_vec(),
            error: Some(ErrorRecord::rejected(rej, by)),
        }
    }
}

/// A job submitted and left to run (`run --detach --json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Submitted {
    /// The server (credentials redacted).
    pub server: String,
    /// The prompt id.
    pub prompt_id: String,
    /// The client id: local servers send live progress only to it (`watch --client-id`); null
    /// on a v2 server.
    pub client_id: Option<String>,
    /// Queue number.
    #[serde(serialize_with = "crate::client::queue::whole_number_opt")]
    pub number: Option<f64>,
    /// Outputs the server dropped at validation.
    pub dropped_outputs: Vec<NodeErrorReport>,
    /// What the command line changed.
    pub params: Vec<Applied>,
}

impl Shape for Submitted {
    const TYPE: &'static str = "submitted";
}

/// One line of a batch's manifest (`batch.jsonl`, and `batch --jsonl`): one finished job.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchJob {
    /// The job's number in the plan (0-based).
    pub index: usize,
    /// Its folder under the batch directory.
    pub name: String,
    /// The values this job set (swept values, params-file columns, the seed).
    pub params: Map<String, Value>,
    /// Its seed, when the workflow has one.
    pub seed: Option<u64>,
    /// Which repetition of `--count` (0-based).
    pub rep: usize,
    /// The prompt id, once a server took it.
    pub prompt_id: Option<String>,
    /// The id `batch.sent.jsonl` recorded before sending, when the server chose another
    /// (a v2 server's job id): how a resume matches the two files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_id: Option<String>,
    /// The server it ran on.
    pub server: String,
    /// `success`, `partial`, `failed`, `rejected`, `cancelled`, `error`, `interrupted`,
    /// `timeout` or `lost`.
    pub status: String,
    /// Saved outputs, paths relative to the batch directory.
    pub outputs: Vec<OutputRecord>,
    /// Timings, once queued.
    pub timings: Option<Timings>,
    /// Why it did not succeed.
    pub error: Option<ErrorRecord>,
    /// Attempts it took (a job moves to another server when its server goes away).
    pub attempt: u32,
    /// The tries before this one that did not end, and why each went again.
    pub retries: Vec<Retry>,
    /// When it finished (UTC, RFC 3339).
    pub finished_at: String,
}

impl Shape for BatchJob {
    const TYPE: &'static str = "job";
}

/// One server's share of a batch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServerSummary {
    /// The server (credentials redacted).
    pub url: String,
    /// Jobs in flight at most.
    pub jobs: usize,
    /// Jobs done there.
    pub done: usize,
    /// Jobs failed there.
    pub failed: usize,
    /// Down at the end.
    pub down: bool,
}

/// One labelled axis of a contact sheet.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Axis {
    /// Parameter name.
    pub name: String,
    /// One label per column (or row).
    pub values: Vec<String>,
}

/// The contact sheet a batch drew (`--grid`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GridInfo {
    /// The PNG.
    pub path: String,
    /// Columns.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
    /// The X axis (a swept parameter), when it is an X/Y plot.
    pub x: Option<Axis>,
    /// The Y axis.
    pub y: Option<Axis>,
    /// Cells with an image.
    pub images: usize,
    /// Cells without one.
    pub empty: usize,
}

/// How a batch ended (`batch --json`, the last line of `batch --jsonl`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchSummary {
    /// The batch directory.
    pub dir: String,
    /// Its manifest.
    pub manifest: String,
    /// Jobs in the plan.
    pub total: usize,
    /// Done in this run.
    pub done: usize,
    /// Failed in this run.
    pub failed: usize,
    /// Stopped by Ctrl-C or `--fail-fast`.
    pub cancelled: usize,
    /// Done before (a resumed batch).
    pub skipped: usize,
    /// Not run (stopped early).
    pub not_run: usize,
    /// Seconds this run took.
    pub elapsed_s: f64,
    /// Finished jobs per second.
    pub jobs_per_s: f64,
    /// Each server's share.
    pub servers: Vec<ServerSummary>,
    /// The contact sheet, when drawn.
    pub grid: Option<GridInfo>,
    /// The exit code the batch ends with.
    pub exit_code: u8,
}

impl Shape for BatchSummary {
    const TYPE: &'static str = "summary";
}

/// One job of a plan (`batch --dry-run --json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlannedJob {
    /// The job's number.
    pub index: usize,
    /// Its folder.
    pub name: String,
    /// The values it sets.
    pub params: Map<String, Value>,
}

impl Shape for PlannedJob {
    const TYPE: &'static str = "planned_job";
}

/// A line of `batch.sent.jsonl`, written just before a job is sent: its prompt id (chosen by
/// comfyctl), so `--resume` can ask the server about a job a killed batch left behind.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchSent {
    /// The job's number.
    pub index: usize,
    /// The prompt id it is sent with.
    pub prompt_id: String,
    /// The server it goes to.
    pub server: String,
    /// Which try this is.
    pub attempt: u32,
    /// When (UTC).
    pub at: String,
}

impl Shape for BatchSent {
    const TYPE: &'static str = "sent";
}

/// A try of a job that did not end, and why it went again.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Retry {
    /// The try's prompt id, when it got one.
    pub prompt_id: Option<String>,
    /// The server it was on.
    pub server: String,
    /// Why it went again (the server forgot it, did not answer, …).
    pub reason: String,
}
