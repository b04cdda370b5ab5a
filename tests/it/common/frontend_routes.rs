//! What the ComfyUI editor (the `comfyui-frontend-package` static files) asks a server for
//! besides the API the fake server already speaks: its static files, settings, user data,
//! extensions and translations. With these the real editor starts against the fake server, so
//! `scripts/editor-oracle.sh` can record what its Queue button would send.
//!
//! Settings and user files live in memory for the life of the server: the oracle loads each
//! workflow into a fresh page state and needs nothing to persist.

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Store {
    settings: Map<String, Value>,
    userdata: HashMap<String, Vec<u8>>,
}

struct Frontend {
    root: PathBuf,
    store: Mutex<Store>,
}

/// The editor's routes, to be merged under the fake server's own (which win).
pub fn router(root: PathBuf) -> Router {
    let state = Arc::new(Frontend {
        root,
        store: Mutex::new(Store::default()),
    });
    let api = Router::new()
        .route("/settings", get(get_settings).post(post_settings))
        .route("/settings/{id}", get(get_setting).post(post_setting))
        .route(
            "/users",
            get(|| async { axum::Json(json!({"storage": "server", "migrated": true})) }),
        )
        .route("/userdata", get(|| async { axum::Json(json!([])) }))
        .route("/v2/userdata", get(|| async { axum::Json(json!([])) }))
        .route(
            "/userdata/{*file}",
            get(get_userdata)
                .post(post_userdata)
                .delete(delete_userdata),
        )
        .route("/extensions", get(|| async { axum::Json(json!([])) }))
        .route("/i18n", get(|| async { axum::Json(json!({})) }))
        .route(
            "/workflow_templates",
            get(|| async { axum::Json(json!({})) }),
        )
        // Consulted only for node types the server lacks; the oracle loads none of those.
        .route(
            "/node_replacements",
            get(|| async { axum::Json(json!({})) }),
        );
    Router::new()
        .merge(api.clone())
        .nest("/api", api)
        .fallback(get(get_static))
        .with_state(state)
}

async fn get_settings(State(f): State<Arc<Frontend>>) -> impl IntoResponse {
    axum::Json(Value::Object(f.store.lock().unwrap().settings.clone()))
}

async fn post_settings(State(f): State<Arc<Frontend>>, body: Bytes) -> StatusCode {
    let Ok(Value::Object(m)) = serde_json::from_slice(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    f.store.lock().unwrap().settings.extend(m);
    StatusCode::OK
}

async fn get_setting(State(f): State<Arc<Frontend>>, Path(id): Path<String>) -> impl IntoResponse {
    let v = f.store.lock().unwrap().settings.get(&id).cloned();
    axum::Json(v.unwrap_or(Value::Null))
}

async fn post_setting(
    State(f): State<Arc<Frontend>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let Ok(v) = serde_json::from_slice(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    f.store.lock().unwrap().settings.insert(id, v);
    StatusCode::OK
}

async fn get_userdata(State(f): State<Arc<Frontend>>, Path(file): Path<String>) -> Response {
    match f.store.lock().unwrap().userdata.get(&file) {
        Some(b) => b.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn post_userdata(
    State(f): State<Arc<Frontend>>,
    Path(file): Path<String>,
    body: Bytes,
) -> impl IntoResponse {
    f.store
        .lock()
        .unwrap()
        .userdata
        .insert(file.clone(), body.to_vec());
    axum::Json(json!({"path": file}))
}

async fn delete_userdata(State(f): State<Arc<Frontend>>, Path(file): Path<String>) -> StatusCode {
    match f.store.lock().unwrap().userdata.remove(&file) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

/// A file under the root (`/` is `index.html`); nothing outside it.
async fn get_static(State(f): State<Arc<Frontend>>, uri: axum::http::Uri) -> Response {
    let rel = uri.path().trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    if rel
        .split('/')
        .any(|p| p == ".." || p.starts_with('.') || p.contains('\\'))
    {
        return StatusCode::FORBIDDEN.into_response();
    }
    let path = f.root.join(rel);
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(rel))], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}
