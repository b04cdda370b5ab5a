//! The shapes of the MCP tools that have no CLI command printing them, in the same envelope
//! (`type`, `schema_version`) as every other report.

use crate::report::Shape;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// The model files of one folder on a server (`list_models`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelsReport {
    /// The server (credentials redacted).
    pub server: String,
    /// The folder under `models/` (`checkpoints`, `loras`, …).
    pub folder: String,
    /// File names, as workflows name them.
    pub models: Vec<String>,
}

impl Shape for ModelsReport {
    const TYPE: &'static str = "models";
}

/// An editor workflow in API format (`convert_workflow`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Converted {
    /// The workflow converted.
    pub workflow: String,
    /// Nodes in the API format.
    pub nodes: usize,
    /// Where it was written, when asked to write it.
    pub written: Option<String>,
    /// The API-format prompt (left out when written to a file).
    pub prompt: Option<Value>,
}

impl Shape for Converted {
    const TYPE: &'static str = "converted";
}
