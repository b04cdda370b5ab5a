//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), kept in the library so that
//! `cargo test` replays every saved crash and seed through exactly the code the fuzzers ran
//! (`tests` below and `fuzz/README.md`). Each takes raw bytes, must never panic, and asserts
//! the promise the parser makes (an output path that passes the checks stays inside the
//! output directory; an error names a real position).

use crate::workflow::nodedefs::NodeDefs;
use serde_json::Value;

/// Binary WebSocket frames (preview images, text, unknown types).
pub fn binary_frame(data: &[u8]) {
    let m = crate::client::events::parse_binary(data);
    let _ = m.prompt_id();
}

/// Text WebSocket messages: the typed progress path and the generic one.
pub fn ws_message(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(m) = crate::client::events::parse_text(text)
    {
        let _ = m.prompt_id();
    }
}

/// API-format workflows: parse, discover friendly parameters, set each one, validate against
/// the given definitions.
pub fn api_workflow(data: &[u8], defs: &NodeDefs) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut wf) = crate::workflow::parse::parse_str(text, "fuzz.json") else {
        return;
    };
    let _ = crate::workflow::validate::validate(&wf, defs);
    let names: Vec<String> = crate::workflow::schema::discover(&wf)
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    for name in names {
        if let Ok(p) = crate::workflow::params::parse_param(&format!("{name}=7"), "-p") {
            let _ = crate::workflow::params::apply_params(&mut wf, &[p], &mut || 1);
        }
    }
    let _ = crate::workflow::params::randomize_seed(&mut wf, 3);
}

/// Editor (UI-format) workflows: parse, convert to API format, validate the result.
pub fn ui_workflow(data: &[u8], defs: &NodeDefs) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(crate::workflow::parse::Document::Ui { value, .. }) =
        crate::workflow::parse::parse_document(text, "fuzz.json")
    else {
        return;
    };
    if let Ok(c) = crate::workflow::convert::convert(&value, "fuzz.json", defs) {
        let _ = crate::workflow::validate::validate(&c.workflow, defs);
    }
    let _ = crate::workflow::convert::convert_lenient(&value, "fuzz.json", defs);
}

/// Parameter values as typed on the command line: `-p`, `--set`, `--sweep`, ranges, values
/// converted to each JSON type an input can hold, params files.
pub fn param_value(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::workflow::params::parse_param(text, "-p");
    let _ = crate::workflow::inject::parse_set(text, false);
    let _ = crate::workflow::inject::parse_set(text, true);
    let _ = crate::batch::plan::parse_sweep(text);
    let _ = crate::batch::plan::expand_range(text);
    let _ = crate::batch::plan::safe_component(text);
    for current in [
        Value::Bool(true),
        serde_json::json!(1),
        serde_json::json!(1.5),
        serde_json::json!("text"),
        serde_json::json!(["1", 0]),
        Value::Null,
    ] {
        let _ = crate::workflow::inject::typed_value(&current, text);
    }
    let _ = crate::batch::plan::parse_params_text(text, "fuzz.csv", false);
    let _ = crate::batch::plan::parse_params_text(text, "fuzz.jsonl", true);
}

/// Config files and server URLs; a parse error's line and column must lie inside the text.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("config.toml");
    match crate::config::parse(path, text) {
        Ok(file) => {
            for p in file.profiles.values() {
                if let Some(u) = &p.url {
                    let _ = crate::settings::parse_server_url(u);
                }
            }
        }
        Err(crate::config::ConfigError::Parse { line, column, .. }) => {
            assert!(line >= 1 && column >= 1, "line {line} column {column}");
            assert!(
                line <= text.lines().count().max(1) + 1,
                "line {line} past the end"
            );
        }
        Err(_) => {}
    }
    let _ = crate::settings::parse_server_url(text);
}

/// Output names from a server: whatever passes the checks must be plain components that keep
/// a joined path inside the output directory.
pub fn output_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (sub, name) = text.split_once('\n').unwrap_or(("", text));
    let Ok(components) = crate::client::outputs::safe_subfolder(sub) else {
        return;
    };
    if crate::client::outputs::safe_filename(name).is_err() {
        return;
    }
    let root = std::path::Path::new("/out");
    let mut p = root.to_path_buf();
    for c in components.iter().map(String::as_str).chain([name]) {
        assert!(!c.is_empty() && c != "." && c != "..", "component {c:?}");
        assert!(!c.contains(['/', '\\', '\0', ':']), "component {c:?}");
        p.push(c);
    }
    assert!(
        p.components()
            .skip(2)
            .all(|c| matches!(c, std::path::Component::Normal(_))),
        "{p:?}"
    );
    assert!(p.starts_with(root));
}

#[cfg(test)]
mod tests {
    //! Replays `fuzz/corpus-seeds/TARGET/*` and `fuzz/regressions/TARGET/*` (inputs that once
    //! crashed a fuzzer) through the targets.

    use super::*;
    use std::path::Path;

    fn defs() -> NodeDefs {
        NodeDefs::from_slice(include_bytes!(
            "../tests/fixtures/real-comfyui-0.26.0/object_info.json"
        ))
        .unwrap()
    }

    fn replay(target: &str, run: &dyn Fn(&[u8])) -> usize {
        let mut n = 0;
        for dir in ["fuzz/corpus-seeds", "fuzz/regressions"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                run(&data);
                n += 1;
            }
        }
        n
    }

    #[test]
    fn every_seed_and_saved_crash_replays_cleanly() {
        // The published crate has no fuzz/ (a package of its own, which cargo never ships
        // inside this one): nothing to replay there. In a checkout the seeds must be found.
        if !Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").is_dir() {
            eprintln!("no fuzz/ here (a packaged crate): nothing to replay");
            return;
        }
        let defs = defs();
        let counts = [
            ("binary_frame", replay("binary_frame", &binary_frame)),
            ("ws_message", replay("ws_message", &ws_message)),
            (
                "api_workflow",
                replay("api_workflow", &|d| api_workflow(d, &defs)),
            ),
            (
                "ui_workflow",
                replay("ui_workflow", &|d| ui_workflow(d, &defs)),
            ),
            ("param_value", replay("param_value", &param_value)),
            ("config", replay("config", &config)),
            ("output_path", replay("output_path", &output_path)),
        ];
        for (target, n) in counts {
            assert!(n > 0, "no seeds for {target}");
        }
    }

    /// The escapes the target is built around are refused before its assertions, and a plain
    /// name passes them.
    #[test]
    fn output_path_target_rejects_escapes() {
        use crate::client::outputs::{safe_filename, safe_subfolder};
        for bad in [
            "../x\nf.png",
            "a\n..",
            "/abs\nf",
            "a\\..\\..\nf",
            "ok\nC:evil",
        ] {
            let (sub, name) = bad.split_once('\n').unwrap();
            assert!(
                safe_subfolder(sub).is_err() || safe_filename(name).is_err(),
                "{bad:?} passed the checks"
            );
            output_path(bad.as_bytes());
        }
        output_path(b"e2e\nComfyUI_00001_.png");
    }
}
