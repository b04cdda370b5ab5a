//! `/object_info`, cached per server and ComfyUI version. It is large (megabytes on servers
//! with many custom nodes) and slow to build server-side, but only changes when the server
//! does. Model lists inside it change more often, so a validation failure against a cached copy
//! is re-checked against a fresh one before it is reported (see `commands::validate`).

use super::{ClientError, Server};
use crate::workflow::nodedefs::NodeDefs;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the definitions came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefsSource {
    /// Fetched now.
    Server,
    /// Read from the cache file.
    Cache(PathBuf),
    /// A file the user gave (`--object-info`).
    File(PathBuf),
}

/// Node definitions and where they came from.
#[derive(Debug, Clone)]
pub struct Defs {
    /// The definitions.
    pub defs: NodeDefs,
    /// Their origin.
    pub source: DefsSource,
    /// ComfyUI version from `/system_stats`, when known.
    pub version: Option<String>,
}

/// Reads `/object_info` from a file saved earlier (`curl …/object_info > oi.json`).
pub fn from_file(path: &Path) -> Result<Defs, crate::error::Failure> {
    let usage = |m: String| crate::error::Failure::usage(m);
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(format!(
            "cannot read --object-info file {}: {e}",
            path.display()
        ))
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{}:{}:{}: invalid JSON in --object-info file: {e}",
            path.display(),
            e.line(),
            e.column().max(1)
        ))
    })?;
    let defs = NodeDefs::from_value(&v)
        .map_err(|e| usage(format!("--object-info file {}: {e}", path.display())))?;
    Ok(Defs {
        defs,
        source: DefsSource::File(path.to_path_buf()),
        version: None,
    })
}

/// The cache file for a server and version.
fn cache_path(dir: &Path, server: &Server, version: &str) -> PathBuf {
    let origin = server.display_url();
    let safe: String = origin
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let v: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join("object_info").join(format!("{safe}-{v}.json"))
}

/// Fetches the definitions, using the cache unless `refresh`.
pub async fn fetch(
    server: &Server,
    cache_dir: Option<&Path>,
    refresh: bool,
) -> Result<Defs, ClientError> {
    // The version keys the cache; a server without /system_stats (a proxy) is not cached.
    let version = match server.get_json("/system_stats").await {
        // Not there at all (its retries are spent): /object_info would only retry again.
        Err(e @ ClientError::Connect { .. }) => return Err(e),
        r => r.ok().and_then(|v| {
            v.pointer("/system/comfyui_version")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
    };
    let cache = match (cache_dir, &version) {
        (Some(d), Some(v)) => Some(cache_path(d, server, v)),
        _ => None,
    };
    if let Some(p) = &cache
        && !refresh
        && let Ok(text) = std::fs::read(p)
        && let Ok(defs) = NodeDefs::from_slice(&text)
    {
        server.log(|| format!("object_info from cache {}", p.display()));
        return Ok(Defs {
            defs,
            source: DefsSource::Cache(p.clone()),
            version,
        });
    }
    let v = server.get_json("/object_info").await?;
    let defs = NodeDefs::from_value(&v).map_err(|e| ClientError::BadResponse {
        what: "GET /object_info".into(),
        detail: e.to_string(),
    })?;
    if let Some(p) = &cache {
        // Best effort: a cache that cannot be written only costs time.
        let _ = crate::fsutil::write_atomically(p, &serde_json::to_vec(&v).unwrap_or_default());
    }
    Ok(Defs {
        defs,
        source: DefsSource::Server,
        version,
    })
}
