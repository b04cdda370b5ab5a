//! Node definitions from `/object_info`: what inputs each class takes, in which order, with which
//! limits. Validation, `params` and (later) UI-format conversion read workflows through these.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The kind of one input, as `/object_info` declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    /// `INT` with optional limits.
    Int {
        /// `min`.
        min: Option<f64>,
        /// `max`.
        max: Option<f64>,
        /// `step` (the server does not enforce it; the editor rounds to it).
        step: Option<f64>,
        /// Seed-like: the editor adds a `control_after_generate` widget after it.
        control_after_generate: bool,
    },
    /// `FLOAT` with optional limits.
    Float {
        /// `min`.
        min: Option<f64>,
        /// `max`.
        max: Option<f64>,
        /// `step`.
        step: Option<f64>,
    },
    /// `STRING`.
    String {
        /// A text box rather than a one-line field.
        multiline: bool,
    },
    /// `BOOLEAN`.
    Boolean,
    /// A list of allowed values (`[[...], {...}]` or V3 `["COMBO", {"options": [...]}]`).
    Combo {
        /// The allowed values; empty when the server fills them remotely.
        options: Vec<Value>,
        /// An image/video/audio loader whose list is the server's input folder.
        upload: bool,
        /// The server lists options elsewhere (`remote`) or accepts several (`multi_select`):
        /// the list here cannot be used to reject a value.
        open: bool,
    },
    /// V3 dynamic combo: a choice whose value brings its own inputs, named `INPUT.SUB` in the
    /// prompt.
    DynamicCombo {
        /// `(key, inputs of that choice)`.
        options: Vec<(String, Vec<InputSpec>)>,
    },
    /// V3 autogrow: a growing list of inputs named `INPUT.NAME` (`images.image0`, `values.a`).
    Autogrow {
        /// The type each grown input takes.
        item: Box<InputKind>,
        /// At least this many must be present.
        min: usize,
    },
    /// A value of a type the editor edits with its own widget (`IMAGECOMPARE`, `LOAD_3D`,
    /// `COLOR`, …); not checked here.
    Custom(String),
    /// A typed connection such as `MODEL`, `IMAGE` or `*`; also other V3 types, which are not
    /// checked here.
    Link(String),
}

impl InputKind {
    /// True for inputs the editor shows as widgets (values rather than connections).
    pub fn is_widget(&self) -> bool {
        !matches!(self, InputKind::Link(_) | InputKind::Autogrow { .. })
    }

    /// Short name for listings: `INT`, `FLOAT`, `STRING`, `BOOLEAN`, `COMBO` or the link type.
    pub fn type_name(&self) -> &str {
        match self {
            InputKind::Int { .. } => "INT",
            InputKind::Float { .. } => "FLOAT",
            InputKind::String { .. } => "STRING",
            InputKind::Boolean => "BOOLEAN",
            InputKind::Combo { .. } => "COMBO",
            InputKind::DynamicCombo { .. } => "COMBO",
            InputKind::Autogrow { item, .. } => item.type_name(),
            InputKind::Custom(t) | InputKind::Link(t) => t,
        }
    }
}

/// One declared input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    /// Input name.
    pub name: String,
    /// Required (else optional).
    pub required: bool,
    /// Its kind.
    pub kind: InputKind,
    /// `forceInput`: a value type that is always a connection in the editor.
    pub force_input: bool,
    /// `[type, options]` exactly as the server sent it, for error reports in the server's shape.
    pub raw: Value,
}

/// One node class.
#[derive(Debug, Clone)]
pub struct NodeDef {
    /// Class name.
    pub class: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Inputs: required in declared order, then optional.
    pub inputs: Vec<InputSpec>,
    /// Output types (`output`); combo outputs appear as `COMBO`.
    pub outputs: Vec<String>,
    /// Output names (`output_name`).
    pub output_names: Vec<String>,
    /// An output node: the server runs the graph for these.
    pub output_node: bool,
    /// A paid API (partner) node: running it bills a Comfy account (`api_node`).
    pub api_node: bool,
}

impl InputSpec {
    /// The value the editor gives a new widget: the declared default, else the first choice,
    /// the minimum, false or "".
    pub fn default_value(&self) -> Option<Value> {
        if let Some(d) = self.raw.get(1).and_then(|o| o.get("default")) {
            return Some(d.clone());
        }
        match &self.kind {
            InputKind::Combo { options, .. } => options.first().cloned(),
            InputKind::DynamicCombo { options } => {
                options.first().map(|(k, _)| Value::from(k.as_str()))
            }
            InputKind::Int { min, .. } => Some(Value::from(min.unwrap_or(0.0) as i64)),
            InputKind::Float { min, .. } => Some(Value::from(min.unwrap_or(0.0))),
            InputKind::Boolean => Some(Value::Bool(false)),
            InputKind::String { .. } => Some(Value::from("")),
            _ => None,
        }
    }
}

impl NodeDef {
    /// The input named `name`.
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.inputs.iter().find(|i| i.name == name)
    }
}

/// Every class the server knows. Read from a file, each class stays raw JSON until it is
/// first looked up: a workflow uses a dozen of a server's thousands of classes, and parsing
/// them all cost most of a cached `run`'s time.
#[derive(Debug, Clone, Default)]
pub struct NodeDefs {
    defs: BTreeMap<String, Entry>,
    v3: std::sync::OnceLock<bool>,
}

#[derive(Debug, Clone)]
struct Entry {
    raw: Option<Box<serde_json::value::RawValue>>,
    parsed: std::sync::OnceLock<Option<NodeDef>>,
}

/// `/object_info` was not the expected object.
#[derive(Debug, thiserror::Error)]
#[error("not an /object_info document: {0}")]
pub struct NodeDefsError(pub String);

impl NodeDefs {
    /// Parses a `/object_info` body. Classes whose entry cannot be read are skipped, since one
    /// broken custom node must not make every other one unusable.
    pub fn from_value(v: &Value) -> Result<NodeDefs, NodeDefsError> {
        let obj = v
            .as_object()
            .ok_or_else(|| NodeDefsError("expected a JSON object of node classes".into()))?;
        if !obj.is_empty() && !obj.values().any(|n| n.get("input").is_some()) {
            return Err(NodeDefsError(
                "no entry has an \"input\" field; is this really /object_info?".into(),
            ));
        }
        let defs = obj
            .iter()
            .filter_map(|(class, n)| parse_def(class, n).map(|d| (class.clone(), d)))
            .map(|(class, d)| {
                (
                    class,
                    Entry {
                        raw: None,
                        parsed: std::sync::OnceLock::from(Some(d)),
                    },
                )
            })
            .collect();
        Ok(NodeDefs {
            defs,
            v3: Default::default(),
        })
    }

    /// Reads a `/object_info` body from bytes, parsing each class only when it is looked up.
    pub fn from_slice(bytes: &[u8]) -> Result<NodeDefs, NodeDefsError> {
        let map: BTreeMap<String, Box<serde_json::value::RawValue>> = serde_json::from_slice(bytes)
            .map_err(|e| NodeDefsError(format!("expected a JSON object of node classes: {e}")))?;
        if !map.is_empty() && !map.values().any(|r| r.get().contains("\"input\"")) {
            return Err(NodeDefsError(
                "no entry has an \"input\" field; is this really /object_info?".into(),
            ));
        }
        let defs = map
            .into_iter()
            .map(|(class, raw)| {
                (
                    class,
                    Entry {
                        raw: Some(raw),
                        parsed: std::sync::OnceLock::new(),
                    },
                )
            })
            .collect();
        Ok(NodeDefs {
            defs,
            v3: Default::default(),
        })
    }

    /// Some class declares a V3 dynamic input (dynamic combo or autogrow): the server is of
    /// the generation that ships the newer editors (see `frontend::Editor`). Looks at the raw
    /// text once, without parsing every class.
    pub fn uses_v3_dynamic_inputs(&self) -> bool {
        *self.v3.get_or_init(|| {
            self.defs.values().any(|e| match &e.raw {
                Some(raw) => {
                    let t = raw.get();
                    t.contains("COMFY_DYNAMICCOMBO_V3") || t.contains("COMFY_AUTOGROW_V3")
                }
                None => e.parsed.get().and_then(Option::as_ref).is_some_and(|d| {
                    d.inputs.iter().any(|i| {
                        matches!(
                            i.kind,
                            InputKind::DynamicCombo { .. } | InputKind::Autogrow { .. }
                        )
                    })
                }),
            })
        })
    }

    /// The class named `class`.
    pub fn get(&self, class: &str) -> Option<&NodeDef> {
        let e = self.defs.get(class)?;
        e.parsed
            .get_or_init(|| {
                let raw = e.raw.as_ref()?;
                let v: Value = serde_json::from_str(raw.get()).ok()?;
                parse_def(class, &v)
            })
            .as_ref()
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// No classes at all.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
}

/// Inputs of an `input` object (`{required, optional}`), in declared order.
fn parse_inputs(input: &Map<String, Value>, order: Option<&Value>) -> Vec<InputSpec> {
    let mut inputs = Vec::new();
    for (section, required) in [("required", true), ("optional", false)] {
        let Some(spec) = input.get(section).and_then(Value::as_object) else {
            continue;
        };
        // `input_order` is authoritative where present (V3 nodes); JSON object order otherwise,
        // which serde_json keeps with `preserve_order`.
        let order: Vec<String> = order
            .and_then(|o| o.get(section))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_else(|| spec.keys().cloned().collect());
        for name in order {
            let Some(raw) = spec.get(&name) else { continue };
            let (kind, force_input) = parse_kind(raw);
            inputs.push(InputSpec {
                name,
                required,
                kind,
                force_input,
                raw: raw.clone(),
            });
        }
    }
    inputs
}

fn parse_def(class: &str, n: &Value) -> Option<NodeDef> {
    let input = n.get("input")?.as_object()?;
    let mut inputs = parse_inputs(input, n.get("input_order"));
    // CustomCombo's choices are typed into the node in the editor, not declared.
    if class == "CustomCombo" {
        for i in &mut inputs {
            if let InputKind::Combo { open, .. } = &mut i.kind {
                *open = true;
            }
        }
    }
    let strings = |key: &str| -> Vec<String> {
        n.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| match t {
                        Value::String(s) => s.clone(),
                        Value::Array(_) => "COMBO".to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(NodeDef {
        class: class.to_string(),
        display_name: n
            .get("display_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        inputs,
        outputs: strings("output"),
        output_names: strings("output_name"),
        output_node: n.get("output_node").and_then(Value::as_bool) == Some(true),
        api_node: n.get("api_node").and_then(Value::as_bool) == Some(true),
    })
}

fn num(opts: &Map<String, Value>, key: &str) -> Option<f64> {
    opts.get(key).and_then(Value::as_f64)
}

fn parse_kind(raw: &Value) -> (InputKind, bool) {
    let empty = Map::new();
    let opts = raw.get(1).and_then(Value::as_object).unwrap_or(&empty);
    let force_input = opts.get("forceInput").and_then(Value::as_bool) == Some(true);
    let flag = |k: &str| opts.get(k).and_then(Value::as_bool) == Some(true);
    let upload = [
        "image_upload",
        "video_upload",
        "audio_upload",
        "animated_image_upload",
        "file_upload",
    ]
    .iter()
    .any(|k| flag(k));
    let open = flag("multi_select") || flag("multiselect") || opts.contains_key("remote");
    let kind = match raw.get(0) {
        Some(Value::Array(list)) => InputKind::Combo {
            options: list.clone(),
            upload,
            open,
        },
        Some(Value::String(t)) => match t.as_str() {
            "INT" => InputKind::Int {
                min: num(opts, "min"),
                max: num(opts, "max"),
                step: num(opts, "step"),
                control_after_generate: flag("control_after_generate"),
            },
            "FLOAT" => InputKind::Float {
                min: num(opts, "min"),
                max: num(opts, "max"),
                step: num(opts, "step"),
            },
            "STRING" => InputKind::String {
                multiline: flag("multiline"),
            },
            "BOOLEAN" => InputKind::Boolean,
            "COMFY_DYNAMICCOMBO_V3" => InputKind::DynamicCombo {
                options: opts
                    .get("options")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|o| {
                                let key = o.get("key")?.as_str()?.to_string();
                                let inputs = o
                                    .get("inputs")
                                    .and_then(Value::as_object)
                                    .map(|i| parse_inputs(i, None))
                                    .unwrap_or_default();
                                Some((key, inputs))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            "COMFY_AUTOGROW_V3" => {
                let template = opts.get("template");
                let item = template
                    .and_then(|t| t.get("input"))
                    .and_then(Value::as_object)
                    .and_then(|i| parse_inputs(i, None).into_iter().next())
                    .map(|s| s.kind)
                    .unwrap_or(InputKind::Link("*".into()));
                InputKind::Autogrow {
                    item: Box::new(item),
                    min: template
                        .and_then(|t| t.get("min"))
                        .and_then(Value::as_u64)
                        .unwrap_or(0) as usize,
                }
            }
            "COMBO" => InputKind::Combo {
                options: opts
                    .get("options")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                upload,
                open: open || !opts.contains_key("options"),
            },
            // Custom editor widgets (3D viewer, image compare, colour picker, …) hold values,
            // not connections.
            other if flag("socketless") || FRONTEND_WIDGETS.contains(&other) => {
                InputKind::Custom(other.to_string())
            }
            other => InputKind::Link(other.to_string()),
        },
        _ => InputKind::Link("*".to_string()),
    };
    (kind, force_input)
}

/// Input types the editor shows as its own widgets even without `socketless`.
const FRONTEND_WIDGETS: &[&str] = &["LOAD_3D", "LOAD_3D_ANIMATION", "WEBCAM", "AUDIO_RECORD"];

/// ComfyUI's type check for a connection (`validate_node_input`): equal types, `*` on either
/// side, or comma-separated unions that share a member. Combo outputs fit combo inputs.
pub fn types_compatible(received: &str, input: &InputKind) -> bool {
    let expected = match input {
        InputKind::Link(t) | InputKind::Custom(t) => t.as_str(),
        InputKind::Combo { .. } | InputKind::DynamicCombo { .. } => {
            return received == "COMBO" || received == "*";
        }
        InputKind::Autogrow { item, .. } => return types_compatible(received, item),
        other => other.type_name(),
    };
    if received == expected || received == "*" || expected == "*" {
        return true;
    }
    // A V3 match-type output takes the type of what feeds it; not visible here.
    if received.starts_with("COMFY_") {
        return true;
    }
    // V3 dynamic inputs (autogrow, match-type, dynamic combo) accept what their template says;
    // that is not visible here.
    if expected.starts_with("COMFY_") {
        return true;
    }
    let set = |s: &str| -> Vec<String> { s.split(',').map(|t| t.trim().to_string()).collect() };
    let (r, e) = (set(received), set(expected));
    r.iter().any(|t| e.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> NodeDefs {
        let raw = include_str!("../../tests/fixtures/real-comfyui-0.3.64/object_info.json");
        NodeDefs::from_value(&serde_json::from_str(raw).unwrap()).unwrap()
    }

    #[test]
    fn lazy_classes_read_like_eager_ones() {
        let raw = include_str!("../../tests/fixtures/real-comfyui-0.26.0/object_info.json");
        let eager = NodeDefs::from_value(&serde_json::from_str(raw).unwrap()).unwrap();
        let lazy = NodeDefs::from_slice(raw.as_bytes()).unwrap();
        for class in [
            "KSampler",
            "CheckpointLoaderSimple",
            "LoadImage",
            "SaveImage",
        ] {
            assert_eq!(
                format!("{:?}", lazy.get(class)),
                format!("{:?}", eager.get(class)),
                "{class}"
            );
        }
        assert!(lazy.get("NoSuchNode").is_none());
        assert!(NodeDefs::from_slice(b"[1, 2]").is_err());
        assert!(NodeDefs::from_slice(b"{\"a\": {\"b\": 1}}").is_err());
    }

    #[test]
    fn reads_the_real_object_info() {
        let d = defs();
        assert!(d.len() > 400);
        let ks = d.get("KSampler").unwrap();
        let names: Vec<&str> = ks.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "model",
                "seed",
                "steps",
                "cfg",
                "sampler_name",
                "scheduler",
                "positive",
                "negative",
                "latent_image",
                "denoise"
            ]
        );
        assert!(matches!(
            ks.input("seed").unwrap().kind,
            InputKind::Int {
                control_after_generate: true,
                ..
            }
        ));
        assert!(
            matches!(&ks.input("sampler_name").unwrap().kind, InputKind::Combo { options, .. } if options.len() > 10)
        );
        let li = d.get("LoadImage").unwrap();
        assert!(matches!(
            li.input("image").unwrap().kind,
            InputKind::Combo { upload: true, .. }
        ));
        assert!(d.get("SaveImage").unwrap().output_node);
        assert_eq!(
            d.get("CheckpointLoaderSimple").unwrap().outputs,
            ["MODEL", "CLIP", "VAE"]
        );
    }

    #[test]
    fn type_rules_follow_comfyui() {
        let link = |t: &str| InputKind::Link(t.into());
        assert!(types_compatible("MODEL", &link("MODEL")));
        assert!(!types_compatible("CLIP", &link("MODEL")));
        assert!(types_compatible("*", &link("MODEL")));
        assert!(types_compatible("IMAGE", &link("*")));
        assert!(types_compatible("FILE_3D", &link("FILE_3D_FBX,FILE_3D")));
        assert!(types_compatible(
            "INT",
            &InputKind::Int {
                min: None,
                max: None,
                step: None,
                control_after_generate: false
            }
        ));
        assert!(!types_compatible("STRING", &InputKind::Boolean));
    }

    #[test]
    fn rejects_what_is_not_object_info() {
        assert!(NodeDefs::from_value(&serde_json::json!([1])).is_err());
        assert!(NodeDefs::from_value(&serde_json::json!({"3": {"class_type": "X"}})).is_err());
    }
}
