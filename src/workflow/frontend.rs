//! What the ComfyUI editor itself adds to or changes in a prompt, beyond the server's node
//! definitions: widgets its extensions create, values its own widgets serialize, and how it
//! renumbers subgraph nodes when loading. Measured against `comfyui-frontend-package` 1.58.1
//! (`scripts/editor-oracle.sh`); [`super::convert`] applies these so a converted prompt equals
//! what the editor's Queue button sends.

use super::nodedefs::{InputKind, InputSpec, NodeDef, NodeDefs};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::HashSet;

/// Which editor's Queue button a conversion imitates. Editors differ in the widgets their
/// extensions add and in how they treat subgraphs; each variant was measured against one
/// `comfyui-frontend-package` release (`scripts/editor-oracle.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    /// The 1.2x editors pinned by ComfyUI 0.3.x (measured: 1.27.10, pinned by 0.3.64): keep
    /// saved subgraph node ids even when they clash, send the inner nodes of muted and
    /// bypassed subgraphs, and add `audioUI` to audio nodes and `preview` to `PreviewAny`.
    Legacy,
    /// The newest editor (measured: 1.58.1): renumbers clashing subgraph node ids, and skips
    /// muted or bypassed subgraphs at the top level.
    Current,
}

/// A widget an editor extension adds to a node class on top of the server's definition.
struct ExtensionWidget {
    classes: &'static [&'static str],
    name: &'static str,
    kind: &'static str,
    /// Added at the end of the required inputs (`input.required.NAME = …` before the node is
    /// registered), else after every widget (created with the node).
    required: bool,
    /// Stored in `widgets_values`, so it takes a saved value's place.
    saved: bool,
    /// What it sends whatever was saved; else the saved value, or "".
    sends: Option<&'static str>,
}

const PREVIEW_3D: ExtensionWidget = ExtensionWidget {
    classes: &["SaveGLB", "Preview3D"],
    name: "image",
    kind: "PREVIEW_3D",
    required: true,
    saved: true,
    sends: None,
};

const LEGACY_WIDGETS: &[ExtensionWidget] = &[
    PREVIEW_3D,
    ExtensionWidget {
        classes: &["Preview3DAnimation"],
        name: "image",
        kind: "PREVIEW_3D_ANIMATION",
        required: true,
        saved: true,
        sends: None,
    },
    ExtensionWidget {
        classes: &[
            "LoadAudio",
            "SaveAudio",
            "PreviewAudio",
            "SaveAudioMP3",
            "SaveAudioOpus",
        ],
        name: "audioUI",
        kind: "AUDIO_UI",
        required: true,
        saved: true,
        sends: Some(""),
    },
    ExtensionWidget {
        classes: &["PreviewAny"],
        name: "preview",
        kind: "STRING",
        required: false,
        saved: false,
        sends: Some(""),
    },
];

const CURRENT_WIDGETS: &[ExtensionWidget] = &[PREVIEW_3D];

impl Editor {
    /// The editor a server with these definitions ships, as far as the definitions tell:
    /// servers whose definitions use V3 dynamic inputs (ComfyUI 0.26.0's do, 0.3.64's do not)
    /// are converted for the newest editor, older ones for the 1.2x editor they pin.
    pub fn for_definitions(defs: &NodeDefs) -> Editor {
        if defs.uses_v3_dynamic_inputs() {
            Editor::Current
        } else {
            Editor::Legacy
        }
    }

    /// The editor of a `comfyui-frontend-package` version (a server's
    /// `system_stats.system.required_frontend_version`): 1.27 and older behave as
    /// [`Editor::Legacy`], later ones as [`Editor::Current`] (1.45.19 measured: it renumbers
    /// like 1.58.1, though it still adds `audioUI`). `None` when unreadable.
    pub fn for_frontend_version(version: &str) -> Option<Editor> {
        let mut parts = version.trim().trim_start_matches('v').split('.');
        let major: u64 = parts.next()?.parse().ok()?;
        let minor: u64 = parts.next()?.parse().ok()?;
        Some(if (major, minor) <= (1, 27) {
            Editor::Legacy
        } else {
            Editor::Current
        })
    }

    fn extension_widgets(self) -> &'static [ExtensionWidget] {
        match self {
            Editor::Legacy => LEGACY_WIDGETS,
            Editor::Current => CURRENT_WIDGETS,
        }
    }

    /// Renumbers subgraph node ids that clash ([`normalize_subgraph_ids`]).
    pub fn renumbers_subgraph_nodes(self) -> bool {
        self == Editor::Current
    }

    /// Sends the inner nodes of a muted or bypassed subgraph node at this depth (0 = the
    /// top level): the current editor does inside subgraphs only, the legacy one everywhere.
    pub fn walks_muted_subgraph(self, depth: usize) -> bool {
        match self {
            Editor::Legacy => true,
            Editor::Current => depth > 0,
        }
    }

    /// The inputs as this editor lays them out: the definition's, plus the widgets its
    /// extensions add (after the required inputs, or after everything).
    pub fn inputs(self, def: &NodeDef) -> Cow<'_, [InputSpec]> {
        let extra: Vec<(&ExtensionWidget, InputSpec)> = self
            .extension_widgets()
            .iter()
            .filter(|w| w.classes.contains(&def.class.as_str()) && def.input(w.name).is_none())
            .map(|w| {
                (
                    w,
                    InputSpec {
                        name: w.name.to_string(),
                        required: w.required,
                        kind: InputKind::Custom(w.kind.to_string()),
                        force_input: false,
                        raw: json!([w.kind, {"default": w.sends.unwrap_or("")}]),
                    },
                )
            })
            .collect();
        if extra.is_empty() {
            return Cow::Borrowed(&def.inputs);
        }
        let mut all = def.inputs.clone();
        for (w, spec) in extra {
            let at = if w.required {
                all.iter().take_while(|i| i.required).count()
            } else {
                all.len()
            };
            all.insert(at, spec);
        }
        Cow::Owned(all)
    }

    /// True for an extension widget that is not stored in `widgets_values`, so saved values
    /// do not line up with it.
    pub fn is_unsaved_widget(self, class: &str, name: &str) -> bool {
        self.extension_widgets()
            .iter()
            .any(|w| !w.saved && w.name == name && w.classes.contains(&class))
    }

    /// The value a widget sends whatever was saved: the image-compare viewer's two empty
    /// slots (its images are the node's inputs), and the fixed values of extension widgets.
    pub fn serialized_widget_value(self, class: &str, spec: &InputSpec) -> Option<Value> {
        if let InputKind::Custom(t) = &spec.kind
            && t == "IMAGECOMPARE"
        {
            return Some(json!(["", ""]));
        }
        self.extension_widgets()
            .iter()
            .find(|w| w.name == spec.name && w.classes.contains(&class))
            .and_then(|w| w.sends)
            .map(Value::from)
    }
}

/// A widget value as the editor posts it: numbers as JavaScript writes them (`1`, not `1.0`)
/// and lists wrapped as `{"__value__": [...]}`, which the server unwraps; a bare two-item list
/// would read as a link.
pub fn posted(mut v: Value) -> Value {
    js_numbers(&mut v);
    match v {
        Value::Array(_) => json!({ "__value__": v }),
        other => other,
    }
}

/// Writes integral floats as integers, as `JSON.stringify` does (JavaScript has one number
/// type); beyond 2^53 a float is left alone, since it would not round-trip either way.
pub fn js_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(js_numbers),
        Value::Object(o) => o.values_mut().for_each(js_numbers),
        _ => {}
    }
}

/// `CustomCombo`'s options are widgets of the node, not declared inputs: after `choice` the
/// editor keeps a hidden `index` (recomputed when sending: where the choice is among the
/// options, -1 if nowhere) and `option1`…`optionN`, the last always empty. The server reads
/// `index` for the node's INDEX output.
pub fn custom_combo_inputs(saved: &[Value], inputs: &mut Map<String, Value>) {
    // Saved: [choice, index, option1, …]; files from before `index` existed lack it.
    let options_from = match saved.get(1) {
        Some(Value::Number(_)) => 2,
        _ => 1,
    };
    let mut options: Vec<Value> = saved.get(options_from..).unwrap_or_default().to_vec();
    if options.last().is_none_or(|v| v.as_str() != Some("")) {
        options.push(Value::from(""));
    }
    inputs.insert("index".into(), Value::from(-1));
    for (k, o) in options.into_iter().enumerate() {
        inputs.insert(format!("option{}", k + 1), o);
    }
}

/// `index` once the choice is known (it may come through a link).
pub fn custom_combo_index(inputs: &mut Map<String, Value>) {
    let Some(choice) = inputs.get("choice").cloned() else {
        return;
    };
    let index = (1..)
        .map_while(|k| inputs.get(&format!("option{k}")))
        .position(|o| *o == choice)
        .map_or(-1, |i| i as i64);
    inputs.insert("index".into(), Value::from(index));
}

/// Renumbers subgraph nodes the way the editor does when it loads a workflow: node ids must
/// be unique across the root graph and every subgraph definition, so a definition's node whose
/// id is already taken (by a root node, or by a node of an earlier definition) gets the next
/// free id after the highest seen, and the definition's links follow. Nested definitions are
/// listed flat, after their parent, as the editor does. Returns `None` when nothing changes.
pub fn normalize_subgraph_ids(doc: &Value) -> Option<Value> {
    let defs = doc.pointer("/definitions/subgraphs")?.as_array()?;
    let mut flat = Vec::new();
    flatten(defs, &mut flat);
    let mut seen_defs = HashSet::new();
    flat.retain(|d| seen_defs.insert(d.get("id").map(Value::to_string)));
    let key = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let root_ids: Vec<Value> = doc
        .get("nodes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|n| n.get("id").cloned()).collect())
        .unwrap_or_default();
    let mut reserved: HashSet<String> = root_ids.iter().map(key).collect();
    let mut numeric: HashSet<i64> = root_ids.iter().filter_map(Value::as_i64).collect();
    let mut last = [doc.get("last_node_id"), doc.pointer("/state/lastNodeId")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .max()
        .unwrap_or(0)
        .max(0);
    let mut changed = flat.len() != defs.len();
    for def in &mut flat {
        let mut remap: Vec<(i64, i64)> = Vec::new();
        let mut own = HashSet::new();
        if let Some(nodes) = def.get_mut("nodes").and_then(Value::as_array_mut) {
            // A definition that lists one id twice keeps the first.
            nodes.retain(|n| own.insert(n.get("id").map(key)));
            for n in nodes.iter_mut() {
                let Some(id) = n.get("id").cloned() else {
                    continue;
                };
                if reserved.contains(&key(&id)) {
                    let mut next = last + 1;
                    while numeric.contains(&next) {
                        next += 1;
                    }
                    last = next;
                    numeric.insert(next);
                    reserved.insert(next.to_string());
                    if let Some(old) = id.as_i64() {
                        remap.push((old, next));
                    }
                    n["id"] = Value::from(next);
                } else {
                    reserved.insert(key(&id));
                    if let Some(i) = id.as_i64() {
                        numeric.insert(i);
                        last = last.max(i);
                    }
                }
            }
        }
        if remap.is_empty() {
            continue;
        }
        changed = true;
        let new_id = |old: &Value| {
            old.as_i64()
                .and_then(|o| remap.iter().find(|(f, _)| *f == o))
                .map(|(_, t)| Value::from(*t))
        };
        for list in ["links", "floatingLinks"] {
            for l in def
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                for end in ["origin_id", "target_id"] {
                    if let Some(n) = l.get(end).and_then(new_id) {
                        l[end] = n;
                    }
                }
            }
        }
        for w in def
            .get_mut("widgets")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(n) = w.get("id").and_then(new_id) {
                w["id"] = n;
            }
        }
    }
    if !changed {
        return None;
    }
    let mut out = doc.clone();
    out["definitions"]["subgraphs"] = Value::Array(flat);
    Some(out)
}

fn flatten(defs: &[Value], out: &mut Vec<Value>) {
    for d in defs {
        let mut own = d.clone();
        let nested = own
            .get_mut("definitions")
            .and_then(|x| x.get_mut("subgraphs"))
            .map(Value::take);
        out.push(own);
        if let Some(Value::Array(n)) = nested {
            flatten(&n, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_javascript_does() {
        let mut v = json!([1.0, 0.5, -0.0, 8, 1e300, {"a": 2.0}]);
        js_numbers(&mut v);
        assert_eq!(v.to_string(), "[1,0.5,0,8,1e+300,{\"a\":2}]");
        // What JSON.stringify writes for the same numbers. Not covered: from 1e-6 up to 1e-5,
        // where serde_json writes `1e-6` and JavaScript `0.000001` (the server reads both; the
        // golden comparison would report it as formatting).
        let mut w = json!([1e-7, 0.00001234, 1e21, 5e-324, 0.30000000000000004]);
        js_numbers(&mut w);
        assert_eq!(
            w.to_string(),
            "[1e-7,0.00001234,1e+21,5e-324,0.30000000000000004]"
        );
        assert_eq!(posted(json!(["", ""])), json!({"__value__": ["", ""]}));
        assert_eq!(posted(json!(3.0)).to_string(), "3");
    }

    #[test]
    fn the_editor_follows_the_server() {
        let old = include_bytes!("../../tests/fixtures/real-comfyui-0.3.64/object_info.json");
        let new = include_bytes!("../../tests/fixtures/real-comfyui-0.26.0/object_info.json");
        let old = NodeDefs::from_slice(old).unwrap();
        let new = NodeDefs::from_slice(new).unwrap();
        assert_eq!(Editor::for_definitions(&old), Editor::Legacy);
        assert_eq!(Editor::for_definitions(&new), Editor::Current);
        assert_eq!(
            Editor::for_frontend_version("1.27.10"),
            Some(Editor::Legacy)
        );
        assert_eq!(
            Editor::for_frontend_version("1.45.19"),
            Some(Editor::Current)
        );
        assert_eq!(
            Editor::for_frontend_version("v1.58.1"),
            Some(Editor::Current)
        );
        assert_eq!(Editor::for_frontend_version("latest"), None);
        // The 1.27 editor's audio player widget sits after the required inputs and sends "".
        let load_audio = old.get("LoadAudio").unwrap();
        let legacy = Editor::Legacy.inputs(load_audio);
        let names: Vec<&str> = legacy.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["audio", "audioUI"]);
        assert_eq!(Editor::Current.inputs(load_audio).len(), 1);
    }

    #[test]
    fn custom_combo_options_and_index() {
        let mut inputs = Map::new();
        inputs.insert("choice".into(), json!("b"));
        custom_combo_inputs(&[json!("b"), json!(0), json!("a"), json!("b")], &mut inputs);
        custom_combo_index(&mut inputs);
        assert_eq!(
            Value::Object(inputs),
            json!({"choice": "b", "index": 1, "option1": "a", "option2": "b", "option3": ""})
        );
    }

    #[test]
    fn subgraph_node_ids_are_made_unique_like_the_editor() {
        let doc = json!({
            "last_node_id": 29,
            "nodes": [{"id": 15, "type": "sub-a"}, {"id": 2, "type": "X"}],
            "definitions": {"subgraphs": [
                {"id": "sub-a", "nodes": [{"id": 5}, {"id": 15}, {"id": 2}],
                 "links": [{"id": 1, "origin_id": 15, "target_id": 5}],
                 "definitions": {"subgraphs": [{"id": "sub-b", "nodes": [{"id": 5}]}]}}
            ]}
        });
        let out = normalize_subgraph_ids(&doc).unwrap();
        let subs = out["definitions"]["subgraphs"].as_array().unwrap();
        assert_eq!(subs.len(), 2, "nested definitions are listed flat");
        let ids: Vec<&Value> = subs[0]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["id"])
            .collect();
        assert_eq!(ids, [&json!(5), &json!(30), &json!(31)]);
        assert_eq!(subs[0]["links"][0]["origin_id"], 30);
        assert_eq!(
            subs[1]["nodes"][0]["id"], 32,
            "taken by the first definition"
        );
        let plain = json!({"nodes": [{"id": 1}], "definitions": {"subgraphs": [{"id": "s", "nodes": [{"id": 2}]}]}});
        assert!(normalize_subgraph_ids(&plain).is_none());
    }
}
