//! A fake Comfy API v2 server that imitates comfy-api-proxy 0.1.6 (tests/fixtures/comfy-api-v2)
//! and, like it, sits in front of a ComfyUI — the fake one — talking to it over real sockets:
//! `POST /prompt` with the job id as prompt id and client id, `/history/{id}` then `/queue` for
//! every status lookup, a WebSocket per event stream (clientId = job id), `/upload/image`,
//! `/view` with `Range`, and ComfyUI 0.26.0's `POST /api/jobs/{id}/cancel`.
//!
//! Being a separate service, the real proxy's races come out of the same causes: a stream whose
//! WebSocket connects after a fast job ended stays silent until its keepalive re-check, a newer
//! stream of the same job takes the WebSocket (ComfyUI keeps one socket per client id), a queued
//! job cancelled in ComfyUI leaves no history and reads as `expired`. The races that hang on
//! microseconds in the real server are scriptable ([`V2Faults`]) so tests are deterministic.
//! Behaviour that is simply how the proxy answers is always on: outputs with `size_bytes: 0`
//! and `hash: null`, the placeholder `progress` when polling, 502 `upstream_error` for an
//! unsatisfiable `Range`, plain-text 404/405, and a `HEAD …/content` that sends the body after
//! the headers (when it is the first request on its connection: hyper serves the rest of a
//! connection and drops HEAD bodies).
#![allow(dead_code)]

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How a stream's closing lookup races ComfyUI's end of job (README surprise 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Race {
    /// The job left ComfyUI's running set between the proxy's `/history` and `/queue` calls:
    /// read as unknown, reported `expired`, and no `output` frames follow.
    Expired,
    /// ComfyUI had not written its history yet: the stream closes on `status: running`
    /// (m_terminal_race.json run 1).
    Running,
}

/// Races and errors to script per test. Counters are consumed as they fire.
#[derive(Debug, Clone, Default)]
pub struct V2Faults {
    /// The closing lookup of the next streams that see ComfyUI's terminal message.
    pub end_races: VecDeque<Race>,
    /// The next this-many `GET /jobs/{id}` of a finished job answer `expired` (a poll that
    /// lands in the race window; extra/f_cancel_transient_expired.json).
    pub poll_expired: usize,
    /// Wait this long between a stream's opening snapshot and its WebSocket connect: a job
    /// that ends meanwhile leaves the stream silent until the keepalive re-check (surprise 2).
    pub ws_connect_delay: Option<Duration>,
    /// Route (`submit`, `list`, `get`, `workflow`, `cancel`, `events`, `upload`, `from-hash`,
    /// `by-hash`, `asset`, `content`, `delete`) → (count, status, code, Retry-After seconds):
    /// answer with that error envelope instead (Cloud-only codes such as `queue_full` or
    /// `insufficient_credits`, which the proxy itself never sends).
    pub reject_next: HashMap<String, (usize, u16, String, Option<u64>)>,
    /// Create the next this-many jobs, then cut the 201 answer after its headers (the answer is
    /// lost; the job exists and its Idempotency-Key is claimed).
    pub submit_answer_lost: usize,
}

/// Options for the v2 service.
#[derive(Debug, Clone)]
pub struct V2Options {
    /// `--token`: the Bearer token every `/api/v2/*` path except health wants; `None` = no auth.
    pub token: Option<String>,
    /// Port (0 = any free port).
    pub port: u16,
    /// Quiet time before a stream sends `: keepalive` and re-checks the job (15 s like the
    /// real proxy; tests shorten it).
    pub keepalive: Duration,
    /// At most one `progress`, one `preview` and one output re-check per this interval.
    pub throttle: Duration,
    /// Concurrent event streams before 429 `too_many_streams`.
    pub max_streams: usize,
    /// Scripted races and errors.
    pub faults: V2Faults,
}

impl Default for V2Options {
    fn default() -> Self {
        V2Options {
            token: None,
            port: 0,
            keepalive: Duration::from_secs(15),
            throttle: Duration::from_millis(500),
            max_streams: 8,
            faults: V2Faults::default(),
        }
    }
}

struct JobRecord {
    id: String,
    created_ms: u64,
    workflow: Value,
    metadata: Option<String>,
    priority: Option<i64>,
}

#[derive(Clone)]
struct AssetRecord {
    id: String,
    hash: String,
    size: u64,
    content_type: String,
    file_path: String,
    created_at: String,
    /// filename, subfolder, type in ComfyUI.
    comfy_ref: (String, String, String),
}

#[derive(Default)]
struct Inner {
    jobs: Vec<JobRecord>,
    keys: HashSet<String>,
    assets: HashMap<String, AssetRecord>,
    by_hash: HashMap<String, String>,
    open_streams: usize,
    faults: V2Faults,
    requests: Vec<(String, Vec<(String, String)>)>,
}

/// The running service's state; tests script faults and read the request log through it.
pub struct V2State {
    opts: V2Options,
    upstream: String,
    http: reqwest::Client,
    secret: [u8; 32],
    inner: Mutex<Inner>,
    url: std::sync::OnceLock<String>,
}

impl V2State {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.get().cloned().unwrap_or_default()
    }

    /// Changes the faults.
    pub fn faults(&self, f: impl FnOnce(&mut V2Faults)) {
        f(&mut self.inner.lock().unwrap().faults);
    }

    /// Every request so far as `METHOD /path?query`, with its headers (names lower-case).
    pub fn requests(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// How many `POST /api/v2/jobs` arrived.
    pub fn submits(&self) -> usize {
        let i = self.inner.lock().unwrap();
        i.requests
            .iter()
            .filter(|(r, _)| r == "POST /api/v2/jobs")
            .count()
    }

    /// Event streams open now.
    pub fn open_streams(&self) -> usize {
        self.inner.lock().unwrap().open_streams
    }

    /// Ids of the jobs this proxy submitted, oldest first.
    pub fn job_ids(&self) -> Vec<String> {
        let i = self.inner.lock().unwrap();
        i.jobs.iter().map(|j| j.id.clone()).collect()
    }
}

/// Binds the v2 service in front of the ComfyUI at `upstream` and spawns it on the current
/// runtime.
pub async fn start(upstream: String, opts: V2Options) -> Arc<V2State> {
    let listener = TcpListener::bind(("127.0.0.1", opts.port)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut secret = [0u8; 32];
    for (n, b) in uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .enumerate()
    {
        secret[n] = *b;
    }
    let state = Arc::new(V2State {
        inner: Mutex::new(Inner {
            faults: opts.faults.clone(),
            ..Default::default()
        }),
        opts,
        upstream,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        secret,
        url: std::sync::OnceLock::new(),
    });
    state.url.set(format!("http://{addr}")).unwrap();
    let app = Router::new().fallback(dispatch).with_state(state.clone());
    let (tx, rx) = mpsc::channel(64);
    let sniff_state = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let tx = tx.clone();
            let s = sniff_state.clone();
            tokio::spawn(async move {
                if let Some(tcp) = sniff_head_content(&s, tcp).await {
                    let _ = tx.send((tcp, peer)).await;
                }
            });
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(ChannelListener { rx, addr }, app).await;
    });
    state
}

/// Connections after sniffing, for axum.
struct ChannelListener {
    rx: mpsc::Receiver<(TcpStream, SocketAddr)>,
    addr: SocketAddr,
}

impl axum::serve::Listener for ChannelListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        match self.rx.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// aiohttp answers `HEAD` on the content route by streaming the body after the headers (README
/// surprise 7). hyper never would, so a `HEAD …/content` that opens a connection is answered
/// here by hand; the connection then goes on to hyper.
async fn sniff_head_content(s: &Arc<V2State>, mut tcp: TcpStream) -> Option<TcpStream> {
    let mut buf = vec![0u8; 16 * 1024];
    let head_len = loop {
        let n = tokio::time::timeout(Duration::from_secs(60), tcp.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        let seen = &buf[..n];
        if seen.len() >= 5 && &seen[..5] != b"HEAD " {
            return Some(tcp);
        }
        if let Some(p) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if n == buf.len() {
            return Some(tcp);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let text = String::from_utf8_lossy(&buf[..head_len]).to_string();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let path = request_line.split(' ').nth(1).unwrap_or("");
    let Some(id) = path
        .strip_prefix("/api/v2/assets/")
        .and_then(|p| p.strip_suffix("/content"))
        .filter(|id| !id.is_empty() && !id.contains('/'))
    else {
        // Another HEAD: hyper serves it.
        return Some(tcp);
    };
    let id = id.to_string();
    let mut headers = HeaderMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':')
            && let (Ok(k), Ok(v)) = (
                header::HeaderName::from_bytes(k.trim().as_bytes()),
                header::HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(k, v);
        }
    }
    let mut consumed = vec![0u8; head_len];
    tcp.read_exact(&mut consumed).await.ok()?;
    log_request(s, &format!("HEAD {path}"), &headers);
    if let Some(resp) = guard(s, &Method::HEAD, path, &headers) {
        let status = resp.status();
        let _ = tcp
            .write_all(
                format!(
                    "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 0\r\nDate: {}\r\nServer: Python/3.11 aiohttp/3.14.5\r\n\r\n",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    http_date()
                )
                .as_bytes(),
            )
            .await;
        return Some(tcp);
    }
    let Some(reference) = s.content_ref(&id) else {
        let body = error_body("not_found", "Unknown asset id.", Value::Null).to_string();
        let _ = tcp
            .write_all(
                format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nDate: {}\r\nServer: Python/3.11 aiohttp/3.14.5\r\n\r\n",
                    body.len(),
                    http_date()
                )
                .as_bytes(),
            )
            .await;
        return Some(tcp);
    };
    let resp = s
        .http
        .get(s.view_url(&reference.0, &reference.1, &reference.2))
        .send()
        .await
        .ok()?;
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let bytes = resp.bytes().await.ok()?;
    let close = headers
        .get(header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nDate: {}\r\nServer: Python/3.11 aiohttp/3.14.5\r\n{}\r\n",
        bytes.len(),
        http_date(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes();
    out.extend_from_slice(&bytes);
    tcp.write_all(&out).await.ok()?;
    // Asked to close: close; else the connection goes on, poisoned.
    (!close).then_some(tcp)
}

fn http_date() -> String {
    // Only its presence matters; the day name is not checked by anyone.
    let t = comfyctl::timefmt::utc(now_ms());
    format!("{t} GMT")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// ISO 8601 with microseconds and `+00:00`, as Python's `datetime.isoformat()` writes it.
fn iso(ms: u64) -> String {
    let base = comfyctl::timefmt::utc(ms).replace(' ', "T");
    format!("{base}.{:06}+00:00", (ms % 1000) * 1000)
}

const DAY_MS: u64 = 86_400_000;

fn error_body(code: &str, message: &str, details: Value) -> Value {
    json!({"error": {"code": code, "message": message, "details": details}})
}

fn v2_error(status: u16, code: &str, message: &str, details: Value) -> Response {
    json_response(
        StatusCode::from_u16(status).unwrap(),
        &error_body(code, message, details),
    )
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

/// aiohttp's own plain-text answers (`404: Not Found`).
fn plain(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "{}: {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
    )
        .into_response()
}

fn log_request(s: &V2State, line: &str, headers: &HeaderMap) {
    let hs = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    s.inner
        .lock()
        .unwrap()
        .requests
        .push((line.to_string(), hs));
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// The origin guard, then Bearer auth on `/api/v2/*` except health: both run before routing.
fn guard(s: &V2State, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    if h("sec-fetch-site") == Some("cross-site") {
        return Some(v2_error(
            403,
            "forbidden_origin",
            "Cross-site request blocked (Sec-Fetch-Site: cross-site).",
            Value::Null,
        ));
    }
    if let (Some(host), Some(origin)) = (h("host"), h("origin")) {
        let hu = url::Url::parse(&format!("http://{host}")).ok();
        let ou = url::Url::parse(origin).ok();
        if let (Some(hu), Some(ou)) = (hu, ou)
            && is_loopback_host(hu.host_str().unwrap_or(""))
        {
            let same_host = hu.host_str().map(str::to_ascii_lowercase)
                == ou.host_str().map(str::to_ascii_lowercase);
            // A side that names no port is compared by host name only.
            let same_port = hu.port().is_none() || ou.port().is_none() || hu.port() == ou.port();
            if !(same_host && same_port) {
                return Some(v2_error(
                    403,
                    "forbidden_origin",
                    &format!("Origin '{origin}' does not match request host '{host}'."),
                    Value::Null,
                ));
            }
        }
    }
    let token = s.opts.token.as_deref()?;
    if path == "/api/v2/health" || !path.starts_with("/api/v2/") || method == Method::OPTIONS {
        return None;
    }
    let auth = h("authorization").unwrap_or("");
    let (scheme, presented) = auth.split_once(' ').unwrap_or((auth, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || presented.is_empty() {
        return Some(v2_error(
            401,
            "unauthorized",
            "Missing or malformed Authorization header.",
            Value::Null,
        ));
    }
    if presented != token {
        return Some(v2_error(401, "unauthorized", "Invalid token.", Value::Null));
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RouteKind {
    Health,
    Submit,
    List,
    Get,
    Workflow,
    Cancel,
    Events,
    Upload,
    FromHash,
    FromPath,
    ByHash,
    Asset,
    Content,
    Delete,
}

impl RouteKind {
    fn name(self) -> &'static str {
        match self {
            RouteKind::Health => "health",
            RouteKind::Submit => "submit",
            RouteKind::List => "list",
            RouteKind::Get => "get",
            RouteKind::Workflow => "workflow",
            RouteKind::Cancel => "cancel",
            RouteKind::Events => "events",
            RouteKind::Upload => "upload",
            RouteKind::FromHash => "from-hash",
            RouteKind::FromPath => "from-path",
            RouteKind::ByHash => "by-hash",
            RouteKind::Asset => "asset",
            RouteKind::Content => "content",
            RouteKind::Delete => "delete",
        }
    }
}

/// The proxy's route table: (method, pattern, kind); `*` matches one segment. aiohttp also
/// answers HEAD on every GET route, and tries later routes when a path matches with another
/// method.
const ROUTES: &[(&str, &str, RouteKind)] = &[
    ("GET", "health", RouteKind::Health),
    ("POST", "jobs", RouteKind::Submit),
    ("GET", "jobs", RouteKind::List),
    ("GET", "jobs/*", RouteKind::Get),
    ("GET", "jobs/*/workflow", RouteKind::Workflow),
    ("POST", "jobs/*/cancel", RouteKind::Cancel),
    ("GET", "jobs/*/events", RouteKind::Events),
    ("POST", "assets", RouteKind::Upload),
    ("POST", "assets/from-hash", RouteKind::FromHash),
    ("POST", "assets/from-path", RouteKind::FromPath),
    ("HEAD", "assets/by-hash/*", RouteKind::ByHash),
    ("GET", "assets/*", RouteKind::Asset),
    ("GET", "assets/*/content", RouteKind::Content),
    ("DELETE", "assets/*", RouteKind::Delete),
];

fn matches(pattern: &str, segs: &[&str]) -> Option<Option<String>> {
    let pat: Vec<&str> = pattern.split('/').collect();
    if pat.len() != segs.len() {
        return None;
    }
    let mut id = None;
    for (p, s) in pat.iter().zip(segs) {
        if *p == "*" {
            if s.is_empty() {
                return None;
            }
            id = Some(s.to_string());
        } else if p != s {
            return None;
        }
    }
    Some(id)
}

fn route(method: &Method, path: &str) -> Result<(RouteKind, Option<String>), Box<Response>> {
    let Some(rest) = path.strip_prefix("/api/v2/") else {
        return Err(Box::new(plain(StatusCode::NOT_FOUND)));
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let mut allowed: Vec<&str> = Vec::new();
    for (m, pattern, kind) in ROUTES {
        let Some(id) = matches(pattern, &segs) else {
            continue;
        };
        let method_ok = method.as_str() == *m || (*m == "GET" && method == Method::HEAD);
        if method_ok {
            let id = id.map(|i| percent_decode(&i));
            return Ok((*kind, id));
        }
        allowed.push(m);
        if *m == "GET" {
            allowed.push("HEAD");
        }
    }
    if allowed.is_empty() {
        return Err(Box::new(plain(StatusCode::NOT_FOUND)));
    }
    allowed.sort_unstable();
    allowed.dedup();
    let mut r = plain(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut()
        .insert(header::ALLOW, allowed.join(",").parse().unwrap());
    Err(Box::new(r))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

async fn dispatch(State(s): State<Arc<V2State>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let line = format!(
        "{method} {}",
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    log_request(&s, &line, req.headers());
    if let Some(r) = guard(&s, &method, &path, req.headers()) {
        return r;
    }
    let (kind, id) = match route(&method, &path) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if let Some(r) = s.scripted_rejection(kind) {
        return r;
    }
    let base = match req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        Some(h) => format!("http://{h}"),
        None => s.url(),
    };
    let id = id.unwrap_or_default();
    let head = method == Method::HEAD;
    let resp = match kind {
        RouteKind::Health => json_response(
            StatusCode::OK,
            &json!({"status": "healthy", "upstream": s.upstream}),
        ),
        RouteKind::Submit => submit(&s, req, &base).await,
        RouteKind::List => list_jobs(&s, req.uri().query().unwrap_or(""), &base).await,
        RouteKind::Get => get_job(&s, &id, &base).await,
        RouteKind::Workflow => get_workflow(&s, &id),
        RouteKind::Cancel => cancel(&s, &id, &base).await,
        RouteKind::Events => events(&s, &id, &base).await,
        RouteKind::Upload => upload(&s, req, &base).await,
        RouteKind::FromHash => from_hash(&s, req, &base).await,
        RouteKind::FromPath => v2_error(
            422,
            "invalid_request",
            "Host-path registration requires --comfyui-base-dir (the proxy must share a filesystem with ComfyUI).",
            Value::Null,
        ),
        RouteKind::ByHash => {
            let known = s.inner.lock().unwrap().by_hash.contains_key(&id);
            let status = if known {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            status.into_response()
        }
        RouteKind::Asset => get_asset(&s, &id, &base),
        RouteKind::Content => content(&s, &id, req.headers()).await,
        RouteKind::Delete => {
            let mut i = s.inner.lock().unwrap();
            match i.assets.remove(&id) {
                Some(a) => {
                    i.by_hash.remove(&a.hash);
                    StatusCode::NO_CONTENT.into_response()
                }
                None => v2_error(404, "not_found", "Unknown asset id.", Value::Null),
            }
        }
    };
    if head {
        // aiohttp drops the body of a HEAD answer (except the content route's, see
        // sniff_head_content) but keeps its headers.
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}

/// A job's state as the proxy reads it: `/history/{id}`, then `/queue`.
struct Snapshot {
    status: &'static str,
    queue_position: Option<usize>,
    progress: Option<Value>,
    outputs: Vec<Value>,
    error: Option<Value>,
    reused: bool,
}

impl Snapshot {
    fn unknown() -> Snapshot {
        Snapshot {
            status: "unknown",
            queue_position: None,
            progress: None,
            outputs: Vec::new(),
            error: None,
            reused: false,
        }
    }

    fn terminal(&self) -> bool {
        matches!(
            self.public_status(),
            "succeeded" | "failed" | "canceled" | "expired"
        )
    }

    fn public_status(&self) -> &'static str {
        if self.status == "unknown" {
            "expired"
        } else {
            self.status
        }
    }
}

struct Unreachable;

const OUTPUT_KINDS: &[(&str, &str)] = &[
    ("images", "image"),
    ("gifs", "video"),
    ("audio", "audio"),
    ("text", "text"),
    ("files", "file"),
    ("latents", "latent"),
];

fn guess_type(name: &str) -> &'static str {
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
        "mp3" => "audio/mpeg",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

impl V2State {
    fn scripted_rejection(&self, kind: RouteKind) -> Option<Response> {
        let mut i = self.inner.lock().unwrap();
        let (n, status, code, retry) = i.faults.reject_next.get_mut(kind.name())?;
        if *n == 0 {
            return None;
        }
        *n -= 1;
        let mut r = v2_error(*status, code, &format!("scripted {code}"), Value::Null);
        if let Some(secs) = retry {
            r.headers_mut()
                .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
        }
        Some(r)
    }

    /// The stateless output id: base64url of the file reference, then its HMAC.
    fn output_id(&self, job: &str, filename: &str, subfolder: &str, kind: &str) -> String {
        // Python's json.dumps spacing, as the recorded ids decode.
        let payload = format!(
            "{{\"j\": {}, \"f\": {}, \"s\": {}, \"t\": {}}}",
            json!(job),
            json!(filename),
            json!(subfolder),
            json!(kind)
        );
        let p = B64URL.encode(payload.as_bytes());
        let tag = B64URL.encode(hmac_sha256(&self.secret, p.as_bytes()));
        format!("{p}.{tag}")
    }

    fn decode_output_id(&self, id: &str) -> Option<Value> {
        let (p, tag) = id.split_once('.')?;
        let given = B64URL.decode(tag).ok()?;
        if given != hmac_sha256(&self.secret, p.as_bytes()) {
            return None;
        }
        let v: Value = serde_json::from_slice(&B64URL.decode(p).ok()?).ok()?;
        (v.get("f").is_some() && v.get("s").is_some() && v.get("t").is_some()).then_some(v)
    }

    fn view_url(&self, filename: &str, subfolder: &str, kind: &str) -> url::Url {
        let mut u = url::Url::parse(&format!("{}/view", self.upstream)).unwrap();
        u.query_pairs_mut()
            .append_pair("filename", filename)
            .append_pair("subfolder", subfolder)
            .append_pair("type", kind);
        u
    }

    /// What `/view` serves an asset id from: an uploaded record or an output id.
    fn content_ref(&self, id: &str) -> Option<(String, String, String)> {
        if let Some(a) = self.inner.lock().unwrap().assets.get(id) {
            return Some(a.comfy_ref.clone());
        }
        let v = self.decode_output_id(id)?;
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        Some((s("f"), s("s"), s("t")))
    }

    async fn get_json(&self, path: &str) -> Result<(u16, Value), Unreachable> {
        let r = self
            .http
            .get(format!("{}{path}", self.upstream))
            .send()
            .await
            .map_err(|_| Unreachable)?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(|_| Unreachable)?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    fn outputs_of(&self, job: &str, entry: &Value, base: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let Some(nodes) = entry.get("outputs").and_then(Value::as_object) else {
            return out;
        };
        for (node, ui) in nodes {
            let Some(ui) = ui.as_object() else { continue };
            for (key, items) in ui {
                let Some((_, kind)) = OUTPUT_KINDS.iter().find(|(k, _)| k == key) else {
                    continue;
                };
                for it in items.as_array().into_iter().flatten() {
                    let Some(filename) = it.get("filename").and_then(Value::as_str) else {
                        continue;
                    };
                    let sub = it.get("subfolder").and_then(Value::as_str).unwrap_or("");
                    let t = it.get("type").and_then(Value::as_str).unwrap_or("output");
                    let id = self.output_id(job, filename, sub, t);
                    out.push(json!({
                        "node_id": node, "name": filename, "type": kind,
                        "content_type": guess_type(filename), "size_bytes": 0, "id": id,
                        "hash": null, "url": format!("{base}/api/v2/assets/{id}/content"),
                        "url_expires_at": iso(now_ms() + DAY_MS), "job_id": job,
                    }));
                }
            }
        }
        out
    }

    async fn status_of(&self, job: &str, base: &str) -> Result<Snapshot, Unreachable> {
        let (st, hist) = self.get_json(&format!("/history/{job}")).await?;
        if st == 200
            && let Some(entry) = hist.get(job)
        {
            let status = &entry["status"];
            let messages = status["messages"].as_array().cloned().unwrap_or_default();
            let interrupted = messages.iter().any(|m| m[0] == "execution_interrupted");
            let reused = messages.iter().any(|m| {
                m[0] == "execution_cached"
                    && m[1]["nodes"].as_array().is_some_and(|n| !n.is_empty())
            });
            let outputs = self.outputs_of(job, entry, base);
            let (status, error) = if interrupted {
                ("canceled", None)
            } else if status["status_str"].as_str().unwrap_or("success") == "success" {
                ("succeeded", None)
            } else {
                let e = messages
                    .iter()
                    .find(|m| m[0] == "execution_error")
                    .map(|m| &m[1]);
                let error = match e {
                    Some(d) => json!({"code": "node_execution_error",
                        "message": d.get("exception_message").cloned().unwrap_or(json!("")),
                        "node_id": d.get("node_id"), "class_type": d.get("node_type"), "traceback": null}),
                    None => json!({"code": "node_execution_error", "message": "execution failed",
                        "node_id": null, "class_type": null, "traceback": null}),
                };
                ("failed", Some(error))
            };
            return Ok(Snapshot {
                status,
                queue_position: None,
                progress: None,
                outputs,
                error,
                reused,
            });
        }
        let (st, q) = self.get_json("/queue").await?;
        if st == 200 {
            let ids = |k: &str| -> Vec<String> {
                q[k].as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|it| it.get(1).and_then(Value::as_str).map(str::to_string))
                    .collect()
            };
            if ids("queue_running").iter().any(|r| r == job) {
                return Ok(Snapshot {
                    status: "running",
                    progress: Some(json!({"value": 0.0, "nodes_done": 0, "nodes_total": 0})),
                    ..Snapshot::unknown()
                });
            }
            if let Some(p) = ids("queue_pending").iter().position(|r| r == job) {
                return Ok(Snapshot {
                    status: "queued",
                    queue_position: Some(p + 1),
                    ..Snapshot::unknown()
                });
            }
        }
        Ok(Snapshot::unknown())
    }

    fn knows(&self, job: &str) -> bool {
        self.inner.lock().unwrap().jobs.iter().any(|j| j.id == job)
    }

    fn job_json(&self, job: &str, snap: &Snapshot, base: &str) -> Value {
        let i = self.inner.lock().unwrap();
        let rec = i.jobs.iter().find(|j| j.id == job);
        let created = rec.map(|r| r.created_ms).unwrap_or_else(now_ms);
        let mut v = json!({
            "id": job, "status": snap.public_status(), "created_at": iso(created),
            "started_at": null, "completed_at": null, "expires_at": iso(created + DAY_MS),
            "queue_position": snap.queue_position, "progress": snap.progress,
            "outputs": snap.outputs, "error": snap.error, "outputs_reused": snap.reused,
            "urls": {"self": format!("{base}/api/v2/jobs/{job}"),
                     "events": format!("{base}/api/v2/jobs/{job}/events"),
                     "cancel": format!("{base}/api/v2/jobs/{job}/cancel")},
        });
        if let Some(r) = rec {
            if let Some(m) = &r.metadata {
                v["metadata"] = json!(m);
            }
            if let Some(p) = r.priority {
                v["priority"] = json!(p);
            }
        }
        v
    }
}

fn unreachable_answer() -> Response {
    v2_error(
        503,
        "upstream_unreachable",
        "Could not reach ComfyUI.",
        Value::Null,
    )
}

fn valid_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

// ---------------------------------------------------------------- jobs

/// Replaces `core/ASSET` references with the file name ComfyUI knows, collecting the ones that
/// do not resolve (the id first, then the hash; an output id resolves to `subfolder/name`).
fn rewrite_refs(s: &V2State, v: &Value, missing: &mut Vec<String>) -> Value {
    match v {
        Value::Object(o) if o.get("__type").and_then(Value::as_str) == Some("core/ASSET") => {
            let Some(info) = o.get("info").and_then(Value::as_object) else {
                missing.push("<malformed core/ASSET: missing info>".into());
                return v.clone();
            };
            let i = s.inner.lock().unwrap();
            let mut rec = info
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| i.assets.get(id))
                .cloned();
            drop(i);
            if rec.is_none()
                && let Some(id) = info.get("id").and_then(Value::as_str)
                && let Some(d) = s.decode_output_id(id)
            {
                let (f, sub) = (d["f"].as_str().unwrap_or(""), d["s"].as_str().unwrap_or(""));
                return json!(if sub.is_empty() {
                    f.to_string()
                } else {
                    format!("{sub}/{f}")
                });
            }
            if rec.is_none()
                && let Some(h) = info.get("hash").and_then(Value::as_str)
            {
                let i = s.inner.lock().unwrap();
                rec = i.by_hash.get(h).and_then(|id| i.assets.get(id)).cloned();
            }
            match rec {
                Some(a) => {
                    let (f, sub, _) = &a.comfy_ref;
                    json!(if sub.is_empty() {
                        f.clone()
                    } else {
                        format!("{sub}/{f}")
                    })
                }
                None => {
                    missing.push(match info.get("id") {
                        Some(Value::String(id)) => id.clone(),
                        Some(other) => other.to_string(),
                        None => "<no id>".into(),
                    });
                    v.clone()
                }
            }
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), rewrite_refs(s, x, missing)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| rewrite_refs(s, x, missing)).collect()),
        other => other.clone(),
    }
}

async fn submit(s: &Arc<V2State>, req: Request, base: &str) -> Response {
    let key = req
        .headers()
        .get("idempotency-key")
        .map(|k| k.to_str().unwrap_or("\u{fffd}").to_string());
    let Ok(bytes) = axum::body::to_bytes(req.into_body(), 200 << 20).await else {
        return v2_error(400, "invalid_request", "Body must be JSON.", Value::Null);
    };
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        return v2_error(400, "invalid_request", "Body must be JSON.", Value::Null);
    };
    let Some(body) = body.as_object() else {
        // `body.get` on a list is an AttributeError in the proxy: aiohttp's bare 500.
        return plain(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let present = |k: &str| body.get(k).is_some_and(|v| !v.is_null());
    if present("webhook_url") || present("inputs") {
        return v2_error(
            422,
            "invalid_workflow",
            "'webhook_url' and 'inputs' are reserved and not accepted.",
            Value::Null,
        );
    }
    let Some(workflow) = body.get("workflow").and_then(Value::as_object) else {
        return v2_error(
            422,
            "invalid_workflow",
            "Missing 'workflow' (API-format graph).",
            Value::Null,
        );
    };
    if workflow.get("nodes").is_some_and(Value::is_array) && workflow.contains_key("links") {
        return v2_error(
            422,
            "workflow_format_ui",
            "This is a UI-export graph. Export the workflow in API format instead.",
            Value::Null,
        );
    }
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) if m.len() > 1024 => {
            return v2_error(
                422,
                "invalid_request",
                "'metadata' exceeds 1024 UTF-8 bytes.",
                Value::Null,
            );
        }
        Some(Value::String(m)) => Some(m.clone()),
        Some(_) => {
            return v2_error(
                422,
                "invalid_request",
                "'metadata' must be a string (opaque label).",
                Value::Null,
            );
        }
    };
    let priority = match body.get("priority") {
        None | Some(Value::Null) => None,
        Some(p) if p.is_i64() => {
            let p = p.as_i64().unwrap();
            if !(-1_000_000..=1_000_000).contains(&p) {
                return v2_error(
                    422,
                    "invalid_request",
                    "'priority' must be between -1000000 and 1000000.",
                    Value::Null,
                );
            }
            Some(p)
        }
        Some(_) => {
            return v2_error(
                422,
                "invalid_request",
                "'priority' must be an integer (advisory).",
                Value::Null,
            );
        }
    };
    let extra = body.get("extra_data").filter(|v| !v.is_null());
    if let Some(e) = extra {
        let Some(o) = e
            .as_object()
            .filter(|o| o.keys().all(|k| k == "api_key_comfy_org"))
        else {
            return v2_error(
                400,
                "invalid_request",
                "'extra_data' accepts only the 'api_key_comfy_org' field.",
                Value::Null,
            );
        };
        if o.get("api_key_comfy_org").is_some_and(|k| !k.is_string()) {
            return v2_error(
                400,
                "invalid_request",
                "'extra_data.api_key_comfy_org' must be a string.",
                Value::Null,
            );
        }
    }
    let mut missing = Vec::new();
    let resolved = rewrite_refs(s, &Value::Object(workflow.clone()), &mut missing);
    if !missing.is_empty() {
        return v2_error(
            422,
            "missing_asset",
            &format!(
                "Unresolvable core/ASSET reference(s): {}",
                missing.join(", ")
            ),
            json!({"missing_ids": missing}),
        );
    }
    let job = uuid::Uuid::new_v4().to_string();
    if let Some(k) = &key {
        if k.is_empty() || k.chars().count() > 255 {
            return v2_error(
                400,
                "invalid_request",
                "Idempotency-Key must be 1-255 characters.",
                Value::Null,
            );
        }
        if !s.inner.lock().unwrap().keys.insert(k.clone()) {
            return v2_error(
                422,
                "idempotency_key_reuse",
                "This Idempotency-Key has already been used. Keys are single-use; poll or list your jobs instead of resubmitting with the same key.",
                Value::Null,
            );
        }
    }
    let mut payload = json!({"prompt": resolved, "prompt_id": job, "client_id": job});
    if let Some(e) = extra.filter(|e| e.as_object().is_some_and(|o| !o.is_empty())) {
        payload["extra_data"] = e.clone();
    }
    let sent = s
        .http
        .post(format!("{}/prompt", s.upstream))
        .json(&payload)
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        // The outcome is unknown (ComfyUI may hold the prompt): the key stays claimed.
        Err(_) => {
            return v2_error(
                503,
                "upstream_unreachable",
                "Could not reach ComfyUI to submit the job.",
                Value::Null,
            );
        }
    };
    if resp.status() != reqwest::StatusCode::OK {
        if let Some(k) = &key {
            s.inner.lock().unwrap().keys.remove(k);
        }
        let is_json = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        let data: Value = if is_json {
            resp.json().await.unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        let node_errors = data
            .get("node_errors")
            .filter(|n| n.is_object())
            .cloned()
            .unwrap_or(json!({}));
        let message = data
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("Workflow rejected.");
        return v2_error(
            422,
            "invalid_workflow",
            message,
            json!({"node_errors": node_errors}),
        );
    }
    let lost = {
        let mut i = s.inner.lock().unwrap();
        i.jobs.push(JobRecord {
            id: job.clone(),
            created_ms: now_ms(),
            workflow: resolved,
            metadata,
            priority,
        });
        let lost = i.faults.submit_answer_lost > 0;
        if lost {
            i.faults.submit_answer_lost -= 1;
        }
        lost
    };
    let body = s.job_json(
        &job,
        &Snapshot {
            status: "queued",
            ..Snapshot::unknown()
        },
        base,
    );
    if lost {
        // Headers promise a body that breaks off: the client never learns the job id.
        let text = body.to_string();
        let half = Bytes::from(text.as_bytes()[..text.len() / 2].to_vec());
        let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) })
            .chain(futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other("answer lost"))
            }));
        return Response::builder()
            .status(StatusCode::CREATED)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(header::CONTENT_LENGTH, text.len())
            .body(Body::from_stream(stream))
            .unwrap();
    }
    json_response(StatusCode::CREATED, &body)
}

async fn list_jobs(s: &Arc<V2State>, query: &str, base: &str) -> Response {
    let q: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let limit = match q.get("limit") {
        None => 50,
        Some(l) => match l.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                return v2_error(
                    400,
                    "invalid_request",
                    "'limit' must be an integer.",
                    Value::Null,
                );
            }
        },
    };
    if !(1..=100).contains(&limit) {
        return v2_error(
            400,
            "invalid_request",
            "'limit' must be between 1 and 100.",
            Value::Null,
        );
    }
    const ALL: [&str; 7] = [
        "queued",
        "running",
        "succeeded",
        "canceling",
        "canceled",
        "failed",
        "expired",
    ];
    let filter: Option<Vec<String>> = q.get("status").filter(|s| !s.is_empty()).map(|st| {
        st.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    if let Some(f) = &filter {
        let mut bad: Vec<&str> = f
            .iter()
            .map(String::as_str)
            .filter(|x| !ALL.contains(x))
            .collect();
        if !bad.is_empty() {
            bad.sort_unstable();
            bad.dedup();
            return v2_error(
                400,
                "invalid_request",
                &format!("Unknown status filter value(s): {}.", bad.join(", ")),
                Value::Null,
            );
        }
    }
    let ids: Vec<String> = {
        let i = s.inner.lock().unwrap();
        let mut v: Vec<(u64, usize, String)> = i
            .jobs
            .iter()
            .enumerate()
            .map(|(n, j)| (j.created_ms, n, j.id.clone()))
            .collect();
        v.sort_by_key(|b| std::cmp::Reverse((b.0, b.1)));
        v.into_iter().map(|(_, _, id)| id).collect()
    };
    let mut jobs = Vec::new();
    let mut scanned = 0;
    for id in &ids {
        if jobs.len() as i64 >= limit || scanned >= 500 {
            break;
        }
        scanned += 1;
        let Ok(snap) = s.status_of(id, base).await else {
            return unreachable_answer();
        };
        let job = s.job_json(id, &snap, base);
        if let Some(f) = &filter
            && !f.iter().any(|x| job["status"] == x.as_str())
        {
            continue;
        }
        jobs.push(job);
    }
    let truncated = (jobs.len() as i64) < limit && scanned < ids.len();
    json_response(
        StatusCode::OK,
        &json!({"jobs": jobs, "truncated": truncated}),
    )
}

async fn get_job(s: &Arc<V2State>, id: &str, base: &str) -> Response {
    if !valid_uuid(id) {
        return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
    }
    let Ok(mut snap) = s.status_of(id, base).await else {
        return unreachable_answer();
    };
    if snap.status == "unknown" && !s.knows(id) {
        return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
    }
    if snap.terminal() && snap.status != "unknown" {
        let mut i = s.inner.lock().unwrap();
        if i.faults.poll_expired > 0 {
            i.faults.poll_expired -= 1;
            snap = Snapshot::unknown();
        }
    }
    json_response(StatusCode::OK, &s.job_json(id, &snap, base))
}

fn get_workflow(s: &Arc<V2State>, id: &str) -> Response {
    if !valid_uuid(id) {
        return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
    }
    let i = s.inner.lock().unwrap();
    match i.jobs.iter().find(|j| j.id == id) {
        Some(j) => json_response(
            StatusCode::OK,
            &json!({"workflow": j.workflow, "format": "api"}),
        ),
        None => v2_error(
            404,
            "not_found",
            &format!("No recoverable workflow for job {id}."),
            Value::Null,
        ),
    }
}

async fn cancel(s: &Arc<V2State>, id: &str, base: &str) -> Response {
    if !valid_uuid(id) {
        return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
    }
    if !s.knows(id) {
        match s.status_of(id, base).await {
            Err(_) => return unreachable_answer(),
            Ok(snap) if snap.status == "unknown" => {
                return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
            }
            Ok(_) => {}
        }
    }
    // ComfyUI 0.26.0's per-id cancel; its answer is ignored (0.3.64 has no such route).
    let sent = s
        .http
        .post(format!("{}/api/jobs/{id}/cancel", s.upstream))
        .send()
        .await;
    if sent.is_err() {
        return v2_error(
            503,
            "upstream_unreachable",
            "Could not reach ComfyUI to cancel.",
            Value::Null,
        );
    }
    let Ok(mut snap) = s.status_of(id, base).await else {
        return unreachable_answer();
    };
    if snap.status == "running" {
        snap.status = "canceling";
    }
    json_response(StatusCode::OK, &s.job_json(id, &snap, base))
}

// ---------------------------------------------------------------- events

fn frame(event: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

fn keepalive() -> Bytes {
    Bytes::from_static(b": keepalive\n\n")
}

fn status_frame(snap: &Snapshot) -> Bytes {
    let mut v = json!({"status": snap.public_status()});
    if let Some(p) = snap.queue_position {
        v["queue_position"] = json!(p);
    }
    frame("status", &v)
}

struct StreamGuard(Arc<V2State>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.inner.lock().unwrap().open_streams -= 1;
    }
}

async fn events(s: &Arc<V2State>, id: &str, base: &str) -> Response {
    if !valid_uuid(id) {
        return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
    }
    let Ok(snap) = s.status_of(id, base).await else {
        return unreachable_answer();
    };
    if snap.status == "unknown" && !s.knows(id) {
        return v2_error(404, "not_found", &format!("No job {id}."), Value::Null);
    }
    {
        let mut i = s.inner.lock().unwrap();
        if i.open_streams >= s.opts.max_streams {
            drop(i);
            let mut r = v2_error(
                429,
                "too_many_streams",
                "Maximum concurrent event streams reached; poll GET /jobs/{id} instead.",
                Value::Null,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, "5".parse().unwrap());
            return r;
        }
        i.open_streams += 1;
    }
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let guard = StreamGuard(s.clone());
    let (s2, id2, base2) = (s.clone(), id.to_string(), base.to_string());
    tokio::spawn(async move {
        let _guard = guard;
        bridge(&s2, &id2, &base2, &tx).await;
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONNECTION, "keep-alive")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(body))
        .unwrap()
}

/// Per-stream throttles and the outputs already sent.
struct Pump {
    throttle: Duration,
    last_progress: Option<Instant>,
    last_preview: Option<Instant>,
    last_output: Option<Instant>,
    sent_outputs: HashSet<String>,
    /// The scripted race this stream's end runs into: until then ComfyUI's history stays
    /// unwritten as far as this stream can tell, so no live `output` either.
    race: Option<Race>,
}

impl Pump {
    fn due(last: &mut Option<Instant>, every: Duration) -> bool {
        if last.is_some_and(|t| t.elapsed() < every) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    fn new_outputs(&mut self, snap: &Snapshot) -> Vec<Bytes> {
        snap.outputs
            .iter()
            .filter(|o| {
                self.sent_outputs
                    .insert(o["id"].as_str().unwrap_or("").to_string())
            })
            .map(|o| frame("output", o))
            .collect()
    }
}

/// Sends; false once the client has gone.
async fn send(tx: &mpsc::Sender<Bytes>, frames: impl IntoIterator<Item = Bytes>) -> bool {
    for f in frames {
        if tx.send(f).await.is_err() {
            return false;
        }
    }
    true
}

/// One stream: the opening snapshot, then ComfyUI's WebSocket translated, then the final
/// status and outputs. Follows the proxy's order of lookups so its races come out the same.
async fn bridge(s: &Arc<V2State>, id: &str, base: &str, tx: &mpsc::Sender<Bytes>) {
    // The stream's own opening snapshot, taken after the headers went out.
    let Ok(snap) = s.status_of(id, base).await else {
        return;
    };
    let mut pump = Pump {
        throttle: s.opts.throttle,
        last_progress: None,
        last_preview: None,
        last_output: None,
        sent_outputs: HashSet::new(),
        race: None,
    };
    if !send(tx, [status_frame(&snap)]).await {
        return;
    }
    if snap.terminal() {
        let frames = pump.new_outputs(&snap);
        send(tx, frames).await;
        return;
    }
    if let Some(p) = &snap.progress
        && !send(tx, [frame("progress", p)]).await
    {
        return;
    }
    let delay = {
        let mut i = s.inner.lock().unwrap();
        pump.race = i.faults.end_races.pop_front();
        i.faults.ws_connect_delay.take()
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let ws_url = format!(
        "{}/ws?clientId={id}",
        s.upstream.replacen("http://", "ws://", 1)
    );
    let ws = tokio_tungstenite::connect_async(ws_url.as_str()).await;
    if let Ok((mut ws, _)) = ws {
        let flags = json!({"type": "feature_flags", "data": {"supports_preview_metadata": true}});
        if ws
            .send(tokio_tungstenite::tungstenite::Message::Text(
                flags.to_string().into(),
            ))
            .await
            .is_ok()
        {
            match pump_ws(s, id, base, &mut pump, &mut ws, tx).await {
                Some(true) => return,
                Some(false) => {}
                None => return,
            }
        }
    }
    poll_until_terminal(s, id, base, &mut pump, tx).await;
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `Some(true)`: the stream is finished; `Some(false)`: the socket closed, poll instead;
/// `None`: the client went away.
async fn pump_ws(
    s: &Arc<V2State>,
    id: &str,
    base: &str,
    pump: &mut Pump,
    ws: &mut Ws,
    tx: &mpsc::Sender<Bytes>,
) -> Option<bool> {
    use tokio_tungstenite::tungstenite::Message;
    let every = s.opts.keepalive;
    let mut last_beat = Instant::now();
    loop {
        let msg = match tokio::time::timeout(every, ws.next()).await {
            Err(_) => {
                last_beat = Instant::now();
                if !send(tx, [keepalive()]).await {
                    return None;
                }
                let Ok(snap) = s.status_of(id, base).await else {
                    return Some(true);
                };
                if snap.terminal() {
                    let mut frames = vec![status_frame(&snap)];
                    frames.extend(pump.new_outputs(&snap));
                    send(tx, frames).await;
                    return Some(true);
                }
                continue;
            }
            Ok(None) | Ok(Some(Err(_))) => return Some(false),
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Text(t) => {
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                    continue;
                };
                let kind = v["type"].as_str().unwrap_or("");
                let data = &v["data"];
                let pid = data.get("prompt_id").and_then(Value::as_str);
                if pid.is_some_and(|p| p != id) {
                    continue;
                }
                if (kind == "progress" || kind == "progress_state")
                    && Pump::due(&mut pump.last_progress, pump.throttle)
                    && !send(tx, [frame("progress", &translate_progress(kind, data))]).await
                {
                    return None;
                }
                if kind == "executed"
                    && pump.race.is_none()
                    && Pump::due(&mut pump.last_output, pump.throttle)
                {
                    let Ok(snap) = s.status_of(id, base).await else {
                        return Some(true);
                    };
                    let frames = pump.new_outputs(&snap);
                    if !send(tx, frames).await {
                        return None;
                    }
                }
                if matches!(
                    kind,
                    "execution_success" | "execution_error" | "execution_interrupted"
                ) {
                    // The proxy's lookup after ComfyUI's terminal message costs it a few ms;
                    // without a scripted race the fake waits as long, so its default is the
                    // common outcome (the end state) even on a loaded machine.
                    if pump.race.is_none() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    let snap = match pump.race {
                        Some(Race::Expired) => Snapshot::unknown(),
                        Some(Race::Running) => Snapshot {
                            status: "running",
                            ..Snapshot::unknown()
                        },
                        None => match s.status_of(id, base).await {
                            Ok(snap) => snap,
                            Err(_) => return Some(true),
                        },
                    };
                    let mut frames = vec![status_frame(&snap)];
                    frames.extend(pump.new_outputs(&snap));
                    send(tx, frames).await;
                    return Some(true);
                }
            }
            Message::Binary(b) => {
                if let Some(p) = preview(&b)
                    && Pump::due(&mut pump.last_preview, pump.throttle)
                    && !send(tx, [frame("preview", &p)]).await
                {
                    return None;
                }
            }
            Message::Close(_) => return Some(false),
            _ => {}
        }
        if last_beat.elapsed() > every {
            last_beat = Instant::now();
            if !send(tx, [keepalive()]).await {
                return None;
            }
        }
    }
}

async fn poll_until_terminal(
    s: &Arc<V2State>,
    id: &str,
    base: &str,
    pump: &mut Pump,
    tx: &mpsc::Sender<Bytes>,
) {
    for _ in 0..600 {
        let Ok(snap) = s.status_of(id, base).await else {
            return;
        };
        if snap.terminal() {
            let mut frames = vec![status_frame(&snap)];
            frames.extend(pump.new_outputs(&snap));
            send(tx, frames).await;
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        if !send(tx, [keepalive()]).await {
            return;
        }
    }
}

/// ComfyUI `progress` (one sampler) or `progress_state` (every node seen so far) → the v2
/// payload with its six keys.
fn translate_progress(kind: &str, data: &Value) -> Value {
    if kind == "progress" {
        let value = data["value"].as_f64().unwrap_or(0.0);
        let max = data["max"].as_f64().filter(|m| *m != 0.0).unwrap_or(1.0);
        let node = match &data["node"] {
            Value::Null => Value::Null,
            Value::String(n) => json!(n),
            other => json!(other.to_string()),
        };
        return json!({"value": (value / max).clamp(0.0, 1.0), "nodes_done": 0, "nodes_total": 0,
                      "current_node": node, "step": value as i64, "steps": max as i64});
    }
    let empty = Map::new();
    let nodes = data["nodes"].as_object().unwrap_or(&empty);
    let total = nodes.len();
    let done = nodes.values().filter(|n| n["state"] == "finished").count();
    let running = nodes.iter().find(|(_, n)| n["state"] == "running");
    let mut frac = if total > 0 {
        done as f64 / total as f64
    } else {
        0.0
    };
    let (mut step, mut steps) = (Value::Null, Value::Null);
    if let Some((_, cur)) = running
        && let Some(max) = cur["max"].as_f64().filter(|m| *m != 0.0)
    {
        let v = cur["value"].as_f64().unwrap_or(0.0);
        frac = (done as f64 + v / max) / total as f64;
        step = json!(v as i64);
        steps = json!(max as i64);
    }
    json!({"value": frac.clamp(0.0, 1.0), "nodes_done": done, "nodes_total": total,
           "current_node": running.map(|(k, _)| k.clone()), "step": step, "steps": steps})
}

/// A binary preview frame (type 1: format + image; type 4: metadata + image).
fn preview(b: &[u8]) -> Option<Value> {
    if b.len() < 8 {
        return None;
    }
    let kind = u32::from_be_bytes(b[..4].try_into().unwrap());
    let word = u32::from_be_bytes(b[4..8].try_into().unwrap());
    let (node, mime, image) = match kind {
        1 => (
            String::new(),
            if word == 2 { "image/png" } else { "image/jpeg" }.to_string(),
            &b[8..],
        ),
        4 => {
            let end = (8 + word as usize).min(b.len());
            let meta: Value = serde_json::from_slice(&b[8..end]).unwrap_or(json!({}));
            (
                match &meta["node_id"] {
                    Value::String(n) => n.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                },
                meta["image_type"]
                    .as_str()
                    .unwrap_or("image/jpeg")
                    .to_string(),
                &b[end..],
            )
        }
        _ => return None,
    };
    Some(json!({"node_id": node, "content_type": mime, "data_base64": B64.encode(image)}))
}

// ---------------------------------------------------------------- assets

const MODEL_ROOTS: &[&str] = &[
    "audio_encoders",
    "background_removal",
    "checkpoints",
    "classifiers",
    "clip_vision",
    "controlnet",
    "diffusers",
    "diffusion_models",
    "embeddings",
    "frame_interpolation",
    "geometry_estimation",
    "gligen",
    "hypernetworks",
    "latent_upscale_models",
    "loras",
    "model_patches",
    "optical_flow",
    "photomaker",
    "style_models",
    "text_encoders",
    "upscale_models",
    "vae",
    "vae_approx",
];

fn asset_json(a: &AssetRecord, created_new: Option<bool>, base: &str) -> Value {
    let mut v = json!({
        "id": a.id, "hash": a.hash, "size_bytes": a.size, "content_type": a.content_type,
        "file_path": a.file_path, "created_at": a.created_at,
        "url": format!("{base}/api/v2/assets/{}/content", a.id),
        "url_expires_at": iso(now_ms() + DAY_MS),
    });
    if let Some(c) = created_new {
        v["created_new"] = json!(c);
    }
    v
}

/// Where an upload may land: `Ok((is_model, path under its root))`.
fn placement(file_path: &str) -> Result<(bool, String), String> {
    let quoted = format!("'{file_path}'");
    if file_path.is_empty() || file_path.starts_with('/') || file_path.starts_with('\\') {
        return Err(format!("file_path must be relative: {quoted}"));
    }
    let stripped = file_path.strip_prefix("models/").unwrap_or(file_path);
    // Python's Path.parts: empty and `.` segments vanish.
    let parts: Vec<&str> = stripped
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        return Err(format!("file_path must include a filename: {quoted}"));
    }
    if parts.contains(&"..") {
        return Err(format!("file_path must not contain '..': {quoted}"));
    }
    if parts.len() < 2 {
        return Ok((false, stripped.to_string()));
    }
    let root = parts[0];
    if MODEL_ROOTS.contains(&root) {
        return Ok((true, stripped.to_string()));
    }
    if root != "input" {
        let mut allowed: Vec<String> = MODEL_ROOTS
            .iter()
            .chain(["input"].iter())
            .map(|r| format!("'{r}'"))
            .collect();
        allowed.sort();
        return Err(format!(
            "'{root}' is not an allowlisted placement root (allowed: [{}])",
            allowed.join(", ")
        ));
    }
    Ok((false, parts[1..].join("/")))
}

async fn upload(s: &Arc<V2State>, req: Request, base: &str) -> Response {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/"));
    if !is_multipart {
        return v2_error(
            422,
            "invalid_request",
            "Expected multipart/form-data.",
            Value::Null,
        );
    }
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return v2_error(
            422,
            "invalid_request",
            "Malformed multipart body.",
            Value::Null,
        );
    };
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(Vec<u8>, Option<String>)> = None;
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let ct = field.content_type().map(str::to_string);
            let data = field.bytes().await.unwrap_or_default().to_vec();
            if data.len() > 100 << 20 {
                return v2_error(
                    413,
                    "payload_too_large",
                    "Upload exceeds 104857600 bytes.",
                    Value::Null,
                );
            }
            file = Some((data, ct));
        } else if !name.is_empty() && name != "tags" {
            let text = field.text().await.unwrap_or_default();
            fields.insert(name, text.trim().to_string());
        }
    }
    let Some((data, part_type)) = file else {
        return v2_error(422, "invalid_request", "Missing 'file' part.", Value::Null);
    };
    let Some(file_path) = fields.get("file_path").filter(|f| !f.is_empty()).cloned() else {
        return v2_error(422, "invalid_request", "Missing 'file_path'.", Value::Null);
    };
    let (is_model, norm) = match placement(&file_path) {
        Ok(p) => p,
        Err(m) => return v2_error(422, "invalid_request", &m, Value::Null),
    };
    let content_type = fields
        .get("content_type")
        .filter(|c| !c.is_empty())
        .cloned()
        .or(part_type)
        .unwrap_or_else(|| "application/octet-stream".into());
    let hash = format!("blake3:{}", blake3::hash(&data).to_hex());
    if let Some(expected) = fields.get("expected_hash").filter(|e| !e.is_empty())
        && !expected.eq_ignore_ascii_case(&hash)
    {
        return v2_error(
            409,
            "hash_mismatch",
            "Client-declared hash does not match the received bytes.",
            Value::Null,
        );
    }
    {
        let i = s.inner.lock().unwrap();
        if let Some(a) = i.by_hash.get(&hash).and_then(|id| i.assets.get(id)) {
            return json_response(StatusCode::OK, &asset_json(a, Some(false), base));
        }
    }
    if is_model {
        // Model placement writes into ComfyUI's models folder, which needs a shared file
        // system (--comfyui-base-dir); the fake proxy runs without one.
        return v2_error(
            422,
            "invalid_request",
            "Model-directory placement requires the proxy to run co-located with ComfyUI (start it with --comfyui-base-dir).",
            Value::Null,
        );
    }
    let (subfolder, filename) = match norm.rsplit_once('/') {
        Some((d, f)) => (d.to_string(), f.to_string()),
        None => (String::new(), norm.clone()),
    };
    let mut part = reqwest::multipart::Part::bytes(data.clone()).file_name(filename.clone());
    if let Ok(p) = part.mime_str(&content_type) {
        part = p;
    } else {
        part = reqwest::multipart::Part::bytes(data.clone()).file_name(filename.clone());
    }
    let mut form = reqwest::multipart::Form::new()
        .part("image", part)
        .text("type", "input");
    if !subfolder.is_empty() {
        form = form.text("subfolder", subfolder.clone());
    }
    let answer = s
        .http
        .post(format!("{}/upload/image", s.upstream))
        .multipart(form)
        .send()
        .await;
    let up: Value = match answer {
        Ok(r) if r.status() == reqwest::StatusCode::OK => r.json().await.unwrap_or(json!({})),
        Ok(_) => {
            return v2_error(
                500,
                "upstream_error",
                "ComfyUI rejected the upload.",
                Value::Null,
            );
        }
        Err(_) => {
            return v2_error(
                500,
                "upstream_error",
                "Failed to reach ComfyUI for upload.",
                Value::Null,
            );
        }
    };
    let rec = AssetRecord {
        id: uuid::Uuid::new_v4().to_string(),
        hash: hash.clone(),
        size: data.len() as u64,
        content_type,
        file_path,
        created_at: iso(now_ms()),
        comfy_ref: (
            up["name"].as_str().unwrap_or(&filename).to_string(),
            up["subfolder"].as_str().unwrap_or(&subfolder).to_string(),
            up["type"].as_str().unwrap_or("input").to_string(),
        ),
    };
    let mut i = s.inner.lock().unwrap();
    i.by_hash.insert(hash, rec.id.clone());
    i.assets.insert(rec.id.clone(), rec.clone());
    json_response(StatusCode::CREATED, &asset_json(&rec, Some(true), base))
}

async fn from_hash(s: &Arc<V2State>, req: Request, base: &str) -> Response {
    let Ok(bytes) = axum::body::to_bytes(req.into_body(), 1 << 20).await else {
        return v2_error(400, "invalid_request", "Body must be JSON.", Value::Null);
    };
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        return v2_error(400, "invalid_request", "Body must be JSON.", Value::Null);
    };
    let Some(hash) = body.get("hash").and_then(Value::as_str) else {
        return v2_error(422, "invalid_request", "Missing 'hash'.", Value::Null);
    };
    let i = s.inner.lock().unwrap();
    match i.by_hash.get(hash).and_then(|id| i.assets.get(id)) {
        Some(a) => json_response(StatusCode::OK, &asset_json(a, Some(false), base)),
        None => v2_error(
            404,
            "blob_not_found",
            "No blob the caller may mint from.",
            Value::Null,
        ),
    }
}

fn get_asset(s: &Arc<V2State>, id: &str, base: &str) -> Response {
    if let Some(a) = s.inner.lock().unwrap().assets.get(id) {
        return json_response(StatusCode::OK, &asset_json(a, None, base));
    }
    match s.decode_output_id(id) {
        Some(d) => {
            let f = d["f"].as_str().unwrap_or("");
            let now = now_ms();
            let mut v = json!({
                "id": id, "hash": null, "size_bytes": 0, "content_type": guess_type(f),
                "file_path": f, "created_at": iso(now),
                "url": format!("{base}/api/v2/assets/{id}/content"),
                "url_expires_at": iso(now + DAY_MS),
            });
            if let Some(j) = d.get("j") {
                v["job_id"] = j.clone();
            }
            json_response(StatusCode::OK, &v)
        }
        None => v2_error(404, "not_found", "Unknown asset id.", Value::Null),
    }
}

/// `/view` through the proxy: `Range` forwarded; ComfyUI's 404 → `output_unavailable`, any
/// other status (its 416 for an unsatisfiable range) → 502 `upstream_error`.
async fn content(s: &Arc<V2State>, id: &str, headers: &HeaderMap) -> Response {
    let Some((f, sub, t)) = s.content_ref(id) else {
        return v2_error(404, "not_found", "Unknown asset id.", Value::Null);
    };
    let mut req = s.http.get(s.view_url(&f, &sub, &t));
    if let Some(r) = headers.get(header::RANGE) {
        req = req.header(header::RANGE, r.clone());
    }
    let Ok(up) = req.send().await else {
        return v2_error(
            500,
            "upstream_error",
            "Failed to reach ComfyUI for content.",
            Value::Null,
        );
    };
    match up.status().as_u16() {
        200 | 206 => {}
        404 => {
            return v2_error(
                404,
                "output_unavailable",
                "Output bytes are no longer retrievable upstream. Retrying cannot help; re-execute with a changed prompt hash.",
                Value::Null,
            );
        }
        _ => {
            return v2_error(
                502,
                "upstream_error",
                "ComfyUI returned an unexpected status for the output.",
                Value::Null,
            );
        }
    }
    let mut b = Response::builder().status(up.status().as_u16());
    for h in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_RANGE,
        header::ACCEPT_RANGES,
    ] {
        if let Some(v) = up.headers().get(&h) {
            b = b.header(h, v.clone());
        }
    }
    let stream = up.bytes_stream().map(|r| r.map_err(std::io::Error::other));
    b.body(Body::from_stream(stream)).unwrap()
}
