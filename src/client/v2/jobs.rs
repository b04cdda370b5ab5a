//! A v2 server's jobs as `queue`, `cancel`, `logs` and `watch` see them: the queue from
//! `GET /jobs?status=queued,running`, one job found whatever its state, a cancel that reports
//! only what the server said (and saw a moment later), and the transitions the live view
//! prints. On comfy-api-proxy every list holds only the jobs submitted through that proxy,
//! never other clients of the ComfyUI behind it (docs/v2.md).

use super::{Job, JobError, JobStatus, JobWorkflow, V2Client, V2Error};
use crate::client::queue::{Cancelled, Queue, QueuedJob};
use crate::client::{ClientError, Server};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The most jobs one `GET /jobs` returns (the API refuses more).
pub const LIST_LIMIT: u32 = 100;
/// How long `cancel` watches a job the server said it is cancelling, for it to stop.
const CONFIRM_FOR: Duration = Duration::from_secs(2);
const CONFIRM_EVERY: Duration = Duration::from_millis(200);
/// An `expired` for a job that was just queued or running is asked again this often, this far
/// apart: the proxy says `expired` for a job between ComfyUI's history and queue (docs/v2.md,
/// "The races").
const EXPIRED_RECHECKS: u32 = 3;
const EXPIRED_PAUSE: Duration = Duration::from_millis(250);

/// True for a 404 `not_found` (also what the proxy answers for an id that is not a UUID).
pub fn is_not_found(e: &V2Error) -> bool {
    matches!(e, V2Error::Api(a) if a.code == super::ErrorCode::NotFound)
}

/// comfyctl's word for a v2 state, the one `logs` and `watch` print for every API:
/// `pending`, `running`, `success`, `error`, `interrupted` or `lost` (an `expired` job: removed
/// from the queue, lost to a restart, or past retention).
pub fn status_word(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Queued => "pending",
        JobStatus::Running | JobStatus::Canceling | JobStatus::Unknown => "running",
        JobStatus::Succeeded => "success",
        JobStatus::Failed => "error",
        JobStatus::Canceled => "interrupted",
        JobStatus::Expired => "lost",
    }
}

/// The queued and running jobs (at most [`LIST_LIMIT`]; `truncated` says the server had more),
/// queued ones in the order they will run. Node counts come from each job's workflow, asked
/// for a few at a time; a job whose workflow cannot be had shows 0 nodes.
pub async fn queue(server: &Server) -> Result<(Queue, bool), ClientError> {
    let client = V2Client::new(server.clone());
    let list = client
        .list_jobs(Some(LIST_LIMIT), &[JobStatus::Queued, JobStatus::Running])
        .await?;
    // Owned ids: a closure over `&Job` would make the future unusable from a `Send` task
    // (the MCP server's).
    let ids: Vec<String> = list.jobs.iter().map(|j| j.id.clone()).collect();
    let nodes: Vec<usize> = futures_util::stream::iter(ids)
        .map(|id| {
            let client = &client;
            async move {
                client
                    .workflow(&id)
                    .await
                    .map(|w| w.workflow.len())
                    .unwrap_or(0)
            }
        })
        .buffered(8)
        .collect()
        .await;
    let mut q = Queue {
        running: Vec::new(),
        pending: Vec::new(),
    };
    for (j, nodes) in list.jobs.into_iter().zip(nodes) {
        let item = QueuedJob {
            number: j.queue_position.unwrap_or(0) as f64,
            prompt_id: j.id,
            client_id: None,
            nodes,
            outputs: Vec::new(),
            queue_position: j.queue_position,
            created_at: j.created_at,
        };
        match j.status {
            JobStatus::Queued => q.pending.push(item),
            _ => q.running.push(item),
        }
    }
    // Newest first on the wire; by position (then age) is the order they will run in.
    q.pending.sort_by(|a, b| {
        (a.queue_position.unwrap_or(u64::MAX), &a.created_at)
            .cmp(&(b.queue_position.unwrap_or(u64::MAX), &b.created_at))
    });
    q.running.reverse();
    Ok((q, list.truncated))
}

/// The newest `limit` jobs (at most [`LIST_LIMIT`]), whatever their state, newest first.
pub async fn recent(server: &Server, limit: usize) -> Result<Vec<Job>, ClientError> {
    let client = V2Client::new(server.clone());
    let limit = u32::try_from(limit).unwrap_or(LIST_LIMIT).min(LIST_LIMIT);
    Ok(client.list_jobs(Some(limit), &[]).await?.jobs)
}

/// One job and, when the server has it, its workflow (to name the nodes); `None` for an id
/// the server does not know. An `expired` is asked again before it is believed.
pub async fn find(
    server: &Server,
    id: &str,
) -> Result<Option<(Job, Option<JobWorkflow>)>, ClientError> {
    let client = V2Client::new(server.clone());
    let job = match client
        .confirm_end(id, EXPIRED_RECHECKS, EXPIRED_PAUSE)
        .await
    {
        Ok(j) => j,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let workflow = client.workflow(id).await.ok();
    Ok(Some((job, workflow)))
}

/// Cancels one job, saying no more than the server did: a queued job answered `expired` was
/// removed from the queue; a running one is watched for [`CONFIRM_FOR`] and reported
/// `Interrupted` only once the server says `canceled` — else `Canceling` (behind ComfyUI
/// 0.3.64 the proxy answers `canceling` and nothing stops). With `only_queued` (`queue
/// clear`), a job that is no longer queued is left alone.
pub async fn cancel(
    server: &Server,
    id: &str,
    only_queued: bool,
) -> Result<Cancelled, ClientError> {
    let client = V2Client::new(server.clone());
    let before = match client.job(id).await {
        Ok(j) => j,
        Err(e) if is_not_found(&e) => return Ok(Cancelled::Unknown),
        Err(e) => return Err(e.into()),
    };
    if before.status.is_terminal() {
        return Ok(Cancelled::AlreadyFinished(before.status.to_string()));
    }
    if only_queued && before.status != JobStatus::Queued {
        return Ok(Cancelled::LeftRunning(format!(
            "it is {} now, and clearing the queue leaves running jobs alone",
            before.status
        )));
    }
    let answer = match client.cancel(id).await {
        Ok(j) => j,
        Err(e) if is_not_found(&e) => return Ok(Cancelled::Unknown),
        Err(e) => return Err(e.into()),
    };
    Ok(match (before.status, answer.status) {
        (_, JobStatus::Canceled) => Cancelled::Interrupted,
        // ComfyUI dequeues it and keeps no history: the proxy has nothing else to say.
        (JobStatus::Queued, JobStatus::Expired) => Cancelled::Deleted,
        (_, s @ (JobStatus::Succeeded | JobStatus::Failed)) => {
            Cancelled::AlreadyFinished(s.to_string())
        }
        (_, said) => confirm(&client, id, said).await?,
    })
}

/// Watches a job the server said it is cancelling, until it says how it ended or
/// [`CONFIRM_FOR`] is over.
async fn confirm(client: &V2Client, id: &str, said: JobStatus) -> Result<Cancelled, ClientError> {
    let until = Instant::now() + CONFIRM_FOR;
    let mut now = said;
    while Instant::now() < until {
        tokio::time::sleep(CONFIRM_EVERY).await;
        now = match client.job(id).await {
            Ok(j) => j.status,
            Err(e) if is_not_found(&e) => JobStatus::Expired,
            Err(e) => return Err(e.into()),
        };
        match now {
            JobStatus::Canceled => return Ok(Cancelled::Interrupted),
            JobStatus::Succeeded | JobStatus::Failed => {
                return Ok(Cancelled::AlreadyFinished(now.to_string()));
            }
            _ => {}
        }
    }
    let secs = CONFIRM_FOR.as_secs();
    Ok(Cancelled::Canceling(match now {
        JobStatus::Expired => format!(
            "the server answered {said}, then expired: it no longer knows how the job ended"
        ),
        _ => format!(
            "the server answered {said}, and the job was still {now} {secs} s later: it stops when ComfyUI next checks (comfy-api-proxy in front of ComfyUI 0.3.64 accepts a cancel and stops nothing); `comfyctl logs {id}` tells how it ended"
        ),
    }))
}

/// A change in a job's state that the live view reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// Seen waiting in the queue (1-based place in the whole server queue).
    Queued {
        /// Job id.
        id: String,
        /// Its place.
        position: Option<u64>,
    },
    /// Seen running.
    Running {
        /// Job id.
        id: String,
    },
    /// Seen ended (`expired`: removed from the queue, lost, or gone from the server).
    Ended {
        /// Job id.
        id: String,
        /// How.
        status: JobStatus,
        /// Why, when it failed.
        error: Option<JobError>,
    },
}

fn active(s: JobStatus) -> bool {
    !s.is_terminal()
}

/// The live view's memory: each job's last state, so each poll yields only what changed.
#[derive(Debug, Default)]
pub struct JobWatch {
    seen: HashMap<String, JobStatus>,
    polled: bool,
}

impl JobWatch {
    /// A watch that has seen nothing yet: its first poll reports the queued and running jobs
    /// and takes the ended ones as old news.
    pub fn new() -> Self {
        JobWatch::default()
    }

    /// Lists the jobs and says what changed since the last poll, oldest change first. A job
    /// being followed that fell off the list is asked for by id; an `expired` for a job that
    /// was queued or running is asked again before it is believed.
    pub async fn poll(&mut self, client: &V2Client) -> Result<Vec<Transition>, V2Error> {
        let mut jobs = client.list_jobs(Some(LIST_LIMIT), &[]).await?.jobs;
        let missing: Vec<String> = self
            .seen
            .iter()
            .filter(|(id, s)| active(**s) && !jobs.iter().any(|j| &j.id == *id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in missing {
            match client.job(&id).await {
                Ok(j) => jobs.push(j),
                Err(e) if is_not_found(&e) => jobs.push(gone(&id)),
                Err(e) => return Err(e),
            }
        }
        for j in jobs.iter_mut() {
            let was_active = self.seen.get(&j.id).is_some_and(|s| active(*s));
            if j.status == JobStatus::Expired && was_active {
                match client
                    .confirm_end(&j.id, EXPIRED_RECHECKS, EXPIRED_PAUSE)
                    .await
                {
                    Ok(again) => *j = again,
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.diff(jobs))
    }

    /// What changed, given the jobs as listed now (newest first, as the server lists them).
    pub fn diff(&mut self, jobs: Vec<Job>) -> Vec<Transition> {
        let first = !self.polled;
        self.polled = true;
        let mut out = Vec::new();
        for j in jobs.into_iter().rev() {
            let before = self.seen.insert(j.id.clone(), j.status);
            let now = j.status;
            let changed = match before {
                None => !(first && now.is_terminal()),
                Some(b) => active(b) && (now.is_terminal() || (b == JobStatus::Queued && now != b)),
            };
            if !changed {
                continue;
            }
            out.push(match now {
                JobStatus::Queued => Transition::Queued {
                    id: j.id,
                    position: j.queue_position,
                },
                s if s.is_terminal() => Transition::Ended {
                    id: j.id,
                    status: s,
                    error: j.error,
                },
                _ => Transition::Running { id: j.id },
            });
        }
        out
    }
}

/// A job the server no longer knows, as the live view reports it.
fn gone(id: &str) -> Job {
    Job {
        id: id.to_string(),
        status: JobStatus::Expired,
        created_at: None,
        started_at: None,
        completed_at: None,
        expires_at: None,
        queue_position: None,
        progress: None,
        outputs: Vec::new(),
        error: None,
        outputs_reused: false,
        urls: None,
        metadata: None,
        priority: None,
        metrics: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, status: JobStatus) -> Job {
        Job {
            status,
            queue_position: (status == JobStatus::Queued).then_some(2),
            ..gone(id)
        }
    }

    #[test]
    fn the_first_poll_shows_what_is_active_and_later_ones_what_changed() {
        let mut w = JobWatch::new();
        let t = w.diff(vec![
            job("c", JobStatus::Queued),
            job("b", JobStatus::Running),
            job("a", JobStatus::Succeeded),
        ]);
        assert_eq!(
            t,
            vec![
                Transition::Running { id: "b".into() },
                Transition::Queued {
                    id: "c".into(),
                    position: Some(2)
                },
            ]
        );
        // Nothing changed: nothing to say.
        assert!(
            w.diff(vec![
                job("c", JobStatus::Queued),
                job("b", JobStatus::Running)
            ])
            .is_empty()
        );
        let t = w.diff(vec![
            job("d", JobStatus::Failed),
            job("c", JobStatus::Running),
            job("b", JobStatus::Succeeded),
            job("a", JobStatus::Succeeded),
        ]);
        assert_eq!(
            t,
            vec![
                Transition::Ended {
                    id: "b".into(),
                    status: JobStatus::Succeeded,
                    error: None
                },
                Transition::Running { id: "c".into() },
                // Started and ended between two polls: only its end was seen.
                Transition::Ended {
                    id: "d".into(),
                    status: JobStatus::Failed,
                    error: None
                },
            ]
        );
        // A running job's `canceling` is still running; an ended job stays ended.
        assert!(
            w.diff(vec![
                job("c", JobStatus::Canceling),
                job("b", JobStatus::Expired)
            ])
            .is_empty()
        );
    }

    #[test]
    fn words_for_every_state() {
        assert_eq!(status_word(JobStatus::Queued), "pending");
        assert_eq!(status_word(JobStatus::Canceling), "running");
        assert_eq!(status_word(JobStatus::Canceled), "interrupted");
        assert_eq!(status_word(JobStatus::Expired), "lost");
    }
}
