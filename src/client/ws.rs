//! The WebSocket connection: connect with our client id and credentials, negotiate feature flags,
//! read parsed messages.

use super::events::{ServerMessage, parse_binary, parse_text};
use super::{ClientError, Server};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

/// Bytes asked of the socket per read (see `connect`).
const READ_BUFFER: usize = 64 * 1024;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open WebSocket.
pub struct WsConn {
    stream: Stream,
    /// Read while connecting (the greeting), handed out first.
    pending: Option<ServerMessage>,
}

/// Opens `/ws?clientId=…` and sends `feature_flags` first, so type-4 previews carry prompt and
/// node attribution (docs/protocol.md, "WebSocket"). Older servers ignore the frame.
pub async fn connect(server: &Server, client_id: &str) -> Result<WsConn, ClientError> {
    let url = server.ws_url(client_id);
    server.log(|| format!("WS connect {}", crate::secret::redact_url(&url)));
    let mut req = url
        .as_str()
        .into_client_request()
        .map_err(|e| ClientError::Connect {
            url: server.display_url(),
            reason: e.to_string(),
        })?;
    for (k, v) in server.auth_headers_for(&server.base) {
        if let (Ok(name), Ok(val)) = (
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v.expose()),
        ) {
            req.headers_mut().insert(name, val);
        }
    }
    // Nagle off: our few small frames (feature flags, close) should not wait for an ACK.
    // Read size: tungstenite zero-fills the whole read buffer before every read. Measured with
    // bench/ws_ingest.sh, 64 KiB beats the default 128 KiB (less zeroing) and 8 KiB (more reads).
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let connector = (server.insecure && url.scheme() == "wss")
        .then(|| tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(insecure_tls())));
    let connect =
        tokio_tungstenite::connect_async_tls_with_config(req, Some(config), true, connector);
    let (mut stream, _) = tokio::time::timeout(std::time::Duration::from_secs(10), connect)
        .await
        .map_err(|_| ClientError::Connect {
            url: server.display_url(),
            reason: "WebSocket handshake timed out".into(),
        })?
        .map_err(|e| ClientError::Connect {
            url: server.display_url(),
            reason: format!("WebSocket: {e}"),
        })?;
    let flags =
        serde_json::json!({"type": "feature_flags", "data": {"supports_preview_metadata": true}});
    stream
        .send(Message::Text(flags.to_string().into()))
        .await
        .map_err(|e| ClientError::Connect {
            url: server.display_url(),
            reason: format!("WebSocket: {e}"),
        })?;
    // ComfyUI registers the socket under our client id only after the handshake, then greets it
    // with a `status` message. Until that greeting, messages for our client id are dropped, so
    // a job submitted at once (an all-cached one finishes in milliseconds) could end unseen.
    let mut conn = WsConn {
        stream,
        pending: None,
    };
    if let Ok(first) = tokio::time::timeout(std::time::Duration::from_secs(2), conn.read()).await {
        match first {
            Some(m) => conn.pending = Some(m),
            None => {
                return Err(ClientError::Connect {
                    url: server.display_url(),
                    reason: "WebSocket closed right after the handshake".into(),
                });
            }
        }
    }
    Ok(conn)
}

/// The one reconnect-with-backoff loop (job sockets, a batch's shared socket, `watch`, the
/// Cloud event socket): calls `connect` up to `attempts` times, sleeping the server's backoff
/// before each try (before the first too when `wait_first`: the old socket just failed), until
/// one works, Ctrl-C, or `deadline`. Returns the connection and the attempts it took.
pub async fn retry_connect<T, Fut>(
    policy: &super::RetryPolicy,
    attempts: u32,
    wait_first: bool,
    cancel: &tokio_util::sync::CancellationToken,
    deadline: Option<std::time::Instant>,
    mut connect: impl FnMut() -> Fut,
) -> Result<(T, u32), ClientError>
where
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut last = None;
    for n in 0..attempts {
        if n > 0 || wait_first {
            let wait = policy.delay(if wait_first { n } else { n - 1 });
            let past_deadline = async {
                match deadline {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return Err(ClientError::Cancelled),
                _ = past_deadline => break,
            }
        }
        match connect().await {
            Ok(c) => return Ok((c, n + 1)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ClientError::Connect {
        url: String::new(),
        reason: "gave up before reconnecting".into(),
    }))
}

/// Opens our socket with a few quick retries (before a submission).
pub async fn connect_with_retries(
    server: &Server,
    client_id: &str,
    attempts: u32,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<WsConn, ClientError> {
    retry_connect(&server.retry, attempts, false, cancel, None, || {
        connect(server, client_id)
    })
    .await
    .map(|(c, _)| c)
}

impl WsConn {
    /// The next server message; `None` when the socket closed or failed (the caller reconnects).
    pub async fn next(&mut self) -> Option<ServerMessage> {
        if let Some(m) = self.pending.take() {
            return Some(m);
        }
        self.read().await
    }

    async fn read(&mut self) -> Option<ServerMessage> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(t)) => {
                    if let Some(m) = parse_text(t.as_str()) {
                        return Some(m);
                    }
                }
                Ok(Message::Binary(b)) => return Some(parse_binary(&b)),
                Ok(Message::Close(_)) => return None,
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Closes and waits for the close to complete, so a reconnect under the same client id is
    /// not evicted by the old socket's cleanup (docs/protocol.md, "WebSocket").
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
            let _ = self.stream.close(None).await;
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
    }
}

/// A TLS client that accepts any certificate: `--insecure` only (announced on every run).
fn insecure_tls() -> rustls::ClientConfig {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(AcceptAny(provider)))
        .with_no_client_auth()
}

/// Accepts every certificate, still checking that the handshake is signed by its key.
#[derive(Debug)]
struct AcceptAny(std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
