//! `comfyctl convert` against the real editor: every editor template whose node types the
//! recorded server has, converted and compared node by node with what the editor's Queue
//! button sent for it (`tests/fixtures/editor-golden/`, from `scripts/editor-oracle.sh`).
//! Every difference is printed with template, node, class, input, the editor's value and
//! ours; the ones that remain are listed below with their cause, and the test fails when a
//! template differs that is not listed, or a listed one no longer does.

use crate::common::comfyctl;
use crate::common::editor_golden::{self, Diff, Kind};
use comfyctl::workflow::convert::convert;
use comfyctl::workflow::nodedefs::NodeDefs;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Why the editor cannot load a template: the converter converts it all the same.
const EDITOR_CANNOT_LOAD: &[(&str, &str, &str)] = &[(
    "1.58.1",
    "basic_image_color_adjustment.json",
    "DataCloneError from structuredClone on the curve points of its Color Curves subgraph node",
)];

/// Templates where the editor's values fail the server's declared type, range or options:
/// it shifted saved widget values onto the wrong widgets. Not copied.
const EDITOR_SHIFTS: &[(&str, &str, &str)] = &[
    (
        "1.58.1",
        "3d_hunyuan3d-v2.1.json",
        "0.26.0's ModelSamplingAuraFlow lacks the `sampling` input the subgraph was saved with; the editor shifts the subgraph node's values by one (\"flow\" into KSampler.steps, 4096 into ckpt_name)",
    ),
    (
        "1.58.1",
        "3d_hunyuan3d_image_to_model.json",
        "the same missing `sampling` widget: 3072 into KSampler.steps, 0.6 into ckpt_name",
    ),
    (
        "1.27.10",
        "3d_hunyuan3d_image_to_model.json",
        "the same shift in the 1.27 editor",
    ),
    (
        "1.27.10",
        "image_ovis_text_to_image.json",
        "the 1.27 editor shifts a newer editor's promoted seed into KSampler.steps (775709856082329, above the maximum 10000)",
    ),
    (
        "1.27.10",
        "template_qwen_image_illustration_lora.json",
        "the same: a seed into KSampler.steps",
    ),
];

/// Editor-version differences: the pinned 1.45.19 against the newest, which comfyctl follows.
const OLDER_EDITOR: &[(&str, &str, &str)] = &[
    (
        "1.45.19",
        "audio",
        "1.45.19 sends `audioUI: \"\"` for its audio player on LoadAudio/SaveAudio*; 1.58.1 no longer does (the server ignores it)",
    ),
    (
        "1.45.19",
        "subgraph values",
        "1.45.19 ignores values a newer editor saved on subgraph nodes (seeds, prompt text, a switch); comfyctl sends them, as 1.58.1 does",
    ),
];

const AUDIO_1_45: &[&str] = &[
    "audio_ace_step1_5_xl_base.json",
    "audio_ace_step1_5_xl_sft.json",
    "audio_ace_step1_5_xl_turbo.json",
    "audio_ace_step_1_5_checkpoint.json",
    "audio_ace_step_1_5_split.json",
    "audio_ace_step_1_5_split_4b.json",
    "audio_ace_step_1_m2m_editing.json",
    "audio_ace_step_1_t2a_instrumentals.json",
    "audio_ace_step_1_t2a_song.json",
    "audio_stable_audio_3_medium.json",
    "audio_stable_audio_3_medium_base.json",
    "audio_stable_audio_example.json",
    "llm_gemma4_text_gen.json",
    "template_image_speech_to_video.json",
    "video_humo.json",
    "video_ltx2_3_ia2v.json",
    "video_ltx2_3_id_lora.json",
    "video_wan2_1_infinitetalk.json",
    "video_wan2_2_14B_s2v.json",
    "video_wan_dancer.json",
];

const SUBGRAPH_VALUES_1_45: &[&str] = &[
    "image_krea2_turbo_int8_image_style_reference.json",
    "image_krea2_turbo_t2i.json",
    "image_moss_image_base_t2i.json",
    "image_moss_image_t2i.json",
];

/// The expected cause of a template's differences against an editor, if any.
fn expected_cause(frontend: &str, template: &str) -> Option<&'static str> {
    let find = |list: &'static [(&str, &str, &str)], key: &str| {
        list.iter()
            .find(|(f, t, _)| *f == frontend && *t == key)
            .map(|(_, _, c)| *c)
    };
    find(EDITOR_SHIFTS, template)
        .or_else(|| {
            AUDIO_1_45
                .contains(&template)
                .then(|| find(OLDER_EDITOR, "audio"))
                .flatten()
        })
        .or_else(|| {
            SUBGRAPH_VALUES_1_45
                .contains(&template)
                .then(|| find(OLDER_EDITOR, "subgraph values"))
                .flatten()
        })
}

struct Outcome {
    templates: usize,
    equal: usize,
    editor_invalid: usize,
    differing: BTreeMap<String, Vec<Diff>>,
    not_loaded: Vec<String>,
}

fn run_golden(frontend: &str, server: &str) -> Outcome {
    let golden = fixtures().join(format!("editor-golden/{frontend}-on-{server}.jsonl"));
    let raw =
        std::fs::read(fixtures().join(format!("real-comfyui-{server}/object_info.json"))).unwrap();
    let defs = NodeDefs::from_slice(&raw).unwrap();
    let entries = editor_golden::read(&golden);
    let mut out = Outcome {
        templates: entries.len(),
        equal: 0,
        editor_invalid: 0,
        differing: BTreeMap::new(),
        not_loaded: Vec::new(),
    };
    for g in &entries {
        let path = fixtures().join("editor-templates").join(&g.template);
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let converted = convert(&doc, &g.template, &defs)
            .unwrap_or_else(|e| panic!("{}: cannot convert: {e}", g.template));
        let Some(output) = &g.output else {
            out.not_loaded.push(g.template.clone());
            continue;
        };
        let diffs = editor_golden::compare(&g.template, output, &converted.workflow.nodes, &defs);
        if diffs.is_empty() {
            out.equal += 1;
        } else if diffs.iter().all(|d| d.kind == Kind::EditorInvalid) {
            out.editor_invalid += 1;
            out.differing.insert(g.template.clone(), diffs);
        } else {
            out.differing.insert(g.template.clone(), diffs);
        }
    }
    out
}

/// Checks one editor/server pair: prints every difference, fails on any not listed above.
fn check(frontend: &str, server: &str, min_percent: f64) {
    let o = run_golden(frontend, server);
    let loaded = o.templates - o.not_loaded.len();
    let good = o.equal + o.editor_invalid;
    eprintln!(
        "editor {frontend} on {server}'s definitions: {} templates, {} equal, {} differ only where the editor's value fails the definition, {} differ otherwise, {} the editor cannot load",
        o.templates,
        o.equal,
        o.editor_invalid,
        o.differing.len() - o.editor_invalid,
        o.not_loaded.len()
    );
    let mut problems = Vec::new();
    for (template, diffs) in &o.differing {
        let cause = expected_cause(frontend, template);
        eprintln!(
            "{template}: {}",
            cause.unwrap_or("NOT EXPECTED: no cause is listed for this template")
        );
        for d in diffs {
            let tag = match d.kind {
                Kind::Real => "different",
                Kind::EditorInvalid => "editor invalid",
                Kind::Formatting => "number formatting",
            };
            eprintln!("  {tag}: {d}");
        }
        if cause.is_none() {
            problems.push(format!("{template} differs from editor {frontend}"));
        }
        if diffs.iter().any(|d| d.kind == Kind::Formatting) {
            problems.push(format!(
                "{template}: numbers written otherwise than editor {frontend} writes them"
            ));
        }
    }
    for template in &o.not_loaded {
        match EDITOR_CANNOT_LOAD
            .iter()
            .find(|(f, t, _)| *f == frontend && t == template)
        {
            Some((_, _, cause)) => eprintln!("the editor cannot load {template}: {cause}"),
            None => problems.push(format!(
                "editor {frontend} could not load {template}; no cause is listed"
            )),
        }
    }
    let listed = EDITOR_SHIFTS
        .iter()
        .filter(|(f, ..)| *f == frontend)
        .map(|(_, t, _)| *t)
        .chain(
            (frontend == "1.45.19")
                .then_some(AUDIO_1_45.iter().chain(SUBGRAPH_VALUES_1_45).copied())
                .into_iter()
                .flatten(),
        );
    for t in listed {
        if !o.differing.contains_key(t) {
            problems.push(format!(
                "{t} is listed as differing from editor {frontend} but is equal: update the list"
            ));
        }
    }
    let percent = 100.0 * good as f64 / loaded as f64;
    eprintln!("equal or only the editor's invalid values: {good}/{loaded} = {percent:.1}%");
    assert!(
        percent >= min_percent,
        "{percent:.1}% is below {min_percent}%"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn converts_as_the_newest_editor_on_0_26_0() {
    check("1.58.1", "0.26.0", 98.0);
}

#[test]
fn converts_as_the_pinned_editor_on_0_3_64() {
    check("1.27.10", "0.3.64", 98.0);
}

#[test]
fn differs_from_the_editor_0_26_0_pins_only_where_editors_disagree() {
    check("1.45.19", "0.26.0", 90.0);
}

/// The command, not only the library: `comfyctl convert --object-info` writes the same
/// prompt the editor sent, for templates that exercise subgraph renumbering, CustomCombo,
/// socketless widgets and the 1.27 editor's extension widgets.
#[test]
fn the_command_writes_what_the_editor_sent() {
    for (frontend, server, template) in [
        ("1.58.1", "0.26.0", "templates-product_scene_relight.json"),
        ("1.58.1", "0.26.0", "video_wan_dancer.json"),
        (
            "1.58.1",
            "0.26.0",
            "utility_interpolation_image_upscale.json",
        ),
        ("1.58.1", "0.26.0", "templates_mjm_image_to_3d.json"),
        ("1.27.10", "0.3.64", "video_humo.json"),
    ] {
        let golden = editor_golden::read(
            &fixtures().join(format!("editor-golden/{frontend}-on-{server}.jsonl")),
        );
        let g = golden.iter().find(|g| g.template == template).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = comfyctl(dir.path())
            .arg("convert")
            .arg(fixtures().join("editor-templates").join(template))
            .arg("--object-info")
            .arg(fixtures().join(format!("real-comfyui-{server}/object_info.json")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{template}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: serde_json::Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
        let raw = std::fs::read(fixtures().join(format!("real-comfyui-{server}/object_info.json")))
            .unwrap();
        let defs = NodeDefs::from_slice(&raw).unwrap();
        let diffs = editor_golden::compare(template, g.output.as_ref().unwrap(), &ours, &defs);
        assert!(
            diffs.is_empty(),
            "{template}:\n{}",
            diffs
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
