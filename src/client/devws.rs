//! Comfy Cloud's developer event socket (seed 000, a prototype API): connect with the key,
//! `subscribe` to patterns such as `job.*`, receive `event` messages, `ping` to keep it alive.
//! Subscriptions are sent again after every reconnect.

use super::{ClientError, Server};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One `event` message.
#[derive(Debug, Clone, Serialize)]
pub struct DevEvent {
    /// `job.completed`, `job.failed`, …
    pub event: String,
    /// ISO time, when sent.
    pub timestamp: Option<String>,
    /// The payload (`id`, `status`, `outputs`, `error`, `progress`, …).
    pub payload: Value,
}

/// An open, subscribed socket.
pub struct DevSocket {
    stream: Stream,
}

/// Connects and subscribes to `patterns`.
pub async fn connect(server: &Server, patterns: &[String]) -> Result<DevSocket, ClientError> {
    let url = server
        .dev_events_url()
        .ok_or_else(|| ClientError::MissingKey {
            var: crate::config::env::CLOUD_API_KEY.into(),
        })?;
    server.log(|| format!("WS connect {}", crate::secret::redact_url(&url)));
    let fail = |reason: String| ClientError::Connect {
        url: server.display_url(),
        reason,
    };
    let (mut stream, _) = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio_tungstenite::connect_async(url.as_str()),
    )
    .await
    .map_err(|_| fail("event socket handshake timed out".into()))?
    .map_err(|e| fail(format!("event socket: {e}")))?;
    let sub = json!({"type": "subscribe", "data": {"events": patterns}});
    stream
        .send(Message::Text(sub.to_string().into()))
        .await
        .map_err(|e| fail(format!("event socket: {e}")))?;
    Ok(DevSocket { stream })
}

impl DevSocket {
    /// The next event; `None` when the socket closed (the caller reconnects). `connected`,
    /// `subscribed` and `pong` are consumed here.
    pub async fn next_event(&mut self) -> Option<DevEvent> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(t)) => {
                    let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                        continue;
                    };
                    if v["type"] != "event" {
                        continue;
                    }
                    return Some(DevEvent {
                        event: v
                            .pointer("/data/event")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        timestamp: v["timestamp"].as_str().map(str::to_string),
                        payload: v.pointer("/data/payload").cloned().unwrap_or(Value::Null),
                    });
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Keeps the connection alive.
    pub async fn ping(&mut self) -> bool {
        self.stream
            .send(Message::Text(json!({"type": "ping"}).to_string().into()))
            .await
            .is_ok()
    }
}
