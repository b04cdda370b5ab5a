//! JSON Schemas for tools: input schemas generated from the argument structs, a workflow's
//! friendly parameters as typed properties (ranges, defaults and lists from the server's node
//! definitions), and the report shapes as output schemas — compacted, since every byte of
//! `tools/list` is read into a model's context.

use crate::report::params::ParamInfo;
use crate::workflow::nodedefs::{InputKind, NodeDefs};
use rmcp::model::JsonObject;
use serde_json::{Map, Value, json};

/// A list longer than this is described instead of enumerated (a server with a thousand LoRAs).
pub const MAX_ENUM: usize = 200;

/// A string default longer than this is left out (a long prompt is the workflow's own value).
const MAX_DEFAULT_CHARS: usize = 300;

/// Parameters whose value is a local file the tool uploads.
pub const FILE_PARAMS: &[&str] = &["image", "mask", "video"];

/// The input schema of an argument struct, without the generator's `$schema` and `title`.
pub fn input_schema<T: schemars::JsonSchema>() -> JsonObject {
    let mut v = serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialise");
    strip(&mut v, true);
    into_object(v)
}

/// A report shape's schema (envelope included) as an output schema: no `$schema`, no
/// `title`s, no descriptions of fields (the tool's description says what the result is; the
/// full, described schemas are in docs/schema/).
pub fn output_schema(mut v: Value) -> JsonObject {
    strip(&mut v, false);
    into_object(v)
}

/// One output schema for a tool whose result is one of several shapes (`run_workflow` with or
/// without waiting): their properties as `oneOf` branches, their definitions merged.
pub fn one_of(shapes: Vec<Value>) -> Value {
    let mut defs = Map::new();
    let mut branches = Vec::new();
    for mut s in shapes {
        if let Some(Value::Object(d)) = s.as_object_mut().and_then(|o| o.remove("$defs")) {
            defs.extend(d);
        }
        if let Some(o) = s.as_object_mut() {
            o.remove("$schema");
            o.remove("title");
        }
        branches.push(s);
    }
    let mut out = json!({"type": "object", "oneOf": branches});
    if !defs.is_empty() {
        out["$defs"] = Value::Object(defs);
    }
    out
}

fn into_object(v: Value) -> JsonObject {
    match v {
        Value::Object(o) => o,
        other => {
            let mut o = Map::new();
            o.insert("type".into(), "object".into());
            o.insert("description".into(), other.to_string().into());
            o
        }
    }
}

/// Removes generator noise from a schema and every schema inside it.
fn strip(s: &mut Value, keep_descriptions: bool) {
    let Some(o) = s.as_object_mut() else { return };
    o.remove("$schema");
    o.remove("title");
    if !keep_descriptions {
        o.remove("description");
    }
    // schemars' `format: uint64` and the like are not JSON Schema formats clients know.
    if o.get("format").and_then(Value::as_str).is_some_and(|f| {
        f.starts_with("uint") || f.starts_with("int") || f == "double" || f == "float"
    }) {
        o.remove("format");
    }
    for key in ["properties", "$defs", "definitions", "patternProperties"] {
        if let Some(Value::Object(m)) = o.get_mut(key) {
            for v in m.values_mut() {
                strip(v, keep_descriptions);
            }
        }
    }
    for key in ["items", "additionalProperties", "not", "if", "then", "else"] {
        if let Some(v) = o.get_mut(key) {
            strip(v, keep_descriptions);
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(a)) = o.get_mut(key) {
            for v in a {
                strip(v, keep_descriptions);
            }
        }
    }
}

/// A number as JSON, whole numbers as integers when they fit (a seed's maximum does not).
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        Value::from(f)
    }
}

/// The JSON Schema of one friendly parameter: its type, range and list from the definition of
/// the first input it sets (as the server declares it), its current value as the default.
pub fn param_property(p: &ParamInfo, defs: Option<&NodeDefs>) -> Value {
    let mut prop = Map::new();
    if FILE_PARAMS.contains(&p.name.as_str()) {
        prop.insert("type".into(), "string".into());
        prop.insert(
            "description".into(),
            format!(
                "{}: a file in the inputs dir, uploaded (now {})",
                p.about,
                p.value.as_str().unwrap_or("?")
            )
            .into(),
        );
        return Value::Object(prop);
    }
    let kind = defs.and_then(|d| {
        let t = p.targets.first()?;
        let class = t.class_type.as_deref()?;
        Some(d.get(class)?.input(&t.input)?.kind.clone())
    });
    match kind {
        Some(InputKind::Int { min, max, .. }) => {
            prop.insert("type".into(), "integer".into());
            min.map(|m| prop.insert("minimum".into(), number(m)));
            max.map(|m| prop.insert("maximum".into(), number(m)));
        }
        Some(InputKind::Float { min, max, .. }) => {
            prop.insert("type".into(), "number".into());
            min.map(|m| prop.insert("minimum".into(), number(m)));
            max.map(|m| prop.insert("maximum".into(), number(m)));
        }
        Some(InputKind::Boolean) => {
            prop.insert("type".into(), "boolean".into());
        }
        Some(InputKind::Combo { options, open, .. }) => {
            prop.insert("type".into(), "string".into());
            let names: Vec<&Value> = options.iter().filter(|o| o.is_string()).collect();
            if !open && !names.is_empty() && names.len() == options.len() {
                if names.len() <= MAX_ENUM {
                    prop.insert("enum".into(), Value::Array(options.clone()));
                } else {
                    prop.insert(
                        "description".into(),
                        format!(
                            "{}: one of the server's {} choices (list_models lists model files)",
                            p.about,
                            names.len()
                        )
                        .into(),
                    );
                }
            }
        }
        Some(InputKind::DynamicCombo { options }) => {
            prop.insert("type".into(), "string".into());
            prop.insert(
                "enum".into(),
                options
                    .iter()
                    .map(|(k, _)| Value::from(k.as_str()))
                    .collect(),
            );
        }
        _ => {
            let t = match &p.value {
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_f64() => "number",
                Value::Number(_) => "integer",
                _ => "string",
            };
            prop.insert("type".into(), t.into());
        }
    }
    prop.entry("description")
        .or_insert_with(|| p.about.clone().into());
    let short = p
        .value
        .as_str()
        .is_none_or(|s| s.chars().count() <= MAX_DEFAULT_CHARS);
    if !p.value.is_null() && short && fits(&prop, &p.value) {
        prop.insert("default".into(), p.value.clone());
    }
    Value::Object(prop)
}

/// Whether the workflow's value fits the schema (a saved value outside a list or range would
/// make the default itself invalid: it is left out rather than contradicting the schema).
fn fits(prop: &Map<String, Value>, v: &Value) -> bool {
    if let Some(Value::Array(e)) = prop.get("enum")
        && !e.contains(v)
    {
        return false;
    }
    let n = v.as_f64();
    let below = prop
        .get("minimum")
        .and_then(Value::as_f64)
        .zip(n)
        .is_some_and(|(m, n)| n < m);
    let above = prop
        .get("maximum")
        .and_then(Value::as_f64)
        .zip(n)
        .is_some_and(|(m, n)| n > m);
    let typed = match prop.get("type").and_then(Value::as_str) {
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some("string") => v.is_string(),
        _ => true,
    };
    typed && !below && !above
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::params::ParamTarget;

    fn info(name: &str, class: &str, input: &str, value: Value) -> ParamInfo {
        ParamInfo {
            name: name.into(),
            about: format!("about {name}"),
            kind: String::new(),
            value: value.clone(),
            targets: vec![ParamTarget {
                node: "3".into(),
                class_type: Some(class.into()),
                title: None,
                input: input.into(),
                value,
            }],
        }
    }

    #[test]
    fn parameters_get_the_servers_types_ranges_lists_and_defaults() {
        let text = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/real-comfyui-0.26.0/object_info.json"
        ))
        .unwrap();
        let defs = NodeDefs::from_slice(&text).unwrap();
        let steps = param_property(&info("steps", "KSampler", "steps", json!(20)), Some(&defs));
        assert_eq!(steps["type"], "integer");
        assert_eq!(
            (steps["minimum"].clone(), steps["maximum"].clone()),
            (json!(1), json!(10000))
        );
        assert_eq!(steps["default"], 20);
        let cfg = param_property(&info("cfg", "KSampler", "cfg", json!(7.5)), Some(&defs));
        assert_eq!(
            (cfg["type"].clone(), cfg["default"].clone()),
            (json!("number"), json!(7.5))
        );
        let sampler = param_property(
            &info("sampler", "KSampler", "sampler_name", json!("euler")),
            Some(&defs),
        );
        let list = sampler["enum"].as_array().unwrap();
        assert!(
            list.contains(&json!("dpmpp_2m")) && list.len() > 20,
            "{sampler}"
        );
        // A saved value the server does not list is not offered as the default.
        let odd = param_property(
            &info("sampler", "KSampler", "sampler_name", json!("no_such")),
            Some(&defs),
        );
        assert!(odd.get("default").is_none());
        // Without definitions the value's own type is all there is.
        let plain = param_property(&info("steps", "KSampler", "steps", json!(20)), None);
        assert_eq!(
            (plain["type"].clone(), plain["default"].clone()),
            (json!("integer"), json!(20))
        );
        let image = param_property(
            &info("image", "LoadImage", "image", json!("a.png")),
            Some(&defs),
        );
        assert_eq!(image["type"], "string");
        assert!(
            image["description"]
                .as_str()
                .unwrap()
                .contains("inputs dir")
        );
    }

    #[test]
    fn output_schemas_lose_noise_but_not_structure() {
        let s = output_schema(crate::report::schema_of::<crate::report::RunResult>());
        let text = serde_json::to_string(&s).unwrap();
        assert!(!text.contains("\"description\"") && !text.contains("\"$schema\""));
        assert!(s["properties"]["prompt_id"].is_object());
        assert!(
            s["required"]
                .as_array()
                .unwrap()
                .contains(&json!("schema_version"))
        );
        let both = one_of(vec![
            crate::report::schema_of::<crate::report::RunResult>(),
            crate::report::schema_of::<crate::report::Submitted>(),
        ]);
        assert_eq!(both["oneOf"].as_array().unwrap().len(), 2);
        assert_eq!(both["type"], "object");
    }
}
