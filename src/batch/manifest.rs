//! `batch.jsonl`: one line per finished job, appended as each finishes, so a crash, a kill or
//! Ctrl-C loses nothing that was done; `--resume` reads it back.

use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The manifest's file name inside the batch directory.
pub const MANIFEST_FILE: &str = "batch.jsonl";
/// The plan's file name inside the batch directory.
pub const PLAN_FILE: &str = "batch.json";

/// An open manifest.
pub struct Manifest {
    file: File,
    /// Where it is.
    pub path: PathBuf,
}

impl Manifest {
    /// Opens for appending, creating it. A last line cut short by a kill is closed off with a
    /// newline so the next line starts clean (the cut one is skipped when read).
    pub fn open(dir: &Path) -> std::io::Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
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

/// What an earlier run of the batch finished.
#[derive(Debug, Default)]
pub struct Previous {
    /// Job index → finished successfully.
    pub succeeded: Vec<bool>,
    /// Lines that could not be read (cut short by a kill), 1-based.
    pub bad_lines: Vec<usize>,
}

impl Previous {
    /// Jobs already done.
    pub fn done(&self) -> usize {
        self.succeeded.iter().filter(|d| **d).count()
    }
}

/// Reads the manifest line by line (memory does not grow with its length beyond one bit per job).
pub fn read_previous(path: &Path, total: usize) -> std::io::Result<Previous> {
    let mut prev = Previous {
        succeeded: vec![false; total],
        bad_lines: Vec::new(),
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(prev),
        Err(e) => return Err(e),
    };
    for_each_line(file, |n, v| match v {
        Some(v) => {
            if v.get("status").and_then(Value::as_str) == Some("success")
                && let Some(i) = v.get("index").and_then(Value::as_u64)
                && (i as usize) < total
            {
                prev.succeeded[i as usize] = true;
            }
        }
        None => prev.bad_lines.push(n),
    })?;
    Ok(prev)
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
        let prev = read_previous(&path, 4).unwrap();
        assert_eq!(prev.succeeded, [true, true, false, false]);
        assert_eq!(prev.bad_lines, [3]);
        assert_eq!(prev.done(), 2);
    }
}
