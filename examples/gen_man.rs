//! Writes the man pages into a folder (`scripts/gen-completions.sh` runs it into `man/`):
//! `cargo run --example gen_man -- man`.

#[path = "../tests/it/man.rs"]
mod man;

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "man".into()));
    std::fs::create_dir_all(&dir)?;
    for entry in std::fs::read_dir(&dir)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "1") {
            std::fs::remove_file(p)?;
        }
    }
    let pages = man::render_all();
    for (file, bytes) in &pages {
        std::fs::write(dir.join(file), bytes)?;
    }
    eprintln!("{} man pages written to {}", pages.len(), dir.display());
    Ok(())
}
