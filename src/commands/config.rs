//! `comfyctl config show|path`.

use crate::Context;
use crate::cli::ConfigCommand;
use crate::config;
use crate::error::ExitStatus;
use crate::report::commands::ConfigReport;
use crate::secret::redact_url;

/// Runs `config show` or `config path`.
pub fn run(ctx: &Context, cmd: &ConfigCommand) -> anyhow::Result<ExitStatus> {
    let envs = crate::settings::EnvSettings::from_process();
    let path = config::config_path(envs.get(config::env::CONFIG));
    match cmd {
        ConfigCommand::Path => {
            let p = path.ok_or_else(|| {
                crate::error::Failure::usage(
                    "no config directory on this platform; set COMFYCTL_CONFIG",
                )
            })?;
            ctx.printer.data_line(&p.display().to_string())?;
            if !p.exists() {
                ctx.printer.info(
                    &ctx.printer
                        .dim("(the file does not exist yet; comfyctl works without it)"),
                );
            }
        }
        ConfigCommand::Show { json } => {
            let s = ctx.settings(None, None)?;
            let exists = path.as_ref().is_some_and(|p| p.exists());
            let r = ConfigReport {
                config_file: path.as_ref().map(|p| p.display().to_string()),
                config_file_exists: exists,
                profile: s.profile.clone(),
                url: redact_url(&s.url).trim_end_matches('/').to_string(),
                url_source: s.url_source.to_string(),
                output_dir: s.output_dir.display().to_string(),
                output_dir_source: s.output_dir_source.to_string(),
                timeout_secs: s.timeout.map(|t| t.as_secs_f64()),
                timeout_source: s.timeout_source.to_string(),
                headers: s
                    .headers
                    .keys()
                    .map(|k| (k.clone(), "(redacted)".to_string()))
                    .collect(),
                api_key: s.api_key.as_ref().map(|_| "(redacted)".into()),
                api_key_header: s.api_key.as_ref().map(|(h, _)| h.clone()),
                api_key_env: s.api_key_env.clone(),
                kind: s.kind.as_str().into(),
                kind_source: s.kind_source.to_string(),
                partner_key: s.partner_key.as_ref().map(|_| "(redacted)".into()),
                insecure: s.insecure,
                api: s.api.as_str().into(),
                api_source: s.api_source.to_string(),
                v2_key_env: s.v2_key_env.clone(),
                profiles: profiles(&envs)?,
            };
            let v = serde_json::to_value(&r)?;
            if *json {
                ctx.printer.report(&r, false)?;
            } else {
                let line = |k: &str, val: String, src: Option<String>| {
                    let src = src
                        .map(|s| ctx.printer.dim(&format!("  ({s})")))
                        .unwrap_or_default();
                    format!("{:<12} {val}{src}", format!("{k}:"))
                };
                let mut out = vec![
                    line(
                        "config",
                        format!(
                            "{}{}",
                            v["config_file"].as_str().unwrap_or("-"),
                            if exists { "" } else { " (not present)" }
                        ),
                        None,
                    ),
                    line(
                        "profile",
                        s.profile.clone().unwrap_or_else(|| "(none)".into()),
                        None,
                    ),
                    line(
                        "url",
                        v["url"].as_str().unwrap_or("").into(),
                        Some(s.url_source.to_string()),
                    ),
                    line("api", api_words(s.api), Some(s.api_source.to_string())),
                    line(
                        "kind",
                        s.kind.as_str().into(),
                        Some(s.kind_source.to_string()),
                    ),
                    line(
                        "output_dir",
                        s.output_dir.display().to_string(),
                        Some(s.output_dir_source.to_string()),
                    ),
                    line(
                        "timeout",
                        s.timeout
                            .map(|t| format!("{}s", t.as_secs_f64()))
                            .unwrap_or_else(|| "none".into()),
                        Some(s.timeout_source.to_string()),
                    ),
                ];
                for k in s.headers.keys() {
                    out.push(line("header", format!("{k}: (redacted)"), None));
                }
                if let Some((h, _)) = &s.api_key {
                    out.push(line(
                        "api_key",
                        format!("(redacted), sent as {h}"),
                        s.api_key_env.as_ref().map(|e| format!("env {e}")),
                    ));
                }
                if let Some(var) = &s.v2_key_env {
                    out.push(line(
                        "v2_key",
                        "(redacted), sent as Authorization: Bearer to a v2 server".into(),
                        Some(format!("env {var}")),
                    ));
                }
                if s.insecure {
                    out.push(line(
                        "tls",
                        "certificates NOT checked (--insecure)".into(),
                        None,
                    ));
                }
                if s.partner_key.is_some() {
                    out.push(line(
                        "partner_key",
                        "(redacted), sent in extra_data.api_key_comfy_org".into(),
                        Some("env COMFY_API_KEY".into()),
                    ));
                }
                for p in &r.profiles {
                    out.push(line(
                        "profile",
                        format!("{} → {}", p.name, p.url.as_deref().unwrap_or("(no url)")),
                        Some(format!("api {}", p.api)),
                    ));
                }
                for l in out {
                    ctx.printer.data_line(&l)?;
                }
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// What `auto` and the others mean, in a few words.
fn api_words(api: crate::settings::ApiChoice) -> String {
    use crate::settings::ApiChoice;
    match api {
        ApiChoice::Auto => "auto (asks the server once: v2 when it answers /api/v2/health)".into(),
        other => other.as_str().into(),
    }
}

/// Every profile of the config file with the API it uses (a profile without `api` is `auto`,
/// or `v1` when its kind is cloud).
fn profiles(
    envs: &crate::settings::EnvSettings,
) -> anyhow::Result<Vec<crate::report::commands::ProfileApi>> {
    let Some(path) = config::config_path(envs.get(config::env::CONFIG)) else {
        return Ok(Vec::new());
    };
    let Some(file) = config::load(&path)? else {
        return Ok(Vec::new());
    };
    Ok(file
        .profiles
        .iter()
        .map(|(name, p)| {
            let api = p.api.clone().unwrap_or_else(|| {
                match p.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("cloud") => "v1".into(),
                    _ => "auto".into(),
                }
            });
            crate::report::commands::ProfileApi {
                name: name.clone(),
                url: p.url.clone().or_else(|| p.urls.first().cloned()).map(
                    |u| match url::Url::parse(&u) {
                        Ok(parsed) => redact_url(&parsed).trim_end_matches('/').to_string(),
                        Err(_) => u,
                    },
                ),
                api,
            }
        })
        .collect())
}
