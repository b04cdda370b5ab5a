//! One file per subcommand.

pub mod batch;
pub mod config;
pub mod convert;
pub mod deps;
pub mod health;
pub mod hw;
pub mod logs;
pub mod mcp;
pub mod params;
pub mod queue;
pub mod report;
pub mod run;
pub mod setup;
pub mod validate;
pub mod watch;

use crate::Context;
use crate::cli::Command;
use crate::error::ExitStatus;

/// Runs the chosen subcommand.
pub fn dispatch(ctx: &Context, command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Run(args) => run::run(ctx, &args),
        Command::Batch(args) => batch::run(ctx, &args),
        Command::Params(args) => params::run(ctx, &args),
        Command::Validate(args) => validate::run(ctx, &args),
        Command::Convert(args) => convert::run(ctx, &args),
        Command::Hw(args) => hw::run(ctx, &args),
        Command::Deps(args) => deps::run(ctx, &args),
        Command::Queue(args) => queue::run(ctx, &args),
        Command::Watch(args) => watch::run(ctx, &args),
        Command::Cancel(args) => queue::cancel(ctx, &args),
        Command::Health(args) => health::run(ctx, &args),
        Command::Logs(args) => logs::run(ctx, &args),
        Command::Setup(args) => setup::run(ctx, &args),
        Command::Config(c) => config::run(ctx, &c),
        Command::Completions(args) => crate::cli::complete::run(&args),
        Command::Report(args) => report::run(ctx, &args),
        Command::Mcp(args) => mcp::run(ctx, &args),
    }
}
