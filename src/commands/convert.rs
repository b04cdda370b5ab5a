//! `comfyctl convert`: an editor workflow to API format, on stdout or in a file that is written
//! whole or not at all.

use crate::Context;
use crate::cli::ConvertArgs;
use crate::error::{ExitStatus, Failure};
use crate::prepare;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

/// Runs the command.
pub fn run(ctx: &Context, args: &ConvertArgs) -> anyhow::Result<ExitStatus> {
    let out = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    if let Some(p) = out
        && p.exists()
        && !args.force
    {
        return Err(Failure::usage(format!(
            "{} exists; pass --force to replace it",
            p.display()
        ))
        .into());
    }
    let (prepared, mut provider) = ctx.load_workflow(
        &args.workflow,
        &args.params,
        &args.defs,
        !args.no_embed_workflow,
    )?;
    prepare::report_applied(&ctx.printer, &prepared.applied);
    let wf = prepared.wf;
    if wf.editor.is_none() && !args.no_embed_workflow && provider.take().is_none() {
        ctx.printer
            .info(&format!("{} is already in API format", wf.source_name));
    }
    let nodes = Value::Object(wf.nodes);
    let doc = if args.prompt_body {
        let mut body = json!({"prompt": nodes});
        if let Some(e) = wf.editor {
            body["extra_data"] = json!({"extra_pnginfo": {"workflow": e}});
        }
        body
    } else {
        nodes
    };
    match out {
        None => ctx.printer.json_pretty(&doc)?,
        Some(p) => {
            let mut text = serde_json::to_vec_pretty(&doc)?;
            text.push(b'\n');
            write_atomically(p, &text, args.force)?;
            ctx.printer.info(&format!("wrote {}", p.display()));
        }
    }
    Ok(ExitStatus::Success)
}

/// Writes via a temp file in the same directory and a rename (or a hard link when not
/// replacing, so a file that appeared meanwhile is not clobbered either).
fn write_atomically(path: &Path, bytes: &[u8], replace: bool) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all().ok();
    let result = if replace {
        std::fs::rename(&tmp.0, path)
    } else {
        std::fs::hard_link(&tmp.0, path)
    };
    let _ = std::fs::remove_file(&tmp.0);
    result.map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())).into())
}

fn tempfile_in(dir: &Path) -> anyhow::Result<(std::path::PathBuf, std::fs::File)> {
    for i in 0..100u32 {
        let p = dir.join(format!(".comfyctl-convert-{}-{i}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(
                    Failure::usage(format!("cannot write in {}: {e}", dir.display())).into(),
                );
            }
        }
    }
    Err(Failure::usage(format!("cannot create a temp file in {}", dir.display())).into())
}
