//! Comfy API v2 errors: the `{"error": {code, message, details}}` envelope (or a bare status
//! from whatever answered in front of the API) as a typed [`ErrorCode`], each with the exit
//! status and hint the rest of comfyctl uses (src/error.rs).

use crate::client::ClientError;
use crate::error::ExitStatus;
use serde_json::Value;
use std::time::Duration;

/// Every code the recordings and comfy-sdk 0.5.0 know, and the ones only the contract names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// 422: the workflow failed validation (`details.node_errors` is ComfyUI's), or its shape
    /// is wrong (no `workflow`, reserved `inputs`/`webhook_url`).
    InvalidWorkflow,
    /// 422: an editor-format graph was sent instead of the API format.
    WorkflowFormatUi,
    /// 422: a `core/ASSET` reference does not resolve (`details.missing_ids`).
    MissingAsset,
    /// 422: the `Idempotency-Key` was used before — the first submission may have made a job.
    IdempotencyKeyReuse,
    /// 400/422: a malformed request (bad key length, `metadata`, `extra_data`, `limit`, path).
    InvalidRequest,
    /// 409: the uploaded bytes do not match `expected_hash`.
    HashMismatch,
    /// 404: `from-hash` found no such blob.
    BlobNotFound,
    /// 404: no such job or asset (`job_not_found`, `asset_not_found` on Cloud).
    NotFound,
    /// 404: the output's bytes are gone upstream; retrying cannot help.
    OutputUnavailable,
    /// 401: the key is missing or wrong.
    Unauthorized,
    /// 403: the key may not do this.
    Forbidden,
    /// 403: a browser-like `Origin` or `Sec-Fetch-Site: cross-site` (the proxy's guard).
    ForbiddenOrigin,
    /// 402: out of credits.
    InsufficientCredits,
    /// 429 + `Retry-After`: the queue is full.
    QueueFull,
    /// 429 + `Retry-After`: every event-stream slot is taken; poll instead.
    TooManyStreams,
    /// 429 + `Retry-After`: a serverless deployment is still starting.
    DeploymentNotReady,
    /// 422: a serverless deployment is stopped; only its operator can fix that.
    DeploymentStopped,
    /// 413: the upload is larger than the server takes.
    PayloadTooLarge,
    /// 503: the proxy cannot reach its ComfyUI (for a submit: it may still hold the job).
    UpstreamUnreachable,
    /// 500/502: ComfyUI answered something unexpected (also the proxy's answer to an
    /// unsatisfiable `Range`).
    UpstreamError,
    /// 409: a cancel of a job that had already finished (Cloud).
    AlreadyCompleted,
    /// 409: an asset still referenced cannot be deleted.
    AssetInUse,
    /// 501: this server does not implement the call (Comfy Cloud may not list jobs).
    NotImplemented,
    /// Anything else: the code as sent, or `http_<status>` when there was none.
    Other(String),
}

impl ErrorCode {
    /// Reads a wire code.
    pub fn parse(code: &str) -> ErrorCode {
        match code {
            "invalid_workflow" => ErrorCode::InvalidWorkflow,
            "workflow_format_ui" => ErrorCode::WorkflowFormatUi,
            "missing_asset" => ErrorCode::MissingAsset,
            "idempotency_key_reuse" => ErrorCode::IdempotencyKeyReuse,
            "invalid_request" => ErrorCode::InvalidRequest,
            "hash_mismatch" => ErrorCode::HashMismatch,
            "blob_not_found" => ErrorCode::BlobNotFound,
            "not_found" | "job_not_found" | "asset_not_found" => ErrorCode::NotFound,
            "output_unavailable" => ErrorCode::OutputUnavailable,
            "unauthorized" => ErrorCode::Unauthorized,
            "forbidden" => ErrorCode::Forbidden,
            "forbidden_origin" => ErrorCode::ForbiddenOrigin,
            "insufficient_credits" => ErrorCode::InsufficientCredits,
            "queue_full" => ErrorCode::QueueFull,
            "too_many_streams" => ErrorCode::TooManyStreams,
            "deployment_not_ready" => ErrorCode::DeploymentNotReady,
            "deployment_stopped" => ErrorCode::DeploymentStopped,
            "payload_too_large" => ErrorCode::PayloadTooLarge,
            "upstream_unreachable" => ErrorCode::UpstreamUnreachable,
            "upstream_error" => ErrorCode::UpstreamError,
            "already_completed" => ErrorCode::AlreadyCompleted,
            "asset_in_use" => ErrorCode::AssetInUse,
            "not_implemented" => ErrorCode::NotImplemented,
            other => ErrorCode::Other(other.to_string()),
        }
    }

    /// The code a bare status stands for when the body named none (a plain-text 404 from
    /// aiohttp, a gateway's 429).
    fn from_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Unauthorized,
            402 => ErrorCode::InsufficientCredits,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            413 => ErrorCode::PayloadTooLarge,
            429 => ErrorCode::QueueFull,
            501 => ErrorCode::NotImplemented,
            s => ErrorCode::Other(format!("http_{s}")),
        }
    }

    /// The wire spelling of a known code; `api_error` for one this client does not know (for
    /// `--json`'s fixed set of codes).
    pub fn static_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidWorkflow => "invalid_workflow",
            ErrorCode::WorkflowFormatUi => "workflow_format_ui",
            ErrorCode::MissingAsset => "missing_asset",
            ErrorCode::IdempotencyKeyReuse => "idempotency_key_reuse",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::HashMismatch => "hash_mismatch",
            ErrorCode::BlobNotFound => "blob_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::OutputUnavailable => "output_unavailable",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::QueueFull => "queue_full",
            ErrorCode::TooManyStreams => "too_many_streams",
            ErrorCode::DeploymentNotReady => "deployment_not_ready",
            ErrorCode::DeploymentStopped => "deployment_stopped",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UpstreamUnreachable => "upstream_unreachable",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::AlreadyCompleted => "already_completed",
            ErrorCode::AssetInUse => "asset_in_use",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::Other(_) => "api_error",
        }
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(c) => c,
            known => known.static_str(),
        }
    }
}

/// An error answer from a v2 server.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{method} {path} answered HTTP {status}: {message} ({})", code.as_str())]
pub struct ApiError {
    /// Method.
    pub method: String,
    /// Path (never with the key; v2 keys travel in a header).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// The typed code.
    pub code: ErrorCode,
    /// The server's message (bounded, one line).
    pub message: String,
    /// `details`: `node_errors` for `invalid_workflow`, `missing_ids` for `missing_asset`.
    pub details: Option<Value>,
    /// `Retry-After`, when the server named a pace.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Reads an error answer: the envelope when there is one, else the status alone.
    pub fn from_parts(
        method: &str,
        path: &str,
        status: u16,
        retry_after: Option<&str>,
        body: &[u8],
    ) -> ApiError {
        let v: Option<Value> = serde_json::from_slice(body).ok();
        let err = v
            .as_ref()
            .and_then(|v| v.get("error"))
            .filter(|e| e.is_object());
        let code = err
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
            .map(ErrorCode::parse)
            .unwrap_or_else(|| ErrorCode::from_status(status));
        let message = err
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(&body[..body.len().min(300)]).to_string();
                text.lines().next().unwrap_or("").trim().to_string()
            });
        // One printable line: a server's text must not repaint the terminal.
        let message: String = message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(300)
            .collect::<String>()
            .trim()
            .to_string();
        ApiError {
            method: method.to_string(),
            path: path.to_string(),
            status,
            code,
            message: if message.is_empty() {
                format!("HTTP {status}")
            } else {
                message
            },
            details: err
                .and_then(|e| e.get("details"))
                .filter(|d| !d.is_null())
                .cloned(),
            retry_after: retry_after.and_then(parse_retry_after),
        }
    }

    /// Worth asking again after a pause: backpressure, a deployment warming up, a 5xx. A
    /// submit must not take this alone as licence to resubmit: see `V2Client::submit`.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::QueueFull
                | ErrorCode::TooManyStreams
                | ErrorCode::DeploymentNotReady
                | ErrorCode::UpstreamUnreachable
        ) || (self.status >= 500
            && !matches!(
                self.code,
                ErrorCode::UpstreamError | ErrorCode::NotImplemented
            ))
            || (self.code == ErrorCode::UpstreamError && self.status == 500)
    }

    /// The node errors of an `invalid_workflow` rejection, in the native `/prompt` 400 shape,
    /// ready for `job::parse_rejection` (so they render and serialise like native ones).
    pub fn native_rejection_body(&self) -> Option<Value> {
        if self.code != ErrorCode::InvalidWorkflow && self.code != ErrorCode::WorkflowFormatUi {
            return None;
        }
        let node_errors = self
            .details
            .as_ref()
            .and_then(|d| d.get("node_errors"))
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        Some(serde_json::json!({
            "error": {"type": self.code.as_str(), "message": self.message, "details": "", "extra_info": {}},
            "node_errors": node_errors,
        }))
    }

    /// The `missing_asset` ids.
    pub fn missing_ids(&self) -> Vec<String> {
        self.details
            .as_ref()
            .and_then(|d| d.get("missing_ids"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The documented exit status.
    pub fn exit_status(&self) -> ExitStatus {
        match self.code {
            ErrorCode::InvalidWorkflow | ErrorCode::WorkflowFormatUi | ErrorCode::MissingAsset => {
                ExitStatus::Rejected
            }
            // What the server cannot do is not worth retrying: like asking Comfy Cloud for its
            // server log.
            ErrorCode::InvalidRequest | ErrorCode::PayloadTooLarge | ErrorCode::NotImplemented => {
                ExitStatus::Usage
            }
            _ => ExitStatus::Connection,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        let wait = self
            .retry_after
            .map(|d| format!(" (the server asked to wait {} s)", d.as_secs()))
            .unwrap_or_default();
        Some(match &self.code {
            ErrorCode::InvalidWorkflow => {
                "fix the inputs named above, or check that the server has the nodes and models the workflow uses".into()
            }
            ErrorCode::WorkflowFormatUi => {
                "the server got an editor-format workflow: convert it with `comfyctl convert` (run does this itself)".into()
            }
            ErrorCode::MissingAsset => {
                "an uploaded input is no longer known to the server (deleted, or uploaded to another server): run again to upload it".into()
            }
            ErrorCode::IdempotencyKeyReuse => {
                "a submission with this key already reached the server: look for the job (`comfyctl queue`) instead of submitting again".into()
            }
            ErrorCode::InvalidRequest => "the server refused the request's shape; this is likely a comfyctl bug, please report it".into(),
            ErrorCode::HashMismatch => {
                "the file changed while it was uploaded: run again once it is no longer being written".into()
            }
            // A v2 server always takes submissions and answers its health: a 404 there is a
            // server that does not speak v2 at all (plain ComfyUI).
            ErrorCode::NotFound
                if (self.method == "POST" && self.path.ends_with("/api/v2/jobs"))
                    || self.path.ends_with("/api/v2/health") =>
            {
                "this server does not speak the Comfy API v2 (plain ComfyUI?): use --api auto or native, or put comfy-api-proxy in front of it".into()
            }
            ErrorCode::NotFound | ErrorCode::BlobNotFound => {
                "no such job or asset on this server (ids are per server, and a proxy without --state-dir forgets them on restart)".into()
            }
            ErrorCode::OutputUnavailable => {
                "the output's file is gone from the server: run the job again".into()
            }
            ErrorCode::Unauthorized => {
                "the key was refused or missing: set COMFY_API_KEY (a Comfy account key from platform.comfy.org, or the proxy's --token), or the profile's api_key_env".into()
            }
            ErrorCode::Forbidden => {
                "the key may not do this: check the account's plan and that the job belongs to this key".into()
            }
            ErrorCode::ForbiddenOrigin => {
                "the server refused a cross-site request: do not send a browser Origin header to it (check the profile's headers)".into()
            }
            ErrorCode::InsufficientCredits => {
                "the account is out of credits: add credits at platform.comfy.org, then run again".into()
            }
            ErrorCode::QueueFull | ErrorCode::DeploymentNotReady => {
                format!("the server is busy{wait}; comfyctl waited as asked and gave up: try again later")
            }
            ErrorCode::TooManyStreams => {
                format!("every event-stream slot on the server is taken{wait}; progress is followed by polling meanwhile")
            }
            ErrorCode::DeploymentStopped => {
                "the deployment is stopped: start it again on the platform, then run again".into()
            }
            ErrorCode::PayloadTooLarge => {
                "the input is larger than the server accepts (comfy-api-proxy: --max-upload-mb)".into()
            }
            ErrorCode::UpstreamUnreachable => {
                "the v2 server cannot reach its ComfyUI: is ComfyUI running behind the proxy?".into()
            }
            ErrorCode::UpstreamError => {
                "ComfyUI answered the proxy with an error; comfyctl retried. Check ComfyUI's log".into()
            }
            ErrorCode::NotImplemented => {
                "this server does not implement that part of the Comfy API v2 (Comfy Cloud may not list jobs): `comfyctl watch --prompt-id ID` and `comfyctl logs ID` need only the job's id".into()
            }
            ErrorCode::AlreadyCompleted | ErrorCode::AssetInUse | ErrorCode::Other(_) => {
                return None;
            }
        })
    }
}

/// `Retry-After` as seconds (an HTTP date is not used by these servers and reads as none).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Anything the v2 client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum V2Error {
    /// The server answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Connection, timeout, cut answer, local files, unsafe output paths: the shared kinds.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The event stream broke its framing or sent an undecodable frame.
    #[error("the event stream of job {job} broke: {reason}")]
    Stream {
        /// Job id.
        job: String,
        /// What happened.
        reason: String,
    },
    /// A submit's answer was lost and the server holds no job we can recognise as ours.
    #[error(
        "the answer to the submission was lost and no job labelled {label:?} is on the server; it may still appear"
    )]
    LostSubmission {
        /// The label (`metadata`) the submission carried.
        label: String,
    },
}

impl V2Error {
    /// The documented exit status.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            V2Error::Api(a) => a.exit_status(),
            V2Error::Client(c) => c.exit_status(),
            V2Error::Stream { .. } | V2Error::LostSubmission { .. } => ExitStatus::Connection,
        }
    }

    /// A hint for the user.
    pub fn hint(&self) -> Option<String> {
        match self {
            V2Error::Api(a) => a.hint(),
            V2Error::Client(c) => c.hint(),
            V2Error::Stream { .. } => Some(
                "the job's state was read by polling; run `comfyctl logs ID` to see how it ended"
                    .into(),
            ),
            V2Error::LostSubmission { .. } => Some(
                "list the server's jobs (`comfyctl queue`) before submitting again, so the workflow does not run twice".into(),
            ),
        }
    }

    /// The typed code, when the server sent one.
    pub fn api_code(&self) -> Option<&ErrorCode> {
        match self {
            V2Error::Api(a) => Some(&a.code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every recorded error answer types to the code it carries, never `Other`, and each code
    /// has its exit status.
    #[test]
    fn every_recorded_error_is_typed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/comfy-api-v2");
        let mut seen = std::collections::BTreeSet::new();
        for sub in ["", "extra", "upstream-0.3.64"] {
            for e in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let p = e.unwrap().path();
                if p.extension().and_then(|x| x.to_str()) != Some("json") {
                    continue;
                }
                let doc: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                for x in doc["exchanges"].as_array().into_iter().flatten() {
                    let r = &x["response"];
                    let status = r["status"].as_u64().unwrap() as u16;
                    if status < 400 {
                        continue;
                    }
                    let body = match r["body_kind"].as_str() {
                        Some("json") => r["json"].to_string().into_bytes(),
                        Some("text") => r["text"].as_str().unwrap().as_bytes().to_vec(),
                        _ => Vec::new(),
                    };
                    let retry = r["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|h| h[0] == "retry-after")
                        .and_then(|h| h[1].as_str());
                    let e = ApiError::from_parts("GET", "/x", status, retry, &body);
                    if let Some(code) = r.pointer("/json/error/code").and_then(Value::as_str) {
                        assert_eq!(e.code.as_str(), code);
                        assert!(!matches!(e.code, ErrorCode::Other(_)), "{code}");
                    }
                    seen.insert(e.code.as_str().to_string());
                    match e.code {
                        ErrorCode::TooManyStreams => {
                            assert_eq!(e.retry_after, Some(Duration::from_secs(5)));
                            assert!(e.is_transient());
                        }
                        ErrorCode::InvalidWorkflow => {
                            assert_eq!(e.exit_status(), ExitStatus::Rejected);
                            let body = e.native_rejection_body().unwrap();
                            assert!(body["node_errors"].is_object());
                        }
                        ErrorCode::Unauthorized => {
                            assert_eq!(e.exit_status(), ExitStatus::Connection);
                            assert!(e.hint().unwrap().contains("COMFY_API_KEY"));
                        }
                        ErrorCode::UpstreamError => assert!(!e.is_transient(), "502 range"),
                        _ => {}
                    }
                }
            }
        }
        for code in [
            "invalid_workflow",
            "workflow_format_ui",
            "missing_asset",
            "idempotency_key_reuse",
            "invalid_request",
            "hash_mismatch",
            "blob_not_found",
            "not_found",
            "unauthorized",
            "forbidden_origin",
            "too_many_streams",
            "upstream_error",
            "http_405",
        ] {
            assert!(seen.contains(code), "no recorded {code}: {seen:?}");
        }
    }

    #[test]
    fn codes_only_the_contract_and_the_sdk_name() {
        let e = ApiError::from_parts(
            "POST",
            "/api/v2/jobs",
            429,
            Some("7"),
            br#"{"error":{"code":"queue_full","message":"busy","details":null}}"#,
        );
        assert_eq!(e.code, ErrorCode::QueueFull);
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert!(e.is_transient());
        assert!(e.hint().unwrap().contains("7 s"));
        let e = ApiError::from_parts("GET", "/api/v2/jobs", 501, None, b"");
        assert_eq!(e.code, ErrorCode::NotImplemented);
        assert_eq!(e.exit_status(), ExitStatus::Usage);
        assert!(!e.is_transient(), "asking again cannot help");
        let e = ApiError::from_parts("POST", "/x", 402, None, b"");
        assert_eq!(e.code, ErrorCode::InsufficientCredits);
        assert!(e.hint().unwrap().contains("credits"));
        let e = ApiError::from_parts("GET", "/x", 404, None, b"404: Not Found");
        assert_eq!(
            (e.code.clone(), e.message.as_str()),
            (ErrorCode::NotFound, "404: Not Found")
        );
        for (c, code) in [
            ("job_not_found", ErrorCode::NotFound),
            ("asset_not_found", ErrorCode::NotFound),
            ("deployment_not_ready", ErrorCode::DeploymentNotReady),
            ("deployment_stopped", ErrorCode::DeploymentStopped),
            ("payload_too_large", ErrorCode::PayloadTooLarge),
            ("upstream_unreachable", ErrorCode::UpstreamUnreachable),
            ("output_unavailable", ErrorCode::OutputUnavailable),
            ("insufficient_credits", ErrorCode::InsufficientCredits),
            ("forbidden", ErrorCode::Forbidden),
            ("already_completed", ErrorCode::AlreadyCompleted),
            ("asset_in_use", ErrorCode::AssetInUse),
            ("not_implemented", ErrorCode::NotImplemented),
        ] {
            assert_eq!(ErrorCode::parse(c), code);
        }
        let e = ApiError::from_parts(
            "GET",
            "/x",
            418,
            None,
            b"{\"error\":{\"code\":\"\x1b[31mteapot\"}}",
        );
        assert!(matches!(e.code, ErrorCode::Other(_)));
        assert!(!e.message.contains('\x1b'));
        let e = ApiError::from_parts(
            "POST",
            "/x",
            400,
            None,
            br#"{"error":{"code":"invalid_request","message":"Idempotency-Key must be 1-255 characters.","details":null}}"#,
        );
        assert_eq!(e.exit_status(), ExitStatus::Usage);
    }
}
