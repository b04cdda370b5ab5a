#!/usr/bin/env bash
# Regenerates completions/, man/ and the reviewed --help texts from the CLI definition. Run
# after changing src/cli/.
set -euo pipefail
unset COLUMNS LINES  # help text is wrapped to the default width, as in the tests
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/comfyctl
"$bin" completions bash > completions/comfyctl.bash
"$bin" completions zsh > completions/_comfyctl
"$bin" completions fish > completions/comfyctl.fish
"$bin" completions powershell > completions/_comfyctl.ps1
"$bin" completions elvish > completions/comfyctl.elv
echo "completions/ regenerated"
cargo run --quiet --example gen_man -- man
# The reviewed --help surface (tests/it/cli.rs compares against it).
mkdir -p tests/snapshots/help
"$bin" --help > tests/snapshots/help/comfyctl.txt
for c in run params validate convert deps watch queue cancel health logs hw config completions report mcp; do
  "$bin" "$c" --help > "tests/snapshots/help/$c.txt"
done
echo "tests/snapshots/help/ regenerated"
cargo run --quiet --example gen_schemas
