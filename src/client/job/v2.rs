//! The same lifecycle over the Comfy API v2 (docs/v2.md): submit with an `Idempotency-Key`,
//! follow with the job's event stream *and* polling, believe only `GET /jobs/{id}` about the
//! end (a stream's last `status` can say `expired` for a job that succeeded, or nothing at all
//! for 15 s), read the stream to its end for late `output` frames, save through
//! `/assets/{id}/content`. Events reach the reporter exactly as the native follower sends them,
//! so progress bars, JSON Lines and previews do not know which API ran the job.

use super::save::{ListedOutput, OutputMode, Saved};
use super::{Job, JobOptions, JobOutcome, JobResult, JobStatus, Start, Timings, secs};
use crate::client::events::ExecError;
use crate::client::outputs::OutputFile;
use crate::client::report::{JobEvent, Reporter};
use crate::client::v2::{
    self, EventStream, JobStatus as V2Status, StreamEvent, SubmitRequest, V2Client, V2Error,
};
use crate::client::{ClientError, Server};
use crate::workflow::Workflow;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The first poll comes this soon after the stream opens, then the pause doubles up to
/// [`POLL_MAX`]: a fast job that ended before the proxy's stream was listening leaves the
/// stream silent for 15 s (README surprise 2), and only a poll finds its end sooner.
const POLL_FIRST: Duration = Duration::from_millis(20);
/// The slowest polling pace while a job runs.
const POLL_MAX: Duration = Duration::from_secs(1);
/// An `expired` is believed only after this many answers in a row, this far apart: the proxy
/// says `expired` for a job between ComfyUI's history and queue (README surprise 1).
const EXPIRED_STRIKES: u32 = 4;
const EXPIRED_PAUSE: Duration = Duration::from_millis(250);
/// How soon a stream that closed without an end is opened again.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// Runs `job` on a v2 server: the v2 half of [`Job::run`].
pub(super) async fn run(
    job: &Job<'_>,
    start: Start<'_>,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> JobOutcome {
    let client = V2Client::new(job.server.clone());
    let begin = Instant::now();
    let followed = match start {
        Start::Submit | Start::Routed(_) => {
            match submit(&client, job.workflow, job.prompt_id, reporter, cancel).await {
                Ok(created) => {
                    let f = Follower::new(
                        &client,
                        job.workflow,
                        created.id.clone(),
                        job.options,
                        true,
                        begin,
                    );
                    f.follow(reporter, cancel).await
                }
                Err(e) => Err(e),
            }
        }
        Start::Attach(a) => {
            let mut f = Follower::new(
                &client,
                job.workflow,
                a.prompt_id,
                job.options,
                a.owned,
                a.begin,
            );
            f.submitted_at = a.submitted_at;
            if a.running {
                f.started = Some(Instant::now());
            }
            f.follow(reporter, cancel).await
        }
    };
    let outputs = match &followed {
        Ok(r) => match &r.v2 {
            Some(j) => save(&client, &j.outputs, job.outputs, reporter, cancel).await,
            None => Saved::default(),
        },
        Err(_) => Saved::default(),
    };
    JobOutcome {
        job: followed,
        outputs,
    }
}

/// A v2 error met while submitting `wf`: an `invalid_workflow` is the same [`Rejection`]
/// (node errors and all) a native server's 400 gives.
///
/// [`Rejection`]: crate::client::Rejection
pub fn rejection(e: V2Error, wf: &Workflow) -> ClientError {
    match &e {
        V2Error::Api(a) => match a.native_rejection_body() {
            Some(body) => ClientError::Rejected(Box::new(super::parse_rejection(&body, wf))),
            None => e.into(),
        },
        _ => e.into(),
    }
}

/// The request for `wf`: a fresh `Idempotency-Key`, or one made from the id the caller chose
/// beforehand (a batch records it before sending, so a resume can find the job by its
/// label), and the key again as the label, so a submission whose answer was lost is found
/// instead of sent twice.
fn request(server: &Server, wf: &Workflow, chosen: Option<&str>) -> SubmitRequest {
    let mut req = SubmitRequest::new(wf.nodes.clone());
    if let Some(id) = chosen {
        req.idempotency_key = format!("comfyctl-{id}");
    }
    req.label = Some(req.idempotency_key.clone());
    req.partner_key = server.partner_key.clone();
    req
}

/// Submits and reports it. Ctrl-C during the submission lets the answer arrive (briefly) and
/// cancels the job it made, so nothing runs that nobody follows.
async fn submit(
    client: &V2Client,
    wf: &Workflow,
    chosen: Option<&str>,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<v2::Job, ClientError> {
    let req = request(client.server(), wf, chosen);
    let sent = client.submit(&req);
    tokio::pin!(sent);
    let created = tokio::select! {
        r = &mut sent => r.map_err(|e| rejection(e, wf))?,
        _ = cancel.cancelled() => {
            if let Ok(Ok(j)) = tokio::time::timeout(Duration::from_secs(5), sent).await {
                let _ = client.cancel(&j.id).await;
            }
            return Err(ClientError::Cancelled);
        }
    };
    reporter.report(JobEvent::Submitted {
        prompt_id: created.id.clone(),
        number: created.queue_position.map(|p| p as f64),
        nodes: wf.nodes.len(),
    });
    Ok(created)
}

/// The job a batch sent as `chosen` (the id it recorded before sending: the job's label is
/// made from it), if the server has it; among the newest hundred.
pub async fn find_sent(server: &Server, chosen: &str) -> Result<Option<String>, ClientError> {
    let label = format!("comfyctl-{chosen}");
    let list = V2Client::new(server.clone())
        .list_jobs(Some(100), &[])
        .await?;
    Ok(list
        .jobs
        .into_iter()
        .find(|j| j.metadata.as_ref().and_then(serde_json::Value::as_str) == Some(&label))
        .map(|j| j.id))
}

/// A submission nobody follows (`run --detach`): the job and the key it was sent with.
pub async fn submit_detached(server: &Server, wf: &Workflow) -> Result<v2::Job, ClientError> {
    let client = V2Client::new(server.clone());
    client
        .submit(&request(server, wf, None))
        .await
        .map_err(|e| rejection(e, wf))
}

/// Asks a v2 server to cancel `id` and says what it answered (the answer is only what the
/// server saw at once; behind ComfyUI 0.3.64 it says `canceling` and does nothing).
pub async fn cancel_on_server(server: &Server, id: &str) -> String {
    let client = V2Client::new(server.clone());
    match tokio::time::timeout(Duration::from_secs(10), client.cancel(id)).await {
        Ok(Ok(j)) => match j.status {
            V2Status::Canceling | V2Status::Canceled => format!("cancelled job {id} on the server"),
            V2Status::Expired => format!("removed job {id} from the server's queue"),
            s => format!("job {id} had already ended ({s})"),
        },
        Ok(Err(e)) => format!("could not stop job {id} on the server: {e}"),
        Err(_) => format!("could not stop job {id} on the server: no answer within 10s"),
    }
}

/// Where the follower stands.
struct Follower<'a> {
    client: &'a V2Client,
    wf: &'a Workflow,
    id: String,
    opts: &'a JobOptions,
    owned: bool,
    begin: Instant,
    submitted_at: Instant,
    deadline: Option<Instant>,
    started: Option<Instant>,
    current: Option<String>,
    step: Option<(u64, u64)>,
    last_activity: Instant,
    /// `output` frames, kept in case the final `GET` lacks one.
    streamed: Vec<v2::Output>,
    /// Consecutive `expired` answers.
    expired: u32,
    /// Since when the server has not answered (a restart).
    gone_since: Option<Instant>,
    /// The stream cannot be had now (429 `too_many_streams`, a server without streams):
    /// polling alone until then.
    no_stream_until: Option<Instant>,
    told_polling: bool,
    poll_every: Duration,
}

/// What woke the follower.
enum Wake {
    Cancel,
    Timeout,
    Idle,
    Event(Box<Result<Option<StreamEvent>, V2Error>>),
    Poll,
    Reopen,
}

async fn next_event(stream: &mut Option<EventStream>) -> Result<Option<StreamEvent>, V2Error> {
    match stream {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// The server did not answer (down, restarting, a gateway in front of it failing), as opposed
/// to answering with an error.
fn unreachable(e: &V2Error) -> bool {
    match e {
        V2Error::Client(ClientError::Connect { .. }) => true,
        V2Error::Api(a) => {
            matches!(a.status, 502..=504) && a.code != v2::ErrorCode::UpstreamError
                || a.code == v2::ErrorCode::UpstreamUnreachable
        }
        _ => false,
    }
}

impl<'a> Follower<'a> {
    fn new(
        client: &'a V2Client,
        wf: &'a Workflow,
        id: String,
        opts: &'a JobOptions,
        owned: bool,
        begin: Instant,
    ) -> Self {
        Follower {
            client,
            wf,
            id,
            opts,
            owned,
            begin,
            submitted_at: Instant::now(),
            deadline: opts.timeout.map(|t| begin + t),
            started: None,
            current: None,
            step: None,
            last_activity: Instant::now(),
            streamed: Vec::new(),
            expired: 0,
            gone_since: None,
            no_stream_until: None,
            told_polling: false,
            poll_every: POLL_FIRST,
        }
    }

    /// Follows the job to an end the server confirms.
    async fn follow(
        mut self,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<JobResult, ClientError> {
        let mut stream = self.open(reporter).await;
        let mut poll_at = Instant::now() + self.poll_every;
        let mut reopen_at: Option<Instant> = None;
        let result = loop {
            let idle_at = self.opts.idle_timeout.map(|d| self.last_activity + d);
            let wake = tokio::select! {
                biased;
                _ = cancel.cancelled() => Wake::Cancel,
                _ = sleep_until_opt(self.deadline) => Wake::Timeout,
                _ = sleep_until_opt(idle_at) => Wake::Idle,
                e = next_event(&mut stream) => Wake::Event(Box::new(e)),
                _ = tokio::time::sleep_until(poll_at.into()) => Wake::Poll,
                _ = sleep_until_opt(reopen_at) => Wake::Reopen,
            };
            match wake {
                Wake::Cancel => {
                    let what = if self.owned {
                        cancel_on_server(self.client.server(), &self.id).await
                    } else {
                        format!(
                            "stopped watching; job {0} goes on (comfyctl cancel {0} stops it)",
                            self.id
                        )
                    };
                    break self.make(JobStatus::Cancelled, None, Some(what));
                }
                Wake::Timeout => {
                    break self.timed_out("timed out after", self.opts.timeout);
                }
                Wake::Idle => {
                    // Never give up without asking the server.
                    if let Ok(j) = self.client.job(&self.id).await
                        && let Some(r) = self.conclude(j, reporter)
                    {
                        break r;
                    }
                    break self.timed_out("no word from the server for", self.opts.idle_timeout);
                }
                Wake::Event(e) if matches!(*e, Ok(Some(_))) => {
                    self.last_activity = Instant::now();
                    if let Ok(Some(ev)) = *e {
                        self.on_event(ev, reporter);
                    }
                }
                Wake::Event(end) => {
                    // The stream closed (or broke): its last status is only a hint; ask.
                    stream = None;
                    if let Err(e) = end.as_ref() {
                        self.client.server().log(|| format!("{e}"));
                    }
                    match self.ask(reporter, cancel).await? {
                        Some(r) => break r,
                        None => reopen_at = Some(Instant::now() + REOPEN_AFTER),
                    }
                }
                Wake::Poll => {
                    if let Some(r) = self.ask(reporter, cancel).await? {
                        break r;
                    }
                    self.poll_every = (self.poll_every * 2).min(POLL_MAX);
                    poll_at = Instant::now() + self.poll_every;
                    if stream.is_none() && reopen_at.is_none() {
                        reopen_at = Some(Instant::now());
                    }
                }
                Wake::Reopen => {
                    reopen_at = None;
                    if self.gone_since.is_none()
                        && self.no_stream_until.is_none_or(|t| Instant::now() >= t)
                    {
                        stream = self.open(reporter).await;
                    }
                }
            }
        };
        if matches!(
            result.status,
            JobStatus::Success | JobStatus::Error | JobStatus::Interrupted
        ) {
            reporter.report(JobEvent::Finished {
                status: result.status.as_str().into(),
                elapsed: self.begin.elapsed().as_secs_f64(),
            });
        }
        Ok(result)
    }

    /// Opens the event stream, or says (once) why the job is polled instead.
    async fn open(&mut self, reporter: &mut dyn Reporter) -> Option<EventStream> {
        match self.client.events(&self.id).await {
            Ok(s) => Some(s),
            Err(e) => {
                let wait = match &e {
                    V2Error::Api(a) => a.retry_after.unwrap_or(Duration::from_secs(5)),
                    _ => Duration::from_secs(5),
                };
                self.no_stream_until = Some(Instant::now() + wait);
                if !self.told_polling {
                    self.told_polling = true;
                    reporter.report(JobEvent::WebsocketUnavailable {
                        reason: format!("no event stream ({e}); following the job by polling"),
                    });
                }
                None
            }
        }
    }

    /// One stream event, reported as the native follower reports the same moment.
    fn on_event(&mut self, ev: StreamEvent, reporter: &mut dyn Reporter) {
        match ev {
            StreamEvent::Status {
                status,
                queue_position,
            } => match status {
                V2Status::Queued => {
                    if let Some(p) = queue_position {
                        reporter.report(JobEvent::Queue { remaining: p });
                    }
                }
                V2Status::Running => self.mark_started(reporter),
                _ => {}
            },
            StreamEvent::Progress(p) => {
                // The 3-key placeholder says nothing but "running".
                self.mark_started(reporter);
                if let Some(node) = p.current_node.filter(|n| !n.is_empty()) {
                    if self.current.as_deref() != Some(node.as_str()) {
                        self.current = Some(node.clone());
                        self.step = None;
                        reporter.report(JobEvent::Node {
                            class_type: self
                                .wf
                                .class_type(&node)
                                .map(str::to_string)
                                .or(p.current_node_class.clone()),
                            title: self.wf.title(&node).map(str::to_string),
                            node: node.clone(),
                            done: p.nodes_done as usize,
                            total: self.wf.nodes.len(),
                        });
                    }
                    if let (Some(step), Some(steps)) = (p.step, p.steps)
                        && steps > 0
                    {
                        self.step = Some((step, steps));
                        reporter.report(JobEvent::Progress {
                            node: Some(node),
                            value: step as f64,
                            max: steps as f64,
                        });
                    }
                }
            }
            StreamEvent::Preview {
                node_id,
                content_type,
                data,
            } => reporter.report(JobEvent::Preview {
                node: Some(node_id)
                    .filter(|n| !n.is_empty())
                    .or_else(|| self.current.clone()),
                bytes: data.len(),
                format: match content_type.as_str() {
                    "image/jpeg" => "jpeg",
                    "image/png" => "png",
                    _ => "unknown",
                },
                prompt_id: self.id.clone(),
                path: None,
                data,
            }),
            StreamEvent::Output(o) => {
                if !self.streamed.iter().any(|s| s.id == o.id) {
                    self.streamed.push(o);
                }
            }
            StreamEvent::Log { level, message } => {
                if !message.is_empty() {
                    reporter.report(JobEvent::Notice {
                        message: format!("{level}: {message}"),
                    });
                }
            }
            StreamEvent::Keepalive | StreamEvent::Other { .. } => {}
        }
    }

    fn mark_started(&mut self, reporter: &mut dyn Reporter) {
        if self.started.is_none() {
            self.started = Some(Instant::now());
            reporter.report(JobEvent::Started);
        }
    }

    /// `GET /jobs/{id}`: the end when it is one. While the server does not answer, waits for
    /// it up to `--reconnect-timeout` (saying so); past that, the error.
    async fn ask(
        &mut self,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<Option<JobResult>, ClientError> {
        loop {
            match self.client.job(&self.id).await {
                Ok(j) => {
                    if let Some(since) = self.gone_since.take() {
                        reporter.report(JobEvent::ServerBack {
                            after_s: since.elapsed().as_secs_f64(),
                        });
                    }
                    if j.status == V2Status::Expired {
                        self.expired += 1;
                        if self.expired < EXPIRED_STRIKES {
                            tokio::select! {
                                _ = tokio::time::sleep(EXPIRED_PAUSE) => continue,
                                _ = cancel.cancelled() => return Ok(None),
                            }
                        }
                    } else {
                        self.expired = 0;
                    }
                    return Ok(self.conclude(j, reporter));
                }
                Err(e) if unreachable(&e) => {
                    let window = self.opts.reconnect_timeout;
                    let since = *self.gone_since.get_or_insert_with(|| {
                        reporter.report(JobEvent::ServerDown {
                            reason: e.to_string(),
                            window_s: window.as_secs_f64(),
                        });
                        Instant::now()
                    });
                    if since.elapsed() >= window {
                        return Err(e.into());
                    }
                    // Polled at most once a second while it is away.
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The result a job in this state stands for; `None` while it is not over.
    fn conclude(&mut self, j: v2::Job, reporter: &mut dyn Reporter) -> Option<JobResult> {
        let (status, message) = match j.status {
            V2Status::Queued | V2Status::Running | V2Status::Canceling | V2Status::Unknown => {
                if j.status == V2Status::Running {
                    self.mark_started(reporter);
                }
                return None;
            }
            V2Status::Succeeded => (JobStatus::Success, None),
            V2Status::Failed => {
                let e = j.error.as_ref();
                let node = e.and_then(|e| e.node_id.clone()).unwrap_or_default();
                let class = e
                    .and_then(|e| e.class_type.clone())
                    .or_else(|| self.wf.class_type(&node).map(str::to_string));
                (
                    JobStatus::Error,
                    Some(format!(
                        "node {node}{} failed: {}",
                        class.map(|c| format!(" ({c})")).unwrap_or_default(),
                        e.map(|e| e.message.trim_end()).unwrap_or("no message")
                    )),
                )
            }
            V2Status::Canceled => (
                JobStatus::Interrupted,
                Some("cancelled on the server".to_string()),
            ),
            V2Status::Expired => (
                JobStatus::Lost,
                Some(format!(
                    "the server no longer knows job {} (expired: cancelled while queued, or its server restarted); last seen: {}",
                    self.id,
                    self.last_seen()
                )),
            ),
        };
        let mut j = j;
        for o in self.streamed.drain(..) {
            if !j.outputs.iter().any(|x| x.id == o.id) {
                j.outputs.push(o);
            }
        }
        Some(self.make(status, Some(j), message))
    }

    fn last_seen(&self) -> String {
        let node = |n: &str| match self.wf.class_type(n) {
            Some(c) => format!("node {n} ({c})"),
            None => format!("node {n}"),
        };
        match (&self.current, self.step, self.started) {
            (Some(n), Some((v, m)), _) => format!("{} at step {v}/{m}", node(n)),
            (Some(n), None, _) => format!("{} running", node(n)),
            (None, _, Some(_)) => "execution started".into(),
            (None, _, None) => "queued, not started".into(),
        }
    }

    fn timed_out(&self, what: &str, after: Option<Duration>) -> JobResult {
        let msg = format!(
            "{what} {}; last seen: {}",
            secs(after.unwrap_or_default()),
            self.last_seen()
        );
        self.make(JobStatus::Timeout, None, Some(msg))
    }

    fn make(&self, status: JobStatus, j: Option<v2::Job>, message: Option<String>) -> JobResult {
        let error = j
            .as_ref()
            .and_then(|j| j.error.as_ref())
            .map(|e| ExecError {
                node_id: e.node_id.clone(),
                node_type: e.class_type.clone().or_else(|| {
                    e.node_id
                        .as_deref()
                        .and_then(|n| self.wf.class_type(n))
                        .map(str::to_string)
                }),
                exception_type: None,
                exception_message: Some(e.message.clone()),
                traceback: e
                    .traceback
                    .as_ref()
                    .map(|t| t.lines().map(str::to_string).collect())
                    .unwrap_or_default(),
                executed: Vec::new(),
            });
        let now = Instant::now();
        JobResult {
            prompt_id: self.id.clone(),
            client_id: String::new(),
            status,
            entry: None,
            error,
            dropped: Vec::new(),
            cached_nodes: Vec::new(),
            last_seen: self.last_seen(),
            message,
            timings: Timings {
                queued_ms: self
                    .started
                    .map(|s| s.saturating_duration_since(self.submitted_at).as_millis() as u64),
                // The proxy's jobs carry no times: what this client saw.
                execution_ms: self
                    .started
                    .filter(|_| j.is_some())
                    .map(|s| now.saturating_duration_since(s).as_millis() as u64),
                total_ms: self.begin.elapsed().as_millis() as u64,
            },
            v2: j.map(Box::new),
        }
    }
}

/// Saves (or lists) every output; a failed file does not stop the others.
async fn save(
    client: &V2Client,
    outs: &[v2::Output],
    mode: &OutputMode,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Saved {
    let mut saved = Saved::default();
    let save = match mode {
        OutputMode::List => {
            saved.listed = outs
                .iter()
                .map(|o| {
                    let (subfolder, filename) = v2::download::output_path(o);
                    ListedOutput {
                        file: OutputFile {
                            node_id: o.node_id.clone(),
                            kind: v2::download::native_kind(&o.kind),
                            filename,
                            subfolder,
                            file_type: "output".into(),
                            animated: o.kind == "video",
                            format: o.content_type.clone(),
                        },
                        url: v2::resolve_link(&o.url, &client.server().base)
                            .map(|u| crate::secret::redact_url(&u))
                            .unwrap_or_else(|_| o.url.clone()),
                    }
                })
                .collect();
            return saved;
        }
        OutputMode::Download(s) => s,
    };
    for o in outs {
        if cancel.is_cancelled() {
            saved.error.get_or_insert(ClientError::Cancelled);
            break;
        }
        match client.download_output(o, save, reporter, cancel).await {
            Ok(f) => saved.files.push(f),
            Err(e) => {
                let e = ClientError::from(e);
                if matches!(e, ClientError::Cancelled) {
                    saved.error = Some(e);
                    break;
                }
                reporter.report(JobEvent::Warning {
                    message: e.to_string(),
                });
                saved.error.get_or_insert(e);
            }
        }
    }
    saved
}
