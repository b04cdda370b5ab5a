//! Checks a prompt against the server's node definitions the way ComfyUI's `validate_prompt`
//! does (`execution.py`), so a wrong value is caught before it is sent, with the same error
//! types and the same shape as a server rejection.

use super::Workflow;
use super::inject::as_link;
use super::nodedefs::{InputKind, InputSpec, NodeDefs, types_compatible};
use crate::rejection::{InputError, NodeErrorReport, Rejection};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// What validation found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The server would refuse the whole prompt (HTTP 400).
    pub rejection: Option<Rejection>,
    /// Nodes with errors while some outputs are still valid: the server would queue the prompt
    /// with only the valid outputs (a 200 with `node_errors`).
    pub partial: Vec<NodeErrorReport>,
    /// Output nodes that would run.
    pub valid_outputs: Vec<String>,
    /// Things the server accepts but that are probably not what the user meant.
    pub warnings: Vec<String>,
}

impl Report {
    /// Nothing the server would complain about.
    pub fn is_clean(&self) -> bool {
        self.rejection.is_none() && self.partial.is_empty()
    }
}

/// Validates `wf` against `defs`.
pub fn validate(wf: &Workflow, defs: &NodeDefs) -> Report {
    let mut warnings = Vec::new();
    // 1. Every class must exist; all missing ones are reported together.
    let missing: Vec<(String, String, Option<String>)> = wf
        .nodes
        .keys()
        .filter_map(|id| {
            let class = wf.class_type(id).unwrap_or("");
            (defs.get(class).is_none()).then(|| {
                (
                    id.clone(),
                    class.to_string(),
                    wf.title(id).map(str::to_string),
                )
            })
        })
        .collect();
    if !missing.is_empty() {
        return Report {
            rejection: Some(missing_types(&missing)),
            partial: Vec::new(),
            valid_outputs: Vec::new(),
            warnings,
        };
    }
    // 2. Output nodes.
    let outputs: Vec<String> = wf
        .nodes
        .keys()
        .filter(|id| {
            wf.class_type(id)
                .and_then(|c| defs.get(c))
                .is_some_and(|d| d.output_node)
        })
        .cloned()
        .collect();
    if outputs.is_empty() {
        return Report {
            rejection: Some(Rejection {
                kind: "prompt_no_outputs".into(),
                message: "Prompt has no outputs".into(),
                details: "the workflow has no output node (SaveImage, PreviewImage, …)".into(),
                extra_info: json!({}),
                node_errors: Vec::new(),
            }),
            partial: Vec::new(),
            valid_outputs: Vec::new(),
            warnings,
        };
    }
    // 3. Everything reachable from an output, memoised like the server's `validated` map.
    let mut v = Validator {
        wf,
        defs,
        memo: HashMap::new(),
        errors: BTreeMap::new(),
        warnings: &mut warnings,
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for o in &outputs {
        if v.node(o) {
            good.push(o.clone());
        } else {
            bad.push(o.clone());
        }
    }
    let errors = std::mem::take(&mut v.errors);
    let mut node_errors: Vec<NodeErrorReport> = errors
        .into_iter()
        .map(|(id, errs)| NodeErrorReport {
            class_type: wf.class_type(&id).map(str::to_string),
            title: wf.title(&id).map(str::to_string),
            node_id: id,
            dependent_outputs: bad.clone(),
            errors: errs,
        })
        .collect();
    node_errors.sort_by(|a, b| super::parse::node_id_order(&a.node_id, &b.node_id));
    if good.is_empty() {
        // The server joins reasons into `details` only for errors on the output node itself.
        let details = node_errors
            .iter()
            .filter(|n| outputs.contains(&n.node_id))
            .flat_map(|n| n.errors.iter())
            .map(|e| format!("{}: {}", e.message, e.details))
            .collect::<Vec<_>>()
            .join("\n");
        return Report {
            rejection: Some(Rejection {
                kind: "prompt_outputs_failed_validation".into(),
                message: "Prompt outputs failed validation".into(),
                details,
                extra_info: json!({}),
                node_errors,
            }),
            partial: Vec::new(),
            valid_outputs: Vec::new(),
            warnings,
        };
    }
    Report {
        rejection: None,
        partial: node_errors,
        valid_outputs: good,
        warnings,
    }
}

fn missing_types(missing: &[(String, String, Option<String>)]) -> Rejection {
    let extra = json!({
        "missing": missing.iter().map(|(id, c, t)| json!({"node_id": id, "class_type": c, "node_title": t})).collect::<Vec<_>>()
    });
    if let [(id, class, title)] = missing {
        let (message, extra_info) = if class.is_empty() {
            let t = title.clone().unwrap_or_else(|| format!("ID #{id}"));
            (
                format!(
                    "Node '{t}' has no class_type. The workflow may be corrupted or a custom node may be missing."
                ),
                json!({"node_id": id, "class_type": null, "node_title": t}),
            )
        } else {
            let t = title.clone().unwrap_or_else(|| class.clone());
            (
                format!("Node '{t}' not found. The custom node may not be installed."),
                json!({"node_id": id, "class_type": class, "node_title": t}),
            )
        };
        let mut extra_info = extra_info;
        extra_info["missing"] = extra["missing"].clone();
        return Rejection {
            kind: "missing_node_type".into(),
            message,
            details: format!("Node ID '#{id}'"),
            extra_info,
            node_errors: Vec::new(),
        };
    }
    let mut classes: Vec<&str> = missing.iter().map(|(_, c, _)| c.as_str()).collect();
    classes.sort();
    classes.dedup();
    Rejection {
        kind: "missing_node_type".into(),
        message: format!(
            "{} node types are not installed on the server: {}",
            classes.len(),
            classes.join(", ")
        ),
        details: missing
            .iter()
            .map(|(id, c, _)| format!("#{id} {c}"))
            .collect::<Vec<_>>()
            .join(", "),
        extra_info: extra,
        node_errors: Vec::new(),
    }
}

struct Validator<'a> {
    wf: &'a Workflow,
    defs: &'a NodeDefs,
    /// `None` while a node is being validated: a cycle.
    memo: HashMap<String, Option<bool>>,
    errors: BTreeMap<String, Vec<InputError>>,
    warnings: &'a mut Vec<String>,
}

fn error(
    kind: &str,
    message: String,
    details: String,
    spec: &InputSpec,
    v: Option<&Value>,
) -> InputError {
    InputError {
        kind: kind.to_string(),
        message,
        details,
        input_name: Some(spec.name.clone()),
        received_value: v.cloned(),
        origin: None,
        suggestion: None,
    }
}

impl Validator<'_> {
    fn node(&mut self, id: &str) -> bool {
        match self.memo.get(id) {
            Some(Some(ok)) => return *ok,
            Some(None) => {
                // The server reports `dependency_cycle`; the node on the cycle is invalid.
                self.errors
                    .entry(id.to_string())
                    .or_default()
                    .push(InputError {
                        kind: "dependency_cycle".into(),
                        message: "Dependency cycle detected".into(),
                        details: format!("node {id} depends on itself"),
                        input_name: None,
                        received_value: None,
                        origin: None,
                        suggestion: None,
                    });
                return false;
            }
            None => {}
        }
        self.memo.insert(id.to_string(), None);
        let ok = self.check(id);
        self.memo.insert(id.to_string(), Some(ok));
        ok
    }

    fn check(&mut self, id: &str) -> bool {
        let class = self.wf.class_type(id).unwrap_or("");
        let Some(def) = self.defs.get(class) else {
            return false;
        };
        let inputs = self.wf.nodes[id]
            .get("inputs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut valid = true;
        let mut errs = Vec::new();
        self.check_inputs(id, &def.inputs, "", &inputs, &mut errs, &mut valid);
        if !errs.is_empty() {
            self.errors.entry(id.to_string()).or_default().extend(errs);
            valid = false;
        }
        valid
    }

    // Long on purpose: one pass over a node's inputs in the order ComfyUI's `validate_inputs`
    // checks them (missing, link, type, range, list, custom), so the errors come out in the
    // server's order and with its wording; split, the shared per-input state would travel
    // through half a dozen signatures.
    fn check_inputs(
        &mut self,
        id: &str,
        specs: &[InputSpec],
        prefix: &str,
        inputs: &serde_json::Map<String, Value>,
        errs: &mut Vec<InputError>,
        valid: &mut bool,
    ) {
        for spec in specs {
            // V3 dynamic inputs live under dotted names (`model.size`, `images.image0`).
            let full = format!("{prefix}{}", spec.name);
            let renamed;
            let spec = if prefix.is_empty() {
                spec
            } else {
                renamed = InputSpec {
                    name: full.clone(),
                    ..spec.clone()
                };
                &renamed
            };
            if let InputKind::Autogrow { item, min } = &spec.kind {
                let grown: Vec<String> = inputs
                    .keys()
                    .filter(|k| {
                        k.strip_prefix(&format!("{full}."))
                            .is_some_and(|rest| !rest.contains('.'))
                    })
                    .cloned()
                    .collect();
                if grown.len() < *min {
                    errs.push(InputError {
                        kind: "required_input_missing".into(),
                        message: "Required input is missing".into(),
                        details: format!("{full} needs at least {min} input(s)"),
                        input_name: Some(full.clone()),
                        received_value: None,
                        origin: None,
                        suggestion: None,
                    });
                }
                let items: Vec<InputSpec> = grown
                    .iter()
                    .map(|k| InputSpec {
                        name: k.strip_prefix(prefix).unwrap_or(k).to_string(),
                        required: false,
                        kind: (**item).clone(),
                        force_input: false,
                        raw: spec.raw.clone(),
                    })
                    .collect();
                self.check_inputs(id, &items, prefix, inputs, errs, valid);
                continue;
            }
            if let InputKind::DynamicCombo { options } = &spec.kind {
                let chosen = inputs.get(&full);
                match chosen {
                    None if spec.required => errs.push(InputError {
                        kind: "required_input_missing".into(),
                        message: "Required input is missing".into(),
                        details: full.clone(),
                        input_name: Some(full.clone()),
                        received_value: None,
                        origin: None,
                        suggestion: None,
                    }),
                    None => {}
                    Some(v) => match options.iter().find(|(k, _)| Some(k.as_str()) == v.as_str()) {
                        Some((_, sub)) => {
                            let sub = sub.clone();
                            self.check_inputs(id, &sub, &format!("{full}."), inputs, errs, valid);
                        }
                        None if as_link(v).is_some() => {}
                        None => {
                            let keys: Vec<Value> = options
                                .iter()
                                .map(|(k, _)| Value::from(k.as_str()))
                                .collect();
                            let mut e = error(
                                "value_not_in_list",
                                "Value not in list".into(),
                                format!(
                                    "{full}: '{}' not in {}",
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| v.to_string()),
                                    python_list(&keys)
                                ),
                                spec,
                                Some(v),
                            );
                            e.suggestion = closest(v.as_str().unwrap_or(""), &keys);
                            errs.push(e);
                        }
                    },
                }
                continue;
            }
            let Some(val) = inputs.get(&full) else {
                // The editor fills its own widgets (3D viewer, image compare) when it queues;
                // what it sends is not in the definitions.
                if spec.required && !matches!(spec.kind, InputKind::Custom(_)) {
                    errs.push(InputError {
                        kind: "required_input_missing".into(),
                        message: "Required input is missing".into(),
                        details: spec.name.clone(),
                        input_name: Some(spec.name.clone()),
                        received_value: None,
                        origin: None,
                        suggestion: None,
                    });
                }
                continue;
            };
            if let Value::Array(items) = val {
                // Any list is a link to the server.
                let Some((src, idx)) = as_link(val).filter(|_| items.len() == 2) else {
                    errs.push(error(
                        "bad_linked_input",
                        "Bad linked input, must be a length-2 list of [string, int]".into(),
                        spec.name.clone(),
                        spec,
                        Some(val),
                    ));
                    continue;
                };
                let Some(src_class) = self.wf.class_type(&src) else {
                    errs.push(error(
                        "bad_linked_input",
                        "Bad linked input, must be a length-2 list of [string, int]".into(),
                        format!("{}: node {src} does not exist", spec.name),
                        spec,
                        Some(val),
                    ));
                    continue;
                };
                let idx: usize = idx.parse().unwrap_or(usize::MAX);
                let received = self
                    .defs
                    .get(src_class)
                    .and_then(|d| d.outputs.get(idx))
                    .cloned();
                match received {
                    None => {
                        errs.push(error(
                            "bad_linked_input",
                            "Bad linked input".into(),
                            format!(
                                "{}: node {src} ({src_class}) has no output {idx}",
                                spec.name
                            ),
                            spec,
                            Some(val),
                        ));
                        continue;
                    }
                    Some(t) if !types_compatible(&t, &spec.kind) => {
                        let mut e = error(
                            "return_type_mismatch",
                            "Return type mismatch between linked nodes".into(),
                            format!(
                                "{}, received_type({t}) mismatch input_type({})",
                                spec.name,
                                spec.kind.type_name()
                            ),
                            spec,
                            None,
                        );
                        e.received_value = Some(val.clone());
                        errs.push(e);
                        continue;
                    }
                    Some(_) => {}
                }
                if !self.node(&src) {
                    *valid = false;
                }
                continue;
            }
            let val = val.get("__value__").unwrap_or(val);
            if let Some(e) = self.literal(id, spec, val) {
                errs.push(e);
            }
        }
    }

    fn literal(&mut self, id: &str, spec: &InputSpec, val: &Value) -> Option<InputError> {
        let name = &spec.name;
        match &spec.kind {
            InputKind::Int { min, max, step, .. } | InputKind::Float { min, max, step } => {
                let is_int = matches!(spec.kind, InputKind::Int { .. });
                let t = if is_int { "INT" } else { "FLOAT" };
                let Some(x) = to_number(val, is_int) else {
                    return Some(error(
                        "invalid_input_type",
                        format!("Failed to convert an input value to a {t} value"),
                        format!("{name}, {val}"),
                        spec,
                        Some(val),
                    ));
                };
                let shown = if is_int {
                    format!("{}", x.trunc())
                } else {
                    format!("{x}")
                };
                if is_int && x.fract() != 0.0 {
                    self.warnings.push(format!(
                        "node {id} ({}): {name}={x} is not a whole number; the server truncates it to {shown}",
                        self.wf.class_type(id).unwrap_or("?")
                    ));
                }
                if let Some(m) = min
                    && x < *m
                {
                    return Some(error(
                        "value_smaller_than_min",
                        format!("Value {shown} smaller than min of {}", fmt_num(*m)),
                        name.clone(),
                        spec,
                        Some(val),
                    ));
                }
                if let Some(m) = max
                    && x > *m
                {
                    return Some(error(
                        "value_bigger_than_max",
                        format!("Value {shown} bigger than max of {}", fmt_num(*m)),
                        name.clone(),
                        spec,
                        Some(val),
                    ));
                }
                if is_int
                    && let Some(s) = step
                    && *s > 1.0
                    && ((x - min.unwrap_or(0.0)) % s).abs() > f64::EPSILON
                {
                    self.warnings.push(format!(
                        "node {id} ({}): {name}={shown} is not a multiple of its step {}; the server accepts it, the editor would round it",
                        self.wf.class_type(id).unwrap_or("?"),
                        fmt_num(*s)
                    ));
                }
                None
            }
            InputKind::Combo {
                options,
                upload,
                open,
            } => {
                if *open || options.contains(val) {
                    return None;
                }
                if *upload {
                    // Loaders check files with their own VALIDATE_INPUTS; a subfolder path or an
                    // annotated name ("x.png [output]") may exist without being in the list.
                    let s = val.as_str().unwrap_or("");
                    if s.contains('/') || s.ends_with(']') {
                        return None;
                    }
                    let what = if self.wf.class_type(id).unwrap_or("").contains("Video") {
                        "video"
                    } else if self.wf.class_type(id).unwrap_or("").contains("Audio") {
                        "audio"
                    } else {
                        "image"
                    };
                    let mut e = error(
                        "custom_validation_failed",
                        "Custom validation failed for node".into(),
                        format!("{name} - Invalid {what} file: {s}"),
                        spec,
                        Some(val),
                    );
                    e.suggestion = closest(s, options);
                    return Some(e);
                }
                let shown = val
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| val.to_string());
                let mut e = error(
                    "value_not_in_list",
                    "Value not in list".into(),
                    format!("{name}: '{shown}' not in {}", python_list(options)),
                    spec,
                    Some(val),
                );
                e.suggestion = closest(&shown, options);
                Some(e)
            }
            InputKind::String { .. } | InputKind::Boolean => {
                if val.is_object() {
                    return Some(error(
                        "invalid_input_type",
                        format!(
                            "Failed to convert an input value to a {} value",
                            spec.kind.type_name()
                        ),
                        format!("{name}, {val}"),
                        spec,
                        Some(val),
                    ));
                }
                None
            }
            InputKind::DynamicCombo { .. } | InputKind::Autogrow { .. } | InputKind::Custom(_) => {
                None
            }
            InputKind::Link(t) => {
                if !t.starts_with("COMFY_") && t != "*" {
                    self.warnings.push(format!(
                        "node {id} ({}): input {name} expects a {t} connection but holds a literal value; the server will fail when it runs",
                        self.wf.class_type(id).unwrap_or("?")
                    ));
                }
                None
            }
        }
    }
}

/// Python's `int(val)` / `float(val)` on a JSON value.
fn to_number(v: &Value, int: bool) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            let s = s.trim();
            if int {
                s.parse::<i128>().ok().map(|i| i as f64)
            } else {
                s.parse::<f64>().ok()
            }
        }
        _ => None,
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e17 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// `['a', 'b']` like Python prints a list of strings.
pub fn python_list(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The allowed value closest to `typed`, when one is close enough to be a likely typo.
pub fn closest(typed: &str, options: &[Value]) -> Option<String> {
    let t = typed.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for o in options.iter().filter_map(Value::as_str) {
        let l = o.to_lowercase();
        let d = if l == t {
            0
        } else if l.starts_with(&t) || l.contains(&t) && t.len() >= 3 {
            1
        } else {
            levenshtein(&t, &l)
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, o));
        }
    }
    let (d, o) = best?;
    (d <= (t.chars().count() / 3).max(2)).then(|| o.to_string())
}

/// Edit distance, for "did you mean".
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::parse_str;

    fn defs() -> NodeDefs {
        let raw = include_str!("../../tests/fixtures/real-comfyui-0.3.64/object_info.json");
        NodeDefs::from_value(&serde_json::from_str(raw).unwrap()).unwrap()
    }

    fn sample() -> Value {
        json!({
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny.safetensors"}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
            "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 4, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
            "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "x"}}
        })
    }

    fn check(v: Value) -> Report {
        let wf = parse_str(&v.to_string(), "w.json").unwrap();
        validate(&wf, &defs())
    }

    fn kinds(r: &Report) -> Vec<(String, String)> {
        r.rejection
            .as_ref()
            .map(|r| r.node_errors.clone())
            .unwrap_or_else(|| r.partial.clone())
            .iter()
            .flat_map(|n| n.errors.iter().map(|e| (n.node_id.clone(), e.kind.clone())))
            .collect()
    }

    #[test]
    fn the_fixture_has_no_checkpoints_so_the_loader_fails_like_the_server() {
        // The recorded server had no models: ckpt_name lists [] and the server said exactly this.
        let r = check(sample());
        let rej = r.rejection.unwrap();
        assert_eq!(rej.kind, "prompt_outputs_failed_validation");
        let ne = &rej.node_errors[0];
        assert_eq!(ne.node_id, "4");
        assert_eq!(
            ne.errors[0].details,
            "ckpt_name: 'tiny.safetensors' not in []"
        );
        assert_eq!(ne.dependent_outputs, ["9"]);
    }

    #[test]
    fn ranges_combos_and_types() {
        let mut w = sample();
        w["4"] = json!({"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny.safetensors"}});
        w["3"]["inputs"]["steps"] = json!(0);
        w["3"]["inputs"]["cfg"] = json!("high");
        w["3"]["inputs"]["sampler_name"] = json!("eular");
        w["5"]["inputs"]["width"] = json!(70000);
        let r = check(w);
        let k = kinds(&r);
        assert!(
            k.contains(&("3".into(), "value_smaller_than_min".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("3".into(), "invalid_input_type".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("3".into(), "value_not_in_list".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("5".into(), "value_bigger_than_max".into())),
            "{k:?}"
        );
        let rej = r.rejection.unwrap();
        let sampler = rej.node_errors.iter().find(|n| n.node_id == "3").unwrap();
        let e = sampler
            .errors
            .iter()
            .find(|e| e.kind == "value_not_in_list")
            .unwrap();
        assert_eq!(e.suggestion.as_deref(), Some("euler"));
        let min = sampler
            .errors
            .iter()
            .find(|e| e.kind == "value_smaller_than_min")
            .unwrap();
        assert_eq!(min.message, "Value 0 smaller than min of 1");
    }

    #[test]
    fn links_missing_inputs_and_type_mismatch() {
        let mut w = sample();
        w["3"]["inputs"]["model"] = json!(["4", 1]);
        w["3"]["inputs"]
            .as_object_mut()
            .unwrap()
            .remove("latent_image");
        w["8"]["inputs"]["vae"] = json!(["99", 0]);
        let k = kinds(&check(w));
        assert!(
            k.contains(&("3".into(), "return_type_mismatch".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("3".into(), "required_input_missing".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("8".into(), "bad_linked_input".into())),
            "{k:?}"
        );
    }

    #[test]
    fn missing_classes_are_listed_together_and_no_outputs_is_caught() {
        let mut w = sample();
        w["10"] = json!({"class_type": "ADE_AnimateDiffLoaderGen1", "inputs": {}});
        w["11"] = json!({"class_type": "IPAdapterAdvanced", "inputs": {}});
        let rej = check(w).rejection.unwrap();
        assert_eq!(rej.kind, "missing_node_type");
        assert!(
            rej.message
                .contains("ADE_AnimateDiffLoaderGen1, IPAdapterAdvanced"),
            "{}",
            rej.message
        );
        let mut w = sample();
        w.as_object_mut().unwrap().remove("9");
        assert_eq!(check(w).rejection.unwrap().kind, "prompt_no_outputs");
    }

    #[test]
    fn unreachable_nodes_are_not_checked_and_partial_outputs_are_reported() {
        let mut w = sample();
        w["4"]["inputs"]["ckpt_name"] = json!("x");
        // A second, independent output that is fine.
        w["20"] = json!({"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}});
        w["21"] = json!({"class_type": "PreviewImage", "inputs": {"images": ["20", 0]}});
        w["30"] = json!({"class_type": "EmptyLatentImage", "inputs": {"width": -5, "height": 8, "batch_size": 1}});
        let r = check(w);
        assert!(r.rejection.is_none());
        assert_eq!(r.valid_outputs, ["21"]);
        assert_eq!(r.partial.len(), 1, "node 30 is unreachable and not checked");
        assert_eq!(r.partial[0].node_id, "4");
    }

    #[test]
    fn cycles_do_not_hang() {
        let w = json!({
            "1": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
            "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}
        });
        let k = kinds(&check(w));
        assert!(k.iter().any(|(_, t)| t == "dependency_cycle"), "{k:?}");
    }

    #[test]
    fn suggestions() {
        let opts: Vec<Value> = [
            "euler",
            "euler_ancestral",
            "dpmpp_2m",
            "sd_xl_base_1.0.safetensors",
        ]
        .iter()
        .map(|s| json!(s))
        .collect();
        assert_eq!(closest("Euler", &opts).as_deref(), Some("euler"));
        assert_eq!(closest("dpmpp2m", &opts).as_deref(), Some("dpmpp_2m"));
        assert_eq!(
            closest("sd_xl_base", &opts).as_deref(),
            Some("sd_xl_base_1.0.safetensors")
        );
        assert_eq!(closest("zzzzzzzzzz", &opts), None);
    }
}
