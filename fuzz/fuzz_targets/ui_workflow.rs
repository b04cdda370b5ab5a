#![no_main]
//! See comfyctl::fuzzing::ui_workflow; node definitions from the recorded ComfyUI 0.26.0.
use comfyctl::workflow::nodedefs::NodeDefs;
use std::sync::LazyLock;

static DEFS: LazyLock<NodeDefs> = LazyLock::new(|| {
    NodeDefs::from_slice(include_bytes!(
        "../../tests/fixtures/real-comfyui-0.26.0/object_info.json"
    ))
    .expect("recorded object_info")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| comfyctl::fuzzing::ui_workflow(data, &DEFS));
