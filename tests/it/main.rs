//! Integration tests: the real binary against the fake ComfyUI server over real sockets.

mod cli;
mod cloud;
mod common;
mod convert;
mod params;
mod run;
