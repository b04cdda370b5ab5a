#!/usr/bin/env bash
# WebSocket ingest (issue 12, item 4): firehoses from the fake server taken in by `comfyctl run`:
#   text:     progress_state + progress messages (the recorded shapes), 2 × BURST per step;
#   previews: binary preview frames (the recorded 38 KB JPEG, type 4 with metadata), BURST/10
#             per step.
# Reported per comfyctl CPU-second (user + sys, so the fake's share of the cores does not count),
# with the CPU of a 1-step run of the same job subtracted, and end to end per wall-second.
#
#   bench/ws_ingest.sh [RUNS] [STEPS] [BURST]   # default 3 runs, 100 steps, BURST 2,000
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
STEPS=${2:-100}
BURST=${3:-2000}
cargo build --release --quiet --bin comfyctl --example fake_comfyui
BIN=$PWD/target/release/comfyctl
source bench/fake.sh
WORK=$(mktemp -d)
trap 'stop_fakes; rm -rf "$WORK"' EXIT
start_fake --step-delay-ms 0 --progress-burst "$BURST"
TEXT_URL=$FAKE_URL
start_fake --step-delay-ms 0 --preview-burst "$((BURST / 10))"
PREVIEW_URL=$FAKE_URL
WF=$PWD/workflows/tiny_sample.json
cd "$WORK"
python3 - "$RUNS" "$BIN" "$WF" "$STEPS" "$BURST" "$TEXT_URL" "$PREVIEW_URL" <<'PY'
import os, statistics, subprocess, sys
runs, binary, wf, steps, burst, text_url, preview_url = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
runs = int(runs)
seed = [1000]

def one(url, steps):
    seed[0] += 1
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S %e %M", "-o", "t", binary, "run", wf,
                        "--url", url, "--seed", str(seed[0]),
                        "--steps", str(steps), "--no-download", "--json"], capture_output=True)
    if r.returncode != 0:
        sys.exit(r.stderr.decode())
    u, s, e, m = open("t").read().split()[-4:]
    return float(u) + float(s), float(e), int(m)

def figure(label, url, per_step, frame_bytes):
    one(url, 1)  # warm up: node definitions fetched and cached
    base = [one(url, 1) for _ in range(runs)]
    fire = [one(url, steps) for _ in range(runs)]
    cpu0, wall0 = statistics.median(b[0] for b in base), statistics.median(b[1] for b in base)
    cpu, wall = statistics.median(f[0] for f in fire), statistics.median(f[1] for f in fire)
    rss = statistics.median(f[2] for f in fire)
    msgs = steps * per_step
    rate = msgs / max(cpu - cpu0, 1e-3)
    extra = f", {rate * frame_bytes / 1e6:,.0f} MB/s" if frame_bytes else ""
    print(f"{label:<40} {msgs:>9,} msgs  CPU {cpu:5.2f} s (1-step run {cpu0:.2f} s) → "
          f"{rate:>9,.0f} msgs per CPU-second{extra}; end to end {msgs / max(wall - wall0, 1e-3):>9,.0f} msgs/s; "
          f"peak RSS {rss / 1024:.1f} MB")

print(f"WebSocket ingest into `comfyctl run`, median of {runs} runs ({os.cpu_count()} cores shared with the fake)")
# Per step the job itself sends progress_state, a preview and progress; the burst adds the rest.
figure("progress/progress_state text messages", text_url, 3 + 2 * burst, 0)
figure("38 KB preview frames", preview_url, 3 + burst // 10, 38_332)
PY
