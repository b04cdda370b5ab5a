//! Validation failures in the server's shape (`error` + `node_errors`), whether the server or
//! comfyctl's own validator found them, so both print and serialise the same way.

use serde::Serialize;

/// One node's validation errors as the server reported them (HTTP 400, or a 200 with
/// `node_errors`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NodeErrorReport {
    /// Node id.
    pub node_id: String,
    /// Class from the server, or from the workflow.
    pub class_type: Option<String>,
    /// `_meta.title` from the workflow.
    pub title: Option<String>,
    /// Output nodes that depend on it.
    pub dependent_outputs: Vec<String>,
    /// Each error.
    pub errors: Vec<InputError>,
}

/// One entry of a node's `errors` list.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InputError {
    /// e.g. `value_not_in_list`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Human message from the server.
    pub message: String,
    /// Details (often the real cause).
    pub details: String,
    /// `extra_info.input_name`.
    pub input_name: Option<String>,
    /// `extra_info.received_value`.
    pub received_value: Option<serde_json::Value>,
    /// What the user typed that set this input (`-p steps=0`), when comfyctl knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The closest allowed value, for `value_not_in_list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The server refused the prompt (HTTP 400 from `/prompt`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Rejection {
    /// Top-level `error.type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Top-level message.
    pub message: String,
    /// Top-level details (often empty; the cause is in `node_errors`).
    pub details: String,
    /// `error.extra_info`.
    pub extra_info: serde_json::Value,
    /// Per-node errors.
    pub node_errors: Vec<NodeErrorReport>,
}
