//! The one path from a finished job's outputs to the user: every file output streamed to disk
//! (or listed by URL), text outputs reported, the first failure kept for the exit status.

use crate::client::history::HistoryEntry;
use crate::client::outputs::{self, OutputFile, SaveOptions, SavedFile, TextOutput};
use crate::client::report::{JobEvent, Reporter};
use crate::client::{ClientError, Server};
use tokio_util::sync::CancellationToken;

/// What to do with a finished job's files.
#[derive(Debug, Clone)]
pub enum OutputMode {
    /// Stream every file to disk.
    Download(SaveOptions),
    /// List where each file can be fetched instead (`--no-download`, `watch` without
    /// `--download`).
    List,
}

/// An output that was listed, not downloaded.
#[derive(Debug, Clone)]
pub struct ListedOutput {
    /// The output.
    pub file: OutputFile,
    /// Where to fetch it (credentials and signatures redacted).
    pub url: String,
}

/// What became of a job's outputs.
#[derive(Debug, Default)]
pub struct Saved {
    /// Files on disk.
    pub files: Vec<SavedFile>,
    /// Files listed by URL.
    pub listed: Vec<ListedOutput>,
    /// Text outputs.
    pub texts: Vec<TextOutput>,
    /// The first failure (later ones are reported as warnings): the job's exit status follows it.
    pub error: Option<ClientError>,
}

/// Saves (or lists) every output of `entry`. Stops at Ctrl-C; a failed file does not stop the
/// others.
pub async fn save_outputs(
    server: &Server,
    entry: &HistoryEntry,
    mode: &OutputMode,
    reporter: &mut dyn Reporter,
    cancel: &CancellationToken,
) -> Saved {
    let (files, texts) = outputs::collect(&entry.outputs());
    for t in &texts {
        reporter.report(JobEvent::TextOutput {
            node: t.node_id.clone(),
            text: t.text.clone(),
        });
    }
    let mut saved = Saved {
        texts,
        ..Saved::default()
    };
    let save = match mode {
        OutputMode::List => {
            saved.listed = files
                .into_iter()
                .map(|f| ListedOutput {
                    url: crate::secret::redact_url(&outputs::view_url(server, &f)),
                    file: f,
                })
                .collect();
            return saved;
        }
        OutputMode::Download(save) => save,
    };
    for f in &files {
        if cancel.is_cancelled() {
            saved.error.get_or_insert(ClientError::Cancelled);
            break;
        }
        match outputs::download(server, f, save, reporter, cancel).await {
            Ok(s) => saved.files.push(s),
            Err(ClientError::Cancelled) => {
                saved.error = Some(ClientError::Cancelled);
                break;
            }
            Err(e) => {
                reporter.report(JobEvent::Warning {
                    message: e.to_string(),
                });
                saved.error.get_or_insert(e);
            }
        }
    }
    saved
}
