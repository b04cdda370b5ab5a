#!/usr/bin/env bash
# MCP servers from start to a tools/list answer: `comfyctl mcp` beside the PyPI servers
# comfy-mcp 0.10.0 (Comfy-Org's, a wrapper of comfy-cli) and comfyui-mcp-secure 2.3.0, each
# against an unreachable ComfyUI, as an MCP client starts them: spawn, initialize, initialized,
# tools/list. Reports the median time of RUNS runs per server, the ratio to comfyctl, and the
# size of the tools/list result in bytes (compact JSON).
#
#   bench/mcp.sh [RUNS]      # default 9; the Python servers are installed into bench/.mcp/
#                            # (comfyui-mcp-secure needs Python >= 3.12: pyenv's 3.12 is used)
#
# A last row runs comfyctl mcp with --workflows (one workflow) against the fake server, whose
# node definitions it caches: the start-up a workflows directory costs.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-9}
cargo build --release --quiet --bin comfyctl --example fake_comfyui
dir=bench/.mcp
if [ ! -x "$dir/comfy-mcp/bin/comfy-mcp" ]; then
  python3 -m venv "$dir/comfy-mcp"
  "$dir/comfy-mcp/bin/pip" install --quiet comfy-mcp==0.10.0
fi
if [ ! -x "$dir/comfyui-mcp-secure/bin/comfyui-mcp-secure" ]; then
  py312=$(command -v python3.12 || true)
  [ -z "$py312" ] && py312=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python 2>/dev/null | head -1)
  "$py312" -m venv "$dir/comfyui-mcp-secure"
  "$dir/comfyui-mcp-secure/bin/pip" install --quiet comfyui-mcp-secure==2.3.0
fi

work=$(mktemp -d)
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/examples/fake_comfyui --port "$port" --step-delay-ms 0 >/dev/null 2>&1 &
fake_pid=$!
mkdir -p "$work/wf"
cp workflows/tiny_sample.json "$work/wf/"

python3 - "$RUNS" "$PWD" "$work" "$port" <<'PY'
import json, os, statistics, subprocess, sys, time, urllib.request

runs, root, work, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dead = "http://127.0.0.1:9"  # nothing listens on the discard port: connection refused
env = dict(os.environ, NO_COLOR="1", FASTMCP_CHECK_FOR_UPDATES="off",
           COMFYCTL_CACHE_DIR=os.path.join(work, "cache"), COMFYCTL_CONFIG=os.path.join(work, "none.toml"),
           COMFYUI_URL=dead, COMFYUI_HOST="127.0.0.1", COMFYUI_PORT="9", COMFY_URL=dead)
mcp = os.path.join(root, "bench/.mcp")
servers = [
    ("comfyctl mcp", [os.path.join(root, "target/release/comfyctl"), "mcp", "--url", dead]),
    ("comfy-mcp 0.10.0", [os.path.join(mcp, "comfy-mcp/bin/comfy-mcp")]),
    ("comfyui-mcp-secure 2.3.0", [os.path.join(mcp, "comfyui-mcp-secure/bin/comfyui-mcp-secure")]),
]

def send(p, msg):
    p.stdin.write((json.dumps(msg) + "\n").encode())
    p.stdin.flush()

def answer(p, want):
    while True:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError("the server closed stdout")
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("id") == want:
            return m

def once(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=work)
    try:
        send(p, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}}})
        answer(p, 1)
        send(p, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        send(p, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        r = answer(p, 2)
        elapsed = time.perf_counter() - t
    finally:
        p.kill()
        p.wait()
    result = r["result"]
    return elapsed, len(json.dumps(result, separators=(",", ":"))), len(result["tools"]), \
        sum(1 for t in result["tools"] if t.get("outputSchema"))

rows = []
for name, cmd in servers:
    once(cmd)  # warm the page cache
    samples = [once(cmd) for _ in range(runs)]
    ts = sorted(s[0] * 1000 for s in samples)
    rows.append((name, statistics.median(ts), ts[0], ts[-1], samples[0][1], samples[0][2], samples[0][3]))

wf = [os.path.join(root, "target/release/comfyctl"), "mcp", "--url", f"http://127.0.0.1:{port}", "--workflows", os.path.join(work, "wf")]
once(wf)  # the first run fetches and caches the node definitions
samples = [once(wf) for _ in range(runs)]
ts = sorted(s[0] * 1000 for s in samples)
extra = ("comfyctl mcp --workflows (1 workflow, fake server)", statistics.median(ts), ts[0], ts[-1], samples[0][1], samples[0][2], samples[0][3])

base = rows[0][1]
print(f"start to tools/list answer, median of {runs} runs (min–max), ComfyUI unreachable:")
print(f"{'server':<52} {'median':>9} {'range':>19} {'× comfyctl':>11} {'tools':>6} {'w/ outputSchema':>16} {'tools/list bytes':>17}")
for name, med, lo, hi, size, n, outs in rows + [extra]:
    print(f"{name:<52} {med:7.1f}ms {lo:8.1f}–{hi:7.1f}ms {med / base:10.1f}× {n:6d} {outs:16d} {size:17,d}")
PY
