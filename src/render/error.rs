//! What an error chain means: its exit code and hint, found by walking the chain for each
//! module's typed errors; and the `error: … / Caused by: … / hint: …` report on stderr.

use crate::error::{ExitStatus, Failure};
use crate::printer::Printer;

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
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            // A closed stdout is a reader that went away (`| head`); any other I/O error here
            // is a local file the user named (the typed errors above cover the rest).
            return if io.kind() == std::io::ErrorKind::BrokenPipe {
                ExitStatus::Success
            } else {
                ExitStatus::Usage
            };
        }
        if cause.downcast_ref::<serde_json::Error>().is_some()
            || cause.downcast_ref::<toml_edit::TomlError>().is_some()
        {
            return ExitStatus::Usage;
        }
        if cause.downcast_ref::<reqwest::Error>().is_some() {
            return ExitStatus::Connection;
        }
    }
    // Nothing explained it: not "connection" (which would send the user looking at the
    // server), but a bug, said as one.
    ExitStatus::Internal
}

/// True when the chain ends in a broken pipe: the reader went away (`| head`), exit quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The hint attached anywhere in the chain, if any (a bug says so).
pub fn hint(err: &anyhow::Error) -> Option<String> {
    if classify(err) == ExitStatus::Internal {
        return Some(crate::error::BUG_HINT.into());
    }
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

/// What the error report knows about how the command was set up, beyond the error itself.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// The server was the built-in default: no `--url`, no `COMFYCTL_URL`, no profile.
    pub default_server: bool,
}

/// The hint for a first run: nothing configured, and nothing answers on the default port.
pub const SETUP_HINT: &str = "nothing is configured yet and no ComfyUI answers on the default port: comfyctl setup installs and starts one (and writes a profile), or point comfyctl at a running server with --url or --profile";

/// [`hint`], knowing the [`Situation`]: a server that cannot be reached at the default URL
/// with nothing configured points at `comfyctl setup`.
pub fn hint_in(err: &anyhow::Error, situation: Situation) -> Option<String> {
    err.chain()
        .filter_map(|c| c.downcast_ref::<crate::client::ClientError>())
        .find_map(|c| setup_hint(c, situation))
        .or_else(|| hint(err))
}

/// [`SETUP_HINT`] when `e` is the default server not answering on a first run.
pub fn setup_hint(e: &crate::client::ClientError, situation: Situation) -> Option<String> {
    let default_unreachable = matches!(
        e,
        crate::client::ClientError::Connect { url, .. }
            if url.trim_end_matches('/') == crate::settings::DEFAULT_URL
    );
    (situation.default_server && default_unreachable).then(|| SETUP_HINT.into())
}

/// `error: …`, `Caused by: …` for each distinct cause, `hint: …`.
pub fn report(printer: &Printer, err: &anyhow::Error, situation: Situation) {
    let headline = err.to_string();
    let mut causes: Vec<String> = Vec::new();
    for c in err.chain().skip(1) {
        let s = c.to_string();
        if !headline.contains(&s) && !causes.iter().any(|x| x.contains(&s)) {
            causes.push(s);
        }
    }
    printer.error(&headline, &causes, hint_in(err, situation).as_deref());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_through_context() {
        let e =
            anyhow::Error::new(Failure::new(ExitStatus::Rejected, "no")).context("while running");
        assert_eq!(classify(&e), ExitStatus::Rejected);
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&e));
    }

    #[test]
    fn an_error_nothing_explains_is_a_bug_not_a_connection_problem() {
        let e = anyhow::anyhow!("a batch task failed: panicked");
        assert_eq!(classify(&e), ExitStatus::Internal);
        assert!(hint(&e).unwrap().contains("bug"));
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(classify(&e), ExitStatus::Usage, "a local file problem");
    }

    #[test]
    fn an_unreachable_default_server_with_nothing_configured_points_at_setup() {
        let connect = |url: &str| {
            anyhow::Error::new(crate::client::ClientError::Connect {
                url: url.into(),
                reason: "tcp connect error: Connection refused (os error 111)".into(),
            })
            .context("while running")
        };
        let first_run = Situation {
            default_server: true,
        };
        let e = connect("http://127.0.0.1:8188");
        assert_eq!(hint_in(&e, first_run).as_deref(), Some(SETUP_HINT));
        assert!(SETUP_HINT.contains("comfyctl setup"));
        // The default URL given on purpose (--url, COMFYCTL_URL, a profile): the usual hint.
        let usual = hint_in(&e, Situation::default()).unwrap();
        assert!(usual.contains("is ComfyUI running there?"), "{usual}");
        assert!(!usual.contains("setup"), "{usual}");
        // Another server that is down (one of a batch's): the usual hint too.
        let other = hint_in(&connect("http://gpu1:8188"), first_run).unwrap();
        assert!(!other.contains("setup"), "{other}");
        // Other errors keep their own hints.
        let e = anyhow::Error::new(crate::client::ClientError::Http {
            method: "POST".into(),
            path: "/prompt".into(),
            status: 401,
            body: String::new(),
        });
        assert!(hint_in(&e, first_run).unwrap().contains("key"));
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
