#![no_main]
//! See comfyctl::fuzzing::binary_frame.
libfuzzer_sys::fuzz_target!(|data: &[u8]| comfyctl::fuzzing::binary_frame(data));
