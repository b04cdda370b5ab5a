//! A pseudo-terminal for tests that need comfyctl's stderr to be a terminal (progress bars,
//! images drawn with `--show`): the child gets the pty as stderr and as its controlling
//! terminal (so `/dev/tty` is the pty, never the terminal the tests run in), and everything it
//! draws there is read back byte for byte (output processing off: `\n` stays `\n`).

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};

/// What a command left on its terminal and on stdout.
pub struct PtyOutput {
    /// Exit status.
    pub status: ExitStatus,
    /// stdout (a pipe, as in `comfyctl run --show | …`).
    pub stdout: Vec<u8>,
    /// Every byte written to the terminal (stderr).
    pub terminal: Vec<u8>,
}

impl PtyOutput {
    /// The terminal's bytes as text (lossy).
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.terminal).into_owned()
    }
}

/// Runs `cmd` with stderr on a new `cols × rows` pseudo-terminal (10×20-pixel cells), stdout
/// piped and stdin empty, until it exits. The terminal answers nothing.
pub fn run(cmd: Command, cols: u16, rows: u16) -> PtyOutput {
    spawn(cmd, cols, rows, false, None)
}

/// [`run`] with stdout on the terminal too (its bytes are in `terminal`, in the order written).
pub fn run_both(cmd: Command, cols: u16, rows: u16) -> PtyOutput {
    spawn(cmd, cols, rows, true, None)
}

/// [`run`] on a terminal that answers `query` with `answer` (once), as a real terminal answers
/// `ESC [ c` with its attributes.
pub fn run_answering(
    cmd: Command,
    cols: u16,
    rows: u16,
    query: &'static [u8],
    answer: &'static [u8],
) -> PtyOutput {
    spawn(cmd, cols, rows, false, Some((query, answer)))
}

fn spawn(
    mut cmd: Command,
    cols: u16,
    rows: u16,
    stdout_too: bool,
    answers: Option<(&'static [u8], &'static [u8])>,
) -> PtyOutput {
    let (master, slave) = open(cols, rows);
    let stdout = match stdout_too {
        true => Stdio::from(slave.try_clone().unwrap()),
        false => Stdio::piped(),
    };
    cmd.stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::from(slave.try_clone().unwrap()));
    // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
    // controlling terminal is the pty on fd 2.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(2, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    // Only the child holds the slave now: the master reads EOF (EIO) once the child is gone.
    drop(slave);
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut f = std::fs::File::from(master);
        let mut all = Vec::new();
        let mut buf = [0u8; 65536];
        let mut answers = answers;
        loop {
            match f.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
            if let Some((query, answer)) = answers
                && all.windows(query.len()).any(|w| w == query)
            {
                use std::io::Write;
                let _ = f.write_all(answer);
                answers = None;
            }
        }
        all
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout).unwrap();
    }
    let status = child.wait().unwrap();
    let terminal = reader.join().unwrap();
    PtyOutput {
        status,
        stdout,
        terminal,
    }
}

/// A pty pair sized `cols × rows`, with output post-processing off on the slave.
fn open(cols: u16, rows: u16) -> (OwnedFd, OwnedFd) {
    let mut master = -1;
    let mut slave = -1;
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: cols * 10,
        ws_ypixel: rows * 20,
    };
    // SAFETY: openpty fills both descriptors; termios is fully written by tcgetattr before use.
    unsafe {
        assert_eq!(
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws
            ),
            0,
            "openpty: {}",
            std::io::Error::last_os_error()
        );
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(slave, &mut t), 0);
        t.c_oflag &= !libc::OPOST;
        assert_eq!(libc::tcsetattr(slave, libc::TCSANOW, &t), 0);
        libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(slave, libc::F_SETFD, libc::FD_CLOEXEC);
        (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave))
    }
}
