//! Every clap type: the command tree, the per-command arguments, shared flag groups
//! ([`args`]), value checks ([`values`]) and completion ([`complete`]). Commands convert these
//! into plain settings before doing any work.

mod args;
pub mod complete;
mod mcp;
pub mod values;

pub use args::{
    DefsArgs, FollowArgs, FormatArgs, InputArgs, ParamArgs, SaveArgs, ShowArgs, SubmitArgs,
};
pub use mcp::McpArgs;

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
  70   internal error: a bug in comfyctl (please report it)
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
    /// Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)
    #[arg(long, global = true, value_name = "NAME", action = clap::ArgAction::Append,
          add = clap_complete::ArgValueCompleter::new(complete::profile_names))]
    pub profile: Vec<String>,
    /// Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)
    #[arg(long, global = true, value_name = "URL", action = clap::ArgAction::Append)]
    pub url: Vec<String>,
    /// Only print errors (and data on stdout)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every request and server message on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colour on stderr (NO_COLOR is respected)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Accept any TLS certificate from the server (a self-signed one you trust); warns every time
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Which API to drive the server through: native (ComfyUI's own), v1 (Comfy Cloud's
    /// /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto
    /// (ask the server once) [env: COMFYCTL_API] [default: auto]
    #[arg(long, global = true, value_name = "API", value_parser = ["native", "v1", "v2", "auto"])]
    pub api: Option<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workflow (API or editor format), follow it, and save its outputs
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// List a workflow's friendly parameters, models, embeddings and outputs
    #[command(after_help = PARAMS_EXAMPLES)]
    Params(ParamsArgs),
    /// Run a workflow many times: counts and parameter sweeps, in parallel, across servers
    #[command(after_help = BATCH_EXAMPLES)]
    Batch(BatchArgs),
    /// Check a workflow (and parameters) against the server's node definitions without running it
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Convert an editor-saved (UI-format) workflow to API format
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
    /// What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it
    #[command(after_help = DEPS_EXAMPLES)]
    Deps(DepsArgs),
    /// Live view of a server, or follow one job to its end (saving previews and outputs)
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(WatchArgs),
    /// Running and pending jobs; `queue clear` removes the pending ones
    #[command(after_help = QUEUE_EXAMPLES)]
    Queue(QueueArgs),
    /// Stop jobs: interrupt a running one, remove a pending one
    #[command(after_help = CANCEL_EXAMPLES)]
    Cancel(CancelArgs),
    /// Is the server working: a checklist, and with --smoke a real round trip
    #[command(after_help = HEALTH_EXAMPLES)]
    Health(HealthArgs),
    /// Why a prompt failed (or whether it still runs), the last jobs, or the server's log
    #[command(after_help = LOGS_EXAMPLES)]
    Logs(LogsArgs),
    /// What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit
    #[command(after_help = HW_EXAMPLES)]
    Hw(HwArgs),
    /// Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile
    #[command(after_help = SETUP_EXAMPLES)]
    Setup(SetupArgs),
    /// Show the resolved settings or where the config file lives
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Write an HTML page for a batch folder: thumbnails, parameters, errors, filters, grid
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Serve every tool and workflow to AI agents over the Model Context Protocol (stdio)
    #[command(after_help = mcp::MCP_EXAMPLES)]
    Mcp(McpArgs),
}

const REPORT_EXAMPLES: &str = "\
Examples:
  comfyctl report outputs/batch-20261123-101500          # writes …/report.html
  comfyctl report sweep -o sweep-report.html
  comfyctl report sweep -o - > page.html                  # links as if saved in sweep/

One self-contained file: thumbnails are inside it, and each links to its full image by a
relative path, so the page works from file:// and the folder can be zipped and shared.
A batch still running or resumed is fine: jobs without a line yet show as not finished.";

/// `comfyctl report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The batch folder (it holds batch.json and batch.jsonl)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write the page here (- for stdout) [default: DIR/report.html]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print one JSON object (path and counts) instead of the path
    #[arg(long)]
    pub json: bool,
}

const RUN_EXAMPLES: &str = "\
Examples:
  comfyctl run workflow_api.json
  comfyctl run workflow_api.json --prompt 'a red fox in snow' --seed 7 --steps 30
  comfyctl run workflow_api.json -p prompt='a red fox' -p seed=random -p sampler=dpmpp_2m
  comfyctl run workflow_api.json -p seed@10=7            # only node 10's seed
  comfyctl run img2img.json --image photo.png -p denoise=0.6
  comfyctl run workflow_api.json --set 3.seed=7 --set 'Positive.text=a red fox'
  comfyctl run workflow_api.json --json --output-dir renders
  cat workflow_api.json | comfyctl run - --print-prompt
  comfyctl run workflow_api.json --no-download        # print /view URLs instead
  comfyctl run workflow_api.json --show               # the image in the terminal too

`comfyctl params WORKFLOW` lists the parameter names a workflow has.
stdout gets one saved path per line (or one JSON object with --json); progress goes to stderr.";

const PARAMS_EXAMPLES: &str = "\
Examples:
  comfyctl params workflow_api.json
  comfyctl params workflow_api.json --json | jq '.params[] | {name, value}'
  comfyctl params workflow_api.json -p seed=7 --print-prompt   # show the prompt after changes

Parameters are found by tracing the graph (a sampler's positive input back to its text
encoders, …), not by titles. A name that maps to several inputs sets all of them;
NAME@NODE sets one.";

const VALIDATE_EXAMPLES: &str = "\
Examples:
  comfyctl validate workflow_api.json
  comfyctl validate workflow_api.json -p steps=500 -p sampler=dpmpp_2m
  comfyctl validate workflow_api.json --object-info object_info.json   # offline
  curl -s http://127.0.0.1:8188/object_info > object_info.json

Exits 0 when the server would accept the prompt, 3 when it would reject it.";

const CONVERT_EXAMPLES: &str = "\
Examples:
  comfyctl convert saved.json > saved_api.json          # node definitions from the server
  comfyctl convert saved.json -o saved_api.json --object-info object_info.json
  comfyctl convert saved.json -p prompt='a red fox' -p seed=7 -o fox_api.json

run, params and validate accept editor workflows directly; convert writes the API format
once, e.g. to commit it or to run it where no server is reachable.";

/// `comfyctl run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Workflow JSON (API format or as the editor saves it), or - for stdin
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// Parameters.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Input files.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Validation.
    #[command(flatten)]
    pub defs: DefsArgs,
    /// Submission.
    #[command(flatten)]
    pub submit: SubmitArgs,
    /// Submit and exit at once: print the prompt id (and client id) instead of following the job
    #[arg(long, help_heading = "Submission", conflicts_with_all = ["jsonl", "no_download"])]
    pub detach: bool,
    /// Do not embed an editor workflow in the submission (saved PNGs then lack it)
    #[arg(help_heading = "Submission", long)]
    pub no_embed_workflow: bool,
    /// Exit 0 even when the server dropped outputs that failed validation
    #[arg(help_heading = "Submission", long)]
    pub allow_partial: bool,
    /// Following the job.
    #[command(flatten)]
    pub follow: FollowArgs,
    /// Saving outputs.
    #[command(flatten)]
    pub save: SaveArgs,
    /// Print the final prompt JSON and exit without contacting the server
    #[arg(help_heading = "Output", long)]
    pub print_prompt: bool,
    /// Do not download; print each output's /view URL on stdout
    #[arg(help_heading = "Output", long)]
    pub no_download: bool,
    /// Output format.
    #[command(flatten)]
    pub format: FormatArgs,
    /// Images in the terminal: the saved images after the run, the latest preview while it runs.
    #[command(flatten)]
    pub show: ShowArgs,
}

const BATCH_EXAMPLES: &str = "\
Examples:
  comfyctl batch wf.json --count 8                          # seeds base, base+1, …
  comfyctl batch wf.json --count 8 --seed-mode random
  comfyctl batch wf.json --sweep cfg=4,7 --sweep steps=10,20 -j 4 --grid grid.png
  comfyctl batch wf.json --sweep cfg=4,7 --report sweep.html --show   # page + grid shown
  comfyctl batch wf.json --sweep steps=10..40:10 --sweep sampler=euler,dpmpp_2m
  comfyctl batch wf.json --sweep prompt='a fox,a cat' --sweep seed=1,2 --zip
  comfyctl batch wf.json --params-file prompts.csv --name '{index:04}_{prompt}'
  comfyctl batch wf.json --count 100 --profile gpu1 --profile gpu2
  comfyctl batch --resume outputs/batch-20261123-101500   # only the jobs not done yet

Each job saves into its own folder under the batch directory, and batch.jsonl gets one line
per finished job (parameters, prompt id, server, status, outputs, timings, error).
Exit codes: 0 all done, 1 some job failed, 2 usage, 3 rejected before the start, 4 no server
reachable, 130 Ctrl-C (running jobs of this batch are stopped on the servers).";

/// `comfyctl batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Workflow JSON (API format or as the editor saves it), or - for stdin
    #[arg(value_name = "WORKFLOW", required_unless_present = "resume")]
    pub workflow: Option<PathBuf>,
    /// Parameters every job gets.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Input files.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Validation.
    #[command(flatten)]
    pub defs: DefsArgs,
    /// Run every combination this many times
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = "Jobs", value_parser = values::count)]
    pub count: usize,
    /// Seeds across --count repetitions: increment (the workflow's seed + n), random, or fixed
    #[arg(long, value_enum, default_value_t = SeedModeArg::Increment, value_name = "MODE", help_heading = "Jobs")]
    pub seed_mode: SeedModeArg,
    /// Sweep a parameter: NAME=V1,V2,… or a range START..END[:STEP] (repeat for a cartesian product)
    #[arg(long, value_name = "NAME=VALUES", help_heading = "Jobs")]
    pub sweep: Vec<String>,
    /// Pair the sweeps' values (first with first, …) instead of every combination
    #[arg(long, help_heading = "Jobs")]
    pub zip: bool,
    /// One job per row: CSV with a header of parameter names, or JSON Lines
    #[arg(long, value_name = "FILE", help_heading = "Jobs")]
    pub params_file: Option<PathBuf>,
    /// List the jobs and exit without contacting a server
    #[arg(long, help_heading = "Jobs")]
    pub dry_run: bool,
    /// Finish the batch in DIR: run only the jobs without a successful line in its batch.jsonl
    /// (the batch's own arguments may be repeated: they must match its plan)
    #[arg(long, value_name = "DIR", help_heading = "Jobs")]
    pub resume: Option<PathBuf>,
    /// Jobs in flight per server [default: 2 locally, the profile's `jobs` on Comfy Cloud]
    #[arg(short = 'j', long = "jobs", value_name = "N", help_heading = "Submission", value_parser = values::jobs)]
    pub jobs: Option<usize>,
    /// Stop at the first failed job (running jobs of this batch are interrupted)
    #[arg(long, help_heading = "Submission")]
    pub fail_fast: bool,
    /// Submission.
    #[command(flatten)]
    pub submit: SubmitArgs,
    /// Following each job.
    #[command(flatten)]
    pub follow: FollowArgs,
    /// The batch directory [default: a new batch-DATE-TIME folder in the output dir]
    #[arg(help_heading = "Output", short, long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Folder name of each job: fields {index}, {seed}, {rep} and every swept parameter
    #[arg(help_heading = "Output", long, value_name = "TEMPLATE")]
    pub name: Option<String>,
    /// Save files directly in each job's folder, ignoring server subfolders
    #[arg(help_heading = "Output", long)]
    pub flat_output: bool,
    /// Draw a contact sheet of each job's first image (an X/Y plot for one or two sweeps)
    #[arg(help_heading = "Output", long, value_name = "FILE.png")]
    pub grid: Option<PathBuf>,
    /// Write the batch's report page here (an HTML file, kept current while the batch runs)
    #[arg(help_heading = "Output", long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Output format.
    #[command(flatten)]
    pub format: FormatArgs,
    /// Images in the terminal: the grid at the end (saved as DIR/grid.png without --grid).
    #[command(flatten)]
    pub show: ShowArgs,
}

/// `--seed-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedModeArg {
    /// The workflow's seed plus the repetition number
    Increment,
    /// A fresh seed per repetition
    Random,
    /// The workflow's seed every time
    Fixed,
}

const SETUP_EXAMPLES: &str = "\
Examples:
  comfyctl setup --dry-run                 # every step, nothing done
  comfyctl setup                           # install (if needed) and start on port 8188
  comfyctl setup --workspace ~/ComfyUI --port 8190
  comfyctl run workflows/empty_image_smoke.json --profile local

Steps: check the hardware; leave a server that already answers on the port alone; install
comfy-cli if missing (pipx, else uvx, else pip --user); install ComfyUI into the workspace
(comfy install, --cpu without a GPU); start it in the background with its log in
WORKSPACE/comfyctl-server.log; wait for /system_stats; write the profile. Running it again only
does what is missing. Restarting or stopping the server is up to you (comfyctl prints its pid).
Exit codes: 0 running, 1 a step failed, 2 usage, 130 Ctrl-C.";

/// `comfyctl setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Where ComfyUI lives [default: the platform data dir, e.g. ~/.local/share/comfyctl/ComfyUI]
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Port the server listens on (127.0.0.1 only)
    #[arg(long, default_value_t = 8188, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Name of the profile to write
    #[arg(long, default_value = "local", value_name = "NAME")]
    pub profile_name: String,
    /// Seconds to wait for the server to answer after starting it
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = values::wait_secs)]
    pub wait: u64,
    /// Install for the CPU even when a GPU is found
    #[arg(long)]
    pub cpu: bool,
    /// Print each step (and its command) without doing any
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object with every step
    #[arg(long)]
    pub json: bool,
}

/// `comfyctl params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// Workflow JSON (API format or as the editor saves it), or - for stdin
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// Parameters to apply before listing.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Definitions (only needed for editor-format workflows).
    #[command(flatten)]
    pub defs: DefsArgs,
    /// Print the prompt JSON after applying parameters instead of the listing
    #[arg(long, conflicts_with = "json")]
    pub print_prompt: bool,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

/// `comfyctl validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Workflow JSON (API format or as the editor saves it), or - for stdin
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// Parameters to apply before checking.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Definitions.
    #[command(flatten)]
    pub defs: DefsArgs,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

const DEPS_EXAMPLES: &str = "\
Examples:
  comfyctl deps saved_from_editor.json
  comfyctl deps wf.json --node-map extension-node-map.json --model-list model-list.json
  comfyctl deps wf.json --object-info object_info.json --json    # offline
  comfyctl deps wf.json --fix --dry-run                # what --fix would do
  comfyctl deps wf.json --fix --models-dir ~/ComfyUI/models

The node map and model list are ComfyUI-Manager's (read from the server when it runs Manager,
or from the files its PyPI package ships). Exit 0 when nothing is missing, 1 otherwise.";

/// `comfyctl deps`.
#[derive(Debug, Args)]
pub struct DepsArgs {
    /// Workflow JSON (API format or as the editor saves it), or - for stdin
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// ComfyUI-Manager's extension-node-map.json: which pack provides which node type
    #[arg(long, value_name = "FILE")]
    pub node_map: Option<PathBuf>,
    /// ComfyUI-Manager's model-list.json: where to download known models
    #[arg(long, value_name = "FILE")]
    pub model_list: Option<PathBuf>,
    /// Definitions.
    #[command(flatten)]
    pub defs: DefsArgs,
    /// Install missing node packs (comfy-cli, else the server's Manager) and download missing
    /// models that have a known URL
    #[arg(long, help_heading = "Fixing")]
    pub fix: bool,
    /// With --fix: print every action without doing any
    #[arg(long, requires = "fix", help_heading = "Fixing")]
    pub dry_run: bool,
    /// With --fix: the ComfyUI models folder to download into (default: the local server's own
    /// folders, from /internal/folder_paths)
    #[arg(
        long,
        value_name = "DIR",
        env = "COMFYCTL_MODELS_DIR",
        help_heading = "Fixing"
    )]
    pub models_dir: Option<PathBuf>,
    /// A check that could not run (node definitions refused on Comfy Cloud's free tier) is a
    /// failure instead of a skip
    #[arg(long)]
    pub strict: bool,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

const WATCH_EXAMPLES: &str = "\
Examples:
  comfyctl watch                                   # everything the server says, live
  comfyctl watch --previews previews/ --jsonl      # every event as JSON, previews saved
  id=$(comfyctl run wf.json --detach --json | jq -r '.prompt_id + \" \" + .client_id')
  comfyctl watch --prompt-id ${id% *} --client-id ${id#* } --previews p/ --download

Previews are saved as DIR/PROMPT_ID/NODE/00001.jpg. With --prompt-id the exit status is the
job's: 0 success, 1 error or interrupted, 5 timeout, 130 Ctrl-C (the job goes on).";

/// `comfyctl watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Follow this job to its end
    #[arg(long, value_name = "ID", value_parser = values::non_empty)]
    pub prompt_id: Option<String>,
    /// Connect as this client (the submitter's id, so a local server sends its live steps)
    #[arg(long, value_name = "CID", value_parser = values::non_empty)]
    pub client_id: Option<String>,
    /// Save every preview frame here
    #[arg(long, value_name = "DIR")]
    pub previews: Option<PathBuf>,
    /// Comfy Cloud: follow the developer event socket for these patterns (job.completed,job.*,*)
    #[arg(long, value_name = "PATTERNS", value_delimiter = ',', conflicts_with_all = ["previews", "download", "client_id"])]
    pub events: Option<Vec<String>>,
    /// With --prompt-id: download the outputs like run does (else print their URLs)
    #[arg(long, requires = "prompt_id")]
    pub download: bool,
    /// Saving outputs.
    #[command(flatten)]
    pub save: SaveArgs,
    /// Following the job.
    #[command(flatten)]
    pub follow: FollowArgs,
    /// Output format.
    #[command(flatten)]
    pub format: FormatArgs,
    /// Images in the terminal: the latest preview frame, drawn in place.
    #[command(flatten)]
    pub show: ShowArgs,
}

const QUEUE_EXAMPLES: &str = "\
Examples:
  comfyctl queue
  comfyctl queue --json | jq -r '.pending[].prompt_id'
  comfyctl queue clear --yes        # pending jobs only; running ones continue

Pending jobs are listed in the order they will run (by queue number).";

const CANCEL_EXAMPLES: &str = "\
Examples:
  comfyctl cancel 4c1f0e2a-…
  comfyctl queue --json | jq -r '.pending[].prompt_id' | xargs comfyctl cancel

Only the named jobs are touched. Exit 0 when every one was stopped, 1 when any was unknown,
already finished, or could not be stopped.";

/// `comfyctl queue`.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// `clear`
    #[command(subcommand)]
    pub action: Option<QueueAction>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

/// `comfyctl queue clear`.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Remove every pending job (asks first)
    Clear {
        /// Do not ask
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// `comfyctl cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Prompt ids
    #[arg(value_name = "PROMPT_ID", required = true, value_parser = values::non_empty)]
    pub prompt_ids: Vec<String>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

const HEALTH_EXAMPLES: &str = "\
Examples:
  comfyctl health
  comfyctl health --smoke               # also run a tiny model-free job end to end
  comfyctl health --profile cloud --smoke --yes
  comfyctl health --json | jq '.checks[] | select(.status != \"ok\")'

Exit status: 0 healthy (warnings allowed), 1 any check failed.";

/// `comfyctl health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Run a tiny model-free workflow end to end and check its image
    #[arg(long)]
    pub smoke: bool,
    /// Do not ask before the smoke test on Comfy Cloud (it costs credits)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

const LOGS_EXAMPLES: &str = "\
Examples:
  comfyctl logs                       # the last 20 jobs, newest first
  comfyctl logs 4c1f0e2a-…            # status, timeline, and for a failure the node, error,
                                      # its inputs and the traceback
  comfyctl logs 4c1f0e2a-… --json
  comfyctl logs --server --follow     # the server's own log, live

Exit status with a prompt id: 0 success/running/pending, 1 error/interrupted, 2 unknown id.";

/// `comfyctl logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// A prompt id; without one, the last jobs
    #[arg(value_name = "PROMPT_ID", conflicts_with = "server", value_parser = values::non_empty)]
    pub prompt_id: Option<String>,
    /// How many jobs to list
    #[arg(short = 'n', long = "limit", default_value_t = 20, value_name = "N", value_parser = values::limit)]
    pub limit: usize,
    /// The server's own log (/internal/logs/raw)
    #[arg(long)]
    pub server: bool,
    /// With --server: keep printing new lines until Ctrl-C
    #[arg(short, long, requires = "server")]
    pub follow: bool,
    /// Print JSON (JSON Lines with --server)
    #[arg(long)]
    pub json: bool,
}

const HW_EXAMPLES: &str = "\
Examples:
  comfyctl hw
  comfyctl hw --torch          # also ask PyTorch what it sees
  comfyctl hw --json | jq '.families[] | select(.fit == \"fits\") | .family'

Needs no config and no server; exits 0.";

/// `comfyctl hw`.
#[derive(Debug, Args)]
pub struct HwArgs {
    /// Also run a PyTorch probe with the python on PATH
    #[arg(long)]
    pub torch: bool,
    /// Measure free disk here (default: the current directory)
    #[arg(short, long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

/// `comfyctl convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Editor (UI-format) workflow JSON file, or - for stdin
    #[arg(value_name = "WORKFLOW")]
    pub workflow: PathBuf,
    /// Write the API format here instead of stdout (- for stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace --output if it exists
    #[arg(long)]
    pub force: bool,
    /// Do not embed the editor workflow (only matters with --prompt-body)
    #[arg(long, requires = "prompt_body")]
    pub no_embed_workflow: bool,
    /// Write a whole /prompt body ({"prompt": …, "extra_data": …}) instead of the bare prompt
    #[arg(long)]
    pub prompt_body: bool,
    /// Parameters to apply after converting.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Definitions.
    #[command(flatten)]
    pub defs: DefsArgs,
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
