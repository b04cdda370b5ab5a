//! comfyctl: drive ComfyUI servers from shells, scripts and CI.
//!
//! The binary is a thin wrapper around [`main_entry`]. Layers: [`config`]/[`settings`] decide
//! where to talk and how; [`workflow`] reads and changes workflows; [`client`] talks to the
//! server (one job runner shared by every command); [`commands`] glue them to the CLI.

// Errors carry the names users need (node, class, input, upstream node); they are built on cold
// paths only, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod batch;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod deps;
pub mod error;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod health;
pub mod hw;
pub mod mcp;
pub mod prepare;
pub mod printer;
pub mod progress;
pub mod rejection;
pub mod render;
pub mod report;
pub mod schemas;
pub mod secret;
pub mod settings;
pub mod setup;
pub mod show;
pub mod signals;
pub mod sys;
pub mod timefmt;
pub mod workflow;

use clap::Parser;
use error::ExitStatus;
use printer::{Printer, Verbosity};
use std::process::ExitCode;

/// What every command gets: the printer and the global flags, with settings resolved on demand
/// (so `completions` and `--print-prompt` never read a config file).
pub struct Context {
    /// Output.
    pub printer: Printer,
    /// Global flags.
    pub global: cli::GlobalArgs,
    /// The config file, read (and warned about) once however often settings are resolved.
    config: std::cell::OnceCell<(Option<std::path::PathBuf>, Option<config::ConfigFile>)>,
    /// Servers already warned about for `--insecure`.
    insecure_warned: std::cell::RefCell<std::collections::BTreeSet<String>>,
    /// A resolved server was the built-in default with no profile (for the error's hint).
    default_server: std::cell::Cell<bool>,
}

impl Context {
    /// What a follow-up command needs to reach `server` the way this one did (` --profile P`
    /// or ` --url URL`, credentials redacted; empty for the default or an environment
    /// variable, which the next command reads too): for hints such as "comfyctl cancel ID…".
    pub fn server_flag(&self, server: &client::Server) -> String {
        if let Some(p) = self.global.profile.first() {
            format!(" --profile {p}")
        } else if !self.global.url.is_empty() {
            format!(" --url {}", server.display_url())
        } else {
            String::new()
        }
    }

    /// A context for a command with these flags.
    pub fn new(printer: Printer, global: cli::GlobalArgs) -> Self {
        Context {
            printer,
            global,
            config: std::cell::OnceCell::new(),
            insecure_warned: Default::default(),
            default_server: Default::default(),
        }
    }

    /// What the error report should know: whether the command ran against the built-in
    /// default server with nothing configured (a first run).
    pub fn situation(&self) -> render::error::Situation {
        render::error::Situation {
            default_server: self.default_server.get(),
        }
    }

    /// The config file, read on first use; warns (like ssh) when it holds secrets others can
    /// read. A command resolves settings more than once (batch: its folder, then each server),
    /// but reads the file and says so once.
    fn config_file(
        &self,
        envs: &settings::EnvSettings,
    ) -> anyhow::Result<(Option<&std::path::Path>, Option<&config::ConfigFile>)> {
        if self.config.get().is_none() {
            let path = config::config_path(envs.get(config::env::CONFIG));
            let file = match &path {
                Some(p) => config::load(p)?,
                None => None,
            };
            if let (Some(p), Some(f)) = (&path, &file)
                && f.profiles.values().any(|pr| !pr.headers.is_empty())
                && config::readable_by_others(p)
            {
                self.printer.warn(&format!(
                    "{} holds header values (secrets) and other users can read it: chmod 600 {0}",
                    p.display()
                ));
            }
            let _ = self.config.set((path, file));
        }
        let (path, file) = self.config.get().expect("set above");
        Ok((path.as_deref(), file.as_ref()))
    }

    /// Resolves settings from flags, environment and config file.
    pub fn settings(
        &self,
        output_dir: Option<std::path::PathBuf>,
        timeout: Option<f64>,
    ) -> anyhow::Result<settings::Settings> {
        self.settings_following(
            output_dir,
            &cli::FollowArgs {
                timeout,
                ..Default::default()
            },
        )
    }

    /// A client for the resolved server (`-v` logs through the printer).
    pub fn server(&self, s: &settings::Settings) -> anyhow::Result<client::Server> {
        Ok(client::Server::new(s, self.printer.debug_log())?)
    }

    /// Node definitions on demand for `spec`, from this command's server.
    pub fn defs(&self, spec: prepare::DefsSpec) -> prepare::DefsProvider<'_> {
        prepare::DefsProvider::new(
            spec,
            Box::new(move || {
                let s = self.settings(None, None)?;
                self.server(&s)
            }),
        )
    }

    /// Reads a workflow (converting an editor one with `defs`) and applies the command line's
    /// parameters; the definitions loaded on the way stay in the returned provider.
    pub fn load_workflow(
        &self,
        path: &std::path::Path,
        params: &cli::ParamArgs,
        defs: &cli::DefsArgs,
        embed: bool,
    ) -> anyhow::Result<(prepare::Prepared, prepare::DefsProvider<'_>)> {
        let mut provider = self.defs(defs.spec());
        let prepared =
            prepare::load_and_apply(&self.printer, path, &params.spec(), &mut provider, embed)?;
        Ok((prepared, provider))
    }

    /// [`Context::settings`] for a command that follows jobs (`--timeout`, `--idle-timeout`).
    pub fn settings_following(
        &self,
        output_dir: Option<std::path::PathBuf>,
        follow: &cli::FollowArgs,
    ) -> anyhow::Result<settings::Settings> {
        let envs = settings::EnvSettings::from_process();
        let (path, file) = self.config_file(&envs)?;
        if self.global.profile.len() > 1 || self.global.url.len() > 1 {
            return Err(error::Failure::usage(
                "only batch takes several --profile or --url; give one",
            )
            .into());
        }
        let flags = settings::FlagSettings {
            profile: self.global.profile.first().cloned(),
            url: self.global.url.first().cloned(),
            output_dir,
            timeout: follow.timeout,
            idle_timeout: follow.idle_timeout,
            reconnect_timeout: follow.reconnect_timeout,
            insecure: self.global.insecure,
            api: self.global.api.clone(),
        };
        let s = settings::resolve(&flags, &envs, file, path)?;
        self.note_servers(std::slice::from_ref(&s));
        Ok(s)
    }

    /// Settings for every server a batch uses: each `--profile`, each `--url`, or each of a
    /// profile's `urls`.
    pub fn settings_all(
        &self,
        output_dir: Option<std::path::PathBuf>,
        follow: &cli::FollowArgs,
    ) -> anyhow::Result<Vec<settings::Settings>> {
        self.settings_for(&self.global.profile, &self.global.url, output_dir, follow)
    }

    /// [`Context::settings_all`] for the given `--profile`s and `--url`s instead of the command
    /// line's (a resumed batch's own servers).
    pub fn settings_for(
        &self,
        profiles: &[String],
        urls: &[String],
        output_dir: Option<std::path::PathBuf>,
        follow: &cli::FollowArgs,
    ) -> anyhow::Result<Vec<settings::Settings>> {
        let envs = settings::EnvSettings::from_process();
        let (path, file) = self.config_file(&envs)?;
        if profiles.len() > 1 && !urls.is_empty() {
            return Err(
                error::Failure::usage("give several --profile or several --url, not both").into(),
            );
        }
        let one = |profile: Option<&String>, url: Option<&String>| {
            let flags = settings::FlagSettings {
                profile: profile.cloned(),
                url: url.cloned(),
                output_dir: output_dir.clone(),
                timeout: follow.timeout,
                idle_timeout: follow.idle_timeout,
                reconnect_timeout: follow.reconnect_timeout,
                insecure: self.global.insecure,
                api: self.global.api.clone(),
            };
            settings::resolve(&flags, &envs, file, path)
        };
        let mut out = Vec::new();
        if profiles.len() > 1 {
            for p in profiles {
                out.push(one(Some(p), None)?);
            }
        } else if urls.len() > 1 {
            for u in urls {
                out.push(one(profiles.first(), Some(u))?);
            }
        } else {
            out.push(one(profiles.first(), urls.first())?);
        }
        // A profile listing several servers stands for all of them.
        let mut expanded = Vec::new();
        for mut first in out {
            let more = std::mem::take(&mut first.more_urls);
            expanded.push(first.clone());
            for u in more {
                let mut extra = first.clone();
                if extra.kind_source == extra.url_source {
                    extra.kind = settings::ServerKind::from_url(&u);
                }
                extra.url = u;
                expanded.push(extra);
            }
        }
        self.note_servers(&expanded);
        Ok(expanded)
    }

    /// Notes what the error report needs of resolved settings, and warns about `--insecure`.
    fn note_servers(&self, servers: &[settings::Settings]) {
        if servers
            .iter()
            .any(|s| s.url_source == settings::Source::Default && s.profile.is_none())
        {
            self.default_server.set(true);
        }
        self.warn_insecure(servers);
    }

    /// `--insecure` is never quiet: every command that uses it says so (also under `-q`), once
    /// per server.
    fn warn_insecure(&self, servers: &[settings::Settings]) {
        for s in servers
            .iter()
            .filter(|s| s.insecure && s.url.scheme() == "https")
        {
            let url = secret::redact_url(&s.url).trim_end_matches('/').to_string();
            if self.insecure_warned.borrow_mut().insert(url.clone()) {
                self.printer.warn_always(&format!(
                    "TLS certificate checks are off for {url} (--insecure): anyone on the network path could read the traffic, keys included"
                ));
            }
        }
    }
}

/// A panic is a bug; its report must still never show a secret. The default hook prints the
/// panic message verbatim, and a message can contain anything a bug formatted into it, so this
/// one removes the value of every secret-looking environment variable (and URL credentials)
/// first, and exits 101 like the default.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let raw = match (
            info.payload().downcast_ref::<&str>(),
            info.payload().downcast_ref::<String>(),
        ) {
            (Some(s), _) => s.to_string(),
            (_, Some(s)) => s.clone(),
            _ => "(no message)".to_string(),
        };
        let mut msg = raw;
        for (k, v) in std::env::vars() {
            let k = k.to_ascii_uppercase();
            let secret = ["KEY", "TOKEN", "SECRET", "PASSWORD"]
                .iter()
                .any(|w| k.contains(w));
            if secret && v.len() >= 6 {
                msg = msg.replace(&v, "(redacted)");
            }
        }
        let msg = secret::redact_text(&msg);
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: comfyctl crashed (a bug){at}: {msg}\nhint: please report it at the project's issue tracker with the command you ran (without your keys)"
        );
    }));
    // A deliberate crash, so the report above is tested like any other output.
    if std::env::var_os("COMFYCTL_DEBUG_PANIC").is_some() {
        let key = std::env::var("COMFY_CLOUD_API_KEY").unwrap_or_default();
        panic!("deliberate crash while holding the key {key}");
    }
}

/// Parses the command line, runs the command, prints any error, returns the exit code.
pub fn main_entry() -> ExitCode {
    install_panic_hook();
    // `COMPLETE=bash comfyctl` prints the dynamic completion script; completing answers here.
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .complete();
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitStatus::Usage.code()
            } else {
                0
            };
            // --help and --version go to stdout; a closed pipe there is not an error.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let verbosity = if cli.global.quiet {
        Verbosity::Quiet
    } else if cli.global.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let printer = Printer::new(verbosity, cli.global.color);
    let ctx = Context::new(printer.clone(), cli.global);
    let result = commands::dispatch(&ctx, cli.command);
    let status = match result {
        Ok(s) => s,
        Err(err) => {
            if render::error::is_broken_pipe(&err) {
                ExitStatus::Success
            } else {
                render::error::report(&printer, &err, ctx.situation());
                render::error::classify(&err)
            }
        }
    };
    ExitCode::from(status.code())
}
