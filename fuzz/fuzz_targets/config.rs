#![no_main]
//! See comfyctl::fuzzing::config.
libfuzzer_sys::fuzz_target!(|data: &[u8]| comfyctl::fuzzing::config(data));
