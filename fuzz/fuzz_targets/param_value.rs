#![no_main]
//! See comfyctl::fuzzing::param_value.
libfuzzer_sys::fuzz_target!(|data: &[u8]| comfyctl::fuzzing::param_value(data));
