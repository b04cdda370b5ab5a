//! Shared by `run`, `params` and `validate`: read the workflow, apply parameters, upload input
//! files, and check the result against the server's node definitions.

use crate::Context;
use crate::cli::{DefsArgs, InputArgs, ParamArgs};
use crate::client::object_info::{self, Defs, DefsSource};
use crate::client::upload::{Uploaded, Uploader};
use crate::client::{ClientError, NodeErrorReport, Server};
use crate::error::Failure;
use crate::printer::Printer;
use crate::workflow::params::{self, Applied, ParamArg};
use crate::workflow::schema::{self, Target};
use crate::workflow::validate::{self, Report};
use crate::workflow::{self, Workflow, WorkflowError};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A workflow with every change the command line asked for.
pub struct Prepared {
    /// The prompt to send.
    pub wf: Workflow,
    /// What was changed, in order.
    pub applied: Vec<Applied>,
}

/// Node definitions on demand: only UI-format workflows and validation need them, and
/// `--print-prompt` of an API workflow must not touch config or network.
pub struct DefsProvider<'c> {
    ctx: &'c Context,
    args: DefsArgs,
    server: Option<Server>,
    defs: Option<Defs>,
}

impl<'c> DefsProvider<'c> {
    /// A provider for the command's `--object-info`/`--refresh` and the global server flags.
    pub fn new(ctx: &'c Context, args: &DefsArgs) -> Self {
        DefsProvider {
            ctx,
            args: args.clone(),
            server: None,
            defs: None,
        }
    }

    /// Uses `server` instead of building one from the settings.
    pub fn with_server(mut self, server: Server) -> Self {
        self.server = Some(server);
        self
    }

    /// The server, built from the settings when first needed.
    pub fn server(&mut self) -> anyhow::Result<&Server> {
        if self.server.is_none() {
            let settings = self.ctx.settings(None, None)?;
            self.server = Some(Server::new(
                &settings,
                super::run::debug_log(&self.ctx.printer),
            )?);
        }
        Ok(self.server.as_ref().expect("set above"))
    }

    /// Definitions, loaded once (blocking; call outside the async runtime).
    pub fn get(&mut self) -> anyhow::Result<&Defs> {
        if self.defs.is_none() {
            let defs = if self.args.object_info.is_some() {
                super::block_on(load_defs(None, &self.args))??
            } else {
                let args = self.args.clone();
                let server = self.server()?;
                super::block_on(load_defs(Some(server), &args))??
            };
            self.defs = Some(defs);
        }
        Ok(self.defs.as_ref().expect("set above"))
    }

    /// Takes the definitions loaded so far, if any.
    pub fn take(&mut self) -> Option<Defs> {
        self.defs.take()
    }
}

/// Reads a workflow, converting an editor (UI-format) one with the server's definitions.
pub fn load_workflow(
    ctx: &Context,
    path: &Path,
    defs: &mut DefsProvider<'_>,
    embed: bool,
) -> anyhow::Result<Workflow> {
    match workflow::load_document(path)? {
        workflow::Document::Api(wf) => Ok(wf),
        workflow::Document::Ui { value, source_name } => {
            if value["nodes"].as_array().is_none_or(|n| n.is_empty()) {
                return Err(WorkflowError::Convert {
                    source_name,
                    reason: "the editor workflow has no nodes".into(),
                }
                .into());
            }
            let d = defs.get().map_err(|e| {
                e.context(format!(
                    "{source_name} is an editor (UI-format) workflow; converting it needs the server's node definitions (or --object-info FILE)"
                ))
            })?;
            let converted = workflow::convert::convert(&value, &source_name, &d.defs)?;
            for w in &converted.warnings {
                ctx.printer.warn(w);
            }
            let mut wf = converted.workflow;
            if !embed {
                wf.editor = None;
            }
            ctx.printer.debug(&format!(
                "converted {source_name} from the editor format: {} nodes",
                wf.nodes.len()
            ));
            Ok(wf)
        }
    }
}

/// Reads `path` and applies the parameters: named flags, then `-p`, then `--set`/`--set-json`.
pub fn load_and_apply(
    ctx: &Context,
    path: &Path,
    p: &ParamArgs,
    defs: &mut DefsProvider<'_>,
    embed: bool,
) -> anyhow::Result<Prepared> {
    let mut wf = load_workflow(ctx, path, defs, embed)?;
    for k in &wf.dropped_keys {
        ctx.printer.warn(&format!(
            "dropped top-level key '{k}' from {}: it is not a node, and the server would reject it",
            wf.source_name
        ));
    }
    let mut args: Vec<ParamArg> = Vec::new();
    let named: [(&'static str, &str, Option<String>); 7] = [
        ("prompt", "--prompt", p.prompt.clone()),
        ("negative", "--negative", p.negative.clone()),
        ("seed", "--seed", p.seed.clone()),
        ("steps", "--steps", p.steps.map(|v| v.to_string())),
        ("cfg", "--cfg", p.cfg.map(|v| v.to_string())),
        ("width", "--width", p.width.map(|v| v.to_string())),
        ("height", "--height", p.height.map(|v| v.to_string())),
    ];
    for (name, flag, value) in named {
        if let Some(v) = value {
            args.push(params::flag_param(name, flag, &v));
        }
    }
    for a in &p.params {
        args.push(params::parse_param(a, &format!("-p {a}"))?);
    }
    let mut rng_seed = || rand::random_range(0..params::MAX_RANDOM_SEED);
    let mut applied = params::apply_params(&mut wf, &args, &mut rng_seed)?;
    let mut sets = Vec::new();
    for s in &p.set {
        sets.push((workflow::parse_set(s, false)?, format!("--set {s}")));
    }
    for s in &p.set_json {
        sets.push((workflow::parse_set(s, true)?, format!("--set-json {s}")));
    }
    let only: Vec<_> = sets.iter().map(|(s, _)| s.clone()).collect();
    workflow::apply_sets(&mut wf, &only, p.force_literal)?;
    for (s, origin) in sets {
        let id = workflow::inject::resolve_node(&wf, &s.node)?;
        applied.push(Applied {
            name: format!("{id}.{}", s.input),
            value: wf.nodes[&id]["inputs"][&s.input].clone(),
            targets: vec![Target {
                node: id,
                input: s.input,
            }],
            origin,
        });
    }
    if p.randomize_seed {
        let seed = rand::random_range(0..params::MAX_RANDOM_SEED);
        let a = params::randomize_seed(&mut wf, seed).ok_or_else(|| {
            Failure::usage(
                "--randomize-seed: this workflow has no seed parameter (see comfyctl params)",
            )
        })?;
        applied.push(a);
    }
    Ok(Prepared { wf, applied })
}

/// Tells the user where a parameter went when it was not obvious: several inputs, or a value
/// comfyctl chose.
pub fn report_applied(printer: &Printer, applied: &[Applied]) {
    for a in applied {
        let chosen = a.origin == "--randomize-seed"
            || a.origin.ends_with("=random")
            || a.origin.ends_with(" random");
        if chosen {
            printer.info(&format!("{} = {} (chosen at random)", a.name, a.value));
        }
        if a.targets.len() > 1 {
            printer.info(&format!(
                "{} sets {} inputs: {}",
                a.name,
                a.targets.len(),
                params::describe(&a.targets)
            ));
        }
    }
}

/// Adds "from -p steps=0" to the errors of inputs the user set.
pub fn annotate(errors: &mut [NodeErrorReport], applied: &[Applied]) {
    for ne in errors {
        for e in &mut ne.errors {
            let Some(input) = &e.input_name else { continue };
            if let Some(a) = applied.iter().rev().find(|a| {
                a.targets
                    .iter()
                    .any(|t| t.node == ne.node_id && &t.input == input)
            }) {
                e.origin = Some(a.origin.clone());
            }
        }
    }
}

/// One local file for a loader input.
struct Planned {
    path: PathBuf,
    targets: Vec<Target>,
    origin: String,
    /// Upload through `/upload/mask` onto this loader's image.
    mask_onto: Option<Target>,
}

/// Works out where each input file goes before anything is uploaded, so a wrong name fails
/// without side effects.
fn plan_inputs(wf: &Workflow, args: &InputArgs) -> anyhow::Result<Vec<Planned>> {
    let found = schema::discover(wf);
    let param = |name: &str| found.iter().find(|p| p.name == name);
    let mut plan = Vec::new();
    if let Some(path) = &args.image {
        let p = param("image").ok_or_else(|| {
            Failure::usage("--image: this workflow has no image loader (LoadImage); use --input NODE=PATH for another loader")
        })?;
        plan.push(Planned {
            path: path.clone(),
            targets: vec![p.targets[0].clone()],
            origin: format!("--image {}", path.display()),
            mask_onto: None,
        });
    }
    for raw in &args.inputs {
        let (name, path) = raw.split_once('=').ok_or_else(|| {
            Failure::usage(format!(
                "invalid --input '{raw}': expected NAME=PATH, e.g. --input image=photo.png"
            ))
        })?;
        if name.trim().is_empty() || path.is_empty() {
            return Err(Failure::usage(format!(
                "invalid --input '{raw}': expected NAME=PATH, e.g. --input image=photo.png"
            ))
            .into());
        }
        let targets = input_targets(wf, &found, name.trim())?;
        plan.push(Planned {
            path: PathBuf::from(path),
            targets,
            origin: format!("--input {raw}"),
            mask_onto: None,
        });
    }
    if let Some(path) = &args.mask {
        let origin = format!("--mask {}", path.display());
        if let Some(m) = param("mask") {
            plan.push(Planned {
                path: path.clone(),
                targets: m.targets.clone(),
                origin,
                mask_onto: None,
            });
        } else if let Some(img) = param("image") {
            let t = plan
                .iter()
                .find(|p| {
                    p.mask_onto.is_none() && p.targets.iter().any(|t| img.targets.contains(t))
                })
                .map(|p| p.targets[0].clone())
                .unwrap_or_else(|| img.targets[0].clone());
            plan.push(Planned {
                path: path.clone(),
                targets: vec![t.clone()],
                origin,
                mask_onto: Some(t),
            });
        } else {
            return Err(Failure::usage(
                "--mask: this workflow has no mask loader (LoadImageMask) and no image loader to put the mask on",
            )
            .into());
        }
    }
    Ok(plan)
}

fn input_targets(
    wf: &Workflow,
    found: &[schema::Param],
    name: &str,
) -> anyhow::Result<Vec<Target>> {
    let (base, node) = match name.split_once('@') {
        Some((b, n)) => (b.trim(), Some(n.trim())),
        None => (name, None),
    };
    if let Some(canon) =
        schema::canonical(base).filter(|c| matches!(*c, "image" | "mask" | "video"))
    {
        let p = found.iter().find(|p| p.name == canon).ok_or_else(|| {
            Failure::usage(format!(
                "--input {name}: this workflow has no '{canon}' loader"
            ))
        })?;
        return match node {
            None => Ok(p.targets.clone()),
            Some(n) => {
                let id = workflow::inject::resolve_node(wf, n)?;
                let t: Vec<Target> = p.targets.iter().filter(|t| t.node == id).cloned().collect();
                if t.is_empty() {
                    return Err(WorkflowError::ParamNotOnNode {
                        name: canon.to_string(),
                        node: n.to_string(),
                        targets: params::describe(&p.targets),
                    }
                    .into());
                }
                Ok(t)
            }
        };
    }
    // A node id or title of a loader.
    let id = workflow::inject::resolve_node(wf, name)?;
    let loaders: Vec<Target> = ["image", "mask", "video"]
        .iter()
        .filter_map(|n| found.iter().find(|p| p.name == *n))
        .flat_map(|p| p.targets.iter().filter(|t| t.node == id).cloned())
        .collect();
    if loaders.is_empty() {
        let mut all: Vec<String> = ["image", "mask", "video"]
            .iter()
            .filter_map(|n| found.iter().find(|p| p.name == *n))
            .flat_map(|p| p.targets.iter().map(|t| t.node.clone()))
            .collect();
        all.sort();
        all.dedup();
        return Err(Failure::usage(format!(
            "--input {name}: node {id} ({}) is not an image, mask or video loader; loaders in this workflow: {}",
            wf.class_type(&id).unwrap_or("?"),
            if all.is_empty() { "none".to_string() } else { all.join(", ") }
        ))
        .into());
    }
    Ok(loaders)
}

/// Checks the files exist (before connecting) and, for `--print-prompt`, writes their names
/// into the prompt without uploading.
pub fn inputs_offline(wf: &mut Workflow, args: &InputArgs) -> anyhow::Result<usize> {
    let plan = plan_inputs(wf, args)?;
    for p in &plan {
        std::fs::metadata(&p.path).map_err(|source| ClientError::ReadInput {
            path: p.path.clone(),
            source,
        })?;
        let name = p
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for t in &p.targets {
            set_input(wf, t, Value::from(name.clone()));
        }
    }
    Ok(plan.len())
}

/// Uploads every input file and wires the server's names in.
pub async fn upload_inputs(
    server: &Server,
    printer: &Printer,
    wf: &mut Workflow,
    args: &InputArgs,
    applied: &mut Vec<Applied>,
) -> anyhow::Result<()> {
    let plan = plan_inputs(wf, args)?;
    // Fail on a missing file before anything is uploaded.
    for p in &plan {
        std::fs::metadata(&p.path).map_err(|source| ClientError::ReadInput {
            path: p.path.clone(),
            source,
        })?;
    }
    let mut up = Uploader::new(args.replace_inputs);
    for p in plan {
        let onto = match &p.mask_onto {
            Some(t) => {
                let current = wf.nodes[&t.node]["inputs"][&t.input]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                Some(on_server(&current))
            }
            None => None,
        };
        let u = up.upload(server, &p.path, onto.as_ref()).await?;
        let value = u.input_value();
        let local = p.path.file_name().map(|n| n.to_string_lossy().into_owned());
        if local.as_deref() != Some(u.name.as_str()) {
            printer.info(&format!(
                "{} is on the server as {value} (a different file named {} is already there; --replace-inputs replaces it)",
                p.path.display(),
                local.unwrap_or_default()
            ));
        } else {
            printer.debug(&format!("uploaded {} as {value}", p.path.display()));
        }
        for t in &p.targets {
            set_input(wf, t, Value::from(value.clone()));
        }
        applied.push(Applied {
            name: p
                .targets
                .first()
                .map(|t| format!("{}.{}", t.node, t.input))
                .unwrap_or_default(),
            targets: p.targets,
            value: Value::from(value),
            origin: p.origin,
        });
    }
    Ok(())
}

/// A loader value (`sub/name.png [input]`) as an upload reference.
fn on_server(value: &str) -> Uploaded {
    let (path, file_type) = match value.rsplit_once(" [") {
        Some((p, t)) if t.ends_with(']') => (p, t.trim_end_matches(']')),
        _ => (value, "input"),
    };
    let (subfolder, name) = path.rsplit_once('/').unwrap_or(("", path));
    Uploaded {
        name: name.to_string(),
        subfolder: subfolder.to_string(),
        file_type: file_type.to_string(),
    }
}

fn set_input(wf: &mut Workflow, t: &Target, v: Value) {
    if let Some(inputs) = wf.nodes[&t.node]
        .get_mut("inputs")
        .and_then(Value::as_object_mut)
    {
        inputs.insert(t.input.clone(), v);
    }
}

/// Loads node definitions: from `--object-info`, or from the server (cached).
pub async fn load_defs(server: Option<&Server>, args: &DefsArgs) -> anyhow::Result<Defs> {
    if let Some(f) = &args.object_info {
        return Ok(object_info::from_file(f)?);
    }
    let server = server.expect("a server when no --object-info is given");
    let cache = crate::config::cache_dir();
    Ok(object_info::fetch(server, cache.as_deref(), args.refresh).await?)
}

/// Validates; a failure against a cached copy is checked again against a fresh one, since model
/// lists change without the server's version changing.
pub async fn validate_with_refresh(
    server: Option<&Server>,
    args: &DefsArgs,
    wf: &Workflow,
    preloaded: Option<Defs>,
) -> anyhow::Result<(Report, Defs)> {
    let defs = match preloaded {
        Some(d) => d,
        None => load_defs(server, args).await?,
    };
    let report = validate::validate(wf, &defs.defs);
    if !report.is_clean()
        && matches!(defs.source, DefsSource::Cache(_))
        && let Some(s) = server
    {
        let fresh = object_info::fetch(s, crate::config::cache_dir().as_deref(), true).await?;
        let report = validate::validate(wf, &fresh.defs);
        return Ok((report, fresh));
    }
    Ok((report, defs))
}

/// The rejection that a local validation failure stands for: the whole prompt, or the outputs
/// that would be dropped.
pub fn local_rejection(report: &Report) -> Option<crate::client::Rejection> {
    if let Some(r) = &report.rejection {
        return Some(r.clone());
    }
    if report.partial.is_empty() {
        return None;
    }
    Some(crate::client::Rejection {
        kind: "prompt_outputs_failed_validation".into(),
        message: format!(
            "some outputs would fail validation (only {} would run)",
            report.valid_outputs.join(", ")
        ),
        details: String::new(),
        extra_info: serde_json::json!({}),
        node_errors: report.partial.clone(),
    })
}
