#![no_main]
//! See comfyctl::fuzzing::output_path.
libfuzzer_sys::fuzz_target!(|data: &[u8]| comfyctl::fuzzing::output_path(data));
