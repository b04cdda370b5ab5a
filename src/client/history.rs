//! `/history/{id}` entries: the authoritative end state of a run and its outputs (docs/protocol.md, "History").

use super::events::ExecError;
use serde_json::{Map, Value};

/// How a finished run ended, read from its history entry.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `status_str == "success"` (or an old entry with no status).
    Success,
    /// `status_str == "error"` with an `execution_error` message.
    Error(ExecError),
    /// `status_str == "error"` with an `execution_interrupted` message.
    Interrupted {
        /// Node running at the time.
        node_id: Option<String>,
        /// Its class.
        node_type: Option<String>,
    },
}

/// One history entry.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The raw entry.
    pub raw: Value,
}

impl Outcome {
    /// `success`, `error` or `interrupted`, as `logs` and `watch` print it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Error(_) => "error",
            Outcome::Interrupted { .. } => "interrupted",
        }
    }
}

impl HistoryEntry {
    /// Takes the entry for `prompt_id` out of a `/history/{id}` answer; `{}` means not there
    /// (unknown *or* still running — the caller checks `/queue`).
    pub fn from_response(resp: &Value, prompt_id: &str) -> Option<Self> {
        resp.get(prompt_id)
            .filter(|v| v.is_object())
            .map(|v| HistoryEntry { raw: v.clone() })
    }

    /// Reads a Comfy Cloud `/api/jobs/{id}` detail as a history entry; `None` while the job is
    /// not finished (or was lost: the caller reports that).
    pub fn from_cloud_job(job: &Value) -> Option<Self> {
        let word = job.get("status").and_then(Value::as_str).unwrap_or("");
        let state = super::status::normalize(word);
        let (status_str, message) = match state {
            super::status::JobState::Success => ("success", None),
            super::status::JobState::Failed => ("error", Some("execution_error")),
            super::status::JobState::Cancelled => ("error", Some("execution_interrupted")),
            _ => return None,
        };
        let mut status = job
            .get("execution_status")
            .filter(|s| s.get("status_str").is_some())
            .cloned()
            .unwrap_or_else(|| serde_json::json!({"status_str": status_str, "completed": status_str == "success", "messages": []}));
        // A failure without the message in execution_status: build one from what the job says.
        if let Some(kind) = message
            && !status["messages"].as_array().is_some_and(|m| {
                m.iter()
                    .any(|x| x.get(0).and_then(Value::as_str) == Some(kind))
            })
        {
            let err = job
                .get("execution_error")
                .cloned()
                .unwrap_or_else(|| {
                    serde_json::json!({"exception_message": job.get("error_message").cloned().unwrap_or(Value::Null)})
                });
            if let Some(m) = status["messages"].as_array_mut() {
                m.push(serde_json::json!([kind, err]));
            } else {
                status["messages"] = serde_json::json!([[kind, err]]);
            }
            status["status_str"] = Value::from("error");
        }
        Some(HistoryEntry {
            raw: serde_json::json!({"outputs": job.get("outputs").cloned().unwrap_or(serde_json::json!({})), "status": status}),
        })
    }

    /// Outputs by node id.
    pub fn outputs(&self) -> Map<String, Value> {
        self.raw
            .get("outputs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    fn messages(&self) -> Vec<(&str, &Value)> {
        self.raw
            .pointer("/status/messages")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|m| {
                        let pair = m.as_array()?;
                        Some((pair.first()?.as_str()?, pair.get(1)?))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `status_str == "error"` wins over `completed` (the seeds' scripts got this wrong).
    pub fn outcome(&self) -> Outcome {
        let status_str = self
            .raw
            .pointer("/status/status_str")
            .and_then(Value::as_str);
        let completed = self
            .raw
            .pointer("/status/completed")
            .and_then(Value::as_bool);
        let msgs = self.messages();
        let is_error =
            status_str == Some("error") || (status_str.is_none() && completed == Some(false));
        if !is_error {
            return Outcome::Success;
        }
        if let Some((_, d)) = msgs.iter().find(|(k, _)| *k == "execution_interrupted") {
            return Outcome::Interrupted {
                node_id: d.get("node_id").and_then(Value::as_str).map(str::to_string),
                node_type: d
                    .get("node_type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
        }
        match msgs.iter().find(|(k, _)| *k == "execution_error") {
            Some((_, d)) => Outcome::Error(ExecError::from_data(d)),
            None => Outcome::Error(ExecError {
                exception_message: Some("the server recorded an error without details".into()),
                ..Default::default()
            }),
        }
    }

    /// Server-side execution time in ms, from the `timestamp`s of the status messages.
    pub fn execution_ms(&self) -> Option<u64> {
        let msgs = self.messages();
        let ts = |name: &str| {
            msgs.iter()
                .find(|(k, _)| *k == name)
                .and_then(|(_, d)| d.get("timestamp")?.as_u64())
        };
        let start = ts("execution_start")?;
        let end = ts("execution_success")
            .or_else(|| ts("execution_error"))
            .or_else(|| ts("execution_interrupted"))?;
        end.checked_sub(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_wins_over_completed() {
        let r = json!({"p": {"outputs": {}, "status": {"status_str": "error", "completed": true, "messages": [
            ["execution_start", {"timestamp": 10}],
            ["execution_error", {"node_id": "2", "node_type": "ImageScaleBy", "exception_type": "RuntimeError", "exception_message": "boom", "traceback": ["a"], "timestamp": 25}]]}}});
        let e = HistoryEntry::from_response(&r, "p").unwrap();
        match e.outcome() {
            Outcome::Error(x) => assert_eq!(x.node_type.as_deref(), Some("ImageScaleBy")),
            o => panic!("{o:?}"),
        }
        assert_eq!(e.execution_ms(), Some(15));
        assert!(HistoryEntry::from_response(&json!({}), "p").is_none());
    }

    #[test]
    fn interrupted_and_old_entries() {
        let r = json!({"p": {"status": {"status_str": "error", "completed": false, "messages": [["execution_interrupted", {"node_id": "3", "node_type": "KSampler"}]]}}});
        assert!(matches!(
            HistoryEntry::from_response(&r, "p").unwrap().outcome(),
            Outcome::Interrupted { .. }
        ));
        let old = json!({"p": {"outputs": {"9": {}}}});
        assert!(matches!(
            HistoryEntry::from_response(&old, "p").unwrap().outcome(),
            Outcome::Success
        ));
    }
}
