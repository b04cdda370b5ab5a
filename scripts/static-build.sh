#!/usr/bin/env bash
# A fully static Linux binary: the musl target (rustup) and musl-gcc (Debian's musl-tools, for
# aws-lc's C code), a release build, then checks that nothing is linked dynamically and that
# the binary runs a job against the fake server (name resolution included: "localhost").
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
target=x86_64-unknown-linux-musl
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v musl-gcc >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null
fi
cargo build --release --locked --target "$target" --quiet
bin=target/$target/release/comfyctl
file "$bin"
ldd "$bin" 2>&1 | grep -q "statically linked\|not a dynamic executable" || {
  echo "$bin is linked dynamically:" >&2; ldd "$bin" >&2; exit 1; }
"$bin" --version

cargo build --quiet --example fake_comfyui
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/debug/examples/fake_comfyui --port "$port" >"$work/fake.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/system_stats" >/dev/null && break
  sleep 0.1
done
COMFYCTL_CONFIG="$work/none.toml" COMFYCTL_CACHE_DIR="$work/cache" \
  "$bin" -q run workflows/tiny_sample.json --url "http://localhost:$port" -o "$work/out" >"$work/paths"
test -s "$(head -1 "$work/paths")"
echo "static $(du -h "$bin" | cut -f1) binary ran a job; $(( $(date +%s) - start )) s"
