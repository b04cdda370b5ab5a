//! `--workflows DIR`: each workflow file there is a tool of its own. Its name comes from the
//! file, its description from the workflow's title and notes, and its input schema from the
//! workflow's friendly parameters typed by the server's node definitions (ranges, defaults, the
//! server's lists of samplers, schedulers and models). The directory is looked at again every
//! few seconds; a change is announced with a list-changed notification.

use super::schema::{self, param_property};
use super::tools::{JOB, annotations, drop_server_argument};
use crate::client::object_info::Defs;
use crate::printer::Printer;
use crate::report::params::ParamsReport;
use crate::report::{self};
use crate::workflow::{self, Document, Workflow, schema as wf_schema};
use rmcp::model::{JsonObject, Tool};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// Names of the generic tools: a workflow file may not shadow one.
const RESERVED: &[&str] = &[
    "run_workflow",
    "workflow_params",
    "validate_workflow",
    "workflow_deps",
    "convert_workflow",
    "job_status",
    "job_outputs",
    "queue",
    "cancel_jobs",
    "health",
    "list_models",
];

/// The longest description a workflow tool gets.
const MAX_DESCRIPTION: usize = 400;

/// One workflow file as a tool.
#[derive(Clone)]
pub struct Entry {
    /// The tool.
    pub tool: Tool,
    /// The file.
    pub path: PathBuf,
    /// Its file name (the resource name).
    pub file: String,
}

/// What a scan saw: each file's name, size and modification time, and whether definitions
/// were there.
type Stamp = (Vec<(String, u64, Option<SystemTime>)>, bool);

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    /// File names, sizes and modification times at the last scan, and whether definitions
    /// were there.
    stamp: Option<Stamp>,
}

/// The workflow tools of a session.
pub struct Catalog {
    dir: Option<PathBuf>,
    servers: usize,
    state: RwLock<State>,
    /// 0: not scanned; 1: scanned without node definitions; 2: scanned with them (or they
    /// cannot be had).
    scanned: AtomicU8,
    changed: tokio::sync::Notify,
}

impl Catalog {
    /// The catalog of `dir` (none without `--workflows`).
    pub fn new(dir: Option<PathBuf>, servers: usize) -> Catalog {
        Catalog {
            dir,
            servers,
            state: Default::default(),
            scanned: AtomicU8::new(0),
            changed: Default::default(),
        }
    }

    /// The tools now.
    pub fn tools(&self) -> Vec<Tool> {
        let st = self.state.read().expect("not poisoned");
        st.entries.iter().map(|e| e.tool.clone()).collect()
    }

    /// The entries now.
    pub fn entries(&self) -> Vec<Entry> {
        self.state.read().expect("not poisoned").entries.clone()
    }

    /// The entry of tool `name`.
    pub fn get(&self, name: &str) -> Option<Entry> {
        let st = self.state.read().expect("not poisoned");
        st.entries.iter().find(|e| e.tool.name == name).cloned()
    }

    /// The first listing waits (briefly) for the first scan with the server's definitions, so
    /// schemas have their lists and ranges from the start; a server that takes longer is
    /// announced with list-changed later.
    pub async fn wait_first_scan(&self) {
        if self.dir.is_none() {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let notified = self.changed.notified();
            if self.scanned.load(Ordering::SeqCst) >= 2 {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    /// Marks the scan with definitions as done even though they could not be had.
    pub fn definitions_unavailable(&self) {
        self.scanned.store(2, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Looks at the directory again; true when the tools changed.
    pub fn refresh(&self, defs: Option<&Defs>, printer: &Printer) -> bool {
        let Some(dir) = &self.dir else { return false };
        let files = list(dir);
        let stamp: Stamp = (
            files
                .iter()
                .map(|(name, p)| {
                    let m = std::fs::metadata(p).ok();
                    (
                        name.clone(),
                        m.as_ref().map(|m| m.len()).unwrap_or(0),
                        m.and_then(|m| m.modified().ok()),
                    )
                })
                .collect::<Vec<_>>(),
            defs.is_some(),
        );
        let same = self.state.read().expect("not poisoned").stamp.as_ref() == Some(&stamp);
        let level = if defs.is_some() { 2 } else { 1 };
        if same {
            self.mark(level);
            return false;
        }
        let mut taken: Vec<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        let mut entries = Vec::new();
        for (file, path) in files {
            match entry(&file, &path, defs, self.servers, &mut taken) {
                Ok(Some(e)) => entries.push(e),
                Ok(None) => {}
                Err(e) => printer.warn(&format!(
                    "--workflows: {file} is not offered as a tool: {e:#}"
                )),
            }
        }
        let mut st = self.state.write().expect("not poisoned");
        let changed = st
            .entries
            .iter()
            .map(|e| &e.tool)
            .ne(entries.iter().map(|e| &e.tool));
        st.entries = entries;
        st.stamp = Some(stamp);
        drop(st);
        self.mark(level);
        changed
    }

    fn mark(&self, level: u8) {
        self.scanned.fetch_max(level, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

/// The workflow files of `dir` (`*.json`, not hidden), by name.
fn list(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            (!name.starts_with('.') && name.to_ascii_lowercase().ends_with(".json") && p.is_file())
                .then_some((name, p))
        })
        .collect();
    out.sort();
    out
}

/// A tool name from a file name: letters, digits and `_`, at most 64 characters, not taken.
pub fn tool_name(file: &str, taken: &mut Vec<String>) -> String {
    let stem = file.rsplit_once('.').map(|(s, _)| s).unwrap_or(file);
    let mut base: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    base = base.trim_matches('_').to_string();
    while base.contains("__") {
        base = base.replace("__", "_");
    }
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base = format!("wf_{base}");
    }
    base.truncate(56);
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = if RESERVED.contains(&base.as_str()) && n == 2 {
            format!("{base}_workflow")
        } else {
            format!("{base}_{n}")
        };
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// The tool for one file; `None` for an editor workflow while the definitions that convert it
/// are not loaded.
fn entry(
    file: &str,
    path: &Path,
    defs: Option<&Defs>,
    servers: usize,
    taken: &mut Vec<String>,
) -> anyhow::Result<Option<Entry>> {
    let text = std::fs::read_to_string(path)?;
    let raw: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let wf = match workflow::parse_document(&text, file)? {
        Document::Api(wf) => wf,
        Document::Ui { value, source_name } => {
            let Some(d) = defs else { return Ok(None) };
            workflow::convert::convert(&value, &source_name, &d.defs)?.workflow
        }
    };
    let listing = ParamsReport::new(&wf, &wf_schema::discover(&wf));
    let name = tool_name(file, taken);
    let description = describe(file, &raw, &wf, &listing);
    let mut input = input_schema(&listing, defs, servers);
    if servers < 2 {
        drop_server_argument(&mut input);
    }
    let output = schema::output_schema(schema::one_of(vec![
        report::schema_of::<report::RunResult>(),
        report::schema_of::<report::Submitted>(),
    ]));
    let title = file
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file)
        .to_string();
    let tool = Tool::new(name, description, Arc::new(input))
        .with_raw_output_schema(Arc::new(output))
        .with_annotations(annotations(&title, JOB.0, JOB.1, JOB.2, JOB.3))
        .with_title(title);
    Ok(Some(Entry {
        tool,
        path: path.to_path_buf(),
        file: file.to_string(),
    }))
}

/// The workflow's parameters as properties, plus `wait` (and `server` with several).
fn input_schema(listing: &ParamsReport, defs: Option<&Defs>, _servers: usize) -> JsonObject {
    let mut props = Map::new();
    for p in &listing.params {
        props.insert(p.name.clone(), param_property(p, defs.map(|d| &d.defs)));
    }
    props.insert(
        "wait".into(),
        json!({"type": "boolean", "default": true, "description": "false: return the prompt id at once (job_outputs fetches the outputs later)"}),
    );
    props.insert(
        "server".into(),
        json!({"type": "string", "description": "the server to use [default: the least loaded]"}),
    );
    let mut o = Map::new();
    o.insert("type".into(), "object".into());
    o.insert("properties".into(), Value::Object(props));
    o
}

/// What the tool does, from the workflow's own words: a title and notes (editor notes, or a
/// top-level `_comment`/`_description` string), then its parameters and outputs.
fn describe(file: &str, raw: &Value, wf: &Workflow, listing: &ParamsReport) -> String {
    let mut words: Vec<String> = Vec::new();
    let editor = wf.editor.as_ref().unwrap_or(raw);
    for key in [
        "_title",
        "title",
        "_description",
        "description",
        "_comment",
        "comment",
    ] {
        if let Some(s) = raw.get(key).and_then(Value::as_str) {
            words.push(s.trim().to_string());
        }
    }
    if let Some(s) = editor.pointer("/extra/title").and_then(Value::as_str) {
        words.push(s.trim().to_string());
    }
    for n in editor
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = n.get("type").and_then(Value::as_str).unwrap_or("");
        if matches!(t, "Note" | "MarkdownNote")
            && let Some(s) = n.pointer("/widgets_values/0").and_then(Value::as_str)
        {
            words.push(s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    words.retain(|w| !w.is_empty());
    let mut d = if words.is_empty() {
        format!("Runs the workflow {file}.")
    } else {
        let mut s = words.join(" — ");
        if !s.ends_with('.') {
            s.push('.');
        }
        s
    };
    if d.chars().count() > MAX_DESCRIPTION / 2 {
        d = d.chars().take(MAX_DESCRIPTION / 2 - 1).collect::<String>() + "…";
    }
    let outputs: Vec<String> = listing
        .outputs
        .iter()
        .map(|o| o.class_type.clone().unwrap_or_else(|| o.node.clone()))
        .collect();
    d.push_str(&format!(
        " Outputs: {}. Waits and returns the outputs (images as thumbnails).",
        if outputs.is_empty() {
            "none".to_string()
        } else {
            outputs.join(", ")
        }
    ));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_unique_and_never_shadow_a_generic_tool() {
        let mut taken: Vec<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            tool_name("SDXL txt2img (v2).json", &mut taken),
            "sdxl_txt2img_v2"
        );
        assert_eq!(
            tool_name("sdxl-txt2img-v2.json", &mut taken),
            "sdxl_txt2img_v2_2"
        );
        assert_eq!(tool_name("queue.json", &mut taken), "queue_workflow");
        assert_eq!(tool_name("3d.json", &mut taken), "wf_3d");
        assert_eq!(tool_name("...json", &mut taken), "wf_");
        let long = "x".repeat(200) + ".json";
        assert!(tool_name(&long, &mut taken).len() <= 64);
    }
}
