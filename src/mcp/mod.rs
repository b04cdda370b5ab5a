//! `comfyctl mcp`: the Model Context Protocol server. Every tool is a thin adapter over the
//! library the commands use — `prepare` to read and check a workflow, `client::job::Job` to run
//! it, the `report` shapes for results — so an agent gets the CLI's behaviour and JSON without
//! re-learning flags. What only the user may decide (spending, installing, which directories
//! are readable, how many jobs) comes from `comfyctl mcp`'s flags ([`McpOptions`]).
//!
//! - [`tools`]: the generic tools; [`workflows`]: one tool per workflow file of `--workflows`.
//! - [`calls`]: what each tool does; [`consent`]: asking before a job costs money.
//! - [`guard`], [`paths`]: the session's limits and the allowed directories.
//! - [`progress`]: job events as progress notifications; [`images`]: thumbnails.

mod calls;
mod consent;
pub mod guard;
pub mod images;
mod jobs;
pub mod paths;
pub mod progress;
mod resources;
pub mod schema;
pub mod servers;
pub mod shapes;
pub mod tools;
pub mod workflows;

use crate::client::JobOptions;
use crate::client::object_info::Defs;
use crate::client::outputs::SaveOptions;
use crate::printer::Printer;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData as McpError, ServerHandler};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Everything a session needs, resolved from flags, environment and config before it starts.
pub struct McpOptions {
    /// The servers (one profile may list several), with their settings.
    pub servers: Vec<(crate::client::Server, crate::settings::Settings)>,
    /// Where outputs are saved, and how.
    pub save: SaveOptions,
    /// Timeouts for following jobs.
    pub job: JobOptions,
    /// `--workflows DIR`.
    pub workflows: Option<PathBuf>,
    /// `--inputs DIR`.
    pub inputs: Option<PathBuf>,
    /// `--allow-spending`.
    pub allow_spending: bool,
    /// `--max-jobs`.
    pub max_jobs: usize,
    /// `--deny-nodes`.
    pub deny_nodes: Vec<String>,
    /// `--allow-install`.
    pub allow_install: bool,
    /// `--object-info FILE`, read: definitions for servers that serve none (v2).
    pub object_info: Option<Arc<Defs>>,
    /// `--thumbnail-px`.
    pub thumbnail_px: u32,
    /// How often the workflows dir is looked at for changes.
    pub rescan: Duration,
    /// Messages for people (stderr; stdout is the protocol).
    pub printer: Printer,
}

/// The state of one session, shared by every request.
pub struct Session {
    opts: McpOptions,
    pool: servers::Pool,
    allowed: paths::Allowed,
    guard: guard::Guard,
    generic: Vec<rmcp::model::Tool>,
    catalog: workflows::Catalog,
    /// Node definitions per server, loaded once (they are also cached on disk).
    defs: tokio::sync::Mutex<HashMap<usize, Arc<Defs>>>,
    /// Which server each prompt this session sent went to.
    sent: Mutex<HashMap<String, usize>>,
    /// Who hears about changed lists: sessions that initialised, and listen subscriptions.
    notify: Mutex<Notify>,
    consents: consent::Pending,
    /// Jobs running now, so the session can wait for them to stop when it ends.
    active: Active,
    secrets: Vec<String>,
    /// Cancelled when the session ends (Ctrl-C, the client went away): stops its jobs.
    stop: CancellationToken,
}

#[derive(Default)]
struct Notify {
    peers: Vec<rmcp::service::Peer<RoleServer>>,
    sinks: Vec<rmcp::service::SubscriptionSink>,
}

/// The MCP handler: a cheap handle on the session.
#[derive(Clone)]
pub struct ComfyMcp {
    s: Arc<Session>,
}

impl ComfyMcp {
    /// A session; `stop` is cancelled when it ends.
    pub fn new(opts: McpOptions, stop: CancellationToken) -> ComfyMcp {
        let pool = servers::Pool::new(opts.servers.clone());
        let allowed = paths::Allowed::new(
            opts.workflows.as_deref(),
            opts.inputs.as_deref(),
            &opts.save.output_dir,
        );
        let guard = guard::Guard::new(opts.allow_spending, opts.max_jobs, &opts.deny_nodes);
        let generic = tools::generic(pool.slots().len(), opts.allow_install);
        let mut secrets = Vec::new();
        for (_, s) in &opts.servers {
            if let Some((_, k)) = &s.api_key {
                secrets.push(k.expose().to_string());
            }
            secrets.extend(s.headers.values().map(|v| v.expose().to_string()));
            if let Some(k) = &s.partner_key {
                secrets.push(k.expose().to_string());
            }
        }
        secrets.retain(|s| s.len() >= 6);
        let catalog = workflows::Catalog::new(opts.workflows.clone(), pool.slots().len());
        ComfyMcp {
            s: Arc::new(Session {
                opts,
                pool,
                allowed,
                guard,
                generic,
                catalog,
                defs: Default::default(),
                sent: Default::default(),
                notify: Default::default(),
                consents: Default::default(),
                active: Default::default(),
                secrets,
                stop,
            }),
        }
    }

    /// Starts the background work: the workflow catalog's first scan and its rescans.
    pub fn start(&self) {
        if self.s.opts.workflows.is_some() {
            let me = self.clone();
            tokio::spawn(async move { me.watch_workflows().await });
        }
    }

    /// Scans the workflows dir, then again every `rescan`; each change is announced.
    async fn watch_workflows(self) {
        let s = &self.s;
        // API-format files need no server: they are tools at once.
        if s.catalog.refresh(None, &s.opts.printer) {
            self.list_changed().await;
        }
        loop {
            let defs = match self.load_defs(0, true).await {
                Ok(d) => Some(d),
                Err(e) => {
                    s.opts.printer.debug(&format!("node definitions: {e:#}"));
                    s.catalog.definitions_unavailable();
                    None
                }
            };
            let changed = s.catalog.refresh(defs.as_deref(), &s.opts.printer);
            if changed {
                self.list_changed().await;
            }
            tokio::select! {
                _ = s.stop.cancelled() => return,
                _ = tokio::time::sleep(s.opts.rescan) => {}
            }
        }
    }

    /// Tells every client listening that the tool and resource lists changed; subscriptions
    /// that have ended are forgotten.
    async fn list_changed(&self) {
        let (peers, sinks) = {
            let n = self.s.notify.lock().expect("not poisoned");
            (n.peers.clone(), n.sinks.clone())
        };
        for p in peers {
            let _ = p.notify_tool_list_changed().await;
            let _ = p.notify_resource_list_changed().await;
        }
        let mut closed = Vec::new();
        for s in sinks {
            if let Err(rmcp::service::SubscriptionSendError::SubscriptionClosed) =
                s.notify_tool_list_changed().await
            {
                closed.push(s.id().clone());
                continue;
            }
            let _ = s.notify_resource_list_changed().await;
        }
        if !closed.is_empty() {
            let mut n = self.s.notify.lock().expect("not poisoned");
            n.sinks.retain(|s| !closed.contains(s.id()));
        }
    }

    /// Node definitions of server `i`, loaded once per session (from comfyctl's disk cache when
    /// the server's version is cached).
    async fn defs(&self, i: usize) -> anyhow::Result<Arc<Defs>> {
        self.load_defs(i, false).await
    }

    /// [`Self::defs`]; `once` asks the server a single time instead of retrying (the
    /// catalog's background load, which must not hold up the first listing when the server is
    /// down: it tries again at the next rescan).
    async fn load_defs(&self, i: usize, once: bool) -> anyhow::Result<Arc<Defs>> {
        let mut map = self.s.defs.lock().await;
        if let Some(d) = map.get(&i) {
            return Ok(d.clone());
        }
        let mut server = self.s.pool.slots()[i].server.clone();
        if once {
            server.retry.attempts = 1;
        }
        let d = match crate::prepare::load_defs(Some(&server), &crate::prepare::DefsSpec::default())
            .await
        {
            Ok(d) => Arc::new(d),
            // The command's error names flags (--no-validate) this server lacks.
            Err(e)
                if self.is_v2(i).await && e.downcast_ref::<crate::error::Failure>().is_some() =>
            {
                match &self.s.opts.object_info {
                    Some(d) => d.clone(),
                    None => {
                        return Err(crate::error::Failure::usage(format!(
                            "{} speaks the Comfy API v2, which serves no node definitions: checking a workflow, its dependencies, converting an editor workflow and the paid-node check need them (the user can start comfyctl mcp with --object-info FILE, saved from the ComfyUI behind it)",
                            server.display_url()
                        ))
                        .into());
                    }
                }
            }
            Err(e) => return Err(e),
        };
        map.insert(i, d.clone());
        Ok(d)
    }

    /// Whether server `i` is driven through the Comfy API v2 (`--api`, or `auto` asking once).
    async fn is_v2(&self, i: usize) -> bool {
        self.s.pool.slots()[i].server.api().await == crate::client::api::Api::V2
    }

    /// The refusal of a tool that needs ComfyUI's own routes, on a v2 server.
    fn not_over_v2(&self, i: usize, what: &str) -> CallToolResult {
        failure(format!(
            "{} speaks the Comfy API v2, which has no {what}; run_workflow, job_status, job_outputs and cancel_jobs work there",
            self.s.pool.slots()[i].server.display_url()
        ))
    }

    /// Removes every secret of the session from text (keys never reach a result).
    fn scrub(&self, text: &str) -> String {
        let mut t = crate::secret::redact_text(text);
        for s in &self.s.secrets {
            if t.contains(s.as_str()) {
                t = t.replace(s.as_str(), "(redacted)");
            }
        }
        t
    }

    /// [`Self::scrub`] over every string of a result.
    fn scrub_value(&self, v: &mut Value) {
        match v {
            Value::String(s) if self.s.secrets.iter().any(|k| s.contains(k.as_str())) => {
                *s = self.scrub(s);
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub_value(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.scrub_value(x)),
            _ => {}
        }
    }

    fn scrub_result(&self, mut r: CallToolResult) -> CallToolResult {
        if let Some(v) = &mut r.structured_content {
            self.scrub_value(v);
        }
        for c in &mut r.content {
            if let ContentBlock::Text(t) = c {
                t.text = self.scrub(&t.text);
            }
        }
        r
    }
}

/// A tool's result: the report shape as structured content, and a short text for people and
/// clients that read only text.
pub fn result_of<T: crate::report::Shape>(shape: &T, text: String, ok: bool) -> CallToolResult {
    let v = crate::report::to_value(shape);
    let mut r = CallToolResult::structured(v);
    r.content = vec![ContentBlock::text(text)];
    r.is_error = Some(!ok);
    r
}

/// A tool's failure the agent should read (not a protocol error).
pub fn failure(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

const INSTRUCTIONS: &str = "comfyctl drives ComfyUI servers. workflow_params lists what run_workflow's params can change; validate_workflow checks without running; run_workflow waits and returns outputs (or wait=false and job_outputs later). Jobs on Comfy Cloud or with paid API nodes need the user's consent. The guide is the resource comfyctl://guide.";

impl ServerHandler for ComfyMcp {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        let mut info = Implementation::new("comfyctl", env!("CARGO_PKG_VERSION"));
        info.title = Some("comfyctl".into());
        ServerConfig::new(caps)
            .with_server_info(info)
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        self.s.catalog.wait_first_scan().await;
        let mut tools = self.s.generic.clone();
        tools.extend(self.s.catalog.tools());
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let out = self.call(request, &context).await?;
        Ok(match out {
            CallToolResponse::Complete(r) => CallToolResponse::Complete(self.scrub_result(r)),
            other => other,
        })
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        self.s.catalog.wait_first_scan().await;
        Ok(ListResourcesResult::with_all_items(self.resources()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.resource_templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        self.read(&request.uri)
            .await
            .map(ReadResourceResponse::from)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.s
            .notify
            .lock()
            .expect("not poisoned")
            .peers
            .push(context.peer);
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut f = SubscriptionFilter::new();
        f.tools_list_changed = requested.tools_list_changed;
        f.resources_list_changed = requested.resources_list_changed;
        Some(f)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        self.s
            .notify
            .lock()
            .expect("not poisoned")
            .sinks
            .push(context.sink().clone());
        context.cancelled().await;
        Ok(())
    }
}

/// Serves one session on `transport` until the client goes away or `stop` is cancelled; then
/// stops the jobs the session still has running.
pub async fn serve<T, E, A>(
    opts: McpOptions,
    transport: T,
    stop: CancellationToken,
) -> anyhow::Result<()>
where
    T: rmcp::transport::IntoTransport<RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    use rmcp::ServiceExt;
    use rmcp::service::ServerInitializeError;
    let handler = ComfyMcp::new(opts, stop.child_token());
    handler.start();
    let session = handler.s.clone();
    let running = match handler.serve_with_ct(transport, stop.child_token()).await {
        Ok(r) => r,
        Err(ServerInitializeError::Cancelled) => return Ok(()),
        Err(e @ ServerInitializeError::TransportError { .. }) => return Err(e.into()),
        // Someone ran it by hand, or a client that is not speaking MCP.
        Err(e) => {
            return Err(crate::error::Failure::usage(format!(
                "no MCP session: {e}"
            ))
            .with_hint(
                "comfyctl mcp is started by an MCP client (Claude Desktop, Claude Code, Cursor, …), which talks to it on stdin and stdout; the README's `comfyctl mcp` section shows how each client is set up",
            )
            .into());
        }
    };
    let _ = running.waiting().await;
    // The client is gone: jobs still running were this session's own; stop them on the server
    // (interrupt or dequeue, as Ctrl-C does) and give that a moment to happen.
    session.stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), session.active.idle()).await;
    Ok(())
}

/// Counts running jobs; [`Active::idle`] waits for none.
#[derive(Default)]
pub struct Active {
    count: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// One running job, counted until dropped.
pub struct ActiveJob<'a>(&'a Active);

impl Active {
    /// Counts a job until the returned guard is dropped.
    pub fn begin(&self) -> ActiveJob<'_> {
        self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ActiveJob(self)
    }

    /// Waits until no job runs.
    pub async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for ActiveJob<'_> {
    fn drop(&mut self) {
        if self
            .0
            .count
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            self.0.idle.notify_waiters();
        }
    }
}
