//! Outputs: finding them in a history entry, and saving them under the output directory without
//! ever writing outside it, overwriting silently, or leaving a half-written file behind.

use super::report::{JobEvent, Reporter};
use super::{ClientError, Server, http::same_origin};
use crate::workflow::parse::node_id_order;
use futures_util::StreamExt;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// A file the server produced.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OutputFile {
    /// Node that produced it.
    pub node_id: String,
    /// The key it was listed under (`images`, `gifs`, `audio`, `video`, …).
    pub kind: String,
    /// File name as the server gave it.
    pub filename: String,
    /// Server subfolder.
    pub subfolder: String,
    /// `output`, `temp` or `input`.
    #[serde(rename = "type")]
    pub file_type: String,
    /// Animated (video saved as `images` with `animated: [true]`).
    pub animated: bool,
    /// MIME-ish format when the node says (VHS `format`).
    pub format: Option<String>,
}

/// A text output (`text: [..]`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TextOutput {
    /// Node.
    pub node_id: String,
    /// Text.
    pub text: String,
}

/// Every file and text output of a run, nodes in id order. Any list of objects with a
/// `filename` counts as files, whatever the key (docs/protocol.md, "Outputs").
pub fn collect(outputs: &Map<String, Value>) -> (Vec<OutputFile>, Vec<TextOutput>) {
    let mut ids: Vec<&String> = outputs.keys().collect();
    ids.sort_by(|a, b| node_id_order(a, b));
    let mut files = Vec::new();
    let mut texts = Vec::new();
    for id in ids {
        let Some(ui) = outputs[id].as_object() else {
            continue;
        };
        let animated = ui
            .get("animated")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_bool() == Some(true)));
        for (key, val) in ui {
            let Some(items) = val.as_array() else {
                continue;
            };
            for item in items {
                match item {
                    Value::Object(o) => {
                        let Some(filename) = o.get("filename").and_then(Value::as_str) else {
                            continue;
                        };
                        let s =
                            |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        files.push(OutputFile {
                            node_id: id.clone(),
                            kind: key.clone(),
                            filename: filename.to_string(),
                            subfolder: s("subfolder"),
                            file_type: o
                                .get("type")
                                .and_then(Value::as_str)
                                .unwrap_or("output")
                                .to_string(),
                            animated: animated
                                || o.get("format")
                                    .and_then(Value::as_str)
                                    .is_some_and(|f| f.starts_with("video/")),
                            format: o.get("format").and_then(Value::as_str).map(str::to_string),
                        });
                    }
                    Value::String(t) if key == "text" => texts.push(TextOutput {
                        node_id: id.clone(),
                        text: t.clone(),
                    }),
                    _ => {}
                }
            }
        }
    }
    (files, texts)
}

/// The `/view` URL of an output.
pub fn view_url(server: &Server, f: &OutputFile) -> url::Url {
    let mut u = server.endpoint("/view");
    u.query_pairs_mut()
        .append_pair("filename", &f.filename)
        .append_pair("subfolder", &f.subfolder)
        .append_pair("type", &f.file_type);
    u
}

/// Where and how to save.
#[derive(Debug, Clone)]
pub struct SaveOptions {
    /// Root output directory.
    pub output_dir: PathBuf,
    /// Ignore server subfolders.
    pub flat: bool,
    /// Replace existing files instead of numbering.
    pub overwrite: bool,
}

/// A file on disk.
#[derive(Debug, Clone, Serialize)]
pub struct SavedFile {
    /// What it is.
    #[serde(flatten)]
    pub file: OutputFile,
    /// Where it is.
    pub path: PathBuf,
    /// Size.
    pub bytes: u64,
}

/// Names Windows keeps for devices, whatever the extension (`NUL.png` is the null device
/// there): <https://learn.microsoft.com/windows/win32/fileio/naming-a-file>.
const WINDOWS_DEVICES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// One path component, refused on every platform when it could escape the output directory
/// or could not be stored (or would mean something else) on Windows, so a folder saved on
/// Linux can be copied there and a Windows build behaves like this one.
fn check_component(c: &str) -> Result<(), String> {
    if c == ".." {
        return Err("it climbs out with '..'".into());
    }
    if c.chars().any(|ch| ch == '\0' || ch.is_control()) {
        return Err("it contains a control character".into());
    }
    if c.contains(':') {
        return Err("it contains ':' (a drive letter or stream name)".into());
    }
    if let Some(ch) = c.chars().find(|ch| "<>\"|?*".contains(*ch)) {
        return Err(format!(
            "it contains '{ch}', which Windows does not allow in a name"
        ));
    }
    if c.ends_with('.') || c.ends_with(' ') {
        // Windows drops them: `a.png.` would be saved as `a.png`, another file's name.
        return Err("it ends with a dot or a space, which Windows drops".into());
    }
    // The device part is what precedes the first dot, trailing spaces ignored (`NUL .txt`).
    let stem = c.split('.').next().unwrap_or(c).trim_end_matches(' ');
    if WINDOWS_DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
        return Err(format!("'{stem}' is a device name on Windows"));
    }
    Ok(())
}

/// Splits a server subfolder into safe components. Absolute paths, `..`, drive letters, NUL
/// and backslash tricks are refused, never "cleaned up" into something else.
pub fn safe_subfolder(sub: &str) -> Result<Vec<String>, String> {
    if sub.starts_with('/') || sub.starts_with('\\') {
        return Err("the subfolder is an absolute path".into());
    }
    let mut out = Vec::new();
    for c in sub.split(['/', '\\']) {
        if c.is_empty() || c == "." {
            continue;
        }
        check_component(c)?;
        if c.len() > 255 {
            return Err("a folder name is longer than 255 bytes".into());
        }
        out.push(c.to_string());
    }
    // Nothing a server writes is this deep; refusing it keeps a hostile name from building a
    // tree no tool can walk (PATH_MAX is 4096).
    if out.len() > 32 || sub.len() > 1024 {
        return Err("the subfolder is implausibly deep or long".into());
    }
    Ok(out)
}

/// Checks a server file name: one plain component.
pub fn safe_filename(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." {
        return Err("the file name is empty".into());
    }
    if name.contains('/') || name.contains('\\') {
        return Err("the file name contains a path separator".into());
    }
    if name.len() > 255 {
        return Err("the file name is longer than 255 bytes".into());
    }
    check_component(name)
}

/// Creates `root/components…` one level at a time, refusing to pass through a symlink that
/// could point outside `root`.
pub fn prepare_dir(root: &Path, components: &[String]) -> Result<PathBuf, ClientError> {
    std::fs::create_dir_all(root).map_err(|source| ClientError::LocalIo {
        path: root.to_path_buf(),
        source,
    })?;
    let mut cur = root.to_path_buf();
    for c in components {
        cur.push(c);
        for _ in 0..2 {
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(ClientError::UnsafePath {
                        name: cur.display().to_string(),
                        reason: "a symlink inside the output directory is in the way".into(),
                    });
                }
                Ok(m) if m.is_dir() => break,
                Ok(_) => {
                    return Err(ClientError::LocalIo {
                        path: cur.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::AlreadyExists,
                            "a file is in the way of a folder",
                        ),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    match std::fs::create_dir(&cur) {
                        Ok(()) => break,
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                        Err(source) => {
                            return Err(ClientError::LocalIo {
                                path: cur.clone(),
                                source,
                            });
                        }
                    }
                }
                Err(source) => {
                    return Err(ClientError::LocalIo {
                        path: cur.clone(),
                        source,
                    });
                }
            }
        }
    }
    Ok(cur)
}

/// `name-N.ext` for the N-th alternative.
pub fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{n}.{ext}"),
        _ => format!("{name}-{n}"),
    }
}

/// Moves a finished temp file to its final name. Without `overwrite` the name is claimed with a
/// hard link, which fails atomically if the name is taken (then `name-1.ext`, …).
pub fn commit(tmp: &Path, dir: &Path, name: &str, overwrite: bool) -> std::io::Result<PathBuf> {
    if overwrite {
        let fin = dir.join(name);
        if fin.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a folder has that name",
            ));
        }
        std::fs::rename(tmp, &fin)?;
        return Ok(fin);
    }
    for n in 0..10_000 {
        let fin = dir.join(if n == 0 {
            name.to_string()
        } else {
            numbered(name, n)
        });
        match std::fs::hard_link(tmp, &fin) {
            Ok(()) => {
                std::fs::remove_file(tmp)?;
                return Ok(fin);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => {
                // File systems without hard links: check-then-rename (small race, best effort).
                if std::fs::symlink_metadata(&fin).is_ok() {
                    continue;
                }
                std::fs::rename(tmp, &fin)?;
                return Ok(fin);
            }
        }
    }
    Err(std::io::Error::other("no free file name"))
}

/// Removes the temp file when dropped unless disarmed: no half-written file survives an error,
/// a retry or Ctrl-C.
struct TempGuard {
    path: PathBuf,
    armed: bool,
}

impl TempGuard {
    fn new(path: PathBuf) -> Self {
        TempGuard { path, armed: true }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The file was moved into place; nothing to clean up.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// GET following redirects by hand; credentials only while every hop stays on the server's
/// origin (scheme, host, port), never after leaving it.
pub async fn get_following_redirects(
    server: &Server,
    start: url::Url,
    from_byte: Option<u64>,
) -> Result<reqwest::Response, ClientError> {
    let mut url = start;
    let mut trusted = true;
    for _ in 0..10 {
        trusted = trusted && same_origin(&server.base, &url);
        server.log(|| {
            format!(
                "GET {} (credentials: {})",
                crate::secret::redact_url(&url),
                if trusted { "yes" } else { "no" }
            )
        });
        let mut req = server.client().request(Method::GET, url.clone());
        if trusted {
            for (k, v) in server.auth_headers_for(&url) {
                req = req.header(k.as_str(), v.expose());
            }
        }
        if let Some(from) = from_byte.filter(|b| *b > 0) {
            req = req.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        let resp = req.send().await.map_err(|e| server.connect_error(e))?;
        if resp.status().is_redirection()
            && let Some(loc) = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
        {
            let next = url.join(loc).map_err(|e| ClientError::BadResponse {
                what: "redirect".into(),
                detail: format!("bad Location: {e}"),
            })?;
            if url.scheme() == "https" && next.scheme() == "http" {
                trusted = false;
            }
            url = next;
            continue;
        }
        return Ok(resp);
    }
    Err(ClientError::BadResponse {
        what: "download".into(),
        detail: "more than 10 redirects".into(),
    })
}

/// Downloads one output to disk, streaming with bounded memory, retrying transient failures
/// (connect errors, 5xx, short reads) with backoff; 4xx is final.
pub async fn download(
    server: &Server,
    f: &OutputFile,
    opts: &SaveOptions,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Result<SavedFile, ClientError> {
    let shown = if f.subfolder.is_empty() {
        f.filename.clone()
    } else {
        format!("{}/{}", f.subfolder, f.filename)
    };
    let unsafe_path = |reason: String| ClientError::UnsafePath {
        name: shown.clone(),
        reason,
    };
    safe_filename(&f.filename).map_err(unsafe_path)?;
    let comps = if opts.flat {
        Vec::new()
    } else {
        safe_subfolder(&f.subfolder).map_err(unsafe_path)?
    };
    let dir = prepare_dir(&opts.output_dir, &comps)?;
    let url = view_url(server, f);
    let mut attempt = 0u32;
    loop {
        let r = download_once(server, &url, &dir, f, reporter, cancel).await;
        let err = match r {
            Ok((mut tmp, bytes)) => {
                // On error the guard still removes the temp file.
                let path =
                    commit(tmp.path(), &dir, &f.filename, opts.overwrite).map_err(|source| {
                        ClientError::LocalIo {
                            path: dir.join(&f.filename),
                            source,
                        }
                    })?;
                tmp.disarm();
                reporter.report(JobEvent::Saved {
                    node: f.node_id.clone(),
                    kind: f.kind.clone(),
                    path: path.display().to_string(),
                    bytes,
                });
                return Ok(SavedFile {
                    file: f.clone(),
                    path,
                    bytes,
                });
            }
            Err((e, retry)) => {
                if !retry || attempt + 1 >= server.retry.attempts {
                    return Err(e);
                }
                e
            }
        };
        attempt += 1;
        reporter.report(JobEvent::DownloadRetry {
            name: shown.clone(),
            reason: err.to_string(),
            attempt,
        });
        tokio::select! {
            _ = tokio::time::sleep(server.retry.delay(attempt - 1)) => {}
            _ = cancel.cancelled() => return Err(ClientError::Cancelled),
        }
    }
}

type Attempt = Result<(TempGuard, u64), (ClientError, bool)>;

async fn download_once(
    server: &Server,
    url: &url::Url,
    dir: &Path,
    f: &OutputFile,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Attempt {
    let name = &f.filename;
    let dl_err = |reason: String| ClientError::Download {
        name: name.clone(),
        reason,
    };
    let resp = tokio::select! {
        r = get_following_redirects(server, url.clone(), None) => r.map_err(|e| match e {
            // Mid-run the server was reachable a moment ago: call it a failed download.
            ClientError::Connect { reason, .. } => (dl_err(format!("request failed: {reason}")), true),
            other => (other, true),
        })?,
        _ = cancel.cancelled() => return Err((ClientError::Cancelled, false)),
    };
    let status = resp.status();
    if !status.is_success() {
        let retry = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        let body = resp.bytes().await.unwrap_or_default();
        return Err((
            super::http::http_error("GET", "/view", status, &body),
            retry,
        ));
    }
    let total = resp.content_length();
    let tmp_path = dir.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .map_err(|source| {
            (
                ClientError::LocalIo {
                    path: tmp_path.clone(),
                    source,
                },
                false,
            )
        })?;
    let guard = TempGuard::new(tmp_path.clone());
    let shown_path = dir.join(name).display().to_string();
    reporter.report(JobEvent::DownloadStarted {
        path: shown_path.clone(),
        total,
    });
    let mut stream = resp.bytes_stream();
    let mut got: u64 = 0;
    let mut last_report = std::time::Instant::now();
    loop {
        let chunk = tokio::select! {
            c = stream.next() => c,
            _ = cancel.cancelled() => return Err((ClientError::Cancelled, false)),
        };
        match chunk {
            None => break,
            Some(Ok(bytes)) => {
                file.write_all(&bytes).map_err(|source| {
                    (
                        ClientError::LocalIo {
                            path: tmp_path.clone(),
                            source,
                        },
                        false,
                    )
                })?;
                got += bytes.len() as u64;
                if last_report.elapsed().as_millis() >= 100 {
                    last_report = std::time::Instant::now();
                    reporter.report(JobEvent::DownloadProgress {
                        path: shown_path.clone(),
                        bytes: got,
                    });
                }
            }
            Some(Err(e)) => {
                return Err((
                    dl_err(format!(
                        "connection broke after {got} bytes: {}",
                        e.without_url()
                    )),
                    true,
                ));
            }
        }
    }
    if let Some(t) = total
        && t != got
    {
        return Err((dl_err(format!("got {got} of {t} bytes")), true));
    }
    file.flush().map_err(|source| {
        (
            ClientError::LocalIo {
                path: tmp_path.clone(),
                source,
            },
            false,
        )
    })?;
    drop(file);
    reporter.report(JobEvent::DownloadProgress {
        path: shown_path,
        bytes: got,
    });
    Ok((guard, got))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_file_key() {
        let o = json!({
            "10": {"text": ["hello"]},
            "9": {"images": [{"filename": "a.png", "subfolder": "e2e", "type": "output"}]},
            "12": {"images": [{"filename": "v.webm", "subfolder": "", "type": "output"}], "animated": [true]},
            "13": {"gifs": [{"filename": "c.mp4", "subfolder": "", "type": "output", "format": "video/h264-mp4"}], "unfinished_batch": [true]},
            "14": {"result": ["x.glb", null, null], "audio": [{"filename": "s.flac", "type": "temp"}]}
        });
        let (files, texts) = collect(o.as_object().unwrap());
        let names: Vec<_> = files
            .iter()
            .map(|f| (f.node_id.as_str(), f.filename.as_str(), f.animated))
            .collect();
        assert_eq!(
            names,
            [
                ("9", "a.png", false),
                ("12", "v.webm", true),
                ("13", "c.mp4", true),
                ("14", "s.flac", false)
            ]
        );
        assert_eq!(files[3].file_type, "temp");
        assert_eq!(texts[0].text, "hello");
    }

    #[test]
    fn hostile_paths_are_refused() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc",
            "\\\\server\\share",
            "C:\\x",
            "a\\..\\..",
            "a\0b",
        ] {
            assert!(safe_subfolder(bad).is_err(), "{bad:?}");
        }
        assert_eq!(safe_subfolder("a/b\\c/./").unwrap(), ["a", "b", "c"]);
        assert_eq!(safe_subfolder("").unwrap(), Vec::<String>::new());
        for bad in ["", "..", "a/b", "a\\b", "c:x", "x\0"] {
            assert!(safe_filename(bad).is_err(), "{bad:?}");
        }
        assert!(safe_filename("ComfyUI_00001_.png").is_ok());
    }

    #[test]
    fn never_overwrites() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.png"), "old").unwrap();
        let tmp = d.path().join(".tmp");
        std::fs::write(&tmp, "new").unwrap();
        let p = commit(&tmp, d.path(), "a.png", false).unwrap();
        assert_eq!(p, d.path().join("a-1.png"));
        assert_eq!(
            std::fs::read_to_string(d.path().join("a.png")).unwrap(),
            "old"
        );
        assert!(!tmp.exists());
        std::fs::write(&tmp, "newer").unwrap();
        let p = commit(&tmp, d.path(), "a.png", true).unwrap();
        assert_eq!(std::fs::read_to_string(p).unwrap(), "newer");
        assert_eq!(numbered("noext", 2), "noext-2");
    }

    #[test]
    fn names_windows_cannot_store_or_that_are_devices_there_are_refused_everywhere() {
        for (name, says) in [
            ("CON", "'CON' is a device name on Windows"),
            ("nul.png", "'nul' is a device name on Windows"),
            ("Aux.tar.gz", "'Aux' is a device name on Windows"),
            ("PRN", "device name"),
            ("COM1.png", "'COM1' is a device name"),
            ("com9", "device name"),
            ("COM¹.png", "device name"),
            ("LPT1.webp", "'LPT1' is a device name"),
            ("lpt9.mp4", "device name"),
            ("NUL .txt", "'NUL' is a device name"),
            ("CONOUT$", "device name"),
            ("fox.png.", "ends with a dot or a space"),
            ("fox.png ", "ends with a dot or a space"),
            (
                "fox.png:Zone.Identifier",
                "':' (a drive letter or stream name)",
            ),
            ("a<b.png", "contains '<'"),
            ("a>b.png", "contains '>'"),
            ("say \"hi\".png", "contains '\"'"),
            ("a|b.png", "contains '|'"),
            ("what?.png", "contains '?'"),
            ("star*.png", "contains '*'"),
        ] {
            let err = safe_filename(name).unwrap_err();
            assert!(err.contains(says), "{name:?}: {err}");
            // The same rule holds for every folder of a subfolder.
            let sub = format!("ok/{name}/deeper");
            assert!(safe_subfolder(&sub).is_err(), "{sub:?}");
        }
        // Names that only look like devices are fine.
        for name in [
            "CONSOLE.png",
            "console",
            "COM10.png",
            "LPT.png",
            "nul_00001_.png",
            "my.CON.png",
            "COM",
            "a.b.c",
            ".hidden",
        ] {
            assert_eq!(safe_filename(name), Ok(()), "{name:?}");
        }
        assert_eq!(
            safe_subfolder("video/AUX_clips/con-tests"),
            Ok(vec!["video".into(), "AUX_clips".into(), "con-tests".into()])
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_subfolder_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("link")).unwrap();
        assert!(matches!(
            prepare_dir(d.path(), &["link".into()]),
            Err(ClientError::UnsafePath { .. })
        ));
        assert!(
            prepare_dir(d.path(), &["ok".into(), "deeper".into()])
                .unwrap()
                .ends_with("ok/deeper")
        );
    }

    /// Windows: a directory symlink (or a junction, which std also reports as a symlink) in the
    /// output directory is refused the same way. Creating a symlink needs Developer Mode or
    /// the privilege; without it there is nothing to test.
    #[cfg(windows)]
    #[test]
    fn symlinked_subfolder_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        match std::os::windows::fs::symlink_dir(outside.path(), d.path().join("link")) {
            Ok(()) => assert!(matches!(
                prepare_dir(d.path(), &["link".into()]),
                Err(ClientError::UnsafePath { .. })
            )),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
            Err(e) => panic!("{e}"),
        }
        assert!(
            prepare_dir(d.path(), &["ok".into(), "deeper".into()])
                .unwrap()
                .ends_with("ok/deeper")
        );
    }
}
