//! Preview frames on disk: `DIR/PROMPT_ID/NODE/00001.jpg`, written as they arrive, attributed
//! to the job and node they belong to (ids from the server are sanitised for paths).

use crate::client::{JobEvent, Reporter};
use crate::printer::Printer;
use std::collections::HashMap;
use std::path::PathBuf;

/// Writes preview frames to `DIR/{prompt_id}/{node}/{seq}.{jpg|png}`.
pub struct PreviewSaver {
    dir: PathBuf,
    seq: HashMap<(String, String), u32>,
}

impl PreviewSaver {
    /// Saves under `dir`.
    pub fn new(dir: PathBuf) -> PreviewSaver {
        PreviewSaver {
            dir,
            seq: HashMap::new(),
        }
    }
}

impl PreviewSaver {
    /// Writes one frame (atomically) and returns its path.
    pub fn save(
        &mut self,
        prompt: &str,
        node: &str,
        ext: &str,
        data: &[u8],
    ) -> std::io::Result<PathBuf> {
        // Ids come from the server: keep only safe characters in path components.
        let clean = |s: &str| -> String {
            let c: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if c.is_empty() || c.chars().all(|x| x == '.') {
                "unknown".into()
            } else {
                c.replace(':', "_")
            }
        };
        let n = self
            .seq
            .entry((prompt.to_string(), node.to_string()))
            .or_insert(0);
        *n += 1;
        let dir = self.dir.join(clean(prompt)).join(clean(node));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{:05}.{ext}", n));
        let tmp = dir.join(format!(".{:05}.{ext}.tmp", n));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// The file extension for a frame format.
pub fn ext(format: &str) -> &'static str {
    match format {
        "png" => "png",
        _ => "jpg",
    }
}

/// Saves previews, then passes every event on (with the frame's path).
pub struct Saving<'a> {
    /// The reporter events go on to.
    pub inner: &'a mut dyn Reporter,
    /// Where frames go (`None`: not saved).
    pub saver: Option<PreviewSaver>,
    /// Where a failed save is reported.
    pub printer: Printer,
}

impl Reporter for Saving<'_> {
    fn report(&mut self, event: JobEvent) {
        let event = match (event, &mut self.saver) {
            (
                JobEvent::Preview {
                    node,
                    bytes,
                    format,
                    prompt_id,
                    data,
                    ..
                },
                Some(saver),
            ) => {
                let path = match saver.save(
                    &prompt_id,
                    node.as_deref().unwrap_or("unknown"),
                    ext(format),
                    &data,
                ) {
                    Ok(p) => Some(p.display().to_string()),
                    Err(e) => {
                        self.printer.warn(&format!("cannot save a preview: {e}"));
                        None
                    }
                };
                JobEvent::Preview {
                    node,
                    bytes,
                    format,
                    prompt_id,
                    path,
                    // Still wanted: `--show` draws it.
                    data,
                }
            }
            (e, _) => e,
        };
        self.inner.report(event);
    }
}
