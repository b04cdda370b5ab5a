//! Integration tests: the real binary against the fake ComfyUI server over real sockets.

mod architecture;
mod batch;
mod cli;
mod cloud;
mod common;
mod convert;
mod deps;
mod editor_golden;
mod health;
mod hostile;
mod hw;
mod json_shapes;
mod logs;
mod man;
mod params;
mod queue;
mod report;
mod restart;
mod run;
mod setup;
mod tls;
mod v2_client;
mod v2_commands;
mod v2_fake;
mod v2_run;
mod watch;
