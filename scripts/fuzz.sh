#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (issue 11). Needs a nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`); not part of `cargo test`, which instead replays every
# seed and saved crash through the same code (src/fuzzing.rs).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     # default 60 s, every target
#
# Seeds: fuzz/corpus-seeds/TARGET (from tests/fixtures and workflows/), plus the editor
# templates when scripts/corpus.sh has downloaded them. A crash is copied to
# fuzz/regressions/TARGET/ (commit it with the fix) and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(binary_frame ws_message api_workflow ui_workflow param_value config output_path)
fi
cargo +nightly fuzz build -O >/dev/null
status=0
for t in "${TARGETS[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus" "fuzz/regressions/$t"
  cp -n fuzz/corpus-seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  if [ "$t" = ui_workflow ]; then
    for f in target/corpus/*/comfyui_workflow_templates_json/templates/*.json; do
      [ -e "$f" ] && cp -n "$f" "$corpus/" || true
    done
  fi
  log=$(mktemp)
  if cargo +nightly fuzz run -O "$t" "$corpus" -- -max_total_time="$SECS" -max_len=262144 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "$t: ${SECS}s, $runs runs, no crash"
  else
    status=1
    echo "$t: CRASH"
    grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5
    for a in fuzz/artifacts/"$t"/*; do
      [ -e "$a" ] && cp "$a" "fuzz/regressions/$t/" && echo "  saved $(basename "$a") to fuzz/regressions/$t/"
    done
  fi
  rm -f "$log"
done
exit $status
