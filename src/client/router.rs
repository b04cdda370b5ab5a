//! One WebSocket per server for many jobs (`batch`): messages are routed to each job's follower
//! by `prompt_id`, so a thousand-job batch holds one socket per server, not one per job, and
//! never two live sockets under one client id.

use super::events::ServerMessage;
use super::{ClientError, Server, ws};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What a follower receives.
#[derive(Debug)]
pub enum Routed {
    /// A message for this job.
    Msg(ServerMessage),
    /// The socket dropped and is back: messages may have been missed, ask the server.
    Gap,
    /// The socket is down: poll until a `Gap` says it is back.
    Down,
}

/// Messages for prompts nobody has subscribed to yet are kept briefly: on Comfy Cloud the
/// prompt id is only known once the submission answers, and its first messages can arrive
/// before that.
const EARLY_PROMPTS: usize = 256;
const EARLY_PER_PROMPT: usize = 64;

#[derive(Default)]
struct State {
    subs: HashMap<String, mpsc::UnboundedSender<Routed>>,
    early: HashMap<String, Vec<ServerMessage>>,
    early_order: VecDeque<String>,
    /// The prompt the server is executing: messages without a prompt id (progress from old
    /// servers, type-1 previews, text frames) belong to it.
    current: Option<String>,
    up: bool,
}

impl State {
    fn broadcast(&mut self, what: fn() -> Routed) {
        self.subs.retain(|_, tx| tx.send(what()).is_ok());
    }

    fn route(&mut self, m: ServerMessage) {
        let pid = m.prompt_id().map(str::to_string);
        let Some(pid) = pid else {
            if matches!(
                m,
                ServerMessage::Progress { .. }
                    | ServerMessage::Preview { .. }
                    | ServerMessage::Text { .. }
            ) && let Some(cur) = &self.current
                && let Some(tx) = self.subs.get(cur)
            {
                let _ = tx.send(Routed::Msg(m));
            }
            return;
        };
        match &m {
            ServerMessage::ExecutionStart { .. }
            | ServerMessage::Executing { node: Some(_), .. } => {
                self.current = Some(pid.clone());
            }
            ServerMessage::ExecutionSuccess { .. }
            | ServerMessage::ExecutionInterrupted { .. }
            | ServerMessage::Executing { node: None, .. }
            | ServerMessage::ExecutionError { blocked: false, .. }
                if self.current.as_deref() == Some(pid.as_str()) =>
            {
                self.current = None;
            }
            _ => {}
        }
        if let Some(tx) = self.subs.get(&pid) {
            if tx.send(Routed::Msg(m)).is_err() {
                self.subs.remove(&pid);
            }
            return;
        }
        if matches!(m, ServerMessage::Preview { .. }) {
            return;
        }
        if !self.early.contains_key(&pid) {
            if self.early_order.len() >= EARLY_PROMPTS
                && let Some(old) = self.early_order.pop_front()
            {
                self.early.remove(&old);
            }
            self.early_order.push_back(pid.clone());
        }
        let buf = self.early.entry(pid).or_default();
        if buf.len() < EARLY_PER_PROMPT {
            buf.push(m);
        }
    }
}

/// A follower's end of the router. Dropping it unsubscribes.
pub struct Subscription {
    /// Routed messages.
    pub rx: mpsc::UnboundedReceiver<Routed>,
    prompt_id: String,
    state: Arc<Mutex<State>>,
}

impl Subscription {
    /// A subscription fed by hand (unit tests of the follower replay recordings through it).
    #[cfg(test)]
    pub(crate) fn fed() -> (mpsc::UnboundedSender<Routed>, Subscription) {
        let (tx, rx) = mpsc::unbounded_channel();
        let sub = Subscription {
            rx,
            prompt_id: String::new(),
            state: Arc::new(Mutex::new(State::default())),
        };
        (tx, sub)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut s) = self.state.lock() {
            s.subs.remove(&self.prompt_id);
        }
    }
}

/// The shared socket of one server.
pub struct Router {
    /// The client id every job on this server is submitted under.
    pub client_id: String,
    state: Arc<Mutex<State>>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Router {
    /// Connects (three tries) and starts routing. When the socket cannot be opened the router
    /// keeps trying in the background and followers poll meanwhile; the error is returned
    /// alongside so the caller can say so.
    pub async fn start(server: Server) -> (Router, Option<ClientError>) {
        let client_id = uuid::Uuid::new_v4().to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = CancellationToken::new();
        let (first, err) =
            match ws::connect_with_retries(&server, &client_id, 3, &CancellationToken::new()).await
            {
                Ok(c) => {
                    state.lock().expect("router state").up = true;
                    (Some(c), None)
                }
                Err(e) => (None, Some(e)),
            };
        let task = tokio::spawn(pump(
            server,
            client_id.clone(),
            first,
            state.clone(),
            stop.clone(),
        ));
        (
            Router {
                client_id,
                state,
                stop,
                task,
            },
            err,
        )
    }

    /// Starts receiving `prompt_id`'s messages, including any that arrived before this call.
    /// A follower subscribing while the socket is down is told so at once.
    pub fn subscribe(&self, prompt_id: &str) -> Subscription {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut s = self.state.lock().expect("router state");
        if let Some(early) = s.early.remove(prompt_id) {
            s.early_order.retain(|p| p != prompt_id);
            for m in early {
                let _ = tx.send(Routed::Msg(m));
            }
        }
        if !s.up {
            let _ = tx.send(Routed::Down);
        }
        s.subs.insert(prompt_id.to_string(), tx);
        Subscription {
            rx,
            prompt_id: prompt_id.to_string(),
            state: self.state.clone(),
        }
    }

    /// Whether the socket is connected now.
    pub fn is_up(&self) -> bool {
        self.state.lock().map(|s| s.up).unwrap_or(false)
    }

    /// Closes the socket (waiting for the close to finish) and stops the task.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.task).await;
    }
}

async fn pump(
    server: Server,
    client_id: String,
    mut conn: Option<ws::WsConn>,
    state: Arc<Mutex<State>>,
    stop: CancellationToken,
) {
    loop {
        let mut c = match conn.take() {
            Some(c) => c,
            // Down: keep trying (with the server's backoff) until the batch ends.
            None => match ws::retry_connect(&server.retry, u32::MAX, true, &stop, None, || {
                ws::connect(&server, &client_id)
            })
            .await
            {
                Ok((c, _)) => {
                    let mut s = state.lock().expect("router state");
                    s.up = true;
                    s.current = None;
                    s.broadcast(|| Routed::Gap);
                    c
                }
                Err(_) => return,
            },
        };
        loop {
            tokio::select! {
                _ = stop.cancelled() => {
                    c.close().await;
                    return;
                }
                m = c.next() => match m {
                    Some(m) => state.lock().expect("router state").route(m),
                    None => break,
                }
            }
        }
        let mut s = state.lock().expect("router state");
        s.up = false;
        s.broadcast(|| Routed::Down);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(kind: &str, data: serde_json::Value) -> ServerMessage {
        super::super::events::parse_text(&json!({"type": kind, "data": data}).to_string()).unwrap()
    }

    #[test]
    fn routes_by_prompt_and_gives_unattributed_progress_to_the_running_prompt() {
        let state = Arc::new(Mutex::new(State {
            up: true,
            ..State::default()
        }));
        let (ta, mut ra) = mpsc::unbounded_channel();
        let (tb, mut rb) = mpsc::unbounded_channel();
        {
            let mut s = state.lock().unwrap();
            s.subs.insert("a".into(), ta);
            s.subs.insert("b".into(), tb);
            s.route(msg("execution_start", json!({"prompt_id": "b"})));
            s.route(msg("progress", json!({"value": 1, "max": 2})));
            s.route(msg("executing", json!({"node": null, "prompt_id": "b"})));
            s.route(msg("progress", json!({"value": 2, "max": 2})));
            s.route(msg("execution_start", json!({"prompt_id": "c"})));
        }
        assert!(ra.try_recv().is_err(), "nothing for a");
        let mut got = 0;
        while rb.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, 3, "start, the unattributed progress, the end");
        // c had no subscriber: kept until it subscribes.
        let early = state.lock().unwrap().early.get("c").map(Vec::len);
        assert_eq!(early, Some(1));
    }
}
