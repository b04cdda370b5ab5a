#!/usr/bin/env bash
# The install story CI checks: `cargo publish --dry-run` packages the crate and builds it from
# the package alone; the package holds no benchmark, script, CI file, fuzz corpus or recording
# beyond what the tests read; the .crate stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
max_kib=${MAX_CRATE_KIB:-1024}

echo "== cargo publish --dry-run"
cargo publish --dry-run --locked --allow-dirty 2>&1 | grep -Ev '^\s+(Compiling|Downloaded|Downloading)'

list=$(cargo package --list --locked --allow-dirty 2>/dev/null)
# docs/agents.md is compiled in (the MCP server's guide resource); no other doc belongs.
bad=$(grep -v -x 'docs/agents.md' <<<"$list" | grep -E '^(bench|scripts|fuzz|docs|\.ci)/|^tests/fixtures/.*/(transcripts/.*\.(jsonl|http\.json)|routes\.txt)$|/frames/(sample_meta|interrupt)' || true)
if [ -n "$bad" ]; then
  echo "files that do not belong in the crate:" >&2
  echo "$bad" >&2
  exit 1
fi
for need in LICENSE README.md man/comfyctl.1 completions/comfyctl.bash; do
  grep -qx "$need" <<<"$list" || { echo "the crate lacks $need" >&2; exit 1; }
done
name=comfyctl-$(cargo pkgid | sed 's/.*[#@]//').crate
# `publish --dry-run` leaves the .crate in target/package/tmp-crate/ (cargo ≥ 1.8x), `package`
# in target/package/: the newer of the two is this run's.
crate=$(ls -t target/package/tmp-crate/"$name" target/package/"$name" 2>/dev/null | head -n 1 || true)
[ -n "$crate" ] || { echo "cargo left no $name under target/package" >&2; exit 1; }
kib=$(( $(stat -c %s "$crate") / 1024 ))
echo "$(wc -l <<<"$list") files, $crate is $kib KiB (limit $max_kib)"
[ "$kib" -le "$max_kib" ] || { echo "the crate grew past $max_kib KiB" >&2; exit 1; }
