#!/usr/bin/env bash
# Batch throughput and memory against instant fake servers (issue 6's benchmark).
#
#   bench/batch.sh [RUNS]        # default 3 runs per figure; prints medians
#
# Starts three fake ComfyUI servers with --step-delay-ms 0 on free ports, then measures with
# /usr/bin/time: 1,000 jobs at -j 16 on one server and on three, and 10,000 jobs on three
# (peak RSS must not grow with the job count). Also jobs per CPU-second of comfyctl itself: the
# fakes share the cores, so that is what comfyctl could do against servers of their own. Each run uses a fresh seed so nothing is cached.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
cargo build --release --quiet --bin comfyctl --example fake_comfyui
BIN=target/release/comfyctl
source bench/fake.sh
WORK=$(mktemp -d)
cleanup() { stop_fakes; rm -rf "$WORK"; }
trap cleanup EXIT
URLS=()
for _ in 1 2 3; do
  start_fake --step-delay-ms 0
  URLS+=("$FAKE_URL")
done

SEEDS=$((RANDOM * 1000))
# run COUNT URL... → "jobs_per_s peak_rss_kb jobs_per_cpu_s"
run() {
  local count=$1; shift
  local args=()
  for u in "$@"; do args+=(--url "$u"); done
  local seed=$((SEEDS + RANDOM))
  local out="${OUTBASE:-$WORK}/b$seed"
  /usr/bin/time -f "%M %U %S" -o "$WORK/time" "$BIN" batch workflows/tiny_sample.json --seed "$seed" \
    --count "$count" -j 16 -o "$out" "${args[@]}" --json >"$WORK/summary.json" 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
  local jps
  jps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs_per_s"])' "$WORK/summary.json")
  read -r rss user sys < <(tail -1 "$WORK/time")
  echo "$jps $rss $(python3 -c "print(round($count / max($user + $sys, 0.001)))")"
  rm -rf "$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

figure() {
  local label=$1; shift
  local rates=() rss=() cpu=()
  for _ in $(seq "$RUNS"); do
    read -r r m c < <(run "$@")
    rates+=("$r"); rss+=("$m"); cpu+=("$c")
  done
  printf '%-34s %10s jobs/s   peak RSS %6s KB   %6s jobs per comfyctl CPU-second\n' "$label" \
    "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | median)" \
    "$(printf '%s\n' "${cpu[@]}" | median)"
}

echo "comfyctl batch against instant fake servers, median of $RUNS runs ($(nproc) cores)"
figure "1,000 jobs, -j 16, one server" 1000 "${URLS[0]}"
figure "1,000 jobs, -j 16, three servers" 1000 "${URLS[@]}"
figure "10,000 jobs, -j 16, three servers" 10000 "${URLS[@]}"
# Each job makes two folders and a file: on a slow disk that is most of the cost (strace on this
# VM's ext4: ~340 µs per mkdir/create). The same on a RAM disk shows comfyctl's own rate.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  OUTBASE=$(mktemp -d /dev/shm/comfyctl-bench.XXXXXX)
  trap 'cleanup; rm -rf "$OUTBASE"' EXIT
  echo "outputs on a RAM disk (/dev/shm):"
  figure "1,000 jobs, -j 16, three servers" 1000 "${URLS[@]}"
  figure "10,000 jobs, -j 16, three servers" 10000 "${URLS[@]}"
fi
