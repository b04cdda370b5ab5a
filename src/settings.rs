//! Resolves the settings a command runs with: flag > environment > profile > default.
//! Pure, so the precedence rules are unit-tested without touching the process environment.

use crate::config::{ConfigFile, Profile, env};
use crate::secret::Secret;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Server used when nothing else is configured.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8188";
/// Header that carries the API key unless the profile says otherwise.
pub const DEFAULT_KEY_HEADER: &str = "X-API-Key";
/// Output directory used when nothing else is configured.
pub const DEFAULT_OUTPUT_DIR: &str = "outputs";
/// How long a job waits for a server that went away, unless told otherwise: a real ComfyUI
/// takes 15–60 s to answer again after a restart (longer with many custom nodes).
pub const DEFAULT_RECONNECT_TIMEOUT_SECS: u64 = 300;
/// The longest duration any setting accepts: 10 years, far beyond any job and far below what
/// `Duration` can hold (`Duration::from_secs_f64` panics past ~1.8e19 s).
pub const MAX_SECS: f64 = 315_360_000.0;

/// What the command line said (each `None` when the flag was absent).
#[derive(Debug, Default, Clone)]
pub struct FlagSettings {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--url`.
    pub url: Option<String>,
    /// `--output-dir`.
    pub output_dir: Option<PathBuf>,
    /// `--timeout` seconds.
    pub timeout: Option<f64>,
    /// `--idle-timeout` seconds.
    pub idle_timeout: Option<f64>,
    /// `--reconnect-timeout` seconds.
    pub reconnect_timeout: Option<f64>,
    /// `--insecure`.
    pub insecure: bool,
    /// `--api`.
    pub api: Option<String>,
}

/// A snapshot of the environment variables we read, plus a way to look up the key variable a
/// profile names.
#[derive(Debug, Default, Clone)]
pub struct EnvSettings {
    /// All relevant variables by name.
    pub vars: BTreeMap<String, String>,
}

impl EnvSettings {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        EnvSettings {
            vars: std::env::vars().filter(|(k, _)| !k.is_empty()).collect(),
        }
    }

    /// A variable, treating empty as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Where a resolved value came from; shown by `config show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env(String),
    /// The named profile in the config file.
    Profile(String),
    /// Built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Profile(p) => write!(f, "profile {p}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The settings every subcommand runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Active profile name, if any.
    pub profile: Option<String>,
    /// Server base URL (no trailing slash).
    pub url: url::Url,
    /// Where `url` came from.
    pub url_source: Source,
    /// Output directory.
    pub output_dir: PathBuf,
    /// Where `output_dir` came from.
    pub output_dir_source: Source,
    /// Whole-run timeout.
    pub timeout: Option<Duration>,
    /// Where `timeout` came from.
    pub timeout_source: Source,
    /// Give up on a job when the server says nothing about it for this long (flag only).
    pub idle_timeout: Option<Duration>,
    /// How long to wait for a server that went away during a job (a restart takes 15–60 s).
    pub reconnect_timeout: Duration,
    /// Where `reconnect_timeout` came from.
    pub reconnect_timeout_source: Source,
    /// Extra request headers (values secret).
    pub headers: BTreeMap<String, Secret>,
    /// API key and the header that carries it.
    pub api_key: Option<(String, Secret)>,
    /// Which variable the key came from (for `config show`).
    pub api_key_env: Option<String>,
    /// Local server or Comfy Cloud.
    pub kind: ServerKind,
    /// Where `kind` came from.
    pub kind_source: Source,
    /// Partner-node key (`COMFY_API_KEY`), sent in `extra_data`, never as a header.
    pub partner_key: Option<Secret>,
    /// The profile's further servers (`urls` after the first), for `batch`.
    pub more_urls: Vec<url::Url>,
    /// The profile's `jobs` (batch parallelism per server).
    pub jobs: Option<usize>,
    /// Accept any TLS certificate from this server (`--insecure` or the profile's `insecure`).
    pub insecure: bool,
    /// Which API drives the server.
    pub api: ApiChoice,
    /// Where `api` came from.
    pub api_source: Source,
    /// The key a v2 server gets (`Authorization: Bearer` unless the profile names a header),
    /// kept apart from `api_key` because `auto` learns which one applies only from the server.
    pub v2_key: Option<(String, Secret)>,
    /// Which variable `v2_key` came from.
    pub v2_key_env: Option<String>,
}

impl Settings {
    /// A v2 server of Comfy's own (Comfy Cloud, a serverless deployment) refuses every request
    /// without a key: say so before sending anything, as comfy-sdk does.
    pub fn api_choice_needs_v2_key(&self) -> bool {
        self.api == ApiChoice::V2 && is_comfy_host(&self.url)
    }
}

/// Which API a server is driven through: the command line's `--api`, `COMFYCTL_API`, a
/// profile's `api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiChoice {
    /// ComfyUI's own routes: `/prompt`, `/ws`, `/history`, `/view`.
    Native,
    /// Comfy Cloud's `/api/...` routes with `X-API-Key` (the API Cloud now calls v1).
    V1,
    /// The Comfy API v2: `/api/v2/jobs`, Server-Sent Events, assets, Bearer keys.
    V2,
    /// Ask the server once (`GET /api/v2/health`): v2 when it answers, else native (v1 for
    /// Comfy Cloud).
    Auto,
}

impl ApiChoice {
    /// The name, as in config files and `--api`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiChoice::Native => "native",
            ApiChoice::V1 => "v1",
            ApiChoice::V2 => "v2",
            ApiChoice::Auto => "auto",
        }
    }

    /// Parses a name (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "native" => Some(ApiChoice::Native),
            "v1" => Some(ApiChoice::V1),
            "v2" => Some(ApiChoice::V2),
            "auto" => Some(ApiChoice::Auto),
            _ => None,
        }
    }
}

/// True for hosts that are Comfy's own services (Comfy Cloud, serverless deployments), which
/// always want a key.
pub fn is_comfy_host(u: &url::Url) -> bool {
    let host = u.host_str().unwrap_or("").to_ascii_lowercase();
    host == "cloud.comfy.org"
        || host.ends_with(".comfy.org")
        || host.ends_with(".run.comfy.app")
        || host == "run.comfy.app"
}

/// Local ComfyUI or Comfy Cloud: they differ in paths, auth and output delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    /// A ComfyUI server (`/prompt`, `/history`, `/view` served directly).
    Local,
    /// Comfy Cloud (`/api/...`, `X-API-Key`, signed output URLs on another host).
    Cloud,
}

impl ServerKind {
    /// `local` or `cloud`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::Local => "local",
            ServerKind::Cloud => "cloud",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" => Some(ServerKind::Local),
            "cloud" => Some(ServerKind::Cloud),
            _ => None,
        }
    }

    /// Cloud for `cloud.comfy.org` and its subdomains (`stagingcloud` too).
    pub fn from_url(u: &url::Url) -> Self {
        let host = u.host_str().unwrap_or("").to_ascii_lowercase();
        if host == "cloud.comfy.org" || host.ends_with("cloud.comfy.org") {
            ServerKind::Cloud
        } else {
            ServerKind::Local
        }
    }
}

/// A settings problem: unknown profile, bad URL, bad number.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `--profile X` with no such profile.
    #[error("profile '{name}' is not defined{where_}; available: {available}")]
    UnknownProfile {
        /// Asked-for name.
        name: String,
        /// " in FILE" or " (no config file)".
        where_: String,
        /// Known names.
        available: String,
    },
    /// `api` that is not one of the four names.
    #[error("invalid API '{value}' (from {source_}): expected native, v1, v2 or auto")]
    BadApi {
        /// The value.
        value: String,
        /// Where it came from.
        source_: Source,
    },
    /// A profile whose `kind` and `api` say different things.
    #[error(
        "profile '{profile}' says kind = \"{kind}\" but api = \"{api}\": Comfy Cloud's own API is v1, a local ComfyUI's is native; drop one of the two"
    )]
    KindVersusApi {
        /// Profile.
        profile: String,
        /// Its kind.
        kind: String,
        /// Its api.
        api: String,
    },
    /// `kind` that is neither `local` nor `cloud`.
    #[error("invalid server kind '{value}' (from {source_}): expected local or cloud")]
    BadKind {
        /// The value.
        value: String,
        /// Where it came from.
        source_: Source,
    },
    /// Not an http(s) URL.
    #[error("invalid server URL '{value}' (from {source_}): {reason}")]
    BadUrl {
        /// The value (credentials stripped).
        value: String,
        /// Where it came from.
        source_: Source,
        /// Why.
        reason: String,
    },
    /// A timeout that is not a positive number.
    #[error(
        "invalid timeout '{value}' (from {source_}): expected seconds, a positive number (at most 10 years)"
    )]
    BadTimeout {
        /// The value.
        value: String,
        /// Where it came from.
        source_: Source,
    },
    /// The profile names a key variable that is not set.
    #[error("profile '{profile}' reads its API key from ${var}, which is not set")]
    MissingKey {
        /// Profile.
        profile: String,
        /// Variable name.
        var: String,
    },
}

fn pick<T>(
    flag: Option<T>,
    env_name: &str,
    env_val: Option<T>,
    profile: Option<(&str, Option<T>)>,
) -> Option<(T, Source)> {
    if let Some(v) = flag {
        return Some((v, Source::Flag));
    }
    if let Some(v) = env_val {
        return Some((v, Source::Env(env_name.to_string())));
    }
    if let Some((name, Some(v))) = profile {
        return Some((v, Source::Profile(name.to_string())));
    }
    None
}

/// Applies the precedence rules. `config_path` is only used in error messages.
pub fn resolve(
    flags: &FlagSettings,
    envs: &EnvSettings,
    file: Option<&ConfigFile>,
    config_path: Option<&std::path::Path>,
) -> Result<Settings, SettingsError> {
    let empty = ConfigFile::default();
    let file_ref = file.unwrap_or(&empty);
    let profile_name = flags
        .profile
        .clone()
        .or_else(|| envs.get(env::PROFILE).map(str::to_string))
        .or_else(|| file_ref.default_profile.clone());
    let profile = find_profile(profile_name.as_deref(), file, file_ref, config_path)?;

    // comfy-sdk's COMFY_BASE_URL names a v2 deployment; it counts only when nothing of
    // comfyctl's own names a server (a profile is a more deliberate choice than a variable
    // set for another tool).
    let (url_str, url_source) = pick(
        flags.url.clone(),
        env::URL,
        envs.get(env::URL).map(str::to_string),
        profile.map(|(n, p)| (n, p.url.clone().or_else(|| p.urls.first().cloned()))),
    )
    .or_else(|| {
        envs.get(env::BASE_URL)
            .map(|u| (u.trim().to_string(), Source::Env(env::BASE_URL.into())))
    })
    .unwrap_or_else(|| (DEFAULT_URL.to_string(), Source::Default));
    let url = parse_server_url(&url_str).map_err(|reason| SettingsError::BadUrl {
        value: url::Url::parse(&url_str)
            .map(|u| crate::secret::redact_url(&u))
            .unwrap_or_else(|_| url_str.clone()),
        source_: url_source.clone(),
        reason,
    })?;

    let (output_dir, output_dir_source) = pick(
        flags.output_dir.clone(),
        env::OUTPUT_DIR,
        envs.get(env::OUTPUT_DIR).map(PathBuf::from),
        profile.map(|(n, p)| (n, p.output_dir.clone())),
    )
    .unwrap_or_else(|| (PathBuf::from(DEFAULT_OUTPUT_DIR), Source::Default));

    let (timeout, timeout_source) = resolve_secs(
        flags.timeout,
        envs,
        env::TIMEOUT,
        profile.map(|(n, p)| (n, p.timeout)),
    )?;
    let (reconnect, reconnect_source) = resolve_secs(
        flags.reconnect_timeout,
        envs,
        env::RECONNECT_TIMEOUT,
        profile.map(|(n, p)| (n, p.reconnect_timeout)),
    )?;
    let reconnect_timeout =
        reconnect.unwrap_or(Duration::from_secs(DEFAULT_RECONNECT_TIMEOUT_SECS));

    let headers = profile
        .map(|(_, p)| {
            p.headers
                .iter()
                .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
                .collect()
        })
        .unwrap_or_default();

    let Access {
        api,
        api_source,
        kind,
        kind_source,
        api_key,
        api_key_env,
        v2_key,
        v2_key_env,
    } = resolve_access(flags, envs, profile, &url, &url_source)?;
    // A profile's `urls` serve batch only when its URL was not overridden.
    let more_urls = match profile {
        Some((name, p)) if url_source == Source::Profile(name.to_string()) && p.url.is_none() => p
            .urls
            .iter()
            .skip(1)
            .map(|u| {
                parse_server_url(u).map_err(|reason| SettingsError::BadUrl {
                    value: u.clone(),
                    source_: Source::Profile(name.to_string()),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };

    Ok(Settings {
        profile: profile.map(|(n, _)| n.to_string()),
        url,
        url_source,
        output_dir,
        output_dir_source,
        timeout,
        timeout_source,
        idle_timeout: flags
            .idle_timeout
            .filter(|t| t.is_finite() && *t > 0.0 && *t <= MAX_SECS)
            .map(Duration::from_secs_f64),
        reconnect_timeout,
        reconnect_timeout_source: reconnect_source,
        headers,
        api_key,
        api_key_env,
        kind,
        kind_source,
        partner_key: envs.get(env::PARTNER_KEY).map(Secret::new),
        more_urls,
        jobs: profile.and_then(|(_, p)| p.jobs),
        insecure: flags.insecure || profile.and_then(|(_, p)| p.insecure).unwrap_or(false),
        api,
        api_source,
        v2_key,
        v2_key_env,
    })
}

/// The named profile, or an error listing the ones there are.
fn find_profile<'a>(
    profile_name: Option<&str>,
    file: Option<&ConfigFile>,
    file_ref: &'a ConfigFile,
    config_path: Option<&std::path::Path>,
) -> Result<Option<(&'a str, &'a Profile)>, SettingsError> {
    let Some(name) = profile_name else {
        return Ok(None);
    };
    if let Some((n, p)) = file_ref.profiles.get_key_value(name) {
        return Ok(Some((n.as_str(), p)));
    }
    let available = if file_ref.profiles.is_empty() {
        "none".to_string()
    } else {
        file_ref
            .profiles
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    let where_ = match (file, config_path) {
        (Some(_), Some(p)) => format!(" in {}", p.display()),
        _ => match config_path {
            Some(p) => format!(" (no config file at {})", p.display()),
            None => " (no config file)".to_string(),
        },
    };
    Err(SettingsError::UnknownProfile {
        name: name.to_string(),
        where_,
        available,
    })
}

/// How a server is reached: its API, its kind, and the keys each API would send.
struct Access {
    api: ApiChoice,
    api_source: Source,
    kind: ServerKind,
    kind_source: Source,
    api_key: Option<(String, Secret)>,
    api_key_env: Option<String>,
    v2_key: Option<(String, Secret)>,
    v2_key_env: Option<String>,
}

/// The API (`--api`, `COMFYCTL_API`, the profile, `auto`), the kind it implies, and the keys.
fn resolve_access(
    flags: &FlagSettings,
    envs: &EnvSettings,
    profile: Option<(&str, &Profile)>,
    url: &url::Url,
    url_source: &Source,
) -> Result<Access, SettingsError> {
    let (api, api_source) = resolve_api(flags, envs, profile, url_source)?;
    let (kind, kind_source) = match api {
        ApiChoice::Native => (ServerKind::Local, api_source.clone()),
        ApiChoice::V1 => (ServerKind::Cloud, api_source.clone()),
        ApiChoice::V2 | ApiChoice::Auto => resolve_kind(envs, profile, url, url_source)?,
    };
    if let Some((name, p)) = profile
        && let (Some(k), Some(a)) = (&p.kind, &p.api)
        && let (Some(k2), Some(a2)) = (ServerKind::parse(k), ApiChoice::parse(a))
        && matches!(
            (k2, a2),
            (ServerKind::Local, ApiChoice::V1) | (ServerKind::Cloud, ApiChoice::Native)
        )
    {
        return Err(SettingsError::KindVersusApi {
            profile: name.to_string(),
            kind: k.clone(),
            api: a.clone(),
        });
    }
    // A v2 server only: the native key is never asked for (a profile's variable is required
    // by whichever API uses it).
    let (api_key, key_var) = if api == ApiChoice::V2 {
        (None, String::new())
    } else {
        resolve_key(envs, profile, kind)?
    };
    let api_key_env = api_key.as_ref().map(|_| key_var);
    let (v2_key, v2_key_env) = match api {
        ApiChoice::V2 | ApiChoice::Auto => resolve_v2_key(envs, profile, url, api)?,
        ApiChoice::Native | ApiChoice::V1 => (None, None),
    };
    Ok(Access {
        api,
        api_source,
        kind,
        kind_source,
        api_key,
        api_key_env,
        v2_key,
        v2_key_env,
    })
}

/// `--api`, else `COMFYCTL_API`, else the profile's `api`; a URL that came from comfy-sdk's
/// `COMFY_BASE_URL` is a v2 deployment; otherwise `auto`.
fn resolve_api(
    flags: &FlagSettings,
    envs: &EnvSettings,
    profile: Option<(&str, &Profile)>,
    url_source: &Source,
) -> Result<(ApiChoice, Source), SettingsError> {
    let named = pick(
        flags.api.clone(),
        env::API,
        envs.get(env::API).map(str::to_string),
        profile.map(|(n, p)| (n, p.api.clone())),
    );
    if let Some((v, src)) = named {
        let api = ApiChoice::parse(&v).ok_or_else(|| SettingsError::BadApi {
            value: v.clone(),
            source_: src.clone(),
        })?;
        return Ok((api, src));
    }
    if *url_source == Source::Env(env::BASE_URL.into()) {
        return Ok((ApiChoice::V2, url_source.clone()));
    }
    Ok((ApiChoice::Auto, Source::Default))
}

/// The key for a v2 server and the variable it came from: the profile's `api_key_env`
/// (required when named), else `COMFYCTL_API_KEY`, else `COMFY_API_KEY` (comfy-sdk's), else
/// for Comfy Cloud `COMFY_CLOUD_API_KEY`. Carried as `Authorization: Bearer` unless the
/// profile names another header. Under `auto` a profile's variable that is unset is not an
/// error here: the native key resolution reports it.
#[allow(clippy::type_complexity)]
fn resolve_v2_key(
    envs: &EnvSettings,
    profile: Option<(&str, &Profile)>,
    url: &url::Url,
    api: ApiChoice,
) -> Result<(Option<(String, Secret)>, Option<String>), SettingsError> {
    let header = profile
        .and_then(|(_, p)| p.api_key_header.clone())
        .unwrap_or_else(|| "Authorization".into());
    if let Some((name, var)) = profile.and_then(|(n, p)| Some((n, p.api_key_env.clone()?))) {
        return match envs.get(&var) {
            Some(k) => Ok((Some((header, Secret::new(k.trim()))), Some(var))),
            None if api == ApiChoice::V2 => Err(SettingsError::MissingKey {
                profile: name.to_string(),
                var,
            }),
            None => Ok((None, None)),
        };
    }
    let mut vars = vec![env::API_KEY, env::PARTNER_KEY];
    if ServerKind::from_url(url) == ServerKind::Cloud {
        vars.push(env::CLOUD_API_KEY);
    }
    for var in vars {
        // Trimmed like comfy-sdk: a key read from a file keeps no newline.
        if let Some(k) = envs.get(var).map(str::trim).filter(|k| !k.is_empty()) {
            return Ok((Some((header, Secret::new(k))), Some(var.to_string())));
        }
    }
    Ok((None, None))
}

/// A duration in seconds: flag, else environment variable `env_name`, else the profile; checked
/// to be positive, finite and at most [`MAX_SECS`] wherever it came from.
fn resolve_secs(
    flag: Option<f64>,
    envs: &EnvSettings,
    env_name: &str,
    profile: Option<(&str, Option<f64>)>,
) -> Result<(Option<Duration>, Source), SettingsError> {
    let env_val = match envs.get(env_name) {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<f64>()
                .map_err(|_| SettingsError::BadTimeout {
                    value: v.to_string(),
                    source_: Source::Env(env_name.into()),
                })?,
        ),
    };
    Ok(match pick(flag, env_name, env_val, profile) {
        Some((t, src)) => {
            if !(t.is_finite() && t > 0.0 && t <= MAX_SECS) {
                return Err(SettingsError::BadTimeout {
                    value: t.to_string(),
                    source_: src,
                });
            }
            (Some(Duration::from_secs_f64(t)), src)
        }
        None => (None, Source::Default),
    })
}

/// `local` or `cloud`: the environment, else the profile, else the URL's host.
fn resolve_kind(
    envs: &EnvSettings,
    profile: Option<(&str, &Profile)>,
    url: &url::Url,
    url_source: &Source,
) -> Result<(ServerKind, Source), SettingsError> {
    let env_kind = match envs.get(env::KIND) {
        None => None,
        Some(v) => Some(ServerKind::parse(v).ok_or_else(|| SettingsError::BadKind {
            value: v.to_string(),
            source_: Source::Env(env::KIND.into()),
        })?),
    };
    let profile_kind = match profile.and_then(|(n, p)| Some((n, p.kind.clone()?))) {
        None => None,
        Some((n, v)) => Some((
            ServerKind::parse(&v).ok_or_else(|| SettingsError::BadKind {
                value: v.clone(),
                source_: Source::Profile(n.to_string()),
            })?,
            Source::Profile(n.to_string()),
        )),
    };
    Ok(match (env_kind, profile_kind) {
        (Some(k), _) => (k, Source::Env(env::KIND.into())),
        (None, Some((k, src))) => (k, src),
        (None, None) => (ServerKind::from_url(url), url_source.clone()),
    })
}

/// The API key and the variable it came from: the variable the profile names (then it is
/// required), else `COMFY_CLOUD_API_KEY` for a cloud server or `COMFYCTL_API_KEY` when set.
#[allow(clippy::type_complexity)]
fn resolve_key(
    envs: &EnvSettings,
    profile: Option<(&str, &Profile)>,
    kind: ServerKind,
) -> Result<(Option<(String, Secret)>, String), SettingsError> {
    let key_header = profile
        .and_then(|(_, p)| p.api_key_header.clone())
        .unwrap_or_else(|| DEFAULT_KEY_HEADER.into());
    let (key_var, required_by) = match profile.and_then(|(n, p)| Some((n, p.api_key_env.clone()?)))
    {
        Some((name, var)) => (var, Some(name)),
        None if kind == ServerKind::Cloud && envs.get(env::CLOUD_API_KEY).is_some() => {
            (env::CLOUD_API_KEY.to_string(), None)
        }
        None => (env::API_KEY.to_string(), None),
    };
    let api_key = match (envs.get(&key_var), required_by) {
        (Some(k), _) => Some((key_header, Secret::new(k))),
        (None, Some(profile)) => {
            return Err(SettingsError::MissingKey {
                profile: profile.to_string(),
                var: key_var,
            });
        }
        (None, None) => None,
    };
    Ok((api_key, key_var))
}

/// Accepts `http(s)://host[:port][/base]`, and a bare `host:port` as http.
pub fn parse_server_url(s: &str) -> Result<url::Url, String> {
    let s = s.trim();
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    };
    let mut u = url::Url::parse(&with_scheme).map_err(|e| e.to_string())?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "scheme must be http or https, not '{}'",
            u.scheme()
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err("a server URL takes no query or fragment".into());
    }
    let path = u.path().trim_end_matches('/').to_string();
    u.set_path(&path);
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use std::path::Path;

    fn file() -> ConfigFile {
        parse(
            Path::new("c.toml"),
            r#"
default_profile = "a"
[profiles.a]
url = "http://a:1"
output_dir = "/out/a"
timeout = 10
[profiles.b]
url = "http://b:2"
api_key_env = "B_KEY"
[profiles.b.headers]
X-Proxy-Token = "tok"
"#,
        )
        .unwrap()
    }

    fn envs(pairs: &[(&str, &str)]) -> EnvSettings {
        EnvSettings {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_api_is_named_or_asked_for() {
        let s = resolve(&FlagSettings::default(), &envs(&[]), None, None).unwrap();
        assert_eq!((s.api, s.kind), (ApiChoice::Auto, ServerKind::Local));
        // comfy-sdk's variables: a v2 deployment, its key as Bearer.
        let e = envs(&[
            ("COMFY_BASE_URL", " https://d1.run.comfy.app "),
            ("COMFY_API_KEY", " k-1\n"),
        ]);
        let s = resolve(&FlagSettings::default(), &e, None, None).unwrap();
        assert_eq!(s.url.as_str(), "https://d1.run.comfy.app/");
        assert_eq!(s.api, ApiChoice::V2);
        assert_eq!(s.api_source, Source::Env("COMFY_BASE_URL".into()));
        let (h, k) = s.v2_key.clone().unwrap();
        assert_eq!((h.as_str(), k.expose()), ("Authorization", "k-1"));
        assert!(s.api_key.is_none());
        // A profile is more deliberate than another tool's variable.
        let s = resolve(&FlagSettings::default(), &e, Some(&file()), None).unwrap();
        assert_eq!((s.url.as_str(), s.api), ("http://a:1/", ApiChoice::Auto));
        // comfyctl's own key variable wins over comfy-sdk's.
        let e = envs(&[("COMFYCTL_API_KEY", "own"), ("COMFY_API_KEY", "sdk")]);
        let flags = FlagSettings {
            api: Some("V2".into()),
            ..Default::default()
        };
        let s = resolve(&flags, &e, None, None).unwrap();
        assert_eq!(s.v2_key.unwrap().1.expose(), "own");
        assert_eq!(s.api_source, Source::Flag);
        // --api v1 is Comfy Cloud's API, whatever the host.
        let flags = FlagSettings {
            api: Some("v1".into()),
            ..Default::default()
        };
        let s = resolve(&flags, &e, None, None).unwrap();
        assert_eq!(s.kind, ServerKind::Cloud);
        let e = envs(&[("COMFYCTL_API", "v3")]);
        let err = resolve(&FlagSettings::default(), &e, None, None).unwrap_err();
        assert!(err.to_string().contains("expected native, v1, v2 or auto"));
        // A Comfy-hosted v2 server without a key is refused before anything is sent.
        let flags = FlagSettings {
            url: Some("https://d1.run.comfy.app".into()),
            api: Some("v2".into()),
            ..Default::default()
        };
        assert!(
            resolve(&flags, &envs(&[]), None, None)
                .unwrap()
                .api_choice_needs_v2_key()
        );
    }

    #[test]
    fn kind_and_api_must_agree() {
        let f = parse(
            Path::new("c.toml"),
            "[profiles.x]\nurl = \"http://x:1\"\nkind = \"local\"\napi = \"v1\"\n",
        )
        .unwrap();
        let flags = FlagSettings {
            profile: Some("x".into()),
            ..Default::default()
        };
        let err = resolve(&flags, &envs(&[]), Some(&f), None).unwrap_err();
        assert!(
            err.to_string()
                .contains("kind = \"local\" but api = \"v1\"")
        );
    }

    #[test]
    fn defaults_without_config() {
        let s = resolve(&FlagSettings::default(), &envs(&[]), None, None).unwrap();
        assert_eq!(s.url.as_str(), "http://127.0.0.1:8188/");
        assert_eq!(s.url_source, Source::Default);
        assert_eq!(s.output_dir, PathBuf::from("outputs"));
        assert!(s.timeout.is_none() && s.api_key.is_none() && s.profile.is_none());
    }

    #[test]
    fn default_profile_applies() {
        let f = file();
        let s = resolve(&FlagSettings::default(), &envs(&[]), Some(&f), None).unwrap();
        assert_eq!(s.profile.as_deref(), Some("a"));
        assert_eq!(s.url.as_str(), "http://a:1/");
        assert_eq!(s.url_source, Source::Profile("a".into()));
        assert_eq!(s.timeout, Some(Duration::from_secs(10)));
    }

    #[test]
    fn flag_beats_env_beats_profile() {
        let f = file();
        let e = envs(&[
            ("COMFYCTL_URL", "http://env:3"),
            ("COMFYCTL_OUTPUT_DIR", "/env"),
        ]);
        let s = resolve(&FlagSettings::default(), &e, Some(&f), None).unwrap();
        assert_eq!(s.url.as_str(), "http://env:3/");
        assert_eq!(s.url_source, Source::Env("COMFYCTL_URL".into()));
        assert_eq!(s.output_dir, PathBuf::from("/env"));
        let flags = FlagSettings {
            url: Some("flag:4".into()),
            timeout: Some(2.5),
            ..Default::default()
        };
        let s = resolve(&flags, &e, Some(&f), None).unwrap();
        assert_eq!(s.url.as_str(), "http://flag:4/");
        assert_eq!(s.url_source, Source::Flag);
        assert_eq!(s.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(s.timeout_source, Source::Flag);
    }

    #[test]
    fn profile_from_env_and_flag() {
        let f = file();
        let e = envs(&[("COMFYCTL_PROFILE", "b"), ("B_KEY", "k-123")]);
        let s = resolve(&FlagSettings::default(), &e, Some(&f), None).unwrap();
        assert_eq!(s.profile.as_deref(), Some("b"));
        let (h, k) = s.api_key.unwrap();
        assert_eq!((h.as_str(), k.expose()), ("X-API-Key", "k-123"));
        assert_eq!(s.headers["X-Proxy-Token"].expose(), "tok");
        let flags = FlagSettings {
            profile: Some("a".into()),
            ..Default::default()
        };
        let s = resolve(&flags, &e, Some(&f), None).unwrap();
        assert_eq!(s.profile.as_deref(), Some("a"));
    }

    #[test]
    fn unknown_profile_lists_known() {
        let f = file();
        let flags = FlagSettings {
            profile: Some("zzz".into()),
            ..Default::default()
        };
        let err = resolve(&flags, &envs(&[]), Some(&f), Some(Path::new("/c.toml"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile 'zzz' is not defined in /c.toml; available: a, b"
        );
    }

    #[test]
    fn missing_key_var_is_an_error_without_the_value() {
        let f = file();
        let flags = FlagSettings {
            profile: Some("b".into()),
            ..Default::default()
        };
        let err = resolve(&flags, &envs(&[]), Some(&f), None).unwrap_err();
        assert!(err.to_string().contains("$B_KEY"));
    }

    #[test]
    fn bad_values() {
        let flags = FlagSettings {
            url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(resolve(&flags, &envs(&[]), None, None).is_err());
        let e = envs(&[("COMFYCTL_TIMEOUT", "soon")]);
        assert!(resolve(&FlagSettings::default(), &e, None, None).is_err());
        let flags = FlagSettings {
            timeout: Some(-1.0),
            ..Default::default()
        };
        assert!(resolve(&flags, &envs(&[]), None, None).is_err());
        // Past what a Duration holds: refused, not a crash.
        for big in ["1e20", "1e309", "inf"] {
            let e = envs(&[("COMFYCTL_TIMEOUT", big)]);
            assert!(
                resolve(&FlagSettings::default(), &e, None, None).is_err(),
                "{big}"
            );
        }
        let flags = FlagSettings {
            url: Some("https://u:secretpw@h".into()),
            ..Default::default()
        };
        let s = resolve(&flags, &envs(&[]), None, None).unwrap();
        assert_eq!(s.url.password(), Some("secretpw"));
    }

    #[test]
    fn url_forms() {
        assert_eq!(
            parse_server_url("localhost:8188").unwrap().as_str(),
            "http://localhost:8188/"
        );
        assert_eq!(
            parse_server_url("https://h/comfy/").unwrap().as_str(),
            "https://h/comfy"
        );
        assert!(parse_server_url("http://h/?a=1").is_err());
    }
}
