//! `comfyctl batch`: many runs of one workflow — counts, sweeps, params files — in parallel over
//! one or more servers. The plan, scheduler and runner live in `crate::batch`; this file turns
//! the command line into them and prints.

use crate::Context;
use crate::batch::live_page::LivePage;
use crate::batch::plan::SeedMode;
use crate::batch::planfile::{self, NewPlan, PlanFile, SavedServers};
use crate::batch::run::BatchOptions;
use crate::cli::{BatchArgs, SeedModeArg};
use crate::client::job::JobOptions;
use crate::error::{ExitStatus, Failure};
use crate::prepare;
use crate::progress::show;
use crate::report::PlannedJob;
use serde_json::Value;
use std::path::PathBuf;

/// Runs the command.
pub fn run(ctx: &Context, args: &BatchArgs) -> anyhow::Result<ExitStatus> {
    if let Some(g) = &args.grid
        && !g
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        return Err(Failure::usage(format!(
            "--grid {}: the contact sheet is a PNG; name it FILE.png",
            g.display()
        ))
        .into());
    }
    if let Some(r) = &args.report {
        LivePage::check(r).map_err(Failure::usage)?;
    }
    let (file, dir, resumed) = match &args.resume {
        Some(dir) => (resume_plan(ctx, args, dir)?, dir.clone(), true),
        None => {
            let file = new_plan(ctx, args)?;
            if args.dry_run {
                return dry_run(ctx, args, &file);
            }
            let root = match &args.output_dir {
                Some(_) => PathBuf::new(),
                None => ctx.settings(None, None)?.output_dir,
            };
            let dir = planfile::new_dir(args.output_dir.as_deref(), &root)?;
            (file, dir, false)
        }
    };
    if args.dry_run {
        return dry_run(ctx, args, &file);
    }
    let settings = if resumed
        && ctx.global.profile.is_empty()
        && ctx.global.url.is_empty()
        && !file.servers.is_empty()
    {
        let s = ctx.settings_for(
            &file.servers.profiles,
            &file.servers.urls,
            None,
            &args.follow,
        )?;
        ctx.printer.info(&format!(
            "resuming on the batch's own servers: {} (--url or --profile to choose others)",
            s.iter()
                .map(|s| crate::secret::redact_url(&s.url)
                    .trim_end_matches('/')
                    .to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        s
    } else {
        ctx.settings_all(None, &args.follow)?
    };
    let mut servers = Vec::new();
    for s in &settings {
        let mut server = ctx.server(s)?;
        if let Some(k) = &args.submit.partner_key {
            server.partner_key = Some(crate::secret::Secret::new(k.clone()));
        }
        let limit = args
            .jobs
            .or(s.jobs)
            .unwrap_or(if server.is_cloud() { 1 } else { 2 });
        servers.push((server, limit));
    }
    let show = args.show.wanted(settings[0].show);
    let viewer = show::viewer(
        &ctx.printer,
        show,
        args.format.machine(),
        args.show.show_size,
    )?;
    let page = args.report.as_deref().map(|r| LivePage::new(&dir, r));
    let mut page = page.transpose().map_err(Failure::usage)?;
    let opts = BatchOptions {
        no_validate: args.submit.no_validate,
        fail_fast: args.fail_fast,
        // `--show` draws the grid: into the batch folder when no --grid names a file.
        grid: (args.grid.clone()).or_else(|| {
            viewer
                .as_ref()
                .map(|_| dir.join(crate::batch::grid::SHOW_FILE))
        }),
        defs: args.defs.spec(),
        bars: !args.format.no_progress && !args.format.machine(),
        job: JobOptions::from_settings(&settings[0]),
    };
    let printer = &ctx.printer;
    crate::signals::block_on_interruptible(|intr| async move {
        let mut on_job = |line: &crate::report::BatchJob, o: &crate::client::JobOutcome| {
            if let Some(p) = &mut page {
                p.job_done(printer);
            }
            if args.format.jsonl {
                printer.report(line, true)
            } else if args.format.json {
                Ok(())
            } else {
                o.outputs
                    .files
                    .iter()
                    .try_for_each(|s| printer.data_line(&s.path.display().to_string()))
            }
        };
        let end = crate::batch::run::run(
            printer,
            &opts,
            &file,
            &dir,
            resumed,
            servers,
            &intr,
            &mut on_job,
        )
        .await?;
        if args.format.machine() {
            printer.report(&end.summary, args.format.jsonl)?;
        }
        crate::render::batch_summary(printer, &end.summary, end.status);
        if let Some(p) = page {
            p.end(printer);
        }
        if let (Some(v), Some(g)) = (&viewer, &end.summary.grid) {
            show::files(printer, v, &[&g.path]);
        }
        Ok(end.status)
    })?
}

/// The plan of the batch in `dir`. When the batch's arguments are repeated (`batch WF --sweep …
/// --resume DIR`), they must describe the same batch: a difference is explained, not guessed.
fn resume_plan(ctx: &Context, args: &BatchArgs, dir: &std::path::Path) -> anyhow::Result<PlanFile> {
    // The folder is the batch: another `-o` would be ignored, so it is refused.
    if let Some(o) = &args.output_dir
        && o.canonicalize().ok() != dir.canonicalize().ok()
    {
        return Err(Failure::usage(format!(
            "--resume {} writes into that folder; -o {} names another",
            dir.display(),
            o.display()
        ))
        .with_hint("drop -o (or give the same folder)")
        .into());
    }
    let saved = PlanFile::load(dir)?;
    if args.workflow.is_none() {
        let plan_args = !args.sweep.is_empty()
            || args.params_file.is_some()
            || args.zip
            || args.count != 1
            || args.name.is_some();
        if plan_args {
            return Err(Failure::usage(
                "--resume with the plan's arguments needs the workflow too: repeat the whole command, or give --resume DIR alone",
            )
            .into());
        }
        return Ok(saved);
    }
    let again = new_plan(ctx, args)?;
    let diff = saved.differences(&again, args.name.is_some());
    if diff.is_empty() {
        ctx.printer.info(&format!(
            "the arguments match the batch in {}; resuming it",
            dir.display()
        ));
        return Ok(saved);
    }
    Err(Failure::usage(format!(
        "these arguments describe another batch than the one in {}: {}",
        dir.display(),
        diff.join("; ")
    ))
    .with_hint(format!(
        "finish that batch with comfyctl batch --resume {} alone, or start a new one with another --output-dir",
        dir.display()
    ))
    .into())
}

/// Reads the workflow, applies the batch-wide parameters, and builds and checks the plan.
fn new_plan(ctx: &Context, args: &BatchArgs) -> anyhow::Result<PlanFile> {
    let path: PathBuf = args.workflow.clone().expect("clap requires it");
    let (prepared, _) = ctx.load_workflow(&path, &args.params, &args.defs, true)?;
    prepare::report_applied(&ctx.printer, &prepared.applied);
    let (file, warnings) = PlanFile::build(NewPlan {
        wf: prepared.wf,
        sweeps: args.sweep.clone(),
        params_file: args.params_file.clone(),
        count: args.count,
        seed_mode: match args.seed_mode {
            SeedModeArg::Increment => SeedMode::Increment,
            SeedModeArg::Random => SeedMode::Random,
            SeedModeArg::Fixed => SeedMode::Fixed,
        },
        zip: args.zip,
        name: args.name.clone(),
        inputs: args.inputs.spec(),
        flat_output: args.flat_output,
        servers: SavedServers::new(&ctx.global.profile, &ctx.global.url),
    })?;
    for w in &warnings {
        ctx.printer.warn(w);
    }
    Ok(file)
}

/// `--dry-run`: the jobs, one per line, without a server.
fn dry_run(ctx: &Context, args: &BatchArgs, f: &PlanFile) -> anyhow::Result<ExitStatus> {
    let p = &f.plan;
    ctx.printer.info(&format!(
        "{} jobs ({} combination{} × --count {}); nothing was sent",
        p.len(),
        p.combos(),
        if p.combos() == 1 { "" } else { "s" },
        p.count
    ));
    for i in 0..p.len() {
        let spec = p.job(i);
        let name = p.job_name(&f.name, &spec);
        if args.format.machine() {
            let mut params: serde_json::Map<String, Value> = spec
                .params
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            if let Some(s) = spec.seed {
                params.insert("seed".into(), Value::from(s));
            }
            ctx.printer.report(
                &PlannedJob {
                    index: i,
                    name,
                    params,
                },
                true,
            )?;
        } else {
            let mut parts: Vec<String> = spec
                .params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if let Some(s) = spec.seed {
                parts.push(format!("seed={s}"));
            }
            ctx.printer
                .data_line(&format!("{i}\t{name}\t{}", parts.join(" ")))?;
        }
    }
    Ok(ExitStatus::Success)
}
