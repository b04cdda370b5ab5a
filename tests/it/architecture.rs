//! The layout's rules, checked on the source tree so they cannot quietly erode: top-level
//! modules form no import cycle, nothing below `commands/` reaches up into it, command files
//! stay thin, and a function longer than 150 lines says why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The file's code without its unit tests (tests may reach anywhere).
fn code(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// The top-level module a file belongs to (`client` for src/client/job/mod.rs).
fn top(p: &Path) -> String {
    let rel = p.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(&src());
    let tops: BTreeSet<String> = files.iter().map(|p| top(p)).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let me = top(f);
        if me == "lib" || me == "main" {
            continue;
        }
        let text = code(f);
        let entry = g.entry(me.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != me && tops.contains(&name) && name != "lib" {
                entry.insert(name);
            }
        }
    }
    g
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph();
    // Depth-first search for a back edge, reporting the cycle.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, &g, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}", c.join(" → "));
        }
    }
}

#[test]
fn nothing_outside_commands_uses_it() {
    let g = graph();
    let users: Vec<&String> = g
        .iter()
        .filter(|(k, deps)| *k != "commands" && deps.contains("commands"))
        .map(|(k, _)| k)
        .collect();
    assert!(users.is_empty(), "these modules use commands/: {users:?}");
}

#[test]
fn command_files_stay_thin() {
    for f in rust_files(&src().join("commands")) {
        let n = std::fs::read_to_string(&f).unwrap().lines().count();
        assert!(
            n <= 300,
            "{} has {n} lines: library code belongs outside commands/",
            f.display()
        );
    }
}

#[test]
fn a_long_function_says_why() {
    let mut long = Vec::new();
    for f in rust_files(&src()) {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
            ]
            .iter()
            .any(|p| t.starts_with(p))
                && !l.trim_end().ends_with(';');
            if !is_fn {
                continue;
            }
            let indent = l.len() - t.len();
            let close = format!("{}}}", " ".repeat(indent));
            let Some(end) = lines[i + 1..].iter().position(|x| x.trim_end() == close) else {
                continue;
            };
            let len = end + 2;
            if len <= 150 {
                continue;
            }
            // The comment right above (past doc comments and attributes) must say why.
            let why = lines[..i]
                .iter()
                .rev()
                .take_while(|x| {
                    let x = x.trim_start();
                    x.starts_with("//") || x.starts_with("#[")
                })
                .any(|x| {
                    let x = x.trim_start();
                    x.starts_with("// ") && x.to_lowercase().contains("long")
                });
            if !why {
                long.push(format!("{}:{} ({len} lines)", f.display(), i + 1));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over 150 lines without a comment saying why:\n{}",
        long.join("\n")
    );
}
