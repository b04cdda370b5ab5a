//! Saving v2 outputs: `GET` the output's URL (never `HEAD` it: the proxy sends a body after a
//! HEAD's headers and poisons the connection), resume a broken transfer with `Range`, and land
//! it under the output directory by the rules of `client::outputs` (no escaping names, no
//! overwriting, no half-written files). The key goes only to the server's own origin: a signed
//! URL elsewhere, or a redirect there, gets no credentials.

use super::{ErrorCode, Output, V2Client, V2Error, resolve_link};
use crate::client::ClientError;
use crate::client::outputs::{
    OutputFile, SaveOptions, SavedFile, commit, prepare_dir, safe_filename, safe_subfolder,
};
use crate::client::report::{JobEvent, Reporter};
use base64::Engine;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// Where an output goes below the output directory: `(subfolder, file name)`. The name may
/// carry a subfolder (`sub/x.png`); the proxy's names do not, but its output ids are a readable
/// (signed) reference whose `s` is ComfyUI's subfolder, so that is used when it names this
/// same file — keeping the layout a native run gives (`bars/inv_00005_.png`).
pub fn output_path(out: &Output) -> (String, String) {
    let name = out.name.replace('\\', "/");
    if let Some((sub, file)) = name.rsplit_once('/') {
        return (sub.to_string(), file.to_string());
    }
    let sub = proxy_reference(&out.id)
        .filter(|(f, _)| *f == name)
        .map(|(_, s)| s)
        .unwrap_or_default();
    (sub, name)
}

/// The key a native ComfyUI lists an output under (`images`, `gifs`, …) for a v2 `type`, so
/// results and events read the same whichever API ran the job.
pub fn native_kind(kind: &str) -> String {
    match kind {
        "image" => "images",
        "video" => "gifs",
        "file" => "files",
        "latent" => "latents",
        other => other,
    }
    .to_string()
}

/// `(file, subfolder)` from a comfy-api-proxy output id (`base64url(JSON{j,f,s,t}).tag`).
fn proxy_reference(id: &str) -> Option<(String, String)> {
    let (payload, _tag) = id.split_once('.')?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    Some((
        v.get("f")?.as_str()?.to_string(),
        v.get("s")?.as_str()?.to_string(),
    ))
}

/// Removes the partial file unless it was committed.
struct Partial {
    path: PathBuf,
    keep: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What one attempt ended with.
enum Attempt {
    /// All bytes are in the partial file.
    Done,
    /// Try again (resuming from what is there, or from 0 when `restart`), after `wait` when
    /// the server named one (`Retry-After`).
    Retry {
        reason: String,
        restart: bool,
        wait: Option<std::time::Duration>,
    },
}

impl V2Client {
    /// Downloads one output into `opts.output_dir`, resuming with `Range` after a broken
    /// transfer; returns where it landed.
    pub async fn download_output(
        &self,
        out: &Output,
        opts: &SaveOptions,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<SavedFile, V2Error> {
        let (sub, name) = output_path(out);
        let shown = if sub.is_empty() {
            name.clone()
        } else {
            format!("{sub}/{name}")
        };
        let unsafe_path = |reason: String| ClientError::UnsafePath {
            name: shown.clone(),
            reason,
        };
        safe_filename(&name).map_err(unsafe_path)?;
        let comps = if opts.flat {
            Vec::new()
        } else {
            safe_subfolder(&sub).map_err(unsafe_path)?
        };
        let dir = prepare_dir(&opts.output_dir, &comps)?;
        let url = resolve_link(&out.url, &self.server().base)?;
        let tmp = dir.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
        let mut partial = Partial {
            path: tmp.clone(),
            keep: false,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|source| ClientError::LocalIo {
                path: tmp.clone(),
                source,
            })?;
        let shown_path = dir.join(&name).display().to_string();
        let mut total: Option<u64> = None;
        let mut attempt = 0u32;
        loop {
            let r = self
                .fetch_into(
                    &url,
                    &mut file,
                    &tmp,
                    &mut total,
                    &shown_path,
                    reporter,
                    cancel,
                )
                .await?;
            match r {
                Attempt::Done => break,
                Attempt::Retry {
                    reason,
                    restart,
                    wait,
                } => {
                    attempt += 1;
                    if attempt >= self.server().retry.attempts {
                        return Err(ClientError::Download {
                            name: shown,
                            reason,
                        }
                        .into());
                    }
                    if restart {
                        truncate(&mut file, &tmp)?;
                    }
                    reporter.report(JobEvent::DownloadRetry {
                        name: shown.clone(),
                        reason,
                        attempt,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(wait.map_or_else(
                            || self.server().retry.delay(attempt - 1),
                            |w| w.min(std::time::Duration::from_secs(60)),
                        )) => {}
                        _ = cancel.cancelled() => return Err(ClientError::Cancelled.into()),
                    }
                }
            }
        }
        file.flush().map_err(|source| ClientError::LocalIo {
            path: tmp.clone(),
            source,
        })?;
        drop(file);
        let bytes = std::fs::metadata(&tmp).map(|m| m.len()).unwrap_or(0);
        let path =
            commit(&tmp, &dir, &name, opts.overwrite).map_err(|source| ClientError::LocalIo {
                path: dir.join(&name),
                source,
            })?;
        partial.keep = true;
        reporter.report(JobEvent::Saved {
            node: out.node_id.clone(),
            kind: native_kind(&out.kind),
            path: path.display().to_string(),
            bytes,
        });
        Ok(SavedFile {
            file: OutputFile {
                node_id: out.node_id.clone(),
                kind: native_kind(&out.kind),
                filename: name,
                subfolder: sub,
                file_type: "output".into(),
                animated: out.kind == "video",
                format: out.content_type.clone(),
            },
            path,
            bytes,
        })
    }

    /// One GET (following redirects by hand, credentials only on the server's origin) into the
    /// partial file, from where it stands.
    #[allow(clippy::too_many_arguments)]
    async fn fetch_into(
        &self,
        start: &url::Url,
        file: &mut std::fs::File,
        tmp: &Path,
        total: &mut Option<u64>,
        shown_path: &str,
        reporter: &mut dyn Reporter,
        cancel: &CancellationToken,
    ) -> Result<Attempt, V2Error> {
        let io = |source| ClientError::LocalIo {
            path: tmp.to_path_buf(),
            source,
        };
        let have = file.metadata().map_err(io)?.len();
        if total.is_some_and(|t| t == have && have > 0) {
            return Ok(Attempt::Done);
        }
        // Redirects by hand, credentials only on the server's origin (the native path's own).
        let sent = tokio::select! {
            r = crate::client::outputs::get_following_redirects(self.server(), start.clone(), Some(have)) => r,
            _ = cancel.cancelled() => return Err(ClientError::Cancelled.into()),
        };
        let resp = match sent {
            Ok(r) => r,
            Err(e @ ClientError::BadResponse { .. }) => return Err(e.into()),
            Err(e) => {
                return Ok(Attempt::Retry {
                    reason: format!("request failed: {e}"),
                    restart: false,
                    wait: None,
                });
            }
        };
        let url = resp.url().clone();
        let status = resp.status().as_u16();
        let append = match status {
            200 => {
                *total = resp.content_length();
                if have > 0 {
                    truncate(file, tmp)?;
                }
                false
            }
            206 => {
                let range = resp
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range);
                match range {
                    Some((from, t)) if from == have => {
                        *total = t.or(*total);
                        true
                    }
                    _ => {
                        return Ok(Attempt::Retry {
                            reason: "the server resumed at another byte".into(),
                            restart: true,
                            wait: None,
                        });
                    }
                }
            }
            // Nothing left to send: the file is whole if it is as long as promised. The proxy
            // says 502 for an unsatisfiable range where others say 416.
            416 | 502 if have > 0 => {
                let body = resp.bytes().await.unwrap_or_default();
                let e = super::ApiError::from_parts("GET", url.path(), status, None, &body);
                if status == 416 || e.code == ErrorCode::UpstreamError {
                    if total.is_some_and(|t| t == have) {
                        return Ok(Attempt::Done);
                    }
                    return Ok(Attempt::Retry {
                        reason: format!("the server could not resume at byte {have}"),
                        restart: true,
                        wait: None,
                    });
                }
                return Ok(Attempt::Retry {
                    reason: e.to_string(),
                    restart: false,
                    wait: e.retry_after,
                });
            }
            s => {
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let body = resp.bytes().await.unwrap_or_default();
                let e = super::ApiError::from_parts(
                    "GET",
                    url.path(),
                    s,
                    retry_after.as_deref(),
                    &body,
                );
                if e.is_transient() {
                    return Ok(Attempt::Retry {
                        reason: e.to_string(),
                        restart: false,
                        wait: e.retry_after,
                    });
                }
                return Err(e.into());
            }
        };
        if !append && have == 0 {
            reporter.report(JobEvent::DownloadStarted {
                path: shown_path.to_string(),
                total: *total,
            });
        }
        let got = if append { have } else { 0 };
        stream_body(resp, file, tmp, got, *total, shown_path, reporter, cancel).await
    }
}

/// Writes the body to the end of the partial file; a broken connection or a short body is an
/// attempt to retry (from where it stands).
#[allow(clippy::too_many_arguments)]
async fn stream_body(
    mut resp: reqwest::Response,
    file: &mut std::fs::File,
    tmp: &Path,
    mut got: u64,
    total: Option<u64>,
    shown_path: &str,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<Attempt, V2Error> {
    let io = |source| ClientError::LocalIo {
        path: tmp.to_path_buf(),
        source,
    };
    file.seek(std::io::SeekFrom::End(0)).map_err(io)?;
    let mut last = std::time::Instant::now();
    loop {
        let chunk = tokio::select! {
            c = resp.chunk() => c,
            _ = cancel.cancelled() => return Err(ClientError::Cancelled.into()),
        };
        match chunk {
            Ok(Some(b)) => {
                file.write_all(&b).map_err(io)?;
                got += b.len() as u64;
                if last.elapsed().as_millis() >= 100 {
                    last = std::time::Instant::now();
                    reporter.report(JobEvent::DownloadProgress {
                        path: shown_path.to_string(),
                        bytes: got,
                    });
                }
            }
            Ok(None) => break,
            Err(e) => {
                file.flush().map_err(io)?;
                return Ok(Attempt::Retry {
                    reason: format!("connection broke after {got} bytes: {}", e.without_url()),
                    restart: false,
                    wait: None,
                });
            }
        }
    }
    file.flush().map_err(io)?;
    reporter.report(JobEvent::DownloadProgress {
        path: shown_path.to_string(),
        bytes: got,
    });
    match total {
        Some(t) if t != got => Ok(Attempt::Retry {
            reason: format!("got {got} of {t} bytes"),
            restart: got > t,
            wait: None,
        }),
        _ => Ok(Attempt::Done),
    }
}

fn truncate(file: &mut std::fs::File, tmp: &Path) -> Result<(), ClientError> {
    file.set_len(0)
        .and_then(|()| file.seek(std::io::SeekFrom::Start(0)).map(|_| ()))
        .map_err(|source| ClientError::LocalIo {
            path: tmp.to_path_buf(),
            source,
        })
}

/// `bytes A-B/T` → (A, T when known).
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (a, _) = span.split_once('-')?;
    Some((a.trim().parse().ok()?, total.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(name: &str, id: &str) -> Output {
        serde_json::from_value(serde_json::json!({
            "node_id": "3", "name": name, "type": "image", "content_type": "image/png",
            "size_bytes": 0, "id": id, "hash": null, "url": "http://x/api/v2/assets/a/content",
        }))
        .unwrap()
    }

    #[test]
    fn paths_keep_the_subfolder_from_the_name_or_the_proxy_id() {
        // The recorded output of a_invert: name without subfolder, id naming bars/.
        let id = "eyJqIjogIjQyZmQ3ODI2LTQ2MWEtNDYwZi1iODMzLWNiZTkxNDc1YmRhNiIsICJmIjogImludl8wMDAwNV8ucG5nIiwgInMiOiAiYmFycyIsICJ0IjogIm91dHB1dCJ9.0d95Y8AOcTyHAFxxxyzRqG7eNdv9GJw5iYwAun2QaLM";
        assert_eq!(
            output_path(&output("inv_00005_.png", id)),
            ("bars".into(), "inv_00005_.png".into())
        );
        // An id naming another file is not believed; a UUID id has no subfolder.
        assert_eq!(
            output_path(&output("other.png", id)),
            (String::new(), "other.png".into())
        );
        assert_eq!(
            output_path(&output("a.png", "9f8a1c0d-2b3e-4f56-8a7b-1c2d3e4f5a6b")),
            (String::new(), "a.png".into())
        );
        assert_eq!(
            output_path(&output("sub/dir/a.png", "x")),
            ("sub/dir".into(), "a.png".into())
        );
        // Hostile names come through as they are, for safe_subfolder/safe_filename to refuse.
        let (s, f) = output_path(&output("../../etc/passwd", "x"));
        assert!(safe_subfolder(&s).is_err() || safe_filename(&f).is_err());
    }

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 10-459/460"),
            Some((10, Some(460)))
        );
        assert_eq!(parse_content_range("bytes 0-99/*"), Some((0, None)));
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
