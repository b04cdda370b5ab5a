#!/usr/bin/env bash
# Download throughput and memory (issue 12, item 3): a 1 GiB output through /view, saved by
# `comfyctl run`, next to `curl` fetching the same URL in the same run.
#
#   bench/download.sh [RUNS] [BYTES]     # default 3 runs, 1 GiB; prints medians
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BYTES=${2:-1073741824}
cargo build --release --quiet --bin comfyctl --example fake_comfyui
BIN=$PWD/target/release/comfyctl
source bench/fake.sh
WORK=$(mktemp -d)
trap 'stop_fakes; rm -rf "$WORK"' EXIT
start_fake --step-delay-ms 0 --output-size "$BYTES"
port=${FAKE_URL##*:}
cd "$WORK"
# Warm up: node definitions fetched and cached, as on any machine after the first run.
"$BIN" run "$OLDPWD/workflows/tiny_sample.json" --url "127.0.0.1:$port" --no-download >/dev/null 2>&1
python3 - "$RUNS" "$BIN" "$port" "$BYTES" "$OLDPWD/workflows/tiny_sample.json" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
runs, binary, port, size, wf = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
url = f"http://127.0.0.1:{port}"
ours, rss, theirs = [], [], []
for i in range(runs):
    shutil.rmtree("out", ignore_errors=True)
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "rss", binary, "run", wf, "--url", url,
                        "--seed", str(1000 + i), "--json", "-o", "out"], capture_output=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(r.stderr.decode())
    v = json.loads(r.stdout)
    path = v["outputs"][0]["path"]
    assert os.path.getsize(path) == size, "incomplete file"
    view = f"{url}/view?filename={v['outputs'][0]['filename']}&subfolder={v['outputs'][0]['subfolder']}&type=output"
    ours.append(wall)
    rss.append(int(open("rss").read().split()[-1]))
    t = time.perf_counter()
    subprocess.run(["curl", "-sf", "-o", "curl.bin", view], check=True)
    theirs.append(time.perf_counter() - t)
    os.remove("curl.bin")
o, c = statistics.median(ours), statistics.median(theirs)
mib = size / 1048576
print(f"comfyctl run (job + {mib:.0f} MiB download)  {o*1000:7.0f} ms  {mib/o:7.0f} MiB/s  peak RSS {statistics.median(rss)/1024:.1f} MB")
print(f"curl (the same /view URL)          {c*1000:7.0f} ms  {mib/c:7.0f} MiB/s")
print(f"comfyctl / curl throughput: {c/o*100:.0f}% (comfyctl's figure includes submitting and following the job)")
PY
