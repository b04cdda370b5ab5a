//! Following a submitted job to its end: the server's messages (own socket, a batch's shared
//! one, or none), reconnects, polling, timeouts and Ctrl-C — and never an ending without asking
//! the server (history is the truth; the socket only says what happened while it was open).

use super::secs as fmt_secs;
use super::view::{ServerView, check_server, confirm_unknown, fetch_final};
use super::{JobOptions, JobResult, JobStatus, Timings, secs};
use crate::client::events::{ExecError, ServerMessage};
use crate::client::history::{HistoryEntry, Outcome};
use crate::client::report::{JobEvent, Reporter};
use crate::client::router::{Routed, Subscription};
use crate::client::{ClientError, NodeErrorReport, Server, ws};
use crate::workflow::Workflow;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a silent socket is trusted before the server is asked about the job.
const QUIET_CHECK: Duration = Duration::from_secs(10);
/// How often a job is polled when no socket carries its messages.
const POLL_EVERY: Duration = Duration::from_millis(1000);

/// Where a followed job's messages come from.
pub enum Feed {
    /// A socket of its own (`run`, `watch`); `None` polls. Reconnected here when it drops.
    Own(Option<Box<ws::WsConn>>),
    /// A batch's shared socket, routed by prompt id; the router reconnects it.
    Routed {
        /// The subscription.
        sub: Subscription,
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

    async fn next(&mut self) -> Incoming {
        match self {
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

    fn set_down(&mut self, value: bool) {
        if let Feed::Routed { down, .. } = self {
            *down = value;
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

/// A job to follow: what a submission gives, or what `watch` builds to attach to a job
/// submitted earlier.
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
    /// Submitted by this invocation: Ctrl-C stops it on the server. A job `watch` attached to
    /// is someone else's and goes on.
    pub owned: bool,
}

/// What the messages said so far about one job.
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
                    // ExecutionBlocked does not end the run (docs/protocol.md, "Execution").
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
                        crate::client::events::ImageFormat::Jpeg => "jpeg",
                        crate::client::events::ImageFormat::Png => "png",
                        crate::client::events::ImageFormat::Unknown => "unknown",
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

/// What woke the follower up.
enum Step {
    Msg(Incoming),
    Cancel,
    Timeout,
    Idle,
    Poll,
    Quiet,
}

/// The follower: the tracker plus the feed and the clocks.
struct Follower<'a> {
    server: &'a Server,
    opts: &'a JobOptions,
    f: Follow<'a>,
    feed: Feed,
    client_id: String,
    owned: bool,
    begin: Instant,
    submitted_at: Instant,
    dropped: Vec<NodeErrorReport>,
    deadline: Option<Instant>,
    unknown_strikes: u32,
    warned_status: Option<String>,
    last_reconnect_try: Instant,
    last_quiet_check: Instant,
    /// Since when the socket has been away (the start of a possible outage).
    gone_since: Option<Instant>,
}

/// What the follower asks the server.
#[derive(Debug, Clone, Copy)]
enum Question {
    /// Where the job is.
    View,
    /// The final history entry, after an end signal.
    Final,
    /// Whether an unknown job is still unknown a moment later.
    StillUnknown,
}

/// The server's answer.
enum Answer {
    View(ServerView),
    Final(Option<HistoryEntry>),
    StillUnknown(bool),
}

/// How asking ended without an answer.
enum NoAnswer {
    /// Ctrl-C or `--timeout` while waiting for the server.
    Ended(Box<JobResult>),
    /// The server did not come back within the window, or answered with a real error.
    Failed(ClientError),
}

impl From<NoAnswer> for Result<Option<JobResult>, ClientError> {
    fn from(n: NoAnswer) -> Self {
        match n {
            NoAnswer::Ended(r) => Ok(Some(*r)),
            NoAnswer::Failed(e) => Err(e),
        }
    }
}

/// The server is not answering (down, restarting, a proxy in front of it failing), as opposed to
/// answering with an error. An answer that stalls after its headers is a hung server, not a gone
/// one: that is reported, not waited on.
fn unreachable(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Connect { .. }
            | ClientError::Http {
                status: 502..=504,
                ..
            }
    )
}

async fn ask_once(server: &Server, pid: &str, q: Question) -> Result<Answer, ClientError> {
    Ok(match q {
        Question::View => Answer::View(check_server(server, pid).await?),
        Question::Final => Answer::Final(fetch_final(server, pid).await?),
        Question::StillUnknown => Answer::StillUnknown(confirm_unknown(server, pid).await?),
    })
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
    let mut me = Follower {
        server,
        opts,
        f: Follow {
            wf,
            prompt_id: attach.prompt_id,
            started: attach.running.then(Instant::now),
            finished: BTreeSet::new(),
            cached: Vec::new(),
            current: None,
            step: None,
            last_activity: Instant::now(),
            ws_error: None,
        },
        feed: attach.feed,
        client_id: attach.client_id,
        owned: attach.owned,
        begin: attach.begin,
        submitted_at: attach.submitted_at,
        dropped: attach.dropped,
        deadline: opts.timeout.map(|t| attach.begin + t),
        unknown_strikes: 0,
        warned_status: None,
        last_reconnect_try: Instant::now(),
        last_quiet_check: Instant::now(),
        gone_since: None,
    };
    // Without messages, ask at once (an attached job may have finished already).
    let mut first = me.feed.polling().then_some(Step::Poll);
    let result = loop {
        let step = match first.take() {
            Some(s) => s,
            None => me.wait(cancel).await,
        };
        if let Some(r) = me.on_step(step, reporter, cancel).await? {
            break r;
        }
    };
    if let Feed::Own(Some(c)) = me.feed {
        c.close().await;
    }
    if matches!(
        result.status,
        JobStatus::Success | JobStatus::Error | JobStatus::Interrupted
    ) {
        reporter.report(JobEvent::Finished {
            status: result.status.as_str().into(),
            elapsed: me.begin.elapsed().as_secs_f64(),
        });
    }
    Ok(result)
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

impl Follower<'_> {
    /// Waits for the next thing that needs attention.
    async fn wait(&mut self, cancel: &CancellationToken) -> Step {
        let idle_at = self.opts.idle_timeout.map(|d| self.f.last_activity + d);
        // A socket that says nothing for a while is double-checked against the server: a
        // message lost to a race or a proxy must not leave the run waiting forever.
        let quiet_at = (!self.feed.polling())
            .then(|| self.f.last_activity.max(self.last_quiet_check) + QUIET_CHECK);
        let polling = self.feed.polling();
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Step::Cancel,
            _ = sleep_until_opt(self.deadline) => Step::Timeout,
            _ = sleep_until_opt(idle_at) => Step::Idle,
            m = self.feed.next() => Step::Msg(m),
            _ = tokio::time::sleep(POLL_EVERY), if polling => Step::Poll,
            _ = sleep_until_opt(quiet_at) => Step::Quiet,
        }
    }

    /// Acts on one step; `Some` when the job has ended.
    async fn on_step(
        &mut self,
        step: Step,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<Option<JobResult>, ClientError> {
        let pid = self.f.prompt_id.clone();
        match step {
            Step::Cancel => {
                let what = if self.owned {
                    super::view::cancel_on_server(self.server, &pid).await
                } else {
                    format!(
                        "stopped watching; prompt {pid} goes on (comfyctl cancel {pid} stops it)"
                    )
                };
                Ok(Some(self.make(JobStatus::Cancelled, None, Some(what))))
            }
            Step::Timeout => Ok(Some(self.timed_out("timed out after", self.opts.timeout))),
            Step::Idle => {
                // Never give up without asking the server: the socket may just be quiet.
                if let Ok(ServerView::Finished(entry)) = check_server(self.server, &pid).await {
                    return Ok(Some(self.finish(entry)));
                }
                let idle = self.opts.idle_timeout;
                Ok(Some(self.timed_out("no word from the server for", idle)))
            }
            Step::Msg(Incoming::Msg(m)) => {
                self.feed.set_down(false);
                self.gone_since = None;
                if !self.f.handle(m, reporter) {
                    return Ok(None);
                }
                let entry = match self.ask(Question::Final, reporter, cancel).await {
                    Ok(Answer::Final(e)) => e,
                    Ok(_) => unreachable!("asked for the final entry"),
                    Err(n) => return n.into(),
                };
                if let Some(entry) = entry {
                    return Ok(Some(self.finish(entry)));
                }
                // The end signal was not backed by history: if the job is gone, it is lost.
                match self.ask(Question::View, reporter, cancel).await {
                    Ok(Answer::View(ServerView::Unknown)) => Ok(Some(self.lost())),
                    Ok(_) => Ok(None),
                    Err(n) => n.into(),
                }
            }
            Step::Msg(Incoming::Down) => {
                if let Feed::Routed { down: false, .. } = &self.feed {
                    self.feed.set_down(true);
                    self.gone_since.get_or_insert_with(Instant::now);
                    reporter.report(JobEvent::Disconnected {
                        reason: "WebSocket closed".into(),
                    });
                }
                Ok(None)
            }
            Step::Msg(Incoming::Gap) => {
                self.feed.set_down(false);
                reporter.report(JobEvent::Reconnected { attempts: 1 });
                self.reconcile(reporter, cancel).await
            }
            Step::Msg(Incoming::Closed) => {
                reporter.report(JobEvent::Disconnected {
                    reason: "WebSocket closed".into(),
                });
                self.gone_since.get_or_insert_with(Instant::now);
                self.feed = Feed::Own(None);
                let again = ws::retry_connect(
                    &self.server.retry,
                    self.server.retry.attempts,
                    true,
                    cancel,
                    self.deadline,
                    || ws::connect(self.server, &self.client_id),
                )
                .await;
                match again {
                    Ok((c, attempts)) => {
                        self.feed = Feed::Own(Some(Box::new(c)));
                        reporter.report(JobEvent::Reconnected { attempts });
                    }
                    Err(_) if cancel.is_cancelled() => return Ok(None),
                    Err(_) => reporter.report(JobEvent::Warning {
                        message: "WebSocket stays down; following the job by polling".into(),
                    }),
                }
                self.last_reconnect_try = Instant::now();
                // Messages sent while we were away are gone for good: ask the server.
                self.reconcile(reporter, cancel).await
            }
            Step::Quiet => {
                self.last_quiet_check = Instant::now();
                self.reconcile(reporter, cancel).await
            }
            Step::Poll => self.poll(reporter, cancel).await,
        }
    }

    /// Asks the server; while it does not answer (a restart takes a real ComfyUI 15–60 s, a
    /// blip a moment), waits for it — saying so — until the reconnect window ends (then a
    /// connection error), `--timeout`, or Ctrl-C.
    async fn ask(
        &mut self,
        q: Question,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<Answer, NoAnswer> {
        let pid = self.f.prompt_id.clone();
        // While waiting, one try per probe: the client's own retries would only slow noticing
        // that the server is back.
        let mut quick = self.server.clone();
        quick.retry.attempts = 1;
        let window = self.opts.reconnect_timeout;
        let mut away: Option<Instant> = None;
        let mut tries = 0u32;
        loop {
            let server = if away.is_some() { &quick } else { self.server };
            let err = match ask_once(server, &pid, q).await {
                Ok(a) => {
                    if let Some(since) = away {
                        reporter.report(JobEvent::ServerBack {
                            after_s: since.elapsed().as_secs_f64(),
                        });
                        self.f.last_activity = Instant::now();
                    }
                    return Ok(a);
                }
                Err(e) if unreachable(&e) => e,
                Err(e) => return Err(NoAnswer::Failed(e)),
            };
            let since = *away.get_or_insert_with(|| {
                reporter.report(JobEvent::ServerDown {
                    reason: err.to_string(),
                    window_s: window.as_secs_f64(),
                });
                self.gone_since.unwrap_or_else(Instant::now)
            });
            if since.elapsed() >= window {
                return Err(NoAnswer::Failed(ClientError::Connect {
                    url: self.server.display_url(),
                    reason: format!(
                        "no answer for {} (the --reconnect-timeout window); prompt {pid} was last seen: {}",
                        fmt_secs(since.elapsed()),
                        self.f.last_seen()
                    ),
                }));
            }
            let pause =
                (self.server.retry.base * 2u32.pow(tries.min(3))).min(Duration::from_secs(1));
            tries += 1;
            tokio::select! {
                _ = cancel.cancelled() => {
                    let msg = format!(
                        "interrupted while the server was away; prompt {pid} could not be stopped and may run when it is back (comfyctl cancel {pid})"
                    );
                    return Err(NoAnswer::Ended(Box::new(self.make(JobStatus::Cancelled, None, Some(msg)))));
                }
                _ = sleep_until_opt(self.deadline) => {
                    return Err(NoAnswer::Ended(Box::new(self.timed_out("timed out after", self.opts.timeout))));
                }
                _ = tokio::time::sleep(pause) => {}
            }
            reporter.report(JobEvent::ServerWaiting {
                waited_s: since.elapsed().as_secs_f64(),
                window_s: window.as_secs_f64(),
            });
        }
    }

    /// After a gap in the messages: finished → the end; unknown (twice) → lost; else go on.
    async fn reconcile(
        &mut self,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<Option<JobResult>, ClientError> {
        let view = match self.ask(Question::View, reporter, cancel).await {
            Ok(Answer::View(v)) => v,
            Ok(_) => unreachable!("asked for a view"),
            Err(n) => return n.into(),
        };
        let r = match view {
            ServerView::Finished(entry) => Some(self.finish(entry)),
            ServerView::Unknown => match self.ask(Question::StillUnknown, reporter, cancel).await {
                Ok(Answer::StillUnknown(true)) => Some(self.lost()),
                Ok(_) => None,
                Err(n) => return n.into(),
            },
            _ => None,
        };
        self.f.last_activity = Instant::now();
        Ok(r)
    }

    /// One poll while no socket carries the job's messages.
    async fn poll(
        &mut self,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<Option<JobResult>, ClientError> {
        let view = match self.ask(Question::View, reporter, cancel).await {
            Ok(Answer::View(v)) => v,
            Ok(_) => unreachable!("asked for a view"),
            Err(n) => return n.into(),
        };
        match view {
            ServerView::Finished(entry) => return Ok(Some(self.finish(entry))),
            ServerView::Unknown => {
                self.unknown_strikes += 1;
                if self.unknown_strikes >= 2 {
                    return Ok(Some(self.lost()));
                }
            }
            ServerView::Running => {
                self.unknown_strikes = 0;
                self.f.started.get_or_insert_with(Instant::now);
                self.f.last_activity = Instant::now();
            }
            ServerView::Pending => {
                self.unknown_strikes = 0;
                self.f.last_activity = Instant::now();
            }
            ServerView::Unrecognized(word) => {
                self.unknown_strikes = 0;
                if self.warned_status.as_deref() != Some(word.as_str()) {
                    reporter.report(JobEvent::Warning {
                        message: format!(
                            "the server reports status '{word}', which comfyctl does not know; still following (a --timeout bounds the wait)"
                        ),
                    });
                    self.warned_status = Some(word);
                }
            }
        }
        // Without a client id a socket would not carry this job's messages (watch of another
        // client's job on a local server), so keep polling; with one, try the socket again.
        if matches!(self.feed, Feed::Own(None))
            && !self.client_id.is_empty()
            && self.last_reconnect_try.elapsed() > Duration::from_secs(5)
        {
            self.last_reconnect_try = Instant::now();
            if let Ok(c) = ws::connect(self.server, &self.client_id).await {
                self.feed = Feed::Own(Some(Box::new(c)));
                reporter.report(JobEvent::Reconnected { attempts: 1 });
            }
        }
        Ok(None)
    }

    fn make(
        &self,
        status: JobStatus,
        entry: Option<HistoryEntry>,
        message: Option<String>,
    ) -> JobResult {
        let error = match entry.as_ref().map(HistoryEntry::outcome) {
            Some(Outcome::Error(e)) => Some(e),
            _ => None,
        };
        JobResult {
            prompt_id: self.f.prompt_id.clone(),
            client_id: self.client_id.clone(),
            status,
            error,
            dropped: self.dropped.clone(),
            cached_nodes: self.f.cached.clone(),
            last_seen: self.f.last_seen(),
            message,
            timings: Timings {
                queued_ms: self
                    .f
                    .started
                    .map(|s| s.saturating_duration_since(self.submitted_at).as_millis() as u64),
                execution_ms: entry.as_ref().and_then(HistoryEntry::execution_ms),
                total_ms: self.begin.elapsed().as_millis() as u64,
            },
            entry,
            v2: None,
        }
    }

    /// The job is in history: its outcome there is the truth.
    fn finish(&self, entry: HistoryEntry) -> JobResult {
        let f = &self.f;
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
        let mut r = self.make(status, Some(entry), message);
        if r.error.is_none() && status == JobStatus::Error {
            r.error = f.ws_error.clone();
        }
        r
    }

    /// `--timeout` or `--idle-timeout` ran out, saying what was last seen.
    fn timed_out(&self, what: &str, after: Option<Duration>) -> JobResult {
        let msg = format!(
            "{what} {}; last seen: {}",
            secs(after.unwrap_or_default()),
            self.f.last_seen()
        );
        self.make(JobStatus::Timeout, None, Some(msg))
    }

    fn lost(&self) -> JobResult {
        let msg = format!(
            "the server no longer knows prompt {} (not queued, not in history — restarted or cleared?); last seen: {}",
            self.f.prompt_id,
            self.f.last_seen()
        );
        self.make(JobStatus::Lost, None, Some(msg))
    }
}

#[cfg(test)]
mod tests {
    //! The follower replaying real servers' recordings (tests/fixtures/real-comfyui-*/
    //! transcripts): their WebSocket messages go in through a subscription, and a small HTTP
    //! server answers `/history/{id}` and `/queue` with the recorded bodies.
    use super::*;
    use crate::client::router::Subscription;
    use crate::client::{JobEvent, Reporter};
    use serde_json::json;
    use std::path::Path;

    #[derive(Default)]
    struct Collect(Vec<JobEvent>);
    impl Reporter for Collect {
        fn report(&mut self, e: JobEvent) {
            self.0.push(e);
        }
    }

    struct Recording {
        messages: Vec<ServerMessage>,
        history: serde_json::Map<String, Value>,
    }

    fn recording(version: &str, name: &str) -> Recording {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("real-comfyui-{version}"));
        let ws = std::fs::read_to_string(dir.join(format!("transcripts/{name}.jsonl"))).unwrap();
        let mut messages = Vec::new();
        for line in ws.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["dir"] != "recv" {
                continue;
            }
            if v["kind"] == "text" {
                if let Some(m) = crate::client::events::parse_text(&v["msg"].to_string()) {
                    messages.push(m);
                }
            } else if let Some(f) = v["file"].as_str() {
                let bytes = std::fs::read(dir.join(f)).unwrap();
                messages.push(crate::client::events::parse_binary(&bytes));
            }
        }
        let http: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("transcripts/{name}.http.json"))).unwrap(),
        )
        .unwrap();
        let mut history = serde_json::Map::new();
        for x in &http {
            if x["method"] == "GET" && x["path"].as_str().unwrap().starts_with("/history/") {
                for (k, v) in x["response_json"].as_object().unwrap() {
                    history.insert(k.clone(), v.clone());
                }
            }
        }
        Recording { messages, history }
    }

    /// Serves the recorded history (only once `ready` is set, like a history written late)
    /// and an empty queue.
    async fn serve(history: serde_json::Map<String, Value>) -> Server {
        use axum::{Router, extract::Path as P, routing::get};
        let h = std::sync::Arc::new(history);
        let app = Router::new()
            .route(
                "/history/{id}",
                get(move |P(id): P<String>| {
                    let h = h.clone();
                    async move {
                        let mut out = serde_json::Map::new();
                        if let Some(e) = h.get(&id) {
                            out.insert(id, e.clone());
                        }
                        axum::Json(Value::Object(out))
                    }
                }),
            )
            .route(
                "/queue",
                get(|| async { axum::Json(json!({"queue_running": [], "queue_pending": []})) }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let flags = crate::settings::FlagSettings {
            url: Some(format!("http://{addr}")),
            ..Default::default()
        };
        let s = crate::settings::resolve(&flags, &Default::default(), None, None).unwrap();
        let mut server = Server::new(&s, None).unwrap();
        server.retry.base = Duration::from_millis(1);
        server
    }

    /// Follows the recording's prompt with its messages `0..cut` delivered, then (when `cut`
    /// is short of the end) `then`: the socket down (polling) or back after a gap.
    async fn follow_recording(
        r: &Recording,
        cut: usize,
        then: fn() -> Routed,
    ) -> (JobResult, Vec<JobEvent>) {
        follow_served(r, cut, then, r.history.clone()).await
    }

    /// [`follow_recording`] with the server answering `served` as its history.
    async fn follow_served(
        r: &Recording,
        cut: usize,
        then: fn() -> Routed,
        served: serde_json::Map<String, Value>,
    ) -> (JobResult, Vec<JobEvent>) {
        let pid = r.history.keys().next().unwrap().clone();
        let wf = Workflow {
            nodes: r.history[&pid]["prompt"][2].as_object().unwrap().clone(),
            source_name: "recording".into(),
            dropped_keys: Vec::new(),
            editor: None,
            model_hints: Vec::new(),
        };
        let server = serve(served).await;
        let (tx, sub): (_, Subscription) = Subscription::fed();
        for m in r.messages.iter().take(cut) {
            tx.send(Routed::Msg(m.clone())).unwrap();
        }
        if cut < r.messages.len() {
            tx.send(then()).unwrap();
        }
        let attach = Attach {
            prompt_id: pid,
            client_id: String::new(),
            feed: Feed::Routed { sub, down: false },
            begin: Instant::now(),
            submitted_at: Instant::now(),
            dropped: Vec::new(),
            running: false,
            owned: true,
        };
        let mut events = Collect::default();
        let opts = JobOptions {
            timeout: Some(Duration::from_secs(20)),
            ..JobOptions::default()
        };
        let r = follow(
            &server,
            &wf,
            attach,
            &opts,
            &mut events,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        drop(tx);
        (r, events.0)
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_recorded_sample_run_ends_in_success_with_its_nodes_steps_and_previews() {
        for version in ["0.26.0", "0.3.64"] {
            let rec = recording(version, "sample");
            let (r, events) = block_on(follow_recording(&rec, usize::MAX, || Routed::Down));
            assert_eq!(r.status, JobStatus::Success, "{version}");
            assert!(r.entry.is_some());
            assert!(r.timings.execution_ms.is_some(), "{version}: from history");
            let steps = events
                .iter()
                .filter(|e| matches!(e, JobEvent::Progress { .. }))
                .count();
            assert_eq!(steps, 4, "{version}: the sampler's four steps");
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e, JobEvent::Preview { node: Some(n), .. } if n == "3")),
                "{version}: previews attributed to the sampler"
            );
            assert!(matches!(
                events.last(),
                Some(JobEvent::Finished { status, .. }) if status == "success"
            ));
        }
    }

    #[test]
    fn a_recorded_failure_names_the_node_and_the_exception() {
        for version in ["0.26.0", "0.3.64"] {
            let rec = recording(version, "exec_error");
            let (r, _) = block_on(follow_recording(&rec, usize::MAX, || Routed::Down));
            assert_eq!(r.status, JobStatus::Error, "{version}");
            let e = r.error.expect("the execution error");
            assert_eq!(e.node_id.as_deref(), Some("2"), "{version}");
            assert_eq!(e.node_type.as_deref(), Some("ImageScaleBy"));
            assert!(
                !e.traceback.is_empty(),
                "{version}: the traceback from history"
            );
            let msg = r.message.unwrap();
            assert!(msg.contains("node 2 (ImageScaleBy) failed"), "{msg}");
        }
    }

    #[test]
    fn the_socket_dropping_at_any_message_still_ends_right() {
        for (name, want) in [
            ("sample", JobStatus::Success),
            ("exec_error", JobStatus::Error),
            ("invert", JobStatus::Success),
        ] {
            let rec = recording("0.26.0", name);
            // Messages lost while the socket was away: the server is asked at once.
            for cut in 0..rec.messages.len() {
                let (r, _) = block_on(follow_recording(&rec, cut, || Routed::Gap));
                assert_eq!(r.status, want, "{name} cut after {cut} messages");
            }
            // The socket stays down: the job is polled to its end.
            let (r, _) = block_on(follow_recording(&rec, rec.messages.len() / 2, || {
                Routed::Down
            }));
            assert_eq!(r.status, want, "{name} polled after a drop");
        }
    }

    #[test]
    fn a_job_the_server_forgot_is_lost_not_waited_on() {
        // The server restarted after the first messages: no history, nothing queued.
        let rec = recording("0.26.0", "sample");
        let pid = rec.history.keys().next().unwrap().clone();
        let (r, _) = block_on(follow_served(
            &rec,
            5,
            || Routed::Down,
            serde_json::Map::new(),
        ));
        assert_eq!(r.status, JobStatus::Lost);
        assert!(r.message.unwrap().contains(&pid));
        assert!(r.last_seen.contains("running") || r.last_seen.contains("started"));
    }
}
