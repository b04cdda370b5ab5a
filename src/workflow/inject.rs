//! `--set NODE.input=VALUE` and `--set-json NODE.input=JSON`: explicit input changes, typed by
//! the value the input holds now, refusing to silently cut a link.

use super::{Workflow, WorkflowError};
use serde_json::{Number, Value};

/// One parsed `--set`/`--set-json`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetArg {
    /// Node id or unique `_meta.title`.
    pub node: String,
    /// Input name.
    pub input: String,
    /// The value.
    pub value: SetValue,
    /// The argument as typed, for messages.
    pub raw: String,
}

/// Text (typed later by the input's current value) or explicit JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// From `--set`.
    Text(String),
    /// From `--set-json`.
    Json(Value),
}

/// Parses `NODE.input=VALUE`. The node part may itself contain dots; the input is after the last
/// dot before `=`.
pub fn parse_set(arg: &str, json: bool) -> Result<SetArg, WorkflowError> {
    let flag = if json { "--set-json" } else { "--set" };
    let bad = |reason: &str| WorkflowError::BadSet {
        flag,
        arg: arg.to_string(),
        reason: reason.to_string(),
    };
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected NODE.input=VALUE"))?;
    let (node, input) = key
        .rsplit_once('.')
        .ok_or_else(|| bad("expected NODE.input=VALUE (no '.' before '=')"))?;
    let (node, input) = (node.trim(), input.trim());
    if node.is_empty() || input.is_empty() {
        return Err(bad("expected NODE.input=VALUE"));
    }
    let value = if json {
        SetValue::Json(
            serde_json::from_str(value).map_err(|e| bad(&format!("invalid JSON value: {e}")))?,
        )
    } else {
        SetValue::Text(value.to_string())
    };
    Ok(SetArg {
        node: node.to_string(),
        input: input.to_string(),
        value,
        raw: arg.to_string(),
    })
}

/// Finds a node by id, or by a title that only one node has.
pub fn resolve_node(wf: &Workflow, node: &str) -> Result<String, WorkflowError> {
    if wf.nodes.contains_key(node) {
        return Ok(node.to_string());
    }
    let matches: Vec<&String> = wf
        .nodes
        .keys()
        .filter(|id| wf.title(id) == Some(node))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(WorkflowError::UnknownNode {
            node: node.to_string(),
            available: wf.describe_nodes(),
        }),
        many => Err(WorkflowError::AmbiguousNode {
            node: node.to_string(),
            ids: many
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// True for `["4", 0]`: a link to output 0 of node 4.
pub fn as_link(v: &Value) -> Option<(String, String)> {
    match v.as_array()?.as_slice() {
        [Value::String(node), idx] if idx.is_u64() || idx.is_i64() => {
            Some((node.clone(), idx.to_string()))
        }
        _ => None,
    }
}

/// Applies all sets in order. Nothing is changed when any of them fails.
pub fn apply_sets(
    wf: &mut Workflow,
    sets: &[SetArg],
    force_literal: bool,
) -> Result<(), WorkflowError> {
    let mut staged = wf.nodes.clone();
    for s in sets {
        let id = resolve_node(wf, &s.node)?;
        let class_type = wf.class_type(&id).unwrap_or("?").to_string();
        let inputs = staged[&id]
            .get_mut("inputs")
            .and_then(Value::as_object_mut)
            .expect("parse guarantees an inputs object");
        let Some(current) = inputs.get(&s.input) else {
            let mut names: Vec<&String> = inputs.keys().collect();
            names.sort();
            return Err(WorkflowError::UnknownInput {
                node: id,
                class_type,
                input: s.input.clone(),
                available: if names.is_empty() {
                    "none".into()
                } else {
                    names
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        };
        if let Some((from_node, from_output)) = as_link(current)
            && !force_literal
        {
            return Err(WorkflowError::LinkedInput {
                from_class: wf
                    .class_type(&from_node)
                    .unwrap_or("missing node")
                    .to_string(),
                node: id,
                class_type,
                input: s.input.clone(),
                from_node,
                from_output,
            });
        }
        let new = match &s.value {
            SetValue::Json(v) => v.clone(),
            SetValue::Text(t) => {
                let typed_by = if as_link(current).is_some() {
                    &Value::Null
                } else {
                    current
                };
                typed_value(typed_by, t).map_err(|expected| WorkflowError::BadValue {
                    node: id.clone(),
                    class_type: class_type.clone(),
                    input: s.input.clone(),
                    value: t.clone(),
                    expected,
                })?
            }
        };
        inputs.insert(s.input.clone(), new);
    }
    wf.nodes = staged;
    Ok(())
}

/// Converts text to the JSON type the input holds now; `Err` names the expected kind.
pub fn typed_value(current: &Value, text: &str) -> Result<Value, &'static str> {
    let t = text.trim();
    match current {
        Value::Bool(_) => parse_bool(t)
            .map(Value::Bool)
            .ok_or("a boolean (true/false)"),
        Value::Number(n) if n.is_f64() => t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or("a number"),
        // An integer may be a float input saved as `1` (the editor does that); a fractional
        // value is taken, and validation warns if the input really is an INT.
        Value::Number(_) => parse_int(t)
            .or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            })
            .ok_or("a number"),
        Value::String(_) => Ok(Value::String(text.to_string())),
        Value::Null => Ok(infer(text)),
        Value::Array(_) | Value::Object(_) => Err("a list or object (use --set-json)"),
    }
}

fn parse_int(t: &str) -> Option<Value> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::from(i));
    }
    t.parse::<u64>().ok().map(Value::from)
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn infer(text: &str) -> Value {
    let t = text.trim();
    if let Some(v) = parse_int(t) {
        return v;
    }
    if let Some(n) = t
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    match t {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::parse_str;

    fn wf() -> Workflow {
        parse_str(
            r#"{
              "3": {"class_type": "KSampler", "inputs": {"seed": 1, "cfg": 7.0, "sampler_name": "euler", "positive": ["6", 0], "add_noise": true}},
              "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}, "_meta": {"title": "Positive"}},
              "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x.safetensors"}}
            }"#,
            "w.json",
        )
        .unwrap()
    }

    fn set(w: &mut Workflow, arg: &str) -> Result<(), WorkflowError> {
        apply_sets(w, &[parse_set(arg, false)?], false)
    }

    #[test]
    fn types_follow_current_value() {
        let mut w = wf();
        set(&mut w, "3.seed=18446744073709551615").unwrap();
        set(&mut w, "3.cfg=5").unwrap();
        set(&mut w, "3.add_noise=false").unwrap();
        set(&mut w, "Positive.text=a dog = good").unwrap();
        let ks = &w.nodes["3"]["inputs"];
        assert_eq!(ks["seed"], serde_json::json!(18446744073709551615u64));
        assert_eq!(ks["cfg"].to_string(), "5.0");
        assert_eq!(ks["add_noise"], Value::Bool(false));
        assert_eq!(w.nodes["6"]["inputs"]["text"], "a dog = good");
    }

    #[test]
    fn wrong_type_is_refused() {
        let mut w = wf();
        let e = set(&mut w, "3.seed=abc").unwrap_err().to_string();
        assert!(e.contains("holds a number"), "{e}");
        assert!(set(&mut w, "3.cfg=1.5.2").is_err());
    }

    #[test]
    fn unknown_node_and_input_list_valid_ones() {
        let mut w = wf();
        let e = set(&mut w, "99.seed=1").unwrap_err().to_string();
        assert!(
            e.contains("3 (KSampler), 4 (CheckpointLoaderSimple), 6 (CLIPTextEncode)"),
            "{e}"
        );
        let e = set(&mut w, "3.sed=1").unwrap_err().to_string();
        assert!(
            e.contains("add_noise, cfg, positive, sampler_name, seed"),
            "{e}"
        );
    }

    #[test]
    fn links_are_protected() {
        let mut w = wf();
        let e = set(&mut w, "3.positive=hello").unwrap_err().to_string();
        assert!(
            e.contains("node 3 (KSampler)") && e.contains("node 6 (CLIPTextEncode)"),
            "{e}"
        );
        apply_sets(
            &mut w,
            &[parse_set("3.positive=hello", false).unwrap()],
            true,
        )
        .unwrap();
        assert_eq!(w.nodes["3"]["inputs"]["positive"], "hello");
    }

    #[test]
    fn set_json_and_atomicity() {
        let mut w = wf();
        let sets = [
            parse_set("3.seed=[1,2]", true).unwrap(),
            parse_set("3.nope=1", false).unwrap(),
        ];
        assert!(apply_sets(&mut w, &sets, false).is_err());
        assert_eq!(
            w.nodes["3"]["inputs"]["seed"], 1,
            "nothing applied when one set fails"
        );
        apply_sets(&mut w, &sets[..1], false).unwrap();
        assert_eq!(w.nodes["3"]["inputs"]["seed"], serde_json::json!([1, 2]));
        assert!(parse_set("3seed=1", false).is_err());
        assert!(parse_set("3.seed", false).is_err());
        assert!(parse_set("3.seed={", true).is_err());
    }
}
