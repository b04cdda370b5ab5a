//! Running a batch: servers set up, jobs handed out by the [`Scheduler`], each job the shared
//! [`Job`] lifecycle on its server's shared socket, a manifest line per finished job, probes for
//! servers that are down, Ctrl-C and `--fail-fast`, the contact sheet and the summary.

use super::manifest::{self, MANIFEST_FILE, Manifest};
use super::planfile::PlanFile;
use super::scheduler::{Decision, Ended, Scheduler, Slot};
use crate::client::api::Api;
use crate::client::job::{Job, JobOptions, OutputMode, Start};
use crate::client::outputs::SaveOptions;
use crate::client::router::Router;
use crate::client::{ClientError, JobOutcome, JobStatus, Server};
use crate::prepare::{self, Check, DefsSpec};
use crate::printer::Printer;
use crate::progress::batch::{Counts, Ui};
use crate::report::job::{BatchSent, Retry};
use crate::report::{BatchJob, BatchSummary, ErrorRecord, OutputRecord, ServerSummary};
use crate::workflow::params::{self, Applied, ParamArg};
use crate::workflow::{Workflow, schema};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often a server that is down is asked whether it is back.
pub const PROBE_EVERY: Duration = Duration::from_secs(3);

/// How to run a batch, in plain terms.
pub struct BatchOptions {
    /// Skip the check of every variant before the start.
    pub no_validate: bool,
    /// Stop at the first failed job.
    pub fail_fast: bool,
    /// Draw a contact sheet here at the end.
    pub grid: Option<PathBuf>,
    /// Where node definitions come from for the check.
    pub defs: DefsSpec,
    /// Progress bars allowed.
    pub bars: bool,
    /// Timeouts for each job.
    pub job: JobOptions,
}

/// One server of the batch.
pub struct BatchServer {
    /// The client.
    pub server: Rc<Server>,
    /// Its shared socket, once set up.
    router: Option<Rc<Router>>,
    /// The workflow with this server's uploaded inputs wired in.
    base: Option<Rc<Workflow>>,
    /// How it is shown.
    pub label: String,
}

/// What a job task hands back.
struct Finished {
    index: usize,
    slot: usize,
    name: String,
    applied: Vec<Applied>,
    seed: Option<u64>,
    outcome: JobOutcome,
    /// How the job came to this task.
    kind: TaskKind,
    /// The id recorded in `batch.sent.jsonl` before sending, when it is not the prompt id
    /// (a v2 server chooses its own job ids): the manifest line carries both, so a resume
    /// knows the job ended.
    sent_id: Option<String>,
}

/// Whether a task ran a job or looked after one an earlier run left on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskKind {
    /// Submitted by this run.
    Ran,
    /// Left behind by a killed run; found on the server (finished, or followed to its end).
    Adopted,
    /// Left behind by a killed run; the server has no trace of it: it runs again.
    NotThere,
}

/// What resuming found of the jobs a killed run had on the servers.
#[derive(Debug, Default)]
struct Adoption {
    /// Still to ask about: index → (slot, prompt id).
    todo: Vec<(usize, usize, String)>,
    /// Found and followed to their end.
    adopted: usize,
    /// Gone from the server: run again.
    rerun: usize,
}

/// How a batch ended.
pub struct BatchEnd {
    /// The summary (also printed with `--json`).
    pub summary: BatchSummary,
    /// The exit status.
    pub status: crate::error::ExitStatus,
}

/// The batch in progress.
struct Runner<'a> {
    printer: &'a Printer,
    opts: &'a BatchOptions,
    file: &'a PlanFile,
    dir: &'a Path,
    servers: Vec<BatchServer>,
    sched: Scheduler,
    counts: Counts,
    manifest: Option<Manifest>,
    /// `batch.sent.jsonl`: prompt ids recorded before sending.
    sent: Option<Manifest>,
    /// Tries of moved jobs that did not end (only those: small).
    retries: std::collections::HashMap<usize, Vec<Retry>>,
    fail_fast_hit: bool,
    adoption: Adoption,
    /// `batch.lock`, held while the batch runs.
    lock: Option<std::fs::File>,
}

/// Runs the jobs of `file` not yet done in `dir` on `servers` (each with its job limit).
/// `on_job` gets every manifest line as it is written (the command prints paths or JSON).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    printer: &Printer,
    opts: &BatchOptions,
    file: &PlanFile,
    dir: &Path,
    resumed: bool,
    servers: Vec<(Server, usize)>,
    intr: &crate::signals::Interrupt,
    on_job: &mut dyn FnMut(&BatchJob, &JobOutcome) -> std::io::Result<()>,
) -> anyhow::Result<BatchEnd> {
    let total = file.plan.len();
    let prev = manifest::read_previous(dir, total).map_err(|source| ClientError::LocalIo {
        path: dir.join(MANIFEST_FILE),
        source,
    })?;
    if !prev.bad_lines.is_empty() {
        printer.warn(&format!(
            "{}: skipped {} unreadable line(s) (cut short when the batch was killed): {:?}",
            dir.join(MANIFEST_FILE).display(),
            prev.bad_lines.len(),
            prev.bad_lines
        ));
    }
    let counts = Counts {
        skipped: prev.done(),
        ..Counts::default()
    };
    // Jobs a killed run sent and never saw end: ask their server before running them again.
    let labels: Vec<String> = servers.iter().map(|(s, _)| s.display_url()).collect();
    let mut adoption = Adoption::default();
    for (index, f) in &prev.in_flight {
        match labels.iter().position(|l| *l == f.server) {
            Some(slot) => adoption.todo.push((*index, slot, f.prompt_id.clone())),
            None => printer.warn(&format!(
                "job {index} was sent to {} (prompt {}), which this resume does not use; it runs again here (comfyctl cancel {} --url {} stops the old one)",
                f.server, f.prompt_id, f.prompt_id, f.server
            )),
        }
    }
    let adopting: std::collections::HashSet<usize> =
        adoption.todo.iter().map(|(i, _, _)| *i).collect();
    let pending: Vec<usize> = (0..total)
        .filter(|i| !prev.succeeded[*i] && !adopting.contains(i))
        .collect();
    drop(prev);
    let mut r = Runner {
        printer,
        opts,
        file,
        dir,
        sched: Scheduler::new(
            servers.iter().map(|(_, limit)| Slot::new(*limit)).collect(),
            pending,
        ),
        servers: servers
            .into_iter()
            .map(|(s, _)| BatchServer {
                label: s.display_url(),
                server: Rc::new(s),
                router: None,
                base: None,
            })
            .collect(),
        counts,
        manifest: None,
        sent: None,
        retries: Default::default(),
        fail_fast_hit: false,
        adoption,
        lock: None,
    };
    if let Some(status) = r.start(resumed).await? {
        return Ok(r.end(Duration::ZERO, status));
    }
    let started = Instant::now();
    let ui = Ui::new(
        printer,
        opts.bars,
        r.sched.queued() + r.adoption.todo.len(),
        r.counts.skipped,
    );
    r.main_loop(&ui, intr, on_job).await?;
    ui.clear();
    if r.adoption.adopted + r.adoption.rerun > 0 {
        printer.info(&format!(
            "resumed: adopted {} job(s) an earlier run left on the servers (followed to their end, outputs saved in the batch folder); {} were gone or stopped and ran again",
            r.adoption.adopted, r.adoption.rerun
        ));
    }
    for s in &mut r.servers {
        if let Some(router) = s.router.take()
            && let Ok(router) = Rc::try_unwrap(router)
        {
            router.shutdown().await;
        }
    }
    let status = if intr.pressed() {
        crate::error::ExitStatus::Interrupted
    } else if r.counts.failed > 0 || r.fail_fast_hit {
        crate::error::ExitStatus::JobFailed
    } else {
        crate::error::ExitStatus::Success
    };
    Ok(r.end(started.elapsed(), status))
}

impl Runner<'_> {
    /// Probes the servers, checks the prompts, sets the reachable servers up, writes the plan
    /// file. `Some(status)` ends the batch before it starts.
    async fn start(&mut self, resumed: bool) -> anyhow::Result<Option<crate::error::ExitStatus>> {
        let mut first_error: Option<ClientError> = None;
        let mut down = Vec::new();
        for (i, s) in self.servers.iter().enumerate() {
            match s.server.answers().await {
                Ok(()) => {}
                Err(e @ ClientError::Connect { .. }) => {
                    down.push(format!(
                        "{}: {e}; trying it again every {}s",
                        s.label,
                        PROBE_EVERY.as_secs()
                    ));
                    self.sched.mark_down(i, Instant::now());
                    first_error.get_or_insert(e);
                }
                Err(_) => {}
            }
        }
        if self.sched.slots.iter().all(Slot::is_down) {
            // Nothing was sent: no server to wait for.
            return Err(first_error.expect("all down").into());
        }
        down.iter().for_each(|w| self.printer.warn(w));
        let total = self.file.plan.len();
        let adopting = self.adoption.todo.len();
        if self.sched.queued() == 0 && adopting == 0 {
            self.printer.info(&format!(
                "all {total} jobs of {} are done already",
                self.dir.display()
            ));
        } else {
            let checker = (0..self.servers.len())
                .find(|&i| !self.sched.slots[i].is_down())
                .expect("one is up");
            if !self.opts.no_validate
                && !resumed
                && let Some(status) = self.check(checker).await
            {
                return Ok(Some(status));
            }
            for i in 0..self.servers.len() {
                if !self.sched.slots[i].is_down() {
                    self.bring_up(i).await?;
                }
            }
        }
        // Written only now: a batch refused before its start leaves no directory behind.
        if !resumed {
            self.file.write(self.dir)?;
        }
        match manifest::lock(self.dir) {
            Ok(Some(f)) => self.lock = Some(f),
            Ok(None) => {
                return Err(crate::error::Failure::usage(format!(
                    "{} is being run by another comfyctl (a batch or a --resume of it): nothing was sent",
                    self.dir.display()
                ))
                .with_hint("wait for it to end, or stop it, then --resume")
                .into());
            }
            Err(source) => {
                return Err(ClientError::LocalIo {
                    path: self.dir.join(manifest::LOCK_FILE),
                    source,
                }
                .into());
            }
        }
        let io = |file: &str| {
            let path = self.dir.join(file);
            move |source| ClientError::LocalIo { path, source }
        };
        self.manifest = Some(Manifest::open(self.dir).map_err(io(MANIFEST_FILE))?);
        self.sent = Some(Manifest::open_sent(self.dir).map_err(io(manifest::SENT_FILE))?);
        let pending = self.sched.queued() + adopting;
        if pending > 0 {
            let servers_txt = (0..self.servers.len())
                .filter(|&i| !self.sched.slots[i].is_down())
                .map(|i| {
                    format!(
                        "{} (-j {})",
                        self.servers[i].label, self.sched.slots[i].limit
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            self.printer.info(&format!(
                "{} job{}{} on {servers_txt} → {}",
                pending,
                if pending == 1 { "" } else { "s" },
                if self.counts.skipped > 0 {
                    format!(" ({} already done)", self.counts.skipped)
                } else {
                    String::new()
                },
                self.dir.display()
            ));
        }
        Ok(None)
    }

    /// The one pre-submit check, for every distinct variant of the prompt.
    async fn check(&self, slot: usize) -> Option<crate::error::ExitStatus> {
        let base = self.file.base();
        let mut variants: Vec<(String, Workflow)> = vec![("every job".into(), base.clone())];
        for (label, name, value) in self.file.plan.distinct_values().into_iter().take(10_000) {
            let mut wf = base.clone();
            let arg = params::parse_param(&format!("{name}={value}"), &label).ok()?;
            params::apply_params(&mut wf, &[arg], &mut || 0).ok()?;
            variants.push((label, wf));
        }
        let server = &self.servers[slot].server;
        let check = prepare::check_before_submit(
            Some(server),
            &self.opts.defs,
            &variants,
            None,
            false,
            &[],
        )
        .await;
        let p = self.printer;
        match check {
            Check::Clean { warnings } => warnings.iter().for_each(|w| p.warn(w)),
            Check::Unchecked { reason: Some(r) } => p.warn(&format!(
                "prompts not checked before sending, the server checks them on arrival: {r}"
            )),
            Check::Unchecked { reason: None } | Check::Unreachable(_) => {}
            Check::Rejected { label, rejection } => {
                eprint!(
                    "{}",
                    crate::render::rejection(
                        p,
                        &rejection,
                        &format!("the server would reject the prompt with {label}")
                    )
                );
                p.info(&format!(
                    "{} nothing was queued; --no-validate sends the batch anyway",
                    p.paint_hint()
                ));
                return Some(crate::error::ExitStatus::Rejected);
            }
        }
        None
    }

    /// Readies a reachable server for jobs: the batch's input files uploaded to it, and its
    /// WebSocket (or polling when it has none).
    async fn bring_up(&mut self, i: usize) -> anyhow::Result<()> {
        let s = &mut self.servers[i];
        let mut wf = self.file.base();
        if self.file.inputs.any() {
            let mut applied = Vec::new();
            prepare::upload_inputs(
                &s.server,
                self.printer,
                &mut wf,
                &self.file.inputs,
                &mut applied,
            )
            .await?;
        }
        s.base = Some(Rc::new(wf));
        if s.server.api().await == Api::V2 {
            // Each v2 job has an event stream of its own: no shared socket.
            self.sched.mark_up(i);
            return Ok(());
        }
        let (router, err) = Router::start((*s.server).clone()).await;
        if let Some(e) = err {
            self.printer.warn(&format!(
                "{}: no WebSocket ({e}); following its jobs by polling",
                s.label
            ));
        }
        s.router = Some(Rc::new(router));
        self.sched.mark_up(i);
        Ok(())
    }

    /// Hands out work, collects endings, probes down servers, until the batch is over.
    async fn main_loop(
        &mut self,
        ui: &Ui,
        intr: &crate::signals::Interrupt,
        on_job: &mut dyn FnMut(&BatchJob, &JobOutcome) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        // Ctrl-C cancels the jobs through the parent token; --fail-fast through this one.
        let jobs_cancel = intr.token().child_token();
        let mut set: tokio::task::JoinSet<Finished> = tokio::task::JoinSet::new();
        let mut probe = tokio::time::interval(PROBE_EVERY);
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let found = Rc::new(schema::discover(&self.file.base()));
        let mut told_stop = false;
        for (index, slot, pid) in std::mem::take(&mut self.adoption.todo) {
            if self.sched.slots[slot].is_down() || self.servers[slot].base.is_none() {
                // Its server is down: nothing to ask; it runs again when a server is up.
                self.sched.adopt(slot);
                self.sched
                    .finished(index, slot, Ended::NeverRan, Instant::now());
                continue;
            }
            self.sched.adopt(slot);
            set.spawn_local(self.adopt_task(index, slot, pid, ui, &found, &jobs_cancel));
        }
        loop {
            while let Some((index, slot)) = self.sched.assign() {
                if let Some(task) = self.job_task(index, slot, ui, &found, &jobs_cancel)? {
                    set.spawn_local(task);
                }
            }
            // Jobs not yet submitted wait for a server as long as a job waits for its own.
            let grace = self.opts.job.reconnect_timeout;
            if let Some(gone) = self.sched.give_up(grace, Instant::now()) {
                let reason = format!(
                    "no server reachable for {}s (--reconnect-timeout)",
                    grace.as_secs()
                );
                ui.suspend(|| self.printer.error(&reason, &[], None));
                for index in gone {
                    self.record_failure(index, "", "connect", &reason)?;
                }
            }
            if self.sched.is_over() && set.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                _ = intr.token().cancelled(), if !told_stop => {
                    told_stop = true;
                    self.sched.stop();
                    ui.suspend(|| self.printer.warn("interrupted: stopping this batch's jobs on the servers; finished jobs are in the manifest"));
                }
                Some(joined) = set.join_next() => {
                    let fin = joined.map_err(|e| crate::error::Failure::internal(format!("a batch task failed: {e}")))?;
                    self.on_finished(fin, ui, &jobs_cancel, on_job)?;
                }
                _ = probe.tick(), if self.sched.should_probe() => self.probe(ui).await,
            }
        }
        Ok(())
    }

    /// The task that runs job `index` on server `slot`.
    fn job_task(
        &mut self,
        index: usize,
        slot: usize,
        ui: &Ui,
        found: &Rc<Vec<schema::Param>>,
        cancel: &CancellationToken,
    ) -> anyhow::Result<Option<impl std::future::Future<Output = Finished> + 'static>> {
        let plan = &self.file.plan;
        let spec = plan.job(index);
        let name = plan.job_name(&self.file.name, &spec);
        let s = &self.servers[slot];
        let mut wf = (**s.base.as_ref().expect("set-up servers have a base")).clone();
        let applied = match apply_job(&mut wf, &spec, found) {
            Ok(a) => a,
            Err(e) => {
                // Checked before the start; only a hand-edited batch.json gets here.
                self.sched
                    .finished(index, slot, Ended::Final, Instant::now());
                let label = s.label.clone();
                self.record_failure(index, &label, "usage", &e.to_string())?;
                return Ok(None);
            }
        };
        let server = s.server.clone();
        let router = s.router.clone();
        let outputs = OutputMode::Download(SaveOptions {
            output_dir: self.dir.join(&name),
            flat: self.file.flat_output,
            overwrite: false,
        });
        let mut reporter = ui.job_line(&name, &s.label);
        let cancel = cancel.clone();
        let options = self.opts.job.clone();
        let seed = plan.seed_of(&spec);
        // The prompt id is recorded before the job is sent, so a resume after a kill can find
        // it on the server (Comfy Cloud's v1 chooses its own ids: nothing to record there; a v2
        // server's job carries it in its Idempotency-Key and label).
        let v2 = server.api_known() == Some(Api::V2);
        let pid = (v2 || !server.is_cloud()).then(|| uuid::Uuid::new_v4().to_string());
        if let Some(pid) = &pid {
            let note = BatchSent {
                index,
                prompt_id: pid.clone(),
                server: s.label.clone(),
                attempt: self.sched.tries(index) + 1,
                at: crate::timefmt::now_rfc3339(),
            };
            let sent = self.sent.as_mut().expect("opened at the start");
            sent.append(&crate::report::to_value(&note))
                .map_err(|source| ClientError::LocalIo {
                    path: sent.path.clone(),
                    source,
                })?;
        }
        Ok(Some(async move {
            let job = Job {
                server: &server,
                workflow: &wf,
                options: &options,
                outputs: &outputs,
                prompt_id: pid.as_deref(),
            };
            let start = match &router {
                Some(r) => Start::Routed(r),
                None => Start::Submit,
            };
            let outcome = job.run(start, &mut reporter, &cancel).await;
            reporter.finish();
            Finished {
                index,
                slot,
                name,
                applied,
                seed,
                outcome,
                kind: TaskKind::Ran,
                sent_id: pid,
            }
        }))
    }

    /// The task that looks after job `index`, which a killed run sent to server `slot` as
    /// `pid`: finished there → its outputs are saved; queued or running → followed to its end;
    /// unknown → it runs again.
    fn adopt_task(
        &self,
        index: usize,
        slot: usize,
        pid: String,
        ui: &Ui,
        found: &[schema::Param],
        cancel: &CancellationToken,
    ) -> impl std::future::Future<Output = Finished> + 'static {
        let plan = &self.file.plan;
        let spec = plan.job(index);
        let name = plan.job_name(&self.file.name, &spec);
        let s = &self.servers[slot];
        let server = s.server.clone();
        let mut wf = (**s.base.as_ref().expect("set-up servers have a base")).clone();
        // The job as it was sent: its manifest line lists the values it set, like any other.
        let applied = apply_job(&mut wf, &spec, found).unwrap_or_default();
        let outputs = OutputMode::Download(SaveOptions {
            output_dir: self.dir.join(&name),
            flat: self.file.flat_output,
            overwrite: false,
        });
        let mut reporter = ui.job_line(&name, &s.label);
        let cancel = cancel.clone();
        let options = self.opts.job.clone();
        let seed = plan.seed_of(&spec);
        let sent_id = Some(pid.clone());
        async move {
            use crate::client::job::view::{ServerView, check_server, confirm_unknown};
            // A v2 job is found by the label it was sent with; its id is the server's.
            let (pid, view, gone) = if server.api_known() == Some(Api::V2) {
                match crate::client::job::v2::find_sent(&server, &pid).await {
                    Ok(Some(id)) => (id, Ok(ServerView::Pending), false),
                    Ok(None) => (pid, Ok(ServerView::Unknown), true),
                    Err(e) => (pid, Err(e), false),
                }
            } else {
                let view = check_server(&server, &pid).await;
                let gone = match &view {
                    Ok(ServerView::Unknown) => {
                        confirm_unknown(&server, &pid).await.unwrap_or(false)
                    }
                    _ => false,
                };
                (pid, view, gone)
            };
            let attach = crate::client::job::Attach {
                prompt_id: pid,
                client_id: String::new(),
                feed: crate::client::job::Feed::Own(None),
                begin: std::time::Instant::now(),
                submitted_at: std::time::Instant::now(),
                dropped: Vec::new(),
                running: matches!(view, Ok(ServerView::Running)),
                owned: true,
            };
            let job = Job {
                server: &server,
                workflow: &wf,
                options: &options,
                outputs: &outputs,
                prompt_id: None,
            };
            let outcome = if gone {
                JobOutcome {
                    job: Err(ClientError::BadResponse {
                        what: "resume".into(),
                        detail: "the server has no trace of the job".into(),
                    }),
                    outputs: Default::default(),
                }
            } else {
                job.run(Start::Attach(attach), &mut reporter, &cancel).await
            };
            reporter.finish();
            Finished {
                index,
                slot,
                name,
                applied,
                seed,
                outcome,
                kind: if gone {
                    TaskKind::NotThere
                } else {
                    TaskKind::Adopted
                },
                sent_id,
            }
        }
    }

    /// A job came back: requeue it (its server went away) or record it.
    fn on_finished(
        &mut self,
        fin: Finished,
        ui: &Ui,
        jobs_cancel: &CancellationToken,
        on_job: &mut dyn FnMut(&BatchJob, &JobOutcome) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        // A job an earlier run left that was stopped on the server (by that run's Ctrl-C, or
        // by someone) is not done: it runs again, unless this run is stopping too.
        let stopped_there = fin.kind == TaskKind::Adopted
            && !self.sched.stopping()
            && matches!(fin.outcome.outcome_word(), "cancelled" | "interrupted");
        let ended = match &fin.outcome.job {
            _ if fin.kind == TaskKind::NotThere || stopped_there => Ended::NeverRan,
            Err(ClientError::Connect { .. }) => Ended::Unreachable,
            Ok(j) if j.status == JobStatus::Lost => Ended::Lost,
            _ => Ended::Final,
        };
        match fin.kind {
            TaskKind::Adopted if ended == Ended::Final => self.adoption.adopted += 1,
            TaskKind::NotThere => self.adoption.rerun += 1,
            TaskKind::Adopted if stopped_there => self.adoption.rerun += 1,
            _ => {}
        }
        let was_up = !self.sched.slots[fin.slot].is_down();
        let tries = self.sched.tries(fin.index) + 1;
        let decision = self
            .sched
            .finished(fin.index, fin.slot, ended, Instant::now());
        let attempt = match decision {
            Decision::Requeue => {
                self.note_retry(&fin, ended, tries)?;
                if matches!(ended, Ended::Lost | Ended::Unreachable) {
                    let why = self.retries[&fin.index]
                        .last()
                        .map(|r| r.reason.clone())
                        .unwrap_or_default();
                    ui.suspend(|| {
                        self.printer.warn(&format!(
                            "job {} ({}) goes again: {why}",
                            fin.index, fin.name
                        ))
                    });
                }
                if was_up && self.sched.slots[fin.slot].is_down() {
                    let label = self.servers[fin.slot].label.clone();
                    ui.suspend(|| {
                        self.printer.warn(&format!(
                            "{label} is down; moving its jobs to the other servers"
                        ))
                    });
                }
                return Ok(());
            }
            Decision::Record { attempt } => attempt,
        };
        let mut line = self.line(&fin, attempt);
        line.retries = self.retries.remove(&fin.index).unwrap_or_default();
        self.record(&line)?;
        let success = line.status == "success";
        match line.status.as_str() {
            "success" => self.counts.done += 1,
            "cancelled" => self.counts.cancelled += 1,
            _ => self.counts.failed += 1,
        }
        if line.status != "cancelled" {
            self.sched.count(fin.slot, success);
        }
        ui.suspend(|| on_job(&line, &fin.outcome))?;
        let msg = match &line.error {
            Some(ErrorRecord::Execution { message, .. } | ErrorRecord::Other { message, .. }) => {
                message.clone()
            }
            Some(ErrorRecord::Rejected { message, .. } | ErrorRecord::Partial { message, .. }) => {
                Some(message.clone())
            }
            None => None,
        };
        ui.job_done(
            fin.index,
            &fin.name,
            &line.status,
            msg.as_deref(),
            &self.counts,
        );
        if self.opts.fail_fast && !success && line.status != "cancelled" && !self.sched.stopping() {
            self.fail_fast_hit = true;
            self.sched.stop();
            ui.suspend(|| {
                self.printer.warn(&format!(
                    "--fail-fast: job {} ({}) failed; stopping this batch's other jobs",
                    fin.index, fin.name
                ))
            });
            jobs_cancel.cancel();
        }
        Ok(())
    }

    /// Remembers why a job goes back in the queue, for its final line.
    fn note_retry(&mut self, fin: &Finished, ended: Ended, _tries: u32) -> anyhow::Result<()> {
        let reason = match (&fin.outcome.job, ended) {
            (_, Ended::NeverRan) if fin.kind == TaskKind::Adopted => {
                "an earlier run sent it, and it was stopped on the server before it ended".into()
            }
            (_, Ended::NeverRan) => {
                "a killed run sent it, and the server has no trace of it".into()
            }
            (_, Ended::Lost) => {
                "the server forgot it (it restarted, or its queue was cleared)".to_string()
            }
            (Err(e), _) => format!("the server did not answer: {e}"),
            (Ok(_), _) => "its server went away".to_string(),
        };
        self.retries.entry(fin.index).or_default().push(Retry {
            prompt_id: fin.outcome.job.as_ref().ok().map(|j| j.prompt_id.clone()),
            server: self.servers[fin.slot].label.clone(),
            reason,
        });
        Ok(())
    }

    /// Asks each server that is down whether it is back; one down since the start is set up.
    async fn probe(&mut self, ui: &Ui) {
        for i in 0..self.servers.len() {
            if !self.sched.slots[i].is_down() {
                continue;
            }
            let s = &self.servers[i];
            let ok = tokio::time::timeout(Duration::from_secs(2), s.server.answers()).await;
            if !matches!(ok, Ok(Ok(()))) {
                continue;
            }
            let label = s.label.clone();
            if s.base.is_none() {
                if let Err(e) = self.bring_up(i).await {
                    ui.suspend(|| {
                        self.printer
                            .warn(&format!("{label} answered but could not be set up: {e:#}"))
                    });
                    continue;
                }
            } else {
                self.sched.mark_up(i);
            }
            ui.suspend(|| {
                self.printer
                    .info(&format!("{label} is up; sending it jobs"))
            });
        }
    }

    /// The manifest line of a finished job.
    fn line(&self, fin: &Finished, attempt: u32) -> BatchJob {
        let o = &fin.outcome;
        let job = o.job.as_ref().ok();
        BatchJob {
            index: fin.index,
            name: fin.name.clone(),
            params: fin
                .applied
                .iter()
                .map(|a| (a.name.clone(), a.value.clone()))
                .collect(),
            seed: fin.seed,
            rep: self.file.plan.job(fin.index).rep,
            prompt_id: job.map(|j| j.prompt_id.clone()),
            sent_id: fin
                .sent_id
                .clone()
                .filter(|s| job.is_none_or(|j| j.prompt_id != *s)),
            server: self.servers[fin.slot].label.clone(),
            status: o.outcome_word().into(),
            outputs: OutputRecord::all(o, Some(self.dir)),
            timings: job.map(|j| j.timings.clone()),
            error: ErrorRecord::of(o),
            attempt,
            retries: Vec::new(),
            finished_at: crate::timefmt::now_rfc3339(),
        }
    }

    /// A job that failed before it could start (no server, a broken plan file).
    fn record_failure(
        &mut self,
        index: usize,
        server: &str,
        kind: &str,
        message: &str,
    ) -> anyhow::Result<()> {
        let spec = self.file.plan.job(index);
        let line = BatchJob {
            index,
            name: self.file.plan.job_name(&self.file.name, &spec),
            params: spec
                .params
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect::<Map<String, Value>>(),
            seed: self.file.plan.seed_of(&spec),
            rep: spec.rep,
            prompt_id: None,
            sent_id: None,
            server: server.into(),
            status: "failed".into(),
            outputs: Vec::new(),
            timings: None,
            error: Some(ErrorRecord::Other {
                kind: kind.into(),
                message: Some(message.into()),
            }),
            attempt: 1,
            retries: self.retries.remove(&index).unwrap_or_default(),
            finished_at: crate::timefmt::now_rfc3339(),
        };
        self.record(&line)?;
        self.counts.failed += 1;
        Ok(())
    }

    /// Appends a job's final line to the manifest; a manifest that cannot be written stops
    /// the batch.
    fn record(&mut self, line: &BatchJob) -> anyhow::Result<()> {
        let m = self.manifest.as_mut().expect("opened at the start");
        m.append(&crate::report::to_value(line)).map_err(|source| {
            self.printer
                .error("the manifest could not be written; stopping", &[], None);
            ClientError::LocalIo {
                path: m.path.clone(),
                source,
            }
        })?;
        Ok(())
    }

    /// The summary, and the contact sheet if asked for.
    fn end(mut self, elapsed: Duration, status: crate::error::ExitStatus) -> BatchEnd {
        let mut grid = None;
        if let (Some(g), true) = (&self.opts.grid, self.manifest.is_some()) {
            drop(self.manifest.take());
            match super::grid::draw(self.dir, g, &self.file.plan, &self.file.name) {
                Ok((info, stats)) => {
                    self.printer.info(&format!(
                        "grid: {} ({} image{}, {} empty cell{})",
                        g.display(),
                        stats.images,
                        if stats.images == 1 { "" } else { "s" },
                        stats.empty,
                        if stats.empty == 1 { "" } else { "s" }
                    ));
                    for u in stats.unreadable.iter().take(5) {
                        self.printer.warn(&format!("grid: cannot read {u}"));
                    }
                    grid = Some(info);
                }
                Err(e) => self
                    .printer
                    .error(&format!("cannot draw the grid: {e}"), &[], None),
            }
        }
        let c = &self.counts;
        let total = self.file.plan.len();
        let secs = elapsed.as_secs_f64();
        let summary = BatchSummary {
            dir: self.dir.display().to_string(),
            manifest: self.dir.join(MANIFEST_FILE).display().to_string(),
            total,
            done: c.done,
            failed: c.failed,
            cancelled: c.cancelled,
            skipped: c.skipped,
            not_run: total.saturating_sub(c.done + c.failed + c.cancelled + c.skipped),
            elapsed_s: (secs * 1000.0).round() / 1000.0,
            jobs_per_s: if secs > 0.0 {
                ((c.done + c.failed) as f64 / secs * 100.0).round() / 100.0
            } else {
                0.0
            },
            servers: self
                .servers
                .iter()
                .zip(&self.sched.slots)
                .map(|(s, sl)| ServerSummary {
                    url: s.label.clone(),
                    jobs: sl.limit,
                    done: sl.done,
                    failed: sl.failed,
                    down: sl.is_down(),
                })
                .collect(),
            grid,
            exit_code: status.code(),
        };
        BatchEnd { summary, status }
    }
}

/// Applies a job's values. `found` is the base workflow's friendly parameters, traced once per
/// batch; a job that sets `NODE.input` (which could change links) traces its own copy.
fn apply_job(
    wf: &mut Workflow,
    spec: &super::plan::JobSpec,
    found: &[schema::Param],
) -> anyhow::Result<Vec<Applied>> {
    let mut list: Vec<ParamArg> = Vec::new();
    for (k, v) in &spec.params {
        list.push(params::parse_param(
            &format!("{k}={v}"),
            &format!("{k}={v}"),
        )?);
    }
    if let Some(s) = spec.seed {
        list.push(params::flag_param("seed", "--seed-mode", &s.to_string()));
    }
    let mut no_random = || rand::random_range(0..params::MAX_RANDOM_SEED);
    if list.iter().all(|p| matches!(p, ParamArg::Named { .. })) {
        Ok(params::apply_params_found(
            wf,
            &list,
            found,
            &mut no_random,
        )?)
    } else {
        Ok(params::apply_params(wf, &list, &mut no_random)?)
    }
}
