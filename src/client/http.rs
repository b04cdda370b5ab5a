//! HTTP to one server: URL building, credentials, retries with backoff and jitter.

use super::ClientError;
use crate::secret::{Secret, redact_url};
use crate::settings::{ApiChoice, ServerKind, Settings};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Callback for `-v` lines; kept out of the client so the client never prints.
pub type DebugLog = Arc<dyn Fn(&str) + Send + Sync>;

/// How often and how patiently to retry transient failures.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts, including the first.
    pub attempts: u32,
    /// First delay; doubles each time.
    pub base: Duration,
    /// Upper bound for one delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // COMFYCTL_RETRY_BASE_MS lets the fault tests run fast; undocumented on purpose.
        let base_ms = std::env::var("COMFYCTL_RETRY_BASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(250);
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(base_ms),
            max: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `n` (0-based): exponential with jitter in [50%, 100%].
    pub fn delay(&self, n: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << n.min(16)).min(self.max);
        let factor: f64 = rand::random_range(0.5..=1.0);
        exp.mul_f64(factor)
    }
}

/// One ComfyUI server: base URL, client, credentials.
#[derive(Clone)]
pub struct Server {
    /// Base URL (may include a path prefix behind a reverse proxy).
    pub base: url::Url,
    http: reqwest::Client,
    /// Headers sent to this server only (proxy headers and the API key).
    auth_headers: Vec<(String, Secret)>,
    /// Retry policy.
    pub retry: RetryPolicy,
    debug: Option<DebugLog>,
    /// Local ComfyUI or Comfy Cloud.
    pub kind: ServerKind,
    /// The cloud key again, for the WebSocket's `token` parameter (cloud only).
    ws_token: Option<Secret>,
    /// Partner-node key for `extra_data.api_key_comfy_org`.
    pub partner_key: Option<Secret>,
    /// TLS certificates are not checked (`--insecure`); the WebSocket follows suit.
    pub insecure: bool,
    /// What the settings asked for (`auto` until the server is asked).
    pub api_choice: ApiChoice,
    /// The API in use, once known; shared by clones, so a batch asks once per server.
    pub(crate) api: Arc<tokio::sync::OnceCell<super::api::Api>>,
    /// Headers a v2 server gets instead of `auth_headers` (its Bearer key).
    v2_auth_headers: Vec<(String, Secret)>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("base", &redact_url(&self.base))
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Builds a client for the resolved settings.
    pub fn new(settings: &Settings, debug: Option<DebugLog>) -> Result<Self, ClientError> {
        let read_timeout = read_timeout();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("comfyctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(read_timeout)
            .tcp_nodelay(true)
            // Redirects are followed by hand so credentials never travel to another host.
            .redirect(reqwest::redirect::Policy::none());
        if settings.url.scheme() == "http" && settings.kind == ServerKind::Local {
            // A plain-http local server never needs TLS; loading the system's trust store costs
            // several milliseconds per command. An https redirect from it would fail verification
            // (no roots) rather than be trusted.
            builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
        }
        if settings.insecure {
            // Asked for by name (`--insecure`, or the profile's `insecure = true`) and announced
            // on every run; applies to this server only, never to model downloads.
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| ClientError::Connect {
            url: redact_url(&settings.url),
            reason: e.to_string(),
        })?;
        if settings.api_choice_needs_v2_key() && settings.v2_key.is_none() {
            return Err(ClientError::MissingKey {
                var: crate::config::env::PARTNER_KEY.into(),
            });
        }
        if settings.kind == ServerKind::Cloud
            && settings.api != ApiChoice::V2
            && settings.api_key.is_none()
        {
            return Err(ClientError::MissingKey {
                var: settings
                    .api_key_env
                    .clone()
                    .unwrap_or_else(|| crate::config::env::CLOUD_API_KEY.into()),
            });
        }
        let mut auth_headers: Vec<(String, Secret)> = settings
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut v2_auth_headers = auth_headers.clone();
        let key_header = |(header, key): &(String, Secret)| {
            let value = if header.eq_ignore_ascii_case("authorization") {
                Secret::new(format!("Bearer {}", key.expose()))
            } else {
                key.clone()
            };
            (header.clone(), value)
        };
        if let Some(k) = &settings.api_key {
            auth_headers.push(key_header(k));
        }
        if let Some(k) = &settings.v2_key {
            v2_auth_headers.push(key_header(k));
        }
        let api = Arc::new(tokio::sync::OnceCell::new());
        if let Some(a) = super::api::Api::from_choice(settings.api, settings.kind) {
            let _ = api.set(a);
        }
        Ok(Server {
            base: settings.url.clone(),
            http,
            auth_headers,
            retry: RetryPolicy::default(),
            debug,
            kind: settings.kind,
            insecure: settings.insecure,
            ws_token: match settings.kind {
                ServerKind::Cloud => settings.api_key.as_ref().map(|(_, k)| k.clone()),
                ServerKind::Local => None,
            },
            partner_key: settings.partner_key.clone(),
            api_choice: settings.api,
            api,
            v2_auth_headers,
        })
    }

    /// The base URL with credentials removed, for messages.
    pub fn display_url(&self) -> String {
        redact_url(&self.base).trim_end_matches('/').to_string()
    }

    pub(crate) fn log(&self, msg: impl FnOnce() -> String) {
        if let Some(d) = &self.debug {
            d(&msg());
        }
    }

    /// True when the server runs on this machine (a loopback host), so paths it reports are
    /// paths here.
    pub fn is_local_machine(&self) -> bool {
        match self.base.host() {
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        }
    }

    /// True for Comfy Cloud.
    pub fn is_cloud(&self) -> bool {
        self.kind == ServerKind::Cloud
    }

    /// Absolute URL for a server path such as `/history/ID`. Comfy Cloud serves everything
    /// under `/api` (docs/protocol.md, "Comfy Cloud") except the WebSocket.
    pub fn endpoint(&self, path: &str) -> url::Url {
        let mut u = self.base.clone();
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let path = if self.is_cloud() && !path.starts_with("/api/") && path != "/ws" {
            format!("/api{path}")
        } else {
            path.to_string()
        };
        let joined = format!("{}{}", self.base.path().trim_end_matches('/'), path);
        u.set_path(&joined);
        u.set_query(query);
        u
    }

    /// The WebSocket URL for a client id.
    pub fn ws_url(&self, client_id: &str) -> url::Url {
        let mut u = self.endpoint("/ws");
        let scheme = if self.base.scheme() == "https" {
            "wss"
        } else {
            "ws"
        };
        u.set_scheme(scheme).expect("ws schemes are valid");
        u.query_pairs_mut().append_pair("clientId", client_id);
        // Comfy Cloud takes the key as `token` (docs/protocol.md, "Comfy Cloud"); logs redact it.
        if let Some(t) = &self.ws_token {
            u.query_pairs_mut().append_pair("token", t.expose());
        }
        u
    }

    /// Comfy Cloud's developer event socket, `/developer/api/v1/ws?api_key=…` (seed 000; a
    /// prototype API). `None` without a cloud key.
    pub fn dev_events_url(&self) -> Option<url::Url> {
        let key = self.ws_token.as_ref()?;
        let mut u = self.base.clone();
        u.set_path("/developer/api/v1/ws");
        u.set_query(None);
        let scheme = if self.base.scheme() == "https" {
            "wss"
        } else {
            "ws"
        };
        u.set_scheme(scheme).ok()?;
        u.query_pairs_mut().append_pair("api_key", key.expose());
        Some(u)
    }

    /// Headers to attach for requests to `url`: only when scheme, host and port match the
    /// server's, and never downgrading https to http.
    pub fn auth_headers_for(&self, url: &url::Url) -> &[(String, Secret)] {
        if !same_origin(&self.base, url) {
            &[]
        } else if self.api.get() == Some(&super::api::Api::V2) {
            &self.v2_auth_headers
        } else {
            &self.auth_headers
        }
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one request (no retry) with credentials where allowed.
    pub async fn send(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
    ) -> Result<reqwest::Response, ClientError> {
        self.log(|| format!("{method} {}", redact_url(&url)));
        let mut req = self.http.request(method, url.clone());
        for (k, v) in self.auth_headers_for(&url) {
            req = req.header(k.as_str(), v.expose());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.connect_error(e))?;
        self.log(|| format!("  -> {}", resp.status()));
        Ok(resp)
    }

    pub(crate) fn connect_error(&self, e: reqwest::Error) -> ClientError {
        let e = e.without_url();
        let mut reason = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            reason.push_str(": ");
            reason.push_str(&s.to_string());
            src = s.source();
        }
        ClientError::Connect {
            url: self.display_url(),
            reason,
        }
    }

    /// GET a JSON document, retrying connection failures and 5xx.
    pub async fn get_json(&self, path: &str) -> Result<Value, ClientError> {
        self.request_json(Method::GET, path, None, true).await
    }

    /// POST JSON; `idempotent` allows retrying after a failure that may have reached the server.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        idempotent: bool,
    ) -> Result<Value, ClientError> {
        self.request_json(Method::POST, path, Some(body), idempotent)
            .await
    }

    async fn request_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Value, ClientError> {
        let mut attempt = 0;
        loop {
            let result = match self.send(method.clone(), self.endpoint(path), body).await {
                // A 5xx is read like any answer (it becomes an Http error) and retried below.
                Ok(resp) => read_json(resp, method.as_str(), path).await,
                Err(e) => Err(e),
            };
            let retryable = idempotent
                && matches!(
                    &result,
                    Err(ClientError::Connect { .. }
                        | ClientError::Incomplete { .. }
                        | ClientError::Http {
                            status: 500..=599,
                            ..
                        })
                );
            if !retryable || attempt + 1 >= self.retry.attempts {
                return result;
            }
            let d = self.retry.delay(attempt);
            if let Err(e) = &result {
                self.log(|| format!("{e}; retrying {method} {path} in {d:?}"));
            }
            tokio::time::sleep(d).await;
            attempt += 1;
        }
    }
}

/// How long a response may go without sending data (`COMFYCTL_READ_TIMEOUT` seconds, for
/// tests; 60 s by default — a big `/object_info` or `/history` still arrives well within it).
pub fn read_timeout() -> Duration {
    std::env::var("COMFYCTL_READ_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(60))
}

/// Reads a JSON body; a non-2xx status becomes [`ClientError::Http`]. An empty 200 body is `null`
/// (ComfyUI answers many POSTs with an empty body).
pub async fn read_json(
    resp: reqwest::Response,
    method: &str,
    path: &str,
) -> Result<Value, ClientError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| ClientError::Incomplete {
        what: format!("{method} {path}"),
        detail: if e.is_timeout() {
            format!(
                "stopped arriving: no data for {} after the headers (the server stalled)",
                super::job::secs(read_timeout())
            )
        } else {
            format!("was cut off: {}", e.without_url())
        },
    })?;
    if !status.is_success() {
        return Err(http_error(method, path, status, &bytes));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| ClientError::BadResponse {
        what: format!("{method} {path}"),
        detail: format!("not JSON ({e})"),
    })
}

/// Builds an HTTP error with the first line of the body (bodies are short text or JSON here).
pub fn http_error(method: &str, path: &str, status: StatusCode, body: &[u8]) -> ClientError {
    // Comfy Cloud answers `{"code", "message"}`; show the message, not the JSON.
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(m) = v
            .get("message")
            .or_else(|| v.pointer("/error/message"))
            .and_then(Value::as_str)
    {
        let code = v.get("code").and_then(Value::as_str);
        return ClientError::Http {
            method: method.to_string(),
            path: path.to_string(),
            status: status.as_u16(),
            body: match code {
                Some(c) => format!(": {m} ({c})"),
                None => format!(": {m}"),
            },
        };
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    let first = text.lines().next().unwrap_or("").trim();
    ClientError::Http {
        method: method.to_string(),
        path: path.to_string(),
        status: status.as_u16(),
        body: if first.is_empty() {
            String::new()
        } else {
            format!(": {first}")
        },
    }
}

/// Same scheme, host and port: the only case where credentials may be sent.
pub fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_rules() {
        let base = url::Url::parse("https://cloud.example:443/api").unwrap();
        assert!(same_origin(
            &base,
            &url::Url::parse("https://CLOUD.example/x").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &url::Url::parse("http://cloud.example/x").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &url::Url::parse("https://storage.example/x").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &url::Url::parse("https://cloud.example:8443/x").unwrap()
        ));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert!(
            p.delay(0) <= Duration::from_millis(100) && p.delay(0) >= Duration::from_millis(50)
        );
        assert!(p.delay(3) >= Duration::from_millis(400));
        assert!(p.delay(20) <= Duration::from_secs(1));
    }
}
