//! What each tool does: read its arguments, call the library the commands use, return the
//! report shape. Jobs (running, following, outputs) are in [`super::jobs`].

use super::paths::Area;
use super::shapes::{Converted, ModelsReport};
use super::tools::{
    CancelArgs, ConvertArgs, DepsArgs, ModelsArgs, PromptArgs, ServerArgs, WorkflowArg,
    WorkflowArgs,
};
use super::{ComfyMcp, failure, result_of};
use crate::client::object_info::Defs;
use crate::health::{Check, HealthReport, State};
use crate::prepare::{self, DefsProvider, ParamSpec};
use crate::report::commands::{
    CancelOutcome, CancelReport, CancelResult, QueueReport, ValidationReport,
};
use crate::report::logs::JobLog;
use crate::report::params::ParamsReport;
use crate::workflow::{self, Document, Workflow};
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// Arguments that do not fit the tool's schema: a protocol error (invalid params).
fn parse<T: DeserializeOwned>(v: Value) -> Result<T, McpError> {
    serde_json::from_value(v)
        .map_err(|e| McpError::invalid_params(format!("invalid arguments: {e}"), None))
}

/// A library error as the agent reads it: the message, its causes, and the hint.
pub(super) fn failure_of(e: &anyhow::Error) -> CallToolResult {
    let mut text = format!("{e:#}");
    if let Some(h) = crate::render::error::hint(e) {
        text.push_str(&format!("\nhint: {h}"));
    }
    failure(text)
}

/// Folder names are path segments on the server: letters, digits, `_`, `-`, `.` only.
pub(super) fn folder_name_ok(f: &str) -> bool {
    !f.is_empty()
        && f != "."
        && f != ".."
        && f.len() <= 100
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Tool parameters (`{"seed": 7, "3.steps": 20}`) as the command line's `-p` and `--set-json`.
pub(super) fn param_spec(params: &Map<String, Value>) -> Result<ParamSpec, String> {
    let mut spec = ParamSpec::default();
    for (k, v) in params {
        if k.contains('=') || k.trim().is_empty() {
            return Err(format!("params: '{k}' is not a parameter name"));
        }
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other if k.contains('.') && crate::workflow::schema::canonical(k).is_none() => {
                spec.set_json.push(format!("{k}={other}"));
                continue;
            }
            _ => {
                return Err(format!(
                    "params.{k}: expected a string, number or boolean (NODE.input takes any JSON)"
                ));
            }
        };
        spec.params.push(format!("{k}={text}"));
    }
    Ok(spec)
}

impl ComfyMcp {
    /// Runs one tool call.
    pub(super) async fn call(
        &self,
        request: CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = Value::Object(request.arguments.clone().unwrap_or_default());
        let r = match request.name.as_ref() {
            "run_workflow" => return self.run_tool(parse(args)?, &request, ctx).await,
            "job_outputs" => self.outputs_tool(parse(args)?, ctx).await,
            "workflow_params" => self.params_tool(parse(args)?).await,
            "validate_workflow" => self.validate_tool(parse(args)?).await,
            "workflow_deps" => self.deps_tool(parse(args)?).await,
            "convert_workflow" => self.convert_tool(parse(args)?).await,
            "job_status" => self.status_tool(parse(args)?).await,
            "queue" => self.queue_tool(parse(args)?).await,
            "cancel_jobs" => self.cancel_tool(parse(args)?).await,
            "health" => self.health_tool(parse(args)?).await,
            "list_models" => self.models_tool(parse(args)?).await,
            other => {
                return match self.s.catalog.get(other) {
                    Some(e) => self.workflow_tool(e, args, &request, ctx).await,
                    None => Err(McpError::invalid_params(
                        format!("no tool named {other}"),
                        None,
                    )),
                };
            }
        };
        Ok(CallToolResponse::Complete(
            r.unwrap_or_else(|e| failure_of(&e)),
        ))
    }

    /// The server an argument names (or the first).
    fn server_index(&self, wanted: Option<&str>) -> anyhow::Result<usize> {
        self.s
            .pool
            .named(wanted)
            .map_err(|m| crate::error::Failure::usage(m).into())
    }

    /// Reads a workflow argument: a file inside the allowed directories, or inline JSON.
    pub(super) fn document(&self, arg: &WorkflowArg) -> anyhow::Result<Document> {
        Ok(match arg {
            // An agent that sent the workflow as a JSON string rather than an object.
            WorkflowArg::Path(p) if p.trim_start().starts_with('{') => {
                workflow::parse_document(p, "<inline workflow>")?
            }
            WorkflowArg::Path(p) => {
                let path = self
                    .s
                    .allowed
                    .file(p, &[Area::Workflows, Area::Inputs])
                    .map_err(|r| crate::error::Failure::usage(r.0))?;
                workflow::load_document(&path)?
            }
            WorkflowArg::Inline(m) => {
                let text = serde_json::to_string(m)?;
                workflow::parse_document(&text, "<inline workflow>")?
            }
        })
    }

    /// The document as an API workflow, converting an editor one with server `i`'s definitions.
    pub(super) async fn api_workflow(
        &self,
        doc: Document,
        i: usize,
        defs: Option<&Arc<Defs>>,
    ) -> anyhow::Result<Workflow> {
        let printer = &self.s.opts.printer;
        if let Document::Api(wf) = doc {
            return Ok(wf);
        }
        let d = match defs {
            Some(d) => d.clone(),
            None => self.defs(i).await.map_err(|e| {
                e.context("an editor (UI-format) workflow is converted with the server's node definitions")
            })?,
        };
        let mut provider = DefsProvider::preloaded((*d).clone());
        prepare::document_workflow(printer, doc, &mut provider, true)
    }

    /// A workflow with parameters applied, for the tools that only look at it.
    async fn prepared(
        &self,
        arg: &WorkflowArg,
        params: &Map<String, Value>,
        i: usize,
    ) -> anyhow::Result<prepare::Prepared> {
        let spec = param_spec(params).map_err(crate::error::Failure::usage)?;
        let wf = self.api_workflow(self.document(arg)?, i, None).await?;
        prepare::apply(&self.s.opts.printer, wf, &spec)
    }

    async fn params_tool(&self, a: WorkflowArgs) -> anyhow::Result<CallToolResult> {
        let i = self.server_index(a.server.as_deref())?;
        let p = self.prepared(&a.workflow, &a.params, i).await?;
        let listing = ParamsReport::new(&p.wf, &workflow::schema::discover(&p.wf));
        let names: Vec<&str> = listing.params.iter().map(|x| x.name.as_str()).collect();
        let text = format!(
            "{}: {} parameter(s): {}",
            listing.workflow,
            names.len(),
            if names.is_empty() {
                "none (use NODE.input)".into()
            } else {
                names.join(", ")
            }
        );
        Ok(result_of(&listing, text, true))
    }

    async fn validate_tool(&self, a: WorkflowArgs) -> anyhow::Result<CallToolResult> {
        let i = self.server_index(a.server.as_deref())?;
        let mut p = self.prepared(&a.workflow, &a.params, i).await?;
        let server = &self.s.pool.slots()[i].server;
        let preloaded = match self.defs(i).await {
            Ok(d) => Some((*d).clone()),
            Err(e) if self.is_v2(i).await => return Err(e),
            Err(_) => None,
        };
        let (report, defs) = prepare::validate_with_refresh(
            Some(server),
            &prepare::DefsSpec::default(),
            &p.wf,
            preloaded,
        )
        .await?;
        let mut rejection = prepare::local_rejection(&report);
        if let Some(r) = &mut rejection {
            prepare::annotate(&mut r.node_errors, &p.applied);
        }
        let v = ValidationReport::new(
            &p.wf.source_name,
            &report,
            &defs,
            Some(server.display_url()),
            rejection.as_ref(),
            std::mem::take(&mut p.applied),
        );
        let text = match &rejection {
            None => format!(
                "valid: {} output node(s) would run",
                report.valid_outputs.len()
            ),
            Some(r) => crate::render::rejection(
                &crate::printer::Printer::new(
                    crate::printer::Verbosity::Normal,
                    crate::printer::ColorChoice::Never,
                ),
                r,
                "the server would reject the prompt",
            ),
        };
        Ok(result_of(&v, text, rejection.is_none()))
    }

    async fn deps_tool(&self, a: DepsArgs) -> anyhow::Result<CallToolResult> {
        let i = self.server_index(a.server.as_deref())?;
        if a.fix && !self.s.opts.allow_install {
            return Ok(failure(
                "refused: installing is off; the user can start comfyctl mcp with --allow-install",
            ));
        }
        let doc = self.document(&a.workflow)?;
        let server = &self.s.pool.slots()[i].server;
        let defs = self.defs(i).await?;
        let (wf, missing) = crate::deps::split_missing(doc, &defs.defs)?;
        let extras = crate::deps::extras::load(Some(server), None, None).await?;
        let mut r = crate::deps::analyze(&wf, &missing, &defs.defs, &extras);
        let mut fixed_all = false;
        if a.fix && !r.ready {
            let outcome = self.fix(i, &r, extras.has_manager).await?;
            fixed_all = outcome.all_fixed();
            r.fix = Some(outcome.summary());
        }
        let text = if r.ready {
            "nothing is missing".to_string()
        } else {
            format!(
                "{} missing: {} node type(s), {} model(s), {} embedding(s), {} input file(s){}",
                r.missing(),
                r.nodes.len(),
                r.models.len(),
                r.embeddings.len(),
                r.inputs.len(),
                if fixed_all { "; all fixed" } else { "" }
            )
        };
        let ok = r.ready || fixed_all;
        Ok(result_of(&r, text, ok))
    }

    /// `deps --fix`'s installer, on a thread of its own: its download progress is not `Send`,
    /// and the session's runtime serves other requests meanwhile.
    async fn fix(
        &self,
        i: usize,
        r: &crate::deps::DepsReport,
        has_manager: bool,
    ) -> anyhow::Result<crate::deps::fix::Outcome> {
        let printer = self.s.opts.printer.clone();
        let server = self.s.pool.slots()[i].server.clone();
        let report = r.clone();
        let token = self.s.stop.child_token();
        let _active = self.s.active.begin();
        tokio::task::spawn_blocking(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let opts = crate::deps::fix::FixOptions {
                dry_run: false,
                models_dir: None,
            };
            rt.block_on(crate::deps::fix::run(
                &printer,
                &opts,
                Some(&server),
                has_manager,
                &report,
                &|name| crate::progress::download_bar(&printer, name),
                &token,
            ))
        })
        .await?
    }

    async fn convert_tool(&self, a: ConvertArgs) -> anyhow::Result<CallToolResult> {
        let i = self.server_index(a.server.as_deref())?;
        let p = self.prepared(&a.workflow, &a.params, i).await?;
        let nodes = Value::Object(p.wf.nodes.clone());
        let mut out = Converted {
            workflow: p.wf.source_name.clone(),
            nodes: p.wf.nodes.len(),
            written: None,
            prompt: None,
        };
        match &a.output {
            Some(name) => {
                let path = self
                    .s
                    .allowed
                    .new_file(name, Area::Outputs)
                    .map_err(|r| crate::error::Failure::usage(r.0))?;
                if path.exists() {
                    return Ok(failure(format!(
                        "{name} exists in the output dir; nothing was written (give another name)"
                    )));
                }
                let mut bytes = serde_json::to_vec_pretty(&nodes)?;
                bytes.push(b'\n');
                crate::fsutil::write_atomically(&path, &bytes)?;
                out.written = Some(path.display().to_string());
            }
            None => out.prompt = Some(nodes),
        }
        let text = match &out.written {
            Some(w) => format!("converted {} ({} nodes) to {w}", out.workflow, out.nodes),
            None => format!("converted {} ({} nodes)", out.workflow, out.nodes),
        };
        Ok(result_of(&out, text, true))
    }

    /// The server a prompt went to: named, remembered from this session, or the first that
    /// knows it.
    pub(super) async fn server_of(
        &self,
        prompt_id: &str,
        wanted: Option<&str>,
    ) -> anyhow::Result<(usize, crate::client::lookup::Found)> {
        let known = self
            .s
            .sent
            .lock()
            .expect("not poisoned")
            .get(prompt_id)
            .copied();
        let order: Vec<usize> = match (wanted, known) {
            (Some(w), _) => vec![self.server_index(Some(w))?],
            (None, Some(i)) => vec![i],
            (None, None) => (0..self.s.pool.slots().len()).collect(),
        };
        let mut last = None;
        for i in order {
            let server = &self.s.pool.slots()[i].server;
            let f = crate::client::lookup::find(server, prompt_id).await?;
            if f.status != "unknown" {
                return Ok((i, f));
            }
            last = Some((i, f));
        }
        Ok(last.expect("at least one server"))
    }

    async fn status_tool(&self, a: PromptArgs) -> anyhow::Result<CallToolResult> {
        let id = a.prompt_id.trim();
        let (i, f) = self.server_of(id, a.server.as_deref()).await?;
        // A v2 job's failure is in the job itself (node, class, message), which `Found` has
        // no room for: its story comes from the job, as `comfyctl logs ID` tells it.
        let v2 = match self.is_v2(i).await {
            true => crate::client::v2::jobs::find(&self.s.pool.slots()[i].server, id).await?,
            false => None,
        };
        let log = match &v2 {
            Some((job, wf)) => JobLog::from_v2(job, wf.as_ref()),
            None => JobLog::new(id, &f),
        };
        let mut text = format!("prompt {}: {}", log.prompt_id, log.status);
        if let Some(e) = &log.error {
            text.push_str(&format!(
                "; failed at node {} ({}): {}",
                e.node_id.as_deref().unwrap_or("?"),
                e.class_type.as_deref().unwrap_or("?"),
                e.exception_message.as_deref().unwrap_or("")
            ));
        }
        if !log.outputs.is_empty() {
            text.push_str(&format!("; {} output(s)", log.outputs.len()));
        }
        Ok(result_of(&log, text, true))
    }

    async fn queue_tool(&self, a: ServerArgs) -> anyhow::Result<CallToolResult> {
        let i = self.server_index(a.server.as_deref())?;
        let server = &self.s.pool.slots()[i].server;
        // Over v2 the list holds only the jobs sent through that server (`GET /jobs`).
        let q = match self.is_v2(i).await {
            true => crate::client::v2::jobs::queue(server).await?.0,
            false => crate::client::queue::fetch(server).await?,
        };
        let r = QueueReport {
            server: server.display_url(),
            running: q.running,
            pending: q.pending,
        };
        let text = format!("{} running, {} pending", r.running.len(), r.pending.len());
        Ok(result_of(&r, text, true))
    }

    async fn cancel_tool(&self, a: CancelArgs) -> anyhow::Result<CallToolResult> {
        if a.prompt_ids.is_empty() {
            return Ok(failure("prompt_ids is empty: name the jobs to stop"));
        }
        let mut rows = Vec::new();
        let mut all = true;
        for id in &a.prompt_ids {
            let id = id.trim();
            let known = self.s.sent.lock().expect("not poisoned").get(id).copied();
            let i = match (a.server.as_deref(), known) {
                (Some(w), _) => self.server_index(Some(w))?,
                (None, Some(i)) => i,
                (None, None) => 0,
            };
            let server = &self.s.pool.slots()[i].server;
            let v2 = self.is_v2(i).await;
            let r = if v2 {
                crate::client::v2::jobs::cancel(server, id, false).await
            } else {
                crate::client::queue::cancel(server, id).await
            };
            all &= r.as_ref().is_ok_and(|c| c.stopped());
            rows.push(CancelResult {
                prompt_id: id.to_string(),
                result: CancelOutcome::of(&r, v2),
            });
        }
        let text = rows
            .iter()
            .map(|r| format!("{}: {}", r.prompt_id, r.result.outcome))
            .collect::<Vec<_>>()
            .join("; ");
        let r = CancelReport {
            all_cancelled: all,
            results: rows,
        };
        Ok(result_of(&r, text, all))
    }

    async fn health_tool(&self, a: ServerArgs) -> anyhow::Result<CallToolResult> {
        let i = self.server_index(a.server.as_deref())?;
        let slot = &self.s.pool.slots()[i];
        let t = Instant::now();
        let mut checks = vec![Check::done(
            "profile",
            State::Ok,
            format!(
                "{} → {} ({}); this session: {} server(s), {} of {} jobs used",
                slot.settings.profile.as_deref().unwrap_or("(no profile)"),
                slot.server.display_url(),
                slot.settings.kind.as_str(),
                self.s.pool.slots().len(),
                self.s.guard.jobs().0,
                self.s.guard.jobs().1,
            ),
            t,
        )];
        // The same checklist as `comfyctl health` (over v2: health, the key, the queue).
        let token = self.s.stop.child_token();
        crate::health::server_checks(
            &slot.server,
            &mut checks,
            false,
            &self.s.opts.save.output_dir,
            &token,
        )
        .await;
        let healthy = !checks.iter().any(|c| c.status == State::Fail);
        let text = checks
            .iter()
            .filter(|c| c.status != State::Ok)
            .map(|c| format!("{}: {}", c.name, c.message))
            .collect::<Vec<_>>();
        let text = if healthy && text.is_empty() {
            format!("healthy ({} checks)", checks.len())
        } else {
            format!(
                "{}: {}",
                if healthy { "healthy" } else { "unhealthy" },
                text.join("; ")
            )
        };
        Ok(result_of(&HealthReport { healthy, checks }, text, healthy))
    }

    async fn models_tool(&self, a: ModelsArgs) -> anyhow::Result<CallToolResult> {
        let folder = a.folder.trim();
        if !folder_name_ok(folder) {
            return Ok(failure(format!(
                "'{folder}' is not a model folder name (checkpoints, loras, vae, …)"
            )));
        }
        let i = self.server_index(a.server.as_deref())?;
        if self.is_v2(i).await {
            return Ok(self.not_over_v2(i, "model listing"));
        }
        let server = &self.s.pool.slots()[i].server;
        let models = crate::client::models::list(server, folder).await?;
        let text = format!("{} file(s) in {folder}", models.len());
        let r = ModelsReport {
            server: server.display_url(),
            folder: folder.to_string(),
            models,
        };
        Ok(result_of(&r, text, true))
    }

    /// Runs the workflow behind a workflow tool, its arguments being the workflow's parameters.
    async fn workflow_tool(
        &self,
        e: super::workflows::Entry,
        args: Value,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Value::Object(mut params) = args else {
            return Err(McpError::invalid_params(
                "arguments must be an object",
                None,
            ));
        };
        let wait = match params.remove("wait") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => b,
            Some(other) => {
                return Err(McpError::invalid_params(
                    format!("wait must be true or false, not {other}"),
                    None,
                ));
            }
        };
        let server = match params.remove("server") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                return Err(McpError::invalid_params(
                    format!("server must be a URL, not {other}"),
                    None,
                ));
            }
        };
        // File parameters (image, mask, video) are uploads, as run_workflow's inputs.
        let mut inputs = std::collections::BTreeMap::new();
        for name in super::schema::FILE_PARAMS {
            if let Some(v) = params.remove(*name) {
                match v {
                    Value::String(s) => {
                        inputs.insert(name.to_string(), s);
                    }
                    Value::Null => {}
                    other => {
                        return Err(McpError::invalid_params(
                            format!("{name} must be a file name in the inputs dir, not {other}"),
                            None,
                        ));
                    }
                }
            }
        }
        let run = super::tools::RunArgs {
            workflow: WorkflowArg::Path(e.file.clone()),
            params,
            inputs,
            wait,
            server,
        };
        self.run_tool(run, request, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tool_params_become_command_line_parameters() {
        let m = json!({"prompt": "a=b fox", "seed": 7, "cfg": 6.5, "flag": true, "3.text": ["x"], "skip": null});
        let s = param_spec(m.as_object().unwrap()).unwrap();
        assert_eq!(
            s.params,
            ["prompt=a=b fox", "seed=7", "cfg=6.5", "flag=true"]
        );
        assert_eq!(s.set_json, ["3.text=[\"x\"]"]);
        assert!(param_spec(json!({"seed": [1]}).as_object().unwrap()).is_err());
        assert!(param_spec(json!({"a=b": 1}).as_object().unwrap()).is_err());
        assert!(
            folder_name_ok("checkpoints") && !folder_name_ok("../etc") && !folder_name_ok("a/b")
        );
    }
}
