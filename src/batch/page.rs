//! The batch report page: one HTML file for a batch folder — a thumbnail, the parameters, seed,
//! server, timings and status of every job, failed jobs with their error, a filter per swept
//! parameter, and the X/Y grid when the batch sweeps one or two parameters.
//!
//! Self-contained: thumbnails are JPEG data URIs inside the page, so it shows them from
//! `file://`, from a mail attachment, or from a zip; each thumbnail links to its full image by a
//! relative path, which opens when the page sits with the folder (the folder zipped and shared
//! keeps working). No framework, no network fetch: a few lines of inline script toggle the
//! filters. Nothing is written into the batch folder except the page itself (where asked), so a
//! batch still running is never disturbed.
//!
//! The plan (`batch.json`) and manifest (`batch.jsonl`) are read as JSON values; a job that
//! appears more than once in the manifest (resumed) is shown as its last line; a job with no
//! line yet is shown as not finished, with its parameters from the plan.

use crate::batch::manifest::{self, MANIFEST_FILE, PLAN_FILE};
use crate::batch::plan::Plan;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// The longest side of a job card's thumbnail, in pixels.
pub const THUMB_PX: u32 = 192;
/// The longest side of a grid cell's thumbnail: a grid has many columns, and each image would
/// otherwise be in the page twice at full thumbnail size.
pub const GRID_THUMB_PX: u32 = 96;

/// The page's default file name inside the batch folder.
pub const REPORT_FILE: &str = "report.html";

/// Why no page was written.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No `batch.json`.
    #[error("{0} is not a batch folder: it has no {PLAN_FILE}")]
    NotABatch(PathBuf),
    /// The folder is not there.
    #[error("{0}: no such folder")]
    NoFolder(PathBuf),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `batch.json` is not a plan this version understands.
    #[error("{path} is not a batch plan this comfyctl understands: {reason}")]
    BadPlan {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The page would replace a file that is not a page ([`check_target`]).
    #[error("{0}")]
    Refused(String),
    /// The page could not be written.
    #[error("cannot write the report {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What the page shows, for the caller's summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PageStats {
    /// Jobs in the plan.
    pub jobs: usize,
    /// Jobs whose last line says `success`.
    pub succeeded: usize,
    /// Jobs whose last line says anything else (failed, error, rejected, cancelled, partial).
    pub failed: usize,
    /// Jobs with no line yet (the batch is running, was stopped, or will be resumed).
    pub not_finished: usize,
    /// Thumbnails embedded.
    pub thumbnails: usize,
    /// Manifest lines that could not be read (cut short by a kill).
    pub bad_lines: usize,
    /// Size of the page in bytes.
    pub bytes: usize,
}

/// What every page carries in its head: how [`check_target`] knows a file is a page it may
/// replace.
const GENERATOR_MARK: &str = "<meta name=\"generator\" content=\"comfyctl";

/// Refuses a page path that would lose something: a directory, or an existing file that is
/// not a page comfyctl wrote (a workflow, the batch's manifest, anything else). A page written
/// before is replaced: that is what writing the report again means.
pub fn check_target(out: &Path) -> Result<(), String> {
    if out.is_dir() {
        return Err(format!(
            "{} is a directory; name the page file, e.g. {}",
            out.display(),
            out.join(REPORT_FILE).display()
        ));
    }
    let mut head = Vec::with_capacity(2048);
    match std::fs::File::open(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", out.display())),
        Ok(f) => {
            use std::io::Read;
            f.take(2048)
                .read_to_end(&mut head)
                .map_err(|e| format!("cannot read {}: {e}", out.display()))?;
        }
    }
    if String::from_utf8_lossy(&head).contains(GENERATOR_MARK) {
        return Ok(());
    }
    Err(format!(
        "{} exists and is not a report page comfyctl wrote; it is left alone: name another file, or remove it first",
        out.display()
    ))
}

/// Writes the page for the batch in `dir` to `out` (atomically: a reader never sees half a
/// page), with links relative to `out`'s folder. What `comfyctl report DIR` and
/// `batch --report FILE` call.
pub fn write_report(dir: &Path, out: &Path) -> Result<PageStats, PageError> {
    let werr = |source| PageError::Write {
        path: out.to_path_buf(),
        source,
    };
    // Before any folder for the page is made: a mistyped DIR leaves nothing behind.
    check_batch_dir(dir)?;
    check_target(out).map_err(PageError::Refused)?;
    let page_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&page_dir).map_err(werr)?;
    let base = link_base(&page_dir, dir);
    let (html, stats) = render(dir, &base)?;
    crate::fsutil::write_atomically(out, html.as_bytes()).map_err(werr)?;
    Ok(stats)
}

/// How the page reaches the batch folder: a relative path (`.`, `../b`) when both are on one
/// root, else a `file://` URL.
pub fn link_base(page_dir: &Path, dir: &Path) -> String {
    let (Ok(from), Ok(to)) = (page_dir.canonicalize(), dir.canonicalize()) else {
        return ".".into();
    };
    match relative(&from, &to) {
        Some(rel) => rel,
        None => url::Url::from_directory_path(&to)
            .map(|u| u.to_string().trim_end_matches('/').to_string())
            .unwrap_or_else(|_| ".".into()),
    }
}

/// `to` relative to `from` as URL path segments, or `None` on different roots (Windows drives).
fn relative(from: &Path, to: &Path) -> Option<String> {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    if f.first() != t.first() {
        return None;
    }
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    for c in &t[common..] {
        parts.push(encode_segment(&c.as_os_str().to_string_lossy()));
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// Percent-encodes one path segment: everything but unreserved characters, so a `:` can never
/// make a scheme nor `#`/`?` cut the path.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A manifest output path (relative to the batch folder, `/` or `\` separated) as its plain
/// components, or `None` when it would leave the folder: a manifest from elsewhere is not
/// trusted to point at `/etc/passwd`.
fn safe_components(path: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let ok = !parts.is_empty()
        && parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains(':'));
    ok.then_some(parts)
}

/// One filter dimension: a swept parameter or a params-file column, and its values.
#[derive(Debug)]
struct Dim {
    name: String,
    values: Vec<String>,
}

/// One job as the page shows it.
struct Job {
    index: usize,
    /// Value index per dimension (`None`: the params file left it unset).
    dims: Vec<Option<usize>>,
    /// Parameters from the plan, for jobs without a line.
    planned: Vec<(String, String)>,
    seed: Option<u64>,
    line: Option<Value>,
}

impl Job {
    fn status(&self) -> &str {
        match &self.line {
            Some(l) => l["status"].as_str().unwrap_or("unknown"),
            None => "not-finished",
        }
    }
}

/// Refuses a folder that is not there, or has no plan.
fn check_batch_dir(dir: &Path) -> Result<(), PageError> {
    if !dir.exists() {
        return Err(PageError::NoFolder(dir.to_path_buf()));
    }
    if !dir.is_dir() || !dir.join(PLAN_FILE).exists() {
        return Err(PageError::NotABatch(dir.to_path_buf()));
    }
    Ok(())
}

/// Reads the batch folder and renders the page; `base` is how the page links to the folder
/// (see [`link_base`]).
pub fn render(dir: &Path, base: &str) -> Result<(String, PageStats), PageError> {
    let plan_path = dir.join(PLAN_FILE);
    let text = match std::fs::read_to_string(&plan_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            check_batch_dir(dir)?;
            return Err(PageError::NotABatch(dir.to_path_buf()));
        }
        Err(source) => {
            return Err(PageError::Read {
                path: plan_path,
                source,
            });
        }
    };
    let bad = |reason: String| PageError::BadPlan {
        path: plan_path.clone(),
        reason,
    };
    let file: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let plan: Plan =
        serde_json::from_value(file["plan"].clone()).map_err(|e| bad(e.to_string()))?;
    let total = plan.len();
    if total > 1_000_000 {
        return Err(bad(format!("{total} jobs is more than a page can show")));
    }

    // The last line of each job wins: a resumed job's earlier failure is history.
    let mut lines: HashMap<usize, Value> = HashMap::new();
    let mut bad_lines = 0;
    let mpath = dir.join(MANIFEST_FILE);
    match std::fs::File::open(&mpath) {
        Ok(f) => manifest::for_each_line(f, |_, v| match v {
            // `submitting` and `retry` notes are not a job's ending.
            Some(v) if !manifest::is_job_line(&v) => {}
            Some(v) => {
                if let Some(i) = v["index"]
                    .as_u64()
                    .map(|i| i as usize)
                    .filter(|i| *i < total)
                {
                    lines.insert(i, v);
                }
            }
            None => bad_lines += 1,
        })
        .map_err(|source| PageError::Read {
            path: mpath.clone(),
            source,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(PageError::Read {
                path: mpath,
                source,
            });
        }
    }

    let mut dims: Vec<Dim> = plan
        .sweeps
        .iter()
        .map(|s| Dim {
            name: s.name.clone(),
            values: s.values.clone(),
        })
        .collect();
    let first_column = dims.len();
    for (c, name) in plan.columns.iter().enumerate() {
        let mut values: Vec<String> = Vec::new();
        for row in &plan.rows {
            if let Some(Some(v)) = row.get(c)
                && !values.contains(v)
            {
                values.push(v.clone());
            }
        }
        dims.push(Dim {
            name: name.clone(),
            values,
        });
    }
    let per_row = plan.combos() / plan.rows.len().max(1);
    let jobs: Vec<Job> = (0..total)
        .map(|i| {
            let spec = plan.job(i);
            let mut d: Vec<Option<usize>> = plan
                .sweep_indices(spec.combo)
                .into_iter()
                .map(Some)
                .collect();
            if !plan.rows.is_empty() {
                let row = &plan.rows[spec.combo / per_row];
                for (c, dim) in dims[first_column..].iter().enumerate() {
                    d.push(
                        row.get(c)
                            .and_then(|v| v.as_ref())
                            .and_then(|v| dim.values.iter().position(|x| x == v)),
                    );
                }
            }
            let seed = plan.seed_of(&spec);
            Job {
                index: i,
                dims: d,
                planned: spec.params,
                seed,
                line: lines.remove(&i),
            }
        })
        .collect();

    let mut stats = PageStats {
        jobs: total,
        bad_lines,
        ..PageStats::default()
    };
    let with_grid = has_grid(&plan);
    let mut thumbs: Vec<Option<Thumb>> = Vec::with_capacity(total);
    for j in &jobs {
        match j.status() {
            "success" => stats.succeeded += 1,
            "not-finished" => stats.not_finished += 1,
            _ => stats.failed += 1,
        }
        let t = j
            .line
            .as_ref()
            .and_then(|l| thumbnail(dir, base, l, with_grid));
        stats.thumbnails += usize::from(t.as_ref().is_some_and(|t| t.card.is_some()));
        thumbs.push(t);
    }

    let mut html = String::with_capacity(4096 + total * 8192);
    head(&mut html, dir, &file, &stats);
    filters(&mut html, &dims, &jobs);
    grid(&mut html, &plan, &dims, &jobs, &thumbs);
    html.push_str("<section id=\"jobs\"><h2>Jobs</h2>\n<div class=\"cards\">\n");
    for (j, t) in jobs.iter().zip(&thumbs) {
        card(&mut html, j, t.as_ref(), &dims, base);
    }
    html.push_str("</div></section>\n");
    html.push_str(SCRIPT);
    html.push_str("</body>\n</html>\n");
    stats.bytes = html.len();
    Ok((html, stats))
}

/// A job's first image: its link, and the thumbnail when it could be read.
struct Thumb {
    href: String,
    /// Data URI, width and height for the job's card…
    card: Option<(String, u32, u32)>,
    /// …and a smaller one for the grid, when there is one.
    grid: Option<(String, u32, u32)>,
}

/// Extensions drawn as thumbnails (the first frame of an animation).
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "gif"];

fn extension(path: &str) -> String {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

fn href(base: &str, parts: &[&str]) -> String {
    let rel: Vec<String> = parts.iter().map(|p| encode_segment(p)).collect();
    if base == "." {
        rel.join("/")
    } else {
        format!("{base}/{}", rel.join("/"))
    }
}

fn thumbnail(dir: &Path, base: &str, line: &Value, with_grid: bool) -> Option<Thumb> {
    let path = line["outputs"]
        .as_array()?
        .iter()
        .filter_map(|o| o["path"].as_str())
        .find(|p| IMAGE_EXTENSIONS.contains(&extension(p).as_str()))?;
    let parts = safe_components(path)?;
    let file = parts.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
    let img = crate::show::load_first_frame(&file)
        .ok()
        .map(|(img, _)| img);
    Some(Thumb {
        href: href(base, &parts),
        card: img.as_ref().and_then(|i| jpeg_data_uri(i, THUMB_PX)),
        grid: img
            .as_ref()
            .filter(|_| with_grid)
            .and_then(|i| jpeg_data_uri(i, GRID_THUMB_PX)),
    })
}

/// The image shrunk (never enlarged) to fit `px` and encoded as a JPEG data URI, with its size.
fn jpeg_data_uri(img: &image::DynamicImage, px: u32) -> Option<(String, u32, u32)> {
    let small = if img.width() > px || img.height() > px {
        img.thumbnail(px, px)
    } else {
        img.clone()
    };
    let rgb = small.to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&rgb)
        .ok()?;
    Some((
        format!("data:image/jpeg;base64,{}", crate::show::base64(&jpeg)),
        rgb.width(),
        rgb.height(),
    ))
}

/// HTML-escapes text for element content and quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as a person reads it: strings bare, numbers as written.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

const STYLE: &str = r#"<style>
:root { color-scheme: light dark; --fg: #1d1f21; --bg: #fafafa; --card: #fff; --line: #d8d8d8; --dim: #666; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e8; --bg: #17181a; --card: #222427; --line: #3a3c40; --dim: #9a9a9a; } }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0 1.5rem 3rem; }
h1 { font-size: 1.4rem; margin: 1.2rem 0 .3rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.summary { color: var(--dim); margin: 0 0 .8rem; } .summary b { color: var(--fg); }
[hidden] { display: none !important; }
fieldset { display: inline-block; border: 1px solid var(--line); border-radius: 6px; margin: 0 .6rem .6rem 0; padding: .3rem .7rem .5rem; vertical-align: top; }
legend { font-weight: 600; padding: 0 .3rem; } fieldset label { margin-right: .7rem; white-space: nowrap; }
#shown { color: var(--dim); margin: .2rem 0 0; }
table.grid { border-collapse: collapse; } table.grid th { padding: .3rem .6rem; font-weight: 600; }
table.grid td { border: 1px solid var(--line); padding: 4px; text-align: center; vertical-align: middle; }
table.grid th.axis { color: var(--dim); font-weight: normal; white-space: nowrap; }
/* Repetitions (--count) share a cell, three to a row. */
table.grid td:has(.gcell + .gcell) { min-width: 312px; }
.gcell { display: inline-block; margin: 2px; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; }
.job { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6rem; width: 240px; }
.job h3 { font-size: .95rem; margin: .4rem 0 .3rem; word-break: break-all; }
img.thumb, img.gthumb { display: block; height: auto; border-radius: 4px; }
img.thumb { width: 100%; } img.gthumb { width: 96px; }
.nothumb { width: 100%; aspect-ratio: 1; display: grid; place-items: center; background: repeating-linear-gradient(45deg, transparent 0 8px, rgba(128,128,128,.12) 8px 16px); color: var(--dim); border-radius: 4px; text-align: center; padding: .5rem; }
.gcell .nothumb { width: 96px; }
.badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: 9px; vertical-align: middle; color: #fff; background: #777; }
.st-success .badge { background: #2e7d32; } .st-not-finished .badge { background: #777; }
.st-failed .badge, .st-error .badge, .st-rejected .badge, .st-lost .badge { background: #c62828; }
.st-cancelled .badge, .st-partial .badge, .st-interrupted .badge { background: #b26a00; }
.params { border-collapse: collapse; margin: .2rem 0; } .params th { text-align: left; color: var(--dim); font-weight: normal; padding-right: .6rem; }
.facts { color: var(--dim); margin: .3rem 0; font-size: .85rem; }
.error { color: #c62828; white-space: pre-wrap; word-break: break-word; font-size: .85rem; margin: .3rem 0; }
.outputs { margin: .2rem 0 0; padding-left: 1.1rem; font-size: .85rem; word-break: break-all; }
</style>
"#;

/// Toggles `hidden` on every `[data-job]` element whose value in an unchecked filter's
/// dimension is unchecked; counts the job cards left.
const SCRIPT: &str = r#"<script>
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-dim]"));
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-job]"));
  function apply() {
    var off = {};
    boxes.forEach(function (b) {
      if (!b.checked) { (off[b.dataset.dim] = off[b.dataset.dim] || {})[b.value] = true; }
    });
    var shown = 0, total = 0;
    items.forEach(function (el) {
      var hide = false;
      Object.keys(off).forEach(function (d) {
        if (off[d][el.getAttribute("data-" + d)]) { hide = true; }
      });
      el.hidden = hide;
      if (el.classList.contains("job")) { total += 1; if (!hide) { shown += 1; } }
    });
    document.getElementById("shown").textContent = shown + " of " + total + " jobs shown";
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  apply();
})();
</script>
"#;

fn head(html: &mut String, dir: &Path, file: &Value, stats: &PageStats) {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"comfyctl {}\">\n<title>batch {} — comfyctl</title>\n{STYLE}</head>\n<body>\n\
         <h1>batch {}</h1>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&name),
        esc(&name)
    );
    let servers: Vec<String> = file["servers"]["urls"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(file["servers"]["profiles"].as_array().into_iter().flatten())
        .map(plain)
        .collect();
    let _ = writeln!(
        html,
        "<p class=\"summary\"><b>{}</b> jobs: <b>{}</b> done, <b>{}</b> failed, <b>{}</b> not finished · workflow <b>{}</b> · started {} by comfyctl {}{}</p>",
        stats.jobs,
        stats.succeeded,
        stats.failed,
        stats.not_finished,
        esc(&plain(&file["workflow"])),
        esc(&plain(&file["created"])),
        esc(&plain(&file["comfyctl"])),
        if servers.is_empty() {
            String::new()
        } else {
            format!(" · servers {}", esc(&servers.join(", ")))
        }
    );
    if stats.not_finished > 0 {
        let _ = writeln!(
            html,
            "<p class=\"summary\">{} job{} not finished: the batch is still running, was stopped, or can be resumed (<code>comfyctl batch --resume</code>); run <code>comfyctl report</code> again for a fresh page.</p>",
            stats.not_finished,
            if stats.not_finished == 1 {
                " is"
            } else {
                "s are"
            }
        );
    }
    if stats.bad_lines > 0 {
        let _ = writeln!(
            html,
            "<p class=\"summary\">{} manifest line{} could not be read (cut short by a kill) and {} left out.</p>",
            stats.bad_lines,
            if stats.bad_lines == 1 { "" } else { "s" },
            if stats.bad_lines == 1 { "is" } else { "are" }
        );
    }
}

/// Data attributes that the filters match on.
fn data_attrs(j: &Job) -> String {
    let mut s = format!(
        " data-job=\"{}\" data-status=\"{}\"",
        j.index,
        esc(j.status())
    );
    for (k, d) in j.dims.iter().enumerate() {
        let _ = write!(
            s,
            " data-d{k}=\"{}\"",
            d.map_or("unset".to_string(), |i| i.to_string())
        );
    }
    s
}

fn filters(html: &mut String, dims: &[Dim], jobs: &[Job]) {
    html.push_str("<section id=\"filters\"><h2>Filters</h2>\n");
    for (k, d) in dims.iter().enumerate() {
        let _ = writeln!(html, "<fieldset><legend>{}</legend>", esc(&d.name));
        for (i, v) in d.values.iter().enumerate() {
            let _ = writeln!(
                html,
                "<label><input type=\"checkbox\" data-dim=\"d{k}\" value=\"{i}\" checked> {}</label>",
                esc(v)
            );
        }
        if jobs.iter().any(|j| j.dims.get(k) == Some(&None)) {
            let _ = writeln!(
                html,
                "<label><input type=\"checkbox\" data-dim=\"d{k}\" value=\"unset\" checked> <i>(not set)</i></label>"
            );
        }
        html.push_str("</fieldset>\n");
    }
    let mut statuses: Vec<&str> = Vec::new();
    for j in jobs {
        if !statuses.contains(&j.status()) {
            statuses.push(j.status());
        }
    }
    statuses.sort_by_key(|s| (*s != "success", *s == "not-finished", *s));
    html.push_str("<fieldset><legend>status</legend>\n");
    for s in statuses {
        let _ = writeln!(
            html,
            "<label><input type=\"checkbox\" data-dim=\"status\" value=\"{0}\" checked> {1}</label>",
            esc(s),
            esc(&s.replace('-', " "))
        );
    }
    html.push_str("</fieldset>\n<p id=\"shown\"></p></section>\n");
}

fn thumb_html(t: Option<&Thumb>, grid: bool, alt: &str, status: &str) -> String {
    let (class, data) = match t {
        Some(t) if grid => ("gthumb", t.grid.as_ref()),
        Some(t) => ("thumb", t.card.as_ref()),
        None => ("", None),
    };
    match (t, data) {
        (Some(t), Some((src, w, h))) => format!(
            "<a href=\"{}\" title=\"open the full image\"><img class=\"{class}\" src=\"{src}\" width=\"{w}\" height=\"{h}\" alt=\"{}\"></a>",
            esc(&t.href),
            esc(alt)
        ),
        (Some(t), None) => format!(
            "<a class=\"nothumb\" href=\"{}\">image not readable</a>",
            esc(&t.href)
        ),
        (None, _) => format!(
            "<div class=\"nothumb\">{}</div>",
            esc(&status.replace('-', " "))
        ),
    }
}

/// Whether the page has an X/Y grid: one or two sweeps, not zipped, no params file, and
/// something to put down the side (a second sweep or `--count` repetitions).
fn has_grid(plan: &Plan) -> bool {
    plan.rows.is_empty()
        && !plan.zip
        && (plan.sweeps.len() == 2 || (plan.sweeps.len() == 1 && plan.count > 1))
}

/// The X/Y grid: the first sweep across, the second (or the repetitions of `--count`) down.
fn grid(html: &mut String, plan: &Plan, dims: &[Dim], jobs: &[Job], thumbs: &[Option<Thumb>]) {
    if !has_grid(plan) {
        return;
    }
    let x = &dims[0];
    let (y_name, y_values): (String, Vec<String>) = if plan.sweeps.len() == 2 {
        (dims[1].name.clone(), dims[1].values.clone())
    } else {
        (
            "seed".into(),
            (0..plan.count)
                .map(|r| {
                    jobs.get(r)
                        .and_then(|j| j.seed)
                        .map_or(format!("#{r}"), |s| s.to_string())
                })
                .collect(),
        )
    };
    let _ = writeln!(
        html,
        "<section id=\"grid\"><h2>Grid: {} × {}</h2>\n<table class=\"grid\">\n<tr><th class=\"axis\">{} ↓ · {} →</th>",
        esc(&x.name),
        esc(&y_name),
        esc(&y_name),
        esc(&x.name)
    );
    for v in &x.values {
        let _ = write!(html, "<th>{}</th>", esc(v));
    }
    html.push_str("</tr>\n");
    let ny = y_values.len();
    for (yi, yv) in y_values.iter().enumerate() {
        let _ = write!(html, "<tr><th>{}</th>", esc(yv));
        for xi in 0..x.values.len() {
            html.push_str("<td>");
            let indices: Vec<usize> = if plan.sweeps.len() == 2 {
                let combo = xi * ny + yi;
                (0..plan.count).map(|r| combo * plan.count + r).collect()
            } else {
                vec![xi * plan.count + yi]
            };
            for i in indices.into_iter().filter(|i| *i < jobs.len()) {
                let j = &jobs[i];
                let name = job_name(j);
                let _ = write!(
                    html,
                    "<div class=\"gcell st-{}\"{}>{}</div>",
                    esc(j.status()),
                    data_attrs(j),
                    thumb_html(thumbs[i].as_ref(), true, &name, j.status())
                );
            }
            html.push_str("</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table></section>\n");
}

fn job_name(j: &Job) -> String {
    j.line
        .as_ref()
        .and_then(|l| l["name"].as_str())
        .map_or_else(|| format!("job {}", j.index), str::to_string)
}

fn seconds(ms: &Value) -> Option<String> {
    ms.as_f64().map(|m| format!("{:.1} s", m / 1000.0))
}

fn card(html: &mut String, j: &Job, t: Option<&Thumb>, dims: &[Dim], base: &str) {
    let status = j.status();
    let name = job_name(j);
    let _ = writeln!(
        html,
        "<article class=\"job st-{}\" id=\"job-{}\"{}>",
        esc(status),
        j.index,
        data_attrs(j)
    );
    html.push_str(&thumb_html(t, false, &name, status));
    let _ = writeln!(
        html,
        "\n<h3>{} <span class=\"badge\">{}</span></h3>",
        esc(&name),
        esc(&status.replace('-', " "))
    );
    // Parameters: the line's (as applied, typed), else the plan's.
    let params: Vec<(String, String)> = match j.line.as_ref().and_then(|l| l["params"].as_object())
    {
        Some(m) => m.iter().map(|(k, v)| (k.clone(), plain(v))).collect(),
        None => j.planned.clone(),
    };
    if !params.is_empty() {
        html.push_str("<table class=\"params\">");
        for (k, v) in &params {
            let swept = dims.iter().any(|d| &d.name == k);
            let _ = write!(
                html,
                "<tr><th>{}</th><td>{}{}{}</td></tr>",
                esc(k),
                if swept { "<b>" } else { "" },
                esc(v),
                if swept { "</b>" } else { "" }
            );
        }
        html.push_str("</table>\n");
    }
    let mut facts: Vec<String> = Vec::new();
    let seed = j.line.as_ref().and_then(|l| l["seed"].as_u64()).or(j.seed);
    if let Some(s) = seed.filter(|_| !params.iter().any(|(k, _)| k == "seed")) {
        facts.push(format!("seed {s}"));
    }
    if let Some(l) = &j.line {
        if let Some(s) = l["server"].as_str() {
            facts.push(format!("server {}", esc(s)));
        }
        let tm = &l["timings"];
        for (key, label) in [
            ("queued_ms", "queued"),
            ("execution_ms", "ran"),
            ("total_ms", "total"),
        ] {
            if let Some(s) = seconds(&tm[key]) {
                facts.push(format!("{label} {s}"));
            }
        }
        if let Some(a) = l["attempt"].as_u64().filter(|a| *a > 1) {
            facts.push(format!("attempt {a}"));
        }
        if let Some(f) = l["finished_at"].as_str() {
            facts.push(format!("finished {}", esc(f)));
        }
    }
    if !facts.is_empty() {
        let _ = writeln!(html, "<p class=\"facts\">{}</p>", facts.join(" · "));
    }
    if let Some(l) = &j.line
        && l["error"].is_object()
    {
        let e = &l["error"];
        let mut text = plain(&e["message"]);
        if let Some(x) = e["exception_message"]
            .as_str()
            .filter(|x| !text.contains(x))
        {
            text.push_str(&format!("\n{x}"));
        }
        if let (Some(node), Some(ty)) = (e["node_id"].as_str(), e["node_type"].as_str()) {
            text.push_str(&format!("\n(node {node}, {ty})"));
        }
        let _ = writeln!(
            html,
            "<p class=\"error\"><b>{}</b>: {}</p>",
            esc(&plain(&e["kind"])),
            esc(text.trim())
        );
    }
    if let Some(outs) = j.line.as_ref().and_then(|l| l["outputs"].as_array())
        && !outs.is_empty()
    {
        html.push_str("<ul class=\"outputs\">");
        for o in outs {
            let Some(p) = o["path"].as_str() else {
                continue;
            };
            let label = Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.to_string());
            let size = o["bytes"]
                .as_u64()
                .map(|b| format!(" ({:.1} KiB)", b as f64 / 1024.0))
                .unwrap_or_default();
            match safe_components(p) {
                Some(parts) => {
                    let _ = write!(
                        html,
                        "<li><a href=\"{}\">{}</a>{size}</li>",
                        esc(&href(base, &parts)),
                        esc(&label)
                    );
                }
                None => {
                    let _ = write!(
                        html,
                        "<li>{} (outside the folder: not linked)</li>",
                        esc(&label)
                    );
                }
            }
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</article>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 2×2 sweep (cfg × steps) where job 0 succeeded, job 1 failed and then succeeded on a
    /// resume, job 2 failed with an error holding markup, job 3 has not finished; plus a line
    /// cut short by a kill.
    fn batch_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let plan = json!({
            "schema_version": 1, "comfyctl": "0.1.0", "created": "2026-12-03T18:56:43Z",
            "workflow": "workflows/<tiny>.json", "prompt": {}, "editor": null,
            "inputs": {"image": null, "inputs": [], "mask": null, "replace_inputs": false},
            "plan": {"count": 1, "seed_mode": "increment", "base_seed": 1234, "batch_seed": 9,
                     "sweeps": [{"name": "cfg", "values": ["4", "7"]},
                                {"name": "steps", "values": ["10", "20"]}],
                     "zip": false, "columns": [], "rows": []},
            "name": {"template": "{index:04}_cfg-{cfg}_steps-{steps}"},
            "flat_output": false, "total": 4,
            "servers": {"profiles": [], "urls": ["http://127.0.0.1:8199"]}
        });
        std::fs::write(d.join(PLAN_FILE), plan.to_string()).unwrap();
        let img = |name: &str, rgb: [u8; 3]| {
            let p = d.join(name).join("e2e");
            std::fs::create_dir_all(&p).unwrap();
            image::RgbImage::from_pixel(400, 300, image::Rgb(rgb))
                .save(p.join("out #1.png"))
                .unwrap();
            format!("{name}/e2e/out #1.png")
        };
        let line = |i: usize, status: &str, path: Option<String>, error: Value| {
            json!({"index": i, "name": format!("000{i}_job"), "params": {"cfg": 4.0, "steps": 10, "seed": 1234},
                   "seed": 1234, "rep": 0, "prompt_id": "p", "server": "http://127.0.0.1:8199",
                   "status": status,
                   "outputs": path.map(|p| vec![json!({"kind": "images", "path": p, "bytes": 2048})]).unwrap_or_default(),
                   "timings": {"queued_ms": 0, "execution_ms": 849, "total_ms": 1860},
                   "error": error, "attempt": 1, "finished_at": "2026-12-03T18:56:44Z"})
            .to_string()
        };
        let lines = [
            line(0, "success", Some(img("0000_a", [255, 0, 0])), Value::Null),
            line(
                1,
                "failed",
                None,
                json!({"kind": "connection", "message": "first try"}),
            ),
            line(
                2,
                "error",
                None,
                json!({"kind": "execution", "message": "<script>alert(1)</script>",
                  "node_id": "3", "node_type": "KSampler", "exception_message": "CUDA out of memory"}),
            ),
            "{\"index\": 3, \"sta".to_string(),
            line(1, "success", Some(img("0001_b", [0, 0, 255])), Value::Null),
        ];
        std::fs::write(d.join(MANIFEST_FILE), lines.join("\n") + "\n").unwrap();
        dir
    }

    #[test]
    fn the_page_shows_every_job_its_last_line_thumbnails_and_the_grid() {
        let dir = batch_dir();
        let (html, stats) = render(dir.path(), ".").unwrap();
        assert_eq!(
            stats,
            PageStats {
                jobs: 4,
                succeeded: 2,
                failed: 1,
                not_finished: 1,
                thumbnails: 2,
                bad_lines: 1,
                bytes: html.len(),
            }
        );
        assert_eq!(html.matches("<article class=\"job ").count(), 4);
        // The resumed job shows its last line, not the failure before it.
        let job1 = &html[html.find("id=\"job-1\"").unwrap()..];
        let job1 = &job1[..job1.find("</article>").unwrap()];
        assert!(
            job1.contains("<span class=\"badge\">success</span>"),
            "{job1}"
        );
        assert!(!job1.contains("first try"));
        // Thumbnails are embedded, linked to the full image by a relative, encoded path.
        assert_eq!(
            html.matches("<img class=\"thumb\" src=\"data:image/jpeg;base64,")
                .count(),
            2
        );
        assert!(html.contains("<a href=\"0000_a/e2e/out%20%231.png\" title=\"open the full image\"><img class=\"thumb\""));
        // 400×300 shrinks to fit 192 px on the cards and 96 px in the grid.
        assert_eq!(
            html.matches("class=\"thumb\" src=\"data:image/jpeg;base64,")
                .count(),
            2
        );
        assert_eq!(html.matches("width=\"192\" height=\"144\"").count(), 2);
        assert_eq!(
            html.matches("class=\"gthumb\" src=\"data:image/jpeg;base64,")
                .count(),
            2
        );
        assert_eq!(html.matches("width=\"96\" height=\"72\"").count(), 2);
        // The error is shown, escaped, with the exception and node.
        assert!(html.contains("<p class=\"error\"><b>execution</b>: &lt;script&gt;alert(1)&lt;/script&gt;\nCUDA out of memory\n(node 3, KSampler)</p>"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("workflow <b>workflows/&lt;tiny&gt;.json</b>"));
        // The job without a line: not finished, its parameters from the plan.
        let job3 = &html[html.find("id=\"job-3\"").unwrap()..];
        assert!(job3.contains("<span class=\"badge\">not finished</span>"));
        assert!(job3.contains(
            "<tr><th>cfg</th><td><b>7</b></td></tr><tr><th>steps</th><td><b>20</b></td></tr>"
        ));
        assert!(html.contains("1 job is not finished"));
        assert!(html.contains("1 manifest line could not be read"));
        // Filters: one per swept parameter, values in plan order, plus status.
        assert!(html.contains("<fieldset><legend>cfg</legend>\n<label><input type=\"checkbox\" data-dim=\"d0\" value=\"0\" checked> 4</label>\n<label><input type=\"checkbox\" data-dim=\"d0\" value=\"1\" checked> 7</label>"));
        assert!(html.contains("data-dim=\"status\" value=\"not-finished\""));
        // Jobs carry the value index of each sweep: job 2 is cfg=7 (1), steps=10 (0).
        assert!(html.contains(
            "id=\"job-2\" data-job=\"2\" data-status=\"error\" data-d0=\"1\" data-d1=\"0\""
        ));
        // The grid: cfg across, steps down; the cell for cfg=4, steps=20 holds job 1.
        let grid = &html[html.find("<section id=\"grid\">").unwrap()
            ..html.find("<section id=\"jobs\">").unwrap()];
        assert!(grid.contains("<h2>Grid: cfg × steps</h2>"));
        assert_eq!(grid.matches("<tr>").count(), 3);
        let row20 = &grid[grid.find("<tr><th>20</th>").unwrap()..];
        let row20 = &row20[..row20.find("</tr>").unwrap()];
        assert!(
            row20.starts_with("<tr><th>20</th><td><div class=\"gcell st-success\" data-job=\"1\""),
            "{row20}"
        );
        // No network: nothing is fetched from anywhere.
        for bad in ["http://", "https://", "//cdn", "@import", "url("] {
            let outside_text = html.replace("http://127.0.0.1:8199", "");
            assert!(!outside_text.contains(bad), "{bad}");
        }
    }

    #[test]
    fn paths_that_leave_the_folder_are_neither_read_nor_linked() {
        let dir = batch_dir();
        let m = dir.path().join(MANIFEST_FILE);
        let mut text = std::fs::read_to_string(&m).unwrap();
        for (i, p) in [
            "../../etc/passwd.png",
            "/etc/x.png",
            "C:\\x.png",
            "a/../../b.png",
        ]
        .iter()
        .enumerate()
        {
            text.push_str(
                &json!({"index": i, "name": "h", "status": "success",
                "outputs": [{"kind": "images", "path": p}]})
                .to_string(),
            );
            text.push('\n');
        }
        std::fs::write(&m, text).unwrap();
        let (html, stats) = render(dir.path(), ".").unwrap();
        assert_eq!(stats.thumbnails, 0);
        assert_eq!(html.matches("(outside the folder: not linked)").count(), 4);
        assert!(!html.contains("passwd.png\""));
    }

    #[test]
    fn links_are_relative_to_where_the_page_is_written() {
        let dir = batch_dir();
        let out = dir.path().join("site").join("r.html");
        let stats = write_report(dir.path(), &out).unwrap();
        assert_eq!(stats.jobs, 4);
        let html = std::fs::read_to_string(&out).unwrap();
        assert!(html.contains("href=\"../0000_a/e2e/out%20%231.png\""));
        let sibling = tempfile::tempdir().unwrap();
        let base = link_base(sibling.path(), dir.path());
        assert!(base.starts_with("../"), "{base}");
        assert_eq!(link_base(dir.path(), dir.path()), ".");
        assert_eq!(encode_segment("a b:c#?é"), "a%20b%3Ac%23%3F%C3%A9");
    }

    #[test]
    fn thumbnails_shrink_but_never_grow() {
        let small = image::DynamicImage::ImageRgb8(image::RgbImage::new(64, 40));
        let (src, w, h) = jpeg_data_uri(&small, THUMB_PX).unwrap();
        assert_eq!((w, h), (64, 40));
        assert!(src.starts_with("data:image/jpeg;base64,/9j/"), "a JPEG");
        let tall = image::DynamicImage::ImageRgb8(image::RgbImage::new(300, 1200));
        let (_, w, h) = jpeg_data_uri(&tall, GRID_THUMB_PX).unwrap();
        assert_eq!((w, h), (24, 96));
    }

    #[test]
    fn a_folder_without_a_plan_is_not_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let err = render(dir.path(), ".").unwrap_err();
        assert!(matches!(err, PageError::NotABatch(_)), "{err}");
        std::fs::write(dir.path().join(PLAN_FILE), "{\"plan\": 3}").unwrap();
        let err = render(dir.path(), ".").unwrap_err();
        assert!(
            err.to_string()
                .contains("not a batch plan this comfyctl understands"),
            "{err}"
        );
    }

    #[test]
    fn params_file_columns_are_filters_and_unset_values_have_their_own_box() {
        let dir = batch_dir();
        let p = dir.path().join(PLAN_FILE);
        let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        plan["plan"]["sweeps"] = json!([]);
        plan["plan"]["columns"] = json!(["prompt"]);
        plan["plan"]["rows"] = json!([["a fox"], [null], ["a cat"], ["a fox"]]);
        std::fs::write(&p, plan.to_string()).unwrap();
        let (html, _) = render(dir.path(), ".").unwrap();
        assert!(html.contains("<legend>prompt</legend>\n<label><input type=\"checkbox\" data-dim=\"d0\" value=\"0\" checked> a fox</label>\n<label><input type=\"checkbox\" data-dim=\"d0\" value=\"1\" checked> a cat</label>\n<label><input type=\"checkbox\" data-dim=\"d0\" value=\"unset\" checked> <i>(not set)</i></label>"));
        assert!(html.contains("data-job=\"1\" data-status=\"success\" data-d0=\"unset\""));
        assert!(html.contains("data-job=\"3\" data-status=\"not-finished\" data-d0=\"0\""));
        assert!(
            !html.contains("<section id=\"grid\">"),
            "no grid without sweeps"
        );
    }
}

/// What `comfyctl report --json` prints: where the page went and what it shows.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ReportWritten {
    /// The page.
    pub path: String,
    /// What it shows.
    #[serde(flatten)]
    pub stats: PageStats,
}

impl crate::report::Shape for ReportWritten {
    const TYPE: &'static str = "report";
}
