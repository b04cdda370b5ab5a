#!/usr/bin/env bash
# Conversion time (issue 12, item 6): every editor workflow of the templates corpus that uses
# only known node types, converted to API format in-process (`examples/corpus.rs`); JSON parse,
# conversion and validation timed separately, per workflow, median of RUNS passes.
#
#   bench/convert.sh [RUNS]     # default 5; downloads the corpus through scripts/corpus.sh once
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
version="${CORPUS_VERSION:-0.1.123}"
templates="target/corpus/$version/comfyui_workflow_templates_json/templates"
[ -d "$templates" ] || scripts/corpus.sh >/dev/null
[ -d "$templates" ] || { echo "convert: SKIPPED (no corpus)"; exit 0; }
cargo build --release --quiet --example corpus
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for oi in tests/fixtures/real-comfyui-0.26.0/object_info.json tests/fixtures/real-comfyui-0.3.64/object_info.json; do
  for _ in $(seq "$RUNS"); do
    target/release/examples/corpus "$templates" "$oi" --json
  done >"$tmp"
  python3 - "$tmp" "$(basename "$(dirname "$oi")")" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
m = lambda k: statistics.median(r[k] for r in runs)
print(f"{sys.argv[2]}: {runs[0]['eligible']} workflows; per workflow: parse {m('parse_ms_per_workflow'):.3f} ms, "
      f"convert {m('convert_ms_per_workflow'):.3f} ms, validate {m('validate_ms_per_workflow'):.3f} ms; "
      f"slowest parse+convert {m('max_parse_and_convert_ms'):.2f} ms (median of {len(runs)} passes)")
PY
done
