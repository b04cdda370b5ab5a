//! The server's queue, read in both layouts, and cancelling one job without touching others.

use super::{ClientError, Server};
use serde::Serialize;
use serde_json::{Value, json};

/// One queued or running job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueuedJob {
    /// The queue number (the server's ordering key; pending lists are not sorted by it).
    #[serde(serialize_with = "crate::client::queue::whole_number")]
    pub number: f64,
    /// Prompt id.
    pub prompt_id: String,
    /// The submitting client, when the server says (local only).
    pub client_id: Option<String>,
    /// Nodes in the prompt.
    pub nodes: usize,
    /// Output nodes to run.
    pub outputs: Vec<String>,
    /// 1-based place in the whole server queue, when the server says (Comfy API v2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<u64>,
    /// When it was submitted, ISO 8601, when the server says (Comfy API v2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// Running and pending jobs.
#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    /// Running now.
    pub running: Vec<QueuedJob>,
    /// Waiting, in the order they will run (by number).
    pub pending: Vec<QueuedJob>,
}

/// Parses one item: local `[number, id, prompt, extra_data, outputs]`, Cloud
/// `[number, id, prompt, outputs, {create_time}]` (docs/protocol.md, "Comfy Cloud") — told apart by type.
fn item(v: &Value) -> Option<QueuedJob> {
    let a = v.as_array()?;
    let ids = |x: Option<&Value>| -> Vec<String> {
        x.and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (extra, outputs) = match (a.get(3), a.get(4)) {
        (Some(Value::Object(_)), o) => (a.get(3), ids(o)),
        (Some(Value::Array(_)), _) => (None, ids(a.get(3))),
        _ => (None, Vec::new()),
    };
    Some(QueuedJob {
        number: a.first()?.as_f64().unwrap_or(0.0),
        prompt_id: a.get(1)?.as_str()?.to_string(),
        client_id: extra
            .and_then(|e| e.get("client_id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        nodes: a
            .get(2)
            .and_then(Value::as_object)
            .map(|m| m.len())
            .unwrap_or(0),
        outputs,
        queue_position: None,
        created_at: None,
    })
}

/// Reads `/queue`.
pub async fn fetch(server: &Server) -> Result<Queue, ClientError> {
    let q = server.get_json("/queue").await?;
    let list = |k: &str| -> Vec<QueuedJob> {
        q.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(item).collect())
            .unwrap_or_default()
    };
    let mut pending = list("queue_pending");
    pending.sort_by(|a, b| a.number.total_cmp(&b.number));
    Ok(Queue {
        running: list("queue_running"),
        pending,
    })
}

/// What cancelling one job did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Cancelled {
    /// It was running and was interrupted.
    Interrupted,
    /// It was pending and was removed from the queue.
    Deleted,
    /// It had already finished (with this status).
    AlreadyFinished(String),
    /// The server does not know it.
    Unknown,
    /// Left alone, and why (Cloud can only interrupt all running jobs at once).
    LeftRunning(String),
    /// The server accepted the cancel but had not stopped the job when last asked, and what
    /// it said (a Comfy API v2 server answers `canceling` and may never stop it).
    Canceling(String),
}

impl Cancelled {
    /// True when the job will not run (any more) because of us.
    pub fn stopped(&self) -> bool {
        matches!(self, Cancelled::Interrupted | Cancelled::Deleted)
    }
}

/// Stops one job: interrupt if running, delete if pending. Never stops another job.
pub async fn cancel(server: &Server, prompt_id: &str) -> Result<Cancelled, ClientError> {
    let q = fetch(server).await?;
    if q.running.iter().any(|j| j.prompt_id == prompt_id) {
        if server.is_cloud() && q.running.len() > 1 {
            return Ok(Cancelled::LeftRunning(format!(
                "Comfy Cloud can only interrupt all {} of your running jobs at once; cancel it from the web UI",
                q.running.len()
            )));
        }
        // `prompt_id` makes the interrupt conditional on this job still running (0.3.45+).
        server
            .post_json("/interrupt", &json!({ "prompt_id": prompt_id }), true)
            .await?;
        return Ok(Cancelled::Interrupted);
    }
    if q.pending.iter().any(|j| j.prompt_id == prompt_id) {
        server
            .post_json("/queue", &json!({ "delete": [prompt_id] }), true)
            .await?;
        return Ok(Cancelled::Deleted);
    }
    let finished = if server.is_cloud() {
        match server.get_json(&format!("/jobs/{prompt_id}")).await {
            Ok(j) => j.get("status").and_then(Value::as_str).map(str::to_string),
            Err(ClientError::Http { status: 404, .. }) => None,
            Err(e) => return Err(e),
        }
    } else {
        let h = server.get_json(&format!("/history/{prompt_id}")).await?;
        h.get(prompt_id).map(|e| {
            e.pointer("/status/status_str")
                .and_then(Value::as_str)
                .unwrap_or("finished")
                .to_string()
        })
    };
    Ok(match finished {
        Some(s) => Cancelled::AlreadyFinished(s),
        None => Cancelled::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts() {
        let local = json!([3, "a", {"1": {}, "2": {}}, {"client_id": "c1"}, ["2"]]);
        let j = item(&local).unwrap();
        assert_eq!(
            (j.prompt_id.as_str(), j.client_id.as_deref(), j.nodes),
            ("a", Some("c1"), 2)
        );
        assert_eq!(j.outputs, ["2"]);
        let cloud = json!([1, "b", {"1": {}}, ["1"], {"create_time": 5}]);
        let j = item(&cloud).unwrap();
        assert_eq!(
            (j.prompt_id.as_str(), j.client_id, j.outputs),
            ("b", None, vec!["1".to_string()])
        );
    }
}

/// Writes a queue number the way ComfyUI does: `6`, not `6.0`. The server keeps it as a float
/// (a client may send one to jump the queue), so it is read as one; a whole one is written
/// whole.
pub fn whole_number<S: serde::Serializer>(n: &f64, s: S) -> Result<S::Ok, S::Error> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        s.serialize_i64(*n as i64)
    } else {
        s.serialize_f64(*n)
    }
}

/// [`whole_number`] for an optional one.
pub fn whole_number_opt<S: serde::Serializer>(n: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => whole_number(n, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod number_tests {
    #[derive(serde::Serialize)]
    struct N {
        #[serde(serialize_with = "super::whole_number")]
        a: f64,
        #[serde(serialize_with = "super::whole_number_opt")]
        b: Option<f64>,
    }

    #[test]
    fn whole_queue_numbers_are_written_whole() {
        let j = |a, b| serde_json::to_string(&N { a, b }).unwrap();
        assert_eq!(j(6.0, Some(-1.0)), r#"{"a":6,"b":-1}"#);
        assert_eq!(j(2.5, None), r#"{"a":2.5,"b":null}"#);
    }
}
