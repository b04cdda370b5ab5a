//! The runner's events as MCP progress notifications: one more reporter, like the progress
//! bars and JSON Lines. Progress counts finished nodes, with the sampler's steps as the fraction
//! of the node that runs; the message says what happens in words.

use crate::client::{JobEvent, Reporter};
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RoleServer};
use tokio::sync::mpsc;

/// Turns job events into progress notifications for one request's progress token.
pub struct McpReporter {
    token: ProgressToken,
    tx: mpsc::UnboundedSender<ProgressNotificationParam>,
    /// Nodes finished so far.
    done: f64,
    /// Nodes in the prompt.
    total: Option<f64>,
    /// The last progress value sent (it must grow with every notification).
    last: Option<f64>,
    /// The node running now, as people know it.
    node: Option<String>,
}

impl McpReporter {
    /// A reporter whose notifications a task sends to `peer` in order (the runner reports
    /// synchronously; sending is async). The task ends when the reporter is dropped.
    pub fn new(peer: Peer<RoleServer>, token: ProgressToken) -> McpReporter {
        let (tx, mut rx) = mpsc::unbounded_channel::<ProgressNotificationParam>();
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                if peer.notify_progress(p).await.is_err() {
                    break;
                }
            }
        });
        McpReporter {
            token,
            tx,
            done: 0.0,
            total: None,
            last: None,
            node: None,
        }
    }

    fn send(&mut self, progress: f64, message: String) {
        // Progress must increase with each notification; a message at the same point moves
        // it on by a hair.
        let progress = match self.last {
            Some(l) if progress <= l => l + 0.001,
            _ => progress,
        };
        self.last = Some(progress);
        let mut p =
            ProgressNotificationParam::new(self.token.clone(), progress).with_message(message);
        if let Some(t) = self.total {
            p = p.with_total(t.max(progress));
        }
        let _ = self.tx.send(p);
    }
}

impl Reporter for McpReporter {
    fn report(&mut self, event: JobEvent) {
        match event {
            JobEvent::Submitted {
                prompt_id, nodes, ..
            } => {
                self.total = Some(nodes as f64);
                self.send(0.0, format!("queued as prompt {prompt_id} ({nodes} nodes)"));
            }
            JobEvent::Started => self.send(self.done, "running".into()),
            JobEvent::Cached { nodes } if !nodes.is_empty() => {
                self.send(self.done, format!("{} node(s) from cache", nodes.len()))
            }
            JobEvent::Node {
                node,
                class_type,
                title,
                done,
                total,
            } => {
                self.done = done as f64;
                self.total = Some(total as f64);
                let class = class_type.unwrap_or_else(|| "?".into());
                let name = match title {
                    Some(t) if t != class => format!("{t} ({class} #{node})"),
                    _ => format!("{class} #{node}"),
                };
                self.node = Some(name.clone());
                self.send(self.done, format!("[{}/{total}] {name}", done + 1));
            }
            JobEvent::Progress { value, max, .. } if max > 0.0 => {
                let frac = (value / max).clamp(0.0, 0.999);
                let name = self.node.clone().unwrap_or_else(|| "sampler".into());
                self.send(
                    self.done + frac,
                    format!("{name}: step {value:.0}/{max:.0}"),
                );
            }
            JobEvent::Finished { status, elapsed } => {
                let end = self.total.unwrap_or(self.done.max(1.0));
                self.done = end;
                self.send(end, format!("{status} in {elapsed:.1}s"));
            }
            JobEvent::Saved { path, bytes, .. } => {
                self.send(self.done, format!("saved {path} ({bytes} bytes)"))
            }
            JobEvent::ServerDown { reason, window_s } => self.send(
                self.done,
                format!("the server stopped answering ({reason}); waiting up to {window_s:.0}s"),
            ),
            JobEvent::ServerBack { after_s } => {
                self.send(self.done, format!("the server is back after {after_s:.1}s"))
            }
            JobEvent::Warning { message } | JobEvent::Notice { message } => {
                self.send(self.done, message)
            }
            _ => {}
        }
    }
}
