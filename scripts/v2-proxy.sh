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

echo "== comfyctl through the real proxy: run, batch (an upload, an execution error, a rejection, a cancel), watch, queue, cancel, logs, health"
cargo build --release --quiet --bin comfyctl
ROOT=$PWD
BIN=$ROOT/target/release/comfyctl
PURL="http://127.0.0.1:$PROXY_PORT"
CLI=$WORK/cli
mkdir -p "$CLI"
cd "$CLI"
export COMFY_API_KEY=$TOKEN COMFYCTL_CONFIG=$CLI/none.toml COMFYCTL_CACHE_DIR=$CLI/cache NO_COLOR=1
fail() { echo "FAIL: $*" >&2; exit 1; }
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }
cp "$ROOT/tests/fixtures/comfy-api-v2/a_invert_output.png" in.png
cat > scale.json <<'WF'
{"1": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}},
 "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 0.5}},
 "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "cli/scaled"}}}
WF
python3 - "$ROOT/workflows/tiny_sample.json" long.json <<'PY'
import json, sys
wf = json.load(open(sys.argv[1]))
for n in wf.values():
    if n.get("class_type") == "KSampler":
        n["inputs"]["steps"] = 150
json.dump(wf, open(sys.argv[2], "w"))
PY

# run: auto finds v2, the input goes up as an asset, the output comes down into its subfolder.
"$BIN" run scale.json --image in.png --url "$PURL" -o out --json >run.json 2>run.err || { cat run.err; fail "run"; }
[ "$(json_get run.json 'd["status"]')" = success ] || fail "run status"
out=$(json_get run.json 'd["outputs"][0]["path"]')
[ -s "$out" ] && [[ "$out" == out/cli/* ]] || fail "run output $out"
grep -q "no node definitions" run.err || fail "run did not say where definitions come from"
! grep -q "$TOKEN" run.json run.err || fail "the key was printed"
echo "ok   run over v2 (auto), upload, output $out"

# batch: a good job, one failing at run time, one ComfyUI rejects.
rc=0
"$BIN" batch scale.json --image in.png --sweep '2.scale_by=0.5,0.01,-1' --url "$PURL" -o b >batch.out 2>batch.err || rc=$?
[ "$rc" = 1 ] || { cat batch.err; fail "batch exit $rc, wanted 1"; }
statuses=$(python3 -c 'import json; print(" ".join(sorted(json.loads(l)["status"] for l in open("b/batch.jsonl") if json.loads(l)["type"] == "job")))')
[ "$statuses" = "error rejected success" ] || fail "batch statuses: $statuses"
echo "ok   batch over v2: $statuses (exit 1)"

# a cancel: Ctrl-C on a batch of long jobs cancels them on the server.
"$BIN" batch long.json --count 2 --url "$PURL" -o c >cancel.out 2>cancel.err &
bpid=$!
for _ in $(seq 200); do
  curl -sf -H "Authorization: Bearer $TOKEN" "$PURL/api/v2/jobs?status=running" | grep -q '"running"' && break
  sleep 0.1
done
kill -INT "$bpid"
rc=0; wait "$bpid" || rc=$?
[ "$rc" = 130 ] || { cat cancel.err; fail "interrupted batch exit $rc, wanted 130"; }
grep -q '"cancelled"' c/batch.jsonl || fail "no cancelled job in the manifest"
live_jobs() {
  curl -sf -H "Authorization: Bearer $TOKEN" "$PURL/api/v2/jobs?status=running,queued" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))'
}
for _ in $(seq 100); do
  [ "$(live_jobs)" = 0 ] && break
  sleep 0.1
done
[ "$(live_jobs)" = 0 ] || fail "jobs left running after Ctrl-C"
echo "ok   Ctrl-C on a v2 batch cancels its jobs on the server (exit 130)"

# watch: a job submitted with --detach, followed to its end by id.
id=$("$BIN" run "$ROOT/workflows/tiny_sample.json" --url "$PURL" --detach 2>/dev/null)
"$BIN" watch --prompt-id "$id" --url "$PURL" -o w --download --json >watch.json 2>watch.err || { cat watch.err; fail "watch"; }
[ "$(json_get watch.json 'd["status"]')" = success ] || fail "watch status"
echo "ok   watch --prompt-id over v2"

# queue, cancel (a queued and a running job), logs and health, as the proxy answers them.
a=$("$BIN" run long.json --url "$PURL" --detach 2>/dev/null)
b=$("$BIN" run long.json --url "$PURL" --detach 2>/dev/null)
for _ in $(seq 100); do [ "$(live_jobs)" = 2 ] && break; sleep 0.1; done
"$BIN" queue --url "$PURL" --json >queue.json || fail "queue"
[ "$(json_get queue.json 'len(d["running"]) + len(d["pending"])')" = 2 ] || fail "queue: $(cat queue.json)"
[ "$(json_get queue.json 'd["pending"][0]["prompt_id"]')" = "$b" ] || fail "queue: $b is not the pending one"
"$BIN" cancel "$b" "$a" --url "$PURL" --json >cancel.json || fail "cancel exit $?"
[ "$(json_get cancel.json '[r["result"]["outcome"] for r in d["results"]]')" = "['deleted', 'interrupted']" ] ||
  fail "cancel: $(cat cancel.json)"
rc=0; "$BIN" logs "$a" --url "$PURL" --json >logs.json || rc=$?
[ "$rc" = 1 ] && [ "$(json_get logs.json 'd["status"]')" = interrupted ] || fail "logs exit $rc: $(cat logs.json)"
"$BIN" health --url "$PURL" --json >health.json || fail "health"
[ "$(json_get health.json '[c["status"] for c in d["checks"] if c["name"] == "key"]')" = "['ok']" ] || fail "health: $(cat health.json)"
! grep -q "$TOKEN" queue.json cancel.json logs.json health.json || fail "the key was printed"
echo "ok   queue, cancel (queued → deleted, running → interrupted), logs, health over v2"
cd "$ROOT"

echo "== every recorded scenario replayed against the real proxy in front of the fake ComfyUI"
# The same comparison tests/it/v2_fake.rs makes for the fake v2 server (its own proxy and
# ComfyUI processes; the real keepalive is 15 s, so this takes about 40 s).
COMFY_API_PROXY="$VENV/bin/comfy-api-proxy" cargo test --locked --quiet --test it real_proxy -- --ignored
