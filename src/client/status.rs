//! One table for the job status words servers use. Comfy Cloud's endpoints disagree with each
//! other (`pending`/`in_progress`/`completed` in one, `queued_waiting`/`executing`/`success`
//! in another, docs/protocol.md, "Comfy Cloud"); an unknown word is surfaced to the user, never read as "still
//! running" without a bound.

use serde::Serialize;

/// A job's state, whatever the server called it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Queued, not started.
    Pending,
    /// Running (or being cancelled).
    Running,
    /// Finished successfully.
    Success,
    /// Finished with an error.
    Failed,
    /// Cancelled or interrupted.
    Cancelled,
    /// The server lost it.
    Lost,
    /// A word not in the table.
    Unrecognized(String),
}

impl JobState {
    /// True for a state that will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Success | JobState::Failed | JobState::Cancelled | JobState::Lost
        )
    }
}

/// Maps a status word to a state.
pub fn normalize(word: &str) -> JobState {
    match word.trim().to_ascii_lowercase().as_str() {
        "pending"
        | "queued"
        | "queued_waiting"
        | "waiting_to_dispatch"
        | "submitted"
        | "created"
        | "waiting" => JobState::Pending,
        "in_progress" | "running" | "executing" | "preparing" | "cancel_requested" | "started" => {
            JobState::Running
        }
        "completed" | "success" | "succeeded" | "done" => JobState::Success,
        "failed" | "error" | "non_retryable_error" | "failure" => JobState::Failed,
        "cancelled" | "canceled" | "interrupted" => JobState::Cancelled,
        "lost" => JobState::Lost,
        other => JobState::Unrecognized(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_word_has_a_meaning() {
        for (w, s) in [
            ("pending", JobState::Pending),
            ("waiting_to_dispatch", JobState::Pending),
            ("submitted", JobState::Pending),
            ("queued_waiting", JobState::Pending),
            ("in_progress", JobState::Running),
            ("preparing", JobState::Running),
            ("executing", JobState::Running),
            ("cancel_requested", JobState::Running),
            ("completed", JobState::Success),
            ("success", JobState::Success),
            ("failed", JobState::Failed),
            ("error", JobState::Failed),
            ("non_retryable_error", JobState::Failed),
            ("cancelled", JobState::Cancelled),
            ("lost", JobState::Lost),
            ("IN_PROGRESS", JobState::Running),
        ] {
            assert_eq!(normalize(w), s, "{w}");
        }
        assert_eq!(
            normalize("teleporting"),
            JobState::Unrecognized("teleporting".into())
        );
        assert!(normalize("success").is_terminal() && !normalize("pending").is_terminal());
    }
}
