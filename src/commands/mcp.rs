//! `comfyctl mcp`: resolves the servers and the user's limits from flags, environment and
//! config like every other command, then serves the Model Context Protocol on stdio
//! (`crate::mcp`) until the client goes away or Ctrl-C, which stops the session's own jobs.

use crate::Context;
use crate::cli::McpArgs;
use crate::client::JobOptions;
use crate::client::outputs::SaveOptions;
use crate::error::{ExitStatus, Failure};
use crate::mcp::{self, McpOptions};
use std::time::Duration;

/// Runs the command.
pub fn run(ctx: &Context, args: &McpArgs) -> anyhow::Result<ExitStatus> {
    let all = ctx.settings_all(args.output_dir.clone(), &args.follow)?;
    let first = all.first().expect("settings_all gives at least one server");
    let mut servers = Vec::new();
    for s in &all {
        servers.push((ctx.server(s)?, s.clone()));
    }
    for (flag, dir) in [("--workflows", &args.workflows), ("--inputs", &args.inputs)] {
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(Failure::usage(format!("{flag} {}: not a directory", d.display())).into());
        }
    }
    // Read once now: a wrong file is said before a client connects, and calls reuse it.
    let object_info = match &args.object_info {
        Some(f) => Some(std::sync::Arc::new(crate::client::object_info::from_file(
            f,
        )?)),
        None => None,
    };
    let opts = McpOptions {
        save: SaveOptions {
            output_dir: first.output_dir.clone(),
            flat: false,
            overwrite: false,
        },
        job: JobOptions::from_settings(first),
        servers,
        workflows: args.workflows.clone(),
        inputs: args.inputs.clone(),
        allow_spending: args.allow_spending,
        max_jobs: args.max_jobs,
        deny_nodes: args.deny_nodes.clone(),
        allow_install: args.allow_install,
        object_info,
        thumbnail_px: args.thumbnail_px,
        rescan: rescan_interval(),
        printer: ctx.printer.clone(),
    };
    ctx.printer.debug(&format!(
        "MCP server on stdio: {} server(s), outputs in {}",
        opts.servers.len(),
        opts.save.output_dir.display()
    ));
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // Typed by hand, the command would sit silent waiting for JSON-RPC; say what it is.
        ctx.printer.info(
            "comfyctl mcp: waiting for an MCP client on stdin; comfyctl mcp is started by one (Claude Desktop, Claude Code, Cursor, …), see the README's `comfyctl mcp` section; Ctrl-D or Ctrl-C ends it",
        );
    }
    let (result, pressed) = crate::signals::block_on_interruptible(|intr| async move {
        let transport = rmcp::transport::io::stdio_pipes();
        let r = mcp::serve(opts, transport, intr.token().clone()).await;
        (r, intr.pressed())
    })?;
    result?;
    // Ctrl-C ends the session like any command's: the session's jobs are stopped, exit 130.
    Ok(if pressed {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Success
    })
}

/// How often `--workflows DIR` is looked at (`COMFYCTL_MCP_RESCAN_MS` shortens it in tests).
fn rescan_interval() -> Duration {
    std::env::var("COMFYCTL_MCP_RESCAN_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(2))
}
