#!/usr/bin/env bash
# The real Comfy API v2 server in front of the fake ComfyUI: installs comfy-api-proxy 0.1.6 from
# PyPI into a venv, starts the fake ComfyUI (release example) and the proxy on loopback, and
# drives the proxy through scripts/v2_proxy_check.py (upload, submit, SSE, polling, Range
# downloads, cancel, an execution error, a rejected workflow, the job list). Stops only the
# processes it started.
#
#   scripts/v2-proxy.sh            # V2_PROXY_VENV=DIR reuses a venv between runs
#
# Then it replays every recording against that real proxy (the comparison of tests/it/v2_fake.rs)
# to show that the fake ComfyUI serves the real proxy as real ComfyUI did.
set -euo pipefail
cd "$(dirname "$0")/.."

PROXY_VERSION=0.1.6
TOKEN=v2-ci-token
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # URL NAME PID
  for _ in $(seq 150); do
    curl -sf "$1" >/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "$2 exited; its log:" >&2; cat "$WORK/$2.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$2 did not answer at $1; its log:" >&2
  cat "$WORK/$2.log" >&2
  return 1
}

echo "== venv with comfy-api-proxy $PROXY_VERSION (PyPI)"
VENV=${V2_PROXY_VENV:-$WORK/venv}
if [[ ! -x "$VENV/bin/comfy-api-proxy" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "comfy-api-proxy==$PROXY_VERSION"
fi
"$VENV/bin/pip" show comfy-api-proxy | grep -E '^(Name|Version)'

echo "== fake ComfyUI (release example)"
cargo build --release --quiet --example fake_comfyui
FAKE_PORT=$(free_port)
target/release/examples/fake_comfyui --port "$FAKE_PORT" --step-delay-ms 40 >"$WORK/fake.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$FAKE_PORT/system_stats" fake "${PIDS[-1]}"

echo "== comfy-api-proxy in front of it"
PROXY_PORT=$(free_port)
"$VENV/bin/comfy-api-proxy" run --comfyui "http://127.0.0.1:$FAKE_PORT" --host 127.0.0.1 \
  --port "$PROXY_PORT" --token "$TOKEN" --state-dir "$WORK/state" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$PROXY_PORT/api/v2/health" proxy "${PIDS[-1]}"

echo "== the v2 API through the real proxy"
start=$(date +%s)
"$VENV/bin/python" scripts/v2_proxy_check.py "http://127.0.0.1:$PROXY_PORT" "$TOKEN" \
  tests/fixtures/comfy-api-v2/a_invert_output.png
echo "checks took $(( $(date +%s) - start )) s"

echo "== every recorded scenario replayed against the real proxy in front of the fake ComfyUI"
# The same comparison tests/it/v2_fake.rs makes for the fake v2 server (its own proxy and
# ComfyUI processes; the real keepalive is 15 s, so this takes about 40 s).
COMFY_API_PROXY="$VENV/bin/comfy-api-proxy" cargo test --locked --quiet --test it real_proxy -- --ignored
