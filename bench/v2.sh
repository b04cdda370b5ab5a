#!/usr/bin/env bash
# Per-job cost over the Comfy API v2 (issue 21): the real comfy-api-proxy 0.1.6 in front of the
# fake ComfyUI, and side by side in one run, interleaved job by job:
#   a  the native floor (POST /prompt, poll /history, GET /view; one Python process)
#   b  raw v2 over plain HTTP (one Python process, keep-alive; `expired` is asked again)
#   c  comfy-sdk 0.5.0's run() in one process
#   d  comfy-sdk as a fresh `python -c` process per job, as a CLI user pays it
#   e  comfyctl run WF --api v2 (a whole process per job), once comfyctl has --api
# Every job is LoadImage (input uploaded once beforehand, then deduplicated) -> ImageInvert ->
# SaveImage, and its output is downloaded. Prints median and p90 per column, the ratios to b,
# and how often the proxy answered `expired` for a job that succeeded / comfy-sdk raised.
#
#   bench/v2.sh [N]        # default 60 jobs per column (+1 warm-up)
#
#   POLL_MS=2             the poll interval of columns a and b
#   STEP_DELAY_MS=0       the fake ComfyUI's time per node (30 makes the invert take ~90 ms, as on
#                         a real CPU ComfyUI, which opens the proxy's `expired` race)
#   COLUMNS_ONLY=abe      run only these columns
#   V2_BENCH_BUILD=0      skip cargo build (in a git worktree the build script reruns every time)
#
# comfy-api-proxy and comfy-sdk come from PyPI into bench/.venv-v2 (kept between runs; set
# V2_BENCH_VENV=DIR for another). Stops only the processes it started.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-60}
PROXY_VERSION=0.1.6
SDK_VERSION=0.5.0
TOKEN=v2-bench-token
INPUT=$PWD/tests/fixtures/comfy-api-v2/a_invert_output.png

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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

VENV=${V2_BENCH_VENV:-$PWD/bench/.venv-v2}
if ! "$VENV/bin/python" -c 'import sys
from importlib.metadata import version as v
sys.exit(not (v("comfy-api-proxy") == sys.argv[1] and v("comfy-sdk") == sys.argv[2]))' \
    "$PROXY_VERSION" "$SDK_VERSION" 2>/dev/null; then
  python3 -m venv "$VENV"
  echo '*' >"$VENV/.gitignore"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "comfy-api-proxy==$PROXY_VERSION" "comfy-sdk==$SDK_VERSION"
fi
[[ -f "$VENV/.gitignore" ]] || echo '*' >"$VENV/.gitignore"

[[ ${V2_BENCH_BUILD:-1} == 0 ]] || cargo build --release --quiet --bin comfyctl --example fake_comfyui
BIN=$PWD/target/release/comfyctl

FAKE_PORT=$(free_port)
STEP_DELAY_MS=${STEP_DELAY_MS:-0}
target/release/examples/fake_comfyui --port "$FAKE_PORT" --step-delay-ms "$STEP_DELAY_MS" >"$WORK/fake.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$FAKE_PORT/system_stats" fake "${PIDS[-1]}"

PROXY_PORT=$(free_port)
"$VENV/bin/comfy-api-proxy" run --comfyui "http://127.0.0.1:$FAKE_PORT" --host 127.0.0.1 \
  --port "$PROXY_PORT" --token "$TOKEN" --state-dir "$WORK/state" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
PROXY_URL="http://127.0.0.1:$PROXY_PORT"
wait_for "$PROXY_URL/api/v2/health" proxy "${PIDS[-1]}"

# Column e only when this comfyctl speaks v2.
E_BIN=-
if "$BIN" run --help 2>/dev/null | grep -qE -- '--api[ =<]'; then E_BIN=$BIN; fi

echo "comfy-api-proxy $PROXY_VERSION, comfy-sdk $SDK_VERSION, $("$BIN" --version), fake ComfyUI --step-delay-ms $STEP_DELAY_MS"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
mkdir -p "$WORK/run"
COMFY_BASE_URL=$PROXY_URL COMFY_API_KEY=$TOKEN COMFYCTL_CONFIG=$WORK/no-config.toml COMFYCTL_CACHE_DIR=$WORK/cache \
  "$VENV/bin/python" bench/v2_bench.py "$N" "http://127.0.0.1:$FAKE_PORT" "$PROXY_URL" "$TOKEN" \
  "$INPUT" "$WORK/run" "$E_BIN"
