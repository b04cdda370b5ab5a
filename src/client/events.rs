//! Server → client WebSocket messages, parsed leniently: unknown types and fields are ignored and
//! optional fields stay optional, so servers from 0.3.x to the newest all work (docs/protocol.md, "Compatibility").

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

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

/// The envelope, with `data` left unparsed until the type is known.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// A node or prompt id as `str_field` reads it: a string, or a number (some custom nodes);
/// anything else is no id.
#[derive(Default)]
struct Id(Option<String>);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id")
            }
            fn visit_str<E>(self, s: &str) -> Result<Id, E> {
                Ok(Id(Some(s.to_string())))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Id, E> {
                Ok(Id(Some(n.to_string())))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Id, E> {
                Ok(Id(Some(n.to_string())))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Id, E> {
                Ok(Id(serde_json::Number::from_f64(n).map(|n| n.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Id, E> {
                Ok(Id(None))
            }
            fn visit_unit<E>(self) -> Result<Id, E> {
                Ok(Id(None))
            }
            fn visit_none<E>(self) -> Result<Id, E> {
                Ok(Id(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Id, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Id, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Id(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Id, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Id(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `progress` data, typed: the firehose message, parsed without building a tree.
#[derive(Deserialize)]
struct ProgressData {
    #[serde(default)]
    prompt_id: Id,
    #[serde(default)]
    node: Id,
    value: Option<f64>,
    max: Option<f64>,
}

/// `progress_state` data, typed: only each node's state is read.
#[derive(Deserialize)]
struct ProgressStateData<'a> {
    #[serde(default)]
    prompt_id: Id,
    #[serde(borrow, default)]
    nodes: Option<BTreeMap<Cow<'a, str>, NodeState<'a>>>,
}

#[derive(Deserialize)]
struct NodeState<'a> {
    #[serde(borrow)]
    state: Option<Cow<'a, str>>,
}

/// Parses a text frame. Invalid JSON is `None`.
///
/// Progress messages arrive by the hundred thousand in a long job with previews, so they are
/// read into typed structs straight from the text; every other type is rare and goes through a
/// `Value`.
pub fn parse_text(text: &str) -> Option<ServerMessage> {
    let env: Envelope = serde_json::from_str(text).ok()?;
    let raw = env.data.map(RawValue::get).unwrap_or("null");
    match env.kind.as_ref() {
        "progress" => {
            if let Ok(p) = serde_json::from_str::<ProgressData>(raw) {
                return Some(ServerMessage::Progress {
                    prompt_id: p.prompt_id.0,
                    node: p.node.0,
                    value: p.value.unwrap_or(0.0),
                    max: p.max.unwrap_or(0.0),
                });
            }
        }
        "progress_state" => {
            if let Ok(p) = serde_json::from_str::<ProgressStateData>(raw) {
                return Some(ServerMessage::ProgressState {
                    prompt_id: p.prompt_id.0,
                    finished: p
                        .nodes
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|(_, n)| n.state.as_deref() == Some("finished"))
                        .map(|(k, _)| k.into_owned())
                        .collect(),
                });
            }
        }
        _ => {}
    }
    let kind = env.kind.into_owned();
    let d: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
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

/// Parses a binary frame (big-endian u32 type, docs/protocol.md, "WebSocket"). Short or unknown frames become
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

    /// The typed progress path reads what the `Value` path would, for every shape a server or a
    /// custom node may send.
    #[test]
    fn progress_messages_parse_like_the_generic_path() {
        let fmt = |m: Option<ServerMessage>| format!("{m:?}");
        for (text, want) in [
            (
                r#"{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p","node":"3"}}"#,
                r#"Some(Progress { prompt_id: Some("p"), node: Some("3"), value: 3.0, max: 20.0 })"#,
            ),
            (
                r#"{"type":"progress","data":{"value":1,"max":2}}"#,
                r#"Some(Progress { prompt_id: None, node: None, value: 1.0, max: 2.0 })"#,
            ),
            (
                r#"{"type":"progress","data":{"value":1.5,"max":2,"node":12,"prompt_id":null,"x":{"y":[1]}}}"#,
                r#"Some(Progress { prompt_id: None, node: Some("12"), value: 1.5, max: 2.0 })"#,
            ),
            (
                r#"{"type":"progress","data":{"value":"oops","max":2,"node":["a"]}}"#,
                r#"Some(Progress { prompt_id: None, node: None, value: 0.0, max: 2.0 })"#,
            ),
            (
                r#"{"type":"progress"}"#,
                r#"Some(Progress { prompt_id: None, node: None, value: 0.0, max: 0.0 })"#,
            ),
            (
                r#"{"type":"progress_state","data":{"prompt_id":"p","nodes":{"9":{"state":"finished","value":1},"3":{"state":"running"},"1\u0032":{"state":"finished"}}}}"#,
                r#"Some(ProgressState { prompt_id: Some("p"), finished: ["12", "9"] })"#,
            ),
            (
                r#"{"type":"progress_state","data":{"prompt_id":"p","nodes":{"3":{"state":5}}}}"#,
                r#"Some(ProgressState { prompt_id: Some("p"), finished: [] })"#,
            ),
            (
                r#"{"type":"progress_state","data":{"prompt_id":"p"}}"#,
                r#"Some(ProgressState { prompt_id: Some("p"), finished: [] })"#,
            ),
        ] {
            assert_eq!(fmt(parse_text(text)), want, "{text}");
        }
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
