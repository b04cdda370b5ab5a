//! What a session may do, decided by the user's flags and never by the agent: how many jobs it
//! may submit, which node types no workflow may use, and whether a job may cost money — a job on
//! Comfy Cloud, or a workflow with paid API (partner) nodes — without asking.

use crate::workflow::Workflow;
use crate::workflow::nodedefs::NodeDefs;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The session's limits.
pub struct Guard {
    /// `--allow-spending`.
    pub allow_spending: bool,
    max_jobs: usize,
    deny: Vec<String>,
    submitted: AtomicUsize,
}

/// Why a job would cost money.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spending {
    /// The server is Comfy Cloud (its URL).
    pub paid_server: Option<String>,
    /// Paid API nodes, as `Class #id`.
    pub paid_nodes: Vec<String>,
    /// The node definitions could not be read, so paid nodes could not be ruled out.
    pub unknown: Option<String>,
}

impl Spending {
    /// Nothing to pay and nothing unknown.
    pub fn free(&self) -> bool {
        self.paid_server.is_none() && self.paid_nodes.is_empty() && self.unknown.is_none()
    }

    /// One sentence naming what costs money.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.paid_server {
            parts.push(format!("it runs on Comfy Cloud ({s}), which bills per job"));
        }
        if !self.paid_nodes.is_empty() {
            parts.push(format!(
                "it uses paid API (partner) nodes: {}",
                self.paid_nodes.join(", ")
            ));
        }
        if let Some(u) = &self.unknown {
            parts.push(format!(
                "paid API nodes cannot be ruled out: the node definitions could not be read ({u})"
            ));
        }
        parts.join("; ")
    }
}

impl Guard {
    /// Limits from the user's flags.
    pub fn new(allow_spending: bool, max_jobs: usize, deny: &[String]) -> Guard {
        Guard {
            allow_spending,
            max_jobs,
            deny: deny
                .iter()
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .collect(),
            submitted: AtomicUsize::new(0),
        }
    }

    /// The node types of `wf` on the deny list, as a refusal naming them.
    pub fn denied(&self, wf: &Workflow) -> Option<String> {
        let mut hits: Vec<String> = wf
            .nodes
            .iter()
            .filter_map(|(id, n)| {
                let class = n.get("class_type")?.as_str()?;
                self.deny
                    .iter()
                    .any(|d| match d.strip_suffix('*') {
                        Some(prefix) => class.starts_with(prefix),
                        None => class == d,
                    })
                    .then(|| format!("{class} #{id}"))
            })
            .collect();
        hits.sort();
        (!hits.is_empty()).then(|| {
            format!(
                "refused: the workflow uses node types the user denied (--deny-nodes): {}",
                hits.join(", ")
            )
        })
    }

    /// What would cost money if `wf` ran on a server of this kind (`cloud_url` for Comfy
    /// Cloud), judged by the server's definitions (`api_node`).
    pub fn spending(
        wf: &Workflow,
        defs: Result<&NodeDefs, String>,
        cloud_url: Option<String>,
    ) -> Spending {
        let mut s = Spending {
            paid_server: cloud_url,
            ..Default::default()
        };
        match defs {
            Ok(d) => {
                s.paid_nodes = wf
                    .nodes
                    .iter()
                    .filter_map(|(id, n)| {
                        let class = n.get("class_type")?.as_str()?;
                        d.get(class)
                            .is_some_and(|def| def.api_node)
                            .then(|| format!("{class} #{id}"))
                    })
                    .collect();
            }
            Err(e) => s.unknown = Some(e),
        }
        s
    }

    /// Takes one job from the session's allowance, or says it is used up.
    pub fn take_job(&self) -> Result<usize, String> {
        let n = self.submitted.fetch_add(1, Ordering::SeqCst);
        if n >= self.max_jobs {
            self.submitted.fetch_sub(1, Ordering::SeqCst);
            return Err(format!(
                "refused: this session may submit {} job(s) (--max-jobs) and has used them all; the user can restart comfyctl mcp with a higher --max-jobs",
                self.max_jobs
            ));
        }
        Ok(n + 1)
    }

    /// Gives a job back (it was never sent: refused by validation, or a failed upload).
    pub fn return_job(&self) {
        self.submitted.fetch_sub(1, Ordering::SeqCst);
    }

    /// Jobs submitted so far, and the limit.
    pub fn jobs(&self) -> (usize, usize) {
        (self.submitted.load(Ordering::SeqCst), self.max_jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wf() -> Workflow {
        crate::workflow::parse_str(
            &json!({
                "1": {"class_type": "OpenAIDalle3", "inputs": {"prompt": "a fox"}},
                "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}},
                "3": {"class_type": "KlingTextToVideoNode", "inputs": {}}
            })
            .to_string(),
            "t.json",
        )
        .unwrap()
    }

    #[test]
    fn deny_list_names_every_hit_and_takes_prefixes() {
        let g = Guard::new(false, 2, &["SaveImage".into(), "Kling*".into(), " ".into()]);
        let m = g.denied(&wf()).unwrap();
        assert!(
            m.contains("SaveImage #2") && m.contains("KlingTextToVideoNode #3"),
            "{m}"
        );
        assert!(Guard::new(false, 2, &[]).denied(&wf()).is_none());
    }

    #[test]
    fn job_allowance_is_counted_and_given_back() {
        let g = Guard::new(false, 2, &[]);
        assert_eq!(g.take_job(), Ok(1));
        assert_eq!(g.take_job(), Ok(2));
        assert!(g.take_job().unwrap_err().contains("--max-jobs"));
        g.return_job();
        assert_eq!(g.take_job(), Ok(2));
    }

    #[test]
    fn paid_nodes_come_from_the_definitions() {
        let defs = NodeDefs::from_value(&json!({
            "OpenAIDalle3": {"input": {"required": {}}, "api_node": true},
            "SaveImage": {"input": {"required": {}}, "api_node": false}
        }))
        .unwrap();
        let s = Guard::spending(&wf(), Ok(&defs), None);
        assert_eq!(s.paid_nodes, ["OpenAIDalle3 #1"]);
        assert!(s.describe().contains("OpenAIDalle3 #1"));
        let s = Guard::spending(
            &wf(),
            Err("offline".into()),
            Some("https://cloud.comfy.org".into()),
        );
        assert!(
            !s.free() && s.describe().contains("Comfy Cloud") && s.describe().contains("offline")
        );
    }
}
