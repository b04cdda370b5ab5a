//! Inputs as v2 assets, sent once: `HEAD /assets/by-hash/{blake3}` → `POST /assets/from-hash`
//! when the server already has the bytes, else a multipart `POST /assets` with
//! `expected_hash` (the server refuses bytes that changed on the way with 409).

use super::{Asset, ErrorCode, V2Client, V2Error};
use crate::client::ClientError;
use reqwest::Method;
use serde_json::json;
use std::io::Read;
use std::path::Path;

/// How an input reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The server had the bytes already (by hash).
    Deduplicated,
    /// The bytes were uploaded.
    Uploaded,
}

/// `blake3:<hex>` of a file, read in 1 MiB blocks.
pub fn blake3_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("blake3:{}", h.finalize().to_hex()))
}

/// The `file_path` to upload a local file as: its file name, which the proxy places in
/// ComfyUI's `input/` (`input/sub/name` would place it in a subfolder).
pub fn default_file_path(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().replace(['/', '\\'], "_"))
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .unwrap_or_else(|| "input.bin".into())
}

fn guess_content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp3" => "audio/mpeg",
        "safetensors" => "application/octet-stream",
        _ => "application/octet-stream",
    }
}

impl V2Client {
    /// Makes `path` an asset on the server, uploading its bytes only when the server does not
    /// have them. `file_path` is where the proxy places an upload (`x.png`, `input/sub/x.png`).
    pub async fn ensure_asset(
        &self,
        path: &Path,
        file_path: &str,
    ) -> Result<(Asset, Delivery), V2Error> {
        let read_err = |source| {
            V2Error::Client(ClientError::ReadInput {
                path: path.to_path_buf(),
                source,
            })
        };
        let owned = path.to_path_buf();
        let hash = tokio::task::spawn_blocking(move || blake3_file(&owned))
            .await
            .map_err(|e| read_err(std::io::Error::other(e)))?
            .map_err(read_err)?;
        if self.has_hash(&hash).await? {
            match self.from_hash(&hash).await {
                Ok(a) => return Ok((a, Delivery::Deduplicated)),
                // Deleted between the two calls: upload after all.
                Err(V2Error::Api(e)) if e.code == ErrorCode::BlobNotFound => {}
                Err(e) => return Err(e),
            }
        }
        let bytes = std::fs::read(path).map_err(read_err)?;
        let asset = self
            .upload(bytes, &hash, file_path, guess_content_type(path))
            .await?;
        Ok((asset, Delivery::Uploaded))
    }

    /// `HEAD /assets/by-hash/{hash}`: 200 known, 404 not. Any other answer (a server without
    /// the route) counts as unknown, so the file is uploaded.
    pub async fn has_hash(&self, hash: &str) -> Result<bool, V2Error> {
        let url = self.endpoint(&format!("/assets/by-hash/{hash}"));
        let resp = self.send(Method::HEAD, &url, &[], None, false).await?;
        match resp.status().as_u16() {
            200 => Ok(true),
            401 | 403 => Err(super::ApiError::from_parts(
                "HEAD",
                "/api/v2/assets/by-hash",
                resp.status().as_u16(),
                None,
                b"",
            )
            .into()),
            _ => Ok(false),
        }
    }

    /// `POST /assets/from-hash`: the existing asset for bytes the server has.
    pub async fn from_hash(&self, hash: &str) -> Result<Asset, V2Error> {
        let url = self.endpoint("/assets/from-hash");
        let body = serde_json::to_vec(&json!({ "hash": hash })).expect("JSON");
        let resp = self
            .send(Method::POST, &url, &[], Some(body.into()), true)
            .await?;
        let a = Self::read(resp, "POST /api/v2/assets/from-hash").await?;
        Self::decode("POST", "/api/v2/assets/from-hash", &a)
    }

    /// Multipart `POST /assets` (`content_type`, `file_path`, `expected_hash`, `file`), retried
    /// on transient failures — the same bytes again are a dedup hit, never a second copy.
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        hash: &str,
        file_path: &str,
        content_type: &str,
    ) -> Result<Asset, V2Error> {
        let url = self.endpoint("/assets");
        let name = file_path
            .rsplit('/')
            .next()
            .unwrap_or(file_path)
            .to_string();
        let mut n = 0;
        loop {
            let part = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(name.clone())
                .mime_str(content_type)
                .map_err(|e| ClientError::BadResponse {
                    what: "upload".into(),
                    detail: e.to_string(),
                })?;
            let form = reqwest::multipart::Form::new()
                .text("content_type", content_type.to_string())
                .text("file_path", file_path.to_string())
                .text("expected_hash", hash.to_string())
                .part("file", part);
            self.server()
                .log(|| format!("POST {} ({} bytes)", url, bytes.len()));
            let req = self.authorized(
                self.server()
                    .client()
                    .request(Method::POST, url.clone())
                    .multipart(form),
                &url,
            );
            let r: Result<Asset, V2Error> = match req.send().await {
                Ok(resp) => match Self::read(resp, "POST /api/v2/assets").await {
                    Ok(a) => Self::decode("POST", "/api/v2/assets", &a),
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(self.server().connect_error(e).into()),
            };
            match r {
                Err(e) if Self::transient(&e) && n + 1 < self.server().retry.attempts => {
                    tokio::time::sleep(self.pause(n, &e)).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// `DELETE /assets/{id}` (the proxy forgets the record; the file stays in ComfyUI).
    pub async fn delete_asset(&self, id: &str) -> Result<(), V2Error> {
        let path = format!("/assets/{}", super::path_segment(id));
        let url = self.endpoint(&path);
        let resp = self.send(Method::DELETE, &url, &[], None, false).await?;
        let a = Self::read(resp, &format!("DELETE {path}")).await?;
        if a.status >= 300 {
            return Err(super::ApiError::from_parts(
                "DELETE",
                &path,
                a.status,
                a.retry_after.as_deref(),
                &a.body,
            )
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_the_recorded_server() {
        // The bytes of bars-input.png as the recordings downloaded them, and the hash the
        // proxy gave them.
        let doc: serde_json::Value = serde_json::from_slice(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/comfy-api-v2/a_invert.json"
            ))
            .unwrap(),
        )
        .unwrap();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(doc["exchanges"][10]["response"]["base64"].as_str().unwrap())
            .unwrap();
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("bars-input.png");
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(
            blake3_file(&p).unwrap(),
            doc["exchanges"][0]["response"]["json"]["hash"]
        );
        assert_eq!(default_file_path(&p), "bars-input.png");
        assert_eq!(guess_content_type(&p), "image/png");
    }
}
