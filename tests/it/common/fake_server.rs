//! A fake ComfyUI server for tests and benchmarks: HTTP and WebSocket on one real port, speaking
//! the protocol as recorded from real servers (tests/fixtures): message order, binary preview
//! frames, exact 400 bodies, history shapes, `/view` rules. Validation and execution are
//! simulated from the real `/object_info`; faults can be scripted per test.
#![allow(dead_code)]

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{
        Multipart, Path, Query, State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc};

#[path = "frontend_routes.rs"]
mod frontend_routes;

const OBJECT_INFO_NEW: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.26.0/object_info.json");
const OBJECT_INFO_OLD: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.3.64/object_info.json");
const SYSTEM_STATS_NEW: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.26.0/system_stats.json");
const SYSTEM_STATS_OLD: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.3.64/system_stats.json");
const FEATURES_NEW: &[u8] = include_bytes!("../../fixtures/real-comfyui-0.26.0/features.json");
const FRAME_TYPE1: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.26.0/frames/sample-000.bin");
const OUTPUT_PNG: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.26.0/transcripts/sample_output.png");
const INPUT_PNG: &[u8] =
    include_bytes!("../../fixtures/real-comfyui-0.26.0/transcripts/invert_output.png");

/// A request a file host received: host, path, headers.
pub type HostRequest = (String, String, Vec<(String, String)>);

/// Which recorded server to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 0.26.0: UUID-only client prompt ids, richer feature flags, /api/jobs era.
    V0_26,
    /// 0.3.64: any client prompt id accepted.
    V0_3_64,
}

/// Misbehaviour to script. Counters are consumed as they fire.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Close the next WebSocket connection abruptly after it has been sent this many messages.
    pub ws_drop_after: Option<usize>,
    /// Refuse this many WebSocket upgrades (503).
    pub ws_refuse: usize,
    /// Route kind (`prompt`, `history`, `queue`, `view`, `upload`, `object_info`) → (count, status).
    pub fail_next: HashMap<String, (usize, u16)>,
    /// Cut this many `/view` bodies halfway (Content-Length promises more).
    pub view_truncate: usize,
    /// Delay between 64 KiB `/view` chunks.
    pub view_chunk_delay: Option<Duration>,
    /// Send `/view` headers and the first chunk, then nothing.
    pub view_stall: bool,
    /// Nodes of this class fail during execution.
    pub fail_class: Option<String>,
    /// Extra file items added to every output node's `images` (hostile names).
    pub extra_outputs: Vec<Value>,
    /// Size in bytes of generated outputs (default: the recorded PNG).
    pub output_size: Option<u64>,
    /// The server "restarts" during the next run: queue and history vanish, sockets drop.
    pub lose_job: bool,
    /// At this sampler step of the next run the server goes away: its port refuses
    /// connections for the outage's downtime (`None`: it never comes back). A restart loses the
    /// queue, the history and the running job; a blip keeps them and the job runs on.
    pub outage_at_step: Option<(u64, Outage)>,
    /// Write history this long after `execution_success` (0.26 writes it before `executing null`).
    pub history_delay: Option<Duration>,
    /// Send an `ExecutionBlocked` error (not terminal) before the first node.
    pub execution_blocked: bool,
    /// Send progress/text with no prompt id, as pre-2024 servers did.
    pub legacy_messages: bool,
    /// Send type-1 preview frames (no attribution) even when metadata was negotiated.
    pub type1_previews: bool,
    /// Cut the next model-file download after this many bytes (Content-Length promises all).
    pub model_cut_after: Option<u64>,
    /// Register each WebSocket this long after its handshake (messages before are dropped).
    pub ws_register_delay: Option<Duration>,
    /// Benchmark firehose: every sampler step also sends this many extra `progress_state` and
    /// `progress` messages (serialised once, sent as a burst)…
    pub progress_burst: usize,
    /// …and this many extra preview frames (the recorded 38 KB JPEG).
    pub preview_burst: usize,
    /// Soak: random faults at this rate (0.0–1.0) — 5xx before a request is handled, 500 after
    /// a prompt was queued, truncated `/view` bodies, WebSockets dropped after a few messages —
    /// and every output's bytes unique to it.
    pub chaos: Option<f64>,
    /// Route kind → count: handle the request (a prompt is queued), then answer with headers and
    /// the first bytes of a JSON body, and nothing more.
    pub stall_next: HashMap<String, usize>,
    /// Queue the next this-many prompts, then answer 500 as if the server failed afterwards.
    pub prompt_answer_lost: usize,
    /// Append `queued PROMPT_ID` and `output SHA256 TYPE/SUBFOLDER/NAME` lines here (soak checks).
    pub served_log: Option<std::path::PathBuf>,
}

#[derive(Clone)]
enum FileData {
    Bytes(Arc<Vec<u8>>),
    Synthetic(u64),
}

enum WsOut {
    Text(String),
    Binary(Vec<u8>),
}

struct Socket {
    conn_id: u64,
    tx: mpsc::UnboundedSender<WsOut>,
    preview_metadata: bool,
}

struct QueueItem {
    number: f64,
    prompt_id: String,
    prompt: Map<String, Value>,
    extra_data: Value,
    outputs: Vec<String>,
}

impl QueueItem {
    fn as_json(&self) -> Value {
        json!([
            self.number,
            self.prompt_id,
            self.prompt,
            self.extra_data,
            self.outputs
        ])
    }
}

/// The server going away for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// How long the port refuses connections (`None`: for good).
    pub downtime: Option<Duration>,
    /// A restart (everything in memory lost) rather than a network blip.
    pub restart: bool,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<QueueItem>,
    running: Option<QueueItem>,
    running_node: Option<String>,
    interrupt: bool,
    history: Vec<(String, Value)>,
    files: HashMap<(String, String, String), FileData>,
    counters: HashMap<(String, String), u32>,
    sockets: HashMap<String, Socket>,
    next_conn: u64,
    /// The client id of every `/ws` session opened, in order.
    ws_sessions: Vec<String>,
    number: u64,
    cache: HashMap<String, Option<Value>>,
    requests: Vec<String>,
    faults: Faults,
    input_files: Vec<String>,
    models: HashMap<String, Vec<String>>,
    /// Cloud mode: messages go to every socket.
    cloud: bool,
    /// Every request the storage server got: path and headers.
    storage_requests: Vec<(String, Vec<(String, String)>)>,
    /// Cloud: the top-level keys and `extra_data` of each submission.
    submissions: Vec<Value>,
    /// Cloud: the next `/api/prompt` answers this status with an ErrorResponse.
    cloud_prompt_error: Option<u16>,
    /// The server's log (`/internal/logs/raw`).
    log_lines: Vec<(String, String)>,
    /// Sockets subscribed to log lines.
    log_subscribers: HashSet<String>,
    /// Cloud developer event sockets: id → (sender, subscribed patterns).
    dev_sockets: HashMap<u64, (mpsc::UnboundedSender<WsOut>, Vec<String>)>,
    /// Every `subscribe` received on the developer socket, and every `ping`.
    dev_subscribes: Vec<Vec<String>>,
    dev_pings: usize,
    /// Close the next developer socket after sending this many messages.
    dev_drop_after: Option<usize>,
    /// Model files served at `/files/{name}` (both hosts).
    model_files: HashMap<String, Arc<Vec<u8>>>,
    /// Every `/files` and `/hf` request: host, path, headers.
    model_requests: Vec<HostRequest>,
    /// ComfyUI-Manager: the node map it serves, when enabled.
    manager_map: Option<Value>,
    /// Bodies posted to `/manager/queue/install`, and how often the queue was started.
    manager_installs: Vec<Value>,
    manager_starts: usize,
    /// `/internal/folder_paths` root (a local server's models folder).
    models_root: Option<String>,
    /// xorshift state for `Faults::chaos`.
    rng: u64,
    /// Tells this server's outputs from another's (chaos mode).
    server_nonce: u64,
    /// Bumped by every restart: a job running across one is abandoned, like the process was.
    generation: u64,
    /// The outage under way, for the serving loop.
    outage: Option<Outage>,
    /// Every prompt id ever queued, in order (kept across restarts: the tests' view of what ran).
    queued_log: Vec<String>,
}

impl Inner {
    /// True with probability `rate × Faults::chaos` (never without chaos).
    fn chaos(&mut self, rate: f64) -> bool {
        let Some(p) = self.faults.chaos else {
            return false;
        };
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        ((self.rng >> 11) as f64 / (1u64 << 53) as f64) < p * rate
    }

    /// One line in `Faults::served_log`.
    fn served(&self, line: &str) {
        if let Some(path) = &self.faults.served_log {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("served log");
            writeln!(f, "{line}").expect("served log");
        }
    }
}

fn pattern_matches(pattern: &str, event: &str) -> bool {
    pattern == "*"
        || pattern == event
        || pattern
            .strip_suffix(".*")
            .is_some_and(|p| event.starts_with(&format!("{p}.")))
}

/// Sends a developer event to every subscribed socket whose patterns match.
fn dev_event(i: &Inner, event: &str, payload: Value) {
    let msg = json!({"type": "event", "timestamp": comfyctl::timefmt::utc(now_ms()).replace(' ', "T") + "Z",
                     "data": {"event": event, "payload": payload}})
    .to_string();
    for (tx, pats) in i.dev_sockets.values() {
        if pats.iter().any(|p| pattern_matches(p, event)) {
            let _ = tx.send(WsOut::Text(msg.clone()));
        }
    }
}

/// Appends to the server log and sends it to subscribed sockets, like ComfyUI's terminal
/// service (docs/protocol.md, "WebSocket": `logs`).
fn server_log(i: &mut Inner, m: &str) {
    let t = comfyctl::timefmt::utc(now_ms()).replace(' ', "T");
    let line = (t.clone(), format!("{m}\n"));
    i.log_lines.push(line.clone());
    let msg = json!({"type": "logs", "data": {"entries": [{"t": t, "m": line.1}], "size": null}})
        .to_string();
    for sid in &i.log_subscribers {
        if let Some(s) = i.sockets.get(sid) {
            let _ = s.tx.send(WsOut::Text(msg.clone()));
        }
    }
}

pub struct Shared {
    version: Version,
    step_delay: Duration,
    inner: Mutex<Inner>,
    wake: Notify,
    /// Counts outages; the serving loop stops listening at each change.
    outages: tokio::sync::watch::Sender<u64>,
    object_info: Value,
    cloud: Option<CloudOptions>,
    storage_url: std::sync::OnceLock<String>,
    v2: std::sync::OnceLock<Arc<super::fake_v2::V2State>>,
}

impl Shared {
    /// The v2 service's base URL, when one was started.
    pub fn v2_url(&self) -> Option<String> {
        self.v2.get().map(|v| v.url())
    }
}

/// Options for starting a fake server.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// Which server to imitate.
    pub version: Version,
    /// Delay per simulated node and sampling step.
    pub step_delay: Duration,
    /// Initial faults.
    pub faults: Faults,
    /// Port (0 = any free port).
    pub port: u16,
    /// Behave like Comfy Cloud (docs/protocol.md, "Comfy Cloud") instead of a local server.
    pub cloud: Option<CloudOptions>,
    /// Serve the editor from this `comfyui-frontend-package` static folder, with the routes it
    /// needs to start (`--front-end-root`, as ComfyUI has).
    pub front_end_root: Option<std::path::PathBuf>,
    /// Also serve the Comfy API v2 on a second port, through a fake comfy-api-proxy in front
    /// of this server (`super::fake_v2`).
    pub v2: Option<super::fake_v2::V2Options>,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            version: Version::V0_26,
            step_delay: Duration::from_millis(5),
            faults: Faults::default(),
            port: 0,
            cloud: None,
            front_end_root: None,
            v2: None,
        }
    }
}

/// Comfy Cloud behaviour: `/api/...` only, `X-API-Key` (and `token=` on the WebSocket), jobs
/// and job-status routes, `/api/view` redirecting to signed URLs on a second "storage" server
/// (127.0.0.2 when it can be bound), and a WebSocket that broadcasts every job of the account.
#[derive(Debug, Clone)]
pub struct CloudOptions {
    /// The only key accepted.
    pub api_key: String,
    /// Redirect statuses: the first from `/api/view` to storage, each next one a hop from
    /// storage to storage before the file is served.
    pub redirects: Vec<u16>,
    /// Interleave another job's messages (including its `execution_error`) with ours.
    pub other_jobs: bool,
    /// Words `/api/job/{id}/status` uses for running and finished jobs.
    pub status_words: (String, String),
    /// The free tier: `/api/object_info` answers 403.
    pub free_tier: bool,
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            api_key: "ck-test-secret-0123456789".into(),
            redirects: vec![302],
            other_jobs: true,
            status_words: ("in_progress".into(), "completed".into()),
            free_tier: false,
        }
    }
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    /// Bound address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    /// Starts on its own thread and runtime.
    pub fn start(opts: FakeOptions) -> FakeServer {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (addr, shared, fut) = serve(opts).await;
                tx.send((addr, shared)).unwrap();
                tokio::select! {
                    _ = fut => {}
                    _ = stop_rx => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        let (addr, shared) = rx.recv().expect("fake server started");
        FakeServer {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Every prompt id ever queued, across restarts, in order.
    pub fn queued_log(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().queued_log.clone()
    }

    /// The server goes away now for `outage.downtime` (see [`Outage`]).
    pub fn outage(&self, outage: Outage) {
        go_down(&self.shared, outage);
    }

    /// Serves `data` at `/files/{name}` on both hosts (and `/hf/{name}` redirecting there).
    pub fn add_model_file(&self, name: &str, data: Vec<u8>) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .model_files
            .insert(name.into(), Arc::new(data));
    }

    /// Every model-file request: host, path, headers.
    pub fn model_requests(&self) -> Vec<HostRequest> {
        self.shared.inner.lock().unwrap().model_requests.clone()
    }

    /// The second host (`http://127.0.0.2:PORT`).
    pub fn storage_url(&self) -> String {
        self.shared.storage_url.get().cloned().unwrap_or_default()
    }

    /// Imitates ComfyUI-Manager with this node map (`/customnode/getmappings`, install queue).
    pub fn enable_manager(&self, map: Value) {
        self.shared.inner.lock().unwrap().manager_map = Some(map);
    }

    /// What was posted to Manager's install queue, and how often it was started.
    pub fn manager_installs(&self) -> (Vec<Value>, usize) {
        let i = self.shared.inner.lock().unwrap();
        (i.manager_installs.clone(), i.manager_starts)
    }

    /// Answers `/internal/folder_paths` with `ROOT/<folder>` for every model folder.
    pub fn set_models_root(&self, root: &std::path::Path) {
        self.shared.inner.lock().unwrap().models_root = Some(root.display().to_string());
    }

    /// The client id of every `/ws` session opened so far.
    pub fn ws_sessions(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().ws_sessions.clone()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The v2 service's base URL (started with `FakeOptions::v2`).
    pub fn v2_url(&self) -> String {
        self.v2().url()
    }

    /// The v2 service, to script its faults and read its requests.
    pub fn v2(&self) -> Arc<super::fake_v2::V2State> {
        self.shared
            .v2
            .get()
            .expect("started with FakeOptions::v2")
            .clone()
    }

    /// Changes the faults.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.shared.inner.lock().unwrap().faults);
    }

    /// Every request so far as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().requests.clone()
    }

    /// How many `POST /prompt` requests arrived (each test's "never submitted twice").
    pub fn prompt_posts(&self) -> usize {
        let i = self.shared.inner.lock().unwrap();
        i.requests.iter().filter(|r| *r == "POST /prompt").count()
    }

    /// Prompt ids in history, oldest first.
    pub fn history_ids(&self) -> Vec<String> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .history
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The history entry of a prompt.
    pub fn history_entry(&self, id: &str) -> Option<Value> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .history
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone())
    }

    /// Ids running or pending.
    pub fn queued_ids(&self) -> Vec<String> {
        let i = self.shared.inner.lock().unwrap();
        i.running
            .iter()
            .chain(i.queue.iter())
            .map(|q| q.prompt_id.clone())
            .collect()
    }

    /// Adds a file the server can serve.
    /// Puts a model file in a folder (it then appears in /object_info lists and /models).
    pub fn add_model(&self, folder: &str, name: &str) {
        let mut i = self.shared.inner.lock().unwrap();
        i.models
            .entry(folder.to_string())
            .or_default()
            .push(name.to_string());
    }

    /// Cloud: every request the storage host received, with its headers.
    pub fn storage_requests(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.shared.inner.lock().unwrap().storage_requests.clone()
    }

    /// Cloud: what each `/api/prompt` body held besides the prompt.
    pub fn submissions(&self) -> Vec<Value> {
        self.shared.inner.lock().unwrap().submissions.clone()
    }

    /// Cloud developer socket: every `subscribe` received, and the number of pings.
    pub fn dev_socket_log(&self) -> (Vec<Vec<String>>, usize) {
        let i = self.shared.inner.lock().unwrap();
        (i.dev_subscribes.clone(), i.dev_pings)
    }

    /// Cloud developer socket: close the next one after this many messages.
    pub fn dev_drop_after(&self, n: usize) {
        self.shared.inner.lock().unwrap().dev_drop_after = Some(n);
    }

    /// Cloud: the next `/api/prompt` fails with this status and an ErrorResponse body.
    pub fn cloud_fail_prompt(&self, status: u16) {
        self.shared.inner.lock().unwrap().cloud_prompt_error = Some(status);
    }

    /// Names of files in the input folder.
    pub fn input_files(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().input_files.clone()
    }

    pub fn add_file(&self, file_type: &str, subfolder: &str, name: &str, data: Vec<u8>) {
        self.shared.inner.lock().unwrap().files.insert(
            (file_type.into(), subfolder.into(), name.into()),
            FileData::Bytes(Arc::new(data)),
        );
    }

    /// The bytes of the recorded output PNG the server produces by default.
    pub fn default_output() -> &'static [u8] {
        OUTPUT_PNG
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Binds and returns the serving future (for the example binary and `FakeServer`).
pub async fn serve(
    opts: FakeOptions,
) -> (
    SocketAddr,
    Arc<Shared>,
    impl std::future::Future<Output = ()>,
) {
    let object_info: Value = serde_json::from_slice(match opts.version {
        Version::V0_26 => OBJECT_INFO_NEW,
        Version::V0_3_64 => OBJECT_INFO_OLD,
    })
    .unwrap();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut inner = Inner {
        faults: opts.faults,
        cloud: opts.cloud.is_some(),
        rng: seed,
        server_nonce: seed,
        ..Default::default()
    };
    inner.input_files = vec!["example.png".into()];
    server_log(&mut inner, "Starting server");
    server_log(&mut inner, "To see the GUI go to: http://127.0.0.1:8188");
    inner.models.insert(
        "checkpoints".into(),
        vec!["tiny-random-sd15.safetensors".into()],
    );
    inner.files.insert(
        ("input".into(), String::new(), "example.png".into()),
        FileData::Bytes(Arc::new(INPUT_PNG.to_vec())),
    );
    let shared = Arc::new(Shared {
        version: opts.version,
        step_delay: opts.step_delay,
        inner: Mutex::new(inner),
        wake: Notify::new(),
        outages: tokio::sync::watch::Sender::new(0),
        object_info,
        cloud: opts.cloud.clone(),
        storage_url: std::sync::OnceLock::new(),
        v2: std::sync::OnceLock::new(),
    });
    let routes = Router::new()
        .route("/ws", get(ws_handler))
        .route("/prompt", post(post_prompt).get(get_prompt))
        .route("/queue", get(get_queue).post(post_queue))
        .route("/interrupt", post(post_interrupt))
        .route("/history", get(get_history).post(post_history))
        .route("/history/{id}", get(get_history_one))
        .route("/view", get(get_view))
        .route("/upload/image", post(post_upload))
        .route("/upload/mask", post(post_upload_mask))
        .route("/object_info", get(get_object_info))
        .route("/object_info/{cls}", get(get_object_info_one))
        .route("/system_stats", get(get_system_stats))
        .route("/features", get(get_features))
        .route("/models", get(get_models))
        .route("/models/{folder}", get(get_models_folder))
        .route("/embeddings", get(|| async { axum::Json(json!([])) }))
        .route("/jobs/{id}", get(get_job))
        .route("/jobs/{id}/cancel", post(post_job_cancel))
        .route("/job/{id}/status", get(get_job_status))
        .route("/experiment/models/{folder}", get(get_experiment_models))
        .route("/customnode/getmappings", get(get_manager_map))
        .route("/manager/queue/install", post(post_manager_install))
        .route("/manager/queue/start", get(get_manager_start))
        .route("/internal/folder_paths", get(get_folder_paths));
    // Every route is also served under /api (docs/protocol.md, "Routes").
    let app = Router::new()
        .route("/internal/logs/raw", get(get_logs_raw))
        .route("/developer/api/v1/ws", get(dev_ws_handler))
        .route("/internal/logs/subscribe", patch(patch_logs_subscribe))
        .route("/files/{name}", get(get_model_file))
        .route("/hf/{name}", get(get_hf_redirect))
        .merge(routes.clone())
        .nest("/api", routes)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            cloud_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            log_request,
        ))
        .with_state(shared.clone());
    let app = match opts.front_end_root {
        Some(root) => app.merge(frontend_routes::router(root)),
        None => app,
    };
    {
        // Signed URLs and model mirrors point at another host: 127.0.0.2 where the OS allows it.
        let storage = match tokio::net::TcpListener::bind(("127.0.0.2", 0)).await {
            Ok(l) => l,
            Err(_) => tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .unwrap(),
        };
        let saddr = storage.local_addr().unwrap();
        shared.storage_url.set(format!("http://{saddr}")).unwrap();
        let sapp = Router::new()
            .route("/signed", get(get_signed))
            .route("/files/{name}", get(get_model_file))
            .with_state(shared.clone());
        tokio::spawn(async move {
            use axum::serve::ListenerExt;
            let storage = storage.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(storage, sapp).await;
        });
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(worker(shared.clone()));
    if let Some(v2) = opts.v2 {
        let state = super::fake_v2::start(format!("http://{addr}"), v2).await;
        let _ = shared.v2.set(state);
    }
    let s = shared.clone();
    let fut = async move {
        let mut listener = Some(listener);
        let mut outages = s.outages.subscribe();
        loop {
            let l = match listener.take() {
                Some(l) => l,
                None => rebind(addr).await,
            };
            // aiohttp (ComfyUI) sets TCP_NODELAY; without it, small WebSocket frames wait
            // ~40 ms for delayed ACKs and every benchmark measures that instead of the client.
            use axum::serve::ListenerExt;
            let l = l.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let mut seen = outages.clone();
            let _ = axum::serve(l, app.clone())
                .with_graceful_shutdown(async move {
                    let _ = seen.changed().await;
                })
                .await;
            // Down: the port refuses connections until the outage ends (never, for good).
            outages.borrow_and_update();
            let outage = s.inner.lock().unwrap().outage;
            match outage.and_then(|o| o.downtime) {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending::<()>().await,
            }
            s.inner.lock().unwrap().outage = None;
        }
    };
    (addr, shared, fut)
}

/// Binds the port again after an outage (a moment after close it may still be in use).
async fn rebind(addr: SocketAddr) -> tokio::net::TcpListener {
    loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// The server goes away now: sockets drop and the port closes; a restart also forgets the
/// queue, the history and the running job.
fn go_down(s: &Shared, outage: Outage) {
    {
        let mut i = s.inner.lock().unwrap();
        i.outage = Some(outage);
        i.sockets.clear();
        if outage.restart {
            i.generation += 1;
            i.history.clear();
            i.queue.clear();
            i.running = None;
            i.running_node = None;
        }
    }
    s.outages.send_modify(|n| *n += 1);
}

async fn log_request(
    State(s): State<Arc<Shared>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let line = format!(
        "{} {}",
        req.method(),
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let kind = route_kind(req.uri().path());
    let chaotic = matches!(
        kind,
        "prompt" | "history" | "queue" | "view" | "upload" | "object_info"
    );
    let (fail, fail_after) = {
        let mut i = s.inner.lock().unwrap();
        i.requests.push(line);
        let fail = match i.faults.fail_next.get_mut(kind) {
            Some((n, status)) if *n > 0 => {
                *n -= 1;
                Some(*status)
            }
            _ => None,
        };
        let fail = fail.or_else(|| {
            let f = chaotic && i.chaos(1.0);
            if f {
                i.served(&format!("fault 503 {kind}"));
            }
            f.then_some(503)
        });
        // The nastiest failure: the prompt was queued, the answer is lost.
        let post_prompt =
            fail.is_none() && kind == "prompt" && req.method() == axum::http::Method::POST;
        let scripted = post_prompt && i.faults.prompt_answer_lost > 0;
        if scripted {
            i.faults.prompt_answer_lost -= 1;
        }
        let after = scripted || (post_prompt && i.chaos(0.5));
        if after {
            i.served("fault answer-lost prompt");
        }
        (fail, after)
    };
    if let Some(status) = fail {
        return plain_error(StatusCode::from_u16(status).unwrap());
    }
    let stall = {
        let mut i = s.inner.lock().unwrap();
        match i.faults.stall_next.get_mut(kind) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    };
    let resp = next.run(req).await;
    if stall {
        drop(resp);
        let body = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(Bytes::from_static(b"{\"stalled\": "))
        })
        .chain(futures_util::stream::once(async {
            std::future::pending::<Result<Bytes, std::io::Error>>().await
        }));
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "4096")
            .body(Body::from_stream(body))
            .unwrap();
    }
    if fail_after {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    }
    resp
}

/// What aiohttp sends for an unhandled exception or a bare status: text/plain "CODE Reason".
fn plain_error(status: StatusCode) -> Response {
    (status, status.to_string()).into_response()
}

fn route_kind(path: &str) -> &'static str {
    let p = path.strip_prefix("/api").unwrap_or(path);
    if p.starts_with("/prompt") {
        "prompt"
    } else if p.starts_with("/history") {
        "history"
    } else if p.starts_with("/queue") {
        "queue"
    } else if p.starts_with("/view") {
        "view"
    } else if p.starts_with("/upload") {
        "upload"
    } else if p.starts_with("/object_info") {
        "object_info"
    } else if p.starts_with("/ws") {
        "ws"
    } else if p.starts_with("/interrupt") {
        "interrupt"
    } else {
        "other"
    }
}

// ---------------------------------------------------------------- server log

async fn get_logs_raw(State(s): State<Arc<Shared>>) -> Response {
    let i = s.inner.lock().unwrap();
    let entries: Vec<Value> = i
        .log_lines
        .iter()
        .map(|(t, m)| json!({"t": t, "m": m}))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"entries": entries, "size": {"cols": 120, "rows": 40}}),
    )
}

async fn patch_logs_subscribe(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return plain_error(StatusCode::BAD_REQUEST);
    };
    let Some(sid) = v.get("clientId").and_then(Value::as_str) else {
        return plain_error(StatusCode::BAD_REQUEST);
    };
    let mut i = s.inner.lock().unwrap();
    if v.get("enabled").and_then(Value::as_bool) == Some(true) {
        i.log_subscribers.insert(sid.to_string());
    } else {
        i.log_subscribers.remove(sid);
    }
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------- Comfy Cloud

/// Cloud's error body: `{code, message}` (docs/protocol.md, "Comfy Cloud").
fn cloud_error(status: u16) -> Response {
    let (code, message) = match status {
        401 => ("unauthorized", "Invalid or missing API key"),
        402 => ("insufficient_credits", "Insufficient credits"),
        403 => (
            "forbidden",
            "API access requires a Standard, Creator or Pro plan",
        ),
        404 => ("not_found", "Not found"),
        429 => ("subscription_inactive", "Subscription inactive"),
        503 => ("service_unavailable", "Service unavailable"),
        _ => ("internal_error", "Internal error"),
    };
    json_response(
        StatusCode::from_u16(status).unwrap(),
        &json!({"code": code, "message": message}),
    )
}

/// In cloud mode: only `/api/...` and `/ws` exist, and both want the key (header, or
/// `token=` on the WebSocket); a few routes are public.
async fn cloud_gate(
    State(s): State<Arc<Shared>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(c) = &s.cloud else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_string();
    if path == "/developer/api/v1/ws" {
        let key = req.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "api_key")
                .map(|(_, v)| v.into_owned())
        });
        if key.as_deref() != Some(c.api_key.as_str()) {
            return cloud_error(401);
        }
        return next.run(req).await;
    }
    if path == "/ws" {
        let token = req.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        });
        if token.as_deref() != Some(c.api_key.as_str()) {
            return cloud_error(401);
        }
        return next.run(req).await;
    }
    let Some(rest) = path.strip_prefix("/api") else {
        return cloud_error(404);
    };
    // Cloud has no GET /history (docs/protocol.md, "Comfy Cloud": history_v2 or jobs).
    if rest.starts_with("/history") && req.method() == axum::http::Method::GET {
        return cloud_error(404);
    }
    let public = rest.starts_with("/system_stats")
        || rest.starts_with("/features")
        || rest.starts_with("/experiment/models");
    let key = req.headers().get("x-api-key").and_then(|v| v.to_str().ok());
    if !public && key != Some(c.api_key.as_str()) {
        return cloud_error(401);
    }
    next.run(req).await
}

enum JobLook {
    Pending,
    Running,
    Done(Value),
    Unknown,
}

fn look_up_job(s: &Shared, id: &str) -> JobLook {
    let i = s.inner.lock().unwrap();
    if i.running.as_ref().is_some_and(|r| r.prompt_id == id) {
        return JobLook::Running;
    }
    if i.queue.iter().any(|q| q.prompt_id == id) {
        return JobLook::Pending;
    }
    match i.history.iter().find(|(k, _)| k == id) {
        Some((_, v)) => JobLook::Done(v.clone()),
        None => JobLook::Unknown,
    }
}

fn finished_word(entry: &Value, done: &str) -> String {
    let status = &entry["status"];
    if status["status_str"] != "error" {
        return done.to_string();
    }
    let interrupted = status["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x[0] == "execution_interrupted"));
    if interrupted { "cancelled" } else { "failed" }.to_string()
}

fn status_words(s: &Shared) -> (String, String) {
    s.cloud
        .as_ref()
        .map(|c| c.status_words.clone())
        .unwrap_or(("in_progress".into(), "completed".into()))
}

/// `/api/jobs/{id}`: the job detail (0.26 local and Cloud).
async fn get_job(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let (running, done) = status_words(&s);
    match look_up_job(&s, &id) {
        JobLook::Pending => json_response(StatusCode::OK, &json!({"id": id, "status": "pending"})),
        JobLook::Running => json_response(StatusCode::OK, &json!({"id": id, "status": running})),
        JobLook::Done(e) => json_response(
            StatusCode::OK,
            &json!({"id": id, "status": finished_word(&e, &done), "outputs": e["outputs"],
                    "execution_status": e["status"], "create_time": now_ms() / 1000}),
        ),
        JobLook::Unknown if s.cloud.is_some() => cloud_error(404),
        JobLook::Unknown => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /api/jobs/{id}/cancel` (0.26.0): interrupts the job if it is the one running,
/// dequeues it (leaving no history) if pending; always 200 `{"cancelled": bool}`. 0.3.64 has
/// no such route and answers 405.
async fn post_job_cancel(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if s.version == Version::V0_3_64 {
        return plain_error(StatusCode::METHOD_NOT_ALLOWED);
    }
    let mut i = s.inner.lock().unwrap();
    let cancelled = if i.running.as_ref().is_some_and(|r| r.prompt_id == id) {
        i.interrupt = true;
        true
    } else if let Some(n) = i.queue.iter().position(|q| q.prompt_id == id) {
        i.queue.remove(n);
        broadcast_status(&i);
        true
    } else {
        false
    };
    json_response(StatusCode::OK, &json!({"cancelled": cancelled}))
}

/// `/api/job/{id}/status` (Cloud only; note the singular `job`).
async fn get_job_status(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let (running, done) = status_words(&s);
    let word = match look_up_job(&s, &id) {
        JobLook::Pending => "pending".to_string(),
        JobLook::Running => running,
        JobLook::Done(e) => finished_word(&e, &done),
        JobLook::Unknown => return cloud_error(404),
    };
    json_response(StatusCode::OK, &json!({"status": word, "id": id}))
}

/// `/api/experiment/models/{folder}`: `[{name, pathIndex}]`; 404 for an unknown or empty folder.
async fn get_manager_map(State(s): State<Arc<Shared>>) -> Response {
    match s.inner.lock().unwrap().manager_map.clone() {
        Some(m) => json_response(StatusCode::OK, &m),
        None => plain_error(StatusCode::NOT_FOUND),
    }
}

async fn post_manager_install(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let mut i = s.inner.lock().unwrap();
    if i.manager_map.is_none() {
        return plain_error(StatusCode::NOT_FOUND);
    }
    i.manager_installs
        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    StatusCode::OK.into_response()
}

async fn get_manager_start(State(s): State<Arc<Shared>>) -> Response {
    let mut i = s.inner.lock().unwrap();
    if i.manager_map.is_none() {
        return plain_error(StatusCode::NOT_FOUND);
    }
    i.manager_starts += 1;
    StatusCode::OK.into_response()
}

async fn get_folder_paths(State(s): State<Arc<Shared>>) -> Response {
    let Some(root) = s.inner.lock().unwrap().models_root.clone() else {
        return plain_error(StatusCode::NOT_FOUND);
    };
    let folders = [
        "checkpoints",
        "loras",
        "vae",
        "text_encoders",
        "diffusion_models",
        "clip_vision",
        "controlnet",
        "upscale_models",
        "embeddings",
    ];
    let v: Map<String, Value> = folders
        .iter()
        .map(|f| (f.to_string(), json!([format!("{root}/{f}")])))
        .collect();
    json_response(StatusCode::OK, &Value::Object(v))
}

fn record_model_request(s: &Shared, headers: &axum::http::HeaderMap, path: String) {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let hs = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    s.inner
        .lock()
        .unwrap()
        .model_requests
        .push((host, path, hs));
}

/// A Hugging Face-like `resolve` URL: states the sha256 in `X-Linked-Etag` and redirects to the
/// file on the other host (a CDN), which must never receive the token.
async fn get_hf_redirect(
    State(s): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    Path(name): Path<String>,
) -> Response {
    record_model_request(&s, &headers, format!("/hf/{name}"));
    let data = s.inner.lock().unwrap().model_files.get(&name).cloned();
    let Some(data) = data else {
        return plain_error(StatusCode::NOT_FOUND);
    };
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(data.as_slice())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Response::builder()
        .status(StatusCode::FOUND)
        .header(
            "location",
            format!("{}/files/{name}", s.storage_url.get().unwrap()),
        )
        .header("x-linked-etag", format!("\"{sha}\""))
        .body(axum::body::Body::empty())
        .unwrap()
}

/// A model file with Range support; `model_cut_after` cuts one response short.
async fn get_model_file(
    State(s): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    Path(name): Path<String>,
) -> Response {
    record_model_request(&s, &headers, format!("/files/{name}"));
    let (data, cut) = {
        let mut i = s.inner.lock().unwrap();
        (
            i.model_files.get(&name).cloned(),
            i.faults.model_cut_after.take(),
        )
    };
    let Some(data) = data else {
        return plain_error(StatusCode::NOT_FOUND);
    };
    let start = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let total = data.len();
    let (status, from) = match start {
        Some(n) if n >= total => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header("content-range", format!("bytes */{total}"))
                .body(axum::body::Body::empty())
                .unwrap();
        }
        Some(n) => (StatusCode::PARTIAL_CONTENT, n),
        None => (StatusCode::OK, 0),
    };
    let body = data[from..].to_vec();
    let mut b = Response::builder()
        .status(status)
        .header("content-length", body.len().to_string())
        .header("accept-ranges", "bytes");
    if status == StatusCode::PARTIAL_CONTENT {
        b = b.header(
            "content-range",
            format!("bytes {from}-{}/{total}", total - 1),
        );
    }
    match cut {
        Some(n) => {
            // Headers promise everything; the body stops after n bytes and the socket closes.
            let first = body[..(n as usize).min(body.len())].to_vec();
            use futures_util::StreamExt;
            // The first part is flushed to the client before the connection breaks.
            let stream = futures_util::stream::once(async move {
                Ok::<_, std::io::Error>(axum::body::Bytes::from(first))
            })
            .chain(futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(std::io::Error::other("cut"))
            }));
            b.body(axum::body::Body::from_stream(stream)).unwrap()
        }
        None => b.body(axum::body::Body::from(body)).unwrap(),
    }
}

async fn get_experiment_models(
    State(s): State<Arc<Shared>>,
    Path(folder): Path<String>,
) -> Response {
    let list = s
        .inner
        .lock()
        .unwrap()
        .models
        .get(&folder)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        return cloud_error(404);
    }
    let v: Vec<Value> = list
        .iter()
        .map(|n| json!({"name": n, "pathIndex": 0}))
        .collect();
    json_response(StatusCode::OK, &json!(v))
}

/// The storage host behind signed URLs: records every header it receives, hops on through
/// `hops=307,308,…`, then serves the file.
async fn get_signed(
    State(s): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    Query(mut q): Query<HashMap<String, String>>,
) -> Response {
    {
        let mut i = s.inner.lock().unwrap();
        let hs = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        i.storage_requests
            .push((format!("/signed?{}", raw.unwrap_or_default()), hs));
    }
    if q.get("sig").map(String::as_str) != Some("deadbeef") {
        return StatusCode::FORBIDDEN.into_response();
    }
    let hops: Vec<u16> = q
        .get("hops")
        .map(|h| h.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    if let Some((first, rest)) = hops.split_first() {
        let mut u = url::Url::parse(&format!("{}/signed", s.storage_url.get().unwrap())).unwrap();
        {
            let mut qp = u.query_pairs_mut();
            for (k, v) in &q {
                if k != "hops" {
                    qp.append_pair(k, v);
                }
            }
            let rest: Vec<String> = rest.iter().map(u16::to_string).collect();
            qp.append_pair("hops", &rest.join(","));
        }
        return Response::builder()
            .status(StatusCode::from_u16(*first).unwrap())
            .header(header::LOCATION, u.as_str())
            .body(Body::empty())
            .unwrap();
    }
    q.remove("hops");
    q.remove("sig");
    view_file(s, q, None).await
}

/// The prototype developer event socket (seed 000): `connected`, `subscribe` → `subscribed`,
/// `ping` → `pong`, then `event` messages for matching patterns.
async fn dev_ws_handler(State(s): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    if s.cloud.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    ws.on_upgrade(move |socket| dev_ws_session(s, socket))
}

async fn dev_ws_session(s: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (id, drop_after) = {
        let mut i = s.inner.lock().unwrap();
        i.next_conn += 1;
        let id = i.next_conn;
        i.dev_sockets.insert(id, (tx.clone(), Vec::new()));
        (id, i.dev_drop_after.take())
    };
    let _ = tx.send(WsOut::Text(
        json!({"type": "connected", "data": {"session_id": format!("sess_{id}")}}).to_string(),
    ));
    let mut sent = 0usize;
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(WsOut::Text(t)) = out else { break };
                if socket.send(Message::Text(t.into())).await.is_err() { break; }
                sent += 1;
                if drop_after.is_some_and(|n| sent >= n) { break; }
            }
            msg = socket.recv() => {
                let Some(Ok(Message::Text(t))) = msg else {
                    if matches!(msg, Some(Ok(_))) { continue; }
                    break;
                };
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                let mut i = s.inner.lock().unwrap();
                match v["type"].as_str() {
                    Some("subscribe") => {
                        let pats: Vec<String> = v.pointer("/data/events").and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                            .unwrap_or_default();
                        i.dev_subscribes.push(pats.clone());
                        if let Some(e) = i.dev_sockets.get_mut(&id) { e.1 = pats.clone(); }
                        let _ = tx.send(WsOut::Text(json!({"type": "subscribed", "data": {"events": pats}}).to_string()));
                    }
                    Some("ping") => {
                        i.dev_pings += 1;
                        let _ = tx.send(WsOut::Text(json!({"type": "pong"}).to_string()));
                    }
                    _ => {}
                }
            }
        }
    }
    s.inner.lock().unwrap().dev_sockets.remove(&id);
}

// ---------------------------------------------------------------- WebSocket

fn send_to(inner: &Inner, sid: Option<&str>, msg: &Value) {
    let text = msg.to_string();
    // Comfy Cloud ignores clientId: every socket of the account gets everything.
    let sid = if inner.cloud { None } else { sid };
    match sid {
        Some(sid) => {
            if let Some(s) = inner.sockets.get(sid) {
                let _ = s.tx.send(WsOut::Text(text));
            }
        }
        None => {
            for s in inner.sockets.values() {
                let _ = s.tx.send(WsOut::Text(text.clone()));
            }
        }
    }
}

fn broadcast_status(inner: &Inner) {
    let n = inner.queue.len() + usize::from(inner.running.is_some());
    send_to(
        inner,
        None,
        &json!({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": n}}}}),
    );
}

async fn ws_handler(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    {
        let mut i = s.inner.lock().unwrap();
        if i.faults.ws_refuse > 0 {
            i.faults.ws_refuse -= 1;
            return (StatusCode::SERVICE_UNAVAILABLE, "").into_response();
        }
    }
    let sid = match &s.cloud {
        // clientId means nothing on Cloud; every connection stands alone.
        Some(_) => uuid::Uuid::new_v4().simple().to_string(),
        None => q
            .get("clientId")
            .filter(|c| !c.is_empty())
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
    };
    ws.on_upgrade(move |socket| ws_session(s, sid, socket))
}

async fn ws_session(s: Arc<Shared>, sid: String, mut socket: WebSocket) {
    // Like aiohttp's `prepare` then `sockets[sid] = ws`: the handshake is done before the socket
    // is registered; a slow server widens that window.
    let delay = s.inner.lock().unwrap().faults.ws_register_delay;
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (conn_id, drop_after) = {
        let mut i = s.inner.lock().unwrap();
        i.next_conn += 1;
        let conn_id = i.next_conn;
        i.ws_sessions.push(sid.clone());
        let mut drop_after = i.faults.ws_drop_after.take();
        if drop_after.is_none() && i.chaos(1.0) {
            drop_after = Some((i.rng % 24) as usize);
            i.served("fault dropped ws");
        }
        let n = i.queue.len() + usize::from(i.running.is_some());
        let _ = tx.send(WsOut::Text(
            json!({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": n}}, "sid": sid}}).to_string(),
        ));
        // Reconnect replay: the executing node, without prompt_id (docs/protocol.md, "WebSocket").
        if let (Some(r), Some(node)) = (&i.running, &i.running_node)
            && r.extra_data.get("client_id").and_then(Value::as_str) == Some(sid.as_str())
        {
            let _ = tx.send(WsOut::Text(
                json!({"type": "executing", "data": {"node": node}}).to_string(),
            ));
        }
        i.sockets.insert(
            sid.clone(),
            Socket {
                conn_id,
                tx,
                preview_metadata: false,
            },
        );
        (conn_id, drop_after)
    };
    let mut sent = 0usize;
    let mut got_first_text = false;
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(mut out) = out else {
                    // A newer socket took this client id: like aiohttp, this one stays open,
                    // getting nothing, until its client goes (then the pop below removes the
                    // newer one — the reconnect hazard, docs/protocol.md, "WebSocket").
                    let replaced = s.inner.lock().unwrap().sockets.get(&sid).is_some_and(|x| x.conn_id != conn_id);
                    if replaced {
                        loop {
                            match socket.recv().await {
                                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                                Some(Ok(_)) => {}
                            }
                        }
                    }
                    break;
                };
                // Like aiohttp under load, messages already queued go out in one write.
                let mut failed = drop_after.is_some_and(|n| sent >= n); // abrupt: no close frame
                while !failed {
                    let r = match out {
                        WsOut::Text(t) => socket.feed(Message::Text(t.into())).await,
                        WsOut::Binary(b) => socket.feed(Message::Binary(b.into())).await,
                    };
                    if r.is_err() { failed = true; break; }
                    sent += 1;
                    let chaos_drop = {
                        let mut i = s.inner.lock().unwrap();
                        let d = i.chaos(0.02);
                        if d {
                            i.served("fault dropped ws");
                        }
                        d
                    };
                    if chaos_drop || drop_after.is_some_and(|n| sent >= n) {
                        let _ = socket.flush().await;
                        failed = true;
                        break;
                    }
                    match rx.try_recv() {
                        Ok(next) if !sent.is_multiple_of(64) => out = next,
                        Ok(next) => {
                            if socket.flush().await.is_err() { failed = true; break; }
                            out = next;
                        }
                        Err(_) => break,
                    }
                }
                if failed || socket.flush().await.is_err() { break; }
            }
            msg = socket.recv() => {
                match msg {
                    Some(Ok(Message::Text(t))) if !got_first_text => {
                        let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                        got_first_text = true;
                        if v.get("type").and_then(Value::as_str) == Some("feature_flags") {
                            let mut i = s.inner.lock().unwrap();
                            let wants = v.pointer("/data/supports_preview_metadata").and_then(Value::as_bool) == Some(true);
                            if let Some(sock) = i.sockets.get_mut(&sid).filter(|x| x.conn_id == conn_id) {
                                sock.preview_metadata = wants;
                                let _ = sock.tx.send(WsOut::Text(json!({"type": "feature_flags", "data": server_features(s.version)}).to_string()));
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        let _ = socket.send(Message::Close(None)).await;
                        break;
                    }
                    Some(Ok(_)) => {}
                }
            }
        }
    }
    // Like the real server: pop the sid unconditionally, even if a newer socket took it over.
    s.inner.lock().unwrap().sockets.remove(&sid);
}

fn server_features(v: Version) -> Value {
    match v {
        Version::V0_26 => serde_json::from_slice(FEATURES_NEW).unwrap(),
        Version::V0_3_64 => {
            json!({"supports_preview_metadata": true, "max_upload_size": 104857600})
        }
    }
}

// ---------------------------------------------------------------- validation

fn is_uuid_lower(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

fn err(kind: &str, message: &str, details: &str, extra: Value) -> Value {
    json!({"type": kind, "message": message, "details": details, "extra_info": extra})
}

fn python_list(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Returns Ok((outputs to run, node_errors)) or Err(400 body).
fn validate(
    s: &Shared,
    inner: &Inner,
    prompt: &Map<String, Value>,
) -> Result<(Vec<String>, Map<String, Value>), Value> {
    let info = s.object_info.as_object().unwrap();
    for (id, node) in prompt {
        let title = node.pointer("/_meta/title").and_then(Value::as_str);
        match node.get("class_type").and_then(Value::as_str) {
            None => {
                let t = title
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("ID #{id}"));
                return Err(
                    json!({"error": err("missing_node_type", &format!("Node '{t}' has no class_type. The workflow may be corrupted or a custom node may be missing."), &format!("Node ID '#{id}'"), json!({"node_id": id, "class_type": null, "node_title": t})), "node_errors": {}}),
                );
            }
            Some(c) if !info.contains_key(c) => {
                let t = title.unwrap_or(c);
                return Err(
                    json!({"error": err("missing_node_type", &format!("Node '{t}' not found. The custom node may not be installed."), &format!("Node ID '#{id}'"), json!({"node_id": id, "class_type": c, "node_title": t})), "node_errors": {}}),
                );
            }
            _ => {}
        }
    }
    let outputs: Vec<String> = prompt
        .iter()
        .filter(|(_, n)| {
            info[n["class_type"].as_str().unwrap()]
                .get("output_node")
                .and_then(Value::as_bool)
                == Some(true)
        })
        .map(|(k, _)| k.clone())
        .collect();
    if outputs.is_empty() {
        return Err(
            json!({"error": err("prompt_no_outputs", "Prompt has no outputs", "", json!({})), "node_errors": {}}),
        );
    }
    // Per-node errors.
    let mut errors: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (id, node) in prompt {
        let class = node["class_type"].as_str().unwrap();
        let def = &info[class];
        let inputs = node
            .get("inputs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut errs = Vec::new();
        for section in ["required", "optional"] {
            let Some(spec) = def
                .pointer(&format!("/input/{section}"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for (name, cfg) in spec {
                let Some(v) = inputs.get(name) else {
                    if section == "required" {
                        errs.push(err(
                            "required_input_missing",
                            "Required input is missing",
                            name,
                            json!({"input_name": name}),
                        ));
                    }
                    continue;
                };
                if v.is_array() && v.as_array().unwrap().len() == 2 && v[0].is_string() {
                    if !prompt.contains_key(v[0].as_str().unwrap()) {
                        errs.push(err(
                            "bad_linked_input",
                            "Bad linked input, must be a length-2 list of [string, int]",
                            name,
                            json!({"input_name": name, "input_config": cfg, "received_value": v}),
                        ));
                    }
                    continue;
                }
                let kind = &cfg[0];
                let opts = cfg.get(1).cloned().unwrap_or(json!({}));
                if class == "LoadImage" && name == "image" {
                    let f = v.as_str().unwrap_or("");
                    // LoadImage checks that the file exists, subfolders included.
                    let (sub, base) = f.rsplit_once('/').unwrap_or(("", f));
                    let in_sub = !sub.is_empty()
                        && inner
                            .files
                            .contains_key(&("input".into(), sub.into(), base.into()));
                    if !in_sub && !inner.input_files.iter().any(|x| x == f) {
                        errs.push(err(
                            "custom_validation_failed",
                            "Custom validation failed for node",
                            &format!("image - Invalid image file: {f}"),
                            json!({"input_name": name}),
                        ));
                    }
                    continue;
                }
                match kind {
                    Value::String(t) if t == "INT" || t == "FLOAT" => {
                        let Some(x) = v.as_f64() else {
                            errs.push(err("invalid_input_type", &format!("Failed to convert an input value to a {t} value"), &format!("{name}, {v}"), json!({"input_name": name, "input_config": cfg, "received_value": v})));
                            continue;
                        };
                        let shown = if t == "INT" {
                            format!("{}", x as i64)
                        } else {
                            format!("{x}")
                        };
                        if let Some(min) = opts.get("min").and_then(Value::as_f64)
                            && x < min
                        {
                            errs.push(err("value_smaller_than_min", &format!("Value {shown} smaller than min of {}", opts["min"]), name, json!({"input_name": name, "input_config": cfg, "received_value": v})));
                        }
                        if let Some(max) = opts.get("max").and_then(Value::as_f64)
                            && x > max
                        {
                            errs.push(err("value_bigger_than_max", &format!("Value {shown} bigger than max of {}", opts["max"]), name, json!({"input_name": name, "input_config": cfg, "received_value": v})));
                        }
                    }
                    Value::Array(list) => {
                        let list: Vec<Value> =
                            combo_override(inner, name, &opts).unwrap_or_else(|| list.clone());
                        if !list.contains(v) {
                            let cfg_shown = if list.len() > 20 {
                                Value::Null
                            } else {
                                json!([list, opts])
                            };
                            errs.push(err("value_not_in_list", "Value not in list", &format!("{name}: '{}' not in {}", v.as_str().map(str::to_string).unwrap_or(v.to_string()), python_list(&list)), json!({"input_name": name, "input_config": cfg_shown, "received_value": v})));
                        }
                    }
                    _ => {}
                }
            }
        }
        if !errs.is_empty() {
            errors.insert(id.clone(), errs);
        }
    }
    // An output is valid when it and everything upstream is.
    fn upstream(prompt: &Map<String, Value>, id: &str, seen: &mut HashSet<String>) {
        if !seen.insert(id.to_string()) {
            return;
        }
        if let Some(inputs) = prompt
            .get(id)
            .and_then(|n| n.get("inputs"))
            .and_then(Value::as_object)
        {
            for v in inputs.values() {
                if let Some(a) = v.as_array()
                    && a.len() == 2
                    && let Some(src) = a[0].as_str()
                {
                    upstream(prompt, src, seen);
                }
            }
        }
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for o in &outputs {
        let mut seen = HashSet::new();
        upstream(prompt, o, &mut seen);
        if seen.iter().any(|n| errors.contains_key(n)) {
            bad.push(o.clone());
        } else {
            good.push(o.clone());
        }
    }
    let mut node_errors = Map::new();
    for (id, errs) in errors {
        node_errors.insert(id.clone(), json!({"errors": errs, "dependent_outputs": bad, "class_type": prompt[&id]["class_type"]}));
    }
    if good.is_empty() {
        return Err(
            json!({"error": err("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", json!({})), "node_errors": node_errors}),
        );
    }
    Ok((good, node_errors))
}

// ---------------------------------------------------------------- HTTP handlers

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

async fn post_prompt(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let mut i = s.inner.lock().unwrap();
    i.number += 1;
    let number = i.number - 1;
    let Some(prompt) = v.get("prompt").and_then(Value::as_object).cloned() else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": err("no_prompt", "No prompt provided", "No prompt provided", json!({})), "node_errors": {}}),
        );
    };
    if s.cloud.is_some() {
        let mut seen = v.clone();
        if let Some(o) = seen.as_object_mut() {
            o.remove("prompt");
        }
        i.submissions.push(seen);
        if let Some(status) = i.cloud_prompt_error.take() {
            drop(i);
            return cloud_error(status);
        }
    }
    let given = if s.cloud.is_some() {
        None // Cloud picks its own ids.
    } else {
        v.get("prompt_id")
    };
    let prompt_id = match given {
        None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
        Some(p) => {
            let p = match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if s.version == Version::V0_26 && !is_uuid_lower(&p) {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": {"type": "invalid_prompt_id", "message": "prompt_id must be a valid UUID", "details": "prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one", "extra_info": {}}, "node_errors": {}}),
                );
            }
            p
        }
    };
    // `'class_type' in node` raises on a number, bool or null node: aiohttp's bare 500.
    if prompt
        .values()
        .any(|n| n.is_number() || n.is_boolean() || n.is_null())
    {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    }
    match validate(&s, &i, &prompt) {
        Err(body) => json_response(StatusCode::BAD_REQUEST, &body),
        Ok((outputs, node_errors)) => {
            let mut extra = v
                .get("extra_data")
                .cloned()
                .filter(Value::is_object)
                .unwrap_or(json!({}));
            if let Some(obj) = extra.as_object_mut() {
                obj.remove("api_key_comfy_org");
                obj.remove("auth_token_comfy_org");
            }
            if let Some(c) = v.get("client_id") {
                extra["client_id"] = c.clone();
            }
            extra["create_time"] = json!(now_ms());
            i.served(&format!("queued {prompt_id}"));
            i.queued_log.push(prompt_id.clone());
            i.queue.push_back(QueueItem {
                number: number as f64,
                prompt_id: prompt_id.clone(),
                prompt,
                extra_data: extra,
                outputs,
            });
            broadcast_status(&i);
            server_log(&mut i, "got prompt");
            drop(i);
            s.wake.notify_one();
            json_response(
                StatusCode::OK,
                &json!({"prompt_id": prompt_id, "number": number, "node_errors": node_errors}),
            )
        }
    }
}

async fn get_prompt(State(s): State<Arc<Shared>>) -> Response {
    let i = s.inner.lock().unwrap();
    let n = i.queue.len() + usize::from(i.running.is_some());
    json_response(
        StatusCode::OK,
        &json!({"exec_info": {"queue_remaining": n}}),
    )
}

async fn get_queue(State(s): State<Arc<Shared>>) -> Response {
    let i = s.inner.lock().unwrap();
    // Cloud documents [job_number, prompt_id, workflow, output_node_ids, {create_time}].
    let item = |q: &QueueItem| {
        if s.cloud.is_some() {
            json!([q.number, q.prompt_id, q.prompt, q.outputs, {"create_time": q.extra_data.get("create_time")}])
        } else {
            q.as_json()
        }
    };
    let running: Vec<Value> = i.running.iter().map(item).collect();
    let pending: Vec<Value> = i.queue.iter().map(item).collect();
    json_response(
        StatusCode::OK,
        &json!({"queue_running": running, "queue_pending": pending}),
    )
}

async fn post_queue(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let mut i = s.inner.lock().unwrap();
    if v.get("clear").and_then(Value::as_bool) == Some(true) {
        i.queue.clear();
    }
    if let Some(ids) = v.get("delete").and_then(Value::as_array) {
        let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
        i.queue.retain(|q| !ids.contains(&q.prompt_id.as_str()));
    }
    broadcast_status(&i);
    StatusCode::OK.into_response()
}

async fn post_interrupt(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let target = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("prompt_id")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let mut i = s.inner.lock().unwrap();
    let running = i.running.as_ref().map(|r| r.prompt_id.clone());
    if running.is_some() && (target.is_none() || target == running) {
        i.interrupt = true;
    }
    StatusCode::OK.into_response()
}

async fn get_history(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let i = s.inner.lock().unwrap();
    let max = q.get("max_items").map(|m| m.parse::<usize>());
    let offset = q.get("offset").map(|m| m.parse::<usize>());
    if matches!(max, Some(Err(_))) || matches!(offset, Some(Err(_))) {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let all = &i.history;
    let slice: &[(String, Value)] = match (max.map(Result::unwrap), offset.map(Result::unwrap)) {
        (Some(m), None) => &all[all.len().saturating_sub(m)..],
        (m, Some(o)) => {
            let o = o.min(all.len());
            let end = m.map(|m| (o + m).min(all.len())).unwrap_or(all.len());
            &all[o..end]
        }
        (None, None) => &all[..],
    };
    let map: Map<String, Value> = slice.iter().cloned().collect();
    json_response(StatusCode::OK, &Value::Object(map))
}

async fn post_history(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let mut i = s.inner.lock().unwrap();
    if v.get("clear").and_then(Value::as_bool) == Some(true) {
        i.history.clear();
    }
    if let Some(ids) = v.get("delete").and_then(Value::as_array) {
        let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
        i.history.retain(|(k, _)| !ids.contains(&k.as_str()));
    }
    StatusCode::OK.into_response()
}

async fn get_history_one(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let i = s.inner.lock().unwrap();
    let v = match i.history.iter().find(|(k, _)| *k == id) {
        Some((k, e)) => json!({ k: e }),
        None => json!({}),
    };
    json_response(StatusCode::OK, &v)
}

fn content_type(name: &str) -> &'static str {
    match name
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "flac" => "audio/flac",
        "wav" => "audio/x-wav",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

async fn get_view(
    State(s): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(c) = &s.cloud {
        // A signed URL on another host (docs/protocol.md, "Comfy Cloud"); the key must not follow.
        let Some(first) = c.redirects.first() else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut u = url::Url::parse(&format!("{}/signed", s.storage_url.get().unwrap())).unwrap();
        {
            let mut qp = u.query_pairs_mut();
            for (k, v) in &q {
                qp.append_pair(k, v);
            }
            let rest: Vec<String> = c.redirects[1..].iter().map(u16::to_string).collect();
            qp.append_pair("hops", &rest.join(","));
            qp.append_pair("sig", "deadbeef");
        }
        return Response::builder()
            .status(StatusCode::from_u16(*first).unwrap())
            .header(header::LOCATION, u.as_str())
            .body(Body::empty())
            .unwrap();
    }
    let range = headers.get(header::RANGE).and_then(|r| r.to_str().ok());
    view_file(s, q, range).await
}

/// A `Range: bytes=a-b | a- | -n` header against a file of `len` bytes, as aiohttp's
/// FileResponse reads it: `Some(Err(()))` when it cannot be satisfied.
fn byte_range(range: Option<&str>, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = range?.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        (a, "") => (a.parse().ok()?, len.saturating_sub(1)),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.min(len.saturating_sub(1)),
        ),
    };
    if start >= len || start > end {
        return Some(Err(()));
    }
    Some(Ok((start, end)))
}

async fn view_file(s: Arc<Shared>, q: HashMap<String, String>, range: Option<&str>) -> Response {
    let Some(filename) = q.get("filename") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (filename, file_type) = match filename.rsplit_once(' ') {
        Some((f, t @ ("[output]" | "[input]" | "[temp]"))) => {
            (f.to_string(), t.trim_matches(['[', ']']).to_string())
        }
        _ => (
            filename.clone(),
            q.get("type").cloned().unwrap_or_else(|| "output".into()),
        ),
    };
    if filename.is_empty() || filename.starts_with('/') || filename.contains("..") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    if !["output", "input", "temp"].contains(&file_type.as_str()) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let subfolder = q.get("subfolder").cloned().unwrap_or_default();
    let mut depth: i32 = 0;
    for c in subfolder.split('/') {
        match c {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 || subfolder.starts_with('/') {
            return StatusCode::FORBIDDEN.into_response();
        }
    }
    let base = filename.rsplit('/').next().unwrap().to_string();
    let (data, truncate, stall, delay) = {
        let mut i = s.inner.lock().unwrap();
        let Some(d) = i
            .files
            .get(&(
                file_type.clone(),
                subfolder.trim_matches('/').to_string(),
                base.clone(),
            ))
            .cloned()
        else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let truncate = if i.faults.view_truncate > 0 {
            i.faults.view_truncate -= 1;
            true
        } else if i.chaos(1.0) {
            i.served("fault truncated view");
            true
        } else {
            false
        };
        (d, truncate, i.faults.view_stall, i.faults.view_chunk_delay)
    };
    let len = match &data {
        FileData::Bytes(b) => b.len() as u64,
        FileData::Synthetic(n) => *n,
    };
    // FileResponse serves ranges (the v2 proxy forwards `Range`; docs/protocol.md, "Outputs").
    if let (FileData::Bytes(b), Some(r)) = (&data, byte_range(range, len)) {
        let Ok((start, end)) = r else {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .body(Body::empty())
                .unwrap();
        };
        return Response::builder()
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_TYPE, content_type(&base))
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::CONTENT_DISPOSITION, format!("filename=\"{base}\""))
            .body(Body::from(b[start as usize..=end as usize].to_vec()))
            .unwrap();
    }
    let limit = if truncate { len / 2 } else { len };
    let stream = async_stream_body(data, limit, truncate, stall, delay);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type(&base))
        .header(header::CONTENT_LENGTH, len)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_DISPOSITION, format!("filename=\"{base}\""))
        .body(Body::from_stream(stream))
        .unwrap()
}

fn async_stream_body(
    data: FileData,
    limit: u64,
    truncate: bool,
    stall: bool,
    delay: Option<Duration>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    const CHUNK: u64 = 64 * 1024;
    futures_util::stream::unfold((0u64, false), move |(pos, done)| {
        let data = data.clone();
        async move {
            if done {
                return None;
            }
            if pos >= limit {
                if truncate {
                    // Let the bytes so far reach the client before cutting the connection.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return Some((Err(std::io::Error::other("connection cut")), (pos, true)));
                }
                return None;
            }
            if stall && pos > 0 {
                std::future::pending::<()>().await;
            }
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let n = CHUNK.min(limit - pos);
            let chunk = match &data {
                FileData::Bytes(b) => Bytes::copy_from_slice(&b[pos as usize..(pos + n) as usize]),
                FileData::Synthetic(_) => Bytes::from(vec![(pos / CHUNK) as u8; n as usize]),
            };
            Some((Ok(chunk), (pos + n, false)))
        }
    })
}

async fn post_upload(State(s): State<Arc<Shared>>, mp: Multipart) -> Response {
    upload(s, mp, false).await
}

async fn post_upload_mask(State(s): State<Arc<Shared>>, mp: Multipart) -> Response {
    upload(s, mp, true).await
}

/// `/upload/image` and `/upload/mask` (docs/protocol.md, "Uploads"), including their quirks: an unknown
/// `type` is a 500, identical content reuses the name, a mask without `original_ref` is a 500
/// and a mask whose original is missing answers 200 without writing anything.
async fn upload(s: Arc<Shared>, mut mp: Multipart, mask: bool) -> Response {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut file_type = "input".to_string();
    let mut subfolder = String::new();
    let mut overwrite = false;
    let mut original_ref: Option<String> = None;
    while let Ok(Some(field)) = mp.next_field().await {
        match field.name().unwrap_or("") {
            "image" => {
                let name = field.file_name().unwrap_or("").to_string();
                let data = field.bytes().await.unwrap_or_default().to_vec();
                file = Some((name, data));
            }
            "type" => file_type = field.text().await.unwrap_or_default(),
            "subfolder" => subfolder = field.text().await.unwrap_or_default(),
            "overwrite" => {
                overwrite = matches!(
                    field.text().await.unwrap_or_default().as_str(),
                    "true" | "1"
                )
            }
            "original_ref" => original_ref = Some(field.text().await.unwrap_or_default()),
            _ => {}
        }
    }
    let Some((mut name, data)) = file.filter(|(n, _)| !n.is_empty()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if !["input", "temp", "output"].contains(&file_type.as_str()) {
        return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
    }
    if subfolder.contains("..") || subfolder.starts_with('/') {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let mut i = s.inner.lock().unwrap();
    i.requests.push(format!(
        "UPLOAD {} {name} overwrite={overwrite}",
        if mask { "mask" } else { "image" }
    ));
    let original_exists = if mask {
        let Some(orig) = original_ref.and_then(|r| serde_json::from_str::<Value>(&r).ok()) else {
            return plain_error(StatusCode::INTERNAL_SERVER_ERROR);
        };
        let key = (
            orig["type"].as_str().unwrap_or("output").to_string(),
            orig["subfolder"].as_str().unwrap_or("").to_string(),
            orig["filename"].as_str().unwrap_or("").to_string(),
        );
        i.files.contains_key(&key)
    } else {
        true
    };
    let key = |n: &str| (file_type.clone(), subfolder.clone(), n.to_string());
    if !overwrite {
        let (stem, ext) = name
            .rsplit_once('.')
            .map(|(a, b)| (a.to_string(), format!(".{b}")))
            .unwrap_or((name.clone(), String::new()));
        let mut n = 1;
        while let Some(FileData::Bytes(existing)) = i.files.get(&key(&name)) {
            if existing.as_slice() == data.as_slice() {
                break;
            }
            name = format!("{stem} ({n}){ext}");
            n += 1;
        }
    }
    if original_exists {
        if file_type == "input" && subfolder.is_empty() && !i.input_files.contains(&name) {
            i.input_files.push(name.clone());
        }
        i.files.insert(key(&name), FileData::Bytes(Arc::new(data)));
    }
    json_response(
        StatusCode::OK,
        &json!({"name": name, "subfolder": subfolder, "type": file_type}),
    )
}

/// The folder a model-list input reads, as ComfyUI's loaders do.
fn model_folder(input: &str) -> Option<&'static str> {
    Some(match input {
        "ckpt_name" => "checkpoints",
        "lora_name" => "loras",
        "unet_name" => "diffusion_models",
        "clip_name" | "clip_name1" | "clip_name2" | "clip_name3" => "text_encoders",
        "control_net_name" => "controlnet",
        _ => return None,
    })
}

/// Lists the real server computes live: models on disk and files in the input folder.
fn combo_override(inner: &Inner, input: &str, opts: &Value) -> Option<Vec<Value>> {
    if opts.get("image_upload") == Some(&Value::Bool(true)) && opts.get("image_folder").is_none() {
        let mut files = inner.input_files.clone();
        files.sort();
        return Some(files.into_iter().map(Value::from).collect());
    }
    let folder = model_folder(input)?;
    Some(
        inner
            .models
            .get(folder)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(Value::from)
            .collect(),
    )
}

fn live_object_info(s: &Shared) -> Value {
    let inner = s.inner.lock().unwrap();
    let mut info = s.object_info.clone();
    for def in info.as_object_mut().unwrap().values_mut() {
        for section in ["required", "optional"] {
            let Some(spec) = def
                .pointer_mut(&format!("/input/{section}"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for (name, cfg) in spec.iter_mut() {
                if !cfg.get(0).is_some_and(Value::is_array) {
                    continue;
                }
                let opts = cfg.get(1).cloned().unwrap_or(json!({}));
                if let Some(list) = combo_override(&inner, name, &opts) {
                    cfg[0] = Value::Array(list);
                }
            }
        }
    }
    info
}

async fn get_object_info(State(s): State<Arc<Shared>>) -> Response {
    if s.cloud.as_ref().is_some_and(|c| c.free_tier) {
        return cloud_error(403);
    }
    json_response(StatusCode::OK, &live_object_info(&s))
}

async fn get_object_info_one(State(s): State<Arc<Shared>>, Path(cls): Path<String>) -> Response {
    let v = match live_object_info(&s).get(&cls) {
        Some(info) => json!({ cls: info }),
        None => json!({}),
    };
    json_response(StatusCode::OK, &v)
}

async fn get_system_stats(State(s): State<Arc<Shared>>) -> Response {
    let raw = match s.version {
        Version::V0_26 => SYSTEM_STATS_NEW,
        Version::V0_3_64 => SYSTEM_STATS_OLD,
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        raw,
    )
        .into_response()
}

async fn get_features(State(s): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &server_features(s.version))
}

async fn get_models() -> Response {
    json_response(
        StatusCode::OK,
        &json!([
            "checkpoints",
            "loras",
            "vae",
            "text_encoders",
            "diffusion_models",
            "upscale_models",
            "embeddings"
        ]),
    )
}

async fn get_models_folder(State(s): State<Arc<Shared>>, Path(folder): Path<String>) -> Response {
    match folder.as_str() {
        "checkpoints" | "loras" | "vae" | "text_encoders" | "diffusion_models"
        | "upscale_models" | "embeddings" | "controlnet" => {
            let list = s
                .inner
                .lock()
                .unwrap()
                .models
                .get(&folder)
                .cloned()
                .unwrap_or_default();
            json_response(StatusCode::OK, &json!(list))
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

// ---------------------------------------------------------------- execution

fn topo_order(prompt: &Map<String, Value>, outputs: &[String]) -> Vec<String> {
    fn visit(
        prompt: &Map<String, Value>,
        id: &str,
        seen: &mut HashSet<String>,
        out: &mut Vec<String>,
    ) {
        if !seen.insert(id.to_string()) {
            return;
        }
        if let Some(inputs) = prompt
            .get(id)
            .and_then(|n| n.get("inputs"))
            .and_then(Value::as_object)
        {
            for v in inputs.values() {
                if let Some(a) = v.as_array()
                    && a.len() == 2
                    && let Some(src) = a[0].as_str()
                    && prompt.contains_key(src)
                {
                    visit(prompt, src, seen, out);
                }
            }
        }
        out.push(id.to_string());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for o in outputs {
        visit(prompt, o, &mut seen, &mut out);
    }
    out
}

fn signature(prompt: &Map<String, Value>, id: &str, memo: &mut HashMap<String, String>) -> String {
    if let Some(s) = memo.get(id) {
        return s.clone();
    }
    let node = &prompt[id];
    let mut parts = vec![node["class_type"].to_string()];
    if let Some(inputs) = node.get("inputs").and_then(Value::as_object) {
        let mut keys: Vec<&String> = inputs.keys().collect();
        keys.sort();
        for k in keys {
            let v = &inputs[k];
            let shown = match v.as_array() {
                Some(a)
                    if a.len() == 2 && a[0].as_str().is_some_and(|s| prompt.contains_key(s)) =>
                {
                    format!(
                        "<{}:{}>",
                        signature(prompt, a[0].as_str().unwrap(), memo),
                        a[1]
                    )
                }
                _ => v.to_string(),
            };
            parts.push(format!("{k}={shown}"));
        }
    }
    let s = parts.join(";");
    memo.insert(id.to_string(), s.clone());
    s
}

async fn worker(s: Arc<Shared>) {
    loop {
        let item = loop {
            {
                let mut i = s.inner.lock().unwrap();
                // Lowest number first (the real queue is a heap on number).
                if !i.queue.is_empty() {
                    let idx = (0..i.queue.len())
                        .min_by(|a, b| i.queue[*a].number.partial_cmp(&i.queue[*b].number).unwrap())
                        .unwrap();
                    let item = i.queue.remove(idx).unwrap();
                    break item;
                }
            }
            s.wake.notified().await;
        };
        execute(&s, item).await;
    }
}

fn emit(s: &Shared, sid: Option<&str>, kind: &str, data: Value) {
    let i = s.inner.lock().unwrap();
    send_to(&i, sid, &json!({"type": kind, "data": data}));
}

/// Sends each message `n` times, serialised once (the firehose benchmark).
fn send_burst(s: &Shared, sid: Option<&str>, n: usize, datas: &[Value]) {
    let texts: Vec<String> = datas
        .iter()
        .zip(["progress_state", "progress"])
        .map(|(d, kind)| json!({"type": kind, "data": d}).to_string())
        .collect();
    let i = s.inner.lock().unwrap();
    let Some(sock) = sid.and_then(|sid| i.sockets.get(sid)) else {
        return;
    };
    for _ in 0..n {
        for t in &texts {
            let _ = sock.tx.send(WsOut::Text(t.clone()));
        }
    }
}

fn p_for_burst(pid: &str, node: &str, step: u64, steps: u64) -> Value {
    json!({"value": step, "max": steps, "prompt_id": pid, "node": node})
}

fn emit_binary(s: &Shared, sid: Option<&str>, prompt_id: &str, node: &str) {
    let i = s.inner.lock().unwrap();
    let sid = if i.cloud { None } else { sid };
    let targets: Vec<&Socket> = match sid {
        Some(sid) => i.sockets.get(sid).into_iter().collect(),
        None => i.sockets.values().collect(),
    };
    for sock in targets {
        let frame = if sock.preview_metadata && !i.faults.type1_previews {
            let meta = json!({"node_id": node, "prompt_id": prompt_id, "display_node_id": node, "parent_node_id": null, "real_node_id": node, "image_type": "image/jpeg"}).to_string();
            let jpeg = &FRAME_TYPE1[8..];
            let mut f = Vec::with_capacity(8 + meta.len() + jpeg.len());
            f.extend_from_slice(&4u32.to_be_bytes());
            f.extend_from_slice(&(meta.len() as u32).to_be_bytes());
            f.extend_from_slice(meta.as_bytes());
            f.extend_from_slice(jpeg);
            f
        } else {
            FRAME_TYPE1.to_vec()
        };
        let _ = sock.tx.send(WsOut::Binary(frame));
    }
}

fn progress_state(prompt_id: &str, states: &BTreeMap<String, (f64, f64, &'static str)>) -> Value {
    let nodes: Map<String, Value> = states
        .iter()
        .map(|(id, (v, m, st))| {
            (id.clone(), json!({"value": v, "max": m, "state": st, "node_id": id, "prompt_id": prompt_id, "display_node_id": id, "parent_node_id": null, "real_node_id": id}))
        })
        .collect();
    json!({"prompt_id": prompt_id, "nodes": nodes})
}

fn produce_outputs(
    s: &Shared,
    prompt: &Map<String, Value>,
    class: &str,
    inputs: &Map<String, Value>,
) -> Option<Value> {
    let mut i = s.inner.lock().unwrap();
    let data = match i.faults.output_size {
        Some(n) => FileData::Synthetic(n),
        None => FileData::Bytes(Arc::new(OUTPUT_PNG.to_vec())),
    };
    let (file_type, prefix) = match class {
        "SaveImage" | "SaveAnimatedWEBP" | "SaveAnimatedPNG" => (
            "output",
            inputs
                .get("filename_prefix")
                .and_then(Value::as_str)
                .unwrap_or("ComfyUI")
                .to_string(),
        ),
        "PreviewImage" | "MaskPreview" => ("temp", "ComfyUI_temp_fakes".to_string()),
        // PreviewAny shows its input as text (`{"text": [str]}`, docs/protocol.md, "History").
        "PreviewAny" => {
            let shown = match inputs.get("source") {
                Some(Value::Array(link)) => {
                    let src = link[0].as_str().unwrap_or("?");
                    let class = prompt
                        .get(src)
                        .and_then(|n| n["class_type"].as_str())
                        .unwrap_or("?");
                    format!("preview of {class} #{src}")
                }
                Some(v) => v.to_string(),
                None => String::new(),
            };
            return Some(json!({"text": [shown]}));
        }
        _ => return None,
    };
    let (subfolder, stem) = match prefix.rsplit_once('/') {
        Some((d, f)) => (d.to_string(), f.to_string()),
        None => (String::new(), prefix),
    };
    let counter = i
        .counters
        .entry((subfolder.clone(), stem.clone()))
        .or_insert(0);
    *counter += 1;
    let ext = if class == "SaveAnimatedWEBP" {
        "webp"
    } else {
        "png"
    };
    let filename = format!("{stem}_{:05}_.{ext}", *counter);
    let data = if i.faults.chaos.is_some() {
        // Bytes unique to this file (after IEND, which PNG readers ignore), so a mix-up between
        // jobs or servers shows in a checksum.
        let mut b = OUTPUT_PNG.to_vec();
        b.extend_from_slice(
            format!("{file_type}/{subfolder}/{filename}@{:x}", i.server_nonce).as_bytes(),
        );
        FileData::Bytes(Arc::new(b))
    } else {
        data
    };
    if let FileData::Bytes(b) = &data {
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(b.as_slice())
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        i.served(&format!("output {hex} {file_type}/{subfolder}/{filename}"));
    }
    i.files.insert(
        (file_type.into(), subfolder.clone(), filename.clone()),
        data,
    );
    let mut images = vec![json!({"filename": filename, "subfolder": subfolder, "type": file_type})];
    images.extend(i.faults.extra_outputs.iter().cloned());
    let mut ui = json!({"images": images});
    if class == "SaveAnimatedWEBP" {
        ui["animated"] = json!([true]);
    }
    Some(ui)
}

/// The `execution_interrupted` ending for node `id`.
fn interrupted_at(pid: &str, id: &str, class: &str, executed: &[String]) -> (&'static str, Value) {
    let d = json!({"prompt_id": pid, "node_id": id, "node_type": class, "executed": executed, "timestamp": now_ms()});
    ("execution_interrupted", d)
}

async fn execute(s: &Arc<Shared>, item: QueueItem) {
    let pid = item.prompt_id.clone();
    let sid = item
        .extra_data
        .get("client_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let sid = sid.as_deref();
    let prompt = item.prompt.clone();
    let outputs = item.outputs.clone();
    let (lose, blocked, legacy, history_delay, generation) = {
        let mut i = s.inner.lock().unwrap();
        i.running = Some(item);
        i.interrupt = false;
        broadcast_status(&i);
        let lose = std::mem::take(&mut i.faults.lose_job);
        (
            lose,
            i.faults.execution_blocked,
            i.faults.legacy_messages,
            i.faults.history_delay,
            i.generation,
        )
    };
    let mut messages: Vec<Value> = Vec::new();
    let start = json!({"prompt_id": pid, "timestamp": now_ms()});
    emit(s, sid, "execution_start", start.clone());
    messages.push(json!(["execution_start", start]));
    if s.cloud.as_ref().is_some_and(|c| c.other_jobs) {
        // The account's other job, on the same broadcast socket (docs/protocol.md, "Comfy Cloud").
        let other = uuid::Uuid::new_v4().to_string();
        emit(
            s,
            None,
            "notification",
            json!({"value": "Executing workflow..."}),
        );
        emit(
            s,
            None,
            "execution_start",
            json!({"prompt_id": other, "timestamp": now_ms()}),
        );
        emit(
            s,
            None,
            "executing",
            json!({"node": "3", "display_node": "3", "prompt_id": other}),
        );
        emit(
            s,
            None,
            "progress",
            json!({"value": 1, "max": 2, "prompt_id": other, "node": "3"}),
        );
        emit(
            s,
            None,
            "executed",
            json!({"node": "9", "display_node": "9", "prompt_id": other,
            "output": {"images": [{"filename": "other_00001_.png", "subfolder": "", "type": "output"}]}}),
        );
        emit(
            s,
            None,
            "execution_error",
            json!({"prompt_id": other, "node_id": "3", "node_type": "KSampler",
            "executed": [], "exception_message": "someone else's job failed", "exception_type": "OOMError",
            "traceback": [], "current_inputs": {}, "current_outputs": {}, "timestamp": now_ms()}),
        );
    }
    let order = topo_order(&prompt, &outputs);
    let mut memo = HashMap::new();
    let sigs: HashMap<String, String> = order
        .iter()
        .map(|id| (id.clone(), signature(&prompt, id, &mut memo)))
        .collect();
    let cached: Vec<String> = {
        let i = s.inner.lock().unwrap();
        order
            .iter()
            .filter(|id| i.cache.contains_key(&sigs[*id]))
            .cloned()
            .collect()
    };
    let c = json!({"nodes": cached, "prompt_id": pid, "timestamp": now_ms()});
    emit(s, sid, "execution_cached", c.clone());
    messages.push(json!(["execution_cached", c]));
    if blocked {
        emit(
            s,
            sid,
            "execution_error",
            json!({"prompt_id": pid, "node_id": order[0], "node_type": prompt[&order[0]]["class_type"], "executed": [], "exception_message": "Execution Blocked: blocked by a test", "exception_type": "ExecutionBlocked", "traceback": [], "current_inputs": [], "current_outputs": []}),
        );
    }
    let mut history_outputs = Map::new();
    let mut meta = Map::new();
    let mut states: BTreeMap<String, (f64, f64, &'static str)> = BTreeMap::new();
    let mut executed: Vec<String> = Vec::new();
    let mut ending: Option<(&str, Value)> = None;
    for (n, id) in order.iter().enumerate() {
        let class = prompt[id]["class_type"].as_str().unwrap().to_string();
        if cached.contains(id) {
            let ui = s
                .inner
                .lock()
                .unwrap()
                .cache
                .get(&sigs[id])
                .cloned()
                .flatten();
            if let Some(ui) = ui {
                history_outputs.insert(id.clone(), ui);
                meta.insert(id.clone(), json!({"node_id": id, "display_node": id, "parent_node": null, "real_node_id": id}));
            }
            continue;
        }
        if s.inner.lock().unwrap().interrupt {
            ending = Some(interrupted_at(&pid, id, &class, &executed));
            break;
        }
        states.insert(id.clone(), (0.0, 1.0, "running"));
        emit(s, sid, "progress_state", progress_state(&pid, &states));
        s.inner.lock().unwrap().running_node = Some(id.clone());
        emit(
            s,
            sid,
            "executing",
            json!({"node": id, "display_node": id, "prompt_id": pid}),
        );
        if lose && n >= 1 {
            // "Restart": everything in memory is gone and every socket drops.
            let mut i = s.inner.lock().unwrap();
            i.history.clear();
            i.queue.clear();
            i.running = None;
            i.running_node = None;
            i.sockets.clear();
            return;
        }
        let inputs = prompt[id]["inputs"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let steps = inputs
            .get("steps")
            .and_then(Value::as_u64)
            .filter(|_| class.starts_with("KSampler") || class.starts_with("SamplerCustom"));
        let mut interrupted = false;
        if let Some(steps) = steps {
            for step in 1..=steps {
                pause(s.step_delay).await;
                let outage = {
                    let mut i = s.inner.lock().unwrap();
                    if i.generation != generation {
                        // Restarted under us: this process is gone, so is the job.
                        return;
                    }
                    match i.faults.outage_at_step {
                        Some((at, o)) if at == step => {
                            i.faults.outage_at_step = None;
                            Some(o)
                        }
                        _ => None,
                    }
                };
                if let Some(o) = outage {
                    go_down(s, o);
                    if o.restart {
                        return;
                    }
                }
                if s.inner.lock().unwrap().interrupt {
                    interrupted = true;
                    break;
                }
                states.insert(id.clone(), (step as f64, steps as f64, "running"));
                emit(s, sid, "progress_state", progress_state(&pid, &states));
                let negotiated = sid.is_some_and(|sid| {
                    s.inner
                        .lock()
                        .unwrap()
                        .sockets
                        .get(sid)
                        .is_some_and(|x| x.preview_metadata)
                });
                if negotiated {
                    emit_binary(s, sid, &pid, id);
                }
                let p = if legacy {
                    json!({"value": step, "max": steps})
                } else {
                    json!({"value": step, "max": steps, "prompt_id": pid, "node": id})
                };
                emit(s, if legacy { None } else { sid }, "progress", p);
                if !negotiated {
                    emit_binary(s, sid, &pid, id);
                }
                let (burst, previews) = {
                    let i = s.inner.lock().unwrap();
                    (i.faults.progress_burst, i.faults.preview_burst)
                };
                if burst + previews > 0 {
                    send_burst(
                        s,
                        sid,
                        burst,
                        &[
                            progress_state(&pid, &states),
                            p_for_burst(&pid, id, step, steps),
                        ],
                    );
                    for _ in 0..previews {
                        emit_binary(s, sid, &pid, id);
                    }
                    tokio::task::yield_now().await;
                }
            }
        } else {
            pause(s.step_delay).await;
        }
        if interrupted || s.inner.lock().unwrap().interrupt {
            ending = Some(interrupted_at(&pid, id, &class, &executed));
            break;
        }
        let fail_class = s.inner.lock().unwrap().faults.fail_class.clone();
        let scale_fail = class == "ImageScaleBy"
            && inputs
                .get("scale_by")
                .and_then(Value::as_f64)
                .is_some_and(|x| x < 0.05);
        if fail_class.as_deref() == Some(class.as_str()) || scale_fail {
            let d = json!({"prompt_id": pid, "node_id": id, "node_type": class, "executed": executed,
                "exception_message": "Input and output sizes should be greater than 0, but got input (H: 24, W: 32) output (H: 0, W: 0)\n",
                "exception_type": "RuntimeError",
                "traceback": ["  File \"<comfyui>/execution.py\", line 542, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(...)\n"],
                "current_inputs": {}, "current_outputs": executed, "timestamp": now_ms()});
            ending = Some(("execution_error", d));
            break;
        }
        if legacy {
            let i = s.inner.lock().unwrap();
            let mut f = Vec::new();
            f.extend_from_slice(&3u32.to_be_bytes());
            f.extend_from_slice(&(id.len() as u32).to_be_bytes());
            f.extend_from_slice(id.as_bytes());
            f.extend_from_slice(format!("text from {class}").as_bytes());
            for sock in i.sockets.values() {
                let _ = sock.tx.send(WsOut::Binary(f.clone()));
            }
        }
        let ui = produce_outputs(s, &prompt, &class, &inputs);
        if let Some(ui) = &ui {
            emit(
                s,
                sid,
                "executed",
                json!({"node": id, "display_node": id, "output": ui, "prompt_id": pid}),
            );
            history_outputs.insert(id.clone(), ui.clone());
            meta.insert(
                id.clone(),
                json!({"node_id": id, "display_node": id, "parent_node": null, "real_node_id": id}),
            );
        }
        s.inner.lock().unwrap().cache.insert(sigs[id].clone(), ui);
        states.insert(id.clone(), (1.0, 1.0, "finished"));
        emit(s, sid, "progress_state", progress_state(&pid, &states));
        executed.push(id.clone());
    }
    // ComfyUI's default cache keeps only the nodes of the prompt that just ran
    // (`clean_unused` after each prompt): another workflow in between evicts them.
    {
        let keep: HashSet<&String> = sigs.values().collect();
        s.inner
            .lock()
            .unwrap()
            .cache
            .retain(|k, _| keep.contains(k));
    }
    // Cached output nodes announce their cached UI (docs/protocol.md, "Execution").
    for id in &cached {
        if let Some(ui) = history_outputs.get(id) {
            emit(
                s,
                sid,
                "executed",
                json!({"node": id, "display_node": id, "output": ui, "prompt_id": pid}),
            );
        }
    }
    let (status_str, end_kind, end_data) = match ending {
        Some((k, d)) => ("error", k, d),
        None => (
            "success",
            "execution_success",
            json!({"prompt_id": pid, "timestamp": now_ms()}),
        ),
    };
    // execution_interrupted is broadcast; the others go to the client only.
    emit(
        s,
        if end_kind == "execution_interrupted" {
            None
        } else {
            sid
        },
        end_kind,
        end_data.clone(),
    );
    messages.push(json!([end_kind, end_data]));
    if s.cloud.is_some() {
        let i = s.inner.lock().unwrap();
        let storage = s.storage_url.get().cloned().unwrap_or_default();
        match end_kind {
            "execution_success" => {
                let outs: Vec<Value> = history_outputs
                    .iter()
                    .flat_map(|(_, o)| o["images"].as_array().cloned().unwrap_or_default())
                    .enumerate()
                    .map(|(n, f)| json!({"id": format!("out_{n}"), "type": "image",
                        "download_url": format!("{storage}/signed?filename={}&subfolder={}&type=output&hops=&sig=deadbeef",
                            f["filename"].as_str().unwrap_or(""), f["subfolder"].as_str().unwrap_or(""))}))
                    .collect();
                dev_event(
                    &i,
                    "job.completed",
                    json!({"id": pid, "status": "completed", "outputs": outs}),
                );
            }
            "execution_error" => dev_event(
                &i,
                "job.failed",
                json!({"id": pid, "status": "failed", "error": end_data["exception_message"]}),
            ),
            _ => dev_event(
                &i,
                "job.cancelled",
                json!({"id": pid, "status": "cancelled"}),
            ),
        }
    }
    let item = {
        let mut i = s.inner.lock().unwrap();
        i.running_node = None;
        i.running.take()
    };
    let Some(item) = item else { return };
    let entry = json!({
        "prompt": item.as_json(),
        "outputs": history_outputs,
        "status": {"status_str": status_str, "completed": status_str == "success", "messages": messages},
        "meta": meta,
    });
    {
        let mut i = s.inner.lock().unwrap();
        if status_str == "success" {
            server_log(&mut i, "Prompt executed in 0.05 seconds");
        } else {
            server_log(&mut i, "!!! Exception during processing !!!");
        }
    }
    let write = {
        let s = s.clone();
        let pid = pid.clone();
        move || {
            let mut i = s.inner.lock().unwrap();
            if i.generation != generation {
                return;
            }
            i.history.retain(|(k, _)| *k != pid);
            i.history.push((pid, entry));
        }
    };
    match history_delay {
        Some(d) => {
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                write();
            });
        }
        None => write(),
    }
    {
        let i = s.inner.lock().unwrap();
        broadcast_status(&i);
        send_to(
            &i,
            sid,
            &json!({"type": "executing", "data": {"node": null, "prompt_id": pid}}),
        );
    }
}

/// The step delay; zero means instant (a zero-length tokio sleep still waits for the next 1 ms
/// timer tick, which would cap an "instant" server near 100 jobs/s).
async fn pause(d: Duration) {
    if d.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(d).await;
    }
}
