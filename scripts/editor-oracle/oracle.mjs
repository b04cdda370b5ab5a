// Records what the real ComfyUI editor's Queue button would send for each editor workflow:
// loads the workflow with the editor's own `app.loadGraphData`, calls `app.graphToPrompt()`
// and writes its `output`, one JSON line per workflow. Driven over the DevTools protocol with
// Node's own WebSocket (no npm packages); the browser is Debian's chromium, kept on loopback.
//
//   node --experimental-websocket oracle.mjs --url http://127.0.0.1:PORT \
//        --templates DIR --list NAMES.txt --out GOLDEN.jsonl [--chromium /usr/bin/chromium]
//
// Each output line is {"template", "frontend", "output"} with `output` exactly as the editor's
// JSON.stringify wrote it (the comparison checks number formatting too), or {"template",
// "frontend", "error"} when the editor could not load or convert the workflow. What the editor
// logged as errors (counted) and the requests it blocked go to stderr; `--verbose 1` prints
// each logged error.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
for (const k of ["url", "templates", "list", "out"]) {
  if (!args[k]) {
    console.error(`oracle: --${k} is required`);
    process.exit(2);
  }
}
const chromiumPath = args.chromium ?? "/usr/bin/chromium";
const perTemplateMs = Number(args["timeout-ms"] ?? 60000);
const names = readFileSync(args.list, "utf8").split("\n").map((s) => s.trim()).filter(Boolean);
const serverOrigin = new URL(args.url).origin;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the browser

const userDir = mkdtempSync(join(tmpdir(), "editor-oracle-"));
const browser = spawn(
  chromiumPath,
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${userDir}`,
    // Only loopback resolves: release notes, model hosts and fonts are never reached.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--remote-debugging-port=0",
    "about:blank",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let browserLog = "";
browser.stderr.on("data", (d) => {
  browserLog += d;
});
const cleanup = () => {
  try {
    browser.kill("SIGKILL");
  } catch {}
  try {
    rmSync(userDir, { recursive: true, force: true });
  } catch {}
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

async function devtoolsUrl() {
  const file = join(userDir, "DevToolsActivePort");
  for (let i = 0; i < 300; i++) {
    if (existsSync(file)) {
      const [port, path] = readFileSync(file, "utf8").split("\n");
      if (port && path) return `ws://127.0.0.1:${port}${path}`;
    }
    if (browser.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`chromium did not start: ${browserLog.slice(-2000)}`);
}

// ---------------------------------------------------------------- DevTools protocol

const ws = new WebSocket(await devtoolsUrl());
await new Promise((ok, fail) => {
  ws.onopen = ok;
  ws.onerror = () => fail(new Error("cannot connect to chromium's DevTools socket"));
});
let nextId = 1;
const pending = new Map();
const listeners = [];
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { ok, fail } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) fail(new Error(`${msg.error.message} ${msg.error.data ?? ""}`));
    else ok(msg.result);
  } else if (msg.method) {
    for (const l of listeners) l(msg);
  }
};
function send(method, params = {}, sessionId) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return new Promise((ok, fail) => pending.set(id, { ok, fail }));
}

const { targetId } = await send("Target.createTarget", { url: "about:blank" });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const page = (method, params) => send(method, params, sessionId);

const blocked = new Set();
const consoleErrors = [];
listeners.push((msg) => {
  if (msg.sessionId !== sessionId) return;
  if (msg.method === "Fetch.requestPaused") {
    const { requestId, request } = msg.params;
    const u = new URL(request.url);
    const local = u.origin === serverOrigin || ["data:", "blob:"].includes(u.protocol);
    if (local) {
      page("Fetch.continueRequest", { requestId }).catch(() => {});
    } else {
      blocked.add(u.origin);
      page("Fetch.failRequest", { requestId, errorReason: "BlockedByClient" }).catch(() => {});
    }
  } else if (msg.method === "Runtime.consoleAPICalled" && msg.params.type === "error") {
    consoleErrors.push(msg.params.args.map((a) => a.value ?? a.description ?? "").join(" "));
  } else if (msg.method === "Runtime.exceptionThrown") {
    const d = msg.params.exceptionDetails;
    consoleErrors.push(`uncaught: ${d.exception?.description ?? d.text}`);
  }
});
await page("Fetch.enable", { patterns: [{ urlPattern: "*" }] });
await page("Runtime.enable");
await page("Page.enable");

async function evaluate(expression, timeoutMs = perTemplateMs) {
  const run = page("Runtime.evaluate", {
    expression,
    awaitPromise: true,
    returnByValue: true,
  });
  const timer = sleep(timeoutMs).then(() => {
    throw new Error(`timed out after ${timeoutMs} ms`);
  });
  const r = await Promise.race([run, timer]);
  if (r.exceptionDetails) {
    throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
  }
  return r.result.value;
}

// ---------------------------------------------------------------- the editor

const started = Date.now();
await page("Page.navigate", { url: `${serverOrigin}/` });
let ready = false;
for (let i = 0; i < 600 && !ready; i++) {
  await sleep(200);
  ready = await evaluate(
    "!!(window.app && window.app.graph && typeof window.app.graphToPrompt === 'function' && LiteGraph.registered_node_types && Object.keys(LiteGraph.registered_node_types).length > 50)",
    5000,
  ).catch(() => false);
}
if (!ready) {
  console.error(`oracle: the editor did not start in 120 s\n${consoleErrors.join("\n")}`);
  process.exit(1);
}
const frontend = await evaluate("window.__COMFYUI_FRONTEND_VERSION__ ?? null").catch(() => null);
console.error(
  `oracle: editor ${frontend ?? "(version unknown)"} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
// Dialogs about missing models and nodes cost time and change nothing in the prompt.
await evaluate(`(async () => {
  const s = window.comfyAPI?.settings ?? null;
  for (const [id, v] of [["Comfy.Workflow.ShowMissingModelsWarning", false],
                         ["Comfy.Workflow.ShowMissingNodesWarning", false]]) {
    try { await app.extensionManager.setting.set(id, v); } catch (e) {}
  }
  return true;
})()`).catch(() => {});

const lines = [];
let logged = 0;
const t0 = Date.now();
for (const name of names) {
  const text = readFileSync(join(args.templates, name), "utf8");
  const before = consoleErrors.length;
  // The workflow goes in as a string literal: the page parses it, as the editor's file open does.
  const expr = `(async () => {
    const wf = JSON.parse(${JSON.stringify(text)});
    try {
      await app.loadGraphData(wf, true, false, ${JSON.stringify(name.replace(/\.json$/, ""))});
    } catch (e) {
      return JSON.stringify({ error: "load: " + (e && e.stack ? e.stack.split("\\n").slice(0, 3).join(" | ") : String(e)) });
    }
    try {
      const { output } = await app.graphToPrompt();
      return JSON.stringify({ output });
    } catch (e) {
      return JSON.stringify({ error: "graphToPrompt: " + (e && e.stack ? e.stack.split("\\n").slice(0, 3).join(" | ") : String(e)) });
    }
  })()`;
  let result;
  try {
    result = JSON.parse(await evaluate(expr));
  } catch (e) {
    result = { error: String(e.message ?? e) };
  }
  // A workflow the editor loads with errors it only logs (a 3D preview that finds no file)
  // is still what the Queue button sends.
  const errs = consoleErrors.slice(before);
  logged += errs.length;
  if (args.verbose) for (const e of errs) console.error(`oracle: ${name}: logged: ${e.split("\n")[0]}`);
  const head = `{"template":${JSON.stringify(name)},"frontend":${JSON.stringify(frontend)}`;
  if (result.output !== undefined) {
    lines.push(`${head},"output":${JSON.stringify(result.output)}}`);
  } else {
    // The server's address changes from run to run; the golden files do not.
    const error = result.error.replaceAll(serverOrigin, "");
    lines.push(`${head},"error":${JSON.stringify(error)}}`);
    console.error(`oracle: ${name}: ${error}`);
  }
}
writeFileSync(args.out, lines.join("\n") + "\n");
const secs = (Date.now() - t0) / 1000;
console.error(
  `oracle: ${names.length} workflows in ${secs.toFixed(1)} s (${(secs / Math.max(1, names.length)).toFixed(2)} s each); ` +
    `${lines.filter((l) => l.includes('"error":')).length} not converted by the editor; ` +
    `${logged} errors logged by the editor while loading; ` +
    `blocked: ${[...blocked].join(", ") || "nothing"}`,
);
process.exit(0);
