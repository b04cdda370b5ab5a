//! The servers one MCP session talks to: one profile may list several (`urls`, or several
//! `--url`); a job goes to the least loaded, by the server's own queue plus what this session
//! has in flight there.

use crate::client::Server;
use crate::settings::{ServerKind, Settings};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// One server and what this session has running on it.
pub struct Slot {
    /// The client.
    pub server: Server,
    /// Its resolved settings.
    pub settings: Settings,
    in_flight: AtomicUsize,
}

/// Every server of the session, in the order the profile lists them.
pub struct Pool {
    slots: Vec<Slot>,
}

/// A job counted as in flight on a server until dropped.
pub struct Claim<'a> {
    slot: &'a Slot,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.slot.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pool {
    /// A pool of at least one server.
    pub fn new(servers: Vec<(Server, Settings)>) -> Pool {
        assert!(!servers.is_empty(), "a session has at least one server");
        Pool {
            slots: servers
                .into_iter()
                .map(|(server, settings)| Slot {
                    server,
                    settings,
                    in_flight: AtomicUsize::new(0),
                })
                .collect(),
        }
    }

    /// Every server.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The server an argument names: its URL (as shown, credentials redacted), or its index;
    /// `None` is the first.
    pub fn named(&self, wanted: Option<&str>) -> Result<usize, String> {
        let Some(w) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
            return Ok(0);
        };
        let w = w.trim_end_matches('/');
        if let Some(i) = self
            .slots
            .iter()
            .position(|s| s.server.display_url().trim_end_matches('/') == w)
        {
            return Ok(i);
        }
        if let Ok(i) = w.parse::<usize>()
            && i < self.slots.len()
        {
            return Ok(i);
        }
        Err(format!(
            "no server {w} in this session; servers: {}",
            self.urls().join(", ")
        ))
    }

    /// Every server's URL, credentials redacted.
    pub fn urls(&self) -> Vec<String> {
        self.slots.iter().map(|s| s.server.display_url()).collect()
    }

    /// Counts a job on server `i` until the claim is dropped.
    pub fn claim(&self, i: usize) -> Claim<'_> {
        let slot = &self.slots[i];
        slot.in_flight.fetch_add(1, Ordering::SeqCst);
        Claim { slot }
    }

    /// The server with the fewest jobs: its queue (running + pending, every client's) plus this
    /// session's jobs in flight there. A server that does not answer within two seconds is
    /// skipped; when none answers, the fewest in flight wins.
    pub async fn least_loaded(&self) -> usize {
        if self.slots.len() == 1 {
            return 0;
        }
        let asks = self.slots.iter().map(|s| async move {
            let q = tokio::time::timeout(
                Duration::from_secs(2),
                crate::client::queue::fetch(&s.server),
            )
            .await;
            match q {
                Ok(Ok(q)) => Some(q.running.len() + q.pending.len()),
                _ => None,
            }
        });
        let queues = futures_util::future::join_all(asks).await;
        let load = |i: usize| self.slots[i].in_flight.load(Ordering::SeqCst);
        let answered: Vec<usize> = (0..self.slots.len())
            .filter(|&i| queues[i].is_some())
            .collect();
        let candidates = if answered.is_empty() {
            (0..self.slots.len()).collect()
        } else {
            answered
        };
        candidates
            .into_iter()
            .min_by_key(|&i| (queues[i].unwrap_or(0).max(load(i)), load(i), i))
            .unwrap_or(0)
    }

    /// True when any server of the session is Comfy Cloud (paid).
    pub fn any_cloud(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.settings.kind == ServerKind::Cloud)
    }
}
