//! Small facts about this machine that several commands need: executables on `PATH`,
//! whether a process still runs.

use std::path::{Path, PathBuf};

/// An executable on `PATH` (or in `extra` directories, searched after it).
pub fn which(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().cloned())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Whether process `pid` still runs (a zombie counts as gone). Where that cannot be told, it
/// is assumed to run, so callers fall back to their timeouts.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // A zombie (exited, not reaped: our child) counts as gone.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(s) => !s
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}
