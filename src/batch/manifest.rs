//! `batch.jsonl`: one line per finished job, appended as each finishes, so a crash, a kill or
//! Ctrl-C loses nothing that was done; `--resume` reads it back. Beside it, `batch.sent.jsonl`
//! gets a line just before each job is sent, with the prompt id comfyctl chose for it, so a
//! resume can ask the server about a job a killed batch left queued or running instead of
//! running it twice (the manifest stays one line per finished job).

use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The manifest's file name inside the batch directory.
pub const MANIFEST_FILE: &str = "batch.jsonl";
/// The plan's file name inside the batch directory.
pub const PLAN_FILE: &str = "batch.json";
/// The journal of jobs sent (prompt ids recorded before sending).
pub const SENT_FILE: &str = "batch.sent.jsonl";
/// Held (an advisory lock) by the one process running the batch.
pub const LOCK_FILE: &str = "batch.lock";

/// Takes the batch folder for this process: `Ok(None)` when another process holds it (two
/// `--resume`s of one folder would each run the jobs left). The lock goes with the process,
/// also on `kill -9`. A file system without locks is not refused (`Ok(Some)` unlocked).
pub fn lock(dir: &Path) -> std::io::Result<Option<File>> {
    let f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(dir.join(LOCK_FILE))?;
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            Ok(Some(f))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// An open manifest.
pub struct Manifest {
    file: File,
    /// Where it is.
    pub path: PathBuf,
}

impl Manifest {
    /// Opens the manifest for appending, creating it. A last line cut short by a kill is closed
    /// off with a newline so the next line starts clean (the cut one is skipped when read).
    pub fn open(dir: &Path) -> std::io::Result<Manifest> {
        Manifest::open_file(dir.join(MANIFEST_FILE))
    }

    /// Opens the journal of jobs sent, the same way.
    pub fn open_sent(dir: &Path) -> std::io::Result<Manifest> {
        Manifest::open_file(dir.join(SENT_FILE))
    }

    fn open_file(path: PathBuf) -> std::io::Result<Manifest> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Manifest { file, path })
    }

    /// Appends one line in a single write (no partial line from a concurrent reader's view).
    pub fn append(&mut self, v: &Value) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(v).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)
    }
}

/// A job an earlier run sent and never recorded an end for: it may still be on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// Its prompt id.
    pub prompt_id: String,
    /// The server it was sent to.
    pub server: String,
}

/// What an earlier run of the batch finished.
#[derive(Debug, Default)]
pub struct Previous {
    /// Job index → finished successfully.
    pub succeeded: Vec<bool>,
    /// Lines that could not be read (cut short by a kill), 1-based.
    pub bad_lines: Vec<usize>,
    /// Jobs sent but never recorded as finished, by index.
    pub in_flight: std::collections::BTreeMap<usize, InFlight>,
}

/// A job's final line (`type: job`, or an old manifest's line without a type), as opposed to a
/// `submitting` or `retry` note.
pub fn is_job_line(v: &Value) -> bool {
    v.get("type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "job")
}

impl Previous {
    /// Jobs already done.
    pub fn done(&self) -> usize {
        self.succeeded.iter().filter(|d| **d).count()
    }
}

/// Reads the manifest line by line (memory does not grow with its length beyond one bit per
/// job), and the journal of jobs sent: a job whose last recorded prompt id has no final line is
/// in flight.
pub fn read_previous(dir: &Path, total: usize) -> std::io::Result<Previous> {
    let mut prev = Previous {
        succeeded: vec![false; total],
        ..Previous::default()
    };
    let index = |v: &Value| {
        v.get("index")
            .and_then(Value::as_u64)
            .map(|i| i as usize)
            .filter(|i| *i < total)
    };
    if let Some(file) = open_if_there(&dir.join(SENT_FILE))? {
        for_each_line(file, |_, v| {
            let Some(v) = v else { return };
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            if let (Some(i), Some(prompt_id), Some(server)) =
                (index(&v), s("prompt_id"), s("server"))
            {
                prev.in_flight.insert(i, InFlight { prompt_id, server });
            }
        })?;
    }
    let Some(file) = open_if_there(&dir.join(MANIFEST_FILE))? else {
        return Ok(prev);
    };
    for_each_line(file, |n, v| {
        let Some(v) = v else {
            prev.bad_lines.push(n);
            return;
        };
        let Some(i) = index(&v).filter(|_| is_job_line(&v)) else {
            return;
        };
        if v.get("status").and_then(Value::as_str) == Some("success") {
            prev.succeeded[i] = true;
        }
        // A v2 server chooses its job ids: the line carries the one sent as `sent_id`.
        let ended = |k: &str| v.get(k).and_then(Value::as_str);
        if prev.succeeded[i]
            || prev.in_flight.get(&i).is_some_and(|f| {
                Some(f.prompt_id.as_str()) == ended("prompt_id")
                    || Some(f.prompt_id.as_str()) == ended("sent_id")
            })
        {
            prev.in_flight.remove(&i);
        }
    })?;
    Ok(prev)
}

fn open_if_there(path: &Path) -> std::io::Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Calls `f(line_number, parsed)` for every non-empty line.
pub fn for_each_line(file: File, mut f: impl FnMut(usize, Option<Value>)) -> std::io::Result<()> {
    let mut reader = BufReader::new(file);
    let mut buf = String::new();
    let mut n = 0;
    loop {
        buf.clear();
        if reader.read_line(&mut buf)? == 0 {
            return Ok(());
        }
        n += 1;
        if buf.trim().is_empty() {
            continue;
        }
        f(n, serde_json::from_str(&buf).ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_line_cut_by_a_kill_is_skipped_and_the_next_starts_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST_FILE);
        std::fs::write(
            &path,
            "{\"index\":0,\"status\":\"success\"}\n{\"index\":1,\"status\":\"error\"}\n{\"index\":2,\"sta",
        )
        .unwrap();
        let mut m = Manifest::open(dir.path()).unwrap();
        m.append(&json!({"index": 1, "status": "success"})).unwrap();
        let prev = read_previous(dir.path(), 4).unwrap();
        assert_eq!(prev.succeeded, [true, true, false, false]);
        assert_eq!(prev.bad_lines, [3]);
        assert_eq!(prev.done(), 2);
    }

    #[test]
    fn one_process_at_a_time_holds_a_batch_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        assert!(first.is_some());
        assert!(lock(dir.path()).unwrap().is_none(), "held");
        drop(first);
        assert!(
            lock(dir.path()).unwrap().is_some(),
            "released with its holder"
        );
    }

    #[test]
    fn a_job_sent_and_never_finished_is_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, lines: &[serde_json::Value]| {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            std::fs::write(dir.path().join(name), text).unwrap();
        };
        write(
            SENT_FILE,
            &[
                json!({"index": 0, "prompt_id": "a", "server": "s"}),
                json!({"index": 1, "prompt_id": "b", "server": "s"}),
                json!({"index": 1, "prompt_id": "c", "server": "t"}),
                json!({"index": 2, "prompt_id": "d", "server": "s"}),
                json!({"index": 3, "prompt_id": "e", "server": "s"}),
                json!({"index": 4, "prompt_id": "f", "server": "s"}),
            ],
        );
        write(
            MANIFEST_FILE,
            &[
                json!({"type": "job", "index": 0, "prompt_id": "a", "status": "success"}),
                json!({"type": "job", "index": 2, "prompt_id": "d", "status": "error"}),
                // An earlier try of job 3 failed; its newest try was sent and never ended.
                json!({"type": "job", "index": 3, "prompt_id": "x", "status": "error"}),
                // A v2 job: the server's id, and the one sent beside it.
                json!({"type": "job", "index": 4, "prompt_id": "v2-id", "sent_id": "f", "status": "cancelled"}),
            ],
        );
        let prev = read_previous(dir.path(), 5).unwrap();
        assert_eq!(prev.succeeded, [true, false, false, false, false]);
        let flying: Vec<(usize, String)> = prev
            .in_flight
            .into_iter()
            .map(|(i, f)| (i, f.prompt_id))
            .collect();
        assert_eq!(flying, [(1, "c".into()), (3, "e".into())]);
    }
}
