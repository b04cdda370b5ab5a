//! Shell completion: the static scripts (`comfyctl completions SHELL`, also committed under
//! completions/) and the dynamic completers clap calls for profile and parameter names.

use super::{Cli, CompletionsArgs};
use crate::error::ExitStatus;
use clap::CommandFactory;
use clap_complete::CompletionCandidate;
use std::ffi::OsStr;

/// Writes the script to stdout.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitStatus> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "comfyctl", &mut out);
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitStatus::Success)
}

/// Dynamic completion (`source <(COMPLETE=bash comfyctl)`): profile names from the config file.
pub fn profile_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let cur = current.to_string_lossy();
    let envs = crate::settings::EnvSettings::from_process();
    let Some(path) = crate::config::config_path(envs.get(crate::config::env::CONFIG)) else {
        return Vec::new();
    };
    let Ok(Some(file)) = crate::config::load(&path) else {
        return Vec::new();
    };
    file.profiles
        .iter()
        .filter(|(name, _)| name.starts_with(cur.as_ref()))
        .map(|(name, p)| {
            let mut c = CompletionCandidate::new(name);
            if let Some(u) = p.url.as_ref().or(p.urls.first()) {
                c = c.help(Some(u.clone().into()));
            }
            c
        })
        .collect()
}

/// Dynamic completion of `-p NAME=`: the friendly names of the API-format workflow named on the
/// command line being completed.
pub fn param_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let cur = current.to_string_lossy();
    if cur.contains('=') {
        return Vec::new();
    }
    // In completion mode the words being completed follow `--` in our own arguments.
    let words: Vec<std::path::PathBuf> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .map(std::path::PathBuf::from)
        .collect();
    let Some(wf) = words
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .find_map(|p| match crate::workflow::load_document(p) {
            Ok(crate::workflow::Document::Api(wf)) => Some(wf),
            _ => None,
        })
    else {
        return Vec::new();
    };
    crate::workflow::schema::discover(&wf)
        .into_iter()
        .filter(|p| p.name.starts_with(cur.as_ref()))
        .map(|p| CompletionCandidate::new(format!("{}=", p.name)).help(Some(p.about.into())))
        .collect()
}
