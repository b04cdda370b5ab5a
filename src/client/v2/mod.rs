//! The Comfy API v2 (`/api/v2/...`): Comfy Cloud's current API, serverless deployments, and
//! comfy-api-proxy in front of a self-hosted ComfyUI. Requests, the job event stream, assets
//! and downloads — the pieces a job backend drives; docs/v2.md says how a client must use them
//! (GET is the truth, read streams to EOF, poll alongside, one key per submission).
//!
//! Credentials: the server's key goes in `Authorization: Bearer` (a profile with
//! `api_key_header = "Authorization"`), only to the server's own origin — never to a link or
//! a signed URL on another host.

pub mod assets;
pub mod download;
pub mod error;
pub mod jobs;
pub mod types;

pub use error::{ApiError, ErrorCode, V2Error};
pub use types::{
    Asset, BadEvent, Job, JobError, JobList, JobStatus, JobWorkflow, Output, Progress, StreamEvent,
};

use super::sse::{SseItem, SseReader};
use super::{ClientError, Server};
use crate::secret::{Secret, redact_url};
use reqwest::Method;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// A v2 server.
#[derive(Debug, Clone)]
pub struct V2Client {
    server: Server,
}

/// One submission. Keep the same value (same key) for every retry of this submission, and a
/// new one for every new job.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// The API-format graph (`core/ASSET` references where inputs go).
    pub workflow: Map<String, Value>,
    /// The `Idempotency-Key`: 1–255 characters, single use on the server.
    pub idempotency_key: String,
    /// A `metadata` label (one string, ≤ 1024 bytes, on the proxy); when set, a submission
    /// whose answer was lost is found again by it in `GET /jobs`.
    pub label: Option<String>,
    /// The partner-node key (`extra_data.api_key_comfy_org`).
    pub partner_key: Option<Secret>,
    /// Advisory priority.
    pub priority: Option<i64>,
}

impl SubmitRequest {
    /// A submission with a fresh key.
    pub fn new(workflow: Map<String, Value>) -> Self {
        SubmitRequest {
            workflow,
            idempotency_key: new_idempotency_key(),
            label: None,
            partner_key: None,
            priority: None,
        }
    }

    fn body(&self) -> Value {
        let mut b = json!({"workflow": self.workflow});
        if let Some(l) = &self.label {
            b["metadata"] = json!(l);
        }
        if let Some(p) = self.priority {
            b["priority"] = json!(p);
        }
        if let Some(k) = &self.partner_key {
            b["extra_data"] = json!({"api_key_comfy_org": k.expose()});
        }
        b
    }
}

/// A fresh `Idempotency-Key`.
pub fn new_idempotency_key() -> String {
    format!("comfyctl-{}", uuid::Uuid::new_v4())
}

/// An answer read whole.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

/// Resolves a link from an answer (`urls.events`, an output `url`): absolute links as they
/// are, host-relative ones (`/deployment/…/api/v2/…`) against the origin that answered —
/// never against the base URL, whose path prefix they already contain.
pub fn resolve_link(link: &str, answered_by: &url::Url) -> Result<url::Url, ClientError> {
    let bad = |detail: String| ClientError::BadResponse {
        what: "a v2 link".into(),
        detail,
    };
    if link.starts_with('/') && !link.starts_with("//") {
        let mut u = answered_by.clone();
        u.set_query(None);
        u.set_fragment(None);
        let (path, query) = link.split_once('?').unwrap_or((link, ""));
        u.set_path(path);
        if !query.is_empty() {
            u.set_query(Some(query));
        }
        return Ok(u);
    }
    let u = url::Url::parse(link).map_err(|e| bad(format!("{link:?}: {e}")))?;
    match u.scheme() {
        "http" | "https" => Ok(u),
        s => Err(bad(format!("unexpected scheme {s:?}"))),
    }
}

impl V2Client {
    /// A client for `server` (its base URL is the deployment's root, `/api/v2` is added).
    pub fn new(server: Server) -> Self {
        V2Client { server }
    }

    /// The underlying server.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// `BASE/api/v2{path}`.
    pub fn endpoint(&self, path: &str) -> url::Url {
        self.server.endpoint(&format!("/api/v2{path}"))
    }

    /// Adds the server's credentials when `url` is on its origin (scheme, host, port), and
    /// nothing otherwise.
    pub(crate) fn authorized(
        &self,
        mut req: reqwest::RequestBuilder,
        url: &url::Url,
    ) -> reqwest::RequestBuilder {
        // auth_headers_for is empty for any other origin.
        for (k, v) in self.server.auth_headers_for(url) {
            req = req.header(k.as_str(), v.expose());
        }
        req
    }

    /// One request, credentials only to the server's origin; `extra` headers as given.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &url::Url,
        extra: &[(&str, String)],
        body: Option<reqwest::Body>,
        json_body: bool,
    ) -> Result<reqwest::Response, ClientError> {
        self.server.log(|| format!("{method} {}", redact_url(url)));
        let mut req = self.authorized(self.server.client().request(method, url.clone()), url);
        for (k, v) in extra {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            if json_body {
                req = req.header(reqwest::header::CONTENT_TYPE, "application/json");
            }
            req = req.body(b);
        }
        let resp = req.send().await.map_err(|e| self.server.connect_error(e))?;
        self.server.log(|| format!("  -> {}", resp.status()));
        Ok(resp)
    }

    async fn read(resp: reqwest::Response, what: &str) -> Result<Answer, ClientError> {
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Incomplete {
                what: what.to_string(),
                detail: format!("was cut off: {}", e.without_url()),
            })?
            .to_vec();
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(
        method: &str,
        path: &str,
        a: &Answer,
    ) -> Result<T, V2Error> {
        if a.status >= 300 {
            return Err(ApiError::from_parts(
                method,
                path,
                a.status,
                a.retry_after.as_deref(),
                &a.body,
            )
            .into());
        }
        serde_json::from_slice(&a.body).map_err(|e| {
            ClientError::BadResponse {
                what: format!("{method} {path}"),
                detail: format!("not the expected JSON ({e})"),
            }
            .into()
        })
    }

    /// The pause before retry `n`: what the server asked for (capped at a minute), else the
    /// retry policy's backoff.
    fn pause(&self, n: u32, e: &V2Error) -> Duration {
        match e {
            V2Error::Api(a) if a.retry_after.is_some() => {
                a.retry_after.unwrap().min(Duration::from_secs(60))
            }
            _ => self.server.retry.delay(n),
        }
    }

    fn transient(e: &V2Error) -> bool {
        match e {
            V2Error::Api(a) => a.is_transient(),
            V2Error::Client(c) => matches!(
                c,
                ClientError::Connect { .. } | ClientError::Incomplete { .. }
            ),
            _ => false,
        }
    }

    /// A JSON GET, retried on connection trouble, 5xx and 429 (honouring `Retry-After`).
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, V2Error> {
        let url = self.endpoint(path);
        let mut n = 0;
        loop {
            let r = match self.send(Method::GET, &url, &[], None, false).await {
                Ok(resp) => match Self::read(resp, &format!("GET {path}")).await {
                    Ok(a) => Self::decode("GET", path, &a),
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(e.into()),
            };
            match r {
                Err(e) if Self::transient(&e) && n + 1 < self.server.retry.attempts => {
                    let d = self.pause(n, &e);
                    self.server.log(|| format!("{e}; retrying in {d:?}"));
                    tokio::time::sleep(d).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// `GET /api/v2/health` (no key needed on the proxy).
    pub async fn health(&self) -> Result<Value, V2Error> {
        self.get("/health").await
    }

    /// `GET /jobs/{id}`: the authority on a job's state.
    pub async fn job(&self, id: &str) -> Result<Job, V2Error> {
        self.get(&format!("/jobs/{}", path_segment(id))).await
    }

    /// `GET /jobs/{id}/workflow`.
    pub async fn workflow(&self, id: &str) -> Result<JobWorkflow, V2Error> {
        self.get(&format!("/jobs/{}/workflow", path_segment(id)))
            .await
    }

    /// `GET /jobs?limit=&status=`: newest first (only this proxy's own submissions there).
    pub async fn list_jobs(
        &self,
        limit: Option<u32>,
        statuses: &[JobStatus],
    ) -> Result<JobList, V2Error> {
        // The serializer is not Send; it must be gone before the await (the MCP server's
        // futures cross threads).
        let q = {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            if let Some(l) = limit {
                q.append_pair("limit", &l.clamp(1, 100).to_string());
            }
            if !statuses.is_empty() {
                let s: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
                q.append_pair("status", &s.join(","));
            }
            q.finish()
        };
        let path = if q.is_empty() {
            "/jobs".to_string()
        } else {
            format!("/jobs?{q}")
        };
        self.get(&path).await
    }

    /// `POST /jobs/{id}/cancel`. The answer's status is only what the server saw at once:
    /// `canceling` (still running), `canceled`, `expired` (it was queued), or the unchanged
    /// end state; ComfyUI 0.3.64 behind the proxy ignores it altogether. Follow the job to
    /// learn the end.
    pub async fn cancel(&self, id: &str) -> Result<Job, V2Error> {
        let path = format!("/jobs/{}/cancel", path_segment(id));
        let url = self.endpoint(&path);
        let mut n = 0;
        loop {
            let r = match self.send(Method::POST, &url, &[], None, false).await {
                Ok(resp) => match Self::read(resp, &format!("POST {path}")).await {
                    Ok(a) => Self::decode("POST", &path, &a),
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(e.into()),
            };
            // A cancel is safe to repeat.
            match r {
                Err(e) if Self::transient(&e) && n + 1 < self.server.retry.attempts => {
                    tokio::time::sleep(self.pause(n, &e)).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// `POST /jobs` with the request's `Idempotency-Key`. Transient failures are retried with
    /// the same key; when a retry meets `idempotency_key_reuse`, an earlier attempt did create
    /// the job (its answer was lost): it is looked up by `label` in `GET /jobs`, never submitted
    /// again. The first attempt meeting `idempotency_key_reuse` is the caller's reused key.
    pub async fn submit(&self, req: &SubmitRequest) -> Result<Job, V2Error> {
        let url = self.endpoint("/jobs");
        let body = serde_json::to_vec(&req.body()).expect("a JSON value serialises");
        let headers = [("Idempotency-Key", req.idempotency_key.clone())];
        let mut n = 0;
        let mut maybe_created = false;
        loop {
            let r: Result<Job, V2Error> = match self
                .send(
                    Method::POST,
                    &url,
                    &headers,
                    Some(body.clone().into()),
                    true,
                )
                .await
            {
                Ok(resp) => match Self::read(resp, "POST /api/v2/jobs").await {
                    Ok(a) => Self::decode("POST", "/api/v2/jobs", &a),
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(e.into()),
            };
            match r {
                Err(V2Error::Api(a))
                    if a.code == ErrorCode::IdempotencyKeyReuse && maybe_created =>
                {
                    return self.find_lost(req).await;
                }
                Err(e) if Self::transient(&e) && n + 1 < self.server.retry.attempts => {
                    // A refused connection never reached the server; anything else may have.
                    maybe_created |= !matches!(
                        &e,
                        V2Error::Client(ClientError::Connect { reason, .. })
                            if reason.contains("onnection refused")
                    );
                    let d = self.pause(n, &e);
                    self.server
                        .log(|| format!("{e}; submitting again with the same key in {d:?}"));
                    tokio::time::sleep(d).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }

    async fn find_lost(&self, req: &SubmitRequest) -> Result<Job, V2Error> {
        let label = req.label.clone().unwrap_or_default();
        if req.label.is_some() {
            let list = self.list_jobs(Some(100), &[]).await?;
            if let Some(j) = list
                .jobs
                .into_iter()
                .find(|j| j.metadata.as_ref().and_then(Value::as_str) == Some(label.as_str()))
            {
                return Ok(j);
            }
        }
        Err(V2Error::LostSubmission { label })
    }

    /// Opens `GET /jobs/{id}/events`. A 429 `too_many_streams` comes back as an error with
    /// its `Retry-After`: follow the job by polling meanwhile. Only the newest stream of a job
    /// gets live events on the proxy, so close an old one before opening another.
    pub async fn events(&self, id: &str) -> Result<EventStream, V2Error> {
        let path = format!("/jobs/{}/events", path_segment(id));
        let url = self.endpoint(&path);
        let resp = self
            .send(
                Method::GET,
                &url,
                &[("Accept", "text/event-stream".into())],
                None,
                false,
            )
            .await?;
        let is_stream = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/event-stream"));
        if !resp.status().is_success() || !is_stream {
            let a = Self::read(resp, &format!("GET {path}")).await?;
            let status = if a.status < 300 { 502 } else { a.status };
            return Err(ApiError::from_parts(
                "GET",
                &path,
                status,
                a.retry_after.as_deref(),
                &a.body,
            )
            .into());
        }
        Ok(EventStream {
            reader: SseReader::new(resp),
            job: id.to_string(),
        })
    }

    /// The end state to believe. Polls `GET /jobs/{id}` until it is terminal; an `expired` for
    /// a job is asked again `recheck` more times, `pause` apart, since the proxy reports a job
    /// that is between its history and its queue as `expired` (README surprise 1). A job still
    /// queued or running is returned as it is, for the caller to go on following.
    pub async fn confirm_end(
        &self,
        id: &str,
        recheck: u32,
        pause: Duration,
    ) -> Result<Job, V2Error> {
        let mut left = recheck;
        loop {
            let job = self.job(id).await?;
            if job.status != JobStatus::Expired || left == 0 {
                return Ok(job);
            }
            left -= 1;
            tokio::time::sleep(pause).await;
        }
    }
}

/// A job id as one path segment (ids come from servers and users).
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A job's event stream; read it to the end (`None`): `output` frames may follow the final
/// `status`, and that status is only a hint.
pub struct EventStream {
    reader: SseReader,
    job: String,
}

impl EventStream {
    /// The next event; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<StreamEvent>, V2Error> {
        loop {
            let item: Option<SseItem> = self.reader.next().await.map_err(|e| V2Error::Stream {
                job: self.job.clone(),
                reason: e.to_string(),
            })?;
            let Some(item) = item else {
                return Ok(None);
            };
            match StreamEvent::from_sse(&item) {
                Ok(Some(ev)) => return Ok(Some(ev)),
                Ok(None) => continue,
                Err(e) => {
                    return Err(V2Error::Stream {
                        job: self.job.clone(),
                        reason: e.to_string(),
                    });
                }
            }
        }
    }

    /// True when the stream was cut in the middle of an event rather than closed.
    pub fn was_cut(&self) -> bool {
        self.reader.ended_mid_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_answering_origin() {
        let at = url::Url::parse("https://dep-1.run.comfy.app/deployment/d1/api/v2/jobs").unwrap();
        assert_eq!(
            resolve_link("/deployment/d1/api/v2/jobs/x/events", &at)
                .unwrap()
                .as_str(),
            "https://dep-1.run.comfy.app/deployment/d1/api/v2/jobs/x/events"
        );
        assert_eq!(
            resolve_link("http://127.0.0.1:8290/api/v2/assets/a/content", &at)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8290/api/v2/assets/a/content"
        );
        assert!(resolve_link("file:///etc/passwd", &at).is_err());
        assert!(resolve_link("//evil.example/x", &at).is_err());
    }

    #[test]
    fn submit_bodies_carry_label_priority_and_partner_key() {
        let mut r = SubmitRequest::new(Map::new());
        assert!(r.idempotency_key.len() <= 255 && r.idempotency_key.starts_with("comfyctl-"));
        assert!(r.body().get("metadata").is_none());
        r.label = Some("run-1".into());
        r.priority = Some(3);
        r.partner_key = Some(Secret::new("pk"));
        let b = r.body();
        assert_eq!(b["metadata"], "run-1");
        assert_eq!(b["priority"], 3);
        assert_eq!(b["extra_data"], json!({"api_key_comfy_org": "pk"}));
        assert_ne!(
            SubmitRequest::new(Map::new()).idempotency_key,
            r.idempotency_key
        );
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
