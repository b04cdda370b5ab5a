//! `comfyctl mcp`: the MCP server's flags. Everything an agent must not be able to change
//! (spending, installing, where files may be read and written) is a flag here, set by the user
//! in the MCP client's config, never a tool argument.

use super::FollowArgs;
use super::values;
use clap::Args;
use std::path::PathBuf;

pub(super) const MCP_EXAMPLES: &str = "\
Examples:
  comfyctl mcp                                    # generic tools against the default server
  comfyctl mcp --workflows ~/comfy/workflows      # and each workflow there as a tool of its own
  comfyctl mcp --profile gpu --inputs ~/pictures -o ~/renders
  comfyctl mcp --profile cloud --allow-spending --max-jobs 5

Speaks the Model Context Protocol on stdin/stdout (point an MCP client at this command);
messages for people go to stderr. Paths the agent gives are confined to the workflows dir,
the inputs dir and the output dir. Jobs on Comfy Cloud and workflows with paid API nodes
need --allow-spending or the user's answer to the client's confirmation. Ctrl-C or the
client closing the connection stops the jobs this session started.";

/// `comfyctl mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Each workflow file in DIR becomes a tool of its own (rescanned when files change)
    #[arg(long, value_name = "DIR")]
    pub workflows: Option<PathBuf>,
    /// Input files the agent names are read from this directory only
    #[arg(long, value_name = "DIR")]
    pub inputs: Option<PathBuf>,
    /// Where outputs are saved [default: the profile's output dir]
    #[arg(short, long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Allow jobs that cost money without asking: Comfy Cloud, and paid API (partner) nodes
    #[arg(long, help_heading = "Safety")]
    pub allow_spending: bool,
    /// The most jobs this session may submit
    #[arg(long, value_name = "N", default_value_t = 20, help_heading = "Safety", value_parser = values::count)]
    pub max_jobs: usize,
    /// Node types no workflow may use, comma-separated (a trailing * matches a prefix)
    #[arg(
        long,
        value_name = "CLASS,…",
        value_delimiter = ',',
        env = "COMFYCTL_MCP_DENY_NODES",
        help_heading = "Safety"
    )]
    pub deny_nodes: Vec<String>,
    /// Node definitions (a saved /object_info) for servers that serve none — the Comfy API v2:
    /// they check workflows, convert editor ones and rule out paid API nodes there
    #[arg(long, value_name = "FILE")]
    pub object_info: Option<PathBuf>,
    /// Let the deps tool install missing node packs and download models (its `fix` argument)
    #[arg(long, help_heading = "Safety")]
    pub allow_install: bool,
    /// Longest side of the thumbnails returned as image content, in pixels
    #[arg(long, value_name = "PX", default_value_t = 512, value_parser = clap::value_parser!(u32).range(16..=4096))]
    pub thumbnail_px: u32,
    /// Following jobs.
    #[command(flatten)]
    pub follow: FollowArgs,
}
