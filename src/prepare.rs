//! Getting a workflow ready to send, for every command that sends or inspects one: read it
//! (converting an editor workflow), apply the command line's parameters, upload input files, and
//! check the result against the server's node definitions — one check, whatever the command.
//! Takes plain specs, never clap types.

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

/// What `-p`, `--set` and the named flags asked for, in the order they apply.
#[derive(Debug, Clone, Default)]
pub struct ParamSpec {
    /// Named flags (`--prompt`, `--seed`, …): friendly name, flag, value.
    pub named: Vec<(&'static str, &'static str, String)>,
    /// `-p NAME=VALUE`.
    pub params: Vec<String>,
    /// `--set NODE.input=VALUE`.
    pub set: Vec<String>,
    /// `--set-json NODE.input=JSON`.
    pub set_json: Vec<String>,
    /// Let `--set` replace a link.
    pub force_literal: bool,
    /// A fresh seed.
    pub randomize_seed: bool,
}

/// Local files to upload as inputs (paths as given, or absolute in a saved batch plan).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct InputSpec {
    /// `--image`.
    pub image: Option<PathBuf>,
    /// `--input NAME=PATH`.
    pub inputs: Vec<String>,
    /// `--mask`.
    pub mask: Option<PathBuf>,
    /// Replace a different file of the same name on the server.
    pub replace_inputs: bool,
}

impl InputSpec {
    /// Whether any file is to be uploaded.
    pub fn any(&self) -> bool {
        self.image.is_some() || !self.inputs.is_empty() || self.mask.is_some()
    }

    /// The same files by absolute path, so a resumed batch finds them from anywhere.
    pub fn absolute(&self) -> InputSpec {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        InputSpec {
            image: self.image.as_deref().map(abs),
            inputs: self
                .inputs
                .iter()
                .map(|s| match s.split_once('=') {
                    Some((k, v)) => format!("{k}={}", abs(Path::new(v)).display()),
                    None => s.clone(),
                })
                .collect(),
            mask: self.mask.as_deref().map(abs),
            replace_inputs: self.replace_inputs,
        }
    }
}

/// Where node definitions come from.
#[derive(Debug, Clone, Default)]
pub struct DefsSpec {
    /// A saved `/object_info` file instead of the server.
    pub object_info: Option<PathBuf>,
    /// Fetch again instead of using the cached copy.
    pub refresh: bool,
}

/// Builds the server on first use (reading the config then, not before).
pub type ServerFactory<'a> = Box<dyn FnMut() -> anyhow::Result<Server> + 'a>;

/// Node definitions on demand: only UI-format workflows and validation need them, and
/// `--print-prompt` of an API workflow must not touch config or network.
pub struct DefsProvider<'a> {
    spec: DefsSpec,
    make_server: ServerFactory<'a>,
    server: Option<Server>,
    defs: Option<Defs>,
}

impl<'a> DefsProvider<'a> {
    /// A provider for `spec`, building the server with `make_server` when first needed.
    pub fn new(spec: DefsSpec, make_server: ServerFactory<'a>) -> Self {
        DefsProvider {
            spec,
            make_server,
            server: None,
            defs: None,
        }
    }

    /// The server, built when first needed.
    pub fn server(&mut self) -> anyhow::Result<&Server> {
        if self.server.is_none() {
            self.server = Some((self.make_server)()?);
        }
        Ok(self.server.as_ref().expect("set above"))
    }

    /// Definitions, loaded once (blocking; call outside the async runtime).
    pub fn get(&mut self) -> anyhow::Result<&Defs> {
        if self.defs.is_none() {
            let spec = self.spec.clone();
            let defs = if spec.object_info.is_some() {
                crate::signals::block_on(load_defs(None, &spec))??
            } else {
                let server = self.server()?;
                crate::signals::block_on(load_defs(Some(server), &spec))??
            };
            self.defs = Some(defs);
        }
        Ok(self.defs.as_ref().expect("set above"))
    }

    /// A provider that already holds `defs` (loaded asynchronously by a caller that must not
    /// block), so it never builds a server.
    pub fn preloaded(defs: Defs) -> DefsProvider<'static> {
        DefsProvider {
            spec: DefsSpec::default(),
            make_server: Box::new(|| {
                Err(Failure::internal("a preloaded definitions provider has no server").into())
            }),
            server: None,
            defs: Some(defs),
        }
    }

    /// Takes the definitions loaded so far, if any.
    pub fn take(&mut self) -> Option<Defs> {
        self.defs.take()
    }
}

/// Reads a workflow, converting an editor (UI-format) one with the server's definitions.
pub fn load_workflow(
    printer: &Printer,
    path: &Path,
    defs: &mut DefsProvider<'_>,
    embed: bool,
) -> anyhow::Result<Workflow> {
    document_workflow(printer, workflow::load_document(path)?, defs, embed)
}

/// A parsed document as an API workflow, converting an editor one with the server's
/// definitions (a workflow given as text, not a file: the MCP server's inline JSON).
pub fn document_workflow(
    printer: &Printer,
    doc: workflow::Document,
    defs: &mut DefsProvider<'_>,
    embed: bool,
) -> anyhow::Result<Workflow> {
    match doc {
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
                printer.warn(w);
            }
            let mut wf = converted.workflow;
            if !embed {
                wf.editor = None;
            }
            printer.debug(&format!(
                "converted {source_name} from the editor format: {} nodes",
                wf.nodes.len()
            ));
            Ok(wf)
        }
    }
}

/// Reads `path` and applies the parameters: named flags, then `-p`, then `--set`/`--set-json`.
pub fn load_and_apply(
    printer: &Printer,
    path: &Path,
    p: &ParamSpec,
    defs: &mut DefsProvider<'_>,
    embed: bool,
) -> anyhow::Result<Prepared> {
    apply(printer, load_workflow(printer, path, defs, embed)?, p)
}

/// Applies the parameters to a workflow already read: named flags, then `-p`, then
/// `--set`/`--set-json`.
pub fn apply(printer: &Printer, mut wf: Workflow, p: &ParamSpec) -> anyhow::Result<Prepared> {
    for k in &wf.dropped_keys {
        printer.warn(&format!(
            "dropped top-level key '{k}' from {}: it is not a node, and the server would reject it",
            wf.source_name
        ));
    }
    let mut args: Vec<ParamArg> = Vec::new();
    for (name, flag, v) in &p.named {
        args.push(params::flag_param(name, flag, v));
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
fn plan_inputs(wf: &Workflow, args: &InputSpec) -> anyhow::Result<Vec<Planned>> {
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

/// Where each input file goes, after checking every one exists: a wrong name or a missing
/// file fails before anything is uploaded.
fn checked_plan(wf: &Workflow, args: &InputSpec) -> anyhow::Result<Vec<Planned>> {
    let plan = plan_inputs(wf, args)?;
    for p in &plan {
        std::fs::metadata(&p.path).map_err(|source| ClientError::ReadInput {
            path: p.path.clone(),
            source,
        })?;
    }
    Ok(plan)
}

/// Checks the files exist (before connecting) and, for `--print-prompt`, writes their names
/// into the prompt without uploading.
pub fn inputs_offline(wf: &mut Workflow, args: &InputSpec) -> anyhow::Result<usize> {
    let plan = checked_plan(wf, args)?;
    for p in &plan {
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
    args: &InputSpec,
    applied: &mut Vec<Applied>,
) -> anyhow::Result<()> {
    let plan = checked_plan(wf, args)?;
    if server.api().await == crate::client::api::Api::V2 {
        return upload_assets(server, printer, wf, plan, applied).await;
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

/// The v2 way: each file made an asset (sent only when the server lacks its bytes) and
/// wired in as a `core/ASSET` reference, which the server resolves to its own file.
async fn upload_assets(
    server: &Server,
    printer: &Printer,
    wf: &mut Workflow,
    plan: Vec<Planned>,
    applied: &mut Vec<Applied>,
) -> anyhow::Result<()> {
    use crate::client::v2::{V2Client, assets};
    let client = V2Client::new(server.clone());
    for p in plan {
        if let Some(t) = &p.mask_onto {
            return Err(Failure::usage(format!(
                "{} is a mask for {}.{}: the Comfy API v2 has no mask upload",
                p.path.display(),
                t.node,
                t.input
            ))
            .with_hint("paint the mask into the image's alpha channel and pass that image instead, or use a native ComfyUI URL (--api native)")
            .into());
        }
        let (asset, how) = client
            .ensure_asset(&p.path, &assets::default_file_path(&p.path))
            .await
            .map_err(crate::client::ClientError::from)?;
        printer.debug(&format!(
            "{} {} as asset {}",
            match how {
                assets::Delivery::Uploaded => "uploaded",
                assets::Delivery::Deduplicated => "the server already had",
            },
            p.path.display(),
            asset.id
        ));
        let reference = asset.reference();
        for t in &p.targets {
            set_input(wf, t, reference.clone());
        }
        applied.push(Applied {
            name: p
                .targets
                .first()
                .map(|t| format!("{}.{}", t.node, t.input))
                .unwrap_or_default(),
            targets: p.targets,
            value: reference,
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
pub async fn load_defs(server: Option<&Server>, args: &DefsSpec) -> anyhow::Result<Defs> {
    if let Some(f) = &args.object_info {
        return Ok(object_info::from_file(f)?);
    }
    let server = server.expect("a server when no --object-info is given");
    let cache = crate::config::cache_dir();
    match object_info::fetch(server, cache.as_deref(), args.refresh).await {
        Ok(d) => Ok(d),
        // The Comfy API v2 has no node definitions; a deployment that also serves ComfyUI's
        // own routes answered above.
        Err(e)
            if !matches!(e, ClientError::Connect { .. })
                && server.api().await == crate::client::api::Api::V2 =>
        {
            server.log(|| format!("no node definitions: {e}"));
            Err(Failure::usage(format!(
                "{} speaks the Comfy API v2, which serves no node definitions (--object-info FILE checks against saved ones)",
                server.display_url()
            ))
            .with_hint(
                "pass --object-info FILE, saved from the ComfyUI behind it (curl -o defs.json http://COMFYUI/object_info)",
            )
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Validates; a failure against a cached copy is checked again against a fresh one, since model
/// lists change without the server's version changing.
pub async fn validate_with_refresh(
    server: Option<&Server>,
    args: &DefsSpec,
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

/// What checking prompts before sending them found.
#[derive(Debug)]
pub enum Check {
    /// The server would accept every prompt; the warnings say what it accepts but probably
    /// should not.
    Clean {
        /// Warnings to show.
        warnings: Vec<String>,
    },
    /// A prompt would be refused: `label` says which variant ("every job", "--sweep steps=0").
    Rejected {
        /// Which variant.
        label: String,
        /// The server-shaped rejection, with the flag that set each bad value.
        rejection: crate::client::Rejection,
    },
    /// Not checked, and the server will check instead: `reason` says why.
    Unchecked {
        /// Why.
        reason: Option<String>,
    },
    /// The server could not be reached, so nothing was sent: a single job stops here at once
    /// (exit 4) instead of retrying its submission too; a batch waits for its servers.
    Unreachable(ClientError),
}

/// The one check before anything is sent: each variant of the prompt (`run`: one; `batch`:
/// every distinct swept value and params-file row) against the server's node definitions, the
/// way ComfyUI's `validate_prompt` would. Outputs that would be dropped count as a rejection
/// unless `allow_partial`.
pub async fn check_before_submit(
    server: Option<&Server>,
    spec: &DefsSpec,
    variants: &[(String, Workflow)],
    preloaded: Option<Defs>,
    allow_partial: bool,
    applied: &[Applied],
) -> Check {
    let mut defs = preloaded;
    let mut warnings = Vec::new();
    for (label, wf) in variants {
        let (report, d) = match validate_with_refresh(server, spec, wf, defs.take()).await {
            Ok(r) => r,
            Err(e) => {
                return match e.downcast::<ClientError>() {
                    Ok(c @ ClientError::Connect { .. }) => Check::Unreachable(c),
                    Ok(c) => Check::Unchecked {
                        reason: Some(format!("{:#}", anyhow::Error::from(c))),
                    },
                    Err(e) => Check::Unchecked {
                        reason: Some(format!("{e:#}")),
                    },
                };
            }
        };
        defs = Some(d);
        warnings.extend(report.warnings.iter().cloned());
        if report.rejection.is_none() && (report.partial.is_empty() || allow_partial) {
            if !report.partial.is_empty() {
                warnings.push(format!(
                    "some outputs fail validation; only {} will run (--allow-partial)",
                    report.valid_outputs.join(", ")
                ));
            }
            continue;
        }
        let mut rejection = local_rejection(&report).expect("not clean");
        annotate(&mut rejection.node_errors, applied);
        return Check::Rejected {
            label: label.clone(),
            rejection,
        };
    }
    Check::Clean { warnings }
}
