//! `comfyctl health`: the server checklist (`crate::health`), printed; `--smoke` asks first on
//! Comfy Cloud, where it costs credits.

use crate::Context;
use crate::cli::HealthArgs;
use crate::error::{ExitStatus, Failure};
use crate::health::{Check, HealthReport, State, server_checks};
use std::time::Instant;

/// Runs the command.
pub fn run(ctx: &Context, args: &HealthArgs) -> anyhow::Result<ExitStatus> {
    let mut checks: Vec<Check> = Vec::new();
    let t = Instant::now();
    // A profile that does not resolve (or a cloud profile without its key) is the first check.
    let resolved = ctx.settings(None, None).and_then(|s| {
        let server = ctx.server(&s)?;
        Ok((s, server))
    });
    let (settings, server) = match resolved {
        Ok(x) => x,
        Err(e) => {
            checks.push(Check::done("profile", State::Fail, e.to_string(), t));
            return finish(ctx, args, checks);
        }
    };
    checks.push(Check {
        name: "profile",
        status: State::Ok,
        message: format!(
            "{} → {} ({})",
            settings.profile.as_deref().unwrap_or("(no profile)"),
            server.display_url(),
            settings.kind.as_str()
        ),
        ms: t.elapsed().as_millis() as u64,
    });
    if server.is_cloud() && args.smoke && !args.yes {
        let tty = std::io::IsTerminal::is_terminal(&std::io::stdin());
        if !tty {
            return Err(Failure::usage(
                "the smoke test runs a job on Comfy Cloud, which costs credits: pass --yes",
            )
            .into());
        }
        eprint!("The smoke test runs a tiny job on Comfy Cloud (it costs credits). Run it? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(Failure::usage("smoke test skipped at your request").into());
        }
    }
    let output_dir = settings.output_dir.clone();
    crate::signals::block_on_interruptible(|intr| {
        let checks = &mut checks;
        async move { server_checks(&server, checks, args.smoke, &output_dir, intr.token()).await }
    })?;
    finish(ctx, args, checks)
}

fn finish(ctx: &Context, args: &HealthArgs, checks: Vec<Check>) -> anyhow::Result<ExitStatus> {
    let healthy = !checks.iter().any(|c| c.status == State::Fail);
    if args.json {
        ctx.printer
            .report(&HealthReport { healthy, checks }, false)?;
        return Ok(if healthy {
            ExitStatus::Success
        } else {
            ExitStatus::JobFailed
        });
    } else {
        let p = &ctx.printer;
        for c in &checks {
            let mark = match c.status {
                State::Ok => p.green("✓"),
                State::Warn => "!".to_string(),
                State::Fail => p.red("✗"),
                State::Skip => "-".to_string(),
            };
            p.data_line(&format!(
                "{mark} {:<12} {}  {}",
                c.name,
                c.message,
                p.dim(&format!("{} ms", c.ms))
            ))?;
        }
        let warns = checks.iter().filter(|c| c.status == State::Warn).count();
        let fails = checks.iter().filter(|c| c.status == State::Fail).count();
        let summary = if healthy {
            format!("healthy ({} checks, {warns} warning(s))", checks.len())
        } else {
            format!("unhealthy: {fails} failed check(s)")
        };
        p.data_line(&summary)?;
    }
    Ok(if healthy {
        ExitStatus::Success
    } else {
        ExitStatus::JobFailed
    })
}
