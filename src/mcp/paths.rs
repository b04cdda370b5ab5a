//! Paths an agent passes are hostile until checked: only files inside the directories the user
//! allowed (the workflows dir, the inputs dir, the output dir) are read or written. Each path is
//! resolved against those roots and canonicalised, so `..`, absolute paths elsewhere and
//! symlinks that lead out are all refused the same way.

use std::path::{Component, Path, PathBuf};

/// Which allowed directory a path may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `--workflows DIR`.
    Workflows,
    /// `--inputs DIR`.
    Inputs,
    /// The output directory.
    Outputs,
}

impl Area {
    fn flag(self) -> &'static str {
        match self {
            Area::Workflows => "--workflows DIR",
            Area::Inputs => "--inputs DIR",
            Area::Outputs => "--output-dir DIR",
        }
    }
}

/// A path the agent may not use, and why (said to the agent, who can then ask the user).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The directories the user allowed.
#[derive(Debug, Clone)]
pub struct Allowed {
    roots: Vec<(Area, PathBuf)>,
}

/// The canonical form of a root, or its absolute form while it does not exist yet (the output
/// directory is created by the first job that saves).
fn root_form(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

impl Allowed {
    /// The allowed roots; `outputs` always, the others when given.
    pub fn new(workflows: Option<&Path>, inputs: Option<&Path>, outputs: &Path) -> Allowed {
        let mut roots = Vec::new();
        if let Some(w) = workflows {
            roots.push((Area::Workflows, w.to_path_buf()));
        }
        if let Some(i) = inputs {
            roots.push((Area::Inputs, i.to_path_buf()));
        }
        roots.push((Area::Outputs, outputs.to_path_buf()));
        Allowed { roots }
    }

    /// The root of `area`, when the user gave one.
    pub fn root(&self, area: Area) -> Option<&Path> {
        self.roots
            .iter()
            .find(|(a, _)| *a == area)
            .map(|(_, p)| p.as_path())
    }

    /// An existing file to read, in one of `areas` (tried in order for a relative path).
    pub fn file(&self, raw: &str, areas: &[Area]) -> Result<PathBuf, Refused> {
        let rel = check_text(raw)?;
        let roots: Vec<&(Area, PathBuf)> = self
            .roots
            .iter()
            .filter(|(a, _)| areas.contains(a))
            .collect();
        if roots.is_empty() {
            let flags: Vec<&str> = areas.iter().map(|a| a.flag()).collect();
            return Err(Refused(format!(
                "no directory is allowed for this: the user can start comfyctl mcp with {}",
                flags.join(" or ")
            )));
        }
        let mut last = None;
        for (_, root) in &roots {
            let root = root_form(root);
            let candidate = if rel.is_absolute() {
                rel.to_path_buf()
            } else {
                root.join(rel)
            };
            match std::fs::canonicalize(&candidate) {
                Ok(real) if real.starts_with(&root) => {
                    if real.is_file() {
                        return Ok(real);
                    }
                    last = Some(format!("{raw} is not a file"));
                }
                Ok(_) if rel.is_absolute() => continue,
                Ok(_) => {
                    return Err(Refused(format!(
                        "{raw} leads outside the allowed directories (a symlink); it was not read"
                    )));
                }
                Err(_) if !rel.is_absolute() => {
                    last.get_or_insert_with(|| format!("{raw}: no such file"));
                }
                Err(_) => {}
            }
        }
        Err(Refused(last.unwrap_or_else(|| {
            format!(
                "{raw} is outside the allowed directories ({}); it was not read",
                self.describe(areas)
            )
        })))
    }

    /// A new file to write in `area` (its name as the agent gave it, relative to the area's
    /// root); parent folders are created inside the root only.
    pub fn new_file(&self, raw: &str, area: Area) -> Result<PathBuf, Refused> {
        let rel = check_text(raw)?;
        let root = self.root(area).ok_or_else(|| {
            Refused(format!(
                "no directory is allowed for this ({})",
                area.flag()
            ))
        })?;
        if rel.is_absolute() {
            return Err(Refused(format!(
                "{raw}: give a path relative to the {} directory",
                match area {
                    Area::Outputs => "output",
                    Area::Inputs => "inputs",
                    Area::Workflows => "workflows",
                }
            )));
        }
        std::fs::create_dir_all(root)
            .map_err(|e| Refused(format!("cannot create {}: {e}", root.display())))?;
        let root = root_form(root);
        let target = root.join(rel);
        let parent = target.parent().unwrap_or(&root);
        std::fs::create_dir_all(parent)
            .map_err(|e| Refused(format!("cannot create {}: {e}", parent.display())))?;
        let real_parent = std::fs::canonicalize(parent)
            .map_err(|e| Refused(format!("cannot use {}: {e}", parent.display())))?;
        if !real_parent.starts_with(&root) {
            return Err(Refused(format!(
                "{raw} leads outside the allowed directories (a symlink); nothing was written"
            )));
        }
        let name = target
            .file_name()
            .ok_or_else(|| Refused(format!("{raw} names no file")))?;
        let out = real_parent.join(name);
        if std::fs::symlink_metadata(&out).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Refused(format!("{raw} is a symlink; nothing was written")));
        }
        Ok(out)
    }

    fn describe(&self, areas: &[Area]) -> String {
        self.roots
            .iter()
            .filter(|(a, _)| areas.contains(a))
            .map(|(_, p)| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Refuses what no check below should have to think about: empty names, NUL, and `..`.
fn check_text(raw: &str) -> Result<&Path, Refused> {
    if raw.trim().is_empty() {
        return Err(Refused("an empty path".into()));
    }
    if raw.contains('\0') {
        return Err(Refused("a path with a NUL byte".into()));
    }
    let p = Path::new(raw);
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Refused(format!(
            "{raw}: '..' is not allowed; give a path inside the allowed directories"
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Allowed) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for d in ["wf", "in", "out", "secret"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        std::fs::write(root.join("wf/a.json"), "{}").unwrap();
        std::fs::write(root.join("in/photo.png"), "x").unwrap();
        std::fs::write(root.join("secret/key.txt"), "k").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("secret"), root.join("in/link")).unwrap();
        let a = Allowed::new(
            Some(&root.join("wf")),
            Some(&root.join("in")),
            &root.join("out"),
        );
        (t, a)
    }

    #[test]
    fn inside_is_read_and_everything_else_refused() {
        let (t, a) = setup();
        let ok = a.file("a.json", &[Area::Workflows, Area::Inputs]).unwrap();
        assert!(ok.ends_with("wf/a.json"));
        let abs = t.path().join("in/photo.png");
        assert!(a.file(abs.to_str().unwrap(), &[Area::Inputs]).is_ok());
        let refused = |raw: &str| a.file(raw, &[Area::Inputs, Area::Workflows]).unwrap_err().0;
        assert!(refused("../secret/key.txt").contains(".."));
        assert!(refused("/etc/passwd").contains("outside"));
        assert!(refused(t.path().join("secret/key.txt").to_str().unwrap()).contains("outside"));
        assert!(refused("").contains("empty"));
        assert!(refused("a\0b").contains("NUL"));
        #[cfg(unix)]
        assert!(refused("link/key.txt").contains("symlink"));
        // The workflows dir is not an inputs dir.
        assert!(a.file("a.json", &[Area::Inputs]).is_err());
    }

    #[test]
    fn new_files_stay_in_their_root() {
        let (t, a) = setup();
        let p = a.new_file("sub/api.json", Area::Outputs).unwrap();
        assert!(p.starts_with(std::fs::canonicalize(t.path().join("out")).unwrap()));
        assert!(a.new_file("../x.json", Area::Outputs).is_err());
        assert!(a.new_file("/tmp/x.json", Area::Outputs).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(t.path().join("secret"), t.path().join("out/esc")).unwrap();
            assert!(
                a.new_file("esc/x.json", Area::Outputs)
                    .unwrap_err()
                    .0
                    .contains("outside")
            );
        }
    }
}
