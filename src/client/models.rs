//! Model files per folder: `/models/{folder}` locally (a list of names) and
//! `/api/experiment/models/{folder}` on Comfy Cloud (`[{name, pathIndex}]`, 404 for an empty or
//! unknown folder), with the legacy folder names mapped both ways.

use super::{ClientError, Server};
use serde_json::Value;

/// The other name of a folder: `unet`↔`diffusion_models`, `clip`↔`text_encoders`.
pub fn alias(folder: &str) -> Option<&'static str> {
    Some(match folder {
        "unet" => "diffusion_models",
        "diffusion_models" => "unet",
        "clip" => "text_encoders",
        "text_encoders" => "clip",
        _ => return None,
    })
}

/// Reads either response shape into file names.
pub fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The model files in `folder` (trying its alias when the server does not know the name);
/// an unknown or empty folder is an empty list.
pub async fn list(server: &Server, folder: &str) -> Result<Vec<String>, ClientError> {
    let path = |f: &str| {
        if server.is_cloud() {
            format!("/experiment/models/{f}")
        } else {
            format!("/models/{f}")
        }
    };
    let mut tried = vec![folder];
    if let Some(a) = alias(folder) {
        tried.push(a);
    }
    for f in tried {
        match server.get_json(&path(f)).await {
            Ok(v) => {
                let n = names(&v);
                if !n.is_empty() {
                    return Ok(n);
                }
            }
            Err(ClientError::Http { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_shapes_and_aliases() {
        assert_eq!(
            names(&json!(["a.safetensors", "b.gguf"])),
            ["a.safetensors", "b.gguf"]
        );
        assert_eq!(
            names(
                &json!([{"name": "m.safetensors", "pathIndex": 0}, {"name": "n.ckpt", "pathIndex": 1}])
            ),
            ["m.safetensors", "n.ckpt"]
        );
        assert_eq!(alias("unet"), Some("diffusion_models"));
        assert_eq!(alias("text_encoders"), Some("clip"));
        assert_eq!(alias("loras"), None);
    }
}
