//! Asking the user before a job costs money. The answer comes from the user, never from the
//! agent: `--allow-spending` on the server's command line, or a form the client shows the user
//! (elicitation: a request to the client on protocols before 2026-07-28, an input-required
//! result on 2026-07-28 and later). A client that can do neither gets a refusal: it fails
//! closed.

use super::ComfyMcp;
use super::guard::Spending;
use rmcp::model::{
    CallToolRequestParams, ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationSchema, InputRequest, InputRequests, InputRequiredResult, ProtocolVersion,
};
use rmcp::service::{ElicitationMode, RequestContext, RoleServer};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the user has to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(600);

/// The key of the elicitation in an input-required result.
const KEY: &str = "spending_consent";

/// Consent questions sent on 2026-07-28+ and not answered yet: request state → the call they
/// belong to. The state is ours (random); a retry must carry it with the same arguments.
#[derive(Default)]
pub struct Pending(Mutex<HashMap<String, (String, Instant)>>);

/// What the user said.
pub enum Answer {
    /// Go ahead.
    Yes,
    /// Do not: the refusal to return.
    No(String),
    /// Ask first (2026-07-28+): return this to the client, which retries with the answer.
    Ask(InputRequiredResult),
}

fn call_key(request: &CallToolRequestParams) -> String {
    format!(
        "{}\n{}",
        request.name,
        serde_json::to_string(&request.arguments).unwrap_or_default()
    )
}

fn refusal(spending: &Spending, why: &str) -> String {
    format!(
        "refused: this job may cost money — {}. {why} Nothing was sent. The user can allow it by starting comfyctl mcp with --allow-spending, or answer the confirmation in a client that can ask (MCP elicitation).",
        spending.describe()
    )
}

fn question(what: &str, spending: &Spending) -> (String, ElicitationSchema) {
    let message = format!(
        "comfyctl: run {what}? It costs money: {}.",
        spending.describe()
    );
    let schema = json!({
        "type": "object",
        "properties": {
            "approve": {"type": "boolean", "title": "Run it (it costs money)", "default": false}
        },
        "required": ["approve"]
    });
    let schema = match schema {
        Value::Object(o) => ElicitationSchema::from_json_schema(o).expect("a valid form"),
        _ => unreachable!("an object literal"),
    };
    (message, schema)
}

fn approved(r: &ElicitResult) -> bool {
    r.action == ElicitationAction::Accept
        && r.content
            .as_ref()
            .and_then(|c| c.get("approve"))
            .and_then(Value::as_bool)
            == Some(true)
}

impl ComfyMcp {
    /// Whether a job that costs money (`spending`) may go ahead; `what` names it for the user.
    pub(super) async fn consent(
        &self,
        spending: &Spending,
        what: &str,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Answer {
        if spending.free() || self.s.guard.allow_spending {
            return Answer::Yes;
        }
        let modern = ctx
            .protocol_version()
            .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
        if modern {
            return self.consent_in_rounds(spending, what, request, ctx);
        }
        if !ctx
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            return Answer::No(refusal(spending, "This client cannot ask the user."));
        }
        let (message, requested_schema) = question(what, spending);
        let params = ElicitRequestParams::FormElicitationParams {
            meta: None,
            message,
            requested_schema,
        };
        match ctx
            .peer
            .create_elicitation_with_timeout(params, Some(ANSWER_WITHIN))
            .await
        {
            Ok(r) if approved(&r) => Answer::Yes,
            Ok(_) => Answer::No(refusal(spending, "The user declined.")),
            Err(e) => Answer::No(refusal(
                spending,
                &format!("The user could not be asked ({e})."),
            )),
        }
    }

    /// 2026-07-28+: the question goes back as an input-required result; the client asks the
    /// user and calls again with the answer and our request state.
    fn consent_in_rounds(
        &self,
        spending: &Spending,
        what: &str,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Answer {
        let key = call_key(request);
        let mut pending = self.s.consents.0.lock().expect("not poisoned");
        pending.retain(|_, (_, at)| at.elapsed() < ANSWER_WITHIN);
        if let Some(state) = &request.request_state {
            let Some((asked, _)) = pending.remove(state) else {
                return Answer::No(refusal(
                    spending,
                    "The answer did not belong to a question this session asked (or came too late).",
                ));
            };
            if asked != key {
                return Answer::No(refusal(
                    spending,
                    "The call changed between the question and the answer.",
                ));
            }
            let answer = request
                .input_responses
                .as_ref()
                .and_then(|r| r.get(KEY))
                .and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok());
            return match answer {
                Some(r) if approved(&r) => Answer::Yes,
                _ => Answer::No(refusal(spending, "The user declined.")),
            };
        }
        let can_ask = ctx
            .client_capabilities()
            .and_then(|c| c.elicitation)
            .is_some_and(|e| e.form.is_some() || e.url.is_none());
        if !can_ask {
            return Answer::No(refusal(spending, "This client cannot ask the user."));
        }
        let state = uuid::Uuid::new_v4().to_string();
        pending.insert(state.clone(), (key, Instant::now()));
        let (message, requested_schema) = question(what, spending);
        let mut requests = InputRequests::new();
        requests.insert(
            KEY.to_string(),
            InputRequest::Elicitation(ElicitRequest::new(
                ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message,
                    requested_schema,
                },
            )),
        );
        Answer::Ask(InputRequiredResult::new(Some(requests), Some(state)))
    }
}
