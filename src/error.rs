//! Exit codes and the rendering of errors: one place decides what a failure means to a script.

use std::fmt;

/// The documented exit codes. Scripts are written against these numbers, so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success,
    /// The job ran and failed on the server (execution error, interrupted there, or lost).
    JobFailed,
    /// Bad usage, config or workflow: nothing was sent.
    Usage,
    /// The server rejected the prompt during validation.
    Rejected,
    /// Connection, HTTP, authentication or download failure.
    Connection,
    /// `--timeout` or `--idle-timeout` ran out.
    Timeout,
    /// The user pressed Ctrl-C.
    Interrupted,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::JobFailed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Rejected => 3,
            ExitStatus::Connection => 4,
            ExitStatus::Timeout => 5,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// An error that already knows its exit status and an optional hint for the user.
/// Commands wrap low-level errors in this where the classification is not obvious from the type.
#[derive(Debug)]
pub struct Failure {
    /// What the exit code should be.
    pub status: ExitStatus,
    /// The headline.
    pub message: String,
    /// A suggestion printed after `hint:`.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure with a status and message.
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint line.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Picks the exit status for an error chain by looking for the typed errors of each module.
pub fn classify(err: &anyhow::Error) -> ExitStatus {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.status;
        }
        // Node types the server lacks: it would refuse the prompt, like a validation error.
        if let Some(crate::workflow::WorkflowError::UnknownNodeTypes { .. }) =
            cause.downcast_ref::<crate::workflow::WorkflowError>()
        {
            return ExitStatus::Rejected;
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some()
            || cause
                .downcast_ref::<crate::settings::SettingsError>()
                .is_some()
            || cause
                .downcast_ref::<crate::workflow::WorkflowError>()
                .is_some()
        {
            return ExitStatus::Usage;
        }
        if let Some(c) = cause.downcast_ref::<crate::client::ClientError>() {
            return c.exit_status();
        }
        if let Some(v) = cause.downcast_ref::<crate::client::v2::V2Error>() {
            return v.exit_status();
        }
        if let Some(v) = cause.downcast_ref::<crate::client::v2::ApiError>() {
            return v.exit_status();
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return ExitStatus::Success;
        }
    }
    ExitStatus::Connection
}

/// True when the chain ends in a broken pipe: the reader went away (`| head`), exit quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The hint attached anywhere in the chain, if any.
pub fn hint(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|c| {
        if let Some(crate::workflow::WorkflowError::UnknownNodeTypes { .. }) =
            c.downcast_ref::<crate::workflow::WorkflowError>()
        {
            return Some(
                "install the custom nodes that provide them (comfy node install …), then run again"
                    .into(),
            );
        }
        c.downcast_ref::<Failure>()
            .and_then(|f| f.hint.clone())
            .or_else(|| {
                c.downcast_ref::<crate::client::ClientError>()
                    .and_then(|e| e.hint())
            })
            .or_else(|| {
                c.downcast_ref::<crate::client::v2::V2Error>()
                    .and_then(|e| e.hint())
            })
            .or_else(|| {
                c.downcast_ref::<crate::client::v2::ApiError>()
                    .and_then(|e| e.hint())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let all = [
            (ExitStatus::Success, 0),
            (ExitStatus::JobFailed, 1),
            (ExitStatus::Usage, 2),
            (ExitStatus::Rejected, 3),
            (ExitStatus::Connection, 4),
            (ExitStatus::Timeout, 5),
            (ExitStatus::Interrupted, 130),
        ];
        for (s, c) in all {
            assert_eq!(s.code(), c);
        }
    }

    #[test]
    fn classifies_through_context() {
        let e =
            anyhow::Error::new(Failure::new(ExitStatus::Rejected, "no")).context("while running");
        assert_eq!(classify(&e), ExitStatus::Rejected);
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&e));
    }

    #[test]
    fn classifies_v2_errors() {
        let api = |status, body: &[u8]| {
            crate::client::v2::ApiError::from_parts("POST", "/api/v2/jobs", status, None, body)
        };
        let rejected = api(
            422,
            br#"{"error":{"code":"invalid_workflow","message":"Prompt outputs failed validation","details":{"node_errors":{}}}}"#,
        );
        let e = anyhow::Error::new(crate::client::v2::V2Error::from(rejected)).context("run");
        assert_eq!(classify(&e), ExitStatus::Rejected);
        let e = anyhow::Error::new(api(401, b"")).context("run");
        assert_eq!(classify(&e), ExitStatus::Connection);
        assert!(hint(&e).unwrap().contains("COMFY_API_KEY"));
        let e = anyhow::Error::new(api(400, br#"{"error":{"code":"invalid_request"}}"#));
        assert_eq!(classify(&e), ExitStatus::Usage);
    }
}
