//! Integration tests: the real binary against the fake ComfyUI server over real sockets.

mod batch;
mod cli;
mod cloud;
mod common;
mod convert;
mod deps;
mod health;
mod hw;
mod logs;
mod params;
mod queue;
mod run;
mod setup;
mod tls;
mod v2_client;
mod v2_fake;
mod watch;
