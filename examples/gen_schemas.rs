//! Writes the JSON Schema of every shape comfyctl prints into `docs/schema/` (one file per
//! shape). Run by `scripts/gen-completions.sh`; a test fails when the committed files are stale.
//!
//!     cargo run --example gen_schemas

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema");
    std::fs::create_dir_all(&dir)?;
    for (name, schema) in comfyctl::schemas::all_schemas() {
        let text = serde_json::to_string_pretty(&schema).expect("schemas serialise") + "\n";
        std::fs::write(dir.join(format!("{name}.json")), text)?;
    }
    println!("docs/schema/ regenerated");
    Ok(())
}
