//! The `local` profile: written into the config file without touching the rest of it.

use super::{Run, Step, ms};
use std::time::Instant;

/// Writes (or updates) `[profiles.NAME] url = …`, keeping the rest of the file as it was, and
/// makes it the default when the file names none.
pub(super) fn profile_step(name: &str, r: &mut Run<'_>, url: &str) -> Result<(), String> {
    let t = Instant::now();
    let envs = crate::settings::EnvSettings::from_process();
    let Some(path) = crate::config::config_path(envs.get(crate::config::env::CONFIG)) else {
        r.record(Step {
            step: "profile",
            status: "failed",
            detail: "no config directory; use --url instead".into(),
            command: None,
            ms: ms(t),
        });
        return Ok(());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!(
            "{} is not valid TOML ({}); the server runs, but the profile was not written",
            path.display(),
            e.message()
        )
    })?;
    let current = doc
        .get("profiles")
        .and_then(|p| p.get(name))
        .and_then(|p| p.get("url"))
        .and_then(|u| u.as_str())
        .map(str::to_string);
    let make_default = doc.get("default_profile").is_none();
    if current.as_deref() == Some(url) && !make_default {
        r.record(Step {
            step: "profile",
            status: "skipped",
            detail: format!("'{name}' in {} already points at {url}", path.display()),
            command: None,
            ms: ms(t),
        });
        return Ok(());
    }
    let what = match &current {
        None => format!("add profile '{name}' ({url}) to {}", path.display()),
        Some(old) if old != url => format!(
            "point profile '{name}' at {url} (was {old}) in {}",
            path.display()
        ),
        Some(_) => format!("make '{name}' the default profile in {}", path.display()),
    };
    if r.dry_run {
        r.record(Step {
            step: "profile",
            status: "planned",
            detail: what,
            command: None,
            ms: 0,
        });
        return Ok(());
    }
    if doc.get("profiles").is_none() {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        doc.insert("profiles", toml_edit::Item::Table(t));
    }
    let profiles = doc["profiles"]
        .as_table_mut()
        .ok_or_else(|| format!("'profiles' in {} is not a table", path.display()))?;
    if !profiles.contains_key(name) {
        profiles.insert(name, toml_edit::Item::Table(toml_edit::Table::new()));
    }
    profiles[name]["url"] = toml_edit::value(url);
    if make_default {
        doc["default_profile"] = toml_edit::value(name);
    }
    let out = doc.to_string();
    // The result must still be a config comfyctl reads.
    crate::config::parse(&path, &out).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.part");
    std::fs::write(&tmp, out)
        .and_then(|_| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0o600);
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
            }
            std::fs::rename(&tmp, &path)
        })
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })?;
    r.record(Step {
        step: "profile",
        status: "done",
        detail: format!(
            "{what}{}",
            if make_default {
                " (the default profile)"
            } else {
                ""
            }
        ),
        command: None,
        ms: ms(t),
    });
    Ok(())
}
