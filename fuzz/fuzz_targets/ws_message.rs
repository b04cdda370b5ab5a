#![no_main]
//! See comfyctl::fuzzing::ws_message.
libfuzzer_sys::fuzz_target!(|data: &[u8]| comfyctl::fuzzing::ws_message(data));
