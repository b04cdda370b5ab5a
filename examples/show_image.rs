//! Draws image files in this terminal the way `--show` does, for trying the protocols by hand:
//! `cargo run --example show_image -- [--size 60x30] [--live] FILE...` (`COMFYCTL_SHOW_PROTOCOL`
//! forces one). `--live` draws the files as frames of a preview, in place, at most four a
//! second, under a counter line. Draws nothing when stderr is not a terminal, like the commands.

use std::io::IsTerminal;

fn main() -> std::process::ExitCode {
    let mut size = None;
    let mut live = false;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--live" {
            live = true;
        } else if a == "--size" {
            match comfyctl::show::parse_show_size(&args.next().unwrap_or_default()) {
                Ok(s) => size = Some(s),
                Err(e) => {
                    eprintln!("error: --size: {e}");
                    return std::process::ExitCode::from(2);
                }
            }
        } else {
            files.push(std::path::PathBuf::from(a));
        }
    }
    let tty = std::io::stderr().is_terminal();
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let viewer = match comfyctl::show::Viewer::for_stderr(tty, color, size) {
        Ok(Some(v)) => v,
        Ok(None) => {
            eprintln!("stderr is not a terminal: nothing drawn");
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    eprintln!(
        "{} in {} ({})",
        viewer.caps.protocol.name(),
        viewer.size,
        viewer.caps.reason
    );
    let mut err = std::io::stderr();
    if live {
        use std::io::Write;
        let mut drawer = viewer.live();
        let mut drawn = 0;
        for (n, f) in files.iter().enumerate() {
            drawer.offer(std::fs::read(f).unwrap_or_default());
            // The counter line below the frame stands for the progress bars: erased before a
            // draw, printed again after it.
            loop {
                let _ = write!(err, "\r\x1b[K");
                let did = drawer
                    .draw_due(&mut err, std::time::Instant::now())
                    .unwrap();
                drawn += usize::from(did);
                let _ = write!(err, "frame {}/{} ({drawn} drawn)", n + 1, files.len());
                if did {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        drawer.finish(&mut err, true).unwrap();
        let _ = writeln!(err);
        return std::process::ExitCode::SUCCESS;
    }
    for (f, shown) in files
        .iter()
        .zip(viewer.show_files(&mut err, &files).unwrap())
    {
        match shown {
            comfyctl::show::Shown::Drawn { cols, rows, note } => eprintln!(
                "{} ({cols}x{rows}){}",
                f.display(),
                note.map(|n| format!(": {n}")).unwrap_or_default()
            ),
            comfyctl::show::Shown::Skipped(why) => eprintln!("not shown: {why}"),
        }
    }
    std::process::ExitCode::SUCCESS
}
