//! Input images: `/upload/image` and `/upload/mask`. Uploads never replace a different file of
//! the same name unless asked — without `overwrite` the server keeps identical content under its
//! name and renames different content to `name (1).png` (docs/protocol.md, "Uploads") — and the same bytes are
//! sent once per run.

use super::{ClientError, Server};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// A file on the server, as `/upload/*` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// Final name (may differ from the local name).
    pub name: String,
    /// Subfolder.
    pub subfolder: String,
    /// `input`, `temp` or `output`.
    pub file_type: String,
}

impl Uploaded {
    /// The value a loader's combo input takes: `sub/name`, or `name` at the top level.
    pub fn input_value(&self) -> String {
        let base = if self.subfolder.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.subfolder, self.name)
        };
        if self.file_type == "input" {
            base
        } else {
            format!("{base} [{}]", self.file_type)
        }
    }
}

/// Uploads within one run, so the same bytes go up once.
#[derive(Debug, Default)]
pub struct Uploader {
    done: HashMap<(u64, usize, bool, Option<String>), Uploaded>,
    /// Pass `overwrite=true`: replace a different file of the same name on the server.
    pub overwrite: bool,
}

impl Uploader {
    /// An uploader; `overwrite` replaces different files of the same name on the server.
    pub fn new(overwrite: bool) -> Self {
        Uploader {
            done: HashMap::new(),
            overwrite,
        }
    }

    /// Uploads `path` through `/upload/image`, or through `/upload/mask` onto `mask_of`.
    pub async fn upload(
        &mut self,
        server: &Server,
        path: &Path,
        mask_of: Option<&Uploaded>,
    ) -> Result<Uploaded, ClientError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| ClientError::ReadInput {
                path: path.to_path_buf(),
                source,
            })?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        let key = (
            h.finish(),
            bytes.len(),
            mask_of.is_some(),
            mask_of.map(Uploaded::input_value),
        );
        if let Some(u) = self.done.get(&key) {
            return Ok(u.clone());
        }
        let name = file_name(path);
        let route = if mask_of.is_some() {
            "/upload/mask"
        } else {
            "/upload/image"
        };
        let mut attempt = 0;
        let v = loop {
            let mut form = Form::new()
                .part("image", Part::bytes(bytes.clone()).file_name(name.clone()))
                .text("type", "input")
                .text("overwrite", if self.overwrite { "true" } else { "false" });
            if let Some(orig) = mask_of {
                form = form.text(
                    "original_ref",
                    json!({"filename": orig.name, "subfolder": orig.subfolder, "type": orig.file_type}).to_string(),
                );
            }
            let url = server.endpoint(route);
            server.log(|| format!("POST {route} ({} bytes)", bytes.len()));
            let mut req = server
                .client()
                .request(Method::POST, url.clone())
                .multipart(form);
            for (k, val) in server.auth_headers_for(&url) {
                req = req.header(k.as_str(), val.expose());
            }
            let result = req.send().await.map_err(|e| server.connect_error(e));
            // Uploading identical bytes again is harmless (the server reuses the name), so
            // failures are retried like a GET.
            let retry = match &result {
                Err(ClientError::Connect { .. }) => true,
                Ok(r) => r.status().is_server_error(),
                Err(_) => false,
            };
            if retry && attempt + 1 < server.retry.attempts {
                tokio::time::sleep(server.retry.delay(attempt)).await;
                attempt += 1;
                continue;
            }
            let resp = result?;
            if resp.status() == reqwest::StatusCode::PAYLOAD_TOO_LARGE {
                return Err(ClientError::Http {
                    method: "POST".into(),
                    path: route.into(),
                    status: 413,
                    body: format!(
                        ": {} ({} bytes) is larger than the server accepts (its --max-upload-size)",
                        path.display(),
                        bytes.len()
                    ),
                });
            }
            break super::http::read_json(resp, "POST", route).await?;
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let up = Uploaded {
            name: s("name").ok_or_else(|| ClientError::BadResponse {
                what: format!("POST {route}"),
                detail: format!("no \"name\" in {v}"),
            })?,
            subfolder: s("subfolder").unwrap_or_default(),
            file_type: s("type").unwrap_or_else(|| "input".into()),
        };
        self.done.insert(key, up.clone());
        Ok(up)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "image.png".into())
}

/// An input image named on the command line: which parameter or node it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// A friendly name (`image`, `mask`, `image@12`) or a node id/title.
    pub target: String,
    /// The local file.
    pub path: PathBuf,
    /// What the user typed, for messages.
    pub origin: String,
}
