#!/usr/bin/env bash
# Per-job overhead (issue 12, item 2): `comfyctl run` of an instant, all-cached job against the
# fake server, next to `comfy run --wait` from comfy-cli on the same server in the same run.
#
#   bench/per_job.sh [RUNS]      # default 30 runs per tool; prints medians
#
# comfy-cli comes from PyPI into bench/.venv on first use (set COMFY=/path/to/comfy to use
# another). comfy-cli prints output URLs and does not download them, so comfyctl is measured both
# with --no-download (the same work) and saving the file.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
cargo build --release --quiet --bin comfyctl --example fake_comfyui
BIN=$PWD/target/release/comfyctl
COMFY=${COMFY:-}
if [ -z "$COMFY" ]; then
  if [ ! -x bench/.venv/bin/comfy ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet comfy-cli
  fi
  COMFY=$PWD/bench/.venv/bin/comfy
fi
source bench/fake.sh
WORK=$(mktemp -d)
trap 'stop_fakes; rm -rf "$WORK"' EXIT
start_fake --step-delay-ms 0
port=${FAKE_URL##*:}
WF=$PWD/workflows/tiny_sample.json
cd "$WORK"
# Warm up (and make the job all-cached).
"$BIN" run "$WF" --url "127.0.0.1:$port" --no-download >/dev/null 2>&1

python3 - "$RUNS" "$BIN" "$COMFY" "$WF" "$port" <<'PY'
import json, statistics, subprocess, sys, time
runs, binary, comfy, wf, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
url = f"127.0.0.1:{port}"
def med(cmd):
    ts = []
    for i in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"{cmd} failed with {r.returncode}")
    return statistics.median(ts) * 1000, r.stdout
ours, out = med([binary, "run", wf, "--url", url, "--no-download", "--json"])
server_ms = json.loads(out)["timings"].get("execution_ms") or 0
saved, _ = med([binary, "run", wf, "--url", url, "--json", "-o", "out", "--overwrite"])
theirs, _ = med([comfy, "--skip-prompt", "run", "--workflow", wf, "--wait", "--host", "127.0.0.1", "--port", port])
print(f"server's own execution time      {server_ms:7.1f} ms")
print(f"comfyctl run --no-download       {ours:7.1f} ms  ({ours - server_ms:.1f} ms over the server)")
print(f"comfyctl run (saving the PNG)    {saved:7.1f} ms")
print(f"comfy run --wait (comfy-cli)     {theirs:7.1f} ms  ({theirs / ours:.0f}x comfyctl --no-download)")
PY
