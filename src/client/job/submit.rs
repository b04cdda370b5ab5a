//! Submission: `POST /prompt` with a client-chosen prompt id, retried only after asking the
//! server whether the first attempt landed, so a job is never queued twice.

use crate::client::report::{JobEvent, Reporter};
use crate::client::{ClientError, InputError, NodeErrorReport, Rejection, Server};
use crate::workflow::Workflow;
use crate::workflow::parse::node_id_order;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// What the server said when it took a prompt.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The prompt id (ours, or Comfy Cloud's own).
    pub prompt_id: String,
    /// Queue number.
    pub number: Option<f64>,
    /// Outputs the server dropped at validation (200 with `node_errors`).
    pub dropped: Vec<NodeErrorReport>,
}

/// Submits (Ctrl-C during the submission removes the job if it landed) and reports it.
pub(super) async fn submit_reporting(
    server: &Server,
    wf: &Workflow,
    our_id: &str,
    client_id: &str,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<Submitted, ClientError> {
    let s = tokio::select! {
        r = submit(server, wf, our_id, client_id) => r?,
        _ = cancel.cancelled() => {
            super::view::cancel_on_server(server, our_id).await;
            return Err(ClientError::Cancelled);
        }
    };
    reporter.report(JobEvent::Submitted {
        prompt_id: s.prompt_id.clone(),
        number: s.number,
        nodes: wf.nodes.len(),
    });
    if !s.dropped.is_empty() {
        reporter.report(JobEvent::PartiallyRejected {
            node_errors: s.dropped.clone(),
        });
    }
    Ok(s)
}

/// A submission that nobody follows (`run --detach`).
#[derive(Debug, Clone)]
pub struct Detached {
    /// Prompt id.
    pub prompt_id: String,
    /// The client id it was submitted under: local servers send live progress only to it
    /// (none on a v2 server, whose event stream is per job).
    pub client_id: Option<String>,
    /// Queue number.
    pub number: Option<f64>,
    /// Outputs the server dropped at validation.
    pub dropped: Vec<NodeErrorReport>,
}

/// Submits without following (same retry and dedup rules as a followed job).
pub async fn submit_detached(server: &Server, wf: &Workflow) -> Result<Detached, ClientError> {
    if server.api().await == crate::client::api::Api::V2 {
        let j = super::v2::submit_detached(server, wf).await?;
        return Ok(Detached {
            prompt_id: j.id,
            client_id: None,
            number: j.queue_position.map(|p| p as f64),
            dropped: Vec::new(),
        });
    }
    let client_id = uuid::Uuid::new_v4().to_string();
    let our_id = uuid::Uuid::new_v4().to_string();
    let s = submit(server, wf, &our_id, &client_id).await?;
    Ok(Detached {
        prompt_id: s.prompt_id,
        client_id: Some(client_id),
        number: s.number,
        dropped: s.dropped,
    })
}

/// The `/prompt` body: Comfy Cloud's request has neither `client_id` nor `prompt_id`
/// (docs/protocol.md, "Comfy Cloud").
fn body(server: &Server, wf: &Workflow, our_id: &str, client_id: &str) -> Value {
    let mut body = if server.is_cloud() {
        json!({ "prompt": wf.nodes })
    } else {
        json!({ "prompt": wf.nodes, "client_id": client_id, "prompt_id": our_id })
    };
    let mut extra = serde_json::Map::new();
    if let Some(editor) = &wf.editor {
        // Like the editor: saved images then carry the workflow they came from.
        extra.insert("extra_pnginfo".into(), json!({"workflow": editor}));
    }
    if let Some(k) = &server.partner_key {
        // Partner (API) nodes bill this key; it is not the cloud login key.
        extra.insert("api_key_comfy_org".into(), json!(k.expose()));
    }
    if !extra.is_empty() {
        body["extra_data"] = Value::Object(extra);
    }
    body
}

/// POST /prompt. Retries transient failures only after checking that the first attempt did not
/// land (the client prompt id makes that check possible).
async fn submit(
    server: &Server,
    wf: &Workflow,
    our_id: &str,
    client_id: &str,
) -> Result<Submitted, ClientError> {
    let body = body(server, wf, our_id, client_id);
    let url = server.endpoint("/prompt");
    let mut attempt = 0;
    loop {
        let transient = match server.send(Method::POST, url.clone(), Some(&body)).await {
            Ok(resp) if resp.status().is_success() => {
                match crate::client::http::read_json(resp, "POST", "/prompt").await {
                    Ok(v) => {
                        return Ok(Submitted {
                            prompt_id: v
                                .get("prompt_id")
                                .and_then(Value::as_str)
                                .unwrap_or(our_id)
                                .to_string(),
                            number: v.get("number").and_then(Value::as_f64),
                            dropped: parse_node_errors(v.get("node_errors"), wf),
                        });
                    }
                    // An answer that stalls or breaks may come after the job was queued:
                    // transient, like a 5xx (the server is asked before anything is resent).
                    Err(e @ ClientError::Incomplete { .. }) if !server.is_cloud() => e,
                    Err(e) => return Err(e),
                }
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::BAD_REQUEST => {
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                return Err(match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => ClientError::Rejected(Box::new(parse_rejection(&v, wf))),
                    Err(_) => crate::client::http::http_error("POST", "/prompt", status, &bytes),
                });
            }
            // Without a client prompt id (Cloud) a retry could queue the job twice; only
            // gateway errors, which never reached the queue, are retried there.
            Ok(resp)
                if resp.status().is_server_error()
                    && (!server.is_cloud() || matches!(resp.status().as_u16(), 502..=504)) =>
            {
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                crate::client::http::http_error("POST", "/prompt", status, &bytes)
            }
            Ok(resp) => {
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                return Err(crate::client::http::http_error(
                    "POST", "/prompt", status, &bytes,
                ));
            }
            Err(e @ ClientError::Connect { .. }) if !server.is_cloud() => e,
            Err(e) => return Err(e),
        };
        if attempt + 1 >= server.retry.attempts {
            return Err(transient);
        }
        server.log(|| format!("{transient}; retrying POST /prompt"));
        tokio::time::sleep(server.retry.delay(attempt)).await;
        attempt += 1;
        // Did the failed attempt reach the queue after all? Then never submit twice.
        if !server.is_cloud() && super::view::landed(server, our_id).await.unwrap_or(false) {
            return Ok(Submitted {
                prompt_id: our_id.to_string(),
                number: None,
                dropped: Vec::new(),
            });
        }
    }
}

fn parse_node_errors(v: Option<&Value>, wf: &Workflow) -> Vec<NodeErrorReport> {
    let Some(map) = v.and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut ids: Vec<&String> = map.keys().collect();
    ids.sort_by(|a, b| node_id_order(a, b));
    ids.into_iter()
        .map(|id| {
            let ne = &map[id];
            NodeErrorReport {
                node_id: id.clone(),
                class_type: ne
                    .get("class_type")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| wf.class_type(id).map(str::to_string)),
                title: wf.title(id).map(str::to_string),
                dependent_outputs: ne
                    .get("dependent_outputs")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                errors: ne
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(parse_input_error).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn parse_input_error(e: &Value) -> InputError {
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    InputError {
        kind: s("type"),
        message: s("message"),
        details: s("details"),
        input_name: e
            .pointer("/extra_info/input_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        received_value: e.pointer("/extra_info/received_value").cloned(),
        origin: None,
        suggestion: None,
    }
}

/// Reads a 400 body from `/prompt` (local shape; a free-form body still yields a message).
pub fn parse_rejection(v: &Value, wf: &Workflow) -> Rejection {
    let err = v.get("error");
    let s = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let message = match err {
        Some(Value::String(m)) => m.clone(),
        _ => {
            let m = s("message");
            if m.is_empty() {
                v.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("validation failed")
                    .to_string()
            } else {
                m
            }
        }
    };
    Rejection {
        kind: s("type"),
        message,
        details: s("details"),
        extra_info: err
            .and_then(|e| e.get("extra_info"))
            .cloned()
            .unwrap_or(Value::Null),
        node_errors: parse_node_errors(v.get("node_errors"), wf),
    }
}
