//! Model downloads for `deps --fix`: resumable (`NAME.part` + HTTP Range), checked against a
//! sha256 when the source states one, renamed into place only when complete, with Hugging Face
//! and Civitai tokens sent to their own hosts only — never along a redirect to a CDN.

use crate::secret::Secret;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why a download failed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Network trouble that retries did not cure.
    #[error("{url}: {reason}")]
    Network {
        /// Redacted URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The host answered with an error status.
    #[error("{url} answered HTTP {status}{hint}")]
    Status {
        /// Redacted URL.
        url: String,
        /// Status.
        status: u16,
        /// What to do (a token for gated models).
        hint: String,
    },
    /// The file is not what the source said it is; nothing was kept.
    #[error(
        "checksum mismatch for {name}: expected sha256 {expected}, got {actual}; the download was removed"
    )]
    Checksum {
        /// File name.
        name: String,
        /// Stated.
        expected: String,
        /// Computed.
        actual: String,
    },
    /// Local file trouble.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Ctrl-C; the `.part` file stays for the next attempt.
    #[error("interrupted; the partial download is kept for the next --fix")]
    Cancelled,
}

/// A token and the one host it belongs to.
#[derive(Debug, Clone)]
pub struct HostToken {
    /// Host name (exact match, no subdomains).
    pub host: String,
    /// The token, sent as `Authorization: Bearer`.
    pub token: Secret,
}

/// Tokens from `HF_TOKEN` (for the host of `HF_ENDPOINT`, default huggingface.co) and
/// `CIVITAI_API_TOKEN` (civitai.com).
pub fn tokens_from_env(get: impl Fn(&str) -> Option<String>) -> Vec<HostToken> {
    let mut out = Vec::new();
    if let Some(t) = get("HF_TOKEN").filter(|t| !t.is_empty()) {
        let host = get("HF_ENDPOINT")
            .and_then(|e| url::Url::parse(&e).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "huggingface.co".into());
        out.push(HostToken {
            host,
            token: Secret::new(t),
        });
    }
    if let Some(t) = get("CIVITAI_API_TOKEN").filter(|t| !t.is_empty()) {
        out.push(HostToken {
            host: "civitai.com".into(),
            token: Secret::new(t),
        });
    }
    out
}

/// What a finished download reports.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Final path.
    pub path: PathBuf,
    /// Size.
    pub bytes: u64,
    /// Bytes that were already there from an earlier, interrupted attempt.
    pub resumed_from: u64,
    /// The sha256 that was checked, if any.
    pub sha256: Option<String>,
}

/// Progress callback: (bytes so far, total if known).
pub type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);

/// A client for downloads: redirects by hand (so credentials can be dropped), generous read
/// timeout for slow mirrors.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(120))
        .user_agent(concat!("comfyctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a default TLS client")
}

fn shown(u: &url::Url) -> String {
    crate::secret::redact_url(u)
}

/// Downloads `url` to `dir/name`. An existing `dir/name.part` is resumed with a Range request;
/// the file appears at `dir/name` only once complete and checked.
#[allow(clippy::too_many_arguments)]
pub async fn download(
    http: &reqwest::Client,
    url: &url::Url,
    dir: &Path,
    name: &str,
    expected_sha256: Option<&str>,
    tokens: &[HostToken],
    progress: Progress<'_>,
    cancel: &CancellationToken,
) -> Result<Fetched, FetchError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Io {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let final_path = dir.join(name);
    let part = dir.join(format!("{name}.part"));
    let resumed_from = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let mut stated = expected_sha256.map(|s| s.to_ascii_lowercase());
    let mut attempt = 0u32;
    loop {
        let offset = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        match fetch_once(http, url, &part, offset, tokens, progress, cancel).await {
            Ok(Once { linked_sha256 }) => {
                if stated.is_none() {
                    stated = linked_sha256;
                }
                break;
            }
            Err((e, retry)) => {
                attempt += 1;
                if !retry || attempt >= 4 {
                    return Err(e);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))) => {}
                    _ = cancel.cancelled() => return Err(FetchError::Cancelled),
                }
            }
        }
    }
    let bytes = std::fs::metadata(&part).map_err(io(&part))?.len();
    if let Some(expected) = &stated {
        let actual = sha256_file(&part).map_err(io(&part))?;
        if &actual != expected {
            let _ = std::fs::remove_file(&part);
            return Err(FetchError::Checksum {
                name: name.to_string(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    // Never replace a file that appeared meanwhile.
    if final_path.exists() {
        return Err(FetchError::Io {
            path: final_path,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file of that name appeared during the download; the download is kept as .part",
            ),
        });
    }
    std::fs::rename(&part, &final_path).map_err(io(&final_path))?;
    Ok(Fetched {
        path: final_path,
        bytes,
        resumed_from,
        sha256: stated,
    })
}

struct Once {
    linked_sha256: Option<String>,
}

async fn fetch_once(
    http: &reqwest::Client,
    start: &url::Url,
    part: &Path,
    offset: u64,
    tokens: &[HostToken],
    progress: Progress<'_>,
    cancel: &CancellationToken,
) -> Result<Once, (FetchError, bool)> {
    let net = |u: &url::Url, e: &dyn std::fmt::Display| {
        (
            FetchError::Network {
                url: shown(u),
                reason: e.to_string(),
            },
            true,
        )
    };
    let mut url = start.clone();
    let mut linked_sha256 = None;
    let mut resp = None;
    for _ in 0..10 {
        let mut req = http.get(url.clone());
        if offset > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={offset}-"));
        }
        // The token for this hop's host only; a redirect to another host is asked without it.
        if let Some(t) = tokens.iter().find(|t| {
            url.host_str() == Some(t.host.as_str())
                && (url.scheme() == "https" || loopback(&t.host))
        }) {
            req = req.bearer_auth(t.token.expose());
        }
        let r = tokio::select! {
            r = req.send() => r.map_err(|e| net(&url, &e))?,
            _ = cancel.cancelled() => return Err((FetchError::Cancelled, false)),
        };
        // Hugging Face states the LFS file's sha256 on the first hop.
        if let Some(etag) = r
            .headers()
            .get("x-linked-etag")
            .and_then(|v| v.to_str().ok())
        {
            let e = etag.trim_matches('"').to_ascii_lowercase();
            if e.len() == 64 && e.chars().all(|c| c.is_ascii_hexdigit()) {
                linked_sha256 = Some(e);
            }
        }
        if r.status().is_redirection() {
            let loc = r
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| net(&url, &"redirect without a Location"))?;
            url = url.join(loc).map_err(|e| net(&url, &e))?;
            continue;
        }
        resp = Some(r);
        break;
    }
    let Some(resp) = resp else {
        return Err((
            FetchError::Network {
                url: shown(start),
                reason: "more than 10 redirects".into(),
            },
            false,
        ));
    };
    let status = resp.status().as_u16();
    let (append, total) = match status {
        206 => (true, content_range_total(&resp)),
        200 => (false, resp.content_length()),
        // The part file is already the whole file.
        416 if offset > 0 => return Ok(Once { linked_sha256 }),
        s => {
            let hint = match s {
                401 | 403 => {
                    " — a gated or private model: set HF_TOKEN (Hugging Face) or CIVITAI_API_TOKEN (Civitai)"
                }
                _ => "",
            };
            return Err((
                FetchError::Status {
                    url: shown(&url),
                    status: s,
                    hint: hint.into(),
                },
                s >= 500 || s == 429,
            ));
        }
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(part)
        .map_err(|source| {
            (
                FetchError::Io {
                    path: part.to_path_buf(),
                    source,
                },
                false,
            )
        })?;
    let mut have = if append { offset } else { 0 };
    let expect_len = resp.content_length().map(|l| have + l);
    let mut stream = resp;
    loop {
        let chunk = tokio::select! {
            c = stream.chunk() => c.map_err(|e| net(&url, &e))?,
            _ = cancel.cancelled() => return Err((FetchError::Cancelled, false)),
        };
        let Some(chunk) = chunk else { break };
        file.write_all(&chunk).map_err(|source| {
            (
                FetchError::Io {
                    path: part.to_path_buf(),
                    source,
                },
                false,
            )
        })?;
        have += chunk.len() as u64;
        progress(have, total.or(expect_len));
    }
    file.flush().ok();
    if let Some(want) = expect_len
        && have != want
    {
        return Err(net(
            &url,
            &format!("the connection ended at {have} of {want} bytes"),
        ));
    }
    Ok(Once { linked_sha256 })
}

/// Tokens travel over plain http only to a loopback mirror (`HF_ENDPOINT=http://127.0.0.1:…`).
fn loopback(host: &str) -> bool {
    host == "127.0.0.1" || host == "localhost" || host == "[::1]"
}

fn content_range_total(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get(reqwest::header::CONTENT_RANGE)?
        .to_str()
        .ok()?
        .rsplit('/')
        .next()?
        .parse()
        .ok()
}

/// sha256 of a file, lower-case hex, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_with_their_own_host() {
        let env = |k: &str| match k {
            "HF_TOKEN" => Some("hf_x".to_string()),
            "CIVITAI_API_TOKEN" => Some("cv".to_string()),
            _ => None,
        };
        let t = tokens_from_env(env);
        assert_eq!(t[0].host, "huggingface.co");
        assert_eq!(t[1].host, "civitai.com");
        let mirror = tokens_from_env(|k| match k {
            "HF_TOKEN" => Some("hf_x".into()),
            "HF_ENDPOINT" => Some("https://hf-mirror.com".into()),
            _ => None,
        });
        assert_eq!(mirror[0].host, "hf-mirror.com");
        assert!(tokens_from_env(|_| None).is_empty());
    }
}
