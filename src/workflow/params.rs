//! `-p name=value` (and the named flags `--prompt`, `--seed`, …): set a friendly parameter on
//! every input it maps to, or on one node with `name@NODE`.

use super::inject::{SetArg, resolve_node, typed_value};
use super::schema::{self, Param, Target};
use super::{Workflow, WorkflowError};
use serde::Serialize;
use serde_json::Value;

/// Seeds chosen by comfyctl stay below 2^50, like the editor's, so they survive tools that read
/// JSON numbers as doubles.
pub const MAX_RANDOM_SEED: u64 = 1 << 50;

/// One parsed `-p`.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamArg {
    /// `name[@NODE]=VALUE`.
    Named {
        /// Canonical friendly name.
        name: &'static str,
        /// What was typed before `@`/`=`.
        typed: String,
        /// Node id or title after `@`.
        node: Option<String>,
        /// The value (`random` for seeds picks one).
        value: String,
        /// The argument as typed, for messages (`-p seed=3`, `--seed 3`).
        origin: String,
    },
    /// `NODE.input=VALUE`, the same as `--set`.
    Explicit(SetArg),
}

/// What one parameter changed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Applied {
    /// Friendly name, or `NODE.input`.
    pub name: String,
    /// The inputs written.
    pub targets: Vec<Target>,
    /// The value written (the chosen one for `seed=random`).
    pub value: Value,
    /// What the user typed.
    pub origin: String,
}

/// Parses `-p` text. A key with a `.` that is not a friendly name is `NODE.input`.
pub fn parse_param(arg: &str, origin: &str) -> Result<ParamArg, WorkflowError> {
    let bad = |reason: &str| WorkflowError::BadParam {
        arg: arg.to_string(),
        reason: reason.to_string(),
    };
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=VALUE, e.g. -p seed=42 or -p prompt='a red fox'"))?;
    let (name, node) = match key.split_once('@') {
        Some((n, node)) => (n.trim(), Some(node.trim().to_string())),
        None => (key.trim(), None),
    };
    if name.is_empty() {
        return Err(bad("the name before '=' is empty"));
    }
    if let Some(canon) = schema::canonical(name) {
        if node.as_deref() == Some("") {
            return Err(bad("the node after '@' is empty"));
        }
        return Ok(ParamArg::Named {
            name: canon,
            typed: name.to_string(),
            node,
            value: value.to_string(),
            origin: origin.to_string(),
        });
    }
    if node.is_none() && key.contains('.') {
        let mut s = super::inject::parse_set(arg, false)?;
        s.raw = origin.to_string();
        return Ok(ParamArg::Explicit(s));
    }
    // Unknown names are reported against the workflow, which knows what it offers.
    Ok(ParamArg::Named {
        name: "",
        typed: name.to_string(),
        node,
        value: value.to_string(),
        origin: origin.to_string(),
    })
}

/// Applies parameters in order. Nothing changes when any of them fails.
pub fn apply_params(
    wf: &mut Workflow,
    params: &[ParamArg],
    random_seed: &mut dyn FnMut() -> u64,
) -> Result<Vec<Applied>, WorkflowError> {
    apply_params_found(wf, params, &schema::discover(wf), random_seed)
}

/// [`apply_params`] with the workflow's friendly parameters already discovered: a batch traces
/// its graph once, not once per job. `found` must come from this graph (values may differ —
/// friendly names only ever change values, never links).
pub fn apply_params_found(
    wf: &mut Workflow,
    params: &[ParamArg],
    found: &[schema::Param],
    random_seed: &mut dyn FnMut() -> u64,
) -> Result<Vec<Applied>, WorkflowError> {
    let mut staged = wf.clone();
    let mut applied = Vec::new();
    for p in params {
        match p {
            ParamArg::Explicit(s) => {
                super::inject::apply_sets(&mut staged, std::slice::from_ref(s), false)?;
                let id = resolve_node(&staged, &s.node)?;
                let value = staged.nodes[&id]["inputs"][&s.input].clone();
                applied.push(Applied {
                    name: format!("{id}.{}", s.input),
                    targets: vec![Target {
                        node: id,
                        input: s.input.clone(),
                    }],
                    value,
                    origin: s.raw.clone(),
                });
            }
            ParamArg::Named {
                name,
                typed,
                node,
                value,
                origin,
            } => {
                let param = lookup(found, name, typed)?;
                let targets = match node {
                    None => param.targets.clone(),
                    Some(n) => {
                        let id = resolve_node(wf, n)?;
                        let t: Vec<Target> = param
                            .targets
                            .iter()
                            .filter(|t| t.node == id)
                            .cloned()
                            .collect();
                        if t.is_empty() {
                            return Err(WorkflowError::ParamNotOnNode {
                                name: typed.clone(),
                                node: n.clone(),
                                targets: describe(&param.targets),
                            });
                        }
                        t
                    }
                };
                let text = if *name == "seed" && value.trim().eq_ignore_ascii_case("random") {
                    random_seed().to_string()
                } else if *name == "seed" {
                    // `1e3` is the seed 1000, sent as the integer the input holds.
                    seed_number(value).map_or_else(|| value.clone(), |n| n.to_string())
                } else {
                    value.clone()
                };
                let mut written = Value::Null;
                for t in &targets {
                    let class = staged.class_type(&t.node).unwrap_or("?").to_string();
                    let inputs = staged.nodes[&t.node]
                        .get_mut("inputs")
                        .and_then(Value::as_object_mut)
                        .expect("parse guarantees an inputs object");
                    let current = inputs.get(&t.input).cloned().unwrap_or(Value::Null);
                    // A seed past u64 would go out as a float the server rounds.
                    let checked = if *name == "seed" && !seed_fits(&text) {
                        Err("a seed: a whole number from 0 to 18446744073709551615")
                    } else {
                        typed_value(&current, &text)
                    };
                    let new = checked.map_err(|expected| WorkflowError::BadValue {
                        node: t.node.clone(),
                        class_type: class,
                        input: t.input.clone(),
                        value: text.clone(),
                        expected,
                    })?;
                    written = new.clone();
                    inputs.insert(t.input.clone(), new);
                }
                applied.push(Applied {
                    name: name.to_string(),
                    targets,
                    value: written,
                    origin: origin.clone(),
                });
            }
        }
    }
    *wf = staged;
    Ok(applied)
}

/// The seed a text stands for: `42`, or a whole number in another notation (`1e3`, `42.0`)
/// below 2^64, as the server reads it. One reading for `--seed`, `-p seed=`, sweeps and
/// params files (the batch's folder names and manifest use it too).
pub fn seed_number(text: &str) -> Option<u64> {
    let t = text.trim();
    t.parse::<u64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 18_446_744_073_709_551_616.0)
            .map(|f| f as u64)
    })
}

/// Whether a seed's text is one the server can hold: anything not a number, or a negative
/// integer, is left to the input's own check; any other number must be a [`seed_number`].
fn seed_fits(text: &str) -> bool {
    let t = text.trim();
    seed_number(t).is_some() || t.parse::<i64>().is_ok() || t.parse::<f64>().is_err()
}

/// `--randomize-seed`: a fresh seed on every seed input, the same one on all of them (a base
/// and a refiner sampler share their seed). `None` when the workflow has no seed.
pub fn randomize_seed(wf: &mut Workflow, seed: u64) -> Option<Applied> {
    let param = schema::discover(wf)
        .into_iter()
        .find(|p| p.name == "seed")?;
    for t in &param.targets {
        if let Some(inputs) = wf.nodes[&t.node]
            .get_mut("inputs")
            .and_then(Value::as_object_mut)
        {
            inputs.insert(t.input.clone(), Value::from(seed));
        }
    }
    Some(Applied {
        name: "seed".into(),
        targets: param.targets,
        value: Value::from(seed),
        origin: "--randomize-seed".into(),
    })
}

fn lookup<'a>(found: &'a [Param], name: &str, typed: &str) -> Result<&'a Param, WorkflowError> {
    if let Some(p) = found.iter().find(|p| p.name == name) {
        return Ok(p);
    }
    let available: Vec<String> = found.iter().map(|p| p.name.to_string()).collect();
    let options: Vec<Value> = available.iter().map(|s| Value::from(s.as_str())).collect();
    Err(WorkflowError::UnknownParam {
        name: typed.to_string(),
        suggestion: if name.is_empty() {
            super::validate::closest(typed, &options)
        } else {
            None
        },
        available,
        known_elsewhere: !name.is_empty(),
    })
}

/// `6.text, 15.text` for messages.
pub fn describe(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| format!("{}.{}", t.node, t.input))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turns a named flag (`--seed 7`) into a parameter.
pub fn flag_param(name: &'static str, flag: &str, value: &str) -> ParamArg {
    ParamArg::Named {
        name,
        typed: name.to_string(),
        node: None,
        value: value.to_string(),
        origin: format!("{flag} {value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::parse_str;
    use serde_json::json;

    fn wf() -> Workflow {
        parse_str(
            &json!({
                "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
                "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}, "_meta": {"title": "Pos"}},
                "16": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox 2", "clip": ["4", 1]}},
                "17": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["16", 0]}},
                "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
                "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["17", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
                "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}}
            })
            .to_string(),
            "w.json",
        )
        .unwrap()
    }

    fn apply(w: &mut Workflow, args: &[&str]) -> Result<Vec<Applied>, WorkflowError> {
        let ps: Vec<ParamArg> = args
            .iter()
            .map(|a| parse_param(a, &format!("-p {a}")))
            .collect::<Result<_, _>>()?;
        apply_params(w, &ps, &mut || 12345)
    }

    #[test]
    fn sets_every_target_typed_by_the_current_value() {
        let mut w = wf();
        let a = apply(&mut w, &["prompt=a cat", "steps=8", "cfg=4", "seed=random"]).unwrap();
        assert_eq!(w.nodes["6"]["inputs"]["text"], "a cat");
        assert_eq!(w.nodes["16"]["inputs"]["text"], "a cat");
        assert_eq!(w.nodes["3"]["inputs"]["steps"], 8);
        assert_eq!(w.nodes["3"]["inputs"]["cfg"].to_string(), "4.0");
        assert_eq!(w.nodes["3"]["inputs"]["seed"], 12345);
        assert_eq!(a[0].targets.len(), 2);
        assert_eq!(a[3].value, 12345);
    }

    #[test]
    fn seeds_are_whole_numbers_below_two_to_the_64() {
        let mut w = wf();
        apply(&mut w, &["seed=1e3"]).unwrap();
        assert_eq!(w.nodes["3"]["inputs"]["seed"].to_string(), "1000");
        apply(&mut w, &["seed=18446744073709551615"]).unwrap();
        assert_eq!(w.nodes["3"]["inputs"]["seed"], u64::MAX);
        for bad in ["18446744073709551616", "1e30", "1.5"] {
            let e = apply(&mut w, &[&format!("seed={bad}")]).unwrap_err();
            assert!(
                e.to_string().contains("a whole number from 0"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn at_node_targets_one_and_explicit_keys_work() {
        let mut w = wf();
        apply(
            &mut w,
            &["prompt@16=only here", "Pos.text=by title", "3.denoise=0.5"],
        )
        .unwrap();
        assert_eq!(w.nodes["16"]["inputs"]["text"], "only here");
        assert_eq!(w.nodes["6"]["inputs"]["text"], "by title");
        assert_eq!(w.nodes["3"]["inputs"]["denoise"], 0.5);
        let e = apply(&mut w, &["prompt@7=x"]).unwrap_err().to_string();
        assert!(
            e.contains("not one of the nodes 'prompt' sets (6.text, 16.text)"),
            "{e}"
        );
    }

    #[test]
    fn unknown_names_list_valid_ones_and_nothing_changes() {
        let mut w = wf();
        let e = apply(&mut w, &["steps=3", "stesp=4"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown parameter 'stesp' (did you mean 'steps'?)"),
            "{e}"
        );
        assert!(e.contains("prompt, negative, seed, steps, cfg"), "{e}");
        assert_eq!(w.nodes["3"]["inputs"]["steps"], 20, "atomic");
        let e = apply(&mut w, &["guidance=3"]).unwrap_err().to_string();
        assert!(
            e.starts_with("this workflow has no 'guidance' parameter"),
            "{e}"
        );
        let e = apply(&mut w, &["steps=many"]).unwrap_err().to_string();
        assert!(e.contains("holds a number"), "{e}");
        assert!(parse_param("steps", "-p steps").is_err());
    }

    #[test]
    fn randomize_seed_sets_all_seed_inputs() {
        let mut w = wf();
        let a = randomize_seed(&mut w, 77).unwrap();
        assert_eq!(a.value, 77);
        assert_eq!(w.nodes["3"]["inputs"]["seed"], 77);
    }
}
