//! The editor golden files (`tests/fixtures/editor-golden/*.jsonl`, written by
//! `scripts/editor-oracle.sh`) and the node-by-node comparison of a conversion with them.
//! Shared by the `it` tests and `examples/corpus.rs`.
//!
//! Differences come in three kinds, reported apart:
//! - real: a node, class, input value or link target that differs;
//! - editor value invalid: the editor sends a value that fails the server's declared type,
//!   range or options where ours passes (the editor mis-mapped saved values; not copied);
//! - formatting: equal values written differently (`1.0` for the editor's `1`).
//!
//! Normalisations, all of them: node and input order are not compared (JSON objects; the
//! server reads them by key), and `_meta` is not compared (the server never reads it; only
//! `title` is shown, in error messages).
#![allow(dead_code)]

use comfyctl::workflow::nodedefs::{InputKind, NodeDefs};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::Path;

/// One line of a golden file: what the editor sent for one template, or why it could not.
#[derive(Debug, Deserialize)]
pub struct Golden {
    /// Template file name.
    pub template: String,
    /// Editor version that produced it.
    pub frontend: Option<String>,
    /// `graphToPrompt().output`, as the editor wrote it.
    pub output: Option<BTreeMap<String, RawNode>>,
    /// The editor could not load or convert the template.
    pub error: Option<String>,
    /// Errors the editor logged while loading it.
    #[serde(default)]
    pub console: Vec<String>,
}

/// One node of the editor's output, its input values kept as written.
#[derive(Debug, Deserialize)]
pub struct RawNode {
    /// Input name → value text.
    pub inputs: BTreeMap<String, Box<RawValue>>,
    /// Class.
    pub class_type: String,
}

/// Reads a golden file.
pub fn read(path: &Path) -> Vec<Golden> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Not the same values or links.
    Real,
    /// The editor's value fails the server's declared type, range or options; ours does not.
    EditorInvalid,
    /// The same value, written differently.
    Formatting,
}

/// One difference between the editor's output and ours.
#[derive(Debug, Clone)]
pub struct Diff {
    /// Template file name.
    pub template: String,
    /// Node id.
    pub node: String,
    /// Its class.
    pub class: String,
    /// The input; `None` for a whole node.
    pub input: Option<String>,
    /// What the editor sent (JSON text; `-` for nothing).
    pub editor: String,
    /// What we send.
    pub ours: String,
    /// Kind.
    pub kind: Kind,
    /// Why the editor's value is invalid (for [`Kind::EditorInvalid`]).
    pub why: Option<String>,
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let input = self.input.as_deref().unwrap_or("(node)");
        write!(
            f,
            "{}: node {} ({}) {}: editor {} / ours {}",
            self.template, self.node, self.class, input, self.editor, self.ours
        )?;
        if let Some(w) = &self.why {
            write!(f, " — editor's value {w}")?;
        }
        Ok(())
    }
}

fn short(text: &str) -> String {
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text.to_string()
    }
}

/// Equal as JSON values, numbers by value (`1` equals `1.0`).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || (x.as_f64().is_some() && x.as_f64() == y.as_f64())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Why a value fails the server's declared type, range or options, if it does.
pub fn invalid_for(
    defs: &NodeDefs,
    class: &str,
    input: &str,
    v: &Value,
    ours: &Value,
) -> Option<String> {
    let spec = defs.get(class)?.input(input)?;
    let num = v.as_f64();
    let range = |x: f64, min: &Option<f64>, max: &Option<f64>| -> Option<String> {
        if let Some(m) = min
            && x < *m
        {
            return Some(format!("is below the minimum {m}"));
        }
        if let Some(m) = max
            && x > *m
        {
            return Some(format!("is above the maximum {m}"));
        }
        None
    };
    match &spec.kind {
        InputKind::Int { min, max, .. } => match num {
            Some(x) if x.fract() == 0.0 => range(x, min, max),
            Some(_) => Some("is not an integer (INT input)".into()),
            None if v.is_array() => None,
            None => Some("is not a number (INT input)".into()),
        },
        InputKind::Float { min, max, .. } => match num {
            Some(x) => range(x, min, max),
            None if v.is_array() => None,
            None => Some("is not a number (FLOAT input)".into()),
        },
        InputKind::Boolean if !v.is_boolean() && !v.is_array() => {
            Some("is not a boolean (BOOLEAN input)".into())
        }
        // A list of file names the recording server fills from its folders may be empty;
        // its values are strings all the same.
        InputKind::Combo { options, .. } if options.is_empty() && !v.is_string() => {
            Some("is not a string (COMBO input)".into())
        }
        InputKind::Combo {
            options,
            open: false,
            ..
        } if !options.is_empty() && !v.is_array() && !options.contains(v) => {
            let kind_of = |x: &Value| std::mem::discriminant(x);
            if options.iter().all(|o| kind_of(o) != kind_of(v)) {
                Some("is not of the list's type".into())
            } else if options.contains(ours) {
                Some("is not one of the declared options".into())
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Compares our prompt with the editor's, node by node.
pub fn compare(
    template: &str,
    editor: &BTreeMap<String, RawNode>,
    ours: &serde_json::Map<String, Value>,
    defs: &NodeDefs,
) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let none = "-".to_string();
    let mut ids: Vec<&String> = editor.keys().chain(ours.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let e = editor.get(id);
        let o = ours.get(id);
        let our_class = o
            .and_then(|o| o.get("class_type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let class = e.map(|e| e.class_type.as_str()).unwrap_or(our_class);
        let node_diff = |editor: String, ours: String| Diff {
            template: template.to_string(),
            node: id.clone(),
            class: class.to_string(),
            input: None,
            editor,
            ours,
            kind: Kind::Real,
            why: None,
        };
        let (Some(e), Some(o)) = (e, o) else {
            diffs.push(if e.is_some() {
                node_diff("sent".into(), none.clone())
            } else {
                node_diff(none.clone(), "sent".into())
            });
            continue;
        };
        if e.class_type != our_class {
            diffs.push(node_diff(e.class_type.clone(), our_class.to_string()));
            continue;
        }
        let node_start = diffs.len();
        let empty = serde_json::Map::new();
        let our_inputs = o.get("inputs").and_then(Value::as_object).unwrap_or(&empty);
        let mut names: Vec<&String> = e.inputs.keys().chain(our_inputs.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let ev: Option<Value> = e
                .inputs
                .get(name)
                .map(|r| serde_json::from_str(r.get()).expect("golden value"));
            let ov = our_inputs.get(name);
            let etext = e.inputs.get(name).map(|r| r.get().to_string());
            let otext = ov.map(|v| serde_json::to_string(v).unwrap());
            if etext == otext {
                continue;
            }
            let mut d = Diff {
                template: template.to_string(),
                node: id.clone(),
                class: class.to_string(),
                input: Some(name.clone()),
                editor: short(etext.as_deref().unwrap_or("-")),
                ours: short(otext.as_deref().unwrap_or("-")),
                kind: Kind::Real,
                why: None,
            };
            match (&ev, ov) {
                (Some(a), Some(b)) if same_value(a, b) => d.kind = Kind::Formatting,
                (Some(a), Some(b)) => {
                    if let Some(why) = invalid_for(defs, class, name, a, b)
                        && invalid_for(defs, class, name, b, b).is_none()
                    {
                        d.kind = Kind::EditorInvalid;
                        d.why = Some(why);
                    }
                }
                _ => {}
            }
            diffs.push(d);
        }
        // Where the editor's values fail the definition, it has shifted the node's saved values
        // onto the wrong widgets: its other differing values there come from the same shift.
        let node_diffs = &mut diffs[node_start..];
        if node_diffs.iter().any(|d| d.kind == Kind::EditorInvalid) {
            for d in node_diffs
                .iter_mut()
                .filter(|d| d.kind == Kind::Real && d.editor != "-" && d.ours != "-")
                .filter(|d| !d.editor.starts_with('[') && !d.ours.starts_with('['))
            {
                d.kind = Kind::EditorInvalid;
                d.why = Some("comes from the same shift of this node's saved values".into());
            }
        }
    }
    diffs
}
