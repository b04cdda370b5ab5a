//! `comfyctl setup`: from nothing to a running local ComfyUI. The steps live in `crate::setup`;
//! this turns the command line into options and prints the outcome.

use crate::Context;
use crate::cli::SetupArgs;
use crate::error::{ExitStatus, Failure};
use crate::setup::{LOG_FILE, SetupOptions, SetupReport};

/// Runs the command.
pub fn run(ctx: &Context, args: &SetupArgs) -> anyhow::Result<ExitStatus> {
    let workspace = match &args.workspace {
        Some(w) => std::path::absolute(w).unwrap_or_else(|_| w.clone()),
        None => crate::setup::default_workspace().ok_or_else(|| {
            Failure::usage("no home directory to put ComfyUI in: pass --workspace DIR")
        })?,
    };
    let opts = SetupOptions {
        workspace: workspace.clone(),
        port: args.port,
        profile_name: args.profile_name.clone(),
        wait: args.wait,
        cpu: args.cpu,
        dry_run: args.dry_run,
    };
    let intr = if args.dry_run {
        crate::signals::never()
    } else {
        crate::signals::watch_blocking()
    };
    let p = &ctx.printer;
    let done = crate::setup::run(p, args.json, &opts, &intr);
    let url = format!("http://127.0.0.1:{}", args.port);
    let status = match &done.result {
        Ok(_) => ExitStatus::Success,
        Err(_) if intr.pressed() => ExitStatus::Interrupted,
        Err(_) => ExitStatus::JobFailed,
    };
    match &done.result {
        Ok(Some(pid)) if !args.json => {
            p.data_line(&url)?;
            if let Some(pid) = pid {
                p.info(&format!(
                    "ComfyUI runs in the background (pid {pid}); log: {}; stop it with: kill {pid}",
                    workspace.join(LOG_FILE).display()
                ));
            }
        }
        Err(state) => p.error(
            if status == ExitStatus::Interrupted {
                "setup interrupted"
            } else {
                "setup failed"
            },
            std::slice::from_ref(state),
            Some("comfyctl setup again picks up where this one stopped"),
        ),
        _ => {}
    }
    if args.json {
        p.report(
            &SetupReport {
                url,
                workspace: workspace.display().to_string(),
                log: workspace.join(LOG_FILE).display().to_string(),
                profile: args.profile_name.clone(),
                pid: done.result.as_ref().ok().copied().flatten().flatten(),
                dry_run: args.dry_run,
                ok: status == ExitStatus::Success,
                steps: done.steps,
            },
            false,
        )?;
    }
    Ok(status)
}
