//! `comfyctl params`, `validate`, `-p`/named flags and input uploads, against the example
//! workflows, the real `/object_info` fixture and the fake server.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::{comfyctl, sample_workflow, write_workflow};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("workflows")
        .join(format!("{name}.json"))
}

fn fixture_object_info() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real-comfyui-0.3.64/object_info.json")
}

fn params_json(dir: &Path, wf: &Path) -> Value {
    let out = comfyctl(dir)
        .arg("params")
        .arg(wf)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn targets(v: &Value, name: &str) -> Vec<String> {
    v["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| {
            p["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    format!(
                        "{}.{}",
                        t["node"].as_str().unwrap(),
                        t["input"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What workflows/README.md documents for each example.
#[test]
fn example_parameters_resolve_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    type Expect<'a> = &'a [(&'a str, &'a [&'a str])];
    let cases: &[(&str, Expect)] = &[
        (
            "sd15_txt2img",
            &[
                ("prompt", &["6.text"]),
                ("negative", &["7.text"]),
                ("seed", &["3.seed"]),
                ("width", &["5.width"]),
                ("ckpt", &["4.ckpt_name"]),
            ],
        ),
        (
            "sdxl_txt2img",
            &[
                ("prompt", &["6.text", "15.text"]),
                ("negative", &["7.text", "16.text"]),
                ("seed", &["10.noise_seed", "11.noise_seed"]),
                ("steps", &["10.steps", "11.steps"]),
                ("ckpt", &["4.ckpt_name", "12.ckpt_name"]),
            ],
        ),
        (
            "flux_dev_txt2img",
            &[
                ("prompt", &["6.text"]),
                ("negative", &[]),
                ("seed", &["25.noise_seed"]),
                ("guidance", &["26.guidance"]),
                ("steps", &["17.steps"]),
                ("width", &["27.width", "30.width"]),
                ("unet", &["12.unet_name"]),
                ("clip1", &["11.clip_name1"]),
                ("vae", &["10.vae_name"]),
            ],
        ),
        (
            "sdxl_img2img",
            &[
                ("prompt", &["6.text"]),
                ("image", &["10.image"]),
                ("denoise", &["3.denoise"]),
                ("width", &[]),
            ],
        ),
        (
            "sdxl_inpaint",
            &[
                ("image", &["10.image"]),
                ("mask", &["20.image"]),
                ("prompt", &["6.text"]),
            ],
        ),
        (
            "upscale_4x",
            &[
                ("image", &["1.image"]),
                ("upscale_model", &["2.model_name"]),
                ("filename_prefix", &["4.filename_prefix"]),
            ],
        ),
        (
            "animatediff_video",
            &[
                ("prompt", &["6.text"]),
                ("motion_model", &["20.model_name"]),
                ("batch_size", &["5.batch_size"]),
                ("fps", &["9.fps"]),
            ],
        ),
        (
            "wan_video_t2v",
            &[
                ("prompt", &["6.text"]),
                ("negative", &["7.text"]),
                ("length", &["40.length"]),
                ("shift", &["48.shift"]),
                ("clip", &["38.clip_name"]),
                ("fps", &["28.fps"]),
            ],
        ),
    ];
    for (name, expect) in cases {
        let v = params_json(dir.path(), &example(name));
        for (param, want) in *expect {
            assert_eq!(targets(&v, param), *want, "{name}: {param}");
        }
    }
}

/// Every example is valid against the real server's definitions except for model files (the
/// recorded server had none) and the AnimateDiff custom nodes.
#[test]
fn examples_validate_against_the_real_object_info() {
    let dir = tempfile::tempdir().unwrap();
    let model_inputs = [
        "ckpt_name",
        "unet_name",
        "vae_name",
        "clip_name",
        "clip_name1",
        "clip_name2",
        "model_name",
    ];
    let mut n = 0;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        n += 1;
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(
            !raw.contains("\"_comment\""),
            "{path:?} has keys the server rejects"
        );
        let out = comfyctl(dir.path())
            .args(["validate", "--json", "--object-info"])
            .arg(fixture_object_info())
            .arg(&path)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        if v["valid"] == true {
            assert_eq!(out.status.code(), Some(0));
            continue;
        }
        assert_eq!(out.status.code(), Some(3));
        let err = &v["error"];
        if err["type"] == "missing_node_type" {
            let missing: Vec<&str> = err["extra_info"]["missing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["class_type"].as_str().unwrap())
                .collect();
            assert!(
                path.ends_with("animatediff_video.json")
                    && missing.iter().all(|c| c.starts_with("ADE_")),
                "{path:?}: {missing:?}"
            );
            continue;
        }
        for ne in err["node_errors"].as_array().unwrap() {
            for e in ne["errors"].as_array().unwrap() {
                assert!(
                    e["type"] == "value_not_in_list"
                        && model_inputs.contains(&e["input_name"].as_str().unwrap()),
                    "{path:?}: {e}"
                );
            }
        }
    }
    assert!(n >= 10, "examples found: {n}");
}

#[test]
fn params_table_is_readable_and_lists_models_embeddings_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let mut wf = sample_workflow();
    wf["7"]["inputs"]["text"] = json!("blurry, embedding:EasyNegative");
    let p = write_workflow(dir.path(), "wf.json", &wf);
    let out = comfyctl(dir.path()).arg("params").arg(&p).output().unwrap();
    assert!(out.status.success());
    let o = text(&out.stdout);
    let lines: Vec<&str> = o.lines().collect();
    assert!(
        lines[0].starts_with("PARAMETER") && lines[0].contains("SETS"),
        "{o}"
    );
    assert!(
        o.contains("prompt           STRING   \"a tiny red fox\""),
        "{o}"
    );
    assert!(o.contains("6.text (CLIPTextEncode \"Positive\")"), "{o}");
    assert!(
        o.contains("checkpoints/tiny-random-sd15.safetensors  (ckpt at node 4)"),
        "{o}"
    );
    assert!(o.contains("EMBEDDINGS  EasyNegative"), "{o}");
    assert!(o.contains("OUTPUTS     9 (SaveImage)"), "{o}");
    assert!(text(&out.stderr).is_empty());
    // -p applies before listing; --print-prompt shows the result.
    let out = comfyctl(dir.path())
        .args([
            "params",
            "-p",
            "seed=5",
            "--prompt",
            "owl",
            "--print-prompt",
        ])
        .arg(&p)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["3"]["inputs"]["seed"], 5);
    assert_eq!(v["6"]["inputs"]["text"], "owl");
}

#[test]
fn bad_parameters_are_usage_errors_that_list_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let run = |args: &[&str]| {
        comfyctl(dir.path())
            .arg("run")
            .arg(&p)
            .args(["--url", "http://127.0.0.1:9"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["-p", "stpes=3"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("unknown parameter 'stpes' (did you mean 'steps'?)"),
        "{e}"
    );
    assert!(
        e.contains("this workflow has: prompt, negative, seed, steps, cfg"),
        "{e}"
    );
    let out = run(&["-p", "guidance=3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("this workflow has no 'guidance' parameter"));
    let out = run(&["-p", "steps=lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("holds a number; 'lots' is not one"));
    let out = run(&["-p", "seed@6=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("node 6 is not one of the nodes 'seed' sets (3.seed)"));
    let out = run(&["--steps", "x"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects a non-number");
    let out = run(&["-p", "noequals"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected NAME=VALUE"));
    let out = run(&["--image", "x.png"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--image: this workflow has no image loader"));
}

fn run_on(dir: &Path, srv: &FakeServer, wf: &Value, extra: &[&str]) -> Output {
    let p = write_workflow(dir, "wf.json", wf);
    comfyctl(dir)
        .arg("run")
        .arg(&p)
        .args(["--url", &srv.url()])
        .args(extra)
        .output()
        .unwrap()
}

fn sent_prompt(srv: &FakeServer, out: &Output) -> Value {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["prompt_id"].as_str().unwrap();
    srv.history_entry(id).unwrap()["prompt"][2].clone()
}

#[test]
fn named_flags_and_params_reach_the_server_and_are_reported() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run_on(
        dir.path(),
        &srv,
        &sample_workflow(),
        &[
            "--prompt",
            "a blue owl",
            "--negative",
            "noise",
            "--steps",
            "2",
            "--cfg",
            "4.5",
            "--width",
            "128",
            "-p",
            "sampler=dpmpp_2m",
            "--randomize-seed",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = sent_prompt(&srv, &out);
    assert_eq!(p["6"]["inputs"]["text"], "a blue owl");
    assert_eq!(p["7"]["inputs"]["text"], "noise");
    assert_eq!(p["3"]["inputs"]["steps"], 2);
    assert_eq!(p["3"]["inputs"]["cfg"], 4.5);
    assert_eq!(p["5"]["inputs"]["width"], 128);
    assert_eq!(p["3"]["inputs"]["sampler_name"], "dpmpp_2m");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let seed = v["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["origin"] == "--randomize-seed")
        .unwrap()["value"]
        .as_u64()
        .unwrap();
    assert_eq!(p["3"]["inputs"]["seed"], seed);
    assert!(seed < 1 << 50);
    assert!(text(&out.stderr).contains(&format!("seed = {seed} (chosen at random)")));
}

#[test]
fn a_wrong_value_is_caught_before_the_server_and_names_what_the_user_typed() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run_on(
        dir.path(),
        &srv,
        &sample_workflow(),
        &["--steps", "0", "-p", "sampler=eulr"],
    );
    assert_eq!(out.status.code(), Some(3));
    let e = text(&out.stderr);
    assert!(e.contains("the server would reject the prompt"), "{e}");
    assert!(
        e.contains(
            "steps: Value 0 smaller than min of 1 [value_smaller_than_min]\n      set by --steps 0"
        ),
        "{e}"
    );
    assert!(
        e.contains("set by -p sampler=eulr\n      did you mean 'euler'?"),
        "{e}"
    );
    assert!(
        !srv.requests().iter().any(|r| r == "POST /prompt"),
        "nothing sent"
    );
    // validate says the same, and the JSON carries the origin.
    let p = write_workflow(dir.path(), "wf.json", &sample_workflow());
    let out = comfyctl(dir.path())
        .args(["validate", "--json", "--steps", "0", "--url", &srv.url()])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["error"]["node_errors"][0]["errors"][0]["origin"],
        "--steps 0"
    );
}

#[test]
fn validation_uses_a_cache_and_refreshes_it_when_a_model_appears() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let validate = |wf: &Value, extra: &[&str]| {
        let p = write_workflow(dir.path(), "wf.json", wf);
        comfyctl(dir.path())
            .args(["validate", "--json", "--url", &srv.url()])
            .args(extra)
            .arg(&p)
            .output()
            .unwrap()
    };
    let oi = |srv: &FakeServer| {
        srv.requests()
            .iter()
            .filter(|r| *r == "GET /object_info")
            .count()
    };
    let out = validate(&sample_workflow(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["definitions"]["source"], "server");
    assert_eq!(oi(&srv), 1);
    let out = validate(&sample_workflow(), &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["definitions"]["source"], "cache");
    assert_eq!(v["definitions"]["comfyui_version"], "0.26.0");
    assert_eq!(oi(&srv), 1, "served from the cache");
    // A model added since: the cached list says no, a fresh one says yes.
    srv.add_model("checkpoints", "new.safetensors");
    let mut wf = sample_workflow();
    wf["4"]["inputs"]["ckpt_name"] = json!("new.safetensors");
    let out = validate(&wf, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(oi(&srv), 2);
    let out = validate(&wf, &["--refresh"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(oi(&srv), 3);
    // Offline, nothing is asked of any server.
    let out = validate(
        &wf,
        &["--object-info", fixture_object_info().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(oi(&srv), 3);
    let out = validate(&wf, &["--object-info", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read --object-info file missing.json"));
}

#[test]
fn missing_node_types_are_listed_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut wf = sample_workflow();
    wf["20"] = json!({"class_type": "IPAdapterAdvanced", "inputs": {}});
    wf["21"] = json!({"class_type": "ADE_AnimateDiffLoaderGen1", "inputs": {}});
    let p = write_workflow(dir.path(), "wf.json", &wf);
    let out = comfyctl(dir.path())
        .args(["validate", "--object-info"])
        .arg(fixture_object_info())
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let e = text(&out.stderr);
    assert!(e.contains("2 node types are not installed on the server: ADE_AnimateDiffLoaderGen1, IPAdapterAdvanced"), "{e}");
}

fn png(rgba: [u8; 4]) -> Vec<u8> {
    // A valid 1×1 PNG is not needed by the fake server; distinct bytes are.
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&rgba);
    v
}

fn loader_workflow() -> Value {
    json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "inv"}},
        "4": {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": "Style"}},
        "5": {"class_type": "PreviewImage", "inputs": {"images": ["4", 0]}}
    })
}

#[test]
fn input_images_are_uploaded_once_and_wired_in_without_clobbering() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.png"), png([1, 2, 3, 4])).unwrap();
    // Same name as the server's example.png, different bytes.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("other/example.png"), png([9, 9, 9, 9])).unwrap();
    let out = run_on(
        dir.path(),
        &srv,
        &loader_workflow(),
        &[
            "--image",
            "photo.png",
            "--input",
            "Style=photo.png",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = sent_prompt(&srv, &out);
    assert_eq!(p["1"]["inputs"]["image"], "photo.png");
    assert_eq!(p["4"]["inputs"]["image"], "photo.png");
    let uploads: Vec<String> = srv
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("UPLOAD"))
        .collect();
    assert_eq!(
        uploads,
        ["UPLOAD image photo.png overwrite=false"],
        "same bytes once"
    );

    let out = run_on(
        dir.path(),
        &srv,
        &loader_workflow(),
        &["--input", "image@4=other/example.png", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = sent_prompt(&srv, &out);
    assert_eq!(
        p["4"]["inputs"]["image"], "example (1).png",
        "renamed, not clobbered"
    );
    assert_eq!(p["1"]["inputs"]["image"], "example.png");
    assert!(text(&out.stderr).contains("is on the server as example (1).png"));
    assert!(srv.input_files().contains(&"example.png".to_string()));

    let out = run_on(
        dir.path(),
        &srv,
        &loader_workflow(),
        &[
            "--input",
            "4=other/example.png",
            "--replace-inputs",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        sent_prompt(&srv, &out)["4"]["inputs"]["image"],
        "example.png"
    );
    assert!(
        srv.requests()
            .contains(&"UPLOAD image example.png overwrite=true".to_string())
    );

    let out = run_on(
        dir.path(),
        &srv,
        &loader_workflow(),
        &["--image", "nope.png"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read nope.png"));
    let out = run_on(
        dir.path(),
        &srv,
        &loader_workflow(),
        &["--input", "2=photo.png"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(
        "node 2 (ImageInvert) is not an image, mask or video loader; loaders in this workflow: 1, 4"
    ));
}

#[test]
fn masks_go_to_the_mask_loader_or_onto_the_image() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.png"), png([1, 2, 3, 4])).unwrap();
    std::fs::write(dir.path().join("mask.png"), png([0, 0, 0, 0])).unwrap();
    // No mask loader: /upload/mask onto the uploaded image.
    let out = run_on(
        dir.path(),
        &srv,
        &loader_workflow(),
        &["--image", "photo.png", "--mask", "mask.png", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        srv.requests()
            .contains(&"UPLOAD mask mask.png overwrite=false".to_string())
    );
    assert_eq!(sent_prompt(&srv, &out)["1"]["inputs"]["image"], "mask.png");
    // A mask loader takes it as a plain image.
    let wf = json!({
        "1": {"class_type": "LoadImageMask", "inputs": {"image": "example.png", "channel": "red"}},
        "2": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "m"}}
    });
    let out = run_on(dir.path(), &srv, &wf, &["--mask", "mask.png", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sent_prompt(&srv, &out)["1"]["inputs"]["image"], "mask.png");
    assert!(
        srv.requests()
            .iter()
            .filter(|r| r.starts_with("UPLOAD image mask.png"))
            .count()
            == 1
    );
}
