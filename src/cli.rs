//! Every clap type. Commands convert these into plain settings before doing any work.

use crate::printer::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Version string with the git commit.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("COMFYCTL_GIT_COMMIT"),
    ")"
);

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    the job failed on the server (execution error, interrupted there, or lost)
  2    usage, config or workflow error; local output directory not writable
  3    the server rejected the prompt (validation)
  4    connection, HTTP or authentication failure; download failed
  5    timeout (--timeout or --idle-timeout)
  130  interrupted with Ctrl-C";

/// Drive ComfyUI servers from shells, scripts and CI.
#[derive(Debug, Parser)]
#[command(name = "comfyctl", version = VERSION, about, propagate_version = true, after_help = EXIT_CODES)]
pub struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Profile from the config file [env: COMFYCTL_PROFILE]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Only print errors (and data on stdout)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every request and server message on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colour on stderr (NO_COLOR is respected)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an API-format workflow, follow it, and save its outputs
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Show the resolved settings or where the config file lives
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

const RUN_EXAMPLES: &str = "\
Examples:
  comfyctl run workflow_api.json
  comfyctl run workflow_api.json --set 3.seed=7 --set 6.text='a red fox'
  comfyctl run workflow_api.json --set-json 3.seed=42 --output-dir renders --json
  cat workflow_api.json | comfyctl run - --print-prompt
  comfyctl run workflow_api.json --no-download        # print /view URLs instead

stdout gets one saved path per line (or one JSON object with --json); progress goes to stderr.";

/// `comfyctl run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// API-format workflow JSON file, or - for stdin
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)
    #[arg(long = "set", value_name = "NODE.INPUT=VALUE")]
    pub set: Vec<String>,
    /// Set an input to a JSON value: NODE.input=JSON
    #[arg(long = "set-json", value_name = "NODE.INPUT=JSON")]
    pub set_json: Vec<String>,
    /// Allow --set to replace an input that is linked to another node
    #[arg(long)]
    pub force_literal: bool,
    /// Print the final prompt JSON and exit without contacting the server
    #[arg(long)]
    pub print_prompt: bool,
    /// Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]
    #[arg(short, long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Save files directly in the output dir, ignoring server subfolders
    #[arg(long)]
    pub flat_output: bool,
    /// Replace existing files instead of saving as name-1.ext
    #[arg(long)]
    pub overwrite: bool,
    /// Do not download; print each output's /view URL on stdout
    #[arg(long)]
    pub no_download: bool,
    /// Give up after this many seconds in total [env: COMFYCTL_TIMEOUT]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Give up when the server sends nothing for this many seconds
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<f64>,
    /// Exit 0 even when the server dropped outputs that failed validation
    #[arg(long)]
    pub allow_partial: bool,
    /// Print one JSON object with the result on stdout
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,
    /// Print every event as a JSON line on stdout, the result last
    #[arg(long)]
    pub jsonl: bool,
    /// No progress bars, even on a terminal
    #[arg(long)]
    pub no_progress: bool,
}

/// `comfyctl config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved settings (secrets redacted) and where each came from
    Show {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the config file path
    Path,
}

/// `comfyctl completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
