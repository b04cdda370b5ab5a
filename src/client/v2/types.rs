//! The Comfy API v2 wire types as the recordings show them (tests/fixtures/comfy-api-v2), read
//! leniently: optional fields may be missing, unknown fields and unknown enum values are kept
//! rather than refused, since Comfy Cloud, serverless deployments and comfy-api-proxy serve the
//! same contract with different gaps.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A job's lifecycle state. Terminal: `succeeded`, `failed`, `canceled`, `expired` — but a
/// stream's (or even a poll's) `expired` can be a race in the proxy for a job that succeeded
/// (README surprise 1): ask `GET /jobs/{id}` again before believing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting in the queue.
    Queued,
    /// Executing.
    Running,
    /// Finished with its outputs.
    Succeeded,
    /// An execution error (`Job::error` says where).
    Failed,
    /// A cancel was asked while it ran; never seen from `GET` on the proxy.
    Canceling,
    /// Cancelled while running.
    Canceled,
    /// Gone: cancelled while queued, lost by a restart, past retention — or the race.
    Expired,
    /// A state this client does not know; treated as not terminal.
    #[serde(other)]
    Unknown,
}

impl JobStatus {
    /// True for the four end states.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Canceled | JobStatus::Expired
        )
    }

    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Canceling => "canceling",
            JobStatus::Canceled => "canceled",
            JobStatus::Expired => "expired",
            JobStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A progress snapshot. Two shapes arrive on one stream: the 3-key placeholder
/// (`value`, `nodes_done`, `nodes_total`, also what polling always shows) and the live 6-key one
/// (`current_node`, `step`, `steps`). `value` is not monotonic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Overall fraction 0–1, server-computed.
    #[serde(default)]
    pub value: f64,
    /// Nodes finished so far.
    #[serde(default)]
    pub nodes_done: u64,
    /// Nodes seen so far (grows while the job runs).
    #[serde(default)]
    pub nodes_total: u64,
    /// The executing node.
    #[serde(default)]
    pub current_node: Option<String>,
    /// Its class (Cloud; the proxy never sends it).
    #[serde(default)]
    pub current_node_class: Option<String>,
    /// Sampler step of the current node.
    #[serde(default)]
    pub step: Option<u64>,
    /// Its step count.
    #[serde(default)]
    pub steps: Option<u64>,
    /// A human line (Cloud; the proxy never sends it).
    #[serde(default)]
    pub message: Option<String>,
}

/// One output of a job (an asset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The node that produced it.
    pub node_id: String,
    /// The file name (on the proxy without its subfolder; see `download::output_path`).
    pub name: String,
    /// `image`, `video`, `audio`, `text`, `file`, `latent`, or something newer.
    #[serde(rename = "type")]
    pub kind: String,
    /// MIME type guessed from the name.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Size in bytes — `0` on the proxy whatever the size: never trust a zero.
    #[serde(default)]
    pub size_bytes: u64,
    /// Asset id (a signed token on the proxy, not a UUID).
    pub id: String,
    /// `blake3:<hex>`, or null (always null on the proxy).
    #[serde(default)]
    pub hash: Option<String>,
    /// Where the bytes are: `…/assets/{id}/content` (needs the key) or a signed URL elsewhere
    /// (must not get the key).
    pub url: String,
    /// When `url` stops working (not enforced by the proxy).
    #[serde(default)]
    pub url_expires_at: Option<String>,
    /// The producing job.
    #[serde(default)]
    pub job_id: Option<String>,
}

impl Output {
    /// The size when the server knows it (the proxy always says 0).
    pub fn known_size(&self) -> Option<u64> {
        (self.size_bytes > 0).then_some(self.size_bytes)
    }
}

/// Why a job failed (`Job::error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    /// `node_execution_error` on the proxy.
    pub code: String,
    /// ComfyUI's exception message (with its trailing newline).
    #[serde(default)]
    pub message: String,
    /// The failing node.
    #[serde(default)]
    pub node_id: Option<String>,
    /// Its class.
    #[serde(default)]
    pub class_type: Option<String>,
    /// Always null on the proxy.
    #[serde(default)]
    pub traceback: Option<String>,
}

/// The follow-up links of a job: absolute, or host-relative (a serverless gateway's mount
/// prefix included) — resolve against the request's origin, never the base URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUrls {
    /// `GET` this.
    #[serde(rename = "self")]
    pub self_: String,
    /// The SSE stream.
    pub events: String,
    /// `POST` to cancel.
    pub cancel: String,
}

/// A job as `POST /jobs`, `GET /jobs/{id}`, cancel and the list give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// UUID (also ComfyUI's prompt id and WebSocket client id behind the proxy).
    pub id: String,
    /// State.
    pub status: JobStatus,
    /// ISO 8601.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Always null on the proxy.
    #[serde(default)]
    pub started_at: Option<String>,
    /// Always null on the proxy.
    #[serde(default)]
    pub completed_at: Option<String>,
    /// Retention deadline.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// 1-based place in the whole server queue (other users count), while queued.
    #[serde(default)]
    pub queue_position: Option<u64>,
    /// The placeholder while running, on the proxy; live progress comes from the stream.
    #[serde(default)]
    pub progress: Option<Progress>,
    /// Empty until the job ends (on the proxy).
    #[serde(default)]
    pub outputs: Vec<Output>,
    /// Set when `failed`.
    #[serde(default)]
    pub error: Option<JobError>,
    /// Some node was served from ComfyUI's cache.
    #[serde(default)]
    pub outputs_reused: bool,
    /// Follow-up links.
    #[serde(default)]
    pub urls: Option<JobUrls>,
    /// The label given at submit (one string on the proxy).
    #[serde(default)]
    pub metadata: Option<Value>,
    /// The advisory priority given at submit.
    #[serde(default)]
    pub priority: Option<i64>,
    /// Timing metrics (Cloud).
    #[serde(default)]
    pub metrics: Option<Map<String, Value>>,
}

/// `GET /jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobList {
    /// Newest first.
    pub jobs: Vec<Job>,
    /// The proxy stopped scanning before `limit` was met.
    #[serde(default)]
    pub truncated: bool,
    /// A cursor for the next page (Cloud; the proxy has none).
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `GET /jobs/{id}/workflow`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobWorkflow {
    /// The graph (asset references resolved to file names on the proxy).
    pub workflow: Map<String, Value>,
    /// `api` or `save`.
    pub format: String,
}

/// An uploaded (or produced) file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// UUID for uploads; output assets have the output's id.
    pub id: String,
    /// `blake3:<hex>`; null for outputs on the proxy.
    #[serde(default)]
    pub hash: Option<String>,
    /// Bytes (0 for outputs on the proxy).
    #[serde(default)]
    pub size_bytes: u64,
    /// MIME type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The path it was uploaded as (`input/sub/x.png`, `x.png`).
    #[serde(default)]
    pub file_path: Option<String>,
    /// ISO 8601.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Its content URL.
    pub url: String,
    /// When `url` stops working.
    #[serde(default)]
    pub url_expires_at: Option<String>,
    /// On create answers: new bytes (`true`) or a dedup hit (`false`).
    #[serde(default)]
    pub created_new: Option<bool>,
    /// The producing job, for outputs.
    #[serde(default)]
    pub job_id: Option<String>,
    /// Retention of the asset itself.
    #[serde(default)]
    pub expires_at: Option<String>,
}

impl Asset {
    /// The `core/ASSET` reference a workflow carries where a file name would go; the proxy
    /// resolves `info.id` first, then `info.hash`.
    pub fn reference(&self) -> Value {
        let mut info = Map::new();
        info.insert("id".into(), Value::String(self.id.clone()));
        if let Some(h) = &self.hash {
            info.insert("hash".into(), Value::String(h.clone()));
        }
        if let Some(p) = &self.file_path {
            info.insert("file_path".into(), Value::String(p.clone()));
        }
        serde_json::json!({"__type": "core/ASSET", "info": info})
    }
}

/// One event of a job's SSE stream, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A state snapshot: the first frame of every stream and the last one(s). There is none
    /// for queued → running. The last one is a hint only (README surprise 1).
    Status {
        /// The state.
        status: JobStatus,
        /// Place in the queue, when queued.
        queue_position: Option<u64>,
    },
    /// A complete progress snapshot.
    Progress(Progress),
    /// A sampler preview.
    Preview {
        /// The node (empty when ComfyUI did not say).
        node_id: String,
        /// `image/jpeg` in practice.
        content_type: String,
        /// The image bytes.
        data: Vec<u8>,
    },
    /// An output is ready (may arrive after the final `status`: read to EOF).
    Output(Output),
    /// A diagnostic line (in the contract; never sent by the proxy).
    Log {
        /// Level.
        level: String,
        /// Text.
        message: String,
    },
    /// `: keepalive` (15 s of quiet on the proxy).
    Keepalive,
    /// An event this client does not know (a newer server); carried, not an error.
    Other {
        /// The event name.
        event: String,
        /// Its data.
        data: String,
    },
}

/// A frame that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad `{event}` event: {reason}")]
pub struct BadEvent {
    /// The event name.
    pub event: String,
    /// What was wrong.
    pub reason: String,
}

impl StreamEvent {
    /// Decodes one SSE item.
    pub fn from_sse(item: &crate::client::sse::SseItem) -> Result<Option<StreamEvent>, BadEvent> {
        use crate::client::sse::SseItem;
        let ev = match item {
            SseItem::Comment(c) if c == "keepalive" => return Ok(Some(StreamEvent::Keepalive)),
            SseItem::Comment(_) | SseItem::Retry(_) => return Ok(None),
            SseItem::Event(ev) => ev,
        };
        let bad = |reason: String| BadEvent {
            event: ev.event.clone(),
            reason,
        };
        let json = || serde_json::from_str::<Value>(&ev.data).map_err(|e| bad(e.to_string()));
        Ok(Some(match ev.event.as_str() {
            "status" => {
                #[derive(Deserialize)]
                struct S {
                    status: JobStatus,
                    #[serde(default)]
                    queue_position: Option<u64>,
                }
                let s: S = serde_json::from_value(json()?).map_err(|e| bad(e.to_string()))?;
                StreamEvent::Status {
                    status: s.status,
                    queue_position: s.queue_position,
                }
            }
            "progress" => StreamEvent::Progress(
                serde_json::from_value(json()?).map_err(|e| bad(e.to_string()))?,
            ),
            "preview" => {
                let v = json()?;
                let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let data = base64::engine::general_purpose::STANDARD
                    .decode(s("data_base64"))
                    .map_err(|e| bad(format!("data_base64: {e}")))?;
                StreamEvent::Preview {
                    node_id: s("node_id"),
                    content_type: s("content_type"),
                    data,
                }
            }
            "output" => StreamEvent::Output(
                serde_json::from_value(json()?).map_err(|e| bad(e.to_string()))?,
            ),
            "log" => {
                let v = json()?;
                let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                StreamEvent::Log {
                    level: s("level"),
                    message: s("message"),
                }
            }
            other => StreamEvent::Other {
                event: other.to_string(),
                data: ev.data.clone(),
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::sse::{SseItem, SseParser};

    fn fixtures() -> Vec<(String, Value)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/comfy-api-v2");
        let mut out = Vec::new();
        for sub in ["", "extra", "upstream-0.3.64"] {
            for e in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let p = e.unwrap().path();
                if p.extension().and_then(|x| x.to_str()) == Some("json") {
                    let v = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                    out.push((p.display().to_string(), v));
                }
            }
        }
        out
    }

    /// Every recorded 2xx body parses into its type, and every recorded stream frame decodes.
    #[test]
    fn every_recorded_body_and_frame_parses() {
        let (mut jobs, mut assets, mut frames) = (0, 0, 0);
        for (name, doc) in fixtures() {
            let mut bodies: Vec<(String, Value)> = Vec::new();
            for e in doc["exchanges"].as_array().into_iter().flatten() {
                let r = &e["response"];
                let path = e["request"]["path"].as_str().unwrap_or("").to_string();
                if r["body_kind"] == "json" && r["status"].as_u64().is_some_and(|s| s < 300) {
                    bodies.push((path.clone(), r["json"].clone()));
                }
                for f in r["frames"].as_array().into_iter().flatten() {
                    let item = match f["event"].as_str() {
                        Some(ev) => SseItem::Event(crate::client::sse::SseEvent {
                            event: ev.into(),
                            data: f["data"].to_string(),
                            id: None,
                        }),
                        None => SseItem::Comment(f["comment"].as_str().unwrap().into()),
                    };
                    let ev = StreamEvent::from_sse(&item).unwrap().unwrap();
                    assert!(!matches!(ev, StreamEvent::Other { .. }), "{name}: {ev:?}");
                    frames += 1;
                }
            }
            for polls in doc["polls"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.values())
            {
                for p in polls.as_array().into_iter().flatten() {
                    if let Some(b) = p.get("body_on_change").filter(|b| b.is_object()) {
                        bodies.push(("/api/v2/jobs/poll".into(), b.clone()));
                    }
                }
            }
            for (path, body) in bodies {
                let what = format!("{name} {path}");
                if body.get("jobs").is_some() {
                    let l: JobList = serde_json::from_value(body).expect(&what);
                    jobs += l.jobs.len();
                } else if body.get("workflow").is_some() {
                    let _: JobWorkflow = serde_json::from_value(body).expect(&what);
                } else if body.get("urls").is_some() {
                    let j: Job = serde_json::from_value(body).expect(&what);
                    if j.status == JobStatus::Failed {
                        assert!(j.error.is_some(), "{what}");
                    }
                    jobs += 1;
                } else if body.get("url").is_some() {
                    let _: Asset = serde_json::from_value(body).expect(&what);
                    assets += 1;
                }
            }
        }
        assert!(
            jobs > 100 && assets > 10 && frames > 150,
            "{jobs} {assets} {frames}"
        );
    }

    #[test]
    fn preview_frames_decode_to_jpeg_and_references_carry_id_and_hash() {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/comfy-api-v2/b2_sample_again.json"
        ))
        .unwrap();
        let doc: Value = serde_json::from_str(&raw).unwrap();
        let stream: String = doc["exchanges"][1]["response"]["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["raw"].as_str().unwrap())
            .collect();
        let mut p = SseParser::new();
        p.feed(stream.as_bytes()).unwrap();
        let mut previews = Vec::new();
        while let Some(item) = p.next_item() {
            if let Some(StreamEvent::Preview { data, node_id, .. }) =
                StreamEvent::from_sse(&item).unwrap()
            {
                previews.push((node_id, data));
            }
        }
        // The one preview kept whole is a real JPEG.
        let (node, jpeg) = previews.iter().max_by_key(|(_, d)| d.len()).unwrap();
        assert_eq!(node, "3");
        assert!(jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.ends_with(&[0xFF, 0xD9]));
        let asset: Asset = serde_json::from_value(doc_asset()).unwrap();
        let r = asset.reference();
        assert_eq!(r["__type"], "core/ASSET");
        assert_eq!(r["info"]["id"], asset.id.as_str());
        assert_eq!(r["info"]["hash"], asset.hash.clone().unwrap().as_str());
    }

    fn doc_asset() -> Value {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/comfy-api-v2/a_invert.json"
        ))
        .unwrap();
        let doc: Value = serde_json::from_str(&raw).unwrap();
        doc["exchanges"][0]["response"]["json"].clone()
    }

    #[test]
    fn unknown_states_and_events_are_carried_not_refused() {
        let j: Job =
            serde_json::from_value(serde_json::json!({"id": "x", "status": "paused"})).unwrap();
        assert_eq!(j.status, JobStatus::Unknown);
        assert!(!j.status.is_terminal());
        let item = crate::client::sse::SseItem::Event(crate::client::sse::SseEvent {
            event: "error".into(),
            data: "{}".into(),
            id: None,
        });
        assert!(matches!(
            StreamEvent::from_sse(&item).unwrap(),
            Some(StreamEvent::Other { .. })
        ));
    }
}
