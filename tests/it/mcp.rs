//! `comfyctl mcp` driven by the official Rust SDK's client (rmcp) over the real binary's stdio,
//! against the fake server: the protocol, the tools' schemas and results, progress, a
//! cancellation that stops the job on the server, the allowed directories, the spending guard
//! and the deny list.

use crate::common::fake_server::{CloudOptions, FakeOptions, FakeServer};
use crate::common::{comfyctl_std, sample_workflow, write_workflow};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ClientRequest,
    ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability,
    FormElicitationCapability, ProgressNotificationParam, ProtocolVersion, Request,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RequestContext, RunningService};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "ck-test-secret-0123456789";

/// A client that records what the server tells it and answers confirmations as told.
#[derive(Clone, Default)]
struct Client {
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    list_changed: Arc<Mutex<usize>>,
    asked: Arc<Mutex<Vec<String>>>,
    /// `Some(answer)`: declares elicitation and answers every question so.
    approve: Option<bool>,
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        let mut c = ClientConfig::default();
        c.protocol_version = ProtocolVersion::V_2025_11_25;
        if self.approve.is_some() {
            let mut caps = ClientCapabilities::default();
            caps.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
            c.capabilities = caps;
        }
        c
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        *self.list_changed.lock().unwrap() += 1;
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.asked.lock().unwrap().push(message.clone());
        }
        let mut r = ElicitResult::new(ElicitationAction::Accept);
        r.content = Some(json!({"approve": self.approve == Some(true)}));
        Ok(r)
    }
}

struct Session {
    client: RunningService<RoleClient, Client>,
    handler: Client,
    _child: tokio::process::Child,
}

/// `comfyctl mcp ARGS` in `home`, connected to a client.
async fn start(home: &Path, args: &[&str], env: &[(&str, &str)], handler: Client) -> Session {
    let mut cmd = comfyctl_std(home);
    cmd.arg("mcp")
        .args(args)
        .env("COMFYCTL_MCP_RESCAN_MS", "100")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(home.join("mcp-stderr.log")).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let transport = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let client = handler.clone().serve(transport).await.expect("initialize");
    Session {
        client,
        handler,
        _child: child,
    }
}

/// Prompts submitted, locally or on the fake Comfy Cloud.
fn posts(srv: &FakeServer) -> usize {
    srv.requests()
        .iter()
        .filter(|r| *r == "POST /prompt" || *r == "POST /api/prompt")
        .count()
}

fn call(name: &str, args: Value) -> CallToolRequestParams {
    let mut p = CallToolRequestParams::new(name.to_string());
    p.arguments = args.as_object().cloned();
    p
}

fn text_of(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks a result's structured content against the tool's output schema.
fn conforms(schema: &serde_json::Map<String, Value>, v: &Value) {
    let schema = Value::Object(schema.clone());
    let validator = jsonschema::validator_for(&schema).expect("a valid output schema");
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{v:#}");
}

#[tokio::test]
async fn tools_are_described_fully_and_runs_return_images_with_progress() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::create_dir(home.join("wf")).unwrap();
    write_workflow(&home.join("wf"), "sample.json", &sample_workflow());
    let s = start(
        home,
        &["--url", &srv.url(), "--workflows", "wf", "-o", "out"],
        &[],
        Client::default(),
    )
    .await;
    let tools = s.client.list_all_tools().await.unwrap();
    let size = serde_json::to_string(&tools).unwrap().len();
    assert!(size < 40_000, "tools/list is {size} bytes");
    for t in &tools {
        let a = t.annotations.as_ref().expect("annotations");
        assert!(
            a.read_only_hint.is_some() && a.open_world_hint.is_some(),
            "{}",
            t.name
        );
        let out = t.output_schema.as_ref().expect("an output schema");
        jsonschema::validator_for(&Value::Object((**out).clone())).expect("output schema compiles");
        jsonschema::validator_for(&t.schema_as_json_value()).expect("input schema compiles");
    }
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for n in [
        "run_workflow",
        "workflow_params",
        "job_status",
        "cancel_jobs",
        "sample",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    // The workflow's own tool: its parameters typed by the server's definitions.
    let sample = tools.iter().find(|t| t.name == "sample").unwrap();
    let props = &sample.input_schema["properties"];
    assert_eq!(props["steps"]["type"], "integer");
    assert_eq!(props["steps"]["minimum"], 1);
    assert_eq!(props["steps"]["default"], 4);
    assert!(
        props["sampler"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("dpmpp_2m"))
    );
    assert!(props["ckpt"]["enum"].as_array().is_some(), "{props:#}");
    assert_eq!(props["cfg"]["type"], "number");

    // A workflow tool call with parameters, with a progress token.
    let handle = s
        .client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(call(
                "sample",
                json!({"prompt": "a fox", "steps": 3, "sampler": "dpmpp_2m"}),
            ))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let r = match handle.await_response().await.unwrap() {
        rmcp::model::ServerResult::CallToolResult(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    let sc = r.structured_content.clone().unwrap();
    conforms(sample.output_schema.as_ref().unwrap(), &sc);
    assert_eq!(sc["status"], "success");
    let path = sc["outputs"][0]["path"].as_str().unwrap();
    assert!(
        home.join(path).is_file() || Path::new(path).is_file(),
        "{path}"
    );
    assert!(r.content.iter().any(|c| {
        c.as_image()
            .is_some_and(|i| i.mime_type.starts_with("image/"))
    }));
    let entry = srv
        .history_entry(sc["prompt_id"].as_str().unwrap())
        .unwrap();
    let ks = &entry["prompt"][2]["3"]["inputs"];
    assert_eq!(
        (ks["steps"].clone(), ks["sampler_name"].clone()),
        (json!(3), json!("dpmpp_2m"))
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let progress = s.handler.progress.lock().unwrap().clone();
    assert!(
        progress
            .iter()
            .any(|p| p.message.as_deref().is_some_and(|m| m.contains("KSampler"))),
        "{progress:?}"
    );
    assert!(
        progress
            .iter()
            .any(|p| p.message.as_deref().is_some_and(|m| m.contains("step"))),
        "{progress:?}"
    );
    assert!(
        progress.windows(2).all(|w| w[1].progress > w[0].progress),
        "progress grows"
    );

    // job_status and job_outputs by prompt id.
    let id = sc["prompt_id"].as_str().unwrap();
    let st = s
        .client
        .call_tool(call("job_status", json!({"prompt_id": id})))
        .await
        .unwrap();
    assert_eq!(st.structured_content.unwrap()["status"], "success");
    let outs = s
        .client
        .call_tool(call("job_outputs", json!({"prompt_id": id})))
        .await
        .unwrap();
    assert!(
        outs.content.iter().any(|c| c.as_image().is_some()),
        "{}",
        text_of(&outs)
    );

    // Resources: the guide, the workflow, the server's models.
    let res = s.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = res.iter().map(|r| r.uri.as_str()).collect();
    assert!(
        uris.contains(&"comfyctl://workflows/sample.json"),
        "{uris:?}"
    );
    let read = |uri: &str| rmcp::model::ReadResourceRequestParams::new(uri);
    let guide = s
        .client
        .read_resource(read("comfyctl://guide"))
        .await
        .unwrap();
    assert!(format!("{guide:?}").contains("Exit codes"));
    let models = s
        .client
        .read_resource(read("comfyctl://models/checkpoints"))
        .await
        .unwrap();
    assert!(format!("{models:?}").contains("tiny-random-sd15.safetensors"));
    assert!(
        s.client
            .read_resource(read("comfyctl://models/../x"))
            .await
            .is_err()
    );

    // A new file is a new tool, announced.
    let before = *s.handler.list_changed.lock().unwrap();
    write_workflow(&home.join("wf"), "second one.json", &sample_workflow());
    for _ in 0..50 {
        if *s.handler.list_changed.lock().unwrap() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        *s.handler.list_changed.lock().unwrap() > before,
        "no list_changed"
    );
    let tools = s.client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "second_one"));
    let _ = s.client.cancel().await;
}

#[tokio::test]
async fn a_cancelled_call_interrupts_its_job_on_the_server() {
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(300),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::create_dir(home.join("wf")).unwrap();
    write_workflow(&home.join("wf"), "sample.json", &sample_workflow());
    let s = start(
        home,
        &["--url", &srv.url(), "--workflows", "wf"],
        &[],
        Client::default(),
    )
    .await;
    let handle = s
        .client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(call(
                "run_workflow",
                json!({"workflow": "sample.json", "params": {"steps": 20}}),
            ))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    for _ in 0..100 {
        let p = s.handler.progress.lock().unwrap().clone();
        if p.iter()
            .any(|p| p.message.as_deref().is_some_and(|m| m.contains("step")))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle
        .cancel(Some("the user changed their mind".into()))
        .await
        .unwrap();
    let mut interrupted = false;
    for _ in 0..100 {
        interrupted = srv
            .requests()
            .iter()
            .any(|r| r.starts_with("POST /interrupt"))
            && srv.history_ids().iter().any(|id| {
                srv.history_entry(id)
                    .is_some_and(|e| e.to_string().contains("execution_interrupted"))
            });
        if interrupted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(interrupted, "requests: {:?}", srv.requests());
    assert_eq!(srv.prompt_posts(), 1);
    // The session goes on.
    assert!(s.client.list_all_tools().await.is_ok());
    let _ = s.client.cancel().await;
}

#[tokio::test]
async fn paths_outside_the_allowed_dirs_are_refused_and_bad_calls_are_protocol_errors() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    for d in ["wf", "in", "secret"] {
        std::fs::create_dir(home.join(d)).unwrap();
    }
    let secret = write_workflow(&home.join("secret"), "wf.json", &sample_workflow());
    std::os::unix::fs::symlink(home.join("secret"), home.join("in/link")).unwrap();
    std::fs::write(home.join("secret/photo.png"), b"not for you").unwrap();
    let s = start(
        home,
        &["--url", &srv.url(), "--workflows", "wf", "--inputs", "in"],
        &[],
        Client::default(),
    )
    .await;
    for wf in [
        "../secret/wf.json",
        secret.to_str().unwrap(),
        "link/wf.json",
        "/etc/passwd",
    ] {
        let r = s
            .client
            .call_tool(call("workflow_params", json!({"workflow": wf})))
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true), "{wf}");
        let t = text_of(&r);
        assert!(t.contains("outside") || t.contains(".."), "{wf}: {t}");
    }
    // A refusal is the agent's mistake, not a bug in comfyctl.
    let r = s
        .client
        .call_tool(call("workflow_params", json!({"workflow": "/etc/passwd"})))
        .await
        .unwrap();
    assert!(!text_of(&r).contains("bug"), "{}", text_of(&r));
    // The workflow sent as a JSON string is the workflow, not a path.
    let as_string = sample_workflow().to_string();
    let r = s
        .client
        .call_tool(call("workflow_params", json!({"workflow": as_string})))
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    assert!(text_of(&r).contains("seed"), "{}", text_of(&r));
    let r = s
        .client
        .call_tool(call(
            "run_workflow",
            json!({"workflow": sample_workflow(), "inputs": {"image": "../secret/photo.png"}}),
        ))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert_eq!(srv.prompt_posts(), 0, "nothing was sent");
    let r = s
        .client
        .call_tool(call(
            "convert_workflow",
            json!({"workflow": sample_workflow(), "output": "../escape.json"}),
        ))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(!home.join("escape.json").exists());
    // Malformed calls: protocol errors, and the server lives on.
    let e = s
        .client
        .call_tool(call("no_such_tool", json!({})))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no_such_tool"), "{e}");
    let e = s
        .client
        .call_tool(call("run_workflow", json!({"workflow": 7, "wait": "soon"})))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid"), "{e}");
    let r = s.client.call_tool(call("queue", json!({}))).await.unwrap();
    assert_eq!(r.structured_content.unwrap()["type"], "queue_list");
    let _ = s.client.cancel().await;
}

#[tokio::test]
async fn paid_servers_need_consent_the_deny_list_and_job_limit_hold_and_keys_never_show() {
    let srv = FakeServer::start(FakeOptions {
        cloud: Some(CloudOptions::default()),
        step_delay: Duration::from_millis(5),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::create_dir(home.join("wf")).unwrap();
    write_workflow(&home.join("wf"), "sample.json", &sample_workflow());
    let env = [("COMFYCTL_KIND", "cloud"), ("COMFY_CLOUD_API_KEY", KEY)];
    let base = ["--url", &srv.url(), "--workflows", "wf"];
    let run = call("run_workflow", json!({"workflow": "sample.json"}));

    // No flag, a client that cannot ask: refused, nothing sent.
    let s = start(home, &base, &env, Client::default()).await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert_eq!(r.is_error, Some(true));
    let t = text_of(&r);
    assert!(
        t.contains("Comfy Cloud") && t.contains("--allow-spending"),
        "{t}"
    );
    assert_eq!(posts(&srv), 0);
    for tool in ["health", "queue"] {
        let r = s.client.call_tool(call(tool, json!({}))).await.unwrap();
        assert!(
            !serde_json::to_string(&r).unwrap().contains(KEY),
            "{tool} leaked the key"
        );
    }
    let _ = s.client.cancel().await;

    // The user declines when asked: refused.
    let s = start(
        home,
        &base,
        &env,
        Client {
            approve: Some(false),
            ..Default::default()
        },
    )
    .await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert_eq!(r.is_error, Some(true), "{}", text_of(&r));
    assert!(s.handler.asked.lock().unwrap()[0].contains("Comfy Cloud"));
    assert_eq!(posts(&srv), 0);
    let _ = s.client.cancel().await;

    // The user approves: it runs.
    let s = start(
        home,
        &base,
        &env,
        Client {
            approve: Some(true),
            ..Default::default()
        },
    )
    .await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    assert_eq!(posts(&srv), 1);
    let _ = s.client.cancel().await;

    // --allow-spending, one job allowed, SaveImage denied.
    let mut args = base.to_vec();
    args.extend(["--allow-spending", "--max-jobs", "1"]);
    let s = start(home, &args, &env, Client::default()).await;
    assert_eq!(
        s.client.call_tool(run.clone()).await.unwrap().is_error,
        Some(false)
    );
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert!(text_of(&r).contains("--max-jobs"), "{}", text_of(&r));
    let _ = s.client.cancel().await;
    args.extend(["--deny-nodes", "Foo,SaveImage"]);
    let s = start(home, &args, &env, Client::default()).await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert!(text_of(&r).contains("SaveImage #9"), "{}", text_of(&r));
    let _ = s.client.cancel().await;
    assert_eq!(posts(&srv), 2);
    let log = std::fs::read_to_string(home.join("mcp-stderr.log")).unwrap();
    assert!(!log.contains(KEY), "the key is in the log");
}

#[tokio::test]
async fn paid_api_nodes_are_named_in_the_refusal() {
    let srv = FakeServer::start(FakeOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wf = json!({
        "1": {"class_type": "OpenAIDalle3", "inputs": {"prompt": "a fox", "seed": 1, "quality": "standard", "style": "natural", "size": "1024x1024"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}
    });
    let s = start(dir.path(), &["--url", &srv.url()], &[], Client::default()).await;
    let r = s
        .client
        .call_tool(call("run_workflow", json!({"workflow": wf})))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("OpenAIDalle3 #1"), "{}", text_of(&r));
    assert_eq!(posts(&srv), 0);
    let _ = s.client.cancel().await;
}

/// Over the Comfy API v2 (`auto` finds it): a job runs and returns its image, `wait: false`
/// then `job_status`/`job_outputs` find it by id, `cancel_jobs` asks the v2 server; what needs
/// ComfyUI's own routes (definitions, queue, models) says so; with no definitions to rule out
/// paid API nodes, a job needs consent; the key never shows.
#[tokio::test]
async fn over_the_v2_api_jobs_run_and_what_needs_comfyui_routes_says_so() {
    const TOKEN: &str = "v2-mcp-token-0123456789";
    let srv = FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(5),
        v2: Some(crate::common::fake_v2::V2Options {
            token: Some(TOKEN.into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::create_dir(home.join("wf")).unwrap();
    write_workflow(&home.join("wf"), "sample.json", &sample_workflow());
    let url = srv.v2_url();
    let env = [("COMFY_API_KEY", TOKEN)];
    let run = call(
        "run_workflow",
        json!({"workflow": "sample.json", "params": {"seed": 7}}),
    );
    let leaks = |r: &CallToolResult| serde_json::to_string(r).unwrap().contains(TOKEN);

    // Paid nodes cannot be ruled out without definitions: a client that cannot ask is refused.
    let base = ["--url", url.as_str(), "--workflows", "wf", "-o", "out"];
    let s = start(home, &base, &env, Client::default()).await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("Comfy API v2"), "{}", text_of(&r));
    assert_eq!(srv.v2().submits(), 0);
    let _ = s.client.cancel().await;

    // With the definitions of the ComfyUI behind it, paid nodes are ruled out and workflows
    // are checked: no consent needed, and validate works.
    let defs = reqwest::get(format!("{}/object_info", srv.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    std::fs::write(home.join("oi.json"), &defs).unwrap();
    let mut args = base.to_vec();
    args.extend(["--object-info", "oi.json"]);
    let s = start(home, &args, &env, Client::default()).await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    assert_eq!(srv.v2().submits(), 1);
    let r = s
        .client
        .call_tool(call(
            "validate_workflow",
            json!({"workflow": "sample.json"}),
        ))
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let _ = s.client.cancel().await;

    let mut args = base.to_vec();
    args.push("--allow-spending");
    let s = start(home, &args, &env, Client::default()).await;
    let r = s.client.call_tool(run.clone()).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let v = r.structured_content.clone().unwrap();
    assert_eq!(v["type"], "result");
    assert_eq!(v["status"], "success", "{v:#}");
    assert!(r.content.iter().any(|c| c.as_image().is_some()));
    assert_eq!(srv.v2().submits(), 2);
    assert!(!leaks(&r));

    // Detached, then found by id.
    let mut detached = run.clone();
    detached
        .arguments
        .as_mut()
        .unwrap()
        .insert("wait".into(), json!(false));
    let r = s.client.call_tool(detached).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let sub = r.structured_content.clone().unwrap();
    assert_eq!(sub["type"], "submitted");
    assert_eq!(sub["client_id"], Value::Null);
    let id = sub["prompt_id"].as_str().unwrap().to_string();
    let r = s
        .client
        .call_tool(call("job_outputs", json!({"prompt_id": id})))
        .await
        .unwrap();
    assert_eq!(
        r.structured_content.as_ref().unwrap()["status"],
        "success",
        "{}",
        text_of(&r)
    );
    assert!(r.content.iter().any(|c| c.as_image().is_some()));
    let r = s
        .client
        .call_tool(call("job_status", json!({"prompt_id": id})))
        .await
        .unwrap();
    assert_eq!(
        r.structured_content.as_ref().unwrap()["status"],
        "success",
        "{}",
        text_of(&r)
    );
    let r = s
        .client
        .call_tool(call(
            "job_status",
            json!({"prompt_id": "00000000-0000-4000-8000-000000000000"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        r.structured_content.as_ref().unwrap()["status"],
        "unknown",
        "{}",
        text_of(&r)
    );

    // Cancelling a finished job asks the v2 server about it and says it had ended.
    let before = srv.v2().requests().len();
    let r = s
        .client
        .call_tool(call("cancel_jobs", json!({"prompt_ids": [id]})))
        .await
        .unwrap();
    let c = r.structured_content.clone().unwrap();
    assert_eq!(
        c["results"][0]["result"]["outcome"], "already_finished",
        "{c:#}"
    );
    assert!(
        srv.v2().requests()[before..]
            .iter()
            .any(|(r, _)| r.contains(&format!("/jobs/{id}"))),
        "{:?}",
        srv.v2().requests()
    );

    // Tools that need ComfyUI's own routes say why, without the command line's flags.
    for (tool, a) in [
        ("validate_workflow", json!({"workflow": "sample.json"})),
        ("workflow_deps", json!({"workflow": "sample.json"})),
        ("list_models", json!({"folder": "checkpoints"})),
    ] {
        let r = s.client.call_tool(call(tool, a)).await.unwrap();
        assert_eq!(r.is_error, Some(true), "{tool}: {}", text_of(&r));
        let t = text_of(&r);
        assert!(t.contains("Comfy API v2"), "{tool}: {t}");
        if tool != "list_models" {
            // The way out is this command's flag, not the command line's `run --object-info`.
            assert!(
                t.contains("comfyctl mcp with --object-info FILE"),
                "{tool}: {t}"
            );
        }
        assert!(!leaks(&r), "{tool} leaked the key");
    }
    // The queue is the v2 job list (nothing left running here).
    let r = s.client.call_tool(call("queue", json!({}))).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let q = r.structured_content.clone().unwrap();
    assert_eq!(q["type"], "queue_list", "{q:#}");
    assert_eq!(q["running"], json!([]), "{q:#}");
    let r = s.client.call_tool(call("health", json!({}))).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    assert!(!leaks(&r));
    // The same checklist as `comfyctl health`: over v2 that includes the key.
    let h = r.structured_content.clone().unwrap();
    let key = h["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "key")
        .unwrap_or_else(|| panic!("no key check: {h:#}"));
    assert_eq!(key["status"], "ok", "{h:#}");
    let log = std::fs::read_to_string(home.join("mcp-stderr.log")).unwrap();
    assert!(!log.contains(TOKEN), "the key is in the log");
    let _ = s.client.cancel().await;
}

/// Started without a client (stdin closed at once): a usage error that says what it is for,
/// not an internal error.
#[test]
fn without_a_client_it_says_what_it_is_for() {
    let dir = tempfile::tempdir().unwrap();
    let o = crate::common::comfyctl(dir.path())
        .args(["mcp", "--url", "http://127.0.0.1:9"])
        .write_stdin("")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no MCP session") && err.contains("MCP client"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

/// Ctrl-C ends a session like any command (exit 130); a client closing stdin ends it with 0.
#[test]
fn ctrl_c_ends_a_session_with_130_and_the_client_leaving_with_0() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;
    for interrupt in [true, false] {
        let mut child = comfyctl_std(dir.path())
            .args(["mcp", "--url", "http://127.0.0.1:9"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{init}").unwrap();
        writeln!(
            stdin,
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        if interrupt {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGINT,
            )
            .unwrap();
        } else {
            drop(stdin);
        }
        let out = child.wait_with_output().unwrap();
        let want = if interrupt { 130 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first = out.stdout.split(|b| *b == b'\n').next().unwrap();
        let answer: Value = serde_json::from_slice(first).unwrap();
        assert_eq!(answer["id"], 1, "{answer}");
        assert!(answer["result"]["serverInfo"].is_object(), "{answer}");
    }
}
