//! `--show` end to end: `run`, `watch` and `batch` on a pseudo-terminal against the fake server,
//! with the protocol forced (`COMFYCTL_SHOW_PROTOCOL`) so the bytes drawn can be checked: the
//! live preview replaced in place, the saved image, the grid; and nothing drawn into a pipe,
//! with `--json` or `-q`. `batch --report` is here too.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::pty::{self, PtyOutput};
use crate::common::{comfyctl, comfyctl_std, sample_workflow, write_workflow};
use base64::Engine;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The kitty image id of the live preview (`show::live`).
const LIVE_ID: &str = "i=12648430,";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `comfyctl ARGS` on an 80×24 pseudo-terminal with the protocol forced.
fn on_pty(dir: &Path, protocol: &str, args: &[&str]) -> PtyOutput {
    let mut cmd = comfyctl_std(dir);
    cmd.env("COMFYCTL_SHOW_PROTOCOL", protocol)
        .env("TERM", "xterm-256color")
        .args(args);
    pty::run(cmd, 80, 24)
}

/// Every kitty image in `screen`, in order: its first chunk's keys and the PNG it carries
/// (chunks joined). Deletions (`a=d`) are listed with no PNG.
fn kitty_images(screen: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut b64 = String::new();
    let mut keys = String::new();
    for seq in screen.split("\x1b_G").skip(1) {
        let seq = &seq[..seq.find("\x1b\\").expect("an APC sequence ends with ST")];
        let (k, payload) = seq.split_once(';').unwrap_or((seq, ""));
        if k.starts_with("a=d") {
            out.push((k.to_string(), Vec::new()));
            continue;
        }
        if k.starts_with("a=T") {
            keys = k.to_string();
            b64.clear();
        }
        b64.push_str(payload);
        if k.ends_with("m=0") {
            let png = base64::engine::general_purpose::STANDARD
                .decode(&b64)
                .unwrap();
            out.push((keys.clone(), png));
        }
    }
    out
}

fn decode(png: &[u8]) -> image::RgbaImage {
    image::load_from_memory(png).unwrap().to_rgba8()
}

/// A server slow enough that a job's preview frames arrive while it is followed.
fn slow() -> FakeServer {
    FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(120),
        ..Default::default()
    })
}

#[test]
fn run_show_on_kitty_draws_previews_in_place_then_the_saved_image() {
    let srv = slow();
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = on_pty(
        dir.path(),
        "kitty",
        &["run", wf.to_str().unwrap(), "--show", "--url", &srv.url()],
    );
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    assert_eq!(text(&out.stdout), "outputs/e2e/sample_00001_.png\n");
    let images = kitty_images(&screen);
    // The live preview: frames under one image id (each replacing the last), deleted when the
    // job ends, then the saved image on its own.
    let is_live = |k: &str| k.starts_with("a=T") && k.contains(LIVE_ID);
    let live: Vec<_> = images.iter().filter(|(k, _)| is_live(k)).collect();
    assert!(!live.is_empty(), "the first preview is drawn at once");
    for (keys, png) in &live {
        assert!(keys.starts_with("a=T,f=100,t=d,q=2,c="), "{keys}");
        // The recorded 512×512 preview, shrunk to the cells it takes (10×20 px each).
        let img = decode(png);
        assert!(img.width() <= 800 && img.height() <= 440, "{keys}");
    }
    let deleted = images
        .iter()
        .position(|(k, _)| k.as_str() == "a=d,d=I,i=12648430,q=2")
        .expect("the live preview is deleted at the end");
    let last_live = images.iter().rposition(|(k, _)| is_live(k)).unwrap();
    assert!(last_live < deleted);
    let after: Vec<_> = images[deleted + 1..].iter().collect();
    assert_eq!(after.len(), 1, "one saved image: {:?}", after);
    let (keys, png) = after[0];
    assert!(!keys.contains("i="), "a still image has no id: {keys}");
    // The saved PNG, pixel for pixel (small enough not to be shrunk).
    let saved = decode(&std::fs::read(dir.path().join("outputs/e2e/sample_00001_.png")).unwrap());
    assert_eq!(decode(png), saved);
    // A 64×64 square in the 80×22 box: bound by the rows, twice as many columns (cells are
    // 10×20 px), so the terminal scales it up to 440×440 px; the PNG sent is not enlarged.
    assert_eq!(saved.dimensions(), (64, 64));
    assert!(keys.starts_with("a=T,f=100,t=d,q=2,c=44,r=22,"), "{keys}");
    // Progress bars were drawn too: this was a terminal.
    assert!(screen.contains("nodes"), "{screen}");
}

#[test]
fn a_profile_shows_by_default_in_half_blocks_of_show_size_and_no_show_turns_it_off() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "default_profile = \"here\"\n[profiles.here]\nurl = \"{}\"\nshow = true\n",
            srv.url()
        ),
    )
    .unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();
    let out = on_pty(
        dir.path(),
        "blocks",
        &["run", wf, "--show-size", "20x10", "--no-progress"],
    );
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    // The saved image is square: 20 columns of half-blocks × 10 rows, the last lines on screen.
    let rows: Vec<&str> = screen
        .trim_end_matches('\n')
        .lines()
        .rev()
        .take(10)
        .collect();
    for row in &rows {
        assert_eq!(row.matches(['▀', '▄', ' ']).count(), 20, "{row:?}");
        assert!(row.contains("\x1b[38;5;"), "256 colours: {row:?}");
        assert!(row.ends_with("\x1b[0m"), "{row:?}");
    }
    let first_image_line = screen.find('▀').unwrap();
    assert!(
        screen[..first_image_line].contains("saved outputs/e2e/sample_00001_.png"),
        "after the run's lines: {screen}"
    );

    // `config show` says so, and where it comes from.
    let out = comfyctl(dir.path())
        .args(["config", "show"])
        .output()
        .unwrap();
    let listing = text(&out.stdout);
    assert!(
        listing.contains(
            "show:        images drawn in the terminal (--no-show for one command)  (profile here)"
        ),
        "{listing}"
    );
    let out = comfyctl(dir.path())
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["show"], true);

    let out = on_pty(dir.path(), "blocks", &["run", wf, "--no-show"]);
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    assert!(!screen.contains('▀') && !screen.contains('▄'), "{screen}");
}

#[test]
fn nothing_is_drawn_into_a_pipe_for_machines_or_under_q() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();
    // stderr is a pipe.
    let out = comfyctl(dir.path())
        .env("COMFYCTL_SHOW_PROTOCOL", "kitty")
        .args(["run", wf, "--show", "--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains('\x1b'), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with(".png\n"));
    // A terminal, but --json, --jsonl or -q.
    let url = srv.url();
    for extra in ["--json", "--jsonl", "-q"] {
        let out = on_pty(
            dir.path(),
            "kitty",
            &["run", wf, "--show", "--url", &url, extra],
        );
        assert!(out.status.success(), "{extra:?}: {}", out.screen());
        assert!(
            !out.screen().contains("\x1b_G"),
            "{extra:?}: {}",
            out.screen()
        );
    }
}

#[test]
fn bad_show_sizes_and_protocols_are_refused_with_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();
    for (bad, says) in [
        ("0x0", "columns must be at least 1"),
        ("-1x5", "columns \"-1\" is not a whole number"),
        ("NaN", "expected COLSxROWS"),
        ("NaNxNaN", "columns \"NaN\" is not a whole number"),
        ("99999x99999", "columns must be at most 1000"),
        ("80x1001", "rows must be at most 1000"),
        ("", "expected COLSxROWS"),
    ] {
        let out = comfyctl(dir.path())
            .args(["run", wf, "--show", &format!("--show-size={bad}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("--show-size") && err.contains(&format!("{bad:?}: {says}")),
            "{bad:?}: {err}"
        );
    }
    // The variable is checked only when something would be drawn: on a terminal.
    let srv = FakeServer::start(FakeOptions::default());
    let out = on_pty(
        dir.path(),
        "kity",
        &["run", wf, "--show", "--url", &srv.url()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.screen());
    assert!(
        out.screen()
            .contains("COMFYCTL_SHOW_PROTOCOL=\"kity\": expected kitty, iterm2"),
        "{}",
        out.screen()
    );
    assert_eq!(srv.prompt_posts(), 0, "refused before anything was sent");
}

/// `run --detach`: the prompt id and client id of a job left running.
fn detach(dir: &Path, srv: &FakeServer, wf: &Path) -> (String, String) {
    let out = comfyctl(dir)
        .args(["run", wf.to_str().unwrap(), "--detach", "--json"])
        .args(["--no-validate", "--url", &srv.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["prompt_id"].as_str().unwrap().to_string(),
        v["client_id"].as_str().unwrap().to_string(),
    )
}

#[test]
fn watch_show_draws_the_jobs_previews_then_what_it_downloaded() {
    let srv = slow();
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let (pid, cid) = detach(dir.path(), &srv, &wf);
    let out = on_pty(
        dir.path(),
        "kitty",
        &[
            "watch",
            "--prompt-id",
            &pid,
            "--client-id",
            &cid,
            "--previews",
            "p",
            "--download",
            "--show",
            "--url",
            &srv.url(),
        ],
    );
    let screen = out.screen();
    assert_eq!(out.status.code(), Some(0), "{screen}");
    let images = kitty_images(&screen);
    // Saved with --previews and drawn with --show: frames reach both.
    let live: Vec<_> = images
        .iter()
        .filter(|(k, _)| k.starts_with("a=T") && k.contains(LIVE_ID))
        .collect();
    assert!(!live.is_empty(), "{screen:?}");
    let saved = std::fs::read_dir(dir.path().join("p").join(&pid).join("3"))
        .unwrap()
        .count();
    assert!(saved >= 1);
    // Without --download the last frame would stay; with it, it makes way for the image.
    assert_eq!(images[images.len() - 2].0, "a=d,d=I,i=12648430,q=2");
    let (keys, png) = images.last().unwrap();
    assert!(!keys.contains("i="), "{keys}");
    let on_disk = std::fs::read(dir.path().join("outputs/e2e/sample_00001_.png")).unwrap();
    assert_eq!(decode(png), decode(&on_disk));
}

/// Sends a prompt as client `cid` (as another program would), so the fake sends its previews
/// to that client's socket; returns the prompt id.
fn submit_as(srv: &FakeServer, cid: &str) -> String {
    use std::io::{Read, Write};
    let body = serde_json::json!({"prompt": sample_workflow(), "client_id": cid}).to_string();
    let addr = srv.url().trim_start_matches("http://").to_string();
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        tcp,
        "POST /prompt HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).unwrap();
    let json = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let v: Value = serde_json::from_str(json.trim()).unwrap_or_else(|_| panic!("{reply}"));
    v["prompt_id"].as_str().unwrap().to_string()
}

#[test]
fn the_live_view_keeps_the_newest_preview_below_the_lines_it_prints() {
    let srv = slow();
    let dir = tempfile::tempdir().unwrap();
    let cid = "5eed5eed-0000-4000-8000-000000000001";
    let watcher = {
        let mut cmd = comfyctl_std(dir.path());
        cmd.env("COMFYCTL_SHOW_PROTOCOL", "ascii")
            .env("TERM", "xterm-256color")
            .args(["watch", "--client-id", cid, "--show", "--show-size", "8x4"])
            .args(["--timeout", "5", "--url", &srv.url()]);
        // stdout on the same terminal: its lines must not land on the frame.
        std::thread::spawn(move || pty::run_both(cmd, 80, 24))
    };
    // Once its socket is open, a job whose previews go to that socket.
    while !srv.ws_sessions().iter().any(|s| s == cid) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = submit_as(&srv, cid);
    let out = watcher.join().unwrap();
    let screen = out.screen();
    assert_eq!(out.status.code(), Some(5), "ends at --timeout: {screen:?}");
    // The 512×512 preview in 8×4 cells of characters: four lines of eight, the first drawn
    // below the lines so far, each later one over the last (up four lines, erase below).
    let is_frame = |s: &str| {
        let lines: Vec<&str> = s.split('\n').take(4).collect();
        lines.len() == 4
            && lines
                .iter()
                .all(|l| l.chars().count() == 8 && !l.contains('\x1b'))
    };
    let redraws: Vec<&str> = screen.split("\x1b[4F\x1b[J").skip(1).collect();
    assert!(!redraws.is_empty(), "{screen:?}");
    // A line printed while a frame is on screen takes the frame's place, and the frame comes
    // back below it.
    let finished = format!("prompt {pid} finished: success\n");
    let lifted = redraws
        .iter()
        .find(|r| r.starts_with(&finished))
        .unwrap_or_else(|| panic!("the line replaced the frame: {screen:?}"));
    assert!(is_frame(&lifted[finished.len()..]), "{lifted:?}");
    for r in &redraws {
        // Every erase is followed by a frame, or by one line and then the frame.
        let after_line = &r[r.find('\n').map_or(0, |i| i + 1)..];
        assert!(is_frame(r) || is_frame(after_line), "{r:?}");
    }
}

/// `comfyctl ARGS` on an 80×24 pseudo-terminal with the terminal's environment `env` and no
/// forced protocol: what a user of that terminal gets.
fn on_terminal(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> PtyOutput {
    let mut cmd = comfyctl_std(dir);
    cmd.envs(env.iter().copied()).args(args);
    pty::run(cmd, 80, 24)
}

#[test]
fn kitty_and_iterm2_are_recognised_from_their_environment_and_get_their_own_sequences() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = ["run", wf.to_str().unwrap(), "--show", "--no-progress"];
    let url = srv.url();
    let run = [&run[..], &["--url", &url]].concat();
    let saved = || std::fs::read(dir.path().join("outputs/e2e/sample_00001_.png")).unwrap();

    // kitty: by TERM, or by KITTY_WINDOW_ID under another TERM. APC `ESC _ G keys ; base64 ESC \`
    // carrying a PNG (f=100) sent directly (t=d), quietly (q=2), in 44×22 cells.
    for env in [
        &[("TERM", "xterm-kitty")][..],
        &[("TERM", "xterm-256color"), ("KITTY_WINDOW_ID", "1")][..],
    ] {
        let out = on_terminal(dir.path(), env, &run);
        let screen = out.screen();
        assert!(out.status.success(), "{env:?}: {screen}");
        let start = screen.find("\x1b_Ga=T,f=100,t=d,q=2,c=44,r=22,m=");
        let start = start.unwrap_or_else(|| panic!("{env:?}: {screen:?}"));
        let images = kitty_images(&screen[start..]);
        assert_eq!(images.len(), 1, "{env:?}");
        assert_eq!(decode(&images[0].1), decode(&saved()), "{env:?}");
        assert!(!screen.contains("\x1b]1337;"), "{env:?}");
        assert!(!screen.contains('▀'), "{env:?}");
    }

    // iTerm2: OSC 1337 with the whole PNG in base64, ended by BEL.
    let out = on_terminal(
        dir.path(),
        &[("TERM", "xterm-256color"), ("TERM_PROGRAM", "iTerm.app")],
        &run,
    );
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    let prefix = "\x1b]1337;File=inline=1;size=";
    assert_eq!(screen.matches(prefix).count(), 1, "{screen:?}");
    let seq = &screen[screen.find(prefix).unwrap() + prefix.len()..];
    let seq = &seq[..seq.find('\x07').expect("ended by BEL")];
    let (params, b64) = seq.split_once(':').unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(
        params,
        format!("{};width=44;height=22;preserveAspectRatio=1", png.len())
    );
    assert_eq!(decode(&png), decode(&saved()));
    assert!(!screen.contains("\x1b_G"), "{screen:?}");

    // Inside tmux the outer terminal's variables are not trusted: no kitty sequence.
    let out = on_terminal(
        dir.path(),
        &[
            ("TERM", "tmux-256color"),
            ("KITTY_WINDOW_ID", "1"),
            ("TMUX", "/tmp/t,1,0"),
        ],
        &run,
    );
    assert!(out.status.success(), "{}", out.screen());
    assert!(!out.screen().contains("\x1b_G"), "{:?}", out.screen());
}

#[test]
fn any_other_terminal_gets_half_blocks_in_colour_and_characters_under_no_color() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = ["run", wf.to_str().unwrap(), "--show", "--no-progress"];
    let url = srv.url();
    let run = [&run[..], &["--show-size", "16x8", "--url", &url]].concat();
    // The fake's image, as the user's eyes would see it: rows of 16 half-blocks, foreground
    // the upper pixel and background the lower one, in 24-bit colour.
    let mut cmd = comfyctl_std(dir.path());
    cmd.env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .env("COLORTERM", "truecolor")
        .args(&run);
    let out = pty::run(cmd, 80, 24);
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    // The terminal was asked whether it draws sixel (ESC [ c); the pty did not answer.
    assert!(screen.contains("\x1b[c"), "{screen:?}");
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains('▀')).collect();
    assert_eq!(rows.len(), 8, "{screen:?}");
    for row in &rows {
        assert_eq!(row.matches('▀').count(), 16, "{row:?}");
        // One SGR per cell: `ESC [ 38;2;R;G;B;48;2;R;G;B m ▀`.
        assert_eq!(row.matches("\x1b[38;2;").count(), 16, "{row:?}");
        assert_eq!(row.matches(";48;2;").count(), 16, "{row:?}");
        assert!(row.ends_with("\x1b[0m"), "{row:?}");
    }

    // NO_COLOR (the hermetic default): characters by brightness, not one escape sequence in
    // the image.
    let out = on_terminal(dir.path(), &[("TERM", "xterm-256color")], &run);
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    assert!(!screen.contains('▀'), "{screen:?}");
    let tail: Vec<&str> = screen
        .trim_end_matches('\n')
        .lines()
        .rev()
        .take(8)
        .collect();
    for row in &tail {
        assert_eq!(row.chars().count(), 16, "{row:?}");
        assert!(!row.contains('\x1b'), "{row:?}");
    }
}

#[test]
fn batch_show_draws_the_grid_at_the_end_and_report_writes_the_page() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = on_pty(
        dir.path(),
        "kitty",
        &[
            "batch",
            wf.to_str().unwrap(),
            "--sweep",
            "cfg=4,7,9",
            "-o",
            "b",
            "--show",
            "--report",
            "page.html",
            "--url",
            &srv.url(),
        ],
    );
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    // stdout: the three saved images, nothing drawn there.
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(!stdout.contains('\x1b'));
    // The grid, saved in the batch folder without --grid, is the one image drawn.
    let images = kitty_images(&screen);
    assert_eq!(images.len(), 1, "{screen:?}");
    let grid = std::fs::read(dir.path().join("b/grid.png")).unwrap();
    assert_eq!(decode(&images[0].1), decode(&grid));
    // The page: three jobs, three thumbnails, links into the folder.
    assert!(
        screen
            .contains("report: page.html: 3 jobs (3 done, 0 failed, 0 not finished), 3 thumbnails"),
        "{screen}"
    );
    let html = std::fs::read_to_string(dir.path().join("page.html")).unwrap();
    assert_eq!(html.matches("<article class=\"job st-success\"").count(), 3);
    assert_eq!(html.matches("src=\"data:image/jpeg;base64,").count(), 3);
    assert!(html.contains("<a href=\"b/0000_cfg-4/e2e/"), "{html}");
    // The same page `comfyctl report` writes for the folder.
    let out = comfyctl(dir.path())
        .args(["report", "b", "-o", "again.html"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = std::fs::read_to_string(dir.path().join("again.html")).unwrap();
    assert!(again == html, "batch --report and report DIR differ");

    // Piped, with --report and --grid: the same page, no image drawn.
    let out = comfyctl(dir.path())
        .args(["batch", wf.to_str().unwrap(), "--count", "2", "-o", "c"])
        .args(["--show", "--report", "c.html", "--grid", "c.png"])
        .args(["--url", &srv.url()])
        .env("COMFYCTL_SHOW_PROTOCOL", "kitty")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains('\x1b'));
    let html = std::fs::read_to_string(dir.path().join("c.html")).unwrap();
    assert_eq!(
        html.matches("src=\"data:image/jpeg;base64,").count(),
        2,
        "two cards (no sweep axes: no grid on the page)"
    );
    assert!(dir.path().join("c.png").is_file());
    assert!(
        !dir.path().join("c/grid.png").exists(),
        "no --show drawing, no extra grid"
    );
}

#[test]
fn a_report_that_cannot_be_a_page_file_is_refused_before_anything_is_sent() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    std::fs::create_dir(dir.path().join("pages")).unwrap();
    for (bad, says) in [
        ("-", "comfyctl report DIR -o -"),
        ("pages", "is a directory"),
        ("wf.json", "is not a report page comfyctl wrote"),
    ] {
        let out = comfyctl(dir.path())
            .args([
                "batch",
                wf.to_str().unwrap(),
                "--count",
                "2",
                "--report",
                bad,
            ])
            .args(["--url", &srv.url()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            text(&out.stderr).contains(says),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        srv.requests(),
        Vec::<String>::new(),
        "the server was not asked anything"
    );
}

#[test]
fn every_command_refuses_a_bad_show_size_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();
    for cmd in [
        vec!["run", wf],
        vec!["batch", wf, "--count", "2"],
        vec!["watch"],
    ] {
        for bad in ["0x0", "-3x4", "abc", "4294967296x2", "80x"] {
            let out = comfyctl(dir.path())
                .args(&cmd)
                .args(["--show", "--show-size", bad])
                .output()
                .unwrap();
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd:?} {bad}: {err}");
            assert!(err.contains(&format!("invalid size {bad:?}")), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

/// Holds 127.0.0.1:8188 with a socket that is bound but not listening, so a connection there is
/// refused (and no other test's server can take the port meanwhile); `None` when the port is
/// already in use here.
fn refuse_default_port() -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor owned by this function until it is returned.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as _,
            sin_port: 8188u16.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        (libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), len) == 0).then_some(owned)
    }
}

#[test]
fn nothing_configured_and_nothing_on_the_default_port_points_at_setup() {
    let Some(_held) = refuse_default_port() else {
        eprintln!("127.0.0.1:8188 is in use on this machine; the setup hint is not checked");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let wf = wf.to_str().unwrap();
    let run = |extra: &[&str], env: Option<(&str, &str)>| {
        let mut c = comfyctl(dir.path());
        c.args(["run", wf, "--no-validate", "--timeout", "5"])
            .args(extra);
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
        text(&out.stderr)
    };
    let err = run(&[], None);
    assert!(err.contains("http://127.0.0.1:8188"), "{err}");
    assert!(err.contains("hint: nothing is configured yet"), "{err}");
    assert!(err.contains("comfyctl setup"), "{err}");
    // --json, stopped by the check before sending: the same hint, and the result on stdout.
    let out = comfyctl(dir.path())
        .args(["run", wf, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("comfyctl setup"),
        "{}",
        text(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["type"].as_str(), v["status"].as_str()),
        (Some("result"), Some("failed"))
    );
    // The same URL chosen on purpose: the usual hint, no setup.
    for (extra, env) in [
        (&["--url", "http://127.0.0.1:8188"][..], None),
        (&[][..], Some(("COMFYCTL_URL", "http://127.0.0.1:8188"))),
    ] {
        let err = run(extra, env);
        assert!(err.contains("hint: "), "{err}");
        assert!(!err.contains("comfyctl setup"), "{extra:?} {env:?}: {err}");
    }
    // A profile that names it: the same.
    std::fs::write(
        dir.path().join("config.toml"),
        "default_profile = \"here\"\n[profiles.here]\nurl = \"http://127.0.0.1:8188\"\n",
    )
    .unwrap();
    let err = run(&[], None);
    assert!(!err.contains("comfyctl setup"), "{err}");
}

/// A two-frame GIF: red, then blue.
fn two_frame_gif() -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        for c in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let f = Frame::from_parts(
                RgbaImage::from_pixel(8, 8, Rgba(c)),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            );
            enc.encode_frame(f).unwrap();
        }
    }
    out
}

#[test]
fn an_animation_shows_its_first_frame_with_a_note_and_a_video_is_named_not_drawn() {
    let srv = FakeServer::start(FakeOptions::default());
    srv.add_file("output", "e2e", "loop_00001_.gif", two_frame_gif());
    srv.add_file(
        "output",
        "e2e",
        "clip_00001_.mp4",
        b"\0\0\0\x18ftypmp42".to_vec(),
    );
    srv.add_file("output", "e2e", "voice_00001_.flac", b"fLaC".to_vec());
    srv.faults(|f| {
        f.extra_outputs = ["loop_00001_.gif", "clip_00001_.mp4", "voice_00001_.flac"]
            .iter()
            .map(|n| serde_json::json!({"filename": n, "subfolder": "e2e", "type": "output"}))
            .collect();
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = ["run", wf.to_str().unwrap(), "--show", "--no-progress"];
    let out = on_pty(
        dir.path(),
        "kitty",
        &[&run[..], &["--url", &srv.url()]].concat(),
    );
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        4,
        "{}",
        text(&out.stdout)
    );
    // Two pictures: the PNG, and the GIF's first frame (red) with a note after it.
    let images = kitty_images(&screen);
    assert_eq!(images.len(), 2, "{screen:?}");
    let first = decode(&images[1].1);
    assert_eq!(first.dimensions(), (8, 8));
    assert!(
        first.pixels().all(|p| p.0 == [255, 0, 0, 255]),
        "red, the first frame"
    );
    let gif_at = screen.rfind("\x1b_Ga=T").unwrap();
    let note = "outputs/e2e/loop_00001_.gif: animation: first frame shown";
    assert!(screen[gif_at..].contains(note), "{screen:?}");
    // The video is named; the audio file is none of the viewer's business.
    assert!(
        screen.contains("not shown: ")
            && screen.contains("clip_00001_.mp4 is a video (mp4); comfyctl does not decode video"),
        "{screen:?}"
    );
    assert!(!screen.contains("voice_00001_.flac: "), "{screen:?}");
    assert!(
        !screen.contains("not shown: outputs/e2e/voice"),
        "{screen:?}"
    );
}

#[test]
fn sixel_is_drawn_where_the_terminal_says_it_can() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = ["run", wf.to_str().unwrap(), "--show", "--no-progress"];
    let url = srv.url();
    let run = [&run[..], &["--url", &url]].concat();
    // A DCS sequence `ESC P 0;1;0 q "1;1;W;H` … `ESC \`, in the pixels of 44×22 cells of
    // 10×20 px (the pty's size in pixels), with a palette of `#i;2;r;g;b` colours.
    let sixel = |screen: &str| -> Option<String> {
        let start = screen.find("\x1bP0;1;0q")?;
        let end = start + screen[start..].find("\x1b\\")?;
        Some(screen[start..end].to_string())
    };
    let check = |screen: &str| {
        let seq = sixel(screen).unwrap_or_else(|| panic!("no sixel: {screen:?}"));
        assert!(
            seq.starts_with("\x1bP0;1;0q\"1;1;440;440#"),
            "{}",
            &seq[..40]
        );
        assert!(seq.matches(";2;").count() > 10, "a palette");
        // 440 rows of pixels are 74 bands of six, separated by `-`.
        assert_eq!(seq.matches('-').count(), 73);
    };
    // By name: foot draws sixel.
    let out = on_terminal(dir.path(), &[("TERM", "foot")], &run);
    assert!(out.status.success(), "{}", out.screen());
    check(&out.screen());
    assert!(!out.screen().contains("\x1b[c"), "no need to ask");
    // By the terminal's own answer: xterm with sixel lists 4 among its attributes.
    let mut cmd = comfyctl_std(dir.path());
    cmd.env("TERM", "xterm-256color").args(&run);
    let out = pty::run_answering(cmd, 80, 24, b"\x1b[c", b"\x1b[?63;1;2;4;6;9;15;22c");
    assert!(out.status.success(), "{}", out.screen());
    check(&out.screen());
    // An answer without 4: no sixel.
    let mut cmd = comfyctl_std(dir.path());
    cmd.env("TERM", "xterm-256color").args(&run);
    let out = pty::run_answering(cmd, 80, 24, b"\x1b[c", b"\x1b[?62;22c");
    assert!(out.status.success(), "{}", out.screen());
    assert!(sixel(&out.screen()).is_none(), "{:?}", out.screen());
}

/// `TERM=dumb` on a terminal: no escape sequences, and the milestone lines a pipe gets
/// (bars would need cursor movement the terminal does not have).
#[test]
fn a_dumb_terminal_gets_plain_milestone_lines() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(5),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let mut cmd = comfyctl_std(dir.path());
    cmd.env("TERM", "dumb").env_remove("NO_COLOR").args([
        "run",
        wf.to_str().unwrap(),
        "--url",
        &srv.url(),
        "-o",
        "out",
    ]);
    let out = pty::run(cmd, 80, 24);
    let screen = out.screen();
    assert!(out.status.success(), "{screen}");
    assert!(
        !screen.contains('\x1b'),
        "escapes on a dumb terminal: {screen:?}"
    );
    assert!(screen.contains("submitted prompt"), "{screen}");
    assert!(screen.contains("success in"), "{screen}");
}
