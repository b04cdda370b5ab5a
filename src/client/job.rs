//! The one job runner: submit → follow → the final state from `/history`. `run` uses it today;
//! `batch`, `health --smoke` and `watch` are meant to reuse it, supplying their own [`Reporter`].

use super::events::{ExecError, ServerMessage};
use super::history::{HistoryEntry, Outcome};
use super::report::{JobEvent, Reporter};
use super::{ClientError, InputError, NodeErrorReport, Rejection, Server, ws};
use crate::workflow::Workflow;
use crate::workflow::parse::node_id_order;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Per-run knobs.
#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    /// Give up after this long in total.
    pub timeout: Option<Duration>,
    /// Give up when the server says nothing for this long (checked against the server first).
    pub idle_timeout: Option<Duration>,
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
}

/// Timings in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// From submission to `execution_start`.
    pub queued_ms: Option<u64>,
    /// Server-side execution time (from history timestamps when available).
    pub execution_ms: Option<u64>,
    /// From start of the command's job to the end of following.
    pub total_ms: u64,
}

/// Everything known about a finished (or abandoned) job.
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
    pub error: Option<ExecError>,
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
}

/// Where the server says a prompt is.
enum ServerView {
    Finished(HistoryEntry),
    Running,
    Pending,
    Unknown,
    /// A status word no table knows (Comfy Cloud): warned about, followed like a running job
    /// until a timeout.
    Unrecognized(String),
}

struct Follow<'a> {
    wf: &'a Workflow,
    prompt_id: String,
    started: Option<Instant>,
    finished: BTreeSet<String>,
    cached: Vec<String>,
    current: Option<String>,
    step: Option<(f64, f64)>,
    last_activity: Instant,
    ws_error: Option<ExecError>,
}

impl Follow<'_> {
    fn describe_node(&self, id: &str) -> String {
        match self.wf.class_type(id) {
            Some(c) => format!("node {id} ({c})"),
            None => format!("node {id}"),
        }
    }

    fn last_seen(&self) -> String {
        match (&self.current, self.step, self.started) {
            (Some(n), Some((v, m)), _) => format!("{} at step {v}/{m}", self.describe_node(n)),
            (Some(n), None, _) => format!("{} running", self.describe_node(n)),
            (None, _, Some(_)) => "execution started".into(),
            (None, _, None) => "queued, not started".into(),
        }
    }

    fn is_ours(&self, m: &ServerMessage) -> bool {
        match m.prompt_id() {
            Some(p) => p == self.prompt_id,
            // Messages without a prompt id: progress from old servers, the reconnect replay of
            // `executing`, type-1 previews. They belong to the running prompt of this socket.
            None => self.started.is_some(),
        }
    }

    /// Handles one message; `true` when it signals the end of the run.
    fn handle(&mut self, m: ServerMessage, reporter: &mut dyn Reporter) -> bool {
        self.last_activity = Instant::now();
        if let ServerMessage::Status {
            queue_remaining: Some(n),
            ..
        } = m
        {
            reporter.report(JobEvent::Queue { remaining: n });
            return false;
        }
        if let ServerMessage::Notification { value } = &m {
            if !value.is_empty() {
                reporter.report(JobEvent::Notice {
                    message: value.clone(),
                });
            }
            return false;
        }
        if !self.is_ours(&m) {
            return false;
        }
        match m {
            ServerMessage::ExecutionStart { .. } => {
                self.started.get_or_insert_with(Instant::now);
                reporter.report(JobEvent::Started);
            }
            ServerMessage::ExecutionCached { nodes, .. } => {
                self.started.get_or_insert_with(Instant::now);
                self.finished.extend(nodes.iter().cloned());
                self.cached.extend(nodes.iter().cloned());
                if !nodes.is_empty() {
                    reporter.report(JobEvent::Cached { nodes });
                }
            }
            ServerMessage::Executing {
                node: Some(node),
                display_node,
                prompt_id,
            } => {
                if prompt_id.is_some() {
                    self.started.get_or_insert_with(Instant::now);
                }
                if let Some(prev) = self.current.replace(node.clone())
                    && prev != node
                {
                    self.finished.insert(prev);
                }
                self.step = None;
                let shown = display_node.unwrap_or(node);
                reporter.report(JobEvent::Node {
                    class_type: self.wf.class_type(&shown).map(str::to_string),
                    title: self.wf.title(&shown).map(str::to_string),
                    node: shown,
                    done: self.finished.len(),
                    total: self.wf.nodes.len(),
                });
            }
            ServerMessage::Executing {
                node: None,
                prompt_id: Some(_),
                ..
            } => return true,
            ServerMessage::Executing {
                node: None,
                prompt_id: None,
                ..
            } => {}
            ServerMessage::Progress {
                node, value, max, ..
            } => {
                self.step = Some((value, max));
                reporter.report(JobEvent::Progress {
                    node: node.or_else(|| self.current.clone()),
                    value,
                    max,
                });
            }
            ServerMessage::ProgressState { finished, .. } => self.finished.extend(finished),
            ServerMessage::Executed { node: Some(n), .. } => {
                self.finished.insert(n);
            }
            ServerMessage::ExecutionSuccess { .. } | ServerMessage::ExecutionInterrupted { .. } => {
                return true;
            }
            ServerMessage::ExecutionError { error, blocked, .. } => {
                if blocked {
                    // ExecutionBlocked does not end the run (protocol §3.3).
                    reporter.report(JobEvent::Warning {
                        message: format!(
                            "execution blocked at {}: {}",
                            self.describe_node(error.node_id.as_deref().unwrap_or("?")),
                            error.exception_message.as_deref().unwrap_or("")
                        ),
                    });
                } else {
                    self.ws_error = Some(error);
                    return true;
                }
            }
            ServerMessage::Preview {
                metadata,
                image,
                format,
            } => {
                let node = metadata
                    .as_ref()
                    .and_then(|m| m.get("display_node_id").or_else(|| m.get("node_id")))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| self.current.clone());
                reporter.report(JobEvent::Preview {
                    node,
                    bytes: image.len(),
                    format: match format {
                        super::events::ImageFormat::Jpeg => "jpeg",
                        super::events::ImageFormat::Png => "png",
                        super::events::ImageFormat::Unknown => "unknown",
                    },
                    prompt_id: self.prompt_id.clone(),
                    path: None,
                    data: image,
                });
            }
            // TEXT frames are broadcast without a prompt id: keep the ones naming our nodes.
            ServerMessage::Text { node_id, text } if self.wf.nodes.contains_key(&node_id) => {
                reporter.report(JobEvent::Text {
                    node: node_id,
                    text,
                });
            }
            _ => {}
        }
        false
    }
}

/// Runs one workflow: opens the WebSocket, submits with a client-generated prompt id, follows
/// the run (reconnecting or polling as needed) and reads the final state from `/history`.
/// Rejection is an `Err`; every other ending is a [`JobResult`].
pub async fn run_job(
    server: &Server,
    wf: &Workflow,
    opts: &JobOptions,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<JobResult, ClientError> {
    let begin = Instant::now();
    let client_id = uuid::Uuid::new_v4().to_string();
    // A lowercase hyphenated UUID: the only form 0.25+ accepts, and it makes a retried
    // submission idempotent (the retry finds the first one instead of queueing a second).
    let our_id = uuid::Uuid::new_v4().to_string();

    let mut ws_unavailable = None;
    let mut conn = match open_ws(server, &client_id, 3, cancel).await {
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

    let submitted = match submit_reporting(server, wf, &our_id, &client_id, reporter, cancel).await
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
    let attach = Attach {
        prompt_id: submitted.0,
        client_id,
        feed: Feed::Own(conn.map(Box::new)),
        begin,
        submitted_at: Instant::now(),
        dropped: submitted.1,
        running: false,
    };
    follow(server, wf, attach, opts, reporter, cancel).await
}

/// Like [`run_job`], on a batch's shared socket: submitted under the router's client id, the
/// messages routed to this job by prompt id.
pub async fn run_routed(
    server: &Server,
    router: &super::router::Router,
    wf: &Workflow,
    opts: &JobOptions,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<JobResult, ClientError> {
    let begin = Instant::now();
    let our_id = uuid::Uuid::new_v4().to_string();
    // Locally the prompt id is ours, so the subscription exists before the first message.
    // Comfy Cloud picks its own; the router keeps early messages until we subscribe.
    let early = (!server.is_cloud()).then(|| router.subscribe(&our_id));
    let (prompt_id, dropped) =
        submit_reporting(server, wf, &our_id, &router.client_id, reporter, cancel).await?;
    let sub = match early {
        Some(s) if prompt_id == our_id => s,
        _ => router.subscribe(&prompt_id),
    };
    let attach = Attach {
        prompt_id,
        client_id: router.client_id.clone(),
        feed: Feed::Routed {
            sub,
            down: !router.is_up(),
        },
        begin,
        submitted_at: Instant::now(),
        dropped,
        running: false,
    };
    follow(server, wf, attach, opts, reporter, cancel).await
}

/// Submits (Ctrl-C during the submission removes the job if it landed) and reports it.
async fn submit_reporting(
    server: &Server,
    wf: &Workflow,
    our_id: &str,
    client_id: &str,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<(String, Vec<NodeErrorReport>), ClientError> {
    let (prompt_id, number, dropped) = tokio::select! {
        r = submit(server, wf, our_id, client_id) => r?,
        _ = cancel.cancelled() => {
            cancel_on_server(server, our_id).await;
            return Err(ClientError::Cancelled);
        }
    };
    reporter.report(JobEvent::Submitted {
        prompt_id: prompt_id.clone(),
        number,
        nodes: wf.nodes.len(),
    });
    if !dropped.is_empty() {
        reporter.report(JobEvent::PartiallyRejected {
            node_errors: dropped.clone(),
        });
    }
    Ok((prompt_id, dropped))
}

/// Where a followed job's messages come from.
pub enum Feed {
    /// A socket of its own (`run`, `watch`); `None` polls. Reconnected here when it drops.
    Own(Option<Box<ws::WsConn>>),
    /// A batch's shared socket, routed by prompt id; the router reconnects it.
    Routed {
        /// The subscription.
        sub: super::router::Subscription,
        /// The router said the socket is down: poll until it says it is back.
        down: bool,
    },
}

impl Feed {
    fn polling(&self) -> bool {
        match self {
            Feed::Own(c) => c.is_none(),
            Feed::Routed { down, .. } => *down,
        }
    }
}

/// What arrived on a feed.
enum Incoming {
    Msg(ServerMessage),
    /// Our own socket closed.
    Closed,
    /// The shared socket came back after a drop.
    Gap,
    /// The shared socket is down.
    Down,
}

async fn next_incoming(feed: &mut Feed) -> Incoming {
    use super::router::Routed;
    match feed {
        Feed::Own(Some(c)) => c.next().await.map_or(Incoming::Closed, Incoming::Msg),
        Feed::Own(None) => std::future::pending().await,
        Feed::Routed { sub, .. } => match sub.rx.recv().await {
            Some(Routed::Msg(m)) => Incoming::Msg(m),
            Some(Routed::Gap) => Incoming::Gap,
            Some(Routed::Down) => Incoming::Down,
            // The router is gone (batch ending): poll.
            None => Incoming::Down,
        },
    }
}

/// A job to follow: what `run_job` has after submitting, or what `watch` builds to attach to a
/// job submitted earlier.
pub struct Attach {
    /// Prompt id.
    pub prompt_id: String,
    /// The client id the socket uses (local servers send progress only to the submitter's).
    pub client_id: String,
    /// Where the job's messages come from (without any, the job is polled).
    pub feed: Feed,
    /// When following began (for the total time).
    pub begin: Instant,
    /// When the job was submitted (for queue time).
    pub submitted_at: Instant,
    /// Outputs the server dropped at validation.
    pub dropped: Vec<NodeErrorReport>,
    /// Already running when attached: messages without a prompt id belong to it.
    pub running: bool,
}

/// Follows a submitted job to its end: WebSocket events, reconnects, polling, timeouts, Ctrl-C;
/// the final state from history.
pub async fn follow(
    server: &Server,
    wf: &Workflow,
    attach: Attach,
    opts: &JobOptions,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<JobResult, ClientError> {
    let Attach {
        prompt_id,
        client_id,
        mut feed,
        begin,
        submitted_at,
        dropped,
        running,
    } = attach;
    let deadline = opts.timeout.map(|t| begin + t);
    let mut f = Follow {
        wf,
        prompt_id: prompt_id.clone(),
        started: running.then(Instant::now),
        finished: BTreeSet::new(),
        cached: Vec::new(),
        current: None,
        step: None,
        last_activity: Instant::now(),
        ws_error: None,
    };
    let poll_every = Duration::from_millis(1000);
    let mut unknown_strikes = 0u32;
    let mut warned_status: Option<String> = None;
    let mut last_reconnect_try = Instant::now();
    let mut last_quiet_check = Instant::now();

    let make =
        |f: &Follow, status: JobStatus, entry: Option<HistoryEntry>, message: Option<String>| {
            let error = match entry.as_ref().map(HistoryEntry::outcome) {
                Some(Outcome::Error(e)) => Some(e),
                _ => None,
            };
            JobResult {
                prompt_id: f.prompt_id.clone(),
                client_id: client_id.clone(),
                status,
                error,
                dropped: dropped.clone(),
                cached_nodes: f.cached.clone(),
                last_seen: f.last_seen(),
                message,
                timings: Timings {
                    queued_ms: f
                        .started
                        .map(|s| s.saturating_duration_since(submitted_at).as_millis() as u64),
                    execution_ms: entry.as_ref().and_then(HistoryEntry::execution_ms),
                    total_ms: begin.elapsed().as_millis() as u64,
                },
                entry,
            }
        };

    enum Step {
        Msg(Incoming),
        Cancel,
        Timeout,
        Idle,
        Poll,
        Quiet,
    }

    let result = loop {
        let idle_at = opts.idle_timeout.map(|d| f.last_activity + d);
        // A socket that says nothing for a while is double-checked against the server: a
        // message lost to a race or a proxy must not leave the run waiting forever.
        let quiet_at =
            (!feed.polling()).then(|| f.last_activity.max(last_quiet_check) + QUIET_CHECK);
        let step = tokio::select! {
            biased;
            _ = cancel.cancelled() => Step::Cancel,
            _ = sleep_until_opt(deadline) => Step::Timeout,
            _ = sleep_until_opt(idle_at) => Step::Idle,
            m = next_incoming(&mut feed) => Step::Msg(m),
            _ = tokio::time::sleep(poll_every), if feed.polling() => Step::Poll,
            _ = sleep_until_opt(quiet_at) => Step::Quiet,
        };
        match step {
            Step::Cancel => {
                let what = cancel_on_server(server, &prompt_id).await;
                break make(&f, JobStatus::Cancelled, None, Some(what));
            }
            Step::Timeout => {
                let t = opts.timeout.unwrap_or_default();
                break make(
                    &f,
                    JobStatus::Timeout,
                    None,
                    Some(format!(
                        "timed out after {}; last seen: {}",
                        secs(t),
                        f.last_seen()
                    )),
                );
            }
            Step::Idle => {
                // Never give up without asking the server: the socket may just be quiet.
                match check_server(server, &prompt_id).await {
                    Ok(ServerView::Finished(entry)) => break finish(&f, entry, make),
                    _ => {
                        let t = opts.idle_timeout.unwrap_or_default();
                        break make(
                            &f,
                            JobStatus::Timeout,
                            None,
                            Some(format!(
                                "no word from the server for {}; last seen: {}",
                                secs(t),
                                f.last_seen()
                            )),
                        );
                    }
                }
            }
            Step::Msg(Incoming::Msg(m)) => {
                if let Feed::Routed { down, .. } = &mut feed {
                    *down = false;
                }
                if f.handle(m, reporter) {
                    match fetch_final(server, &prompt_id).await? {
                        Some(entry) => break finish(&f, entry, make),
                        None => {
                            // The end signal was not backed by history and the job is gone.
                            if matches!(
                                check_server(server, &prompt_id).await?,
                                ServerView::Unknown
                            ) {
                                break lost(&f, make);
                            }
                        }
                    }
                }
            }
            Step::Msg(Incoming::Down) => {
                if let Feed::Routed { down, .. } = &mut feed
                    && !*down
                {
                    *down = true;
                    reporter.report(JobEvent::Disconnected {
                        reason: "WebSocket closed".into(),
                    });
                }
            }
            Step::Msg(Incoming::Gap) => {
                if let Feed::Routed { down, .. } = &mut feed {
                    *down = false;
                }
                reporter.report(JobEvent::Reconnected { attempts: 1 });
                match check_server(server, &prompt_id).await? {
                    ServerView::Finished(entry) => break finish(&f, entry, make),
                    ServerView::Unknown if confirm_unknown(server, &prompt_id).await? => {
                        break lost(&f, make);
                    }
                    _ => {}
                }
                f.last_activity = Instant::now();
            }
            Step::Msg(Incoming::Closed) => {
                reporter.report(JobEvent::Disconnected {
                    reason: "WebSocket closed".into(),
                });
                feed = Feed::Own(None);
                match reconnect(server, &client_id, cancel, deadline).await {
                    Some((c, attempts)) => {
                        feed = Feed::Own(Some(Box::new(c)));
                        reporter.report(JobEvent::Reconnected { attempts });
                    }
                    None if cancel.is_cancelled() => continue,
                    None => reporter.report(JobEvent::Warning {
                        message: "WebSocket stays down; following the job by polling".into(),
                    }),
                }
                last_reconnect_try = Instant::now();
                // Messages sent while we were away are gone for good: ask the server.
                match check_server(server, &prompt_id).await? {
                    ServerView::Finished(entry) => break finish(&f, entry, make),
                    ServerView::Unknown if confirm_unknown(server, &prompt_id).await? => {
                        break lost(&f, make);
                    }
                    _ => {}
                }
                f.last_activity = Instant::now();
            }
            Step::Quiet => {
                last_quiet_check = Instant::now();
                match check_server(server, &prompt_id).await? {
                    ServerView::Finished(entry) => break finish(&f, entry, make),
                    ServerView::Unknown if confirm_unknown(server, &prompt_id).await? => {
                        break lost(&f, make);
                    }
                    _ => {}
                }
            }
            Step::Poll => {
                match check_server(server, &prompt_id).await? {
                    ServerView::Finished(entry) => break finish(&f, entry, make),
                    ServerView::Unknown => {
                        unknown_strikes += 1;
                        if unknown_strikes >= 2 {
                            break lost(&f, make);
                        }
                    }
                    ServerView::Running => {
                        unknown_strikes = 0;
                        f.started.get_or_insert_with(Instant::now);
                        f.last_activity = Instant::now();
                    }
                    ServerView::Pending => {
                        unknown_strikes = 0;
                        f.last_activity = Instant::now();
                    }
                    ServerView::Unrecognized(word) => {
                        unknown_strikes = 0;
                        if warned_status.as_deref() != Some(word.as_str()) {
                            reporter.report(JobEvent::Warning {
                                message: format!(
                                    "the server reports status '{word}', which comfyctl does not know; still following (a --timeout bounds the wait)"
                                ),
                            });
                            warned_status = Some(word);
                        }
                    }
                }
                // No client id: a socket would not carry this job's messages (watch of another
                // client's job on a local server), so keep polling.
                if matches!(feed, Feed::Own(None))
                    && !client_id.is_empty()
                    && last_reconnect_try.elapsed() > Duration::from_secs(5)
                {
                    last_reconnect_try = Instant::now();
                    if let Ok(c) = ws::connect(server, &client_id).await {
                        feed = Feed::Own(Some(Box::new(c)));
                        reporter.report(JobEvent::Reconnected { attempts: 1 });
                    }
                }
            }
        }
    };
    if let Feed::Own(Some(c)) = feed {
        c.close().await;
    }
    if matches!(
        result.status,
        JobStatus::Success | JobStatus::Error | JobStatus::Interrupted
    ) {
        reporter.report(JobEvent::Finished {
            status: result.status.as_str().into(),
            elapsed: begin.elapsed().as_secs_f64(),
        });
    }
    Ok(result)
}

fn finish(
    f: &Follow,
    entry: HistoryEntry,
    make: impl Fn(&Follow, JobStatus, Option<HistoryEntry>, Option<String>) -> JobResult,
) -> JobResult {
    let (status, message) = match entry.outcome() {
        Outcome::Success => (JobStatus::Success, None),
        Outcome::Error(e) => (
            JobStatus::Error,
            Some(format!(
                "{} failed: {}{}",
                f.describe_node(e.node_id.as_deref().unwrap_or("?")),
                e.exception_type
                    .as_deref()
                    .map(|t| format!("{t}: "))
                    .unwrap_or_default(),
                e.exception_message
                    .as_deref()
                    .unwrap_or("no message")
                    .trim_end()
            )),
        ),
        Outcome::Interrupted { node_id, .. } => (
            JobStatus::Interrupted,
            Some(match node_id {
                Some(n) => format!("interrupted on the server at {}", f.describe_node(&n)),
                None => "interrupted on the server".into(),
            }),
        ),
    };
    let mut r = make(f, status, Some(entry), message);
    if r.error.is_none() && status == JobStatus::Error {
        r.error = f.ws_error.clone();
    }
    r
}

fn lost(
    f: &Follow,
    make: impl Fn(&Follow, JobStatus, Option<HistoryEntry>, Option<String>) -> JobResult,
) -> JobResult {
    make(
        f,
        JobStatus::Lost,
        None,
        Some(format!(
            "the server no longer knows prompt {} (not queued, not in history — restarted or cleared?); last seen: {}",
            f.prompt_id,
            f.last_seen()
        )),
    )
}

/// How long a silent socket is trusted before the server is asked about the job.
const QUIET_CHECK: Duration = Duration::from_secs(10);

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

pub(crate) async fn open_ws(
    server: &Server,
    client_id: &str,
    attempts: u32,
    cancel: &CancellationToken,
) -> Result<ws::WsConn, ClientError> {
    let mut last = None;
    for n in 0..attempts {
        match ws::connect(server, client_id).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
        if n + 1 < attempts {
            tokio::select! {
                _ = tokio::time::sleep(server.retry.delay(n)) => {}
                _ = cancel.cancelled() => return Err(ClientError::Cancelled),
            }
        }
    }
    Err(last.expect("at least one attempt"))
}

/// Reconnects under the same client id with backoff. The old socket is already gone (it failed);
/// the server keeps no buffer, so the caller reconciles afterwards.
async fn reconnect(
    server: &Server,
    client_id: &str,
    cancel: &CancellationToken,
    deadline: Option<Instant>,
) -> Option<(ws::WsConn, u32)> {
    for n in 0..server.retry.attempts {
        let wait = server.retry.delay(n);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => return None,
            _ = sleep_until_opt(deadline) => return None,
        }
        if let Ok(c) = ws::connect(server, client_id).await {
            return Some((c, n + 1));
        }
    }
    None
}

/// The final entry if the job has one: `/history/{id}` locally, `/api/jobs/{id}` on Comfy
/// Cloud (which has no `GET /history`). `Ok(None)` while running or when unknown.
async fn history_entry(
    server: &Server,
    prompt_id: &str,
) -> Result<Option<HistoryEntry>, ClientError> {
    if server.is_cloud() {
        return match server.get_json(&format!("/jobs/{prompt_id}")).await {
            Ok(v) => Ok(HistoryEntry::from_cloud_job(&v)),
            Err(ClientError::Http { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        };
    }
    let h = server.get_json(&format!("/history/{prompt_id}")).await?;
    Ok(HistoryEntry::from_response(&h, prompt_id))
}

/// Comfy Cloud's job status endpoint, read through the synonym table.
async fn cloud_view(server: &Server, prompt_id: &str) -> Result<ServerView, ClientError> {
    use super::status::{JobState, normalize};
    let v = match server.get_json(&format!("/job/{prompt_id}/status")).await {
        Ok(v) => v,
        Err(ClientError::Http { status: 404, .. }) => return Ok(ServerView::Unknown),
        Err(e) => return Err(e),
    };
    let word = v.get("status").and_then(Value::as_str).unwrap_or("");
    Ok(match normalize(word) {
        JobState::Pending => ServerView::Pending,
        JobState::Running => ServerView::Running,
        JobState::Lost => ServerView::Unknown,
        JobState::Unrecognized(w) => ServerView::Unrecognized(w),
        JobState::Success | JobState::Failed | JobState::Cancelled => {
            match history_entry(server, prompt_id).await? {
                Some(e) => ServerView::Finished(e),
                // Status says done but the detail lags: look again on the next poll.
                None => ServerView::Running,
            }
        }
    })
}

async fn check_server(server: &Server, prompt_id: &str) -> Result<ServerView, ClientError> {
    if server.is_cloud() {
        return cloud_view(server, prompt_id).await;
    }
    let h = server.get_json(&format!("/history/{prompt_id}")).await?;
    if let Some(entry) = HistoryEntry::from_response(&h, prompt_id) {
        return Ok(ServerView::Finished(entry));
    }
    let q = server.get_json("/queue").await?;
    let has = |key: &str| queue_has(&q, key, prompt_id);
    Ok(if has("queue_running") {
        ServerView::Running
    } else if has("queue_pending") {
        ServerView::Pending
    } else {
        ServerView::Unknown
    })
}

/// True when `/queue`'s list `key` (`queue_running`/`queue_pending`) holds `prompt_id`.
/// Items are `[number, prompt_id, …]` locally and on Cloud alike.
fn queue_has(q: &Value, key: &str, prompt_id: &str) -> bool {
    q.get(key).and_then(Value::as_array).is_some_and(|items| {
        items
            .iter()
            .any(|i| i.get(1).and_then(Value::as_str) == Some(prompt_id))
    })
}

/// A second look before declaring a job lost: history is written just before the job leaves
/// the running list, but a response can still cross that moment.
async fn confirm_unknown(server: &Server, prompt_id: &str) -> Result<bool, ClientError> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(matches!(
        check_server(server, prompt_id).await?,
        ServerView::Unknown
    ))
}

/// After an end-of-run signal: `/history/{id}` can still be `{}` for a moment (the success
/// message is sent before the history write), so retry briefly. `None` when it never appears.
async fn fetch_final(
    server: &Server,
    prompt_id: &str,
) -> Result<Option<HistoryEntry>, ClientError> {
    let mut delay = Duration::from_millis(50);
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(entry) = history_entry(server, prompt_id).await? {
            return Ok(Some(entry));
        }
        if Instant::now() >= until {
            return Ok(None);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// Stops our job only: interrupt it if it is the running one, delete it if pending. Returns
/// what was done, for the user.
pub async fn cancel_on_server(server: &Server, prompt_id: &str) -> String {
    use super::queue::Cancelled;
    match tokio::time::timeout(
        Duration::from_secs(10),
        super::queue::cancel(server, prompt_id),
    )
    .await
    {
        Ok(Ok(Cancelled::Interrupted)) => format!("interrupted prompt {prompt_id} on the server"),
        Ok(Ok(Cancelled::Deleted)) => format!("removed prompt {prompt_id} from the server's queue"),
        Ok(Ok(Cancelled::LeftRunning(why))) => format!("left prompt {prompt_id} running: {why}"),
        Ok(Ok(_)) => format!("prompt {prompt_id} was no longer queued or running"),
        Ok(Err(e)) => format!("could not stop prompt {prompt_id} on the server: {e}"),
        Err(_) => format!("could not stop prompt {prompt_id} on the server: no answer within 10s"),
    }
}

/// A submission that nobody follows (`run --detach`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detached {
    /// Prompt id.
    pub prompt_id: String,
    /// The client id it was submitted under: local servers send live progress only to it.
    pub client_id: String,
    /// Queue number.
    pub number: Option<f64>,
    /// Outputs the server dropped at validation.
    pub dropped: Vec<NodeErrorReport>,
}

/// Submits without following (same retry and dedup rules as [`run_job`]).
pub async fn submit_detached(server: &Server, wf: &Workflow) -> Result<Detached, ClientError> {
    let client_id = uuid::Uuid::new_v4().to_string();
    let our_id = uuid::Uuid::new_v4().to_string();
    let (prompt_id, number, dropped) = submit(server, wf, &our_id, &client_id).await?;
    Ok(Detached {
        prompt_id,
        client_id,
        number,
        dropped,
    })
}

/// POST /prompt. Retries transient failures only after checking that the first attempt did not
/// land (the client prompt id makes that check possible).
async fn submit(
    server: &Server,
    wf: &Workflow,
    our_id: &str,
    client_id: &str,
) -> Result<(String, Option<f64>, Vec<NodeErrorReport>), ClientError> {
    // Comfy Cloud's PromptRequest has neither client_id nor prompt_id (protocol §5.2).
    let mut body = if server.is_cloud() {
        json!({ "prompt": wf.nodes })
    } else {
        json!({ "prompt": wf.nodes, "client_id": client_id, "prompt_id": our_id })
    };
    let mut extra = serde_json::Map::new();
    if let Some(editor) = &wf.editor {
        // Like the editor: saved images then carry the workflow they came from.
        extra.insert("extra_pnginfo".into(), json!({"workflow": editor}));
    }
    if let Some(k) = &server.partner_key {
        // Partner (API) nodes bill this key; it is not the cloud login key.
        extra.insert("api_key_comfy_org".into(), json!(k.expose()));
    }
    if !extra.is_empty() {
        body["extra_data"] = Value::Object(extra);
    }
    let url = server.endpoint("/prompt");
    let mut attempt = 0;
    loop {
        let transient = match server.send(Method::POST, url.clone(), Some(&body)).await {
            Ok(resp) if resp.status().is_success() => {
                match super::http::read_json(resp, "POST", "/prompt").await {
                    Ok(v) => {
                        let pid = v
                            .get("prompt_id")
                            .and_then(Value::as_str)
                            .unwrap_or(our_id)
                            .to_string();
                        let number = v.get("number").and_then(Value::as_f64);
                        let dropped = parse_node_errors(v.get("node_errors"), wf);
                        return Ok((pid, number, dropped));
                    }
                    // An answer that stalls or breaks may come after the job was queued:
                    // transient, like a 5xx (the server is asked before anything is resent).
                    Err(e @ ClientError::Incomplete { .. }) if !server.is_cloud() => e,
                    Err(e) => return Err(e),
                }
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::BAD_REQUEST => {
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                return Err(match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => ClientError::Rejected(Box::new(parse_rejection(&v, wf))),
                    Err(_) => super::http::http_error("POST", "/prompt", status, &bytes),
                });
            }
            // Without a client prompt id (Cloud) a retry could queue the job twice; only
            // gateway errors, which never reached the queue, are retried there.
            Ok(resp)
                if resp.status().is_server_error()
                    && (!server.is_cloud() || matches!(resp.status().as_u16(), 502..=504)) =>
            {
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                super::http::http_error("POST", "/prompt", status, &bytes)
            }
            Ok(resp) => {
                let status = resp.status();
                let bytes = resp.bytes().await.unwrap_or_default();
                return Err(super::http::http_error("POST", "/prompt", status, &bytes));
            }
            Err(e @ ClientError::Connect { .. }) if !server.is_cloud() => e,
            Err(e) => return Err(e),
        };
        if attempt + 1 >= server.retry.attempts {
            return Err(transient);
        }
        server.log(|| format!("{transient}; retrying POST /prompt"));
        tokio::time::sleep(server.retry.delay(attempt)).await;
        attempt += 1;
        // Did the failed attempt reach the queue after all? Then never submit twice.
        if !server.is_cloud()
            && let Ok(view) = check_server(server, our_id).await
            && !matches!(view, ServerView::Unknown)
        {
            return Ok((our_id.to_string(), None, Vec::new()));
        }
    }
}

fn parse_node_errors(v: Option<&Value>, wf: &Workflow) -> Vec<NodeErrorReport> {
    let Some(map) = v.and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut ids: Vec<&String> = map.keys().collect();
    ids.sort_by(|a, b| node_id_order(a, b));
    ids.into_iter()
        .map(|id| {
            let ne = &map[id];
            NodeErrorReport {
                node_id: id.clone(),
                class_type: ne
                    .get("class_type")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| wf.class_type(id).map(str::to_string)),
                title: wf.title(id).map(str::to_string),
                dependent_outputs: ne
                    .get("dependent_outputs")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                errors: ne
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(parse_input_error).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn parse_input_error(e: &Value) -> InputError {
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    InputError {
        kind: s("type"),
        message: s("message"),
        details: s("details"),
        input_name: e
            .pointer("/extra_info/input_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        received_value: e.pointer("/extra_info/received_value").cloned(),
        origin: None,
        suggestion: None,
    }
}

/// Reads a 400 body from `/prompt` (local shape; a free-form body still yields a message).
pub fn parse_rejection(v: &Value, wf: &Workflow) -> Rejection {
    let err = v.get("error");
    let s = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let message = match err {
        Some(Value::String(m)) => m.clone(),
        _ => {
            let m = s("message");
            if m.is_empty() {
                v.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("validation failed")
                    .to_string()
            } else {
                m
            }
        }
    };
    Rejection {
        kind: s("type"),
        message,
        details: s("details"),
        extra_info: err
            .and_then(|e| e.get("extra_info"))
            .cloned()
            .unwrap_or(Value::Null),
        node_errors: parse_node_errors(v.get("node_errors"), wf),
    }
}
