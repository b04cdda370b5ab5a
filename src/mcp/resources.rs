//! Resources: the agent guide, each workflow of `--workflows DIR` as JSON, and the server's
//! model files by folder (`comfyctl://models/{folder}`, the `list_models` shape).

use super::ComfyMcp;
use super::shapes::ModelsReport;
use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

/// The agent guide, served as a resource.
const GUIDE: &str = include_str!("../../docs/agents.md");

/// Model folders listed as resources (any other folder is readable through the template).
const FOLDERS: &[&str] = &[
    "checkpoints",
    "loras",
    "vae",
    "diffusion_models",
    "text_encoders",
];

impl ComfyMcp {
    /// Every resource.
    pub(super) fn resources(&self) -> Vec<Resource> {
        let mut out = vec![
            Resource::new("comfyctl://guide", "guide")
                .with_title("How to drive ComfyUI with comfyctl (agent guide)")
                .with_mime_type("text/markdown"),
        ];
        for e in self.s.catalog.entries() {
            out.push(
                Resource::new(format!("comfyctl://workflows/{}", e.file), e.file.clone())
                    .with_description(format!("the workflow behind the tool {}", e.tool.name))
                    .with_mime_type("application/json"),
            );
        }
        // A v2 server lists no models (known once a call or the catalog has asked it).
        let v2 = self.s.pool.slots()[0].server.api_known() == Some(crate::client::api::Api::V2);
        for f in FOLDERS.iter().filter(|_| !v2) {
            out.push(
                Resource::new(format!("comfyctl://models/{f}"), format!("models/{f}"))
                    .with_description(format!("the server's {f} files"))
                    .with_mime_type("application/json"),
            );
        }
        out
    }

    /// The resource templates.
    pub(super) fn resource_templates(&self) -> Vec<ResourceTemplate> {
        vec![
            ResourceTemplate::new("comfyctl://models/{folder}", "models")
                .with_description("the model files of one folder under models/ on the server")
                .with_mime_type("application/json"),
        ]
    }

    /// Reads one resource.
    pub(super) async fn read(&self, uri: &str) -> Result<ReadResourceResult, McpError> {
        let not_found = || McpError::resource_not_found(format!("no resource {uri}"), None);
        if uri == "comfyctl://guide" {
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(GUIDE, uri).with_mime_type("text/markdown"),
            ]));
        }
        if let Some(file) = uri.strip_prefix("comfyctl://workflows/") {
            let e = self
                .s
                .catalog
                .entries()
                .into_iter()
                .find(|e| e.file == file)
                .ok_or_else(not_found)?;
            let text = std::fs::read_to_string(&e.path).map_err(|_| not_found())?;
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, uri).with_mime_type("application/json"),
            ]));
        }
        if let Some(folder) = uri.strip_prefix("comfyctl://models/") {
            if !super::calls::folder_name_ok(folder) {
                return Err(not_found());
            }
            let slot = &self.s.pool.slots()[0];
            if self.is_v2(0).await {
                return Err(McpError::invalid_request(
                    format!(
                        "{} speaks the Comfy API v2, which has no model listing",
                        slot.server.display_url()
                    ),
                    None,
                ));
            }
            let models = crate::client::models::list(&slot.server, folder)
                .await
                .map_err(|e| McpError::internal_error(self.scrub(&e.to_string()), None))?;
            let report = ModelsReport {
                server: slot.server.display_url(),
                folder: folder.to_string(),
                models,
            };
            let text = crate::report::to_value(&report).to_string();
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, uri).with_mime_type("application/json"),
            ]));
        }
        Err(not_found())
    }
}
