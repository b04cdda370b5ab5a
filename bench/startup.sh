#!/usr/bin/env bash
# Start-up time and binary size of the release build (issue 10's figures; issue 12's item 1).
#
#   bench/startup.sh [RUNS]     # default 300 runs per command; prints medians
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-300}
cargo build --release --quiet --bin comfyctl
BIN=target/release/comfyctl
echo "binary: $(stat -c %s "$BIN" 2>/dev/null || stat -f %z "$BIN") bytes ($BIN)"
python3 - "$RUNS" "$BIN" <<'PY'
import statistics, subprocess, sys, time
runs, binary = int(sys.argv[1]), sys.argv[2]
def med(cmd):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000
base = med(["/bin/true"])
for args in (["--version"], ["run", "--help"]):
    m = med([binary] + args)
    print(f"comfyctl {' '.join(args):<12} median {m:5.2f} ms  ({m - base:4.2f} ms over /bin/true's {base:.2f} ms)")
PY
