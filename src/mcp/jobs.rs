//! Jobs: `run_workflow` (and every workflow tool) and `job_outputs`. The same steps as
//! `comfyctl run` — read, apply parameters, upload inputs, the one pre-submit check, then
//! `client::job::Job::run` — with the session's guard in front (deny list, spending consent,
//! job allowance), progress notifications as the reporter, and the request's cancellation
//! wired to the job's token, so a cancelled call stops the job on the server like Ctrl-C.

use super::consent::Answer;
use super::guard::Guard;
use super::images;
use super::progress::McpReporter;
use super::tools::RunArgs;
use super::{ComfyMcp, failure, result_of};
use crate::client::job::{Attach, Feed, Job, OutputMode, Start};
use crate::client::{ClientError, JobEvent, JobOutcome, Reporter};
use crate::prepare::{self, Check, InputSpec};
use crate::report::{RunResult, Submitted};
use crate::workflow::Workflow;
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::{RequestContext, RoleServer};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// A reporter for a call without a progress token.
struct Quiet;
impl Reporter for Quiet {
    fn report(&mut self, _: JobEvent) {}
}

/// The reporter for a request: progress notifications when the client asked for them.
fn reporter(ctx: &RequestContext<RoleServer>) -> Box<dyn Reporter> {
    match ctx.meta.get_progress_token() {
        Some(t) => Box::new(McpReporter::new(ctx.peer.clone(), t)),
        None => Box::new(Quiet),
    }
}

/// A job's token: cancelled when the request is cancelled (`notifications/cancelled`) or the
/// session ends. The watcher ends with the job ([`Self::finish`]).
struct JobToken {
    token: CancellationToken,
}

impl JobToken {
    fn new(session: &CancellationToken, request: &CancellationToken) -> JobToken {
        let token = session.child_token();
        let (t, r) = (token.clone(), request.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = r.cancelled() => t.cancel(),
                _ = t.cancelled() => {}
            }
        });
        JobToken { token }
    }
}

impl Drop for JobToken {
    fn drop(&mut self) {
        // Ends the watcher; the job is over.
        self.token.cancel();
    }
}

/// `refused: …` with nothing structured: the call did nothing.
fn refused(text: String) -> Result<CallToolResponse, McpError> {
    Ok(CallToolResponse::Complete(failure(text)))
}

impl ComfyMcp {
    /// `run_workflow` and the workflow tools.
    pub(super) async fn run_tool(
        &self,
        a: RunArgs,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let s = &self.s;
        let printer = &s.opts.printer;
        let spec = match super::calls::param_spec(&a.params) {
            Ok(p) => p,
            Err(m) => return refused(m),
        };
        let i = match a.server.as_deref() {
            Some(w) => match s.pool.named(Some(w)) {
                Ok(i) => i,
                Err(m) => return refused(m),
            },
            None => s.pool.least_loaded().await,
        };
        let server = &s.pool.slots()[i].server;
        let doc = match self.document(&a.workflow) {
            Ok(d) => d,
            Err(e) => return Ok(super::calls::failure_of(&e).into()),
        };
        let defs = self.defs(i).await;
        let wf = match self.api_workflow(doc, i, defs.as_ref().ok()).await {
            Ok(wf) => wf,
            Err(e) => return Ok(super::calls::failure_of(&e).into()),
        };
        let mut prepared = match prepare::apply(printer, wf, &spec) {
            Ok(p) => p,
            Err(e) => return Ok(super::calls::failure_of(&e).into()),
        };
        if let Some(m) = s.guard.denied(&prepared.wf) {
            return refused(m);
        }
        // A server that does not answer is that, not a question of spending.
        if let Err(e) = &defs
            && e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<crate::client::ClientError>(),
                    Some(crate::client::ClientError::Connect { .. })
                )
            })
        {
            return Ok(super::calls::failure_of(e).into());
        }
        let spending = Guard::spending(
            &prepared.wf,
            defs.as_ref().map(|d| &d.defs).map_err(|e| format!("{e:#}")),
            server.is_cloud().then(|| server.display_url()),
        );
        let what = format!("{} on {}", prepared.wf.source_name, server.display_url());
        match self.consent(&spending, &what, request, ctx).await {
            Answer::Yes => {}
            Answer::No(m) => return refused(m),
            Answer::Ask(r) => return Ok(CallToolResponse::InputRequired(r)),
        }
        let inputs = match self.inputs(&a.inputs) {
            Ok(i) => i,
            Err(m) => return refused(m),
        };
        if let Err(m) = s.guard.take_job() {
            return refused(m);
        }
        let checked = self
            .before_submit(i, &mut prepared, &inputs, defs.ok().map(|d| (*d).clone()))
            .await;
        match checked {
            Ok(None) => {}
            Ok(Some(r)) => {
                s.guard.return_job();
                return Ok(r.into());
            }
            Err(e) => {
                s.guard.return_job();
                return Ok(super::calls::failure_of(&e).into());
            }
        }
        let r = if a.wait {
            self.follow(i, &prepared, ctx).await
        } else {
            self.detach(i, &prepared).await
        };
        Ok(r.into())
    }

    /// Input files by name, each inside the allowed directories, as the command line's
    /// `--input NAME=PATH`.
    fn inputs(
        &self,
        given: &std::collections::BTreeMap<String, String>,
    ) -> Result<InputSpec, String> {
        let mut spec = InputSpec::default();
        for (name, raw) in given {
            let path = self
                .s
                .allowed
                .file(
                    raw,
                    &[super::paths::Area::Inputs, super::paths::Area::Outputs],
                )
                .map_err(|e| format!("inputs.{name}: {e}"))?;
            spec.inputs.push(format!("{name}={}", path.display()));
        }
        Ok(spec)
    }

    /// Uploads the inputs and checks the prompt; `Some(result)` ends the call (rejected).
    async fn before_submit(
        &self,
        i: usize,
        prepared: &mut prepare::Prepared,
        inputs: &InputSpec,
        preloaded: Option<crate::client::object_info::Defs>,
    ) -> anyhow::Result<Option<CallToolResult>> {
        let server = &self.s.pool.slots()[i].server;
        let printer = &self.s.opts.printer;
        prepare::upload_inputs(
            server,
            printer,
            &mut prepared.wf,
            inputs,
            &mut prepared.applied,
        )
        .await?;
        if preloaded.is_none() && self.is_v2(i).await {
            // No definitions to check against: the v2 server checks it on submit.
            return Ok(None);
        }
        let variants = [("the prompt".to_string(), prepared.wf.clone())];
        let check = prepare::check_before_submit(
            Some(server),
            &prepare::DefsSpec::default(),
            &variants,
            preloaded,
            false,
            &prepared.applied,
        )
        .await;
        match check {
            Check::Clean { warnings } => warnings.iter().for_each(|w| printer.warn(w)),
            Check::Unreachable(e) => return Err(e.into()),
            Check::Unchecked { reason } => {
                if let Some(r) = reason {
                    printer.warn(&format!(
                        "cannot check the prompt before sending it ({r}); the server will"
                    ));
                }
            }
            Check::Rejected { rejection, .. } => {
                let r = RunResult::rejected(
                    &server.display_url(),
                    &rejection,
                    "comfyctl",
                    &prepared.applied,
                );
                let text = crate::render::rejection(
                    &plain(),
                    &rejection,
                    "the server would reject the prompt (nothing was sent)",
                );
                return Ok(Some(result_of(&r, text, false)));
            }
        }
        Ok(None)
    }

    /// `wait: false`: submit and return the prompt id.
    async fn detach(&self, i: usize, prepared: &prepare::Prepared) -> CallToolResult {
        let server = &self.s.pool.slots()[i].server;
        match crate::client::job::submit_detached(server, &prepared.wf).await {
            Ok(d) => {
                self.remember(&d.prompt_id, i);
                let r = Submitted {
                    server: server.display_url(),
                    prompt_id: d.prompt_id.clone(),
                    client_id: d.client_id.clone(),
                    number: d.number,
                    dropped_outputs: d.dropped.clone(),
                    params: prepared.applied.clone(),
                };
                let text = format!(
                    "submitted prompt {}; job_status or job_outputs follow it",
                    d.prompt_id
                );
                result_of(&r, text, d.dropped.is_empty())
            }
            Err(ClientError::Rejected(mut rej)) => {
                self.s.guard.return_job();
                prepare::annotate(&mut rej.node_errors, &prepared.applied);
                let r =
                    RunResult::rejected(&server.display_url(), &rej, "server", &prepared.applied);
                let text =
                    crate::render::rejection(&plain(), &rej, "the server rejected the prompt");
                result_of(&r, text, false)
            }
            Err(e) => failure(e.to_string()),
        }
    }

    /// Runs the job to its end with progress, then returns the result and its images.
    async fn follow(
        &self,
        i: usize,
        prepared: &prepare::Prepared,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let s = &self.s;
        let server = &s.pool.slots()[i].server;
        let _active = s.active.begin();
        let _claim = s.pool.claim(i);
        let token = JobToken::new(&s.stop, &ctx.ct);
        let outputs = OutputMode::Download(s.opts.save.clone());
        let job = Job {
            server,
            workflow: &prepared.wf,
            options: &s.opts.job,
            outputs: &outputs,
            prompt_id: None,
        };
        let mut rep = reporter(ctx);
        let mut outcome = job.run(Start::Submit, rep.as_mut(), &token.token).await;
        if let Ok(j) = &outcome.job {
            self.remember(&j.prompt_id, i);
        }
        if let Err(ClientError::Rejected(rej)) = &mut outcome.job {
            prepare::annotate(&mut rej.node_errors, &prepared.applied);
            s.guard.return_job();
        }
        self.outcome(server, &outcome, &prepared.applied).await
    }

    /// `job_outputs`: follows a job (finished or not) to its end and saves its outputs, the
    /// way `watch --prompt-id --download` does.
    pub(super) async fn outputs_tool(
        &self,
        a: super::tools::PromptArgs,
        ctx: &RequestContext<RoleServer>,
    ) -> anyhow::Result<CallToolResult> {
        let id = a.prompt_id.trim();
        let (i, found) = self.server_of(id, a.server.as_deref()).await?;
        if found.status == "unknown" {
            return Ok(failure(format!(
                "no server of this session knows prompt {id} (queued, running or in history)"
            )));
        }
        let s = &self.s;
        let server = &s.pool.slots()[i].server;
        let wf = Workflow {
            nodes: found
                .prompt
                .and_then(|p| p.as_object().cloned())
                .unwrap_or_default(),
            source_name: format!("prompt {id}"),
            dropped_keys: Vec::new(),
            editor: None,
            model_hints: Vec::new(),
        };
        let attach = Attach {
            prompt_id: id.to_string(),
            client_id: String::new(),
            feed: Feed::Own(None),
            begin: Instant::now(),
            submitted_at: Instant::now(),
            dropped: Vec::new(),
            running: found.status == "running",
            owned: false,
        };
        let _active = s.active.begin();
        let token = JobToken::new(&s.stop, &ctx.ct);
        let outputs = OutputMode::Download(s.opts.save.clone());
        let job = Job {
            server,
            workflow: &wf,
            options: &s.opts.job,
            outputs: &outputs,
            prompt_id: None,
        };
        let mut rep = reporter(ctx);
        let outcome = job
            .run(Start::Attach(attach), rep.as_mut(), &token.token)
            .await;
        Ok(self.outcome(server, &outcome, &[]).await)
    }

    fn remember(&self, prompt_id: &str, i: usize) {
        self.s
            .sent
            .lock()
            .expect("not poisoned")
            .insert(prompt_id.to_string(), i);
    }

    /// A job's result: the `run --json` shape, a line of text, and thumbnails of its images
    /// (each with its full path).
    async fn outcome(
        &self,
        server: &crate::client::Server,
        outcome: &JobOutcome,
        applied: &[crate::workflow::params::Applied],
    ) -> CallToolResult {
        let r = RunResult::new(&server.display_url(), outcome, applied);
        let ok = outcome.exit_status(false) == crate::error::ExitStatus::Success;
        let mut text = format!(
            "{}{}",
            r.status,
            r.prompt_id
                .as_deref()
                .map(|p| format!(": prompt {p}"))
                .unwrap_or_default()
        );
        if let Some(t) = &r.timings {
            text.push_str(&format!(" in {:.1}s", t.total_ms as f64 / 1000.0));
        }
        if let Some(e) = &r.error {
            let v = serde_json::to_value(e).unwrap_or_default();
            let msg = v["message"]
                .as_str()
                .or(v["exception_message"].as_str())
                .unwrap_or("");
            text.push_str(&format!(
                "; {}: {msg}",
                v["kind"].as_str().unwrap_or("error")
            ));
        }
        let paths: Vec<std::path::PathBuf> = outcome
            .outputs
            .files
            .iter()
            .map(|f| f.path.clone())
            .collect();
        for p in &paths {
            text.push_str(&format!("\nsaved {}", p.display()));
        }
        for t in &outcome.outputs.texts {
            text.push_str(&format!("\ntext from node {}: {}", t.node_id, t.text));
        }
        let mut result = result_of(&r, text, ok);
        let px = self.s.opts.thumbnail_px;
        let images: Vec<std::path::PathBuf> = paths
            .into_iter()
            .filter(|p| images::is_image(p))
            .take(images::MAX_IMAGES)
            .collect();
        let thumbs = tokio::task::spawn_blocking(move || {
            images
                .iter()
                .map(|p| (p.clone(), images::thumbnail(p, px)))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (p, t) in thumbs {
            match t {
                Ok((data, mime)) => {
                    result
                        .content
                        .push(ContentBlock::text(format!("image {}:", p.display())));
                    result.content.push(ContentBlock::image(data, mime));
                }
                Err(e) => self
                    .s
                    .opts
                    .printer
                    .warn(&format!("no thumbnail of {}: {e}", p.display())),
            }
        }
        result
    }
}

/// A printer for text that goes into results (no colour, no terminal).
fn plain() -> crate::printer::Printer {
    crate::printer::Printer::new(
        crate::printer::Verbosity::Normal,
        crate::printer::ColorChoice::Never,
    )
}
