//! Asking the server where a job is. The WebSocket only says what happened while it was
//! connected; history and the queue say what is true now, so every ending is checked here.

use crate::client::history::HistoryEntry;
use crate::client::{ClientError, Server};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Where the server says a prompt is.
#[derive(Debug)]
pub enum ServerView {
    /// Finished: the entry holds its outcome and outputs.
    Finished(HistoryEntry),
    /// Running now.
    Running,
    /// Waiting in the queue.
    Pending,
    /// Neither queued, running nor in history: lost (restart, cleared) or never submitted.
    Unknown,
    /// A status word no table knows (Comfy Cloud): warned about, followed like a running job
    /// until a timeout.
    Unrecognized(String),
}

/// The final entry if the job has one: `/history/{id}` locally, `/api/jobs/{id}` on Comfy
/// Cloud (which has no `GET /history`). `Ok(None)` while running or when unknown.
pub async fn history_entry(
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
    use crate::client::status::{JobState, normalize};
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

/// Where the job is now: history first (`{}` means unknown *or* unfinished), then the queue.
pub async fn check_server(server: &Server, prompt_id: &str) -> Result<ServerView, ClientError> {
    if server.is_cloud() {
        return cloud_view(server, prompt_id).await;
    }
    if let Some(entry) = history_entry(server, prompt_id).await? {
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

/// Whether a submission whose answer was lost reached the server: the queue first, then
/// history. In this order a job that ends between the two lookups is still seen (it is in
/// history before it leaves the running list); [`check_server`]'s order could miss it, and
/// the job would be sent again.
pub async fn landed(server: &Server, prompt_id: &str) -> Result<bool, ClientError> {
    let q = server.get_json("/queue").await?;
    if queue_has(&q, "queue_running", prompt_id) || queue_has(&q, "queue_pending", prompt_id) {
        return Ok(true);
    }
    Ok(history_entry(server, prompt_id).await?.is_some())
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
pub async fn confirm_unknown(server: &Server, prompt_id: &str) -> Result<bool, ClientError> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(matches!(
        check_server(server, prompt_id).await?,
        ServerView::Unknown
    ))
}

/// After an end-of-run signal: `/history/{id}` can still be `{}` for a moment (the success
/// message is sent before the history write), so retry briefly. `None` when it never appears.
pub async fn fetch_final(
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
    use crate::client::queue::Cancelled;
    match tokio::time::timeout(
        Duration::from_secs(10),
        crate::client::queue::cancel(server, prompt_id),
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
