#!/usr/bin/env bash
# `comfyctl mcp` driven by the official MCP Python SDK (`mcp` from PyPI), against the fake
# ComfyUI server (local, and in Comfy Cloud mode): initialize (the handshake and 2026-07-28
# discovery), tools/list with every schema checked, a workflow tool call with parameters that
# returns image content, progress notifications, a cancellation that interrupts the job on the
# server, paths outside the allowed dirs refused, a Comfy Cloud submit refused without
# --allow-spending and run when the user approves. See scripts/mcp_client_check.py.
#
#   scripts/mcp-client-test.sh             # installs mcp into target/mcp-client/ once
#   MCP_VERSION=2.3.0 scripts/mcp-client-test.sh
#
# A failed install (no network) prints SKIPPED and exits 0: this checks comfyctl, not PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${MCP_VERSION:-2.3.0}"
cache="target/mcp-client"
venv="$cache/venv-$version"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import mcp, jsonschema" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install --quiet "mcp==$version" jsonschema; then
    echo "mcp-client-test: SKIPPED (could not install mcp $version from PyPI)"
    exit 0
  fi
fi
cargo build --quiet --bin comfyctl --example fake_comfyui
bin="$PWD/target/debug/comfyctl"
fake="$PWD/target/debug/examples/fake_comfyui"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 100); do
    curl -sf -o /dev/null "$1" -H "X-API-Key: ${2:-}" && return 0
    sleep 0.1
  done
  echo "mcp-client-test: the fake server at $1 did not start" >&2
  exit 1
}

local_port=$(port)
cloud_port=$(port)
key="ck-mcp-client-test-0123456789"
"$fake" --port "$local_port" --step-delay-ms 100 >"$work/fake-local.log" 2>&1 &
pids+=($!)
"$fake" --port "$cloud_port" --step-delay-ms 300 --cloud "$key" >"$work/fake-cloud.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$local_port/system_stats"
wait_up "http://127.0.0.1:$cloud_port/api/system_stats" "$key"

# The directories comfyctl mcp may use, and a secret one next to them it may not.
mkdir -p "$work/wf" "$work/in" "$work/out" "$work/secret"
cat >"$work/wf/sample.json" <<'EOF'
{
  "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny-random-sd15.safetensors"}},
  "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a tiny red fox", "clip": ["4", 1]}, "_meta": {"title": "Positive"}},
  "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
  "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
  "3": {"class_type": "KSampler", "inputs": {"seed": 1234, "steps": 4, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
  "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
  "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "mcp/sample"}},
  "_comment": "A tiny text-to-image workflow (SD 1.5 shape) for the MCP client test."
}
EOF
cp "$work/wf/sample.json" "$work/secret/wf.json"
printf 'not for the agent' >"$work/secret/photo.png"
ln -s "$work/secret" "$work/in/link"

echo "== comfyctl mcp with the MCP Python SDK $version"
"$venv/bin/python" scripts/mcp_client_check.py "$bin" \
  "http://127.0.0.1:$local_port" "http://127.0.0.1:$cloud_port" "$key" "$work"
