//! Which API a server speaks: ComfyUI's own routes (native), Comfy Cloud's `/api/...` (v1),
//! or the Comfy API v2. `--api`/a profile name it; `auto` asks the server once
//! (`GET /api/v2/health`, which needs no key on comfy-api-proxy and which ComfyUI itself
//! answers with 404) and remembers the answer: for the rest of the process always, and for a
//! remote server in the cache directory for a day, so a script's hundredth `run` does not pay
//! a round trip for it. A server on this machine is asked every time: the probe costs well
//! under a millisecond there, and what listens on a local port changes (a proxy today, ComfyUI
//! tomorrow) without anyone telling a cache.

use super::Server;
use crate::settings::{ApiChoice, ServerKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The API a server is driven through, once decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// ComfyUI's routes: `/prompt`, `/ws`, `/history`, `/view`.
    Native,
    /// Comfy Cloud's `/api/...` with `X-API-Key` and signed output URLs.
    V1,
    /// `/api/v2/jobs`, Server-Sent Events, assets, Bearer keys.
    V2,
}

impl Api {
    /// `native`, `v1` or `v2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Native => "native",
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }

    /// The API a choice stands for without asking the server: `None` for `auto` on a server
    /// that is not Comfy Cloud (Cloud's `auto` stays v1, the API comfyctl has always used there;
    /// `--api v2` opts in).
    pub fn from_choice(choice: ApiChoice, kind: ServerKind) -> Option<Api> {
        match choice {
            ApiChoice::Native => Some(Api::Native),
            ApiChoice::V1 => Some(Api::V1),
            ApiChoice::V2 => Some(Api::V2),
            ApiChoice::Auto if kind == ServerKind::Cloud => Some(Api::V1),
            ApiChoice::Auto => None,
        }
    }
}

/// How long a remote server's answer is trusted.
const REMEMBER_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long the probe may take: a server that does not answer this fast is asked again by the
/// command's own request, whose error says what is wrong better than a probe could.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One remembered answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Remembered {
    api: Api,
    /// Seconds since the Unix epoch.
    at: u64,
}

fn cache_file(dir: &Path) -> PathBuf {
    dir.join("api.json")
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn read_cache(dir: &Path) -> BTreeMap<String, Remembered> {
    std::fs::read(cache_file(dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Best effort: a cache that cannot be written only costs a request next time.
fn write_cache(dir: &Path, key: &str, api: Api) {
    let mut all = read_cache(dir);
    let now = now_secs();
    all.retain(|_, r| now.saturating_sub(r.at) < REMEMBER_FOR.as_secs());
    all.insert(key.to_string(), Remembered { api, at: now });
    if let Ok(bytes) = serde_json::to_vec_pretty(&all) {
        let _ = std::fs::create_dir_all(dir);
        let _ = crate::fsutil::write_atomically(&cache_file(dir), &bytes);
    }
}

impl Server {
    /// The API this server is driven through, asking it (once) under `auto`.
    pub async fn api(&self) -> Api {
        *self
            .api
            .get_or_init(|| async {
                let cache = (!self.is_local_machine())
                    .then(crate::config::cache_dir)
                    .flatten();
                let key = self.display_url();
                if let Some(dir) = &cache
                    && let Some(r) = read_cache(dir).get(&key)
                    && now_secs().saturating_sub(r.at) < REMEMBER_FOR.as_secs()
                {
                    self.log(|| {
                        format!("API {} (remembered from {})", r.api.as_str(), dir.display())
                    });
                    return r.api;
                }
                match self.probe().await {
                    Some(api) => {
                        if let Some(dir) = &cache {
                            write_cache(dir, &key, api);
                        }
                        api
                    }
                    None => Api::Native,
                }
            })
            .await
    }

    /// Whether the server answers at all: `GET /api/v2/health` on a v2 server, `/system_stats`
    /// otherwise. An error answer counts as an answer (a proxy without `/system_stats` is
    /// there; the submission will say what is wrong); only a connection failure does not.
    pub async fn answers(&self) -> Result<(), super::ClientError> {
        let path = if self.api().await == Api::V2 {
            "/api/v2/health"
        } else {
            "/system_stats"
        };
        match self.get_json(path).await {
            Ok(_) => Ok(()),
            Err(e @ super::ClientError::Connect { .. }) => Err(e),
            Err(_) => Ok(()),
        }
    }

    /// The API when already decided (a definite choice, or `auto` after [`Server::api`]).
    pub fn api_known(&self) -> Option<Api> {
        self.api.get().copied()
    }

    /// `GET /api/v2/health`: a JSON object → v2; any other answer → native. `None` when the
    /// server could not be asked (the command's own request will say why).
    async fn probe(&self) -> Option<Api> {
        let url = self.endpoint("/api/v2/health");
        self.log(|| format!("GET {} (which API?)", crate::secret::redact_url(&url)));
        let req = self.client().get(url).timeout(PROBE_TIMEOUT);
        let resp = req.send().await.ok()?;
        let status = resp.status();
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.contains("json"));
        let body = resp.bytes().await.ok()?;
        let api = if status.is_success()
            && json
            && serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object())
        {
            Api::V2
        } else {
            Api::Native
        };
        self.log(|| format!("  -> {status}: API {}", api.as_str()));
        Some(api)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_choices_need_no_server() {
        assert_eq!(
            Api::from_choice(ApiChoice::V2, ServerKind::Local),
            Some(Api::V2)
        );
        assert_eq!(
            Api::from_choice(ApiChoice::Auto, ServerKind::Cloud),
            Some(Api::V1)
        );
        assert_eq!(Api::from_choice(ApiChoice::Auto, ServerKind::Local), None);
    }

    #[test]
    fn the_cache_forgets_old_answers() {
        let dir = tempfile::tempdir().unwrap();
        write_cache(dir.path(), "https://a.example", Api::V2);
        let mut all = read_cache(dir.path());
        assert_eq!(all["https://a.example"].api, Api::V2);
        all.insert(
            "https://old.example".into(),
            Remembered {
                api: Api::Native,
                at: 1,
            },
        );
        std::fs::write(cache_file(dir.path()), serde_json::to_vec(&all).unwrap()).unwrap();
        write_cache(dir.path(), "https://b.example", Api::Native);
        let all = read_cache(dir.path());
        assert!(all.contains_key("https://a.example") && all.contains_key("https://b.example"));
        assert!(!all.contains_key("https://old.example"));
    }
}
