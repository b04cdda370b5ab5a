//! One Ctrl-C policy for every command, and the one place that builds the async runtime.
//!
//! - A command that has work of its own on a server (`run`, `batch`, `watch`, `health
//!   --smoke`, `mcp`) runs under [`block_on_interruptible`]: the first Ctrl-C cancels its token,
//!   the command stops *its own* jobs on the server, says what it stopped and exits 130; a second
//!   Ctrl-C exits 130 at once.
//! - Every other command runs under [`block_on`]: the first Ctrl-C drops its work (destructors
//!   run, so no half-written file is left) and it exits 130.

use crate::error::{ExitStatus, Failure};
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The Ctrl-C state a cooperative command watches.
#[derive(Clone)]
pub struct Interrupt {
    token: CancellationToken,
}

impl Interrupt {
    /// Cancelled at the first Ctrl-C.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Whether Ctrl-C was pressed.
    pub fn pressed(&self) -> bool {
        self.token.is_cancelled()
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Runs a command that stops its own work on Ctrl-C (see the module docs). The future runs
/// inside a `LocalSet`, so it may spawn `!Send` tasks (a batch's jobs).
pub fn block_on_interruptible<F, Fut>(body: F) -> anyhow::Result<Fut::Output>
where
    F: FnOnce(Interrupt) -> Fut,
    Fut: Future,
{
    let rt = runtime()?;
    let token = CancellationToken::new();
    let out = rt.block_on(async {
        let t = token.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                t.cancel();
                // A second Ctrl-C means "now".
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(ExitStatus::Interrupted.code() as i32);
                }
            }
        });
        let local = tokio::task::LocalSet::new();
        local.run_until(body(Interrupt { token })).await
    });
    // A leftover socket task never holds up exit.
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(out)
}

/// Runs a command with nothing of its own to stop: the first Ctrl-C abandons it (exit 130).
pub fn block_on<F: Future>(fut: F) -> anyhow::Result<F::Output> {
    let rt = runtime()?;
    let out = rt.block_on(async {
        let pressed = async {
            if tokio::signal::ctrl_c().await.is_err() {
                // No signal handling here (rare): just run the command.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            out = fut => Some(out),
            _ = pressed => None,
        }
    });
    rt.shutdown_timeout(Duration::from_millis(200));
    out.ok_or_else(|| Failure::new(ExitStatus::Interrupted, "interrupted").into())
}

/// The Ctrl-C policy for a command that works outside the async runtime (`setup` runs
/// installers): the first press sets the returned state (the installers, in the same process
/// group, get it too) and the command reports where things are; a second press exits at once.
pub fn watch_blocking() -> Interrupt {
    let token = CancellationToken::new();
    let t = token.clone();
    std::thread::spawn(move || {
        let Ok(rt) = runtime() else { return };
        rt.block_on(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                t.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(ExitStatus::Interrupted.code() as i32);
                }
            }
        });
    });
    Interrupt { token }
}

/// A state nobody presses (dry runs, tests).
pub fn never() -> Interrupt {
    Interrupt {
        token: CancellationToken::new(),
    }
}
