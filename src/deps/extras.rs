//! What `deps` reads besides the workflow: ComfyUI-Manager's node map and model list (files,
//! else the server's Manager), and the server's embeddings.

use crate::client::Server;
use crate::error::Failure;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Node type → (pack title, pack URL).
pub type NodeMap = BTreeMap<String, (String, String)>;

/// Everything besides the node definitions.
#[derive(Debug, Default)]
pub struct Extras {
    /// Which pack provides which node type.
    pub node_map: NodeMap,
    /// Manager's model list entries (`filename`, `url`, `sha256`, `save_path`).
    pub model_list: Vec<Value>,
    /// The server's embeddings (`None`: no server to ask).
    pub embeddings: Option<Vec<String>>,
    /// The server runs ComfyUI-Manager (it can install packs).
    pub has_manager: bool,
}

/// `{pack url: [[node types], {title_aux}]}` → node type → (title, url).
pub fn read_node_map(v: &Value) -> NodeMap {
    let mut out = BTreeMap::new();
    for (url, entry) in v.as_object().into_iter().flatten() {
        let title = entry
            .pointer("/1/title_aux")
            .and_then(Value::as_str)
            .unwrap_or(url)
            .to_string();
        for n in entry
            .pointer("/0")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = n.as_str() {
                out.entry(n.to_string())
                    .or_insert((title.clone(), url.clone()));
            }
        }
    }
    out
}

fn read_json_file(path: &Path, what: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{}:{}:{}: invalid JSON in {what}: {e}",
            path.display(),
            e.line(),
            e.column().max(1)
        ))
        .into()
    })
}

/// The node map and model list (file, else the server's Manager), and the server's embeddings.
pub async fn load(
    server: Option<&Server>,
    node_map_file: Option<&Path>,
    model_list_file: Option<&Path>,
) -> anyhow::Result<Extras> {
    // ComfyUI-Manager on the server serves the same map (and can install packs).
    let manager_map = match server {
        Some(s) if !s.is_cloud() => s
            .get_json("/customnode/getmappings?mode=nickname")
            .await
            .ok(),
        _ => None,
    };
    let has_manager = manager_map.is_some();
    let node_map = match (node_map_file, manager_map) {
        (Some(f), _) => read_node_map(&read_json_file(f, "--node-map file")?),
        (None, Some(v)) => read_node_map(&v),
        (None, None) => BTreeMap::new(),
    };
    let model_list = match (model_list_file, server) {
        (Some(f), _) => read_json_file(f, "--model-list file")?["models"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        (None, Some(s)) => s
            .get_json("/externalmodel/getlist?mode=cache")
            .await
            .ok()
            .and_then(|v| v["models"].as_array().cloned())
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let embeddings = match server {
        Some(s) => s.get_json("/embeddings").await.ok().map(|v| {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect()
        }),
        None => None,
    };
    Ok(Extras {
        node_map,
        model_list,
        embeddings,
        has_manager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folders_and_node_map() {
        assert_eq!(
            crate::workflow::schema::model_folder("CheckpointLoaderSimple", "ckpt_name"),
            Some("checkpoints")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("CLIPVisionLoader", "clip_name"),
            Some("clip_vision")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("DualCLIPLoader", "clip_name2"),
            Some("text_encoders")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("UpscaleModelLoader", "model_name"),
            Some("upscale_models")
        );
        assert_eq!(
            crate::workflow::schema::model_folder("KSampler", "sampler_name"),
            None
        );
        let m = read_node_map(
            &json!({"https://github.com/cubiq/ComfyUI_IPAdapter_plus": [["IPAdapterAdvanced"], {"title_aux": "ComfyUI_IPAdapter_plus"}]}),
        );
        assert_eq!(m["IPAdapterAdvanced"].0, "ComfyUI_IPAdapter_plus");
    }
}
