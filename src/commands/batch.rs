//! `comfyctl batch`: many runs of one workflow — counts, sweeps, params files — in parallel over
//! one or more servers, each job in its own folder, a manifest line per finished job, resumable,
//! with an optional contact sheet.

use crate::Context;
use crate::batch::grid::{self, Axis, Layout};
use crate::batch::manifest::{self, MANIFEST_FILE, Manifest, PLAN_FILE};
use crate::batch::plan::{self, JobSpec, NameTemplate, Plan, SeedMode};
use crate::cli::{BatchArgs, InputArgs, SeedModeArg};
use crate::client::job::run_routed;
use crate::client::outputs::{self, SaveOptions, SavedFile};
use crate::client::router::Router;
use crate::client::{ClientError, JobEvent, JobOptions, JobResult, JobStatus, Reporter, Server};
use crate::commands::prepare;
use crate::error::{ExitStatus, Failure};
use crate::printer::{Printer, Verbosity};
use crate::workflow::params::{self, ParamArg};
use crate::workflow::{Workflow, schema};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Version of `batch.json`, the manifest lines and the `--json` summary.
pub const SCHEMA_VERSION: u32 = 1;

/// How long to wait for a server to come back when every server is down, before the remaining
/// jobs are failed.
const ALL_DOWN_GRACE: Duration = Duration::from_secs(30);
/// A job moved off a failing server this many times is failed instead.
const MAX_ATTEMPTS: u32 = 3;
/// How often a server that is down is asked whether it is back.
const PROBE_EVERY: Duration = Duration::from_secs(3);

/// Readies a reachable server for jobs: the batch's input files uploaded to it, and its
/// WebSocket (or polling when it has none).
async fn bring_up(
    slot: &mut Slot,
    base: &Workflow,
    inputs: &SavedInputs,
    printer: &crate::printer::Printer,
) -> anyhow::Result<()> {
    let mut wf = base.clone();
    if inputs.any() {
        let mut applied = Vec::new();
        prepare::upload_inputs(
            &slot.server,
            printer,
            &mut wf,
            &inputs.to_args(),
            &mut applied,
        )
        .await?;
    }
    slot.base = Some(Rc::new(wf));
    let (router, err) = Router::start((*slot.server).clone()).await;
    if let Some(e) = err {
        printer.warn(&format!(
            "{}: no WebSocket ({e}); following its jobs by polling",
            slot.label
        ));
    }
    slot.router = Some(Rc::new(router));
    Ok(())
}

/// `batch.json`: everything needed to rebuild the job list for `--resume`.
#[derive(Debug, Serialize, Deserialize)]
struct PlanFile {
    schema_version: u32,
    comfyctl: String,
    created: String,
    workflow: String,
    /// The prompt with the batch-wide parameters applied (before uploads).
    prompt: Map<String, Value>,
    editor: Option<Value>,
    inputs: SavedInputs,
    plan: Plan,
    name: NameTemplate,
    flat_output: bool,
    total: usize,
    /// The `--profile`s and `--url`s the batch was started with, so `--resume` alone goes back
    /// to the same servers (URLs holding credentials are not kept).
    #[serde(default)]
    servers: SavedServers,
}

/// See [`PlanFile::servers`].
#[derive(Debug, Default, Serialize, Deserialize)]
struct SavedServers {
    profiles: Vec<String>,
    urls: Vec<String>,
}

/// Input files to upload (absolute paths), so a resume can upload them again to any server.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SavedInputs {
    image: Option<PathBuf>,
    inputs: Vec<String>,
    mask: Option<PathBuf>,
    replace_inputs: bool,
}

impl SavedInputs {
    fn from_args(a: &InputArgs) -> SavedInputs {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        SavedInputs {
            image: a.image.as_deref().map(abs),
            inputs: a
                .inputs
                .iter()
                .map(|s| match s.split_once('=') {
                    Some((k, v)) => format!("{k}={}", abs(Path::new(v)).display()),
                    None => s.clone(),
                })
                .collect(),
            mask: a.mask.as_deref().map(abs),
            replace_inputs: a.replace_inputs,
        }
    }

    fn to_args(&self) -> InputArgs {
        InputArgs {
            image: self.image.clone(),
            inputs: self.inputs.clone(),
            mask: self.mask.clone(),
            replace_inputs: self.replace_inputs,
        }
    }

    fn any(&self) -> bool {
        self.image.is_some() || !self.inputs.is_empty() || self.mask.is_some()
    }
}

/// Runs the command.
pub fn run(ctx: &Context, args: &BatchArgs) -> anyhow::Result<ExitStatus> {
    for (flag, v) in [
        ("--timeout", args.follow.timeout),
        ("--idle-timeout", args.follow.idle_timeout),
    ] {
        if let Some(t) = v
            && !(t.is_finite() && t > 0.0)
        {
            return Err(Failure::usage(format!(
                "invalid {flag} {t}: expected a positive number of seconds"
            ))
            .into());
        }
    }
    if args.jobs == Some(0) {
        return Err(Failure::usage("-j/--jobs must be at least 1").into());
    }
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
    let (file, dir, resumed) = match &args.resume {
        Some(dir) => {
            let f = load_plan_file(dir)?;
            (f, dir.clone(), true)
        }
        None => {
            let f = new_plan(ctx, args)?;
            if args.dry_run {
                return dry_run(ctx, args, &f);
            }
            let dir = batch_dir(ctx, args)?;
            (f, dir, false)
        }
    };
    if args.dry_run {
        return dry_run(ctx, args, &file);
    }
    let saved = &file.servers;
    let settings = if resumed
        && ctx.global.profile.is_empty()
        && ctx.global.url.is_empty()
        && !(saved.profiles.is_empty() && saved.urls.is_empty())
    {
        let s = ctx.settings_for(&saved.profiles, &saved.urls, None, args.follow.timeout)?;
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
        ctx.settings_all(None, args.follow.timeout)?
    };
    let mut servers = Vec::new();
    for s in &settings {
        let mut server = Server::new(s, crate::commands::run::debug_log(&ctx.printer))?;
        if let Some(k) = &args.submit.partner_key {
            server.partner_key = Some(crate::secret::Secret::new(k.clone()));
        }
        let limit = args
            .jobs
            .or(s.jobs)
            .unwrap_or(if server.is_cloud() { 1 } else { 2 });
        servers.push((server, limit));
    }
    let opts = JobOptions {
        timeout: settings[0].timeout,
        idle_timeout: args.follow.idle_timeout.map(Duration::from_secs_f64),
    };
    crate::commands::block_on(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(execute(ctx, args, file, dir, resumed, servers, opts))
            .await
    })?
}

fn load_plan_file(dir: &Path) -> anyhow::Result<PlanFile> {
    let path = dir.join(PLAN_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::usage(format!(
            "cannot resume {}: {} ({e}); is it a batch directory?",
            dir.display(),
            path.display()
        ))
    })?;
    let f: PlanFile = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{}:{}:{}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if f.schema_version != SCHEMA_VERSION {
        return Err(Failure::usage(format!(
            "{} was written by a comfyctl with batch schema {}; this one reads {SCHEMA_VERSION}",
            path.display(),
            f.schema_version
        ))
        .into());
    }
    Ok(f)
}

/// Reads the workflow, applies the batch-wide parameters, and builds and checks the plan.
fn new_plan(ctx: &Context, args: &BatchArgs) -> anyhow::Result<PlanFile> {
    let path = args.workflow.as_deref().expect("clap requires it");
    let mut provider = prepare::DefsProvider::new(ctx, &args.defs);
    let prepared = prepare::load_and_apply(ctx, path, &args.params, &mut provider, true)?;
    prepare::report_applied(&ctx.printer, &prepared.applied);
    let wf = prepared.wf;
    let sweeps = args
        .sweep
        .iter()
        .map(|s| plan::parse_sweep(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let (columns, rows) = match &args.params_file {
        Some(p) => plan::read_params_file(p).map_err(|e| Failure::usage(e.to_string()))?,
        None => (Vec::new(), Vec::new()),
    };
    let seed_param = schema::discover(&wf).into_iter().find(|p| p.name == "seed");
    let base_seed = seed_param.as_ref().and_then(|p| {
        let t = p.targets.first()?;
        wf.nodes[&t.node]["inputs"][&t.input].as_u64()
    });
    let p = Plan {
        count: args.count,
        seed_mode: match args.seed_mode {
            SeedModeArg::Increment => SeedMode::Increment,
            SeedModeArg::Random => SeedMode::Random,
            SeedModeArg::Fixed => SeedMode::Fixed,
        },
        base_seed: match (&seed_param, base_seed) {
            (Some(_), Some(s)) => Some(s),
            // A linked seed (a primitive, a seed node): set it through the seed parameter anyway.
            (Some(_), None) => Some(0),
            (None, _) => None,
        },
        batch_seed: rand::random(),
        sweeps,
        zip: args.zip,
        columns,
        rows,
    };
    p.check().map_err(|e| Failure::usage(e.to_string()))?;
    if args.count > 1 && p.base_seed.is_none() && !p.seed_is_swept() {
        ctx.printer.warn(&format!(
            "this workflow has no seed parameter: the {} repetitions of --count get the same inputs",
            args.count
        ));
    }
    if args.seed_mode != SeedModeArg::Increment && p.seed_is_swept() {
        ctx.printer
            .warn("--seed-mode does not apply: the seed is swept or set by the params file");
    }
    let name = NameTemplate {
        template: args.name.clone().unwrap_or_else(|| default_name(&p)),
    };
    name.check(&fields(&p))
        .map_err(|e| Failure::usage(e.to_string()))?;
    // Every value must apply before anything is sent: one check per distinct value.
    check_values(&wf, &p)?;
    check_unique_names(&p, &name)?;
    Ok(PlanFile {
        schema_version: SCHEMA_VERSION,
        comfyctl: env!("CARGO_PKG_VERSION").into(),
        created: now_utc(),
        workflow: wf.source_name.clone(),
        total: p.len(),
        prompt: wf.nodes,
        editor: wf.editor,
        inputs: SavedInputs::from_args(&args.inputs),
        plan: p,
        name,
        flat_output: args.flat_output,
        servers: SavedServers {
            profiles: ctx.global.profile.clone(),
            urls: ctx
                .global
                .url
                .iter()
                .filter(|u| !u.contains('@'))
                .cloned()
                .collect(),
        },
    })
}

fn default_name(p: &Plan) -> String {
    let mut s = String::from("{index:04}");
    for sw in p.sweeps.iter().take(3) {
        s.push_str(&format!("_{}", plan::safe_component(&sw.name)));
        s.push_str(&format!("-{{{}}}", sw.name));
    }
    if p.count > 1 && !p.seed_is_swept() && p.base_seed.is_some() && p.seed_mode != SeedMode::Fixed
    {
        s.push_str("_{seed}");
    }
    s
}

fn fields(p: &Plan) -> Vec<String> {
    let mut f = vec!["index".to_string(), "rep".into(), "seed".into()];
    for s in &p.sweeps {
        f.push(s.name.clone());
    }
    f.extend(p.columns.iter().cloned());
    f
}

fn check_values(wf: &Workflow, p: &Plan) -> anyhow::Result<()> {
    let mut no_random = || 0;
    let one = |name: &str, value: &str, origin: String, rng: &mut dyn FnMut() -> u64| {
        let arg = params::parse_param(&format!("{name}={value}"), &origin)
            .map_err(|e| anyhow::Error::from(e).context(origin.clone()))?;
        let mut scratch = wf.clone();
        params::apply_params(&mut scratch, &[arg], rng)
            .map_err(|e| anyhow::Error::from(e).context(origin))?;
        Ok::<_, anyhow::Error>(())
    };
    for s in &p.sweeps {
        for v in &s.values {
            one(
                &s.name,
                v,
                format!("--sweep {}={v}", s.name),
                &mut no_random,
            )?;
        }
    }
    for (n, row) in p.rows.iter().enumerate() {
        for (c, v) in p.columns.iter().zip(row) {
            if let Some(v) = v {
                one(
                    c,
                    v,
                    format!("params file row {}: {c}={v}", n + 1),
                    &mut no_random,
                )?;
            }
        }
    }
    Ok(())
}

fn check_unique_names(p: &Plan, name: &NameTemplate) -> anyhow::Result<()> {
    if p.len() > 1_000_000 {
        return Ok(());
    }
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(p.len());
    for i in 0..p.len() {
        let spec = p.job(i);
        let n = job_name(p, name, &spec);
        if let Some(first) = seen.insert(n.clone(), i) {
            return Err(Failure::usage(format!(
                "--name '{}' gives jobs {first} and {i} the same folder '{n}'; add {{index}} or a swept field",
                name.template
            ))
            .into());
        }
    }
    Ok(())
}

fn job_name(p: &Plan, name: &NameTemplate, spec: &JobSpec) -> String {
    name.render(&|f| match f {
        "index" => Some(spec.index.to_string()),
        "rep" => Some(spec.rep.to_string()),
        "seed" => Some(
            spec.seed
                .or(p.base_seed)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ),
        other => spec
            .params
            .iter()
            .rev()
            .find(|(k, _)| k == other)
            .map(|(_, v)| v.clone()),
    })
}

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
        let name = job_name(p, &f.name, &spec);
        if args.format.json || args.format.jsonl {
            let mut params: Map<String, Value> = spec
                .params
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            if let Some(s) = spec.seed {
                params.insert("seed".into(), json!(s));
            }
            ctx.printer
                .json_line(&json!({"index": i, "name": name, "params": params}))?;
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

fn now_utc() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    crate::commands::logs::utc(ms).replace(' ', "T") + "Z"
}

fn batch_dir(ctx: &Context, args: &BatchArgs) -> anyhow::Result<PathBuf> {
    let dir = match &args.output_dir {
        Some(d) => d.clone(),
        None => {
            let root = ctx.settings(None, None)?.output_dir;
            let stamp: String = now_utc()
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == 'T')
                .collect::<String>()
                .replace('T', "-");
            let mut d = root.join(format!("batch-{stamp}"));
            let mut n = 1;
            while d.exists() {
                n += 1;
                d = root.join(format!("batch-{stamp}-{n}"));
            }
            d
        }
    };
    if dir.join(PLAN_FILE).exists() || dir.join(MANIFEST_FILE).exists() {
        return Err(Failure::usage(format!(
            "{} already holds a batch; finish it with --resume {0} or choose another --output-dir",
            dir.display()
        ))
        .into());
    }
    Ok(dir)
}

fn write_plan_file(dir: &Path, f: &PlanFile) -> anyhow::Result<()> {
    let path = dir.join(PLAN_FILE);
    let text = serde_json::to_string_pretty(f)?;
    crate::fsutil::write_atomically(&path, text.as_bytes())
        .map_err(|source| ClientError::LocalIo { path, source })?;
    Ok(())
}

/// One server in the batch.
struct Slot {
    server: Rc<Server>,
    router: Option<Rc<Router>>,
    limit: usize,
    in_flight: usize,
    /// Since when it has been unreachable (`None` while up).
    down_since: Option<Instant>,
    base: Option<Rc<Workflow>>,
    done: usize,
    failed: usize,
    label: String,
}

impl Slot {
    fn is_down(&self) -> bool {
        self.down_since.is_some()
    }
}

/// What a job task hands back.
struct Finished {
    index: usize,
    slot: usize,
    name: String,
    applied: Vec<params::Applied>,
    seed: Option<u64>,
    outcome: Result<JobResult, ClientError>,
    saved: Vec<SavedFile>,
    download_error: Option<ClientError>,
}

#[derive(Default)]
struct Counts {
    done: usize,
    failed: usize,
    cancelled: usize,
    skipped: usize,
}

#[allow(clippy::too_many_arguments)]
async fn execute(
    ctx: &Context,
    args: &BatchArgs,
    file: PlanFile,
    dir: PathBuf,
    resumed: bool,
    servers: Vec<(Server, usize)>,
    opts: JobOptions,
) -> anyhow::Result<ExitStatus> {
    let printer = &ctx.printer;
    let total = file.plan.len();
    let prev = manifest::read_previous(&dir.join(MANIFEST_FILE), total).map_err(|source| {
        ClientError::LocalIo {
            path: dir.join(MANIFEST_FILE),
            source,
        }
    })?;
    if !prev.bad_lines.is_empty() {
        printer.warn(&format!(
            "{}: skipped {} unreadable line(s) (cut short when the batch was killed): {:?}",
            dir.join(MANIFEST_FILE).display(),
            prev.bad_lines.len(),
            prev.bad_lines
        ));
    }
    let mut counts = Counts {
        skipped: prev.done(),
        ..Counts::default()
    };
    let mut queue: VecDeque<usize> = (0..total).filter(|i| !prev.succeeded[*i]).collect();
    drop(prev);
    let base = Workflow {
        nodes: file.prompt.clone(),
        source_name: file.workflow.clone(),
        dropped_keys: Vec::new(),
        editor: file.editor.clone(),
        model_hints: Vec::new(),
    };

    // Servers: reachable ones get a socket and the inputs; the first one checks the prompts.
    let mut slots: Vec<Slot> = Vec::new();
    for (server, limit) in servers {
        let label = server.display_url();
        slots.push(Slot {
            server: Rc::new(server),
            router: None,
            limit,
            in_flight: 0,
            down_since: None,
            base: None,
            done: 0,
            failed: 0,
            label,
        });
    }
    let mut first_error: Option<ClientError> = None;
    for slot in &mut slots {
        match slot.server.get_json("/system_stats").await {
            Ok(_) => {}
            Err(e @ ClientError::Connect { .. }) => {
                printer.warn(&format!(
                    "{}: {e}; trying it again every {}s",
                    slot.label,
                    PROBE_EVERY.as_secs()
                ));
                slot.down_since = Some(Instant::now());
                first_error.get_or_insert(e);
            }
            // A proxy or Comfy Cloud without /system_stats: the submission will tell.
            Err(_) => {}
        }
    }
    if slots.iter().all(|s| s.is_down()) {
        return Err(first_error.expect("all down").into());
    }
    if queue.is_empty() {
        printer.info(&format!(
            "all {total} jobs of {} are done already",
            dir.display()
        ));
    }

    if !queue.is_empty() {
        let checker = slots.iter().position(|s| !s.is_down()).expect("one is up");
        if !args.submit.no_validate
            && !resumed
            && let Some(status) =
                validate_variants(ctx, args, &slots[checker].server, &base, &file.plan).await?
        {
            return Ok(status);
        }
        for slot in slots.iter_mut().filter(|s| !s.is_down()) {
            bring_up(slot, &base, &file.inputs, printer).await?;
        }
    }

    // Written only now: a batch refused before its start leaves no directory behind.
    if !resumed {
        write_plan_file(&dir, &file)?;
    }
    let mut manifest = Manifest::open(&dir).map_err(|source| ClientError::LocalIo {
        path: dir.join(MANIFEST_FILE),
        source,
    })?;
    let pending = queue.len();
    if pending > 0 {
        let servers_txt = slots
            .iter()
            .filter(|s| !s.is_down())
            .map(|s| format!("{} (-j {})", s.label, s.limit))
            .collect::<Vec<_>>()
            .join(", ");
        printer.info(&format!(
            "{} job{}{} on {servers_txt} → {}",
            pending,
            if pending == 1 { "" } else { "s" },
            if counts.skipped > 0 {
                format!(" ({} already done)", counts.skipped)
            } else {
                String::new()
            },
            dir.display()
        ));
    }

    // Ctrl-C: stop submitting, stop this batch's jobs on the servers, write the manifest.
    let cancel = CancellationToken::new();
    let interrupted = CancellationToken::new();
    {
        let (cancel, interrupted) = (cancel.clone(), interrupted.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.cancel();
                cancel.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(ExitStatus::Interrupted.code() as i32);
                }
            }
        });
    }

    let machine = args.format.json || args.format.jsonl;
    let ui = Ui::new(
        printer,
        !args.format.no_progress && !machine,
        pending,
        counts.skipped,
    );
    let started = Instant::now();
    let mut attempts: HashMap<usize, u32> = HashMap::new();
    let mut set: tokio::task::JoinSet<Finished> = tokio::task::JoinSet::new();
    let mut stopping = false;
    let mut fail_fast_hit = false;
    let mut probe = tokio::time::interval(PROBE_EVERY);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let plan = Rc::new(file.plan);
    let found = crate::workflow::schema::discover(&base);
    let name_t = Rc::new(file.name);
    let flat = file.flat_output;

    loop {
        // Hand out work to servers with free slots, the least loaded first.
        while !stopping && !queue.is_empty() {
            let Some(si) = (0..slots.len())
                .filter(|&i| !slots[i].is_down() && slots[i].in_flight < slots[i].limit)
                .min_by(|&a, &b| {
                    let la = slots[a].in_flight as f64 / slots[a].limit as f64;
                    let lb = slots[b].in_flight as f64 / slots[b].limit as f64;
                    la.partial_cmp(&lb).expect("finite")
                })
            else {
                break;
            };
            let index = queue.pop_front().expect("not empty");
            let spec = plan.job(index);
            let name = job_name(&plan, &name_t, &spec);
            let slot = &mut slots[si];
            let mut wf = (**slot.base.as_ref().expect("up servers have a base")).clone();
            let applied = match apply_job(&mut wf, &spec, &found) {
                Ok(a) => a,
                Err(e) => {
                    // Checked before the start; only a hand-edited batch.json gets here.
                    let line = failure_line(&spec, &name, &slot.label, "usage", &e.to_string());
                    record(&mut manifest, &line, printer)?;
                    counts.failed += 1;
                    continue;
                }
            };
            slot.in_flight += 1;
            let server = slot.server.clone();
            let router = slot.router.clone().expect("up servers have a router");
            let save = SaveOptions {
                output_dir: dir.join(&name),
                flat,
                overwrite: false,
            };
            let mut reporter = ui.job_line(&name, &slot.label);
            let cancel = cancel.clone();
            let opts = opts.clone();
            let seed = spec.seed.or(plan.base_seed);
            set.spawn_local(async move {
                let outcome =
                    run_routed(&server, &router, &wf, &opts, &mut reporter, &cancel).await;
                let mut saved = Vec::new();
                let mut download_error = None;
                if let Ok(job) = &outcome {
                    let (files, _) = job
                        .entry
                        .as_ref()
                        .map(|e| outputs::collect(&e.outputs()))
                        .unwrap_or_default();
                    for f in &files {
                        if cancel.is_cancelled() {
                            download_error.get_or_insert(ClientError::Cancelled);
                            break;
                        }
                        match outputs::download(&server, f, &save, &mut reporter, &cancel).await {
                            Ok(s) => saved.push(s),
                            Err(e) => {
                                download_error.get_or_insert(e);
                            }
                        }
                    }
                }
                reporter.finish();
                Finished {
                    index,
                    slot: si,
                    name,
                    applied,
                    seed,
                    outcome,
                    saved,
                    download_error,
                }
            });
        }

        if set.is_empty() {
            if queue.is_empty() || stopping {
                break;
            }
            // Work left but every server is down: wait for one to come back, for a while.
            let since = slots
                .iter()
                .filter_map(|s| s.down_since)
                .max()
                .unwrap_or_else(Instant::now);
            if since.elapsed() > ALL_DOWN_GRACE {
                let reason = format!("no server reachable for {}s", ALL_DOWN_GRACE.as_secs());
                ui.suspend(|| printer.error(&reason, &[], None));
                while let Some(index) = queue.pop_front() {
                    let spec = plan.job(index);
                    let name = job_name(&plan, &name_t, &spec);
                    let line = failure_line(&spec, &name, "", "connect", &reason);
                    record(&mut manifest, &line, printer)?;
                    counts.failed += 1;
                }
                break;
            }
        }

        tokio::select! {
            biased;
            _ = cancel.cancelled(), if !stopping => {
                stopping = true;
                if interrupted.is_cancelled() {
                    ui.suspend(|| printer.warn("interrupted: stopping this batch's jobs on the servers; finished jobs are in the manifest"));
                }
            }
            Some(joined) = set.join_next() => {
                let fin = match joined {
                    Ok(f) => f,
                    Err(e) => return Err(anyhow::anyhow!("a batch task failed: {e}")),
                };
                let slot = &mut slots[fin.slot];
                slot.in_flight -= 1;
                // A server that went away: its job goes back in the queue for the others.
                let moved = match &fin.outcome {
                    Err(ClientError::Connect { .. }) => true,
                    Ok(j) if j.status == JobStatus::Lost => true,
                    _ => false,
                };
                // Only moved jobs are tracked, so the map does not grow with the batch.
                let tries = attempts.remove(&fin.index).unwrap_or(0) + 1;
                if moved && !stopping && tries < MAX_ATTEMPTS {
                    attempts.insert(fin.index, tries);
                    if matches!(fin.outcome, Err(ClientError::Connect { .. })) && !slot.is_down() {
                        slot.down_since = Some(Instant::now());
                        let label = slot.label.clone();
                        ui.suspend(|| printer.warn(&format!("{label} is down; moving its jobs to the other servers")));
                    }
                    queue.push_front(fin.index);
                    continue;
                }
                let line = result_line(&plan, &fin, &slots[fin.slot].label, &dir, tries);
                let status = line["status"].as_str().unwrap_or("failed").to_string();
                record(&mut manifest, &line, printer)?;
                match status.as_str() {
                    "success" => {
                        counts.done += 1;
                        slots[fin.slot].done += 1;
                    }
                    "cancelled" => counts.cancelled += 1,
                    _ => {
                        counts.failed += 1;
                        slots[fin.slot].failed += 1;
                    }
                }
                if args.format.jsonl {
                    printer.json_line(&line)?;
                } else if !args.format.json {
                    ui.suspend(|| {
                        fin.saved
                            .iter()
                            .try_for_each(|s| printer.data_line(&s.path.display().to_string()))
                    })?;
                }
                ui.job_done(&fin.name, &status, &line, &counts);
                if args.fail_fast && !matches!(status.as_str(), "success" | "cancelled") && !stopping {
                    fail_fast_hit = true;
                    stopping = true;
                    ui.suspend(|| printer.warn(&format!("--fail-fast: job {} ({}) failed; stopping this batch's other jobs", fin.index, fin.name)));
                    cancel.cancel();
                }
            }
            _ = probe.tick(), if slots.iter().any(|s| s.is_down()) && !queue.is_empty() => {
                for slot in slots.iter_mut().filter(|s| s.is_down()) {
                    let ok = tokio::time::timeout(Duration::from_secs(2), slot.server.get_json("/system_stats")).await;
                    if !matches!(ok, Ok(Ok(_))) {
                        continue;
                    }
                    let label = slot.label.clone();
                    if slot.base.is_none() {
                        // Down since the start: it gets its inputs and socket now.
                        if let Err(e) = bring_up(slot, &base, &file.inputs, printer).await {
                            ui.suspend(|| printer.warn(&format!("{label} answered but could not be set up: {e:#}")));
                            continue;
                        }
                    }
                    slot.down_since = None;
                    ui.suspend(|| printer.info(&format!("{label} is up; sending it jobs")));
                }
            }
        }
    }
    ui.clear();
    for slot in &mut slots {
        if let Some(r) = slot.router.take()
            && let Ok(r) = Rc::try_unwrap(r)
        {
            r.shutdown().await;
        }
    }
    let elapsed = started.elapsed();
    drop(manifest);

    let mut grid_info = Value::Null;
    if let Some(g) = &args.grid {
        match draw_grid(&dir, g, &plan, &name_t) {
            Ok((info, stats)) => {
                printer.info(&format!(
                    "grid: {} ({} image{}, {} empty cell{})",
                    g.display(),
                    stats.images,
                    if stats.images == 1 { "" } else { "s" },
                    stats.empty,
                    if stats.empty == 1 { "" } else { "s" }
                ));
                for u in stats.unreadable.iter().take(5) {
                    printer.warn(&format!("grid: cannot read {u}"));
                }
                grid_info = info;
            }
            Err(e) => printer.error(&format!("cannot draw the grid: {e}"), &[], None),
        }
    }

    let status = if interrupted.is_cancelled() {
        ExitStatus::Interrupted
    } else if counts.failed > 0 || fail_fast_hit {
        ExitStatus::JobFailed
    } else {
        ExitStatus::Success
    };
    let summary = json!({
        "schema_version": SCHEMA_VERSION,
        "type": "summary",
        "dir": dir.display().to_string(),
        "manifest": dir.join(MANIFEST_FILE).display().to_string(),
        "total": total,
        "done": counts.done,
        "failed": counts.failed,
        "cancelled": counts.cancelled,
        "skipped": counts.skipped,
        "not_run": total - counts.done - counts.failed - counts.cancelled - counts.skipped,
        "elapsed_s": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "jobs_per_s": if elapsed.as_secs_f64() > 0.0 { ((counts.done + counts.failed) as f64 / elapsed.as_secs_f64() * 100.0).round() / 100.0 } else { 0.0 },
        "servers": slots.iter().map(|s| json!({"url": s.label, "jobs": s.limit, "done": s.done, "failed": s.failed, "down": s.is_down()})).collect::<Vec<_>>(),
        "grid": grid_info,
        "exit_code": status.code(),
    });
    if args.format.json || args.format.jsonl {
        if args.format.jsonl {
            printer.json_line(&summary)?;
        } else {
            printer.json_pretty(&summary)?;
        }
    }
    print_summary(printer, &summary, &slots, status);
    Ok(status)
}

/// Applies a job's values. `found` is the base workflow's friendly parameters, traced once per
/// batch; a job that sets `NODE.input` (which could change links) traces its own copy.
fn apply_job(
    wf: &mut Workflow,
    spec: &JobSpec,
    found: &[crate::workflow::schema::Param],
) -> anyhow::Result<Vec<params::Applied>> {
    let mut list: Vec<ParamArg> = Vec::new();
    for (k, v) in &spec.params {
        list.push(params::parse_param(
            &format!("{k}={v}"),
            &format!("{k}={v}"),
        )?);
    }
    if let Some(s) = spec.seed {
        list.push(params::flag_param("seed", "--seed-mode", &s.to_string()));
    }
    let mut no_random = || rand::random_range(0..params::MAX_RANDOM_SEED);
    if list.iter().all(|p| matches!(p, ParamArg::Named { .. })) {
        Ok(params::apply_params_found(
            wf,
            &list,
            found,
            &mut no_random,
        )?)
    } else {
        Ok(params::apply_params(wf, &list, &mut no_random)?)
    }
}

fn record(m: &mut Manifest, line: &Value, printer: &Printer) -> anyhow::Result<()> {
    m.append(line).map_err(|source| {
        printer.error("the manifest could not be written; stopping", &[], None);
        ClientError::LocalIo {
            path: m.path.clone(),
            source,
        }
    })?;
    Ok(())
}

fn failure_line(spec: &JobSpec, name: &str, server: &str, kind: &str, message: &str) -> Value {
    json!({
        "index": spec.index,
        "name": name,
        "params": spec.params.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect::<Map<String, Value>>(),
        "seed": spec.seed,
        "prompt_id": null,
        "server": server,
        "status": "failed",
        "outputs": [],
        "timings": null,
        "error": {"kind": kind, "message": message},
        "finished_at": now_utc(),
    })
}

fn result_line(plan: &Plan, fin: &Finished, server: &str, dir: &Path, attempt: u32) -> Value {
    let spec = plan.job(fin.index);
    let mut params: Map<String, Value> = Map::new();
    for a in &fin.applied {
        params.insert(a.name.clone(), a.value.clone());
    }
    let outputs: Vec<Value> = fin
        .saved
        .iter()
        .map(|s| {
            let rel = s.path.strip_prefix(dir).unwrap_or(&s.path);
            json!({"node_id": s.file.node_id, "kind": s.file.kind, "filename": s.file.filename,
                   "subfolder": s.file.subfolder, "type": s.file.file_type,
                   "path": rel.display().to_string(), "bytes": s.bytes})
        })
        .collect();
    let (status, prompt_id, timings, error) = match &fin.outcome {
        Ok(job) => {
            let (status, error) = job_status(job, fin.download_error.as_ref());
            (
                status,
                Value::from(job.prompt_id.as_str()),
                serde_json::to_value(&job.timings).unwrap_or(Value::Null),
                error,
            )
        }
        Err(ClientError::Cancelled) => (
            "cancelled",
            Value::Null,
            Value::Null,
            json!({"kind": "cancelled", "message": "cancelled before it was queued"}),
        ),
        Err(ClientError::Rejected(rej)) => (
            "rejected",
            Value::Null,
            Value::Null,
            json!({"kind": "rejected", "message": rej.message, "type": rej.kind, "details": rej.details, "node_errors": rej.node_errors}),
        ),
        Err(e) => (
            "failed",
            Value::Null,
            Value::Null,
            json!({"kind": e.code(), "message": e.to_string()}),
        ),
    };
    json!({
        "index": fin.index,
        "name": fin.name,
        "params": params,
        "seed": fin.seed,
        "rep": spec.rep,
        "prompt_id": prompt_id,
        "server": server,
        "status": status,
        "outputs": outputs,
        "timings": timings,
        "error": error,
        "attempt": attempt,
        "finished_at": now_utc(),
    })
}

fn job_status(job: &JobResult, dl: Option<&ClientError>) -> (&'static str, Value) {
    match job.status {
        JobStatus::Success => match dl {
            None if job.dropped.is_empty() => ("success", Value::Null),
            None => (
                "partial",
                json!({"kind": "partial", "message": "the server dropped outputs that failed validation", "node_errors": job.dropped}),
            ),
            Some(ClientError::Cancelled) => (
                "cancelled",
                json!({"kind": "cancelled", "message": "interrupted while saving outputs"}),
            ),
            Some(e) => (
                "failed",
                json!({"kind": e.code(), "message": format!("not every output was saved: {e}")}),
            ),
        },
        JobStatus::Error => {
            let e = job.error.clone().unwrap_or_default();
            (
                "error",
                json!({"kind": "execution", "message": job.message, "node_id": e.node_id, "node_type": e.node_type,
                       "exception_type": e.exception_type, "exception_message": e.exception_message}),
            )
        }
        s => (
            s.as_str(),
            json!({"kind": s.as_str(), "message": job.message}),
        ),
    }
}

/// Checks every distinct variant of the prompt (each swept value, each params-file row)
/// against the server's node definitions before anything is queued.
async fn validate_variants(
    ctx: &Context,
    args: &BatchArgs,
    server: &Server,
    base: &Workflow,
    p: &Plan,
) -> anyhow::Result<Option<ExitStatus>> {
    let printer = &ctx.printer;
    let mut variants: Vec<(String, Workflow)> = vec![("every job".into(), base.clone())];
    let mut seen = HashSet::new();
    let mut add = |label: String, name: &str, value: &str| -> anyhow::Result<()> {
        if !seen.insert((name.to_string(), value.to_string())) {
            return Ok(());
        }
        let mut wf = base.clone();
        let arg = params::parse_param(&format!("{name}={value}"), &label)?;
        params::apply_params(&mut wf, &[arg], &mut || 0)?;
        variants.push((label, wf));
        Ok(())
    };
    for s in &p.sweeps {
        for v in &s.values {
            add(format!("--sweep {}={v}", s.name), &s.name, v)?;
        }
    }
    for (n, row) in p.rows.iter().enumerate().take(10_000) {
        for (c, v) in p.columns.iter().zip(row) {
            if let Some(v) = v {
                add(format!("params file row {}: {c}={v}", n + 1), c, v)?;
            }
        }
    }
    let mut defs = None;
    for (label, wf) in variants {
        let (report, d) = match prepare::validate_with_refresh(
            Some(server),
            &args.defs,
            &wf,
            defs.take(),
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                if e.downcast_ref::<ClientError>()
                    .is_some_and(|c| matches!(c, ClientError::Connect { .. }))
                {
                    return Err(e);
                }
                printer.warn(&format!(
                    "cannot check the prompts before sending them ({e}); the server will"
                ));
                return Ok(None);
            }
        };
        defs = Some(d);
        if report.rejection.is_none() && report.partial.is_empty() {
            continue;
        }
        let rej = prepare::local_rejection(&report).expect("not clean");
        eprint!(
            "{}",
            crate::commands::run::format_rejection(
                printer,
                &rej,
                &format!("the server would reject the prompt with {label}")
            )
        );
        printer.info(&format!(
            "{} nothing was queued; --no-validate sends the batch anyway",
            printer.paint_hint()
        ));
        return Ok(Some(ExitStatus::Rejected));
    }
    Ok(None)
}

fn draw_grid(
    dir: &Path,
    out: &Path,
    p: &Plan,
    name: &NameTemplate,
) -> Result<(Value, grid::RenderStats), String> {
    // The first image of each job, from the manifest (this run's and earlier runs' lines).
    let total = p.len();
    let mut first: Vec<Option<PathBuf>> = vec![None; total];
    let f = std::fs::File::open(dir.join(MANIFEST_FILE)).map_err(|e| e.to_string())?;
    manifest::for_each_line(f, |_, v| {
        let Some(v) = v else { return };
        if v["status"] != "success" {
            return;
        }
        let Some(i) = v["index"]
            .as_u64()
            .map(|i| i as usize)
            .filter(|i| *i < total)
        else {
            return;
        };
        let img = v["outputs"].as_array().and_then(|o| {
            o.iter().find(|x| {
                x["kind"] == "images"
                    && x["path"].as_str().is_some_and(|p| {
                        let l = p.to_ascii_lowercase();
                        [".png", ".jpg", ".jpeg", ".webp"]
                            .iter()
                            .any(|e| l.ends_with(e))
                    })
            })
        });
        if let Some(path) = img.and_then(|x| x["path"].as_str()) {
            first[i] = Some(dir.join(path));
        }
    })
    .map_err(|e| e.to_string())?;

    let axis = |s: &plan::Sweep| Axis {
        name: s.name.clone(),
        values: s.values.clone(),
    };
    let xy = p.rows.is_empty() && !p.zip && (1..=2).contains(&p.sweeps.len());
    type CellIndex<'a> = Box<dyn Fn(usize, usize) -> Option<usize> + 'a>;
    let (layout, cell_index): (Layout, CellIndex) = if xy {
        let x = &p.sweeps[0];
        let per = |combo: usize, rep: usize| Some(combo * p.count + rep);
        if p.sweeps.len() == 2 {
            let y = &p.sweeps[1];
            let ny = y.values.len();
            (
                Layout::new(x.values.len(), ny, Some(axis(x)), Some(axis(y))),
                // Combination = xi * ny + yi (the last sweep varies fastest); repetition 0.
                Box::new(move |c, r| per(c * ny + r, 0)),
            )
        } else if p.count > 1 {
            let seeds: Vec<String> = (0..p.count)
                .map(|r| {
                    p.job(r)
                        .seed
                        .or(p.base_seed)
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| format!("#{r}"))
                })
                .collect();
            (
                Layout::new(
                    x.values.len(),
                    p.count,
                    Some(axis(x)),
                    Some(Axis {
                        name: "seed".into(),
                        values: seeds,
                    }),
                ),
                Box::new(per),
            )
        } else {
            (
                Layout::new(x.values.len(), 1, Some(axis(x)), None),
                Box::new(move |c, _| per(c, 0)),
            )
        }
    } else {
        let l = Layout::plain(total);
        let cols = l.cols;
        (l, Box::new(move |c, r| Some(r * cols + c)))
    };
    let cell = |c: usize, r: usize| {
        cell_index(c, r)
            .filter(|i| *i < total)
            .and_then(|i| first[i].clone())
    };
    let caption = |c: usize, r: usize| -> Option<String> {
        if xy {
            return None;
        }
        let i = cell_index(c, r).filter(|i| *i < total)?;
        Some(job_name(p, name, &p.job(i)))
    };
    let stats = grid::render(&layout, &cell, &caption, out)?;
    let info = json!({"path": out.display().to_string(), "cols": layout.cols, "rows": layout.rows,
                      "x": layout.x, "y": layout.y, "images": stats.images, "empty": stats.empty});
    Ok((info, stats))
}

fn print_summary(printer: &Printer, s: &Value, slots: &[Slot], status: ExitStatus) {
    if printer.verbosity == Verbosity::Quiet {
        return;
    }
    let mut line = format!("{} done, {} failed", s["done"], s["failed"]);
    if s["cancelled"].as_u64().unwrap_or(0) > 0 {
        line.push_str(&format!(", {} cancelled", s["cancelled"]));
    }
    if s["skipped"].as_u64().unwrap_or(0) > 0 {
        line.push_str(&format!(", {} skipped (done before)", s["skipped"]));
    }
    if s["not_run"].as_u64().unwrap_or(0) > 0 {
        line.push_str(&format!(", {} not run", s["not_run"]));
    }
    line.push_str(&format!(
        " of {} in {:.1}s ({} jobs/s)",
        s["total"],
        s["elapsed_s"].as_f64().unwrap_or(0.0),
        s["jobs_per_s"]
    ));
    let head = if status == ExitStatus::Success {
        printer.green("batch finished:")
    } else {
        printer.red("batch finished:")
    };
    eprintln!("{head} {line}");
    if slots.len() > 1 {
        for sl in slots {
            eprintln!(
                "  {}: {} done, {} failed{}",
                sl.label,
                sl.done,
                sl.failed,
                if sl.is_down() { " (down)" } else { "" }
            );
        }
    }
    eprintln!("  manifest: {}", s["manifest"].as_str().unwrap_or(""));
    if status == ExitStatus::Interrupted
        || s["not_run"].as_u64().unwrap_or(0) > 0
        || s["failed"].as_u64().unwrap_or(0) > 0
    {
        eprintln!(
            "  {} comfyctl batch --resume {} runs the jobs that did not succeed",
            printer.paint_hint(),
            s["dir"].as_str().unwrap_or("")
        );
    }
}

/// Progress for a batch: one overall bar and a line per job in flight on a terminal;
/// milestone lines otherwise.
struct Ui {
    printer: Printer,
    bars: Option<(MultiProgress, ProgressBar)>,
    total: usize,
    skipped: usize,
    last_milestone: std::cell::Cell<usize>,
}

impl Ui {
    fn new(printer: &Printer, allow_bars: bool, pending: usize, skipped: usize) -> Ui {
        let bars = (allow_bars && printer.stderr_tty && printer.verbosity == Verbosity::Normal)
            .then(|| {
                let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
                let overall = multi.add(ProgressBar::new(pending as u64));
                overall.set_style(
                    ProgressStyle::with_template(
                        "{spinner:.cyan} {elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} jobs  ETA {eta}  {msg}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                overall.enable_steady_tick(Duration::from_millis(120));
                (multi, overall)
            });
        Ui {
            printer: printer.clone(),
            bars,
            total: pending,
            skipped,
            last_milestone: std::cell::Cell::new(0),
        }
    }

    fn job_line(&self, name: &str, server: &str) -> JobLine {
        let bar = self.bars.as_ref().map(|(multi, _)| {
            let b = multi.add(ProgressBar::new_spinner());
            b.set_style(
                ProgressStyle::with_template("  {spinner:.dim} {prefix:.bold} {msg}")
                    .expect("valid template"),
            );
            b.set_prefix(name.to_string());
            b.set_message(format!("{server}  queued"));
            b
        });
        JobLine {
            bar,
            server: server.to_string(),
            node: String::new(),
        }
    }

    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bars {
            Some((m, _)) => m.suspend(f),
            None => f(),
        }
    }

    fn job_done(&self, name: &str, status: &str, line: &Value, c: &Counts) {
        let finished = c.done + c.failed + c.cancelled;
        if let Some((_, overall)) = &self.bars {
            overall.inc(1);
            let secs = overall.elapsed().as_secs_f64().max(0.001);
            let mut msg = format!("{:.1} jobs/s", finished as f64 / secs);
            if c.failed > 0 {
                msg.push_str(&format!(", {} failed", c.failed));
            }
            overall.set_message(msg);
        }
        if status != "success" && status != "cancelled" {
            let msg = line["error"]["message"]
                .as_str()
                .unwrap_or(status)
                .to_string();
            self.suspend(|| {
                self.printer
                    .warn(&format!("job {} ({name}) {status}: {msg}", line["index"]))
            });
        }
        if self.bars.is_none() && self.printer.verbosity == Verbosity::Normal && self.total > 0 {
            // Milestones: every 10% (and the last job), so logs stay readable for big batches.
            let step = (self.total / 10).max(1);
            if finished / step > self.last_milestone.get() || finished == self.total {
                self.last_milestone.set(finished / step);
                self.printer.info(&format!(
                    "batch: {}/{} jobs finished ({} failed){}",
                    finished,
                    self.total,
                    c.failed,
                    if self.skipped > 0 {
                        format!(", {} done before", self.skipped)
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }

    fn clear(&self) {
        if let Some((m, overall)) = &self.bars {
            overall.finish_and_clear();
            let _ = m.clear();
        }
    }
}

/// One job's line under the overall bar.
struct JobLine {
    bar: Option<ProgressBar>,
    server: String,
    node: String,
}

impl JobLine {
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Reporter for JobLine {
    fn report(&mut self, event: JobEvent) {
        let Some(bar) = &self.bar else { return };
        match event {
            JobEvent::Started => bar.set_message(format!("{}  running", self.server)),
            JobEvent::Node {
                class_type, node, ..
            } => {
                self.node = class_type.unwrap_or(node);
                bar.set_message(format!("{}  {}", self.server, self.node));
            }
            JobEvent::Progress { value, max, .. } => bar.set_message(format!(
                "{}  {}  step {value}/{max}",
                self.server, self.node
            )),
            JobEvent::Saved { .. } => bar.set_message(format!("{}  saving", self.server)),
            _ => {}
        }
        bar.tick();
    }
}
