//! Server → client WebSocket messages, parsed leniently: unknown types and fields are ignored and
//! optional fields stay optional, so servers from 0.3.x to the newest all work (protocol §7).

use serde::Serialize;
use serde_json::Value;

/// An execution error as the server reports it (WebSocket or history).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExecError {
    /// Failing node (may be an expansion id such as `5.0.0.3`).
    pub node_id: Option<String>,
    /// Its class.
    pub node_type: Option<String>,
    /// Python exception type, e.g. `RuntimeError`.
    pub exception_type: Option<String>,
    /// The message.
    pub exception_message: Option<String>,
    /// Traceback lines.
    pub traceback: Vec<String>,
    /// Nodes that had finished before the failure.
    pub executed: Vec<String>,
}

impl ExecError {
    /// Parses the `execution_error` data object.
    pub fn from_data(d: &Value) -> Self {
        ExecError {
            node_id: str_field(d, "node_id"),
            node_type: str_field(d, "node_type"),
            exception_type: str_field(d, "exception_type"),
            exception_message: str_field(d, "exception_message"),
            traceback: d
                .get("traceback")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            executed: id_list(d.get("executed")),
        }
    }
}

/// Image format of a preview frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG (sampler previews).
    Jpeg,
    /// PNG (SaveImageWebsocket and some previews).
    Png,
    /// Something else.
    Unknown,
}

/// Parsed server message.
#[derive(Debug, Clone)]
pub enum ServerMessage {
    /// Queue size; `sid` only on the first message after connecting.
    Status {
        /// Pending + running.
        queue_remaining: Option<u64>,
        /// Session id.
        sid: Option<String>,
    },
    /// The server's feature flags.
    FeatureFlags(Value),
    /// A prompt started.
    ExecutionStart {
        /// Prompt.
        prompt_id: Option<String>,
    },
    /// Nodes served from cache.
    ExecutionCached {
        /// Prompt.
        prompt_id: Option<String>,
        /// Node ids.
        nodes: Vec<String>,
    },
    /// A node started, or `node: None` at the end of every run.
    Executing {
        /// Prompt (absent in the reconnect replay).
        prompt_id: Option<String>,
        /// Node id.
        node: Option<String>,
        /// Node to show in UIs.
        display_node: Option<String>,
    },
    /// Sampling step progress.
    Progress {
        /// Prompt (absent before 2024).
        prompt_id: Option<String>,
        /// Node (absent before 2024).
        node: Option<String>,
        /// Current step.
        value: f64,
        /// Steps.
        max: f64,
    },
    /// Per-node progress (0.3.45+); the runner uses it only to count finished nodes.
    ProgressState {
        /// Prompt.
        prompt_id: Option<String>,
        /// Nodes in `finished` state.
        finished: Vec<String>,
    },
    /// A node produced UI output (`output` may be null for cached nodes).
    Executed {
        /// Prompt.
        prompt_id: Option<String>,
        /// Node.
        node: Option<String>,
        /// Output dict.
        output: Option<Value>,
    },
    /// The run succeeded (0.0.3+).
    ExecutionSuccess {
        /// Prompt.
        prompt_id: Option<String>,
    },
    /// The run failed; `blocked` errors (ExecutionBlocked) do not end the run.
    ExecutionError {
        /// Prompt.
        prompt_id: Option<String>,
        /// Details.
        error: ExecError,
        /// `exception_type == "ExecutionBlocked"`.
        blocked: bool,
    },
    /// The run was interrupted.
    ExecutionInterrupted {
        /// Prompt.
        prompt_id: Option<String>,
        /// Node running at the time.
        node_id: Option<String>,
        /// Its class.
        node_type: Option<String>,
    },
    /// Comfy Cloud's user-facing status text.
    Notification {
        /// The text.
        value: String,
    },
    /// Binary type 1 or 4.
    Preview {
        /// Format.
        format: ImageFormat,
        /// Type-4 metadata (prompt and node attribution).
        metadata: Option<Value>,
        /// Encoded image.
        image: Vec<u8>,
    },
    /// Binary type 3.
    Text {
        /// Node id.
        node_id: String,
        /// Text.
        text: String,
    },
    /// Server log lines for sockets subscribed through `/internal/logs/subscribe`.
    Logs {
        /// `(ISO time, text)` pairs.
        entries: Vec<(String, String)>,
    },
    /// Anything else (custom node messages, new types, unknown binary frames).
    Other {
        /// Message type, or `binary:N`.
        kind: String,
    },
}

impl ServerMessage {
    /// The prompt id the message carries, if any.
    pub fn prompt_id(&self) -> Option<&str> {
        match self {
            ServerMessage::ExecutionStart { prompt_id }
            | ServerMessage::ExecutionCached { prompt_id, .. }
            | ServerMessage::Executing { prompt_id, .. }
            | ServerMessage::Progress { prompt_id, .. }
            | ServerMessage::ProgressState { prompt_id, .. }
            | ServerMessage::Executed { prompt_id, .. }
            | ServerMessage::ExecutionSuccess { prompt_id }
            | ServerMessage::ExecutionError { prompt_id, .. }
            | ServerMessage::ExecutionInterrupted { prompt_id, .. } => prompt_id.as_deref(),
            ServerMessage::Preview {
                metadata: Some(m), ..
            } => m.get("prompt_id").and_then(Value::as_str),
            _ => None,
        }
    }
}

fn str_field(d: &Value, key: &str) -> Option<String> {
    match d.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a text frame. Invalid JSON is `None`.
pub fn parse_text(text: &str) -> Option<ServerMessage> {
    let v: Value = serde_json::from_str(text).ok()?;
    let kind = v.get("type")?.as_str()?.to_string();
    let d = v.get("data").cloned().unwrap_or(Value::Null);
    let pid = str_field(&d, "prompt_id");
    let num = |k: &str| d.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    Some(match kind.as_str() {
        "status" => ServerMessage::Status {
            queue_remaining: d
                .pointer("/status/exec_info/queue_remaining")
                .and_then(Value::as_u64),
            sid: str_field(&d, "sid"),
        },
        "feature_flags" => ServerMessage::FeatureFlags(d),
        "execution_start" => ServerMessage::ExecutionStart { prompt_id: pid },
        "execution_cached" => ServerMessage::ExecutionCached {
            prompt_id: pid,
            nodes: id_list(d.get("nodes")),
        },
        "executing" => ServerMessage::Executing {
            prompt_id: pid,
            node: str_field(&d, "node"),
            display_node: str_field(&d, "display_node"),
        },
        "progress" => ServerMessage::Progress {
            prompt_id: pid,
            node: str_field(&d, "node"),
            value: num("value"),
            max: num("max"),
        },
        "progress_state" => ServerMessage::ProgressState {
            prompt_id: pid,
            finished: d
                .get("nodes")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter(|(_, n)| n.get("state").and_then(Value::as_str) == Some("finished"))
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default(),
        },
        "executed" => ServerMessage::Executed {
            prompt_id: pid,
            node: str_field(&d, "node"),
            output: d.get("output").filter(|o| !o.is_null()).cloned(),
        },
        "execution_success" => ServerMessage::ExecutionSuccess { prompt_id: pid },
        "execution_error" => {
            let error = ExecError::from_data(&d);
            let blocked = error.exception_type.as_deref() == Some("ExecutionBlocked");
            ServerMessage::ExecutionError {
                prompt_id: pid,
                error,
                blocked,
            }
        }
        "execution_interrupted" => ServerMessage::ExecutionInterrupted {
            prompt_id: pid,
            node_id: str_field(&d, "node_id"),
            node_type: str_field(&d, "node_type"),
        },
        "notification" => ServerMessage::Notification {
            value: str_field(&d, "value").unwrap_or_default(),
        },
        "logs" => ServerMessage::Logs {
            entries: log_entries(&d),
        },
        _ => ServerMessage::Other { kind },
    })
}

/// `{"entries": [{"t", "m"}]}` as pairs (the `logs` message and `/internal/logs/raw`).
pub fn log_entries(d: &Value) -> Vec<(String, String)> {
    d.get("entries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (s("t"), s("m"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a binary frame (big-endian u32 type, protocol §3.5). Short or unknown frames become
/// `Other` rather than errors.
pub fn parse_binary(data: &[u8]) -> ServerMessage {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if data.len() < 4 {
        return ServerMessage::Other {
            kind: "binary:short".into(),
        };
    }
    let event = be(&data[..4]);
    let payload = &data[4..];
    match event {
        1 if payload.len() >= 4 => ServerMessage::Preview {
            format: match be(&payload[..4]) {
                1 => ImageFormat::Jpeg,
                2 => ImageFormat::Png,
                _ => ImageFormat::Unknown,
            },
            metadata: None,
            image: payload[4..].to_vec(),
        },
        3 if payload.len() >= 4 => {
            let n = be(&payload[..4]) as usize;
            if payload.len() < 4 + n {
                return ServerMessage::Other {
                    kind: "binary:3".into(),
                };
            }
            ServerMessage::Text {
                node_id: String::from_utf8_lossy(&payload[4..4 + n]).into_owned(),
                text: String::from_utf8_lossy(&payload[4 + n..]).into_owned(),
            }
        }
        4 if payload.len() >= 4 => {
            let n = be(&payload[..4]) as usize;
            if payload.len() < 4 + n {
                return ServerMessage::Other {
                    kind: "binary:4".into(),
                };
            }
            let metadata: Option<Value> = serde_json::from_slice(&payload[4..4 + n]).ok();
            let format = match metadata
                .as_ref()
                .and_then(|m| m.get("image_type"))
                .and_then(Value::as_str)
            {
                Some("image/png") => ImageFormat::Png,
                Some("image/jpeg") => ImageFormat::Jpeg,
                _ => sniff(&payload[4 + n..]),
            };
            ServerMessage::Preview {
                format,
                metadata,
                image: payload[4 + n..].to_vec(),
            }
        }
        other => ServerMessage::Other {
            kind: format!("binary:{other}"),
        },
    }
}

fn sniff(img: &[u8]) -> ImageFormat {
    if img.starts_with(&[0xff, 0xd8]) {
        ImageFormat::Jpeg
    } else if img.starts_with(b"\x89PNG") {
        ImageFormat::Png
    } else {
        ImageFormat::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_messages() {
        let m = parse_text(r#"{"type": "executing", "data": {"node": null, "prompt_id": "p"}}"#)
            .unwrap();
        assert!(
            matches!(m, ServerMessage::Executing { node: None, prompt_id: Some(ref p), .. } if p == "p")
        );
        let m = parse_text(r#"{"type": "executing", "data": {"node": "3"}}"#).unwrap();
        assert!(matches!(
            m,
            ServerMessage::Executing {
                node: Some(_),
                prompt_id: None,
                ..
            }
        ));
        let m = parse_text(r#"{"type":"execution_error","data":{"prompt_id":"p","node_id":"2","node_type":"X","executed":[],"exception_message":"Execution Blocked: x","exception_type":"ExecutionBlocked","traceback":[],"current_inputs":[],"current_outputs":[]}}"#).unwrap();
        assert!(matches!(
            m,
            ServerMessage::ExecutionError { blocked: true, .. }
        ));
        let m = parse_text(r#"{"type":"my.custom","data":{"x":1}}"#).unwrap();
        assert!(matches!(m, ServerMessage::Other { ref kind } if kind == "my.custom"));
        assert!(parse_text("not json").is_none());
    }

    #[test]
    fn parses_binary_layouts() {
        let mut f = vec![0, 0, 0, 3, 0, 0, 0, 2];
        f.extend_from_slice(b"12hello");
        assert!(
            matches!(parse_binary(&f), ServerMessage::Text { ref node_id, ref text } if node_id == "12" && text == "hello")
        );
        let f = [0, 0, 0, 1, 0, 0, 0, 2, 0x89, b'P'];
        assert!(matches!(
            parse_binary(&f),
            ServerMessage::Preview {
                format: ImageFormat::Png,
                ..
            }
        ));
        assert!(matches!(
            parse_binary(&[0, 0, 0, 9, 1]),
            ServerMessage::Other { .. }
        ));
        assert!(matches!(
            parse_binary(&[0, 0, 0, 4, 0, 0, 1, 0]),
            ServerMessage::Other { .. }
        ));
        assert!(matches!(parse_binary(&[1]), ServerMessage::Other { .. }));
    }
}
