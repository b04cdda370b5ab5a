//! Reading an API-format workflow from a file or stdin.

use super::WorkflowError;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;

/// An API-format workflow: `{node_id: {class_type, inputs, _meta?}}`, in file order.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// The nodes, keyed by id.
    pub nodes: Map<String, Value>,
    /// File name or `<stdin>`, for messages.
    pub source_name: String,
    /// Top-level keys that were not nodes (e.g. `_comment`) and were dropped.
    pub dropped_keys: Vec<String>,
    /// The editor workflow this was converted from; embedded in the submission
    /// (`extra_data.extra_pnginfo.workflow`) so saved images carry it, like the editor does.
    pub editor: Option<Value>,
    /// Model download hints from the editor nodes' `properties.models`.
    pub model_hints: Vec<super::convert::ModelHint>,
}

impl Workflow {
    /// The class of a node, if it has one.
    pub fn class_type(&self, id: &str) -> Option<&str> {
        self.nodes.get(id)?.get("class_type")?.as_str()
    }

    /// The `_meta.title` of a node, if set.
    pub fn title(&self, id: &str) -> Option<&str> {
        self.nodes.get(id)?.get("_meta")?.get("title")?.as_str()
    }

    /// `id (Class), …` for error messages.
    pub fn describe_nodes(&self) -> String {
        let mut ids: Vec<&String> = self.nodes.keys().collect();
        ids.sort_by(|a, b| node_id_order(a, b));
        ids.iter()
            .map(|id| format!("{id} ({})", self.class_type(id).unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Orders node ids numerically where they are numbers ("2" < "10"), text otherwise.
pub fn node_id_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| -> Vec<(u64, String)> {
        s.split(['.', ':'])
            .map(|p| match p.parse::<u64>() {
                Ok(n) => (n, String::new()),
                Err(_) => (u64::MAX, p.to_string()),
            })
            .collect()
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// A workflow file as read: an API prompt, or an editor (UI-format) workflow that needs the
/// server's node definitions to become one.
#[derive(Debug, Clone)]
pub enum Document {
    /// API format.
    Api(Workflow),
    /// As the editor saves it; convert with [`super::convert::convert`].
    Ui {
        /// The whole document.
        value: Value,
        /// File name or `<stdin>`.
        source_name: String,
    },
}

/// Reads a workflow from `path`, or from stdin when `path` is `-`; UI format is an error.
pub fn load(path: &Path) -> Result<Workflow, WorkflowError> {
    match load_document(path)? {
        Document::Api(w) => Ok(w),
        Document::Ui { source_name, .. } => Err(WorkflowError::UiFormat { source_name }),
    }
}

/// Reads an API or UI-format workflow from `path`, or from stdin when `path` is `-`.
pub fn load_document(path: &Path) -> Result<Document, WorkflowError> {
    let (text, name) = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| WorkflowError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        (text, "<stdin>".to_string())
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| WorkflowError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        (text, path.display().to_string())
    };
    parse_document(&text, &name)
}

/// Parses text that may be either format.
pub fn parse_document(text: &str, source_name: &str) -> Result<Document, WorkflowError> {
    match parse_str(text, source_name) {
        Err(WorkflowError::UiFormat { .. }) => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let value: Value = serde_json::from_str(text).expect("parsed once already");
            Ok(Document::Ui {
                value,
                source_name: source_name.to_string(),
            })
        }
        other => other.map(Document::Api),
    }
}

/// Parses workflow text. Accepts a bare API workflow or a saved `/prompt` body
/// (`{"prompt": {...}}`); recognises the editor's UI format and says so.
pub fn parse_str(text: &str, source_name: &str) -> Result<Workflow, WorkflowError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| WorkflowError::Json {
        source_name: source_name.to_string(),
        line: e.line(),
        column: e.column().max(1),
        message: strip_position(&e.to_string()),
    })?;
    let not = |reason: &str| WorkflowError::NotAWorkflow {
        source_name: source_name.to_string(),
        reason: reason.to_string(),
    };
    let Value::Object(mut top) = value else {
        return Err(not("the top level is not a JSON object"));
    };
    if top.get("nodes").is_some_and(Value::is_array) && top.contains_key("links") {
        return Err(WorkflowError::UiFormat {
            source_name: source_name.to_string(),
        });
    }
    // A saved POST /prompt body: {"prompt": {...}, "client_id": ...}.
    if let Some(Value::Object(inner)) = top.get("prompt")
        && !inner.contains_key("class_type")
        && inner.values().any(is_node)
    {
        let Some(Value::Object(inner)) = top.remove("prompt") else {
            unreachable!()
        };
        top = inner;
    }
    let mut nodes = Map::new();
    let mut dropped_keys = Vec::new();
    for (k, v) in top {
        if is_node(&v) {
            let mut v = v;
            if let Some(obj) = v.as_object_mut()
                && !obj.contains_key("inputs")
            {
                obj.insert("inputs".into(), Value::Object(Map::new()));
            }
            nodes.insert(k, v);
        } else {
            dropped_keys.push(k);
        }
    }
    if nodes.is_empty() {
        return Err(not(
            "no object has a \"class_type\" (expected {\"3\": {\"class_type\": \"KSampler\", \"inputs\": {…}}, …})",
        ));
    }
    Ok(Workflow {
        nodes,
        source_name: source_name.to_string(),
        dropped_keys,
        editor: None,
        model_hints: Vec::new(),
    })
}

fn is_node(v: &Value) -> bool {
    v.get("class_type").is_some_and(Value::is_string)
        && v.get("inputs").is_none_or(Value::is_object)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_api_format_in_order() {
        let wf = parse_str(
            r#"{"9": {"class_type": "SaveImage", "inputs": {}}, "_comment": "x", "3": {"class_type": "KSampler", "inputs": {"seed": 1}}}"#,
            "w.json",
        )
        .unwrap();
        assert_eq!(wf.nodes.keys().collect::<Vec<_>>(), ["9", "3"]);
        assert_eq!(wf.dropped_keys, ["_comment"]);
    }

    #[test]
    fn json_error_has_position() {
        let err = parse_str("{\n  \"3\": {\"class_type\": \"A\",}\n}", "bad.json").unwrap_err();
        let s = err.to_string();
        assert!(s.starts_with("bad.json:2:"), "{s}");
        assert!(!s.contains(" at line "), "{s}");
    }

    #[test]
    fn recognises_ui_format_and_prompt_body() {
        let err =
            parse_str(r#"{"nodes": [], "links": [], "version": 0.4}"#, "ui.json").unwrap_err();
        assert!(matches!(err, WorkflowError::UiFormat { .. }));
        let wf = parse_str(
            r#"{"prompt": {"1": {"class_type": "A", "inputs": {}}}, "client_id": "x"}"#,
            "b",
        )
        .unwrap();
        assert_eq!(wf.class_type("1"), Some("A"));
        assert!(parse_str("[]", "a").is_err());
        assert!(parse_str("{}", "a").is_err());
    }

    #[test]
    fn orders_ids_numerically() {
        let mut v = vec!["10", "9", "2", "5.0.0.3", "a"];
        v.sort_by(|a, b| node_id_order(a, b));
        assert_eq!(v, ["2", "5.0.0.3", "9", "10", "a"]);
    }
}
