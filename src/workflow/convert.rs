//! Editor-saved (UI-format) workflows to API format, the way the editor's "Queue" does it
//! (`graphToPrompt`), using the server's node definitions to map `widgets_values` to inputs.
//!
//! What the editor does and this follows:
//! - widget values are listed in the order the node definition declares its widget inputs
//!   (required, then optional), with an extra value after seed-like widgets
//!   (`control_after_generate`) and after upload combos; dict-shaped values map by name;
//! - a link overrides a widget's value; links are followed through `Reroute`, `PrimitiveNode`
//!   (its value), bypassed nodes (mode 4: the input of the same type passes through) and
//!   subgraph boundaries; a link from a muted node (mode 2) is dropped;
//! - frontend-only nodes (notes, reroutes, primitives) and muted or bypassed nodes are not sent;
//! - subgraphs (`definitions.subgraphs`, nested too) are expanded with ids `OUTER:INNER`, the
//!   same execution ids the editor uses, so errors point back at the editor's node;
//! - legacy group nodes (`extra.groupNodes`) are expanded the same way.

use super::frontend::{self, Editor};
use super::nodedefs::{InputKind, InputSpec, NodeDef, NodeDefs};
use super::{Workflow, WorkflowError};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// A model the editor workflow says it needs, from a node's `properties.models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelHint {
    /// File name.
    pub name: String,
    /// Where to download it.
    pub url: Option<String>,
    /// The `models/` folder it goes in.
    pub directory: Option<String>,
    /// The API node id that declared it.
    pub node: String,
    /// The file's sha256 when the workflow states one (`hash` with `hash_type: SHA256`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The result of a conversion.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The prompt.
    pub workflow: Workflow,
    /// Things that were mapped but may not be what the editor would do (a widget count that does
    /// not match the definition).
    pub warnings: Vec<String>,
}

/// Nodes that exist only in the editor.
const VIRTUAL: &[&str] = &[
    "Note",
    "MarkdownNote",
    "Reroute",
    "PrimitiveNode",
    "Reroute (rgthree)",
    "Label (rgthree)",
    "Bookmark (rgthree)",
    "Fast Groups Bypasser (rgthree)",
    "Fast Groups Muter (rgthree)",
    "Fast Bypasser (rgthree)",
    "Fast Muter (rgthree)",
    "Note Plus (mtb)",
    "SetNode",
    "GetNode",
];

/// The value the editor stores after a seed widget.
const CONTROL_VALUES: &[&str] = &["fixed", "increment", "decrement", "randomize"];

/// True for a document saved by the editor rather than an API prompt.
pub fn is_ui_format(v: &Value) -> bool {
    v.get("nodes").is_some_and(Value::is_array) && v.get("links").is_some()
}

#[derive(Debug, Clone, Copy)]
struct Link {
    origin: i64,
    origin_slot: usize,
    target: i64,
    target_slot: usize,
}

/// One graph: the top level, a subgraph definition, or a group node definition.
struct Graph<'a> {
    nodes: Vec<&'a Value>,
    by_id: HashMap<i64, &'a Value>,
    links: HashMap<i64, Link>,
    /// Subgraph inputs `(name, type)`, for boundary links.
    inputs: Vec<(String, String)>,
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .or_else(|| v.as_f64().map(|f| f as i64))
}

fn parse_link(l: &Value) -> Option<(i64, Link)> {
    match l {
        // [id, origin_id, origin_slot, target_id, target_slot, type]
        Value::Array(a) if a.len() >= 5 => Some((
            as_i64(&a[0])?,
            Link {
                origin: as_i64(&a[1])?,
                origin_slot: as_i64(&a[2])? as usize,
                target: as_i64(&a[3])?,
                target_slot: as_i64(&a[4])? as usize,
            },
        )),
        Value::Object(o) => Some((
            as_i64(o.get("id")?)?,
            Link {
                origin: as_i64(o.get("origin_id")?)?,
                origin_slot: as_i64(o.get("origin_slot")?)? as usize,
                target: as_i64(o.get("target_id")?)?,
                target_slot: as_i64(o.get("target_slot")?)? as usize,
            },
        )),
        _ => None,
    }
}

impl<'a> Graph<'a> {
    fn new(doc: &'a Value) -> Graph<'a> {
        let mut nodes: Vec<&Value> = doc
            .get("nodes")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        // The editor sends nodes in execution order; `order` is what it saved.
        nodes.sort_by_key(|n| n.get("order").and_then(Value::as_i64).unwrap_or(i64::MAX));
        let by_id = nodes
            .iter()
            .filter_map(|n| Some((as_i64(n.get("id")?)?, *n)))
            .collect();
        let links = doc
            .get("links")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(parse_link).collect())
            .unwrap_or_default();
        let inputs = doc
            .get("inputs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|i| {
                        let s =
                            |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        (s("name"), s("type"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Graph {
            nodes,
            by_id,
            links,
            inputs,
        }
    }
}

/// Where a graph sits: its id prefix and the instance node that holds it.
struct Scope<'s, 'a> {
    graph: &'s Graph<'a>,
    prefix: String,
    parent: Option<(&'s Scope<'s, 'a>, &'a Value)>,
}

/// What an input link resolves to.
enum Source {
    /// An output of an API node.
    Node(String, usize),
    /// A literal (a PrimitiveNode's value).
    Value(Value),
    /// Nothing: the input is left to its widget value, or out.
    None,
}

/// Subgraph and group node definitions, by id/name; read-only during the walk.
struct Graphs<'a> {
    subgraphs: HashMap<String, Graph<'a>>,
    groups: HashMap<String, Graph<'a>>,
}

struct Converter<'g, 'a> {
    defs: &'g NodeDefs,
    editor: Editor,
    graphs: &'g Graphs<'a>,
    out: Map<String, Value>,
    hints: Vec<ModelHint>,
    warnings: Vec<String>,
    unknown: BTreeMap<String, Vec<String>>,
    broken: Vec<String>,
    /// Nodes, by class, saved with more widget values than the definition has widgets.
    surplus: BTreeMap<String, Vec<String>>,
}

fn node_type(n: &Value) -> &str {
    n.get("type").and_then(Value::as_str).unwrap_or("")
}

fn mode(n: &Value) -> i64 {
    n.get("mode").and_then(Value::as_i64).unwrap_or(0)
}

fn title_of(n: &Value) -> Option<&str> {
    n.get("title").and_then(Value::as_str)
}

fn label(prefix: &str, n: &Value) -> String {
    let id = n
        .get("id")
        .map(|v| v.to_string().trim_matches('"').to_string())
        .unwrap_or_default();
    match title_of(n) {
        Some(t) => format!("#{prefix}{id} \"{t}\""),
        None => format!("#{prefix}{id}"),
    }
}

/// The name of an editor input: the widget it stands for, else its own name.
fn input_name(i: &Value) -> &str {
    i.pointer("/widget/name")
        .and_then(Value::as_str)
        .or_else(|| i.get("name").and_then(Value::as_str))
        .unwrap_or("")
}

fn group_name(t: &str) -> Option<&str> {
    t.strip_prefix("workflow>")
        .or_else(|| t.strip_prefix("workflow/"))
}

/// Converts an editor workflow with the server's definitions, as the editor that server
/// ships would ([`Editor::for_definitions`]). Unknown node types are all reported together;
/// links that point nowhere name the node.
pub fn convert(ui: &Value, source_name: &str, defs: &NodeDefs) -> Result<Converted, WorkflowError> {
    convert_as(ui, source_name, defs, Editor::for_definitions(defs))
}

/// [`convert`] as a given editor's Queue button would (when the server's editor version is
/// known: [`Editor::for_frontend_version`]).
pub fn convert_as(
    ui: &Value,
    source_name: &str,
    defs: &NodeDefs,
    editor: Editor,
) -> Result<Converted, WorkflowError> {
    convert_inner(ui, source_name, defs, editor, false).map(|(c, _)| c)
}

/// Converts what can be converted, leaving out nodes of unknown types (for `deps`, which reports
/// them): the prompt plus the unknown types and the editor nodes that use them.
pub fn convert_lenient(
    ui: &Value,
    source_name: &str,
    defs: &NodeDefs,
) -> Result<(Converted, BTreeMap<String, Vec<String>>), WorkflowError> {
    convert_inner(ui, source_name, defs, Editor::for_definitions(defs), true)
}

fn convert_inner(
    ui: &Value,
    source_name: &str,
    defs: &NodeDefs,
    editor: Editor,
    lenient: bool,
) -> Result<(Converted, BTreeMap<String, Vec<String>>), WorkflowError> {
    // The editor renumbers clashing subgraph node ids on load; the prompt uses its ids.
    let normalized = editor
        .renumbers_subgraph_nodes()
        .then(|| frontend::normalize_subgraph_ids(ui))
        .flatten();
    let doc = normalized.as_ref().unwrap_or(ui);
    let mut subgraphs = HashMap::new();
    collect_subgraphs(doc, &mut subgraphs);
    let groups = doc
        .pointer("/extra/groupNodes")
        .and_then(Value::as_object)
        .map(|g| g.iter().map(|(k, v)| (k.clone(), group_graph(v))).collect())
        .unwrap_or_default();
    let graphs = Graphs { subgraphs, groups };
    let mut c = Converter {
        defs,
        editor,
        graphs: &graphs,
        out: Map::new(),
        hints: Vec::new(),
        warnings: Vec::new(),
        unknown: BTreeMap::new(),
        broken: Vec::new(),
        surplus: BTreeMap::new(),
    };
    let top = Graph::new(doc);
    let scope = Scope {
        graph: &top,
        prefix: String::new(),
        parent: None,
    };
    c.walk(&scope, 0);
    for (class, nodes) in std::mem::take(&mut c.surplus) {
        c.warnings.push(format!(
            "{class} (node {}): saved with more widget values than this server's {class} has widgets (a newer version of the node?); the extra values are not sent, as the editor does not send them",
            nodes.join(", ")
        ));
    }
    if !c.unknown.is_empty() && !lenient {
        let list: Vec<String> = c
            .unknown
            .iter()
            .map(|(t, nodes)| format!("{t} ({})", nodes.join(", ")))
            .collect();
        return Err(WorkflowError::UnknownNodeTypes {
            source_name: source_name.to_string(),
            count: c.unknown.len(),
            types: list.join("; "),
        });
    }
    if !c.broken.is_empty() && !lenient {
        return Err(WorkflowError::Convert {
            source_name: source_name.to_string(),
            reason: c.broken.join("; "),
        });
    }
    if c.out.is_empty() && !lenient {
        return Err(WorkflowError::Convert {
            source_name: source_name.to_string(),
            reason: "no node would be sent (all are notes, muted or bypassed)".into(),
        });
    }
    Ok((
        Converted {
            workflow: Workflow {
                nodes: c.out,
                source_name: source_name.to_string(),
                dropped_keys: Vec::new(),
                editor: Some(ui.clone()),
                model_hints: c.hints,
            },
            warnings: c.warnings,
        },
        c.unknown,
    ))
}

fn collect_subgraphs<'a>(doc: &'a Value, into: &mut HashMap<String, Graph<'a>>) {
    let Some(list) = doc
        .pointer("/definitions/subgraphs")
        .and_then(Value::as_array)
    else {
        return;
    };
    for s in list {
        if let Some(id) = s.get("id").and_then(Value::as_str) {
            into.insert(id.to_string(), Graph::new(s));
        }
        // Definitions nested inside a definition.
        collect_subgraphs(s, into);
    }
}

/// A legacy group node definition as a graph: inner nodes are numbered by `index`, links are
/// `[origin_index, origin_slot, target_index, target_slot, …]`.
fn group_graph(def: &Value) -> Graph<'_> {
    let nodes: Vec<&Value> = def
        .get("nodes")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let by_id = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n.get("index").and_then(Value::as_i64).unwrap_or(i as i64),
                *n,
            )
        })
        .collect();
    let mut links = HashMap::new();
    if let Some(a) = def.get("links").and_then(Value::as_array) {
        for (i, l) in a.iter().enumerate() {
            if let Some(l) = l.as_array()
                && l.len() >= 4
                && let (Some(o), Some(os), Some(t), Some(ts)) =
                    (as_i64(&l[0]), as_i64(&l[1]), as_i64(&l[2]), as_i64(&l[3]))
            {
                links.insert(
                    i as i64,
                    Link {
                        origin: o,
                        origin_slot: os as usize,
                        target: t,
                        target_slot: ts as usize,
                    },
                );
            }
        }
    }
    Graph {
        nodes,
        by_id,
        links,
        inputs: Vec::new(),
    }
}

impl<'g, 'a: 'g> Converter<'g, 'a> {
    fn walk(&mut self, scope: &Scope<'_, 'a>, depth: usize) {
        if depth > 32 {
            self.broken.push(format!(
                "subgraphs nested more than 32 deep at {}",
                scope.prefix
            ));
            return;
        }
        for &node in &scope.graph.nodes {
            let t = node_type(node);
            let m = mode(node);
            // The editor may still send the inner nodes of a muted or bypassed subgraph (by
            // their own modes); links through it are muted or bypassed all the same.
            let walked =
                self.editor.walks_muted_subgraph(depth) && self.graphs.subgraphs.contains_key(t);
            if (m == 2 || m == 4) && !walked {
                continue;
            }
            if VIRTUAL.contains(&t) {
                continue;
            }
            let id = node.get("id").and_then(as_i64).unwrap_or(-1);
            let graphs = self.graphs;
            if let Some(sub) = graphs.subgraphs.get(t) {
                let child = Scope {
                    graph: sub,
                    prefix: format!("{}{id}:", scope.prefix),
                    parent: Some((scope, node)),
                };
                self.walk(&child, depth + 1);
                continue;
            }
            if let Some(g) = group_name(t).and_then(|g| graphs.groups.get(g)) {
                self.walk_group(scope, node, g, id);
                continue;
            }
            let Some(def) = self.defs.get(t) else {
                self.unknown
                    .entry(if t.is_empty() {
                        "(no type)".into()
                    } else {
                        t.to_string()
                    })
                    .or_default()
                    .push(label(&scope.prefix, node));
                continue;
            };
            let api_id = format!("{}{id}", scope.prefix);
            self.emit(scope, node, def, &api_id);
        }
    }

    fn emit(&mut self, scope: &Scope<'_, 'a>, node: &'a Value, def: &NodeDef, api_id: &str) {
        let specs = self.editor.inputs(def);
        let mut inputs = self.widgets(node, def, &specs, api_id);
        let mut links = Vec::new();
        for i in node
            .get("inputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(link) = i.get("link").and_then(as_i64) else {
                continue;
            };
            let name = input_name(i).to_string();
            match self.resolve(scope, link, 0) {
                Ok(Source::Node(src, slot)) => {
                    links.push(name.clone());
                    inputs.insert(name, json!([src, slot]));
                }
                // A value for an input this server's definition lacks (the workflow was saved
                // with a newer node) has no widget to land on in the editor: not sent.
                Ok(Source::Value(_)) if !declares(&def.class, &specs, &name) => {
                    self.warnings.push(format!(
                        "node {api_id} ({}): input '{name}' is not in this server's definition; its value is not sent",
                        def.class
                    ));
                }
                Ok(Source::Value(v)) => {
                    inputs.insert(name, v);
                }
                Ok(Source::None) => {}
                Err(reason) => self.broken.push(format!(
                    "node {} ({}), input {name}: {reason}",
                    label(&scope.prefix, node),
                    node_type(node)
                )),
            }
        }
        // Widgets the saved workflow predates get the defaults the editor would give them.
        fill_defaults(&specs, "", &mut inputs);
        for spec in specs.iter() {
            if let Some(v) = self.editor.serialized_widget_value(&def.class, spec) {
                inputs.insert(spec.name.clone(), v);
            }
        }
        if def.class == "CustomCombo" {
            frontend::custom_combo_index(&mut inputs);
        }
        let inputs = order_like_editor(&specs, inputs, &links);
        let title = title_of(node)
            .map(str::to_string)
            .or_else(|| def.display_name.clone())
            .unwrap_or_else(|| def.class.clone());
        if let Some(models) = node.pointer("/properties/models").and_then(Value::as_array) {
            for m in models {
                if let Some(name) = m.get("name").and_then(Value::as_str) {
                    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
                    self.hints.push(ModelHint {
                        name: name.to_string(),
                        url: s("url"),
                        directory: s("directory"),
                        node: api_id.to_string(),
                        sha256: s("hash").filter(|_| {
                            s("hash_type").is_some_and(|t| t.eq_ignore_ascii_case("sha256"))
                        }),
                    });
                }
            }
        }
        self.out.insert(
            api_id.to_string(),
            json!({"inputs": inputs, "class_type": def.class, "_meta": {"title": title}}),
        );
    }

    /// Expands a legacy group node: its inner nodes get ids `GROUP:INDEX`; its inputs feed the
    /// inner inputs that have no inner link, in node order; its widget values fill the inner
    /// widgets in node order.
    fn walk_group(&mut self, scope: &Scope<'_, 'a>, node: &'a Value, g: &Graph<'a>, id: i64) {
        let prefix = format!("{}{id}:", scope.prefix);
        let values: Vec<Value> = node
            .get("widgets_values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut taken = 0usize;
        let outer_inputs: Vec<&Value> = node
            .get("inputs")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mut next_outer = 0usize;
        for &inner in &g.nodes {
            let t = node_type(inner);
            let Some(def) = self.defs.get(t) else {
                self.unknown.entry(t.to_string()).or_default().push(format!(
                    "{} inside group node {}",
                    label("", inner),
                    label(&scope.prefix, node)
                ));
                continue;
            };
            let index = inner.get("index").and_then(Value::as_i64).unwrap_or(0);
            let api_id = format!("{prefix}{index}");
            let mut inputs = Map::new();
            // Widgets: the group node's own values, in inner node order, else the stored ones.
            let stored = self.widgets(inner, def, &self.editor.inputs(def), &api_id);
            let mut i = 0;
            let mut own = Map::new();
            map_widgets(&def.inputs, "", &values[taken..], &mut i, &mut own);
            taken += i;
            for (k, v) in stored {
                inputs.insert(k, v);
            }
            for (k, v) in own {
                inputs.insert(k, v);
            }
            // Links: inner ones, else the next group input.
            for spec in &def.inputs {
                let inner_link = g.links.values().find(|l| {
                    l.target == index
                        && target_name(inner, def, l.target_slot) == Some(spec.name.as_str())
                });
                if let Some(l) = inner_link {
                    inputs.insert(
                        spec.name.clone(),
                        json!([format!("{prefix}{}", l.origin), l.origin_slot]),
                    );
                    continue;
                }
                if spec.kind.is_widget() && !spec.force_input {
                    continue;
                }
                if let Some(outer) = outer_inputs.get(next_outer) {
                    next_outer += 1;
                    if let Some(link) = outer.get("link").and_then(as_i64) {
                        match self.resolve(scope, link, 0) {
                            Ok(Source::Node(src, slot)) => {
                                inputs.insert(spec.name.clone(), json!([src, slot]));
                            }
                            Ok(Source::Value(v)) => {
                                inputs.insert(spec.name.clone(), v);
                            }
                            Ok(Source::None) => {}
                            Err(reason) => self.broken.push(reason),
                        }
                    }
                }
            }
            let title = title_of(inner)
                .map(str::to_string)
                .unwrap_or_else(|| def.class.clone());
            self.out.insert(
                api_id,
                json!({"inputs": inputs, "class_type": def.class, "_meta": {"title": title}}),
            );
        }
    }

    /// Follows a link to the API node output (or literal) that feeds it.
    fn resolve(&self, scope: &Scope<'_, 'a>, link_id: i64, depth: usize) -> Result<Source, String> {
        self.resolve_from(scope, link_id, depth, false)
    }

    /// [`Self::resolve`], knowing whether the link was reached through a Reroute or a bypassed
    /// node: a PrimitiveNode's value reaches only the widgets it is linked to directly (the
    /// editor copies it onto its link targets before sending, and a Reroute has no widget), so
    /// one found further up leaves the input to its own widget value.
    fn resolve_from(
        &self,
        scope: &Scope<'_, 'a>,
        link_id: i64,
        depth: usize,
        indirect: bool,
    ) -> Result<Source, String> {
        if depth > 256 {
            return Err("links form a cycle through reroute or bypassed nodes".into());
        }
        let Some(link) = scope.graph.links.get(&link_id).copied() else {
            return Err(format!("link {link_id} does not exist"));
        };
        // Subgraph input: continue outside, at the instance's matching input.
        if link.origin == -10 {
            let Some((parent, instance)) = scope.parent else {
                return Err(format!(
                    "link {link_id} starts at a subgraph input outside a subgraph"
                ));
            };
            let name = scope
                .graph
                .inputs
                .get(link.origin_slot)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            // By name: an instance may list only some of the subgraph's inputs.
            let outer = instance
                .get("inputs")
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|i| i.get("name").and_then(Value::as_str) == Some(name.as_str()))
                });
            return match outer.and_then(|i| i.get("link")).and_then(as_i64) {
                Some(l) => self.resolve_from(parent, l, depth + 1, indirect),
                None => Ok(
                    match instance_widget_value(instance, &scope.graph.inputs, &name) {
                        Source::None => self.promoted_value(scope, link.origin_slot),
                        v => v,
                    },
                ),
            };
        }
        let Some(&node) = scope.graph.by_id.get(&link.origin) else {
            return Err(format!(
                "link {link_id} starts at node {} which does not exist",
                link.origin
            ));
        };
        match mode(node) {
            2 => return Ok(Source::None),
            4 => return self.bypass(scope, node, link.origin_slot, depth),
            _ => {}
        }
        let t = node_type(node);
        match t {
            "Reroute" | "Reroute (rgthree)" => {
                return match first_link(node) {
                    Some(l) => self.resolve_from(scope, l, depth + 1, true),
                    None => Ok(Source::None),
                };
            }
            "PrimitiveNode" if indirect => return Ok(Source::None),
            "PrimitiveNode" => {
                return Ok(node
                    .get("widgets_values")
                    .and_then(|w| w.get(0))
                    .cloned()
                    .map(Source::Value)
                    .unwrap_or(Source::None));
            }
            "GetNode" => {
                let name = node.pointer("/widgets_values/0");
                let set =
                    scope.graph.nodes.iter().find(|n| {
                        node_type(n) == "SetNode" && n.pointer("/widgets_values/0") == name
                    });
                return match set.and_then(|s| first_link(s)) {
                    Some(l) => self.resolve(scope, l, depth + 1),
                    None => Ok(Source::None),
                };
            }
            _ => {}
        }
        if VIRTUAL.contains(&t) {
            return Ok(Source::None);
        }
        if let Some(sub) = self.graphs.subgraphs.get(t) {
            let inner = sub
                .links
                .iter()
                .filter(|(_, l)| l.target == -20 && l.target_slot == link.origin_slot)
                .map(|(id, _)| *id)
                .min();
            let child = Scope {
                graph: sub,
                prefix: format!("{}{}:", scope.prefix, link.origin),
                parent: Some((scope, node)),
            };
            return match inner {
                Some(l) => self.resolve(&child, l, depth + 1),
                None => Ok(Source::None),
            };
        }
        if let Some(g) = group_name(t).and_then(|g| self.graphs.groups.get(g)) {
            // A group node's outputs are its inner nodes' outputs that are not linked inside,
            // in node order.
            let mut k = 0;
            for &inner in &g.nodes {
                let index = inner.get("index").and_then(Value::as_i64).unwrap_or(0);
                let outs = inner
                    .get("outputs")
                    .and_then(Value::as_array)
                    .map(Vec::len)
                    .unwrap_or(0);
                for slot in 0..outs {
                    let used_inside = g
                        .links
                        .values()
                        .any(|l| l.origin == index && l.origin_slot == slot);
                    if used_inside && g.nodes.len() > 1 {
                        continue;
                    }
                    if k == link.origin_slot {
                        return Ok(Source::Node(
                            format!("{}{}:{index}", scope.prefix, link.origin),
                            slot,
                        ));
                    }
                    k += 1;
                }
            }
            return Err(format!(
                "group node {} has no output {}",
                label(&scope.prefix, node),
                link.origin_slot
            ));
        }
        Ok(Source::Node(
            format!("{}{}", scope.prefix, link.origin),
            link.origin_slot,
        ))
    }

    /// The value behind an unlinked subgraph input: the editor shows it as a widget promoted
    /// from an inner node that the input also feeds, so non-widget targets (a `*` input) get
    /// that inner widget's value.
    fn promoted_value(&self, scope: &Scope<'_, 'a>, slot: usize) -> Source {
        for l in scope.graph.links.values() {
            if l.origin != -10 || l.origin_slot != slot {
                continue;
            }
            let Some(&target) = scope.graph.by_id.get(&l.target) else {
                continue;
            };
            let Some(input) = target
                .get("inputs")
                .and_then(Value::as_array)
                .and_then(|a| a.get(l.target_slot))
            else {
                continue;
            };
            if input.get("widget").is_none() {
                continue;
            }
            let Some(def) = self.defs.get(node_type(target)) else {
                continue;
            };
            let mut values = Map::new();
            if let Some(v) = target.get("widgets_values").and_then(Value::as_array) {
                map_widgets(&def.inputs, "", v, &mut 0, &mut values);
            }
            fill_defaults(&def.inputs, "", &mut values);
            if let Some(v) = values.get(input_name(input)) {
                return Source::Value(v.clone());
            }
        }
        Source::None
    }

    /// A bypassed node passes an input of the output's type through (the same slot first).
    fn bypass(
        &self,
        scope: &Scope<'_, 'a>,
        node: &'a Value,
        slot: usize,
        depth: usize,
    ) -> Result<Source, String> {
        let out_type = node
            .get("outputs")
            .and_then(|o| o.get(slot))
            .and_then(|o| o.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("*");
        let inputs: Vec<&Value> = node
            .get("inputs")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let fits = |i: &Value| {
            let t = i.get("type").and_then(Value::as_str).unwrap_or("*");
            (t == out_type || t == "*" || out_type == "*")
                && i.get("link").and_then(as_i64).is_some()
        };
        let pick = inputs
            .get(slot)
            .filter(|i| fits(i))
            .copied()
            .or_else(|| inputs.iter().copied().find(|i| fits(i)));
        match pick.and_then(|i| i.get("link")).and_then(as_i64) {
            Some(l) => self.resolve_from(scope, l, depth + 1, true),
            None => Ok(Source::None),
        }
    }

    /// Maps `widgets_values` to input names.
    fn widgets(
        &mut self,
        node: &Value,
        def: &NodeDef,
        specs: &[InputSpec],
        api_id: &str,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        // Extension widgets the editor does not save take no saved value.
        let unsaved = |s: &InputSpec| self.editor.is_unsaved_widget(&def.class, &s.name);
        let saved_only: Vec<InputSpec>;
        let specs = if specs.iter().any(unsaved) {
            saved_only = specs.iter().filter(|s| !unsaved(s)).cloned().collect();
            saved_only.as_slice()
        } else {
            specs
        };
        match node.get("widgets_values") {
            Some(Value::Object(o)) => {
                for (k, v) in o {
                    if def.input(k).is_some() {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            Some(Value::Array(values)) if def.class == "CustomCombo" => {
                let mut i = 0;
                map_widgets(specs, "", values, &mut i, &mut out);
                frontend::custom_combo_inputs(values, &mut out);
            }
            Some(Value::Array(values)) => {
                let mut i = 0;
                map_widgets(specs, "", values, &mut i, &mut out);
                // Players and preview widgets leave empty values at the end. Others beyond the
                // widgets this definition has were saved with a newer version of the node: the
                // editor drops them too.
                let surplus = values[i.min(values.len())..]
                    .iter()
                    .filter(|v| !(v.is_null() || v.as_str().is_some_and(str::is_empty)))
                    .count();
                if surplus > 0 {
                    self.surplus
                        .entry(def.class.clone())
                        .or_default()
                        .push(api_id.to_string());
                }
            }
            _ => {}
        }
        // A saved value this server's definition rejects: the workflow was saved for a newer
        // server, or saved values fell onto other widgets. The editor sends it as saved, and so
        // does comfyctl; the server's answer says the rest.
        for spec in specs {
            if let Some(v) = out.get(&spec.name)
                && let Some(problem) = value_problem(&spec.kind, v)
            {
                self.warnings.push(format!(
                    "node {api_id} ({}): {} = {v} {problem} for this server; sent as saved, as the editor does (saved for a newer server?)",
                    def.class, spec.name
                ));
            }
        }
        out
    }
}

/// Why a saved widget value does not fit its declared type or range, if it does not.
fn value_problem(kind: &InputKind, v: &Value) -> Option<String> {
    let range = |x: f64, min: &Option<f64>, max: &Option<f64>| {
        if min.is_some_and(|m| x < m) {
            Some(format!("is below the minimum {}", min.unwrap_or_default()))
        } else if max.is_some_and(|m| x > m) {
            Some(format!("is above the maximum {}", max.unwrap_or_default()))
        } else {
            None
        }
    };
    match kind {
        InputKind::Int { min, max, .. } => match v.as_f64() {
            Some(x) if x.fract() == 0.0 => range(x, min, max),
            _ => Some("is not an INT".into()),
        },
        InputKind::Float { min, max, .. } => match v.as_f64() {
            Some(x) => range(x, min, max),
            None => Some("is not a FLOAT".into()),
        },
        InputKind::Boolean if !v.is_boolean() => Some("is not a BOOLEAN".into()),
        _ => None,
    }
}

/// An unlinked subgraph input: the instance's own value. Instances saved without promoted-widget
/// proxies list one value per widget-typed subgraph input, in order; when the count does not
/// line up, the inner node keeps its own value.
fn instance_widget_value(instance: &Value, sub_inputs: &[(String, String)], name: &str) -> Source {
    if instance
        .pointer("/properties/proxyWidgets")
        .is_some_and(|p| p.as_array().is_some_and(|a| !a.is_empty()))
    {
        return Source::None;
    }
    let Some(values) = instance.get("widgets_values").and_then(Value::as_array) else {
        return Source::None;
    };
    let widget_inputs: Vec<&str> = sub_inputs
        .iter()
        .filter(|(_, t)| matches!(t.as_str(), "INT" | "FLOAT" | "STRING" | "BOOLEAN" | "COMBO"))
        .map(|(n, _)| n.as_str())
        .collect();
    if values.is_empty() || values.len() != widget_inputs.len() {
        return Source::None;
    }
    widget_inputs
        .iter()
        .position(|n| *n == name)
        .and_then(|k| values.get(k).cloned())
        .map(Source::Value)
        .unwrap_or(Source::None)
}

/// True when the node (as the editor lays it out) has an input of this name: declared, a
/// dynamic combo's or autogrow's `INPUT.SUB`, or one of `CustomCombo`'s own widgets.
fn declares(class: &str, specs: &[InputSpec], name: &str) -> bool {
    let sub_input = |s: &InputSpec| {
        matches!(
            s.kind,
            InputKind::DynamicCombo { .. } | InputKind::Autogrow { .. }
        ) && name
            .strip_prefix(s.name.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
    };
    let custom_combo = class == "CustomCombo" && (name == "index" || name.starts_with("option"));
    custom_combo || specs.iter().any(|s| s.name == name || sub_input(s))
}

/// The inputs in the order the editor writes them: widget values in widget order (a dynamic
/// combo's own inputs right after it), then the rest (links) as they came; values as the
/// editor posts them ([`frontend::posted`]).
fn order_like_editor(
    specs: &[InputSpec],
    mut inputs: Map<String, Value>,
    links: &[String],
) -> Map<String, Value> {
    fn widget_names(
        specs: &[InputSpec],
        prefix: &str,
        inputs: &Map<String, Value>,
        out: &mut Vec<String>,
    ) {
        for spec in specs {
            if spec.force_input || !spec.kind.is_widget() {
                continue;
            }
            let name = format!("{prefix}{}", spec.name);
            if let InputKind::DynamicCombo { options } = &spec.kind {
                let chosen = inputs.get(&name).and_then(Value::as_str);
                out.push(name.clone());
                if let Some((_, sub)) = options.iter().find(|(k, _)| Some(k.as_str()) == chosen) {
                    widget_names(sub, &format!("{name}."), inputs, out);
                }
                continue;
            }
            out.push(name);
        }
    }
    let mut order = Vec::new();
    widget_names(specs, "", &inputs, &mut order);
    let mut out = Map::new();
    for name in order {
        if let Some(v) = inputs.shift_remove(&name) {
            out.insert(name, v);
        }
    }
    out.extend(inputs);
    for (k, v) in out.iter_mut() {
        if !links.contains(k) {
            *v = frontend::posted(v.take());
        }
    }
    out
}

fn first_link(n: &Value) -> Option<i64> {
    n.get("inputs")?
        .as_array()?
        .first()?
        .get("link")
        .and_then(as_i64)
}

fn target_name<'v>(inner: &'v Value, def: &'v NodeDef, slot: usize) -> Option<&'v str> {
    inner
        .get("inputs")
        .and_then(Value::as_array)
        .and_then(|a| a.get(slot))
        .map(input_name)
        .or_else(|| {
            def.inputs
                .iter()
                .filter(|i| !i.kind.is_widget() || i.force_input)
                .nth(slot)
                .map(|i| i.name.as_str())
        })
}

fn fill_defaults(specs: &[InputSpec], prefix: &str, inputs: &mut Map<String, Value>) {
    for spec in specs {
        if spec.force_input || !spec.kind.is_widget() {
            continue;
        }
        let name = format!("{prefix}{}", spec.name);
        if !inputs.contains_key(&name)
            && let Some(d) = spec.default_value()
        {
            inputs.insert(name.clone(), d);
        }
        if let InputKind::DynamicCombo { options } = &spec.kind {
            let chosen = inputs
                .get(&name)
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Some((_, sub)) = options.iter().find(|(k, _)| Some(k) == chosen.as_ref()) {
                fill_defaults(sub, &format!("{name}."), inputs);
            }
        }
    }
}

fn is_control(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| CONTROL_VALUES.contains(&s))
}

fn is_upload_value(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Null) => true,
        Some(Value::String(s)) => {
            matches!(s.as_str(), "image" | "video" | "audio" | "upload" | "") || is_button_value(v)
        }
        _ => false,
    }
}

/// Values of the 3D loader's extra buttons, saved after its upload button.
fn is_button_value(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| matches!(s, "upload3dmodel" | "uploadExtraResources" | "clear"))
}

/// Takes values in the order the editor lays out widgets: each widget input of the definition,
/// then the control value after a seed-like widget, the upload button's value after an upload
/// combo, and a V3 dynamic combo's chosen inputs right after it (named `INPUT.SUB`).
fn map_widgets(
    specs: &[InputSpec],
    prefix: &str,
    values: &[Value],
    i: &mut usize,
    out: &mut Map<String, Value>,
) {
    for spec in specs {
        if spec.force_input || !spec.kind.is_widget() {
            continue;
        }
        let Some(v) = values.get(*i) else { return };
        let name = format!("{prefix}{}", spec.name);
        out.insert(name.clone(), v.clone());
        *i += 1;
        // The editor adds the control after INT widgets that ask for it, and after seeds when the
        // definition does not say.
        let control = match spec
            .raw
            .get(1)
            .and_then(|o| o.get("control_after_generate"))
        {
            Some(Value::Bool(b)) => *b,
            Some(_) => true,
            None => matches!(spec.kind, InputKind::Int { .. }) && spec.name.contains("seed"),
        };
        if control && is_control(values.get(*i)) {
            *i += 1;
        }
        if matches!(spec.kind, InputKind::Combo { upload: true, .. })
            && is_upload_value(values.get(*i))
        {
            *i += 1;
            while is_button_value(values.get(*i)) {
                *i += 1;
            }
        }
        if let InputKind::DynamicCombo { options } = &spec.kind
            && let Some((_, sub)) = options.iter().find(|(k, _)| Some(k.as_str()) == v.as_str())
        {
            map_widgets(sub, &format!("{name}."), values, i, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> NodeDefs {
        let raw = include_str!("../../tests/fixtures/real-comfyui-0.3.64/object_info.json");
        NodeDefs::from_value(&serde_json::from_str(raw).unwrap()).unwrap()
    }

    fn node(id: i64, t: &str, inputs: Value, outputs: Value, widgets: Value) -> Value {
        json!({"id": id, "type": t, "mode": 0, "inputs": inputs, "outputs": outputs, "widgets_values": widgets})
    }

    fn conv(doc: Value) -> Converted {
        convert(&doc, "w.json", &defs()).unwrap()
    }

    /// Checkpoint → two encoders → KSampler → decode → save, with the seed control value and
    /// a converted (linked) widget fed by a PrimitiveNode through a Reroute chain (which the
    /// editor does not follow for values).
    fn basic() -> Value {
        json!({
            "nodes": [
                node(4, "CheckpointLoaderSimple", json!([]), json!([{"name": "MODEL", "type": "MODEL", "links": [1]}, {"name": "CLIP", "type": "CLIP", "links": [3, 5]}, {"name": "VAE", "type": "VAE", "links": [8]}]), json!(["sd15.safetensors"])),
                node(6, "CLIPTextEncode", json!([{"name": "clip", "type": "CLIP", "link": 3}]), json!([{"name": "CONDITIONING", "type": "CONDITIONING", "links": [4]}]), json!(["a fox"])),
                node(7, "CLIPTextEncode", json!([{"name": "clip", "type": "CLIP", "link": 5}]), json!([{"name": "CONDITIONING", "type": "CONDITIONING", "links": [6]}]), json!(["blurry"])),
                node(5, "EmptyLatentImage", json!([]), json!([{"name": "LATENT", "type": "LATENT", "links": [2]}]), json!([512, 512, 1])),
                node(3, "KSampler", json!([
                    {"name": "model", "type": "MODEL", "link": 1},
                    {"name": "positive", "type": "CONDITIONING", "link": 4},
                    {"name": "negative", "type": "CONDITIONING", "link": 6},
                    {"name": "latent_image", "type": "LATENT", "link": 2},
                    {"name": "steps", "type": "INT", "widget": {"name": "steps"}, "link": 21}
                ]), json!([{"name": "LATENT", "type": "LATENT", "links": [7]}]), json!([42, "randomize", 20, 8, "euler", "normal", 1])),
                {"id": 30, "type": "PrimitiveNode", "mode": 0, "outputs": [{"name": "INT", "type": "INT", "links": [20]}], "widgets_values": [12, "fixed"]},
                {"id": 31, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 20}], "outputs": [{"name": "", "type": "INT", "links": [22]}]},
                {"id": 32, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 22}], "outputs": [{"name": "", "type": "INT", "links": [21]}]},
                node(8, "VAEDecode", json!([{"name": "samples", "type": "LATENT", "link": 7}, {"name": "vae", "type": "VAE", "link": 8}]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [9]}]), json!([])),
                {"id": 9, "type": "SaveImage", "mode": 0, "title": "Final", "inputs": [{"name": "images", "type": "IMAGE", "link": 9}], "widgets_values": ["out"],
                 "properties": {"models": [{"name": "sd15.safetensors", "url": "https://example.com/sd15.safetensors", "directory": "checkpoints"}]}},
                {"id": 40, "type": "MarkdownNote", "mode": 0, "widgets_values": ["notes"]}
            ],
            "links": [
                [1, 4, 0, 3, 0, "MODEL"], [2, 5, 0, 3, 3, "LATENT"], [3, 4, 1, 6, 0, "CLIP"], [4, 6, 0, 3, 1, "CONDITIONING"],
                [5, 4, 1, 7, 0, "CLIP"], [6, 7, 0, 3, 2, "CONDITIONING"], [7, 3, 0, 8, 0, "LATENT"], [8, 4, 2, 8, 1, "VAE"],
                [9, 8, 0, 9, 0, "IMAGE"], [20, 30, 0, 31, 0, "INT"], [22, 31, 0, 32, 0, "INT"], [21, 32, 0, 3, 4, "INT"]
            ],
            "version": 0.4
        })
    }

    #[test]
    fn widgets_links_primitives_and_reroutes() {
        let c = conv(basic());
        let p = &c.workflow.nodes;
        let ks = &p["3"]["inputs"];
        assert_eq!(ks["seed"], 42, "the saved seed, not a fresh one");
        assert_eq!(
            ks["steps"], 20,
            "a primitive behind reroutes does not reach the widget (editors 1.27.10 and 1.58.1)"
        );
        assert_eq!(
            ks["cfg"].to_string(),
            "8",
            "numbers written as the editor writes them"
        );
        let mut direct = basic();
        for l in direct["links"].as_array_mut().unwrap() {
            if l[0] == 21 {
                *l = json!([21, 30, 0, 3, 4, "INT"]);
            }
        }
        assert_eq!(
            conv(direct).workflow.nodes["3"]["inputs"]["steps"],
            12,
            "linked directly, the primitive's value is copied onto the widget"
        );
        assert_eq!(ks["sampler_name"], "euler");
        assert_eq!(ks["scheduler"], "normal");
        assert_eq!(ks["denoise"], 1.0);
        assert_eq!(ks["model"], json!(["4", 0]));
        assert_eq!(ks["positive"], json!(["6", 0]));
        assert_eq!(p["6"]["inputs"]["text"], "a fox");
        assert_eq!(
            p["5"]["inputs"],
            json!({"width": 512, "height": 512, "batch_size": 1})
        );
        assert_eq!(p["9"]["_meta"]["title"], "Final");
        assert_eq!(
            p["4"]["_meta"]["title"], "Load Checkpoint",
            "display name when untitled"
        );
        for virt in ["30", "31", "32", "40"] {
            assert!(!p.contains_key(virt), "{virt} is editor-only");
        }
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(
            c.workflow.model_hints[0].url.as_deref(),
            Some("https://example.com/sd15.safetensors")
        );
        assert!(c.workflow.editor.is_some());
    }

    #[test]
    fn muted_and_bypassed_nodes() {
        let mut doc = basic();
        // Bypass the negative encoder's consumer chain: an ImageInvert between decode and save.
        let nodes = doc["nodes"].as_array_mut().unwrap();
        nodes.push(json!({"id": 50, "type": "ImageInvert", "mode": 4, "inputs": [{"name": "image", "type": "IMAGE", "link": 9}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [51]}]}));
        // A muted branch: a second save fed by the bypassed node.
        nodes.push(json!({"id": 52, "type": "SaveImage", "mode": 2, "inputs": [{"name": "images", "type": "IMAGE", "link": 53}], "widgets_values": ["muted"]}));
        // The save now reads from the bypassed invert.
        nodes[9]["inputs"][0]["link"] = json!(51);
        let links = doc["links"].as_array_mut().unwrap();
        links.retain(|l| l[0] != 9);
        links.push(json!([9, 8, 0, 50, 0, "IMAGE"]));
        links.push(json!([51, 50, 0, 9, 0, "IMAGE"]));
        links.push(json!([53, 50, 0, 52, 0, "IMAGE"]));
        let p = conv(doc).workflow.nodes;
        assert!(!p.contains_key("50") && !p.contains_key("52"));
        assert_eq!(
            p["9"]["inputs"]["images"],
            json!(["8", 0]),
            "bypass passes its input through"
        );
    }

    #[test]
    fn bypass_picks_the_input_of_the_output_type() {
        // ImageCompositeMasked has destination, source (IMAGE) and mask (MASK); output IMAGE.
        let doc = json!({
            "nodes": [
                node(1, "LoadImage", json!([]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [1]}, {"name": "MASK", "type": "MASK", "links": [2]}]), json!(["example.png", "image"])),
                node(2, "EmptyImage", json!([]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [3]}]), json!([8, 8, 1, 0])),
                {"id": 3, "type": "ImageCompositeMasked", "mode": 4, "inputs": [
                    {"name": "mask", "type": "MASK", "link": 2},
                    {"name": "destination", "type": "IMAGE", "link": 3},
                    {"name": "source", "type": "IMAGE", "link": 1}],
                 "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [4]}], "widgets_values": [0, 0, false]},
                node(4, "PreviewImage", json!([{"name": "images", "type": "IMAGE", "link": 4}]), json!([]), json!([]))
            ],
            "links": [[1, 1, 0, 3, 2, "IMAGE"], [2, 1, 1, 3, 0, "MASK"], [3, 2, 0, 3, 1, "IMAGE"], [4, 3, 0, 4, 0, "IMAGE"]]
        });
        let c = conv(doc);
        let p = &c.workflow.nodes;
        assert_eq!(
            p["4"]["inputs"]["images"],
            json!(["2", 0]),
            "the first IMAGE input, not the MASK"
        );
        assert_eq!(
            p["1"]["inputs"],
            json!({"image": "example.png"}),
            "the upload button's value is skipped"
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    fn subgraph_doc() -> Value {
        // Outer: LoadImage → [subgraph A: ImageInvert → [subgraph B: ImageBlur] ] → SaveImage.
        json!({
            "nodes": [
                node(1, "LoadImage", json!([]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [1]}]), json!(["example.png", "image"])),
                {"id": 2, "type": "aaaa-1111", "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 1}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}]},
                node(3, "SaveImage", json!([{"name": "images", "type": "IMAGE", "link": 2}]), json!([]), json!(["nested"]))
            ],
            "links": [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]],
            "definitions": {"subgraphs": [
                {"id": "aaaa-1111", "name": "A", "inputs": [{"name": "image", "type": "IMAGE"}], "outputs": [{"name": "IMAGE", "type": "IMAGE"}],
                 "nodes": [
                    node(5, "ImageInvert", json!([{"name": "image", "type": "IMAGE", "link": 10}]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [11]}]), json!([])),
                    {"id": 6, "type": "bbbb-2222", "mode": 0, "inputs": [{"name": "pixels", "type": "IMAGE", "link": 11}, {"name": "radius", "type": "INT", "widget": {"name": "radius"}, "link": null}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [12]}], "widgets_values": [7]}
                 ],
                 "links": [
                    {"id": 10, "origin_id": -10, "origin_slot": 0, "target_id": 5, "target_slot": 0, "type": "IMAGE"},
                    {"id": 11, "origin_id": 5, "origin_slot": 0, "target_id": 6, "target_slot": 0, "type": "IMAGE"},
                    {"id": 12, "origin_id": 6, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"}
                 ],
                 "definitions": {"subgraphs": [
                    {"id": "bbbb-2222", "name": "B", "inputs": [{"name": "pixels", "type": "IMAGE"}, {"name": "radius", "type": "INT"}], "outputs": [{"name": "IMAGE", "type": "IMAGE"}],
                     "nodes": [node(9, "ImageBlur", json!([{"name": "image", "type": "IMAGE", "link": 20}, {"name": "blur_radius", "type": "INT", "widget": {"name": "blur_radius"}, "link": 21}]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [22]}]), json!([1, 1.0]))],
                     "links": [
                        {"id": 20, "origin_id": -10, "origin_slot": 0, "target_id": 9, "target_slot": 0, "type": "IMAGE"},
                        {"id": 21, "origin_id": -10, "origin_slot": 1, "target_id": 9, "target_slot": 1, "type": "INT"},
                        {"id": 22, "origin_id": 9, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"}
                     ]}
                 ]}}
            ]}
        })
    }

    #[test]
    fn nested_subgraphs_expand_with_path_ids() {
        let p = conv(subgraph_doc()).workflow.nodes;
        let ids: Vec<&String> = p.keys().collect();
        assert_eq!(ids, ["1", "2:5", "2:6:9", "3"]);
        assert_eq!(p["2:5"]["inputs"]["image"], json!(["1", 0]));
        assert_eq!(p["2:6:9"]["inputs"]["image"], json!(["2:5", 0]));
        assert_eq!(
            p["2:6:9"]["inputs"]["blur_radius"], 7,
            "the instance's own widget value"
        );
        assert_eq!(p["2:6:9"]["inputs"]["sigma"], 1.0);
        assert_eq!(
            p["3"]["inputs"]["images"],
            json!(["2:6:9", 0]),
            "output through two boundaries"
        );
    }

    #[test]
    fn legacy_group_nodes_expand() {
        let doc = json!({
            "nodes": [
                node(1, "LoadImage", json!([]), json!([{"name": "IMAGE", "type": "IMAGE", "links": [1]}]), json!(["example.png", "image"])),
                {"id": 2, "type": "workflow>Invert and blur", "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 1}],
                 "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}], "widgets_values": [3, 0.5]},
                node(3, "SaveImage", json!([{"name": "images", "type": "IMAGE", "link": 2}]), json!([]), json!(["grouped"]))
            ],
            "links": [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]],
            "extra": {"groupNodes": {"Invert and blur": {
                "nodes": [
                    {"index": 0, "type": "ImageInvert", "inputs": [{"name": "image", "type": "IMAGE", "link": null}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": []}], "widgets_values": []},
                    {"index": 1, "type": "ImageBlur", "inputs": [{"name": "image", "type": "IMAGE", "link": null}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": []}], "widgets_values": [1, 1.0]}
                ],
                "links": [[0, 0, 1, 0, 9, "IMAGE"]],
                "external": []
            }}}
        });
        let p = conv(doc).workflow.nodes;
        assert_eq!(p["2:0"]["inputs"]["image"], json!(["1", 0]));
        assert_eq!(p["2:1"]["inputs"]["image"], json!(["2:0", 0]));
        assert_eq!(p["2:1"]["inputs"]["blur_radius"], 3);
        assert_eq!(p["2:1"]["inputs"]["sigma"], 0.5);
        assert_eq!(p["3"]["inputs"]["images"], json!(["2:1", 0]));
    }

    #[test]
    fn unknown_types_are_listed_together_and_broken_links_name_the_node() {
        let mut doc = basic();
        let nodes = doc["nodes"].as_array_mut().unwrap();
        nodes.push(json!({"id": 60, "type": "IPAdapterAdvanced", "mode": 0, "title": "Style"}));
        nodes.push(json!({"id": 61, "type": "IPAdapterAdvanced", "mode": 0}));
        nodes.push(json!({"id": 62, "type": "ADE_AnimateDiffLoaderGen1", "mode": 0}));
        let e = convert(&doc, "w.json", &defs()).unwrap_err().to_string();
        assert!(
            e.contains("2 node type(s) are not installed on the server: ADE_AnimateDiffLoaderGen1 (#62); IPAdapterAdvanced (#60 \"Style\", #61)"),
            "{e}"
        );
        let mut doc = basic();
        doc["nodes"][1]["inputs"][0]["link"] = json!(999);
        let e = convert(&doc, "w.json", &defs()).unwrap_err().to_string();
        assert!(
            e.contains("node #6 (CLIPTextEncode), input clip: link 999 does not exist"),
            "{e}"
        );
    }

    #[test]
    fn dict_widgets_defaults_and_count_mismatch() {
        let doc = json!({
            "nodes": [
                {"id": 1, "type": "EmptyImage", "mode": 0, "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}],
                 "widgets_values": {"width": 16, "height": 8, "videopreview": {"hidden": false}}},
                node(2, "SaveImage", json!([{"name": "images", "type": "IMAGE", "link": 1}]), json!([]), json!(["x", "surplus", 3]))
            ],
            "links": [[1, 1, 0, 2, 0, "IMAGE"]]
        });
        let c = conv(doc);
        let p = &c.workflow.nodes;
        assert_eq!(p["1"]["inputs"]["width"], 16);
        assert_eq!(
            p["1"]["inputs"]["batch_size"], 1,
            "a widget the file lacks gets its default"
        );
        assert_eq!(p["1"]["inputs"]["color"], 0);
        assert!(
            !p["1"]["inputs"]
                .as_object()
                .unwrap()
                .contains_key("videopreview")
        );
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0].contains("SaveImage (node 2): saved with more widget values"),
            "{:?}",
            c.warnings
        );
        // A value this server's definition rejects is sent as saved, with a warning.
        let doc = json!({
            "nodes": [node(1, "EmptyLatentImage", json!([]), json!([]), json!(["auto", 512, 1]))],
            "links": []
        });
        let c = conv(doc);
        assert_eq!(c.workflow.nodes["1"]["inputs"]["width"], "auto");
        assert!(
            c.warnings.len() == 1 && c.warnings[0].contains("width = \"auto\" is not an INT"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn v3_dynamic_combo_and_autogrow() {
        let oi = json!({
            "Gen": {"input": {"required": {
                "prompt": ["STRING", {"multiline": true}],
                "model": ["COMFY_DYNAMICCOMBO_V3", {"options": [
                    {"key": "small", "inputs": {"required": {"size": ["COMBO", {"options": ["1K", "2K"]}], "images": ["COMFY_AUTOGROW_V3", {"template": {"input": {"required": {"image": ["IMAGE", {}]}}, "prefix": "image", "min": 0}}]}}},
                    {"key": "large", "inputs": {"required": {"steps": ["INT", {"min": 1, "max": 50}]}}}
                ]}],
                "seed": ["INT", {"min": 0, "max": 100}],
                "mode": ["COMBO", {"options": ["a", "b"]}]
            }}, "input_order": {"required": ["prompt", "model", "seed", "mode"]}, "output": ["IMAGE"], "output_node": true},
            "EmptyImage": {"input": {"required": {"width": ["INT", {}]}}, "output": ["IMAGE"]}
        });
        let defs = NodeDefs::from_value(&oi).unwrap();
        let doc = json!({
            "nodes": [
                {"id": 1, "type": "EmptyImage", "mode": 0, "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": [8]},
                {"id": 2, "type": "Gen", "mode": 0, "inputs": [{"name": "model.images.image0", "type": "IMAGE", "link": 1}],
                 "widgets_values": ["a cat", "small", "2K", 42, "randomize", "b"]}
            ],
            "links": [[1, 1, 0, 2, 0, "IMAGE"]]
        });
        let c = convert(&doc, "w.json", &defs).unwrap();
        let g = &c.workflow.nodes["2"]["inputs"];
        assert_eq!(g["model"], "small");
        assert_eq!(g["model.size"], "2K");
        assert_eq!(
            g["seed"], 42,
            "a seed without the flag still has the control value after it"
        );
        assert_eq!(g["mode"], "b");
        assert_eq!(g["model.images.image0"], json!(["1", 0]));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let r = super::super::validate::validate(&c.workflow, &defs);
        assert!(r.is_clean(), "{:?}", r.rejection);
        let mut wf = c.workflow.clone();
        wf.nodes["2"]["inputs"]["model"] = json!("medium");
        let r = super::super::validate::validate(&wf, &defs);
        assert_eq!(
            r.rejection.unwrap().node_errors[0].errors[0].kind,
            "value_not_in_list"
        );
    }
}
