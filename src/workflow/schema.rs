//! Friendly parameters (`prompt`, `seed`, `steps`, …) found by tracing the graph, so the same
//! `-p prompt=…` works on any workflow whatever its node ids and titles.
//!
//! `prompt`/`negative` follow a sampler's or guider's conditioning back to the text encoders,
//! through pass-through nodes, combiners and ControlNet-apply nodes. Scalar parameters are found
//! by input name on the node families that own them. A linked value is followed to the
//! primitive-like node that holds it, so setting it changes what the graph really uses.

use super::Workflow;
use super::inject::as_link;
use super::parse::node_id_order;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

/// One input a parameter writes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
pub struct Target {
    /// Node id.
    pub node: String,
    /// Input name.
    pub input: String,
}

/// A friendly parameter and every input it sets.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// The name users type.
    pub name: &'static str,
    /// What it means.
    pub about: &'static str,
    /// The inputs it sets, in node order.
    pub targets: Vec<Target>,
}

/// Every name [`discover`] can produce, in listing order, with what it means.
pub const NAMES: &[(&str, &str)] = &[
    ("prompt", "positive prompt text"),
    ("negative", "negative prompt text"),
    ("seed", "noise seed (seed, noise_seed)"),
    ("steps", "sampling steps"),
    ("cfg", "classifier-free guidance scale"),
    ("guidance", "Flux guidance"),
    ("sampler", "sampler name"),
    ("scheduler", "noise scheduler"),
    ("denoise", "denoise strength"),
    ("shift", "ModelSampling shift"),
    ("width", "image/video width"),
    ("height", "image/video height"),
    ("batch_size", "images per run"),
    ("length", "video length in frames (alias: frames)"),
    ("fps", "frame rate"),
    ("ckpt", "checkpoint file"),
    ("unet", "diffusion model file"),
    ("vae", "VAE file"),
    ("clip", "text encoder file (single loader)"),
    ("clip1", "first text encoder of a dual/triple loader"),
    ("clip2", "second text encoder of a dual/triple loader"),
    ("clip3", "third text encoder of a triple loader"),
    ("clip_vision", "CLIP vision model file"),
    ("lora", "LoRA file"),
    ("lora_strength", "LoRA strength (model and clip)"),
    ("controlnet", "ControlNet model file"),
    ("controlnet_strength", "ControlNet strength"),
    ("upscale_model", "upscale model file"),
    ("motion_model", "AnimateDiff motion model file"),
    ("ipadapter_weight", "IPAdapter weight"),
    ("image", "input image (LoadImage)"),
    ("mask", "input mask (LoadImageMask)"),
    ("video", "input video"),
    ("filename_prefix", "output file name prefix"),
];

/// Other spellings people use.
pub const ALIASES: &[(&str, &str)] = &[
    ("frames", "length"),
    ("positive", "prompt"),
    ("negative_prompt", "negative"),
    ("noise_seed", "seed"),
    ("sampler_name", "sampler"),
    ("checkpoint", "ckpt"),
    ("model", "ckpt"),
];

/// The canonical name for `name` (resolving aliases), if it is a friendly name at all.
pub fn canonical(name: &str) -> Option<&'static str> {
    let n = name.trim();
    NAMES
        .iter()
        .find(|(k, _)| *k == n)
        .map(|(k, _)| *k)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == n).map(|(_, k)| *k))
}

/// Model-file parameters and the server folder each lives in.
pub const MODEL_FOLDERS: &[(&str, &str)] = &[
    ("ckpt", "checkpoints"),
    ("unet", "diffusion_models"),
    ("vae", "vae"),
    ("clip", "text_encoders"),
    ("clip1", "text_encoders"),
    ("clip2", "text_encoders"),
    ("clip3", "text_encoders"),
    ("clip_vision", "clip_vision"),
    ("lora", "loras"),
    ("controlnet", "controlnet"),
    ("upscale_model", "upscale_models"),
    ("motion_model", "animatediff_models"),
];

/// The `models/` folder a loader input reads (ComfyUI's `folder_paths` names); `deps` sorts
/// missing files by it and rejection reports name it.
pub fn model_folder(class: &str, input: &str) -> Option<&'static str> {
    Some(match input {
        "ckpt_name" => "checkpoints",
        "lora_name" => "loras",
        "unet_name" => "diffusion_models",
        "vae_name" => "vae",
        "clip_name" if class.contains("CLIPVision") => "clip_vision",
        "clip_name" | "clip_name1" | "clip_name2" | "clip_name3" | "clip_name4" => "text_encoders",
        "control_net_name" => "controlnet",
        "style_model_name" => "style_models",
        "gligen_name" => "gligen",
        "hypernetwork_name" => "hypernetworks",
        "model_name" if class.contains("UpscaleModel") => "upscale_models",
        "model_name" if class.starts_with("ADE_") => "animatediff_models",
        _ => return None,
    })
}

/// Inputs of text encoders that hold prompt text.
const TEXT_INPUTS: &[&str] = &[
    "text",
    "text_g",
    "text_l",
    "clip_l",
    "clip_g",
    "t5xxl",
    "prompt",
    "bert",
    "mt5xl",
    "llama",
    "umt5xxl",
    "positive",
    "wildcard_text",
    "populated_text",
];

/// Finds every friendly parameter the workflow has.
pub fn discover(wf: &Workflow) -> Vec<Param> {
    let (prompt, negative) = trace_prompts(wf);
    let mut out = Vec::new();
    for (name, about) in NAMES {
        let targets = match *name {
            "prompt" => prompt.clone(),
            "negative" => negative.clone(),
            other => scalar_targets(wf, other),
        };
        if !targets.is_empty() {
            out.push(Param {
                name,
                about,
                targets,
            });
        }
    }
    out
}

/// Which inputs of which classes a scalar parameter owns.
fn owns(name: &str, class: &str, input: &str) -> bool {
    let c = class;
    let latent = (c.starts_with("Empty") && c.contains("Latent"))
        || c.contains("ToVideo")
        || c.contains("LatentVideo")
        || c == "SVD_img2vid_Conditioning"
        || c == "ADE_EmptyLatentImageLarge";
    match name {
        "seed" => matches!(input, "seed" | "noise_seed"),
        "steps" => input == "steps",
        "cfg" => input == "cfg",
        "guidance" => input == "guidance",
        "sampler" => input == "sampler_name",
        "scheduler" => input == "scheduler" && !c.starts_with("ModelSampling"),
        "denoise" => input == "denoise",
        "shift" => input == "shift" && c.starts_with("ModelSampling"),
        // ModelSamplingFlux shifts by resolution, so it must follow the image size.
        "width" => input == "width" && (latent || c == "ModelSamplingFlux"),
        "height" => input == "height" && (latent || c == "ModelSamplingFlux"),
        "batch_size" => input == "batch_size" && latent,
        "length" => matches!(input, "length" | "frames" | "video_frames" | "num_frames") && latent,
        "fps" => matches!(input, "fps" | "frame_rate"),
        "ckpt" => input == "ckpt_name",
        "unet" => input == "unet_name",
        "vae" => input == "vae_name",
        "clip" => input == "clip_name" && c.contains("CLIPLoader"),
        "clip1" => input == "clip_name1",
        "clip2" => input == "clip_name2",
        "clip3" => input == "clip_name3",
        "clip_vision" => input == "clip_name" && c.contains("CLIPVision"),
        "lora" => input == "lora_name",
        "lora_strength" => {
            matches!(input, "strength_model" | "strength_clip") && c.to_lowercase().contains("lora")
        }
        "controlnet" => input == "control_net_name",
        "controlnet_strength" => input == "strength" && c.starts_with("ControlNetApply"),
        "upscale_model" => input == "model_name" && c.contains("UpscaleModel"),
        "motion_model" => input == "model_name" && c.starts_with("ADE_"),
        "ipadapter_weight" => input == "weight" && c.starts_with("IPAdapter"),
        "image" => input == "image" && c.starts_with("LoadImage") && !c.contains("Mask"),
        "mask" => input == "image" && c == "LoadImageMask",
        "video" => {
            (input == "file" && c == "LoadVideo")
                || (input == "video" && c.starts_with("VHS_LoadVideo"))
        }
        "filename_prefix" => input == "filename_prefix",
        _ => false,
    }
}

fn sorted_ids(wf: &Workflow) -> Vec<&String> {
    let mut ids: Vec<&String> = wf.nodes.keys().collect();
    ids.sort_by(|a, b| node_id_order(a, b));
    ids
}

fn inputs(wf: &Workflow, id: &str) -> Vec<(String, Value)> {
    wf.nodes
        .get(id)
        .and_then(|n| n.get("inputs"))
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn scalar_targets(wf: &Workflow, name: &str) -> Vec<Target> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for id in sorted_ids(wf) {
        let class = wf.class_type(id).unwrap_or("");
        for (input, value) in inputs(wf, id) {
            if !owns(name, class, &input) {
                continue;
            }
            let t = if as_link(&value).is_some() {
                holder(wf, id, &input, &mut HashSet::new())
            } else {
                Some(Target {
                    node: id.clone(),
                    input,
                })
            };
            if let Some(t) = t
                && seen.insert(t.clone())
            {
                out.push(t);
            }
        }
    }
    out.sort_by(|a, b| node_id_order(&a.node, &b.node));
    out
}

/// The literal input that really holds the value of `node.input`: the input itself when it is
/// a literal, else the value of the primitive-like node it is linked to (one literal input and
/// no links, like `PrimitiveInt`, `Seed (rgthree)`, `easy seed`), following single-link
/// pass-through nodes. Cycle-safe.
pub fn holder(
    wf: &Workflow,
    node: &str,
    input: &str,
    seen: &mut HashSet<String>,
) -> Option<Target> {
    let v = wf.nodes.get(node)?.get("inputs")?.get(input)?;
    let Some((src, _)) = as_link(v) else {
        return Some(Target {
            node: node.to_string(),
            input: input.to_string(),
        });
    };
    if !seen.insert(src.clone()) {
        return None;
    }
    let ins = inputs(wf, &src);
    let literals: Vec<&(String, Value)> =
        ins.iter().filter(|(_, v)| as_link(v).is_none()).collect();
    let links: Vec<&(String, Value)> = ins.iter().filter(|(_, v)| as_link(v).is_some()).collect();
    if links.is_empty() {
        if let [(name, _)] = literals.as_slice() {
            return Some(Target {
                node: src,
                input: name.clone(),
            });
        }
        // A node such as "CR Seed" whose value input has the same name.
        if literals.iter().any(|(n, _)| n == input) {
            return Some(Target {
                node: src,
                input: input.to_string(),
            });
        }
        return None;
    }
    if literals.is_empty()
        && let [(name, _)] = links.as_slice()
    {
        return holder(wf, &src, name, seen);
    }
    None
}

fn is_sampler_like(class: &str) -> bool {
    (class.contains("Sampler") || class.contains("Guider") || class.contains("sampler"))
        && class != "KSamplerSelect"
}

/// Inputs of a sampler/guider that carry positive / negative conditioning.
/// `(node, input)` pairs.
type Inputs = Vec<(String, String)>;

fn conditioning_roots(wf: &Workflow) -> (Inputs, Inputs) {
    let mut pos = Vec::new();
    let mut neg = Vec::new();
    let ids = sorted_ids(wf);
    let mut starts: Vec<&String> = ids
        .iter()
        .copied()
        .filter(|id| is_sampler_like(wf.class_type(id).unwrap_or("")))
        .collect();
    if starts.iter().all(|id| {
        inputs(wf, id).iter().all(|(n, v)| {
            as_link(v).is_none() || !matches!(n.as_str(), "positive" | "conditioning" | "cond1")
        })
    }) {
        // No recognised sampler: nodes with a linked `positive` that feed no other node's
        // `positive` (the last consumer, not a ControlNet-apply in the middle).
        let feeders: HashSet<String> = ids
            .iter()
            .flat_map(|id| inputs(wf, id))
            .filter(|(n, _)| n == "positive")
            .filter_map(|(_, v)| as_link(&v).map(|(s, _)| s))
            .collect();
        starts = ids
            .iter()
            .copied()
            .filter(|id| {
                !feeders.contains(*id)
                    && inputs(wf, id)
                        .iter()
                        .any(|(n, v)| n == "positive" && as_link(v).is_some())
            })
            .collect();
    }
    for id in starts {
        let class = wf.class_type(id).unwrap_or("");
        for (name, v) in inputs(wf, id) {
            if as_link(&v).is_none() {
                continue;
            }
            let positive = name == "positive"
                || name == "cond1"
                || name == "cond2"
                || (name == "conditioning" && class.contains("Guider"));
            if positive {
                pos.push((id.clone(), name));
            } else if name == "negative" {
                neg.push((id.clone(), name));
            }
        }
    }
    (pos, neg)
}

fn trace_prompts(wf: &Workflow) -> (Vec<Target>, Vec<Target>) {
    let (pos_roots, neg_roots) = conditioning_roots(wf);
    let trace = |roots: &[(String, String)]| {
        let mut acc = Vec::new();
        let mut seen = HashSet::new();
        for (node, input) in roots {
            if let Some((src, slot)) = wf.nodes[node]["inputs"].get(input).and_then(as_link) {
                trace_conditioning(wf, &src, slot.parse().unwrap_or(0), &mut seen, &mut acc);
            }
        }
        acc
    };
    let mut prompt: Vec<Target> = Vec::new();
    for t in trace(&pos_roots) {
        if !prompt.contains(&t) {
            prompt.push(t);
        }
    }
    let mut negative: Vec<Target> = Vec::new();
    for t in trace(&neg_roots) {
        // Text reachable from both sides belongs to neither alone; it stays with `prompt`.
        if !prompt.contains(&t) && !negative.contains(&t) {
            negative.push(t);
        }
    }
    prompt.sort_by(|a, b| node_id_order(&a.node, &b.node));
    negative.sort_by(|a, b| node_id_order(&a.node, &b.node));
    (prompt, negative)
}

fn trace_conditioning(
    wf: &Workflow,
    node: &str,
    slot: usize,
    seen: &mut HashSet<(String, usize)>,
    acc: &mut Vec<Target>,
) {
    if !seen.insert((node.to_string(), slot)) {
        return;
    }
    let class = wf.class_type(node).unwrap_or("");
    // Zeroed conditioning has no text (the usual Flux "negative").
    if class == "ConditioningZeroOut" {
        return;
    }
    let ins = inputs(wf, node);
    let has_clip = ins.iter().any(|(n, v)| n == "clip" && as_link(v).is_some());
    let encoder = has_clip || class.contains("TextEncode");
    if encoder {
        let mut found = false;
        for (name, v) in &ins {
            if !TEXT_INPUTS.contains(&name.as_str()) {
                continue;
            }
            let t = if as_link(v).is_some() {
                holder(wf, node, name, &mut HashSet::new())
            } else if v.is_string() {
                Some(Target {
                    node: node.to_string(),
                    input: name.clone(),
                })
            } else {
                None
            };
            if let Some(t) = t {
                found = true;
                if !acc.contains(&t) {
                    acc.push(t);
                }
            }
        }
        if found {
            return;
        }
    }
    let link = |name: &str| -> Option<(String, usize)> {
        ins.iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| as_link(v))
            .map(|(s, i)| (s, i.parse().unwrap_or(0)))
    };
    // Nodes that take and give both sides (ControlNetApplyAdvanced, WanImageToVideo,
    // InpaintModelConditioning, …): output 0 is the positive, output 1 the negative.
    if let (Some(p), Some(n)) = (link("positive"), link("negative")) {
        let (src, s) = if slot == 1 { n } else { p };
        trace_conditioning(wf, &src, s, seen, acc);
        return;
    }
    let conds: Vec<(String, usize)> = ins
        .iter()
        .filter(|(n, _)| n.contains("cond") || n == "positive")
        .filter_map(|(_, v)| as_link(v).map(|(s, i)| (s, i.parse().unwrap_or(0))))
        .collect();
    if !conds.is_empty() {
        for (src, s) in conds {
            trace_conditioning(wf, &src, s, seen, acc);
        }
        return;
    }
    // A pass-through with a single connection (a reroute-like node).
    let links: Vec<(String, usize)> = ins
        .iter()
        .filter_map(|(_, v)| as_link(v).map(|(s, i)| (s, i.parse().unwrap_or(0))))
        .collect();
    if let [(src, s)] = links.as_slice() {
        trace_conditioning(wf, src, *s, seen, acc);
    }
}

/// `embedding:name` references in prompt text, in order of first use.
pub fn embeddings(wf: &Workflow) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in sorted_ids(wf) {
        for (_, v) in inputs(wf, id) {
            let Some(s) = v.as_str() else { continue };
            let mut rest = s;
            while let Some(i) = rest.find("embedding:") {
                let after = &rest[i + "embedding:".len()..];
                let end = after
                    .find(|c: char| c.is_whitespace() || matches!(c, ',' | ')' | '(' | ':' | ';'))
                    .unwrap_or(after.len());
                let name = after[..end].trim_end_matches('.');
                if !name.is_empty() && !out.iter().any(|o| o == name) {
                    out.push(name.to_string());
                }
                rest = &after[end..];
            }
        }
    }
    out
}

/// Output nodes, by the families the server marks as outputs (without its definitions).
pub fn output_nodes(wf: &Workflow) -> Vec<String> {
    sorted_ids(wf)
        .into_iter()
        .filter(|id| {
            let c = wf.class_type(id).unwrap_or("");
            c.starts_with("Save")
                || c.starts_with("Preview")
                || c == "VHS_VideoCombine"
                || c.contains("SaveImage")
                || c.contains("PreviewImage")
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::parse_str;
    use serde_json::json;

    fn wf(v: Value) -> Workflow {
        parse_str(&v.to_string(), "w.json").unwrap()
    }

    fn targets(w: &Workflow, name: &str) -> Vec<String> {
        discover(w)
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| {
                p.targets
                    .iter()
                    .map(|t| format!("{}.{}", t.node, t.input))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn sd15() -> Value {
        json!({
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, embedding:easynegative", "clip": ["4", 1]}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
            "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
            "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "ComfyUI"}}
        })
    }

    #[test]
    fn sd15_basics() {
        let w = wf(sd15());
        assert_eq!(targets(&w, "prompt"), ["6.text"]);
        assert_eq!(targets(&w, "negative"), ["7.text"]);
        assert_eq!(targets(&w, "seed"), ["3.seed"]);
        assert_eq!(targets(&w, "width"), ["5.width"]);
        assert_eq!(targets(&w, "ckpt"), ["4.ckpt_name"]);
        assert_eq!(targets(&w, "filename_prefix"), ["9.filename_prefix"]);
        assert_eq!(embeddings(&w), ["easynegative"]);
        assert_eq!(output_nodes(&w), ["9"]);
        assert!(targets(&w, "guidance").is_empty());
    }

    #[test]
    fn titles_do_not_matter_and_node_order_does_not_fool_it() {
        // The negative encoder comes first and is titled "Positive": tracing is by the graph.
        let mut v = sd15();
        v["7"]["_meta"] = json!({"title": "Positive Prompt"});
        v["6"]["_meta"] = json!({"title": "Negative Prompt"});
        let w = wf(v);
        assert_eq!(targets(&w, "prompt"), ["6.text"]);
        assert_eq!(targets(&w, "negative"), ["7.text"]);
    }

    #[test]
    fn sdxl_with_refiner_sets_both_samplers() {
        let w = wf(json!({
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.safetensors"}},
            "12": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "refiner.safetensors"}},
            "6": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "a fox", "text_l": "a fox", "clip": ["4", 1], "width": 4096, "height": 4096, "crop_w": 0, "crop_h": 0, "target_width": 4096, "target_height": 4096}},
            "7": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "blurry", "text_l": "blurry", "clip": ["4", 1], "width": 4096, "height": 4096, "crop_w": 0, "crop_h": 0, "target_width": 4096, "target_height": 4096}},
            "15": {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {"ascore": 6.0, "width": 1024, "height": 1024, "text": "a fox", "clip": ["12", 1]}},
            "16": {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {"ascore": 2.5, "width": 1024, "height": 1024, "text": "blurry", "clip": ["12", 1]}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
            "10": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "enable", "noise_seed": 7, "steps": 25, "cfg": 8.0, "sampler_name": "euler", "scheduler": "normal", "start_at_step": 0, "end_at_step": 20, "return_with_leftover_noise": "enable", "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
            "11": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "disable", "noise_seed": 7, "steps": 25, "cfg": 8.0, "sampler_name": "euler", "scheduler": "normal", "start_at_step": 20, "end_at_step": 10000, "return_with_leftover_noise": "disable", "model": ["12", 0], "positive": ["15", 0], "negative": ["16", 0], "latent_image": ["10", 0]}},
            "17": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["12", 2]}},
            "19": {"class_type": "SaveImage", "inputs": {"images": ["17", 0], "filename_prefix": "sdxl"}}
        }));
        assert_eq!(targets(&w, "prompt"), ["6.text_g", "6.text_l", "15.text"]);
        assert_eq!(targets(&w, "negative"), ["7.text_g", "7.text_l", "16.text"]);
        assert_eq!(targets(&w, "seed"), ["10.noise_seed", "11.noise_seed"]);
        assert_eq!(
            targets(&w, "width"),
            ["5.width"],
            "encoder sizes are not the image size"
        );
        assert_eq!(targets(&w, "ckpt"), ["4.ckpt_name", "12.ckpt_name"]);
    }

    #[test]
    fn flux_custom_sampler_guider_and_zeroed_negative() {
        let w = wf(json!({
            "11": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5xxl_fp16.safetensors", "clip_name2": "clip_l.safetensors", "type": "flux"}},
            "12": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}},
            "6": {"class_type": "CLIPTextEncodeFlux", "inputs": {"clip_l": "a fox", "t5xxl": "a fox", "guidance": 3.5, "clip": ["11", 0]}},
            "26": {"class_type": "FluxGuidance", "inputs": {"guidance": 3.5, "conditioning": ["6", 0]}},
            "33": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["6", 0]}},
            "22": {"class_type": "CFGGuider", "inputs": {"cfg": 1.0, "model": ["30", 0], "positive": ["26", 0], "negative": ["33", 0]}},
            "30": {"class_type": "ModelSamplingFlux", "inputs": {"max_shift": 1.15, "base_shift": 0.5, "width": 1024, "height": 1024, "model": ["12", 0]}},
            "25": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
            "16": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
            "17": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 20, "denoise": 1.0, "model": ["30", 0]}},
            "27": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
            "13": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["25", 0], "guider": ["22", 0], "sampler": ["16", 0], "sigmas": ["17", 0], "latent_image": ["27", 0]}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["13", 0], "vae": ["10", 0]}},
            "10": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
            "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "flux"}}
        }));
        assert_eq!(targets(&w, "prompt"), ["6.clip_l", "6.t5xxl"]);
        assert!(
            targets(&w, "negative").is_empty(),
            "zeroed conditioning has no text"
        );
        assert_eq!(targets(&w, "seed"), ["25.noise_seed"]);
        assert_eq!(targets(&w, "guidance"), ["6.guidance", "26.guidance"]);
        assert_eq!(targets(&w, "sampler"), ["16.sampler_name"]);
        assert_eq!(targets(&w, "scheduler"), ["17.scheduler"]);
        assert_eq!(targets(&w, "steps"), ["17.steps"]);
        assert_eq!(targets(&w, "width"), ["27.width", "30.width"]);
        assert_eq!(targets(&w, "unet"), ["12.unet_name"]);
        assert_eq!(targets(&w, "clip1"), ["11.clip_name1"]);
        assert_eq!(targets(&w, "cfg"), ["22.cfg"]);
    }

    #[test]
    fn controlnet_combiners_and_primitives() {
        let w = wf(json!({
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
            "50": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "a castle"}},
            "51": {"class_type": "PrimitiveInt", "inputs": {"value": 99}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ["50", 0], "clip": ["4", 1]}},
            "60": {"class_type": "CLIPTextEncode", "inputs": {"text": "sunset", "clip": ["4", 1]}},
            "61": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["60", 0]}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "ugly", "clip": ["4", 1]}},
            "20": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "canny.safetensors"}},
            "21": {"class_type": "ControlNetApplyAdvanced", "inputs": {"strength": 0.8, "start_percent": 0.0, "end_percent": 1.0, "positive": ["61", 0], "negative": ["7", 0], "control_net": ["20", 0], "image": ["22", 0]}},
            "22": {"class_type": "LoadImage", "inputs": {"image": "edges.png"}},
            "3": {"class_type": "KSampler", "inputs": {"seed": ["51", 0], "steps": 20, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["21", 0], "negative": ["21", 1], "latent_image": ["5", 0]}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
            "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "cn"}}
        }));
        assert_eq!(targets(&w, "prompt"), ["50.value", "60.text"]);
        assert_eq!(targets(&w, "negative"), ["7.text"]);
        assert_eq!(targets(&w, "seed"), ["51.value"]);
        assert_eq!(targets(&w, "image"), ["22.image"]);
        assert_eq!(targets(&w, "controlnet"), ["20.control_net_name"]);
        assert_eq!(targets(&w, "controlnet_strength"), ["21.strength"]);
    }

    #[test]
    fn cycles_and_shared_text_are_safe() {
        let w = wf(json!({
            "1": {"class_type": "CLIPTextEncode", "inputs": {"text": "shared", "clip": ["9", 1]}},
            "2": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["3", 0], "conditioning_2": ["1", 0]}},
            "3": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["2", 0], "conditioning_2": ["1", 0]}},
            "4": {"class_type": "KSampler", "inputs": {"seed": 1, "positive": ["2", 0], "negative": ["1", 0]}},
            "9": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x"}}
        }));
        assert_eq!(targets(&w, "prompt"), ["1.text"]);
        assert!(
            targets(&w, "negative").is_empty(),
            "a text on both sides stays with prompt"
        );
    }

    #[test]
    fn video_latents_and_loras() {
        let w = wf(json!({
            "1": {"class_type": "EmptyHunyuanLatentVideo", "inputs": {"width": 832, "height": 480, "length": 33, "batch_size": 1}},
            "2": {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": "a.safetensors", "strength_model": 0.7, "model": ["3", 0]}},
            "3": {"class_type": "UNETLoader", "inputs": {"unet_name": "wan.safetensors", "weight_dtype": "default"}},
            "4": {"class_type": "ModelSamplingSD3", "inputs": {"shift": 8.0, "model": ["2", 0]}},
            "5": {"class_type": "SaveAnimatedWEBP", "inputs": {"images": ["6", 0], "filename_prefix": "v", "fps": 16, "lossless": false, "quality": 90, "method": "default"}},
            "7": {"class_type": "ImageScale", "inputs": {"upscale_method": "nearest-exact", "width": 100, "height": 100, "crop": "disabled", "image": ["6", 0]}}
        }));
        assert_eq!(targets(&w, "length"), ["1.length"]);
        assert_eq!(
            targets(&w, "width"),
            ["1.width"],
            "ImageScale is not the generation size"
        );
        assert_eq!(targets(&w, "fps"), ["5.fps"]);
        assert_eq!(targets(&w, "shift"), ["4.shift"]);
        assert_eq!(targets(&w, "lora"), ["2.lora_name"]);
        assert_eq!(targets(&w, "lora_strength"), ["2.strength_model"]);
        assert_eq!(canonical("frames"), Some("length"));
        assert_eq!(canonical("bogus"), None);
    }
}
