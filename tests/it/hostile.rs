//! Every value-taking option of every subcommand, found by walking clap's command tree, given
//! hostile values: none may crash; each is refused with exit 2 and a message, or works (any
//! documented exit code). A new option is covered the day it is added.

use crate::common::{comfyctl_std, sample_workflow, write_workflow};
use clap::CommandFactory;
use std::path::Path;
use std::time::{Duration, Instant};

fn hostile_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "-1",
        "0",
        "NaN",
        "inf",
        "-inf",
        "1e309",
        "18446744073709551616",
        "",
        " ",
        "ünï©ødé ✓",
        "..",
        "1..",
        "..5",
        "5..1:0",
        "1..10:-1",
        "a=b=c",
        "=",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(5000));
    v
}

/// What a required positional gets when another argument is under test.
fn filler(cmd_path: &[String], arg: &clap::Arg, wf: &Path) -> Option<String> {
    let id = arg.get_id().as_str();
    Some(match id {
        "workflow" => wf.display().to_string(),
        "prompt_ids" | "prompt_id" => "00000000-0000-4000-8000-000000000000".into(),
        "shell" => "bash".into(),
        "dir" => wf.parent().unwrap().display().to_string(),
        _ => panic!("no filler for required positional {id} of {cmd_path:?}: add one"),
    })
}

/// `(subcommand path, args)` for one run: the required positionals filled in, the option under
/// test given `value`.
fn cases() -> Vec<(Vec<String>, String, String)> {
    let mut out = Vec::new();
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, String, String)>) {
        for arg in cmd.get_arguments() {
            if !arg.get_action().takes_values() || arg.is_hide_set() {
                continue;
            }
            let name = match arg.get_long() {
                Some(l) => format!("--{l}"),
                None if arg.is_positional() => String::new(),
                None => format!("-{}", arg.get_short().unwrap()),
            };
            out.push((path.clone(), arg.get_id().to_string(), name));
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let root = comfyctl::cli::Cli::command();
    walk(&root, Vec::new(), &mut out);
    out
}

fn argv(path: &[String], id: &str, flag: &str, value: &str, wf: &Path) -> Vec<String> {
    let root = comfyctl::cli::Cli::command();
    let mut cmd = &root;
    for p in path {
        cmd = cmd.find_subcommand(p).unwrap();
    }
    // Global options are tried on a command that uses them.
    let path: Vec<String> = if path.is_empty() {
        vec!["queue".into()]
    } else {
        path.to_vec()
    };
    if cmd.get_name() == "comfyctl" {
        cmd = root.find_subcommand("queue").unwrap();
    }
    let mut args: Vec<String> = path.clone();
    for a in cmd.get_positionals() {
        if a.get_id() == id {
            args.push(value.to_string());
        } else if a.is_required_set() {
            args.push(filler(&path, a, wf).unwrap());
        }
    }
    if !flag.is_empty() {
        args.push(format!("{flag}={value}"));
    }
    // Never wait on a server or a person: an unreachable server answers at once.
    if id != "url" {
        args.extend(["--url".into(), "http://127.0.0.1:9".into()]);
    }
    if path.first().map(String::as_str) == Some("setup") {
        args.push("--dry-run".into());
    }
    args
}

#[test]
fn every_option_survives_hostile_values() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let mut runs: Vec<Vec<String>> = Vec::new();
    for (path, id, flag) in cases() {
        for v in hostile_values() {
            runs.push(argv(&path, &id, &flag, &v, &wf));
        }
    }
    assert!(runs.len() > 500, "the walk found options: {}", runs.len());
    let runs = std::sync::Mutex::new(runs.into_iter());
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let Some(args) = runs.lock().unwrap().next() else {
                        break;
                    };
                    if let Some(f) = run_one(dir.path(), &args) {
                        failures.lock().unwrap().push(f);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} hostile runs misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `None` when the run behaved: a documented exit code, and a message with every exit 2.
fn run_one(home: &Path, args: &[String]) -> Option<String> {
    let mut child = comfyctl_std(home)
        .env("COMFYCTL_RETRY_BASE_MS", "1")
        .env("PATH", home.join("no-bin"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let shown = |a: &[String]| {
        a.iter()
            .map(|x| {
                if x.len() > 40 {
                    format!("{}…({} chars)", &x[..20], x.len())
                } else {
                    format!("{x:?}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            let code = status.code();
            let ok_code = matches!(code, Some(0..=5));
            if !ok_code || err.contains("crashed") {
                return Some(format!(
                    "comfyctl {} → exit {code:?}: {}",
                    shown(args),
                    err.lines().next().unwrap_or("")
                ));
            }
            if code == Some(2) && !err.contains("error") {
                return Some(format!(
                    "comfyctl {} → exit 2 without a message",
                    shown(args)
                ));
            }
            return None;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            return Some(format!(
                "comfyctl {} → still running after 30 s",
                shown(args)
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
