#!/usr/bin/env bash
# Converts every editor workflow of the PyPI package comfyui-workflow-templates-json and checks
# the result two ways:
# 1. against the real editor: each conversion compared node by node with what the editor's
#    Queue button sent (tests/fixtures/editor-golden/, from scripts/editor-oracle.sh): the
#    templates, how many are equal, the list of those that differ, milliseconds per workflow;
# 2. against the validator: against the two recorded /object_info files, failing when a
#    workflow cannot be converted or the share of valid conversions drops below the floor.
#
#   scripts/corpus.sh                 # downloads the package once into target/corpus/
#   scripts/corpus.sh --comfy-cli     # also measures comfy-cli's converter on the same set
#   CORPUS_VERSION=0.1.130 scripts/corpus.sh
#
# A download failure (no network) prints SKIPPED and exits 0: this checks conversion, not PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/templates.sh
comfy_cli=""
[ "${1:-}" = "--comfy-cli" ] && { comfy_cli=1; shift; }
version="${CORPUS_VERSION:-0.1.123}"
dir="target/corpus/$version"
templates="$dir/comfyui_workflow_templates_json/templates"
if [ ! -d "$templates" ] && ! pypi_wheel comfyui-workflow-templates-json "$version" "$dir"; then
  echo "corpus: SKIPPED (could not download comfyui-workflow-templates-json $version from PyPI)"
  exit 0
fi
cargo build --release --quiet --example corpus
bin=target/release/examples/corpus

if [ -n "$comfy_cli" ] && [ ! -x target/comfy-cli/venv/bin/python ]; then
  python3 -m venv target/comfy-cli/venv
  target/comfy-cli/venv/bin/pip install --quiet "comfy-cli==1.23.0"
fi
# The golden files were recorded on 0.1.123's templates; other versions are compared by name.
for golden in tests/fixtures/editor-golden/*.jsonl; do
  pair=$(basename "$golden" .jsonl)
  server=${pair#*-on-}
  oi="tests/fixtures/real-comfyui-$server/object_info.json"
  echo "== comfyctl against the real editor ($pair)"
  "$bin" "$templates" "$oi" --golden="$golden" "$@"
  if [ -n "$comfy_cli" ]; then
    echo
    echo "== comfy-cli 1.23.0 against the real editor ($pair)"
    list="target/corpus/eligible-$server.txt"
    "$bin" "$templates" "$oi" --eligible >"$list"
    target/comfy-cli/venv/bin/python scripts/editor-oracle/comfy_cli_convert.py \
      "$oi" "$templates" "$list" "target/comfy-cli/$server.jsonl"
    "$bin" "$templates" "$oi" --golden="$golden" --candidate="target/comfy-cli/$server.jsonl" "$@" \
      | sed -n '1,8p'
  fi
  echo
done

# Floors sit just under the measured figures (see README); every failure left is a template
# that needs a newer server than the recording (values and outputs that server lacks).
echo "== validator: against ComfyUI 0.3.64 definitions"
"$bin" "$templates" tests/fixtures/real-comfyui-0.3.64/object_info.json --min-percent=89 "$@"
echo
echo "== validator: against ComfyUI 0.26.0 definitions"
"$bin" "$templates" tests/fixtures/real-comfyui-0.26.0/object_info.json --min-percent=90 "$@"
