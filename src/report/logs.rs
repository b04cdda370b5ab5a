//! The shapes of `logs`: one job's story (status, timeline, failure with its node's inputs,
//! outputs), the list of recent jobs, and the server's own log lines.

use super::Shape;
use crate::client::history::{HistoryEntry, Outcome};
use crate::client::lookup::Found;
use crate::client::v2;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// One status message of a finished job.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimelineEntry {
    /// `execution_start`, `execution_cached`, `execution_success`, `execution_error`, …
    pub event: String,
    /// Server time in ms.
    pub timestamp: Option<u64>,
    /// The message as recorded.
    pub data: Value,
}

/// Where and why a job failed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobFailure {
    /// The node.
    pub node_id: Option<String>,
    /// Its class.
    pub class_type: Option<String>,
    /// Its title in the workflow.
    pub title: Option<String>,
    /// Python exception type.
    pub exception_type: Option<String>,
    /// The exception's message.
    pub exception_message: Option<String>,
    /// Traceback lines.
    pub traceback: Vec<String>,
    /// The node's inputs as submitted.
    pub inputs: Option<Value>,
}

/// A file a job wrote.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogOutput {
    /// The node.
    pub node_id: String,
    /// File name.
    pub filename: String,
    /// Server subfolder.
    pub subfolder: String,
    /// `output`, `temp` or `input`.
    #[serde(rename = "type")]
    pub file_type: String,
}

/// What `logs PROMPT_ID --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobLog {
    /// The prompt.
    pub prompt_id: String,
    /// `success`, `error`, `interrupted`, `running`, `pending`, `lost` or `unknown`.
    pub status: String,
    /// The status messages in order.
    pub timeline: Vec<TimelineEntry>,
    /// The failure, for an `error`.
    pub error: Option<JobFailure>,
    /// Files written.
    pub outputs: Vec<LogOutput>,
}

impl Shape for JobLog {
    const TYPE: &'static str = "job_log";
}

fn messages(e: &HistoryEntry) -> Vec<(String, Value)> {
    e.raw
        .pointer("/status/messages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| Some((m.get(0)?.as_str()?.to_string(), m.get(1)?.clone())))
                .collect()
        })
        .unwrap_or_default()
}

impl JobLog {
    /// The story of job `id` as the server holds it.
    pub fn new(id: &str, f: &Found) -> JobLog {
        let node = |n: &str| f.prompt.as_ref().and_then(|pr| pr.get(n));
        let error = f.entry.as_ref().and_then(|e| match e.outcome() {
            Outcome::Error(x) => Some(x),
            _ => None,
        });
        JobLog {
            prompt_id: id.to_string(),
            status: f.status.to_string(),
            timeline: f
                .entry
                .as_ref()
                .map(messages)
                .unwrap_or_default()
                .into_iter()
                .map(|(event, data)| TimelineEntry {
                    event,
                    timestamp: data.get("timestamp").and_then(Value::as_u64),
                    data,
                })
                .collect(),
            error: error.map(|x| {
                let n = node(x.node_id.as_deref().unwrap_or(""));
                let s = |k: &str| {
                    n.and_then(|n| n.pointer(k))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                JobFailure {
                    class_type: x.node_type.clone().or_else(|| s("/class_type")),
                    title: s("/_meta/title"),
                    inputs: n.and_then(|n| n.get("inputs")).cloned(),
                    node_id: x.node_id,
                    exception_type: x.exception_type,
                    exception_message: x.exception_message,
                    traceback: x.traceback,
                }
            }),
            outputs: f
                .entry
                .as_ref()
                .map(|e| crate::client::outputs::collect(&e.outputs()).0)
                .unwrap_or_default()
                .into_iter()
                .map(|o| LogOutput {
                    node_id: o.node_id,
                    filename: o.filename,
                    subfolder: o.subfolder,
                    file_type: o.file_type,
                })
                .collect(),
        }
    }
}

impl JobLog {
    /// A job the server does not know (its story is that it has none).
    pub fn unknown(id: &str) -> JobLog {
        JobLog {
            prompt_id: id.to_string(),
            status: "unknown".into(),
            timeline: Vec::new(),
            error: None,
            outputs: Vec::new(),
        }
    }

    /// The story of a Comfy API v2 job: its state in comfyctl's words, the failure from the
    /// job's `error` with the node's class, title and inputs from its workflow, and its
    /// outputs. The API keeps no status messages, so the timeline is empty.
    pub fn from_v2(job: &v2::Job, workflow: Option<&v2::JobWorkflow>) -> JobLog {
        let node = |n: &str| workflow.and_then(|w| w.workflow.get(n));
        JobLog {
            prompt_id: job.id.clone(),
            status: v2::jobs::status_word(job.status).to_string(),
            timeline: Vec::new(),
            error: job.error.as_ref().map(|e| {
                let n = node(e.node_id.as_deref().unwrap_or(""));
                let s = |k: &str| {
                    n.and_then(|n| n.pointer(k))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                JobFailure {
                    node_id: e.node_id.clone(),
                    class_type: e.class_type.clone().or_else(|| s("/class_type")),
                    title: s("/_meta/title"),
                    // The API says only where and what (`code` is the kind, not an exception).
                    exception_type: None,
                    exception_message: Some(e.message.clone()),
                    traceback: e
                        .traceback
                        .as_deref()
                        .map(|t| t.lines().map(|l| format!("{l}\n")).collect())
                        .unwrap_or_default(),
                    inputs: n.and_then(|n| n.get("inputs")).cloned(),
                }
            }),
            outputs: job
                .outputs
                .iter()
                .map(|o| {
                    let (subfolder, filename) = v2::download::output_path(o);
                    LogOutput {
                        node_id: o.node_id.clone(),
                        filename,
                        subfolder,
                        file_type: "output".into(),
                    }
                })
                .collect(),
        }
    }
}

/// One recent job.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobRow {
    /// The prompt.
    pub prompt_id: String,
    /// How it ended (the server's word on Comfy Cloud).
    pub status: String,
    /// When it finished, ms since the epoch.
    pub finished: Option<u64>,
    /// Server-side execution time.
    pub execution_ms: Option<u64>,
    /// Files it wrote.
    pub outputs: Option<u64>,
}

/// What `logs --json` (no id) prints: the newest jobs first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobList {
    /// Newest first.
    pub jobs: Vec<JobRow>,
}

impl Shape for JobList {
    const TYPE: &'static str = "jobs";
}

impl JobRow {
    /// A row from a local `/history` entry.
    pub fn from_history(id: &str, entry: &HistoryEntry) -> JobRow {
        let finished = messages(entry)
            .iter()
            .filter_map(|(_, d)| d.get("timestamp").and_then(Value::as_u64))
            .max();
        let (files, _) = crate::client::outputs::collect(&entry.outputs());
        JobRow {
            prompt_id: id.to_string(),
            status: entry.outcome().as_str().into(),
            finished,
            execution_ms: entry.execution_ms(),
            outputs: Some(files.len() as u64),
        }
    }

    /// A row from a Comfy API v2 job list (comfy-api-proxy records no end time: `finished` is
    /// then null rather than a guess).
    pub fn from_v2(j: &v2::Job) -> JobRow {
        JobRow {
            prompt_id: j.id.clone(),
            status: v2::jobs::status_word(j.status).to_string(),
            finished: j
                .completed_at
                .as_deref()
                .and_then(crate::timefmt::parse_rfc3339),
            execution_ms: None,
            outputs: Some(j.outputs.len() as u64),
        }
    }

    /// A row from Comfy Cloud's job list (its times are in seconds).
    pub fn from_cloud(j: &Value) -> JobRow {
        let secs = j
            .get("execution_end_time")
            .or(j.get("create_time"))
            .and_then(Value::as_u64);
        JobRow {
            prompt_id: j["id"].as_str().unwrap_or("?").to_string(),
            status: j["status"].as_str().unwrap_or("?").to_string(),
            finished: secs.map(|t| if t < 10_000_000_000 { t * 1000 } else { t }),
            execution_ms: None,
            outputs: j.get("outputs_count").and_then(Value::as_u64),
        }
    }
}

/// One line of the server's own log (`logs --server --json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServerLogLine {
    /// The server's timestamp.
    pub t: String,
    /// The text.
    pub m: String,
}

impl Shape for ServerLogLine {
    const TYPE: &'static str = "log";
}
