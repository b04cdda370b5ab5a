//! The optional TOML config file: named profiles and which one is the default.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variable names, in one place so docs, tests and code agree.
pub mod env {
    /// Path of the config file (overrides the platform location; tests use it).
    pub const CONFIG: &str = "COMFYCTL_CONFIG";
    /// Profile to use.
    pub const PROFILE: &str = "COMFYCTL_PROFILE";
    /// Server URL.
    pub const URL: &str = "COMFYCTL_URL";
    /// Output directory.
    pub const OUTPUT_DIR: &str = "COMFYCTL_OUTPUT_DIR";
    /// Whole-run timeout in seconds.
    pub const TIMEOUT: &str = "COMFYCTL_TIMEOUT";
    /// `--reconnect-timeout`.
    pub const RECONNECT_TIMEOUT: &str = "COMFYCTL_RECONNECT_TIMEOUT";
    /// API key for the server when the profile names no variable of its own.
    pub const API_KEY: &str = "COMFYCTL_API_KEY";
    /// Cache directory (cached `/object_info` per server and version).
    pub const CACHE_DIR: &str = "COMFYCTL_CACHE_DIR";
    /// `local` or `cloud`: what kind of server the URL is (normally from the URL or profile).
    pub const KIND: &str = "COMFYCTL_KIND";
    /// Comfy Cloud API key, used when a cloud profile names no variable of its own.
    pub const CLOUD_API_KEY: &str = "COMFY_CLOUD_API_KEY";
    /// The Comfy account key: sent to every server as the partner-node key
    /// (`extra_data.api_key_comfy_org`), and the Bearer key of a v2 server when nothing more
    /// specific names one — the variable comfy-sdk reads.
    pub const PARTNER_KEY: &str = "COMFY_API_KEY";
    /// `native`, `v1`, `v2` or `auto`: which API to drive the server through.
    pub const API: &str = "COMFYCTL_API";
    /// comfy-sdk's deployment URL (a v2 server); used when nothing else names a server.
    pub const BASE_URL: &str = "COMFY_BASE_URL";
}

/// The whole file.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when neither `--profile` nor `COMFYCTL_PROFILE` names one.
    pub default_profile: Option<String>,
    /// `[profiles.NAME]` tables.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Server base URL, e.g. `http://127.0.0.1:8188`.
    pub url: Option<String>,
    /// Several servers with the same settings: `batch` spreads jobs over all of them; other
    /// commands use the first (when `url` is not set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Jobs in flight per server for `batch` (Comfy Cloud: what the account's tier allows).
    pub jobs: Option<usize>,
    /// Where outputs are saved.
    pub output_dir: Option<PathBuf>,
    /// Whole-run timeout in seconds.
    pub timeout: Option<f64>,
    /// How long to wait for the server when it goes away during a job, in seconds.
    pub reconnect_timeout: Option<f64>,
    /// Extra headers for a reverse proxy. Values are treated as secrets when shown.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Name of the environment variable holding the API key (the key itself never goes in the
    /// file).
    pub api_key_env: Option<String>,
    /// Header that carries the key; `Authorization` sends `Bearer KEY`. Default `X-API-Key`.
    pub api_key_header: Option<String>,
    /// `local` or `cloud`; by default a `cloud.comfy.org` URL is cloud and anything else local.
    pub kind: Option<String>,
    /// `native` (ComfyUI's own routes), `v1` (Comfy Cloud's `/api/...`), `v2` (the Comfy API
    /// v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or `auto` (the default: asks
    /// the server once).
    pub api: Option<String>,
    /// Accept any TLS certificate from this server (a self-signed one you trust); every command
    /// warns while it is on.
    pub insecure: Option<bool>,
}

/// A config file that could not be read or parsed. Always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// I/O failure other than "missing".
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or schema error, with position.
    #[error("invalid config file {path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What toml said.
        message: String,
    },
}

/// Where the config file lives: `COMFYCTL_CONFIG`, else the platform config dir
/// (`~/.config/comfyctl/config.toml` on Linux).
pub fn config_path(env_override: Option<&str>) -> Option<PathBuf> {
    if let Some(p) = env_override.filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("org", "comfyctl", "comfyctl")
        .map(|d| d.config_dir().join("config.toml"))
}

/// Where caches live: `COMFYCTL_CACHE_DIR`, else the platform cache dir
/// (`~/.cache/comfyctl` on Linux). `None` disables caching.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env::CACHE_DIR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("org", "comfyctl", "comfyctl")
        .map(|d| d.cache_dir().to_path_buf())
}

/// True when the file's group or other users may read it (always false off Unix).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
    }
    // Windows: files under the user's profile (%APPDATA%, where the config lives) inherit an
    // ACL that grants only the user, SYSTEM and Administrators; reading a file's ACL needs the
    // Win32 security API, which this tool does not link, so there is nothing to warn about.
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Reads the file; a missing file is not an error (the tool works with no config).
pub fn load(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(path, &text).map(Some)
}

/// Parses config text, turning toml's byte span into line and column.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col(text, offset);
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profiles() {
        let c = parse(
            Path::new("c.toml"),
            "default_profile = \"gpu\"\n[profiles.gpu]\nurl = \"http://gpu:8188\"\ntimeout = 30\n[profiles.gpu.headers]\nX-Proxy = \"abc\"\n",
        )
        .unwrap();
        assert_eq!(c.default_profile.as_deref(), Some("gpu"));
        let p = &c.profiles["gpu"];
        assert_eq!(p.url.as_deref(), Some("http://gpu:8188"));
        assert_eq!(p.timeout, Some(30.0));
        assert_eq!(p.headers["X-Proxy"], "abc");
    }

    #[test]
    fn error_names_line_and_column() {
        let err = parse(
            Path::new("/x/c.toml"),
            "[profiles.a]\nurl = \"http://a\"\nbogus = 1\n",
        )
        .unwrap_err();
        let s = err.to_string();
        assert!(s.starts_with("invalid config file /x/c.toml:3:1:"), "{s}");
        let err = parse(Path::new("c.toml"), "[profiles.a]\nurl = http://a\n").unwrap_err();
        assert!(err.to_string().contains("c.toml:2:7"), "{err}");
    }

    #[test]
    fn missing_file_is_fine() {
        assert!(
            load(Path::new("/nonexistent/comfyctl.toml"))
                .unwrap()
                .is_none()
        );
    }
}
