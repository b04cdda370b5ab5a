//! What a batch runs: counts, sweeps (cartesian or zipped, with numeric ranges), rows from a
//! params file, and seed modes. Job `i` is computed from the plan on demand, so a 10,000-job
//! batch never holds 10,000 workflows.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// A plan that cannot be built: always says which argument or line.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A `--sweep` argument.
    #[error("invalid --sweep '{arg}': {reason}")]
    Sweep {
        /// As typed.
        arg: String,
        /// Why.
        reason: String,
    },
    /// `--zip` with lists of different lengths.
    #[error("--zip needs sweeps of equal length, got {lengths}")]
    ZipLengths {
        /// `cfg: 2, steps: 3`.
        lengths: String,
    },
    /// A params file.
    #[error("{path}:{line}: {reason}")]
    ParamsFile {
        /// File.
        path: String,
        /// 1-based line.
        line: usize,
        /// Why.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// `--name`.
    #[error("invalid --name '{template}': {reason}")]
    Name {
        /// As typed.
        template: String,
        /// Why.
        reason: String,
    },
    /// A count of zero or a plan with no jobs.
    #[error("{0}")]
    Empty(String),
    /// Two jobs would share a folder.
    #[error(
        "--name '{template}' gives jobs {first} and {second} the same folder '{folder}'; add {{index}} or a swept field"
    )]
    SameFolder {
        /// The template.
        template: String,
        /// The first job.
        first: usize,
        /// The second job.
        second: usize,
        /// The folder.
        folder: String,
    },
}

/// One `--sweep name=v1,v2,…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// A `-p` name: `cfg`, `seed@3`, `3.steps`.
    pub name: String,
    /// Values as `-p` would take them.
    pub values: Vec<String>,
}

/// Most values a numeric range may expand to: a typo like `1..1000000` should not queue a
/// million jobs.
pub const MAX_RANGE: usize = 10_000;

/// Parses `name=v1,v2,…` where a value may be a range `a..b` or `a..b:step` (inclusive);
/// `\,` is a literal comma.
pub fn parse_sweep(arg: &str) -> Result<Sweep, PlanError> {
    let bad = |reason: &str| PlanError::Sweep {
        arg: arg.to_string(),
        reason: reason.to_string(),
    };
    let (name, rest) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=V1,V2,… (e.g. cfg=4,7 or steps=10..40:10)"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("the name before '=' is empty"));
    }
    let mut values = Vec::new();
    for part in split_unescaped(rest) {
        match expand_range(&part) {
            Some(Ok(v)) => values.extend(v),
            Some(Err(reason)) => return Err(bad(&reason)),
            None => values.push(part),
        }
    }
    if values.is_empty() || (values.len() == 1 && values[0].is_empty()) {
        return Err(bad("no values after '='"));
    }
    if values.len() > MAX_RANGE {
        return Err(bad(&format!(
            "{} values; at most {MAX_RANGE} per sweep",
            values.len()
        )));
    }
    Ok(Sweep {
        name: name.to_string(),
        values,
    })
}

fn split_unescaped(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                out.last_mut().expect("one").push(',');
                chars.next();
            }
            ',' => out.push(String::new()),
            c => out.last_mut().expect("one").push(c),
        }
    }
    out
}

/// `a..b[:step]` → the values, `None` when `s` is not a range. Integers stay integers; with a
/// decimal point anywhere the values are decimals printed without float noise.
pub fn expand_range(s: &str) -> Option<Result<Vec<String>, String>> {
    let (range, step) = match s.split_once(':') {
        Some((r, st)) => (r, Some(st.trim())),
        None => (s, None),
    };
    let (a, b) = range.split_once("..")?;
    let (a, b) = (a.trim(), b.trim());
    let num = |x: &str| x.parse::<f64>().ok().filter(|v| v.is_finite());
    let (Some(start), Some(end)) = (num(a), num(b)) else {
        return Some(Err(format!(
            "'{s}' is not a numeric range (expected START..END or START..END:STEP)"
        )));
    };
    let step_v = match step {
        None => 1.0,
        Some(st) => match num(st) {
            Some(v) if v > 0.0 => v,
            _ => return Some(Err(format!("step '{st}' must be a positive number"))),
        },
    };
    let decimals = [a, b, step.unwrap_or("1")]
        .iter()
        .map(|x| x.split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0);
    let n = ((end - start).abs() / step_v + 1e-9).floor() as usize + 1;
    if n > MAX_RANGE {
        return Some(Err(format!(
            "'{s}' expands to {n} values; at most {MAX_RANGE}"
        )));
    }
    let dir = if end >= start { 1.0 } else { -1.0 };
    Some(Ok((0..n)
        .map(|i| {
            let v = start + dir * step_v * i as f64;
            if decimals == 0 {
                format!("{}", v.round() as i64)
            } else {
                let s = format!("{v:.decimals$}");
                let s = s.trim_end_matches('0');
                s.strip_suffix('.').unwrap_or(s).to_string()
            }
        })
        .collect()))
}

/// How seeds change between the repetitions of `--count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SeedMode {
    /// The workflow's seed every time.
    Fixed,
    /// The workflow's seed plus the repetition number: reproducible and resumable.
    #[default]
    Increment,
    /// A fresh seed per repetition (drawn from the batch's own seed, so a resume repeats them).
    Random,
}

/// Everything that decides the job list. Saved in `batch.json` so `--resume` rebuilds the
/// same jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Repetitions of each combination.
    pub count: usize,
    /// Seeds across repetitions.
    pub seed_mode: SeedMode,
    /// The workflow's seed (after `-p`), when it has one.
    pub base_seed: Option<u64>,
    /// Source of `random` seeds.
    pub batch_seed: u64,
    /// Swept parameters.
    pub sweeps: Vec<Sweep>,
    /// Pair the sweeps' values instead of combining every value with every other.
    pub zip: bool,
    /// Column names of the params file.
    pub columns: Vec<String>,
    /// Rows of the params file (values in column order; `None` leaves the parameter alone).
    pub rows: Vec<Vec<Option<String>>>,
}

/// One job, computed from the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// 0-based position in the batch.
    pub index: usize,
    /// Which repetition of its combination.
    pub rep: usize,
    /// Which combination (row × sweep values).
    pub combo: usize,
    /// Parameters to apply, in order: row, then sweeps.
    pub params: Vec<(String, String)>,
    /// The seed comfyctl sets (seed modes), when it sets one.
    pub seed: Option<u64>,
}

impl Plan {
    /// Combinations before repetition.
    pub fn combos(&self) -> usize {
        let rows = self.rows.len().max(1);
        let sweeps = if self.sweeps.is_empty() {
            1
        } else if self.zip {
            self.sweeps[0].values.len()
        } else {
            self.sweeps.iter().map(|s| s.values.len()).product()
        };
        rows * sweeps
    }

    /// Number of jobs.
    pub fn len(&self) -> usize {
        self.combos() * self.count
    }

    /// True when there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the shape (zip lengths, count).
    pub fn check(&self) -> Result<(), PlanError> {
        if self.count == 0 {
            return Err(PlanError::Empty("--count must be at least 1".into()));
        }
        if self.zip {
            let lens: Vec<usize> = self.sweeps.iter().map(|s| s.values.len()).collect();
            if lens.windows(2).any(|w| w[0] != w[1]) {
                return Err(PlanError::ZipLengths {
                    lengths: self
                        .sweeps
                        .iter()
                        .map(|s| format!("{}: {}", s.name, s.values.len()))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        if self.len() > 10_000_000 {
            return Err(PlanError::Empty(format!(
                "{} jobs is more than comfyctl will queue (10,000,000)",
                self.len()
            )));
        }
        Ok(())
    }

    /// True when a sweep or the params file sets the seed (`seed`, `seed@NODE`, or a node's
    /// own `NODE.seed`/`NODE.noise_seed`), so the seed mode does not apply.
    pub fn seed_is_swept(&self) -> bool {
        self.sweeps.iter().any(|s| is_seed_name(&s.name))
            || self.columns.iter().any(|c| is_seed_name(c))
    }

    /// The per-sweep value indices of combination `combo` (the last sweep varies fastest).
    pub fn sweep_indices(&self, combo: usize) -> Vec<usize> {
        if self.sweeps.is_empty() {
            return Vec::new();
        }
        let per_row = self.combos() / self.rows.len().max(1);
        let mut k = combo % per_row;
        if self.zip {
            return vec![k; self.sweeps.len()];
        }
        let mut idx = vec![0; self.sweeps.len()];
        for (i, s) in self.sweeps.iter().enumerate().rev() {
            idx[i] = k % s.values.len();
            k /= s.values.len();
        }
        idx
    }

    /// Job `index`.
    pub fn job(&self, index: usize) -> JobSpec {
        let combo = index / self.count;
        let rep = index % self.count;
        let mut params = Vec::new();
        if !self.rows.is_empty() {
            let per_row = self.combos() / self.rows.len();
            let row = &self.rows[combo / per_row];
            for (c, v) in self.columns.iter().zip(row) {
                if let Some(v) = v {
                    params.push((c.clone(), v.clone()));
                }
            }
        }
        for (s, i) in self.sweeps.iter().zip(self.sweep_indices(combo)) {
            params.push((s.name.clone(), s.values[i].clone()));
        }
        let seed = if self.seed_is_swept() {
            None
        } else {
            // `base_seed` is `None` when the workflow has no seed to set.
            let max = crate::workflow::params::MAX_RANDOM_SEED;
            match self.seed_mode {
                SeedMode::Fixed => None,
                SeedMode::Increment => self.base_seed.map(|b| (b + rep as u64) % max),
                SeedMode::Random => self.base_seed.map(|_| {
                    splitmix(self.batch_seed ^ (rep as u64).wrapping_mul(0x9E37_79B9)) % max
                }),
            }
        };
        JobSpec {
            index,
            rep,
            combo,
            params,
            seed,
        }
    }
}

/// A parameter name that sets a seed: `seed` or its alias `noise_seed`, each also `@NODE`,
/// and a node's own `NODE.seed` / `NODE.noise_seed` (the friendly names' own table decides).
fn is_seed_name(n: &str) -> bool {
    let base = match n.rsplit_once('.') {
        Some((_, input)) => input,
        None => n.split('@').next().unwrap_or(n),
    };
    crate::workflow::schema::canonical(base) == Some("seed")
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reads a params file: CSV with a header row, or JSON Lines (one object per line), chosen by
/// the extension (`.jsonl`/`.ndjson`) or by a first character of `{`.
pub fn read_params_file(path: &Path) -> Result<Table, PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let jsonl = matches!(ext, "jsonl" | "ndjson");
    parse_params_text(&text, &path.display().to_string(), jsonl)
}

/// Parses params-file text (`shown` names it in errors); JSON Lines when `jsonl` or when the
/// text starts with `{`, CSV otherwise.
pub fn parse_params_text(text: &str, shown: &str, jsonl: bool) -> Result<Table, PlanError> {
    let jsonl = jsonl || text.trim_start().starts_with('{');
    let (cols, rows) = if jsonl {
        parse_jsonl(text, shown)?
    } else {
        parse_csv(text, shown)?
    };
    if rows.is_empty() {
        return Err(PlanError::ParamsFile {
            path: shown.to_string(),
            line: 1,
            reason: "no rows".into(),
        });
    }
    Ok((cols, rows))
}

/// Column names and rows (`None`: leave that parameter alone).
pub type Table = (Vec<String>, Vec<Vec<Option<String>>>);
/// CSV records with the line each starts on.
type Records = Vec<(usize, Vec<String>)>;

fn parse_jsonl(text: &str, path: &str) -> Result<Table, PlanError> {
    let mut cols: Vec<String> = Vec::new();
    let mut objs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |reason: String| PlanError::ParamsFile {
            path: path.to_string(),
            line: n + 1,
            reason,
        };
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| err(format!("{e} (column {})", e.column().max(1))))?;
        let obj = v
            .as_object()
            .ok_or_else(|| err("expected a JSON object per line".into()))?
            .clone();
        for k in obj.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
        objs.push(obj);
    }
    let rows = objs
        .iter()
        .map(|o| {
            cols.iter()
                .map(|c| match o.get(c) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(v) => Some(v.to_string()),
                })
                .collect()
        })
        .collect();
    Ok((cols, rows))
}

fn parse_csv(text: &str, path: &str) -> Result<Table, PlanError> {
    let records = csv_records(text).map_err(|(line, reason)| PlanError::ParamsFile {
        path: path.to_string(),
        line,
        reason,
    })?;
    let mut it = records.into_iter();
    let Some((_, header)) = it.next() else {
        return Err(PlanError::ParamsFile {
            path: path.to_string(),
            line: 1,
            reason: "empty file; expected a header row of parameter names".into(),
        });
    };
    let cols: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    if let Some(i) = cols.iter().position(String::is_empty) {
        return Err(PlanError::ParamsFile {
            path: path.to_string(),
            line: 1,
            reason: format!("column {} has no name", i + 1),
        });
    }
    let mut rows = Vec::new();
    for (line, rec) in it {
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        if rec.len() != cols.len() {
            return Err(PlanError::ParamsFile {
                path: path.to_string(),
                line,
                reason: format!("{} fields, the header has {}", rec.len(), cols.len()),
            });
        }
        // An empty field leaves that parameter as the workflow has it.
        rows.push(
            rec.into_iter()
                .map(|f| (!f.is_empty()).then_some(f))
                .collect(),
        );
    }
    Ok((cols, rows))
}

/// RFC 4180 records with the line each starts on: quoted fields may hold commas, quotes (`""`)
/// and newlines.
fn csv_records(text: &str) -> Result<Records, (usize, String)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut rec = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    if quoted {
                        return Err((start, "unterminated quoted field".into()));
                    }
                    rec.push(std::mem::take(&mut field));
                    break;
                }
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if field.is_empty() => quoted = true,
                Some(',') if !quoted => rec.push(std::mem::take(&mut field)),
                Some('\r') if !quoted && chars.peek() == Some(&'\n') => {}
                Some('\n') if !quoted => {
                    line += 1;
                    rec.push(std::mem::take(&mut field));
                    break;
                }
                Some(c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
        }
        out.push((start, rec));
    }
    Ok(out)
}

/// A `--name` template: `{index:04}_{seed}_{cfg}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NameTemplate {
    /// As typed.
    pub template: String,
}

enum Piece<'a> {
    Lit(&'a str),
    Field {
        name: &'a str,
        width: usize,
        zero: bool,
    },
}

impl NameTemplate {
    fn pieces(&self) -> Result<Vec<Piece<'_>>, String> {
        if self.template.trim().is_empty() {
            return Err("the template is empty; e.g. {index:04}_{seed}".into());
        }
        let mut out = Vec::new();
        let mut rest = self.template.as_str();
        while let Some(open) = rest.find('{') {
            if open > 0 {
                out.push(Piece::Lit(&rest[..open]));
            }
            let close = rest[open..].find('}').ok_or("a '{' is never closed")? + open;
            let inner = &rest[open + 1..close];
            let (name, spec) = match inner.rsplit_once(':') {
                Some((n, s)) if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() => {
                    (n, Some(s))
                }
                _ => (inner, None),
            };
            if name.is_empty() {
                return Err("an empty field '{}'".into());
            }
            let (width, zero) = match spec {
                Some(s) => (
                    s.parse().map_err(|_| format!("bad width '{s}'"))?,
                    s.starts_with('0'),
                ),
                None => (0, false),
            };
            out.push(Piece::Field { name, width, zero });
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err("a '}' without '{'".into());
        }
        if !rest.is_empty() {
            out.push(Piece::Lit(rest));
        }
        Ok(out)
    }

    /// Checks the template against the fields a job will have.
    pub fn check(&self, fields: &[String]) -> Result<(), PlanError> {
        let err = |reason: String| PlanError::Name {
            template: self.template.clone(),
            reason,
        };
        let pieces = self.pieces().map_err(err)?;
        for p in &pieces {
            if let Piece::Field { name, .. } = p
                && !fields.iter().any(|f| f == name)
            {
                return Err(err(format!(
                    "unknown field '{{{name}}}'; available: {}",
                    fields
                        .iter()
                        .map(|f| format!("{{{f}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        for p in &pieces {
            if let Piece::Lit(l) = p
                && (l.contains('/') || l.contains('\\'))
            {
                return Err(err("the name is one folder: no '/' or '\\'".into()));
            }
        }
        Ok(())
    }

    /// The folder name for one job; every value is made safe for a file name.
    pub fn render(&self, lookup: &dyn Fn(&str) -> Option<String>) -> String {
        let mut s = String::new();
        for p in self.pieces().unwrap_or_default() {
            match p {
                Piece::Lit(l) => s.push_str(l),
                Piece::Field { name, width, zero } => {
                    let v = safe_component(&lookup(name).unwrap_or_default());
                    let pad = width.saturating_sub(v.chars().count());
                    let fill = if zero && v.chars().all(|c| c.is_ascii_digit()) {
                        '0'
                    } else {
                        ' '
                    };
                    if fill == '0' {
                        s.extend(std::iter::repeat_n('0', pad));
                        s.push_str(&v);
                    } else {
                        s.push_str(&v);
                    }
                }
            }
        }
        let s = safe_component(&s);
        if s.is_empty() { "_".into() } else { s }
    }
}

/// A value as one safe path component: letters, digits and `-_.,=+@` kept, anything else `_`;
/// no leading dot; at most 100 characters.
pub fn safe_component(v: &str) -> String {
    let mut out: String = v
        .chars()
        .map(|c| {
            if c.is_alphanumeric() && c.is_ascii() || "-_.,=+@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    out
}

impl Plan {
    /// The default folder-name template: the index, each swept value (three at most), and the
    /// seed when repetitions differ only by it.
    pub fn default_name(&self) -> String {
        let mut s = String::from("{index:04}");
        for sw in self.sweeps.iter().take(3) {
            s.push_str(&format!("_{}", safe_component(&sw.name)));
            s.push_str(&format!("-{{{}}}", sw.name));
        }
        if self.count > 1
            && !self.seed_is_swept()
            && self.base_seed.is_some()
            && self.seed_mode != SeedMode::Fixed
        {
            s.push_str("_{seed}");
        }
        s
    }

    /// The fields a name template may use.
    pub fn fields(&self) -> Vec<String> {
        let mut f = vec!["index".to_string(), "rep".into(), "seed".into()];
        for s in &self.sweeps {
            f.push(s.name.clone());
        }
        f.extend(self.columns.iter().cloned());
        f
    }

    /// The seed job `spec` runs with: the seed mode's, else a swept or params-file `seed`
    /// (`seed` before `seed@N`), else the workflow's own.
    pub fn seed_of(&self, spec: &JobSpec) -> Option<u64> {
        let swept = |exact: bool| {
            spec.params
                .iter()
                .rev()
                .find(|(k, _)| if exact { k == "seed" } else { is_seed_name(k) })
                .and_then(|(_, v)| crate::workflow::params::seed_number(v))
        };
        spec.seed
            .or_else(|| swept(true))
            .or_else(|| swept(false))
            .or(self.base_seed)
    }

    /// A job's folder name.
    pub fn job_name(&self, name: &NameTemplate, spec: &JobSpec) -> String {
        name.render(&|f| match f {
            "index" => Some(spec.index.to_string()),
            "rep" => Some(spec.rep.to_string()),
            "seed" => Some(
                self.seed_of(spec)
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

    /// Refuses a template that gives two jobs the same folder (checked up to a million jobs).
    pub fn check_unique_names(&self, name: &NameTemplate) -> Result<(), PlanError> {
        if self.len() > 1_000_000 {
            return Ok(());
        }
        let mut seen: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(self.len());
        for i in 0..self.len() {
            let n = self.job_name(name, &self.job(i));
            if let Some(first) = seen.insert(n.clone(), i) {
                return Err(PlanError::SameFolder {
                    template: name.template.clone(),
                    first,
                    second: i,
                    folder: n,
                });
            }
        }
        Ok(())
    }

    /// Every distinct value the plan sets, with the words that name it for the user
    /// (`--sweep steps=0`, `params file row 3: cfg=x`): checked before anything runs.
    pub fn distinct_values(&self) -> Vec<(String, String, String)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for s in &self.sweeps {
            for v in &s.values {
                if seen.insert((s.name.clone(), v.clone())) {
                    out.push((format!("--sweep {}={v}", s.name), s.name.clone(), v.clone()));
                }
            }
        }
        for (n, row) in self.rows.iter().enumerate() {
            for (c, v) in self.columns.iter().zip(row) {
                if let Some(v) = v
                    && seen.insert((c.clone(), v.clone()))
                {
                    out.push((
                        format!("params file row {}: {c}={v}", n + 1),
                        c.clone(),
                        v.clone(),
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sweeps: &[&str], count: usize, zip: bool) -> Plan {
        Plan {
            count,
            seed_mode: SeedMode::Increment,
            base_seed: Some(100),
            batch_seed: 1,
            sweeps: sweeps.iter().map(|s| parse_sweep(s).unwrap()).collect(),
            zip,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    #[test]
    fn ranges_expand_inclusively_and_keep_their_number_style() {
        assert_eq!(
            parse_sweep("steps=10..40:10").unwrap().values,
            ["10", "20", "30", "40"]
        );
        assert_eq!(
            parse_sweep("cfg=1.5..3:0.5").unwrap().values,
            ["1.5", "2", "2.5", "3"]
        );
        assert_eq!(parse_sweep("x=3..1").unwrap().values, ["3", "2", "1"]);
        assert_eq!(
            parse_sweep("sampler=euler,dpmpp_2m, 7..8").unwrap().values,
            ["euler", "dpmpp_2m", "7", "8"]
        );
        assert_eq!(
            parse_sweep(r"prompt=a fox\, red,a cat").unwrap().values,
            ["a fox, red", "a cat"]
        );
        assert!(parse_sweep("steps=1..5:0").is_err());
        assert!(parse_sweep("steps=1..100000").is_err());
        assert!(parse_sweep("steps").is_err());
        assert!(parse_sweep("=1,2").is_err());
        assert!(parse_sweep("steps=a..b").is_err());
    }

    #[test]
    fn cartesian_is_last_fastest_zip_pairs_and_count_repeats_with_seeds() {
        let p = plan(&["cfg=4,7", "steps=10,20,30"], 1, false);
        assert_eq!(p.len(), 6);
        let jobs: Vec<Vec<(String, String)>> = (0..6).map(|i| p.job(i).params).collect();
        assert_eq!(
            jobs[0],
            [("cfg".into(), "4".into()), ("steps".into(), "10".into())]
        );
        assert_eq!(jobs[1][1].1, "20");
        assert_eq!(
            jobs[3],
            [("cfg".into(), "7".into()), ("steps".into(), "10".into())]
        );

        let z = plan(&["cfg=4,7", "steps=10,20"], 1, true);
        assert_eq!(z.len(), 2);
        assert_eq!(z.job(1).params[1].1, "20");
        assert!(
            plan(&["cfg=4,7", "steps=10,20,30"], 1, true)
                .check()
                .is_err()
        );

        let c = plan(&["cfg=4,7"], 3, false);
        assert_eq!(c.len(), 6);
        let seeds: Vec<_> = (0..6).map(|i| c.job(i).seed.unwrap()).collect();
        // Same seeds across sweep values, so a cell differs only by what was swept.
        assert_eq!(seeds, [100, 101, 102, 100, 101, 102]);

        let mut r = plan(&[], 3, false);
        assert_eq!(r.job(2).seed, Some(102));
        r.seed_mode = SeedMode::Random;
        let s: Vec<_> = (0..3).map(|i| r.job(i).seed.unwrap()).collect();
        assert!(s[0] != s[1] && s[1] != s[2]);
        assert_eq!(r.job(2).seed, Some(s[2]), "deterministic for --resume");
        r.seed_mode = SeedMode::Fixed;
        assert_eq!(r.job(2).seed, None);

        let swept = plan(&["seed=1,2"], 2, false);
        assert_eq!(swept.job(0).seed, None);
        // The seed a swept job runs with, for its name and its manifest line.
        let seeds: Vec<_> = (0..4).map(|i| swept.seed_of(&swept.job(i))).collect();
        assert_eq!(seeds, [Some(1), Some(1), Some(2), Some(2)]);
        let name = NameTemplate {
            template: "job_{seed}_{rep}".into(),
        };
        assert_eq!(swept.job_name(&name, &swept.job(2)), "job_2_0");
        swept.check_unique_names(&name).unwrap();
        // A node's own seed input, and a seed in another notation, are the seed too.
        let node = plan(&["3.seed=5,6"], 1, false);
        assert!(node.seed_is_swept());
        assert_eq!(node.job(0).seed, None, "the seed mode does not override it");
        assert_eq!(node.seed_of(&node.job(1)), Some(6));
        let alias = plan(&["noise_seed@3=8,9"], 1, false);
        assert!(alias.seed_is_swept(), "the alias, on one node");
        assert_eq!(alias.seed_of(&alias.job(0)), Some(8));
        assert!(!plan(&["Positive.text=a,b"], 1, false).seed_is_swept());
        let sci = plan(&["seed=1e3,2"], 1, false);
        assert_eq!(sci.seed_of(&sci.job(0)), Some(1000));
        assert_eq!(
            sci.job_name(
                &NameTemplate {
                    template: sci.default_name()
                },
                &sci.job(0)
            ),
            "0000_seed-1000"
        );
    }

    #[test]
    fn params_files_csv_and_jsonl() {
        let (cols, rows) =
            parse_csv("prompt,seed\n\"a fox, red\",1\n\"say \"\"hi\"\"\",\n", "f").unwrap();
        assert_eq!(cols, ["prompt", "seed"]);
        assert_eq!(rows[0], [Some("a fox, red".into()), Some("1".into())]);
        assert_eq!(rows[1], [Some("say \"hi\"".into()), None]);
        let e = parse_csv("a,b\n1\n", "f.csv").unwrap_err().to_string();
        assert_eq!(e, "f.csv:2: 1 fields, the header has 2");

        let (cols, rows) =
            parse_jsonl("{\"prompt\":\"x\",\"steps\":20}\n\n{\"cfg\":7.5}\n", "f").unwrap();
        assert_eq!(cols, ["prompt", "steps", "cfg"]);
        assert_eq!(rows[1], [None, None, Some("7.5".into())]);
        let e = parse_jsonl("{\"a\":1}\n{oops\n", "p.jsonl")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.jsonl:2: "), "{e}");

        let p = Plan {
            count: 1,
            seed_mode: SeedMode::Increment,
            base_seed: None,
            batch_seed: 0,
            sweeps: vec![parse_sweep("cfg=4,7").unwrap()],
            zip: false,
            columns: cols,
            rows,
        };
        assert_eq!(p.len(), 4);
        assert_eq!(
            p.job(3).params,
            [
                ("cfg".to_string(), "7.5".to_string()),
                ("cfg".into(), "7".into())
            ]
        );
    }

    #[test]
    fn names_render_pad_and_stay_one_safe_component() {
        let t = NameTemplate {
            template: "{index:04}_{seed}_{prompt}".into(),
        };
        let fields = ["index".to_string(), "seed".into(), "prompt".into()];
        t.check(&fields).unwrap();
        let name = t.render(&|f| {
            Some(match f {
                "index" => "7".into(),
                "seed" => "42".into(),
                _ => "../a red/fox".into(),
            })
        });
        assert_eq!(name, "0007_42__._a_red_fox");
        assert!(!name.contains('/'));
        for empty in ["", "  "] {
            let t = NameTemplate {
                template: empty.into(),
            };
            assert!(t.check(&fields).is_err(), "an empty --name is refused");
        }
        let bad = NameTemplate {
            template: "{cfgg}".into(),
        };
        let e = bad.check(&fields).unwrap_err().to_string();
        assert!(
            e.contains("unknown field '{cfgg}'") && e.contains("{seed}"),
            "{e}"
        );
        assert!(
            NameTemplate {
                template: "a/{index}".into()
            }
            .check(&fields)
            .is_err()
        );
        assert_eq!(safe_component("..hidden"), "_.hidden");
        assert_eq!(safe_component(".."), "_.");
    }
}
