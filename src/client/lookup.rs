//! Finding one job on a server, whatever its state: history (or Comfy Cloud's job detail),
//! else the queue. `logs` and `watch` both start here.

use super::history::HistoryEntry;
use super::{ClientError, Server};
use serde_json::Value;

/// What the server knows of one job; `logs` and `watch` both start here.
pub struct Found {
    /// `success`, `error`, `interrupted`, `running`, `pending`, `lost` or `unknown`.
    pub status: &'static str,
    /// The final entry, once finished.
    pub entry: Option<HistoryEntry>,
    /// The prompt as the server holds it.
    pub prompt: Option<Value>,
}

/// Looks a job up: history (or Cloud's job detail), else the queue; on a Comfy API v2 server,
/// `GET /jobs/{id}` and its workflow.
pub async fn find(server: &Server, id: &str) -> Result<Found, ClientError> {
    if server.api().await == super::api::Api::V2 {
        let found = super::v2::jobs::find(server, id).await?;
        return Ok(match found {
            Some((job, wf)) => Found {
                status: super::v2::jobs::status_word(job.status),
                entry: None,
                prompt: wf.map(|w| Value::Object(w.workflow)),
            },
            None => Found {
                status: "unknown",
                entry: None,
                prompt: None,
            },
        });
    }
    if server.is_cloud() {
        let job = match server.get_json(&format!("/jobs/{id}")).await {
            Ok(j) => j,
            Err(ClientError::Http { status: 404, .. }) => {
                return Ok(Found {
                    status: "unknown",
                    entry: None,
                    prompt: None,
                });
            }
            Err(e) => return Err(e),
        };
        let prompt = job.pointer("/workflow/prompt").cloned();
        let entry = HistoryEntry::from_cloud_job(&job);
        let status = match &entry {
            Some(e) => outcome_word(e),
            None => match super::status::normalize(
                job.get("status").and_then(Value::as_str).unwrap_or(""),
            ) {
                super::status::JobState::Pending => "pending",
                super::status::JobState::Lost => "lost",
                _ => "running",
            },
        };
        return Ok(Found {
            status,
            entry,
            prompt,
        });
    }
    let h = server.get_json(&format!("/history/{id}")).await?;
    if let Some(e) = HistoryEntry::from_response(&h, id) {
        let prompt = e.raw.pointer("/prompt/2").cloned();
        return Ok(Found {
            status: outcome_word(&e),
            entry: Some(e),
            prompt,
        });
    }
    // `{}` means unknown *or* not finished: the queue tells which.
    let q = server.get_json("/queue").await?;
    let find_in = |key: &str| {
        q.get(key).and_then(Value::as_array).and_then(|items| {
            items
                .iter()
                .find(|i| i.get(1).and_then(Value::as_str) == Some(id))
                .and_then(|i| i.get(2).cloned())
        })
    };
    if let Some(p) = find_in("queue_running") {
        return Ok(Found {
            status: "running",
            entry: None,
            prompt: Some(p),
        });
    }
    if let Some(p) = find_in("queue_pending") {
        return Ok(Found {
            status: "pending",
            entry: None,
            prompt: Some(p),
        });
    }
    Ok(Found {
        status: "unknown",
        entry: None,
        prompt: None,
    })
}

fn outcome_word(e: &HistoryEntry) -> &'static str {
    e.outcome().as_str()
}

/// The newest finished jobs and how they ended.
pub async fn recent(server: &Server) -> Vec<(String, &'static str)> {
    let word = |e: &HistoryEntry| e.outcome().as_str();
    if server.is_cloud() {
        let Ok(v) = server.get_json("/jobs?limit=10").await else {
            return Vec::new();
        };
        return v["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|j| {
                let e = HistoryEntry::from_cloud_job(j)?;
                Some((j["id"].as_str()?.to_string(), word(&e)))
            })
            .collect();
    }
    let Ok(h) = server.get_json("/history?max_items=10").await else {
        return Vec::new();
    };
    h.as_object()
        .into_iter()
        .flatten()
        .map(|(id, e)| (id.clone(), word(&HistoryEntry { raw: e.clone() })))
        .collect()
}
