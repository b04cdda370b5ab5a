#!/usr/bin/env bash
# Soak (issue 11): a long batch against three fake servers with random faults switched on —
# 5xx on every request kind, prompts queued whose answer is lost, truncated downloads, dropped
# WebSockets. Then checks that every job is accounted for in the manifest exactly once, every
# saved output is byte-identical to what its server served (sha256 from the servers' logs), no
# prompt was queued twice, nothing partial is left, and memory stayed flat (RSS sampled).
#
#   scripts/soak.sh [JOBS] [CHAOS_RATE]     # default 10,000 jobs, rate 0.02
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-10000}
RATE=${2:-0.02}
cargo build --release --quiet --bin comfyctl --example fake_comfyui
BIN=$PWD/target/release/comfyctl
source bench/fake.sh
WORK=$(mktemp -d)
cleanup() { stop_fakes; rm -rf "$WORK"; }
trap cleanup EXIT
# Each server logs what it queued and served to served-N.log; SERVERS pairs URL=LOG.
URLS=()
SERVERS=()
for n in 1 2 3; do
  start_fake --step-delay-ms 0 --chaos "$RATE" --served-log "$WORK/served-$n.log"
  URLS+=("$FAKE_URL")
  SERVERS+=("$FAKE_URL=$WORK/served-$n.log")
done
args=()
for u in "${URLS[@]}"; do args+=(--url "$u"); done
echo "soak: $JOBS jobs, -j 16 on each of 3 fake servers, chaos rate $RATE ($(nproc) cores)"
start=$(date +%s.%N)
set +e
"$BIN" batch workflows/tiny_sample.json --count "$JOBS" -j 16 \
  --seed "$RANDOM" -o "$WORK/out" "${args[@]}" --json >"$WORK/summary.json" 2>"$WORK/stderr" &
BATCH=$!
# RSS twenty times a second: flat memory means the last fifth is no higher than the second fifth
# (the first holds start-up).
: >"$WORK/rss"
while kill -0 "$BATCH" 2>/dev/null; do
  awk '/VmRSS/ {print $2}' "/proc/$BATCH/status" 2>/dev/null >>"$WORK/rss" || true
  sleep 0.05
done
wait "$BATCH"
code=$?
resumed=0
if [ "$code" = 1 ]; then
  # Jobs that failed after every retry (likely only at high rates) are what --resume is for.
  resumed=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if l.strip() and json.loads(l)["status"] != "success"))' "$WORK/out/batch.jsonl")
  "$BIN" batch --resume "$WORK/out" --json >"$WORK/summary.json" 2>>"$WORK/stderr"
  code=$?
fi
set -e
end=$(date +%s.%N)
python3 - "$WORK" "$JOBS" "$code" "$start" "$end" "$resumed" "${SERVERS[@]}" <<'PY'
import collections, hashlib, json, os, sys
work, jobs, code, start, end, resumed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
servers = [s.split("=", 1) for s in sys.argv[7:]]
out = os.path.join(work, "out")
problems = []
served, queued, faults = {}, collections.Counter(), collections.Counter()
for u, path in servers:
    sums = {}
    for line in open(path) if os.path.exists(path) else []:
        parts = line.split()
        if parts[0] == "queued":
            queued[parts[1]] += 1
        elif parts[0] == "output":
            sums[parts[2]] = parts[1]
        elif parts[0] == "fault":
            faults[" ".join(parts[1:])] += 1
    served[u.rstrip("/")] = sums
dups = [p for p, n in queued.items() if n > 1]
if dups:
    problems.append(f"{len(dups)} prompt(s) queued more than once, e.g. {dups[0]}")
# The manifest: the last line per job index wins (a resumed or retried job appends again).
lines = [json.loads(l) for l in open(os.path.join(out, "batch.jsonl")) if l.strip()]
last = {}
for l in lines:
    last[l["index"]] = l
missing = sorted(set(range(jobs)) - set(last))
if missing:
    problems.append(f"{len(missing)} job(s) missing from the manifest, e.g. index {missing[0]}")
status = collections.Counter(l["status"] for l in last.values())
checked = 0
for l in last.values():
    if l["status"] != "success":
        continue
    server = l["server"].rstrip("/")
    for o in l["outputs"]:
        p = o["path"] if os.path.isabs(o["path"]) else os.path.join(out, o["path"])
        if not os.path.exists(p):
            problems.append(f"job {l['index']}: {o['path']} missing"); continue
        data = open(p, "rb").read()
        if len(data) != o["bytes"]:
            problems.append(f"job {l['index']}: {o['path']} is {len(data)} bytes, manifest says {o['bytes']}")
        key = f"{o['type']}/{o['subfolder']}/{o['filename']}"
        want = served.get(server, {}).get(key)
        got = hashlib.sha256(data).hexdigest()
        if want != got:
            problems.append(f"job {l['index']}: {o['path']} sha256 {got[:12]} ≠ served {str(want)[:12]} by {server}")
        checked += 1
parts = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs if f.endswith(".part") or ".tmp" in f]
if parts:
    problems.append(f"{len(parts)} partial file(s) left, e.g. {parts[0]}")
summary = json.load(open(os.path.join(work, "summary.json"))) if os.path.getsize(os.path.join(work, "summary.json")) else {}
rss = [int(x) for x in open(os.path.join(work, "rss")).read().split()]
q = max(1, len(rss) // 5)
early, late = (max(rss[q:2 * q] or rss) if rss else 0), (max(rss[-q:]) if rss else 0)
if resumed:
    print(f"  {resumed} job(s) failed after every retry; `batch --resume` ran them again")
print(f"  finished in {end - start:.1f} s, exit {code}; manifest: {dict(status)}; "
      f"{sum(queued.values())} submissions reached the servers")
print(f"  faults injected: {sum(faults.values())} — " + ", ".join(f"{k}: {v}" for k, v in sorted(faults.items())))
if not faults:
    problems.append("no fault was injected: the soak proved nothing")
print(f"  outputs checked against the servers' sha256: {checked}")
print(f"  peak RSS {max(rss or [0]) / 1024:.1f} MB; second fifth of the run {early / 1024:.1f} MB, last fifth {late / 1024:.1f} MB ({len(rss)} samples)")
if len(rss) < 10:
    problems.append(f"only {len(rss)} RSS samples: run more jobs to judge memory")
elif late > early * 1.25 + 2048:
    problems.append(f"memory grew: {early} KB → {late} KB")
if status.get("success", 0) != jobs:
    failed = [l for l in last.values() if l["status"] != "success"][:3]
    problems.append(f"{jobs - status.get('success', 0)} job(s) did not succeed: " + "; ".join(f"{l['index']}: {l.get('error')}" for l in failed))
if problems:
    print("SOAK FAILED:")
    for p in problems[:20]:
        print("  -", p)
    print(open(os.path.join(work, "stderr")).read()[-2000:])
    sys.exit(1)
print("soak: OK — every job accounted for, every output byte-identical, no duplicate submission")
PY
