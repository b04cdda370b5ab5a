//! API-format workflows: reading them, and changing inputs before submission.
//! Never sees clap types, so it is tested directly.

pub mod convert;
pub mod frontend;
pub mod inject;
pub mod nodedefs;
pub mod params;
pub mod parse;
pub mod schema;
pub mod validate;

pub use inject::{SetArg, apply_sets, parse_set};
pub use parse::{Document, Workflow, load, load_document, parse_document, parse_str};

use std::path::PathBuf;

/// Everything that can be wrong with a workflow or a `--set` before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The file could not be read.
    #[error("cannot read workflow {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid JSON.
    #[error("{source_name}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// File name or `<stdin>`.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A UI-format (editor-saved) workflow.
    #[error(
        "{source_name} is a UI-format workflow (as the editor saves it); converting it needs the server's node definitions: give --url/--profile or --object-info FILE"
    )]
    UiFormat {
        /// File name.
        source_name: String,
    },
    /// Valid JSON but not a workflow.
    #[error("{source_name} is not an API-format workflow: {reason}")]
    NotAWorkflow {
        /// File name.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// `--set` syntax.
    #[error("invalid {flag} '{arg}': {reason}")]
    BadSet {
        /// `--set` or `--set-json`.
        flag: &'static str,
        /// The argument as given.
        arg: String,
        /// Why.
        reason: String,
    },
    /// No such node.
    #[error("no node '{node}' in the workflow; nodes: {available}")]
    UnknownNode {
        /// What was asked for.
        node: String,
        /// `id (class)` list.
        available: String,
    },
    /// A title that matches several nodes.
    #[error("'{node}' is the title of several nodes ({ids}); use the node id")]
    AmbiguousNode {
        /// The title.
        node: String,
        /// Matching ids.
        ids: String,
    },
    /// No such input on that node.
    #[error("node {node} ({class_type}) has no input '{input}'; inputs: {available}")]
    UnknownInput {
        /// Node id.
        node: String,
        /// Its class.
        class_type: String,
        /// What was asked for.
        input: String,
        /// Known inputs.
        available: String,
    },
    /// The input is wired to another node.
    #[error(
        "input '{input}' of node {node} ({class_type}) is linked to output {from_output} of node {from_node} ({from_class}); setting a literal would cut that link"
    )]
    LinkedInput {
        /// Node id.
        node: String,
        /// Its class.
        class_type: String,
        /// Input name.
        input: String,
        /// Upstream node id.
        from_node: String,
        /// Upstream class.
        from_class: String,
        /// Upstream output index.
        from_output: String,
    },
    /// Node types in an editor workflow that the server does not have.
    #[error("{source_name}: {count} node type(s) are not installed on the server: {types}")]
    UnknownNodeTypes {
        /// File name.
        source_name: String,
        /// How many distinct types.
        count: usize,
        /// `Type (#id "title", …); …`.
        types: String,
    },
    /// An editor workflow that cannot be converted.
    #[error("{source_name}: cannot convert the editor workflow: {reason}")]
    Convert {
        /// File name.
        source_name: String,
        /// What could not be mapped, naming the editor node.
        reason: String,
    },
    /// `-p` syntax.
    #[error("invalid -p '{arg}': {reason}")]
    BadParam {
        /// The argument as given.
        arg: String,
        /// Why.
        reason: String,
    },
    /// A name that is not a friendly parameter of this workflow.
    #[error("{}", unknown_param_message(.name, .available, .known_elsewhere, .suggestion.as_deref()))]
    UnknownParam {
        /// What was typed.
        name: String,
        /// Parameters this workflow has.
        available: Vec<String>,
        /// The name is a friendly name, but this workflow has nothing it maps to.
        known_elsewhere: bool,
        /// The closest available name.
        suggestion: Option<String>,
    },
    /// `name@NODE` where NODE is not one of the parameter's nodes.
    #[error("{name}@{node}: node {node} is not one of the nodes '{name}' sets ({targets})")]
    ParamNotOnNode {
        /// Parameter.
        name: String,
        /// Node as typed.
        node: String,
        /// `id.input` list.
        targets: String,
    },
    /// A value that does not fit the input's type.
    #[error("input '{input}' of node {node} ({class_type}) holds {expected}; '{value}' is not one")]
    BadValue {
        /// Node id.
        node: String,
        /// Its class.
        class_type: String,
        /// Input name.
        input: String,
        /// Given text.
        value: String,
        /// "an integer", "a number", …
        expected: &'static str,
    },
}

fn unknown_param_message(
    name: &str,
    available: &[String],
    known_elsewhere: &bool,
    suggestion: Option<&str>,
) -> String {
    let mut m = if *known_elsewhere {
        format!("this workflow has no '{name}' parameter")
    } else {
        format!("unknown parameter '{name}'")
    };
    if let Some(s) = suggestion {
        m.push_str(&format!(" (did you mean '{s}'?)"));
    }
    if available.is_empty() {
        m.push_str("; the workflow has no friendly parameters: use NODE.input=VALUE");
    } else {
        m.push_str(&format!(
            "; this workflow has: {} (or use NODE.input=VALUE)",
            available.join(", ")
        ));
    }
    m
}
