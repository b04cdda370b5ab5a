//! Man pages generated from the CLI definition (clap_mangen): `comfyctl.1` and one
//! `comfyctl-COMMAND.1` per subcommand, committed under `man/` for packagers. The test fails
//! when they are stale; `scripts/gen-completions.sh` regenerates them (through
//! `examples/gen_man.rs`, which includes this file).

use clap::CommandFactory;

/// Every page as (file name, roff bytes). The version is the package's without the git commit,
/// so the pages change with the CLI, not with every commit.
pub fn render_all() -> Vec<(String, Vec<u8>)> {
    // Built once, so every subcommand has its display name (`comfyctl-run`) and the version.
    let mut cmd = comfyctl::cli::Cli::command().version(env!("CARGO_PKG_VERSION"));
    cmd.build();
    let mut pages = Vec::new();
    add_pages(&cmd, &mut pages);
    pages
}

fn add_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render(&mut out)
        .expect("rendering into a Vec cannot fail");
    pages.push((man.get_filename(), out));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        add_pages(sub, pages);
    }
}

#[test]
fn committed_man_pages_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = render_all();
    assert!(pages.len() > 15, "one page per command: {}", pages.len());
    for (file, bytes) in &pages {
        let committed = std::fs::read(root.join(file)).unwrap_or_default();
        assert!(
            &committed == bytes,
            "man/{file} is stale: run scripts/gen-completions.sh and commit the result"
        );
    }
    // No page left over from a removed command.
    let names: Vec<&str> = pages.iter().map(|(f, _)| f.as_str()).collect();
    for entry in std::fs::read_dir(&root).unwrap() {
        let f = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            names.contains(&f.as_str()),
            "man/{f} is not generated any more: remove it"
        );
    }
    let run = &pages.iter().find(|(f, _)| f == "comfyctl-run.1").unwrap().1;
    let run = String::from_utf8_lossy(run);
    assert!(
        run.contains(".TH comfyctl-run 1") && run.contains("\\fB\\-\\-json\\fR"),
        "{run}"
    );
    assert!(
        !run.contains(env!("COMFYCTL_GIT_COMMIT")),
        "no commit in the pages"
    );
}
