//! `comfyctl completions SHELL`: print a completion script (also committed under completions/).

use crate::cli::{Cli, CompletionsArgs};
use crate::error::ExitStatus;
use clap::CommandFactory;

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
