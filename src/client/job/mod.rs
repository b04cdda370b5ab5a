//! The one job lifecycle every command drives: submit (or attach to a job submitted earlier) →
//! follow → the final state from the server → save the outputs. `run`, `batch`, `watch
//! --prompt-id` and `health --smoke` all go through [`Job::run`] and get a [`JobOutcome`],
//! whose [`JobOutcome::exit_status`] is the one mapping from a job's end to an exit code.
//!
//! - [`submit`]: `POST /prompt` with a client-chosen prompt id, so a retried submission is never
//!   queued twice.
//! - [`follow`]: the state machine that reads the server's messages and never gives up without
//!   asking the server.
//! - [`view`]: asking the server where a job is (history, queue, Cloud's job status).
//! - [`save`]: the one path from a finished job's outputs to files on disk.

pub mod follow;
pub mod save;
pub mod submit;
pub mod v2;
pub mod view;

use super::history::HistoryEntry;
use super::report::{JobEvent, Reporter};
use super::router::Router;
use super::{ClientError, NodeErrorReport, Server};
use crate::error::ExitStatus;
use crate::workflow::Workflow;
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub use follow::{Attach, Feed};
pub use save::{ListedOutput, OutputMode, Saved};
pub use submit::{Detached, parse_rejection, submit_detached};
pub use view::cancel_on_server;

/// How long to follow a job; resolved once from flags, environment and profile.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Give up after this long in total.
    pub timeout: Option<Duration>,
    /// Give up when the server says nothing for this long (checked against the server first).
    pub idle_timeout: Option<Duration>,
    /// When the server stops answering mid-job, wait this long for it (a restart) before
    /// giving up with a connection error; never past `timeout`.
    pub reconnect_timeout: Duration,
}

/// How a job ended, from the client's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Finished successfully on the server.
    Success,
    /// Failed on the server.
    Error,
    /// Interrupted on the server (not by us).
    Interrupted,
    /// We stopped it (Ctrl-C).
    Cancelled,
    /// `--timeout`/`--idle-timeout` ran out.
    Timeout,
    /// The server no longer knows the job (restart, queue cleared).
    Lost,
}

impl JobStatus {
    /// Lower-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Success => "success",
            JobStatus::Error => "error",
            JobStatus::Interrupted => "interrupted",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Timeout => "timeout",
            JobStatus::Lost => "lost",
        }
    }

    /// The exit status a job that ended this way stands for.
    pub fn exit_status(self) -> ExitStatus {
        match self {
            JobStatus::Success => ExitStatus::Success,
            JobStatus::Error | JobStatus::Interrupted | JobStatus::Lost => ExitStatus::JobFailed,
            JobStatus::Timeout => ExitStatus::Timeout,
            JobStatus::Cancelled => ExitStatus::Interrupted,
        }
    }
}

/// Timings in milliseconds.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Timings {
    /// From submission to `execution_start`.
    pub queued_ms: Option<u64>,
    /// Server-side execution time (from history timestamps when available).
    pub execution_ms: Option<u64>,
    /// From the start of the command's job to the end of following.
    pub total_ms: u64,
}

/// Everything known about a job that got a prompt id, however it ended.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// The server's prompt id.
    pub prompt_id: String,
    /// Our WebSocket client id.
    pub client_id: String,
    /// How it ended.
    pub status: JobStatus,
    /// The history entry (absent for timeout, cancel, lost).
    pub entry: Option<HistoryEntry>,
    /// The execution error, when status is `Error`.
    pub error: Option<super::events::ExecError>,
    /// Outputs the server dropped at submission (200 with `node_errors`).
    pub dropped: Vec<NodeErrorReport>,
    /// Nodes served from cache.
    pub cached_nodes: Vec<String>,
    /// What we last saw, for timeout and lost messages.
    pub last_seen: String,
    /// Explanation for non-success statuses.
    pub message: Option<String>,
    /// Timings.
    pub timings: Timings,
    /// The job as a v2 server last described it (its outputs are saved from here); `None` on
    /// the native and v1 APIs, whose story is `entry`.
    pub v2: Option<Box<super::v2::Job>>,
}

/// A job's whole story: what the server did with it and what was saved.
#[derive(Debug)]
pub struct JobOutcome {
    /// `Err` when the job never got a prompt id: rejected, the server unreachable, Ctrl-C before
    /// it was queued.
    pub job: Result<JobResult, ClientError>,
    /// Its outputs: saved, listed, texts, and the first error saving them.
    pub outputs: Saved,
}

impl JobOutcome {
    /// The exit status of this job, the same for every command: the job's own ending first, then
    /// outputs the server dropped (exit 3 unless `allow_partial`), then a failed download.
    pub fn exit_status(&self, allow_partial: bool) -> ExitStatus {
        let job = match &self.job {
            Ok(j) => j,
            Err(e) => return e.exit_status(),
        };
        let status = job.status.exit_status();
        if status != ExitStatus::Success {
            return status;
        }
        if !job.dropped.is_empty() && !allow_partial {
            return ExitStatus::Rejected;
        }
        match &self.outputs.error {
            Some(e) => e.exit_status(),
            None => ExitStatus::Success,
        }
    }

    /// The job's ending in one word, counting what happened to its outputs: `success`,
    /// `partial` (outputs dropped at submission), `failed` (not every output saved, or no prompt
    /// id), `rejected`, `cancelled`, or the server-side `error`/`interrupted`/`timeout`/`lost`.
    pub fn outcome_word(&self) -> &'static str {
        match &self.job {
            Err(ClientError::Rejected(_)) => "rejected",
            Err(ClientError::Cancelled) => "cancelled",
            Err(_) => "failed",
            Ok(j) if j.status != JobStatus::Success => j.status.as_str(),
            Ok(_) => match &self.outputs.error {
                Some(ClientError::Cancelled) => "cancelled",
                Some(_) => "failed",
                None if self.job.as_ref().is_ok_and(|j| !j.dropped.is_empty()) => "partial",
                None => "success",
            },
        }
    }
}

/// How a job reaches the server.
pub enum Start<'a> {
    /// Submitted on a socket of its own (`run`, `health --smoke`).
    Submit,
    /// Submitted under a batch's shared socket; its messages are routed to it by prompt id.
    Routed(&'a Router),
    /// A job submitted earlier (`watch --prompt-id`).
    Attach(Attach),
}

/// One workflow on one server, from submission to saved outputs.
pub struct Job<'a> {
    /// Where it runs.
    pub server: &'a Server,
    /// The prompt.
    pub workflow: &'a Workflow,
    /// Timeouts.
    pub options: &'a JobOptions,
    /// What to do with the outputs.
    pub outputs: &'a OutputMode,
    /// The prompt id to submit with (a lowercase UUID), when the caller must know it before
    /// sending (a batch records it first, so a resume can find the job); else a fresh one.
    pub prompt_id: Option<&'a str>,
}

impl Job<'_> {
    /// Runs the whole lifecycle. Never returns early without an outcome: a failure at any stage
    /// is in [`JobOutcome::job`] or [`Saved::error`].
    pub async fn run(
        &self,
        start: Start<'_>,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> JobOutcome {
        if self.server.api().await == super::api::Api::V2 {
            return v2::run(self, start, reporter, cancel).await;
        }
        let job = match start {
            Start::Submit => self.submit_own(reporter, cancel).await,
            Start::Routed(router) => self.submit_routed(router, reporter, cancel).await,
            Start::Attach(a) => {
                follow::follow(
                    self.server,
                    self.workflow,
                    a,
                    self.options,
                    reporter,
                    cancel,
                )
                .await
            }
        };
        let outputs = match &job {
            // Also after a failure: nodes that ran before it may have saved files.
            Ok(j) => match &j.entry {
                Some(entry) => {
                    save::save_outputs(self.server, entry, self.outputs, reporter, cancel).await
                }
                None => Saved::default(),
            },
            Err(_) => Saved::default(),
        };
        JobOutcome { job, outputs }
    }

    /// Opens our own socket first (so no message is missed), then submits and follows.
    async fn submit_own(
        &self,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<JobResult, ClientError> {
        let server = self.server;
        let begin = Instant::now();
        let client_id = uuid::Uuid::new_v4().to_string();
        let our_id = self.our_id();
        let mut ws_unavailable = None;
        let mut conn = match super::ws::connect_with_retries(server, &client_id, 3, cancel).await {
            Ok(c) => {
                reporter.report(JobEvent::Connected {
                    client_id: client_id.clone(),
                });
                Some(c)
            }
            Err(ClientError::Cancelled) => return Err(ClientError::Cancelled),
            Err(e) => {
                // Reported once the submission works: when the whole server is down, the
                // submission's error says it better.
                ws_unavailable = Some(e.to_string());
                None
            }
        };
        let submitted = match submit::submit_reporting(
            server,
            self.workflow,
            &our_id,
            &client_id,
            reporter,
            cancel,
        )
        .await
        {
            Ok(s) => s,
            Err(e) => {
                if let Some(c) = conn.take() {
                    c.close().await;
                }
                return Err(e);
            }
        };
        if let Some(reason) = ws_unavailable {
            reporter.report(JobEvent::WebsocketUnavailable { reason });
        }
        let feed = Feed::Own(conn.map(Box::new));
        self.follow_submitted(submitted, client_id, feed, begin, reporter, cancel)
            .await
    }

    /// A lowercase hyphenated UUID: the only form 0.25+ accepts, and it makes a retried
    /// submission idempotent (the retry finds the first one instead of queueing a second).
    fn our_id(&self) -> String {
        self.prompt_id
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    }

    /// Follows a job this invocation submitted.
    async fn follow_submitted(
        &self,
        submitted: submit::Submitted,
        client_id: String,
        feed: Feed,
        begin: Instant,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<JobResult, ClientError> {
        let attach = Attach {
            prompt_id: submitted.prompt_id,
            client_id,
            feed,
            begin,
            submitted_at: Instant::now(),
            dropped: submitted.dropped,
            running: false,
            owned: true,
        };
        follow::follow(
            self.server,
            self.workflow,
            attach,
            self.options,
            reporter,
            cancel,
        )
        .await
    }

    /// Submits under the router's client id; locally the prompt id is ours, so the subscription
    /// exists before the first message. Comfy Cloud picks its own id; the router keeps early
    /// messages until we subscribe.
    async fn submit_routed(
        &self,
        router: &Router,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<JobResult, ClientError> {
        let server = self.server;
        let begin = Instant::now();
        let our_id = self.our_id();
        let early = (!server.is_cloud()).then(|| router.subscribe(&our_id));
        let submitted = submit::submit_reporting(
            server,
            self.workflow,
            &our_id,
            &router.client_id,
            reporter,
            cancel,
        )
        .await?;
        let sub = match early {
            Some(s) if submitted.prompt_id == our_id => s,
            _ => router.subscribe(&submitted.prompt_id),
        };
        let feed = Feed::Routed {
            sub,
            down: !router.is_up(),
        };
        let client_id = router.client_id.clone();
        self.follow_submitted(submitted, client_id, feed, begin, reporter, cancel)
            .await
    }
}

/// `1.5s`: durations in messages.
pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            timeout: None,
            idle_timeout: None,
            reconnect_timeout: Duration::from_secs(crate::settings::DEFAULT_RECONNECT_TIMEOUT_SECS),
        }
    }
}

impl JobOptions {
    /// The options the resolved settings stand for.
    pub fn from_settings(s: &crate::settings::Settings) -> JobOptions {
        JobOptions {
            timeout: s.timeout,
            idle_timeout: s.idle_timeout,
            reconnect_timeout: s.reconnect_timeout,
        }
    }
}
