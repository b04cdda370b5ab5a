//! The machine contract: every `--json` document and `--jsonl` line is a typed struct here,
//! wrapped in one envelope (`schema_version`, `type`). JSON Schemas for each shape are generated
//! from these structs (`docs/schema/`, `examples/gen_schemas.rs`), and tests check real output
//! against them — scripts, agents and the MCP server all read these shapes.

pub mod commands;
pub mod job;
pub mod logs;
pub mod params;

pub use job::{
    Axis, BatchJob, BatchSummary, ErrorRecord, GridInfo, OutputRecord, PlannedJob, RunResult,
    ServerSummary, Submitted,
};

use crate::client::JobEvent;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// Version of every JSON shape. Bumped only on incompatible changes (a field removed or its
/// meaning changed); new fields and new line types are not incompatible.
pub const SCHEMA_VERSION: u32 = 1;

/// A JSON shape comfyctl prints, with the `type` its envelope carries.
pub trait Shape: Serialize + JsonSchema {
    /// The envelope's `type`.
    const TYPE: &'static str;
}

/// `{"type": T::TYPE, "schema_version": 1, …the shape's fields}`.
pub fn to_value<T: Shape>(body: &T) -> Value {
    envelope(
        T::TYPE,
        serde_json::to_value(body).expect("report shapes serialise"),
    )
}

/// Puts the envelope around an object (its own fields come after it).
fn envelope(kind: &str, body: Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("type".into(), kind.into());
    out.insert("schema_version".into(), SCHEMA_VERSION.into());
    if let Value::Object(m) = body {
        for (k, v) in m {
            if k != "type" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

/// A line whose `type` comes from the value itself (a `#[serde(tag = "type")]` enum: job
/// events, `watch`'s live view), in the envelope.
pub fn tagged_line<T: Serialize>(e: &T) -> Value {
    let v = serde_json::to_value(e).expect("report shapes serialise");
    let kind = v["type"].as_str().unwrap_or("event").to_string();
    envelope(&kind, v)
}

/// A job event as a JSON line.
pub fn event_line(e: &JobEvent) -> Value {
    tagged_line(e)
}

/// The JSON Schema of one shape, envelope included (`type` is a constant).
pub fn schema_of<T: Shape>() -> Value {
    let mut s = serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialise");
    add_envelope(&mut s, Some(T::TYPE));
    s
}

/// The schema of a line of a tagged enum (`JobEvent`, `MonitorLine`): one of its variants.
pub fn tagged_schema<T: JsonSchema>() -> Value {
    let mut s = serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialise");
    add_envelope(&mut s, None);
    s
}

/// Adds `schema_version` (and a constant `type`) as required properties, at the top and in
/// every `oneOf` branch.
fn add_envelope(s: &mut Value, kind: Option<&str>) {
    let add = |o: &mut serde_json::Map<String, Value>| {
        let props = o
            .entry("properties")
            .or_insert_with(|| Value::Object(Default::default()));
        props["schema_version"] = serde_json::json!({"const": SCHEMA_VERSION});
        if let Some(k) = kind {
            props["type"] = serde_json::json!({"const": k});
        }
        let req = o
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(r) = req {
            for name in ["schema_version", "type"] {
                if !r.iter().any(|x| x == name) {
                    r.push(name.into());
                }
            }
        }
    };
    if let Some(branches) = s.get_mut("oneOf").and_then(Value::as_array_mut) {
        for b in branches {
            if let Value::Object(o) = b {
                add(o);
            }
        }
    } else if let Value::Object(o) = s {
        add(o);
    }
}
