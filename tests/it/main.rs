//! Integration tests: the real binary against the fake ComfyUI server over real sockets.

mod common;
mod cli;
mod run;
