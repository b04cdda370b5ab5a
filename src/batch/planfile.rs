//! `batch.json`: everything needed to rebuild a batch's job list for `--resume` — the prompt
//! with the batch-wide parameters applied, the plan, the name template, the input files and the
//! servers it started on.

use super::manifest::{MANIFEST_FILE, PLAN_FILE};
use super::plan::{self, NameTemplate, Plan, SeedMode};
use crate::error::Failure;
use crate::prepare::InputSpec;
use crate::workflow::params;
use crate::workflow::{Workflow, schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Version of `batch.json` (and of the manifest lines).
pub const SCHEMA_VERSION: u32 = 1;

/// The plan file.
#[derive(Debug, Serialize, Deserialize)]
pub struct PlanFile {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The comfyctl that wrote it.
    pub comfyctl: String,
    /// When (UTC).
    pub created: String,
    /// The workflow's name (file or `-`).
    pub workflow: String,
    /// The prompt with the batch-wide parameters applied (before uploads).
    pub prompt: Map<String, Value>,
    /// The editor workflow to embed, if any.
    pub editor: Option<Value>,
    /// Input files to upload to every server (absolute paths).
    pub inputs: InputSpec,
    /// Counts, sweeps, rows and seeds.
    pub plan: Plan,
    /// Folder names.
    pub name: NameTemplate,
    /// Ignore server subfolders.
    pub flat_output: bool,
    /// Jobs in the plan.
    pub total: usize,
    /// The `--profile`s and `--url`s the batch was started with, so `--resume` alone goes back
    /// to the same servers (URLs holding credentials are not kept).
    #[serde(default)]
    pub servers: SavedServers,
}

/// See [`PlanFile::servers`].
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedServers {
    /// `--profile`s.
    pub profiles: Vec<String>,
    /// `--url`s without credentials.
    pub urls: Vec<String>,
}

impl SavedServers {
    /// What the command line named, minus URLs with credentials in them.
    pub fn new(profiles: &[String], urls: &[String]) -> SavedServers {
        SavedServers {
            profiles: profiles.to_vec(),
            urls: urls.iter().filter(|u| !u.contains('@')).cloned().collect(),
        }
    }

    /// Nothing was named (the default server).
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.urls.is_empty()
    }
}

/// What `batch` was asked to run, in plain terms.
pub struct NewPlan {
    /// The prepared workflow (batch-wide parameters applied).
    pub wf: Workflow,
    /// `--sweep` arguments.
    pub sweeps: Vec<String>,
    /// `--params-file`.
    pub params_file: Option<PathBuf>,
    /// `--count`.
    pub count: usize,
    /// `--seed-mode`.
    pub seed_mode: SeedMode,
    /// `--zip`.
    pub zip: bool,
    /// `--name`.
    pub name: Option<String>,
    /// Input files.
    pub inputs: InputSpec,
    /// `--flat-output`.
    pub flat_output: bool,
    /// The servers named.
    pub servers: SavedServers,
}

impl PlanFile {
    /// Builds and checks a new plan: every swept value and params-file row must apply to the
    /// workflow before anything is sent. Returns warnings for the user alongside.
    pub fn build(n: NewPlan) -> anyhow::Result<(PlanFile, Vec<String>)> {
        let usage = |e: plan::PlanError| Failure::usage(e.to_string());
        let sweeps = n
            .sweeps
            .iter()
            .map(|s| plan::parse_sweep(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(usage)?;
        let (columns, rows) = match &n.params_file {
            Some(p) => plan::read_params_file(p).map_err(usage)?,
            None => (Vec::new(), Vec::new()),
        };
        let wf = n.wf;
        let seed_param = schema::discover(&wf).into_iter().find(|p| p.name == "seed");
        let base_seed = seed_param.as_ref().and_then(|p| {
            let t = p.targets.first()?;
            wf.nodes[&t.node]["inputs"][&t.input].as_u64()
        });
        let p = Plan {
            count: n.count,
            seed_mode: n.seed_mode,
            base_seed: match (&seed_param, base_seed) {
                (Some(_), Some(s)) => Some(s),
                // A linked seed (a primitive, a seed node): set it through the parameter anyway.
                (Some(_), None) => Some(0),
                (None, _) => None,
            },
            batch_seed: rand::random(),
            sweeps,
            zip: n.zip,
            columns,
            rows,
        };
        p.check().map_err(usage)?;
        let mut warnings = Vec::new();
        if n.count > 1 && p.base_seed.is_none() && !p.seed_is_swept() {
            warnings.push(format!(
                "this workflow has no seed parameter: the {} repetitions of --count get the same inputs",
                n.count
            ));
        }
        if n.seed_mode != SeedMode::Increment && p.seed_is_swept() {
            warnings.push(
                "--seed-mode does not apply: the seed is swept or set by the params file".into(),
            );
        }
        let name = NameTemplate {
            template: n.name.unwrap_or_else(|| p.default_name()),
        };
        name.check(&p.fields()).map_err(usage)?;
        check_values(&wf, &p)?;
        p.check_unique_names(&name).map_err(usage)?;
        Ok((
            PlanFile {
                schema_version: SCHEMA_VERSION,
                comfyctl: env!("CARGO_PKG_VERSION").into(),
                created: crate::timefmt::now_rfc3339(),
                workflow: wf.source_name.clone(),
                total: p.len(),
                prompt: wf.nodes,
                editor: wf.editor,
                inputs: n.inputs.absolute(),
                plan: p,
                name,
                flat_output: n.flat_output,
                servers: n.servers,
            },
            warnings,
        ))
    }

    /// Reads `DIR/batch.json`.
    pub fn load(dir: &Path) -> anyhow::Result<PlanFile> {
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
                e.column().max(1)
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

    /// Writes `DIR/batch.json` atomically.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(PLAN_FILE);
        let text = serde_json::to_string_pretty(self)?;
        crate::fsutil::write_atomically(&path, text.as_bytes())
            .map_err(|source| crate::client::ClientError::LocalIo { path, source })?;
        Ok(())
    }

    /// How a plan built from repeated arguments differs from this one (the batch's own), in
    /// words; empty when they describe the same batch. The random seed source is the batch's
    /// own, so it is not compared.
    /// `named`: the name template was given (not derived from the other arguments).
    pub fn differences(&self, other: &PlanFile, named: bool) -> Vec<String> {
        let mut d = Vec::new();
        let (a, b) = (&self.plan, &other.plan);
        if a.count != b.count {
            d.push(format!("--count {} (the batch has {})", b.count, a.count));
        }
        if a.seed_mode != b.seed_mode {
            d.push(format!(
                "--seed-mode {:?} (the batch has {:?})",
                b.seed_mode, a.seed_mode
            ));
        }
        let sweeps = |p: &Plan| {
            p.sweeps
                .iter()
                .map(|s| format!("{}={}", s.name, s.values.join(",")))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if a.sweeps != b.sweeps {
            d.push(format!(
                "--sweep {} (the batch has {})",
                sweeps(b),
                if a.sweeps.is_empty() {
                    "none".into()
                } else {
                    sweeps(a)
                }
            ));
        }
        if a.zip != b.zip {
            d.push(format!("--zip {} (the batch has {})", b.zip, a.zip));
        }
        if a.columns != b.columns || a.rows != b.rows {
            d.push(format!(
                "the params file ({} rows of {}; the batch has {} rows of {})",
                b.rows.len(),
                b.columns.join(","),
                a.rows.len(),
                a.columns.join(",")
            ));
        }
        if named && self.name.template != other.name.template {
            d.push(format!(
                "--name {} (the batch has {})",
                other.name.template, self.name.template
            ));
        }
        if self.flat_output != other.flat_output {
            d.push(format!(
                "--flat-output {} (the batch has {})",
                other.flat_output, self.flat_output
            ));
        }
        if self.prompt != other.prompt || a.base_seed != b.base_seed {
            let changed: Vec<String> = self
                .prompt
                .iter()
                .filter(|(id, n)| other.prompt.get(*id) != Some(*n))
                .map(|(id, _)| id.clone())
                .chain(
                    other
                        .prompt
                        .keys()
                        .filter(|id| !self.prompt.contains_key(*id))
                        .cloned(),
                )
                .collect();
            d.push(format!(
                "the workflow with its parameters differs from the batch's (node(s) {})",
                changed.join(", ")
            ));
        }
        if self.inputs.image != other.inputs.image
            || self.inputs.inputs != other.inputs.inputs
            || self.inputs.mask != other.inputs.mask
        {
            d.push("the input files differ from the batch's".into());
        }
        d
    }

    /// The workflow every job starts from.
    pub fn base(&self) -> Workflow {
        Workflow {
            nodes: self.prompt.clone(),
            source_name: self.workflow.clone(),
            dropped_keys: Vec::new(),
            editor: self.editor.clone(),
            model_hints: Vec::new(),
        }
    }
}

/// Every value must apply before anything is sent: one check per distinct value.
fn check_values(wf: &Workflow, p: &Plan) -> anyhow::Result<()> {
    for (origin, name, value) in p.distinct_values() {
        let arg = params::parse_param(&format!("{name}={value}"), &origin)
            .map_err(|e| anyhow::Error::from(e).context(origin.clone()))?;
        let mut scratch = wf.clone();
        params::apply_params(&mut scratch, &[arg], &mut || 0)
            .map_err(|e| anyhow::Error::from(e).context(origin))?;
    }
    Ok(())
}

/// The directory for a new batch: `-o DIR`, else a new `batch-DATE-TIME` under `root`. Refuses
/// a directory that already holds a batch.
pub fn new_dir(chosen: Option<&Path>, root: &Path) -> anyhow::Result<PathBuf> {
    let dir = match chosen {
        Some(d) => d.to_path_buf(),
        None => {
            let stamp: String = crate::timefmt::now_rfc3339()
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
