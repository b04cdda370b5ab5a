//! Talking to a ComfyUI server: HTTP with retries, the WebSocket, the one job runner that every
//! command shares, and streaming downloads. Never sees clap types.

pub mod events;
pub mod history;
pub mod http;
pub mod job;
pub mod object_info;
pub mod outputs;
pub mod report;
pub mod upload;
pub mod ws;

pub use http::{RetryPolicy, Server};
pub use job::{JobOptions, JobResult, JobStatus, run_job};
pub use report::{JobEvent, Reporter};

use crate::error::ExitStatus;
pub use crate::rejection::{InputError, NodeErrorReport, Rejection};

/// Failures at the client boundary; each knows its exit status.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TCP/TLS/DNS failure or a request timeout.
    #[error("cannot reach {url}: {reason}")]
    Connect {
        /// Server (redacted).
        url: String,
        /// What failed.
        reason: String,
    },
    /// An unexpected HTTP status.
    #[error("{method} {path} answered HTTP {status}{body}")]
    Http {
        /// Method.
        method: String,
        /// Path.
        path: String,
        /// Status.
        status: u16,
        /// ": first line of the body" or empty.
        body: String,
    },
    /// A response we could not make sense of.
    #[error("unexpected response from {what}: {detail}")]
    BadResponse {
        /// Which call.
        what: String,
        /// Why.
        detail: String,
    },
    /// Validation failed on the server.
    #[error("the server rejected the prompt: {}", .0.message)]
    Rejected(Box<Rejection>),
    /// An output could not be downloaded.
    #[error("download of {name} failed: {reason}")]
    Download {
        /// Output name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The server named an output path that would escape the output directory.
    #[error("refusing to save output {name:?}: {reason}")]
    UnsafePath {
        /// The path as the server gave it.
        name: String,
        /// Why.
        reason: String,
    },
    /// A local file-system failure while saving outputs.
    #[error("cannot write {path}: {source}")]
    LocalIo {
        /// The path.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A local file the user named (an input image) could not be read.
    #[error("cannot read {path}: {source}")]
    ReadInput {
        /// The path.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Ctrl-C.
    #[error("interrupted")]
    Cancelled,
}

impl ClientError {
    /// The documented exit status for this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ClientError::Rejected(_) => ExitStatus::Rejected,
            ClientError::Cancelled => ExitStatus::Interrupted,
            ClientError::LocalIo { .. } | ClientError::ReadInput { .. } => ExitStatus::Usage,
            _ => ExitStatus::Connection,
        }
    }

    /// A hint for the most common causes.
    pub fn hint(&self) -> Option<String> {
        match self {
            ClientError::Connect { .. } => Some(
                "is ComfyUI running there? Start it, or point comfyctl elsewhere with --url or --profile".into(),
            ),
            ClientError::Http { status: 401 | 403, .. } => Some(
                "the server wants credentials: set the API key variable your profile names (api_key_env)".into(),
            ),
            ClientError::LocalIo { .. } => Some("choose a writable directory with --output-dir".into()),
            _ => None,
        }
    }
}
