//! Flag groups shared by several subcommands, declared once so their checks and help cannot
//! drift apart (they did: `watch --idle-timeout=-1` crashed while `run` refused it).

use super::values;
use clap::Args;
use std::path::PathBuf;

/// Following a job on the server: how long to wait for it.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Following")]
pub struct FollowArgs {
    /// Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]
    #[arg(long, value_name = "SECS", value_parser = values::seconds)]
    pub timeout: Option<f64>,
    /// Give up on a job when the server sends nothing about it for this many seconds
    #[arg(long, value_name = "SECS", value_parser = values::seconds)]
    pub idle_timeout: Option<f64>,
    /// Wait this long for a server that went away during a job (a restart) before giving up
    /// [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]
    #[arg(long, value_name = "SECS", value_parser = values::seconds)]
    pub reconnect_timeout: Option<f64>,
}

/// What goes to stdout and stderr.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Output")]
pub struct FormatArgs {
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

impl FormatArgs {
    /// Either JSON form: stdout is for machines.
    pub fn machine(&self) -> bool {
        self.json || self.jsonl
    }
}

/// Where a job's files are saved.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Output")]
pub struct SaveArgs {
    /// Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]
    #[arg(short, long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Save files directly in the output dir, ignoring server subfolders
    #[arg(long)]
    pub flat_output: bool,
    /// Replace existing files instead of saving as name-1.ext
    #[arg(long)]
    pub overwrite: bool,
}

/// How a prompt is sent.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Submission")]
pub struct SubmitArgs {
    /// Send the prompt without checking it against the server's node definitions first
    #[arg(long)]
    pub no_validate: bool,
    /// Key for partner (API) nodes, sent in extra_data.api_key_comfy_org; prefer the env var,
    /// since a command line is visible to other users
    #[arg(
        long,
        value_name = "KEY",
        env = "COMFY_API_KEY",
        hide_env_values = true
    )]
    pub partner_key: Option<String>,
}

/// Changing a workflow before it is sent: friendly parameters and explicit inputs.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Parameters")]
pub struct ParamArgs {
    /// Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE",
          add = clap_complete::ArgValueCompleter::new(super::complete::param_names))]
    pub params: Vec<String>,
    /// Positive prompt text (same as -p prompt=TEXT)
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    /// Negative prompt text
    #[arg(long, value_name = "TEXT")]
    pub negative: Option<String>,
    /// Seed, or `random`
    #[arg(long, value_name = "N", conflicts_with = "randomize_seed")]
    pub seed: Option<String>,
    /// Sampling steps
    #[arg(long, value_name = "N")]
    pub steps: Option<u32>,
    /// CFG scale
    #[arg(long, value_name = "X", value_parser = super::values::finite)]
    pub cfg: Option<f64>,
    /// Image width in pixels
    #[arg(long, value_name = "PX")]
    pub width: Option<u32>,
    /// Image height in pixels
    #[arg(long, value_name = "PX")]
    pub height: Option<u32>,
    /// Pick a fresh seed for this run (reported on stderr and in --json)
    #[arg(long)]
    pub randomize_seed: bool,
    /// Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)
    #[arg(long = "set", value_name = "NODE.INPUT=VALUE")]
    pub set: Vec<String>,
    /// Set an input to a JSON value: NODE.input=JSON
    #[arg(long = "set-json", value_name = "NODE.INPUT=JSON")]
    pub set_json: Vec<String>,
    /// Allow --set to replace an input that is linked to another node
    #[arg(long)]
    pub force_literal: bool,
}

/// Local files to upload as inputs.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Input files")]
pub struct InputArgs {
    /// Upload an image and use it in the first image loader
    #[arg(long, value_name = "PATH")]
    pub image: Option<PathBuf>,
    /// Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")
    #[arg(long = "input", value_name = "NAME=PATH")]
    pub inputs: Vec<String>,
    /// Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)
    #[arg(long, value_name = "PATH")]
    pub mask: Option<PathBuf>,
    /// Replace a different file of the same name on the server (default: the server renames ours)
    #[arg(long)]
    pub replace_inputs: bool,
}

/// Where node definitions for validation come from.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Validation")]
pub struct DefsArgs {
    /// Validate against this saved /object_info file instead of asking the server
    #[arg(long, value_name = "FILE")]
    pub object_info: Option<PathBuf>,
    /// Fetch /object_info again instead of using the cached copy
    #[arg(long)]
    pub refresh: bool,
}

impl ParamArgs {
    /// The plain spec the library applies (named flags first, in a fixed order).
    pub fn spec(&self) -> crate::prepare::ParamSpec {
        let named: [(&'static str, &'static str, Option<String>); 7] = [
            ("prompt", "--prompt", self.prompt.clone()),
            ("negative", "--negative", self.negative.clone()),
            ("seed", "--seed", self.seed.clone()),
            ("steps", "--steps", self.steps.map(|v| v.to_string())),
            ("cfg", "--cfg", self.cfg.map(|v| v.to_string())),
            ("width", "--width", self.width.map(|v| v.to_string())),
            ("height", "--height", self.height.map(|v| v.to_string())),
        ];
        crate::prepare::ParamSpec {
            named: named
                .into_iter()
                .filter_map(|(n, f, v)| v.map(|v| (n, f, v)))
                .collect(),
            params: self.params.clone(),
            set: self.set.clone(),
            set_json: self.set_json.clone(),
            force_literal: self.force_literal,
            randomize_seed: self.randomize_seed,
        }
    }
}

impl InputArgs {
    /// The plain spec the library uploads.
    pub fn spec(&self) -> crate::prepare::InputSpec {
        crate::prepare::InputSpec {
            image: self.image.clone(),
            inputs: self.inputs.clone(),
            mask: self.mask.clone(),
            replace_inputs: self.replace_inputs,
        }
    }
}

impl DefsArgs {
    /// The plain spec the library loads definitions with.
    pub fn spec(&self) -> crate::prepare::DefsSpec {
        crate::prepare::DefsSpec {
            object_info: self.object_info.clone(),
            refresh: self.refresh,
        }
    }
}

impl SaveArgs {
    /// Save options under the resolved output directory.
    pub fn options(&self, output_dir: &std::path::Path) -> crate::client::outputs::SaveOptions {
        crate::client::outputs::SaveOptions {
            output_dir: output_dir.to_path_buf(),
            flat: self.flat_output,
            overwrite: self.overwrite,
        }
    }
}

/// Images in the terminal: `--show`, `--no-show`, `--show-size`.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Images in the terminal")]
pub struct ShowArgs {
    /// Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only,
    /// never with --json/--jsonl/-q [profile: show]
    #[arg(long, overrides_with = "no_show")]
    pub show: bool,
    /// Draw no images, even when the profile says show = true
    #[arg(long, overrides_with = "show")]
    pub no_show: bool,
    /// The box images fit in, in terminal cells [default: the terminal's size]
    // Hyphen values reach the parser, so `-3x4` is told why it is wrong, not taken for a flag.
    #[arg(
        long,
        value_name = "COLSxROWS",
        allow_hyphen_values = true,
        value_parser = crate::show::parse_show_size
    )]
    pub show_size: Option<crate::show::ShowSize>,
}

impl ShowArgs {
    /// Whether images are wanted: `--show`, else the profile's `show` unless `--no-show`.
    pub fn wanted(&self, profile_default: bool) -> bool {
        self.show || (profile_default && !self.no_show)
    }
}
