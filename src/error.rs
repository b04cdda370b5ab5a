//! Exit codes, and the one error type that carries its own. A leaf: every module may use it.
//! Which code an error chain gets is decided where errors are rendered (`render::error`).

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
    /// Something failed that no part of comfyctl knew how to explain: a bug.
    Internal,
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
            ExitStatus::Internal => 70,
        }
    }
}

/// What an unexpected failure tells the user to do.
pub const BUG_HINT: &str = "this is a bug in comfyctl: please report it with the command you ran (without your keys) and this message";

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

    /// A failure comfyctl did not expect (exit 70): a bug, said as one.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Internal, message).with_hint(BUG_HINT)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

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
            (ExitStatus::Internal, 70),
        ];
        for (s, c) in all {
            assert_eq!(s.code(), c);
        }
    }
}
