//! Talking to a ComfyUI server: HTTP with retries, the WebSocket, the one job runner that every
//! command shares, and streaming downloads. Never sees clap types.

pub mod api;
pub mod devws;
pub mod events;
pub mod fetch;
pub mod history;
pub mod http;
pub mod job;
pub mod lookup;
pub mod models;
pub mod object_info;
pub mod outputs;
pub mod queue;
pub mod report;
pub mod router;
pub mod sse;
pub mod status;
pub mod upload;
pub mod v2;
pub mod ws;

pub use http::{RetryPolicy, Server};
pub use job::{Job, JobOptions, JobOutcome, JobResult, JobStatus};
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
    /// An answer whose body did not arrive whole: the server went silent after its headers, or
    /// the connection broke. Transient: idempotent requests are retried.
    #[error("the answer to {what} {detail}")]
    Incomplete {
        /// Which call.
        what: String,
        /// What happened.
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
    /// A Comfy Cloud server with no key to talk to it.
    #[error("Comfy Cloud needs an API key: {var} is not set")]
    MissingKey {
        /// The variable that should hold it.
        var: String,
    },
    /// A Comfy API v2 failure that has no native counterpart (its typed code, hint and exit
    /// status travel with it).
    #[error(transparent)]
    V2(Box<v2::V2Error>),
    /// Ctrl-C.
    #[error("interrupted")]
    Cancelled,
}

impl From<v2::V2Error> for ClientError {
    /// The shared kinds stay themselves; the rest keep their v2 code (a submission's
    /// `invalid_workflow` is made a [`Rejection`] where the workflow is known:
    /// `job::v2::rejection`).
    fn from(e: v2::V2Error) -> Self {
        match e {
            v2::V2Error::Client(c) => c,
            other => ClientError::V2(Box::new(other)),
        }
    }
}

impl ClientError {
    /// The documented exit status for this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ClientError::Rejected(_) => ExitStatus::Rejected,
            ClientError::Cancelled => ExitStatus::Interrupted,
            ClientError::LocalIo { .. }
            | ClientError::ReadInput { .. }
            | ClientError::MissingKey { .. } => ExitStatus::Usage,
            ClientError::V2(e) => e.exit_status(),
            _ => ExitStatus::Connection,
        }
    }

    /// A hint for the most common causes.
    pub fn hint(&self) -> Option<String> {
        match self {
            ClientError::Connect { reason, .. }
                if reason.contains("certificate") || reason.contains("UnknownIssuer") =>
            {
                Some(
                    "the server's TLS certificate was not accepted (self-signed, expired, or for another name): fix the certificate, or for a server you trust pass --insecure (or set insecure = true in its profile)".into(),
                )
            }
            ClientError::Connect { .. } => Some(
                "is ComfyUI running there? Start it, or point comfyctl elsewhere with --url or --profile".into(),
            ),
            ClientError::Http { status: 401, .. } => Some(
                "the key was refused or missing: check the API key variable (COMFY_CLOUD_API_KEY for Comfy Cloud, or the profile's api_key_env); keys come from platform.comfy.org".into(),
            ),
            ClientError::Http { status: 402, .. } => Some(
                "the account is out of credits: add credits at platform.comfy.org, then run again".into(),
            ),
            ClientError::Http { status: 403, .. } => Some(
                "not allowed: API access to Comfy Cloud needs a Standard, Creator or Pro plan, and a job can only be read by its owner".into(),
            ),
            ClientError::Http { status: 429, .. } => Some(
                "the subscription is inactive (or requests are being throttled): check the plan at platform.comfy.org".into(),
            ),
            ClientError::Http { status: 404, path, .. } if path.contains("/models/") => Some(
                "that model folder is unknown or empty on this server".into(),
            ),
            ClientError::Http { status: 500..=599, .. } => Some(
                "the server failed; comfyctl retried with backoff. Try again later".into(),
            ),
            ClientError::LocalIo { source, .. }
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::StorageFull
                        | std::io::ErrorKind::FileTooLarge
                        | std::io::ErrorKind::QuotaExceeded
                ) =>
            {
                Some(
                    "the disk is full (or a file-size limit was hit): free some space or choose another --output-dir; the partial file was removed".into(),
                )
            }
            ClientError::LocalIo { .. } => Some("choose a writable directory with --output-dir".into()),
            ClientError::MissingKey { var } => Some(format!(
                "create a key at platform.comfy.org and export {var}=… (the key is never written to the config file)"
            )),
            ClientError::V2(e) => e.hint(),
            _ => None,
        }
    }

    /// A stable machine-readable code for `--json` error objects.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Connect { .. } => "connection",
            ClientError::Http { status, .. } => match status {
                401 => "unauthorized",
                402 => "insufficient_credits",
                403 => "forbidden",
                404 => "not_found",
                413 => "too_large",
                429 => "subscription_inactive",
                500..=599 => "server_error",
                _ => "http",
            },
            ClientError::BadResponse { .. } => "bad_response",
            ClientError::Incomplete { .. } => "incomplete_response",
            ClientError::Rejected(_) => "rejected",
            ClientError::Download { .. } => "download",
            ClientError::UnsafePath { .. } => "unsafe_path",
            ClientError::LocalIo { .. } | ClientError::ReadInput { .. } => "local_io",
            ClientError::MissingKey { .. } => "missing_key",
            ClientError::V2(e) => match e.api_code() {
                Some(c) => c.static_str(),
                None => "v2_stream",
            },
            ClientError::Cancelled => "cancelled",
        }
    }
}
