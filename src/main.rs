//! Thin entry point: everything lives in the library so it can be tested directly.

fn main() -> std::process::ExitCode {
    comfyctl::main_entry()
}
