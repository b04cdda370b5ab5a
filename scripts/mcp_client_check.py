"""`comfyctl mcp` checked with the official MCP Python SDK (the `mcp` package), against the fake
ComfyUI server. Run by scripts/mcp-client-test.sh, which installs the SDK and starts the fakes.

    python mcp_client_check.py COMFYCTL LOCAL_URL CLOUD_URL CLOUD_KEY WORKDIR

Prints one PASS/FAIL line per check and `N passed, M failed` last; exits 1 on any failure.
"""

import asyncio
import json
import os
import sys
import time
import urllib.request

import anyio
import jsonschema
import mcp_types as types
from mcp import Client, StdioServerParameters

COMFYCTL, LOCAL, CLOUD, KEY, WORK = sys.argv[1:6]
RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name}{'' if ok else ': ' + str(detail)[:2000]}", flush=True)
    return ok


def server(url, *args, env=None):
    e = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": WORK,
        "COMFYCTL_CONFIG": os.path.join(WORK, "config.toml"),
        "COMFYCTL_CACHE_DIR": os.path.join(WORK, "cache"),
        "COMFYCTL_MCP_RESCAN_MS": "200",
        "NO_COLOR": "1",
    }
    e.update(env or {})
    return StdioServerParameters(
        command=COMFYCTL,
        args=["mcp", "--url", url, "--workflows", "wf", "--inputs", "in", "-o", "out", *args],
        env=e,
        cwd=WORK,
    )


def text(r):
    return "\n".join(c.text for c in r.content if isinstance(c, types.TextContent))


def get_json(url, key=None):
    req = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


async def tools_and_a_workflow_call(mode, seed):
    progress = []

    async def on_progress(p, total, message):
        progress.append((p, total, message))

    async with Client(server(LOCAL), mode=mode, read_timeout_seconds=60) as c:
        tools = (await c.list_tools()).tools
        size = len(json.dumps([t.model_dump(by_alias=True, exclude_none=True) for t in tools]))
        print(f"      {mode}: protocol {c.protocol_version}, {len(tools)} tools, tools/list {size} bytes")
        bad = []
        for t in tools:
            try:
                jsonschema.Draft202012Validator.check_schema(t.input_schema)
                jsonschema.Draft202012Validator.check_schema(t.output_schema)
                if t.input_schema.get("type") != "object" or t.output_schema.get("type") != "object":
                    bad.append(f"{t.name}: root type")
                a = t.annotations
                if a is None or a.read_only_hint is None or a.open_world_hint is None:
                    bad.append(f"{t.name}: annotations")
            except Exception as e:  # noqa: BLE001 - reported as the check's detail
                bad.append(f"{t.name}: {e}")
        check(f"[{mode}] tools/list: every input and output schema valid, annotations set", not bad, bad)
        sample = next((t for t in tools if t.name == "sample"), None)
        props = (sample.input_schema if sample else {}).get("properties", {})
        check(
            f"[{mode}] the workflow tool's schema has the server's types, ranges, defaults and lists",
            props.get("steps", {}).get("type") == "integer"
            and props.get("steps", {}).get("minimum") == 1
            and "dpmpp_2m" in props.get("sampler", {}).get("enum", [])
            and props.get("cfg", {}).get("type") == "number",
            json.dumps(props)[:500],
        )
        r = await c.call_tool(
            "sample",
            {"prompt": "a red fox in snow", "steps": 3, "sampler": "dpmpp_2m", "seed": seed},
            progress_callback=on_progress,
        )
        images = [b for b in r.content if isinstance(b, types.ImageContent)]
        sc = r.structured_content or {}
        ok = not r.is_error and sc.get("status") == "success" and images
        if ok:
            jsonschema.validate(sc, sample.output_schema)
        check(f"[{mode}] a workflow tool call with parameters returns image content", bool(ok), text(r))
        msgs = [m or "" for _, _, m in progress]
        check(
            f"[{mode}] progress notifications while it runs (nodes and sampler steps)",
            any("KSampler" in m for m in msgs) and any("step" in m for m in msgs),
            msgs,
        )


async def cancellation():
    progress = []
    got_step = anyio.Event()
    result = {}

    async def on_progress(p, total, message):
        progress.append(message or "")
        if "step" in (message or ""):
            got_step.set()

    async with Client(server(LOCAL), mode="auto", read_timeout_seconds=120) as c:
        async with anyio.create_task_group() as tg:

            async def run():
                with anyio.CancelScope() as scope:
                    result["scope"] = scope
                    await c.call_tool(
                        "run_workflow",
                        {"workflow": "sample.json", "params": {"steps": 40}},
                        progress_callback=on_progress,
                    )
                    result["finished"] = True

            tg.start_soon(run)
            with anyio.fail_after(30):
                await got_step.wait()
            result["scope"].cancel()
        # The job must end interrupted on the server, soon.
        deadline = time.time() + 15
        interrupted = False
        while time.time() < deadline and not interrupted:
            history = get_json(f"{LOCAL}/history")
            interrupted = any(
                any(m[0] == "execution_interrupted" for m in e.get("status", {}).get("messages", []))
                for e in history.values()
            )
            await anyio.sleep(0.2)
        queue = get_json(f"{LOCAL}/queue")
        check(
            "cancelling the call (notifications/cancelled) interrupts the job on the server",
            interrupted and not result.get("finished") and not queue["queue_running"],
            {"progress": progress[-3:], "queue": queue},
        )
        # The server lives on.
        tools = (await c.list_tools()).tools
        check("the session goes on after the cancellation", len(tools) > 5)


async def refusals():
    async with Client(server(LOCAL), mode="auto") as c:
        outside = []
        for wf in ["../secret/wf.json", os.path.join(WORK, "secret", "wf.json"), "link/wf.json", "/etc/passwd"]:
            r = await c.call_tool("run_workflow", {"workflow": wf})
            outside.append((wf, r.is_error, text(r)))
        r = await c.call_tool(
            "run_workflow", {"workflow": "sample.json", "inputs": {"image": "../secret/photo.png"}}
        )
        outside.append(("inputs ../secret/photo.png", r.is_error, text(r)))
        check(
            "paths outside the allowed dirs are refused (.., absolute, a symlink out)",
            all(err and ("outside" in t or ".." in t) for _, err, t in outside),
            outside,
        )
        try:
            await c.call_tool("run_workflow", {"workflow": 7, "wait": "soon"})
            check("malformed arguments are an MCP error", False, "no error")
        except Exception as e:  # noqa: BLE001 - the SDK raises the server's JSON-RPC error
            check("malformed arguments are an MCP error, and the server lives on", "invalid" in str(e).lower(), e)
        r = await c.call_tool("queue", {})
        check("… and answers the next call", not r.is_error and (r.structured_content or {}).get("type") == "queue_list", text(r))


async def cloud():
    env = {"COMFYCTL_KIND": "cloud", "COMFY_CLOUD_API_KEY": KEY}
    async with Client(server(CLOUD, env=env), mode="legacy") as c:
        r = await c.call_tool("run_workflow", {"workflow": "sample.json"})
        # A job sent would run for seconds on this fake (300 ms a step): the queue shows it.
        queue = get_json(f"{CLOUD}/api/queue", KEY)
        check(
            "a Comfy Cloud submit is refused without --allow-spending (client cannot ask)",
            r.is_error
            and "--allow-spending" in text(r)
            and not queue["queue_running"]
            and not queue["queue_pending"],
            (text(r), queue),
        )
        leaked = KEY in json.dumps([(await c.call_tool(t, {})).model_dump() for t in ("health", "queue")])
        check("the key is in no tool result", not leaked)

    asked = []

    async def approve(context, params):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with Client(server(CLOUD, env=env), mode="auto", elicitation_callback=approve) as c:
        r = await c.call_tool("run_workflow", {"workflow": "sample.json"})
        check(
            f"… and runs when the user approves the client's confirmation (elicitation, protocol {c.protocol_version})",
            not r.is_error and asked and "Comfy Cloud" in asked[0],
            (text(r), asked),
        )


async def main():
    # A different seed each time: the same prompt again would be answered from the cache.
    for seed, mode in enumerate(("legacy", "auto")):
        await tools_and_a_workflow_call(mode, seed)
    await cancellation()
    await refusals()
    await cloud()
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
