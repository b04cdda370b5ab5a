#!/usr/bin/env bash
# The batch report page in a real browser: installs Debian's chromium if it is missing, makes a
# 2×2 sweep against the fake server (its first download answered 404, so one job fails and the
# page shows an error) whose page `batch --report` writes (the same page as `comfyctl report`
# DIR), and checks it in headless Chromium driven by playwright-core (from npm; it never
# downloads a browser): no
# console errors, no network fetches, N thumbnails shown, a filter hides exactly its jobs,
# a thumbnail opens its full image, and a full-page screenshot that is not blank, saved as
# docs/report.png (the README shows it).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null

echo "== playwright-core (npm; drives /usr/bin/chromium)"
tools=target/report-browser
mkdir -p "$tools"
cp scripts/report-browser/check.mjs "$tools/"
if [ ! -d "$tools/node_modules/playwright-core" ]; then
  (cd "$tools" && npm install --silent --no-audit --no-fund --prefix . playwright-core@1.65.1 >/dev/null)
fi

echo "== a batch against the fake server"
cargo build --quiet --bin comfyctl --example fake_comfyui
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/debug/examples/fake_comfyui --port "$port" --fail-next view:1:404 >"$work/fake.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/system_stats" >/dev/null && break
  sleep 0.1
done
export COMFYCTL_CONFIG="$work/none.toml" COMFYCTL_CACHE_DIR="$work/cache"
# The page as `batch --report` writes it (kept current while the batch runs) …
target/debug/comfyctl -q batch workflows/tiny_sample.json --url "http://127.0.0.1:$port" \
  --sweep cfg=4,7 --sweep steps=10,20 -j 1 -o "$work/b" --report "$work/b/report.html" \
  >/dev/null || [ $? -eq 1 ]  # 1: a job failed
# … is the page `comfyctl report DIR` writes for the folder afterwards.
target/debug/comfyctl report "$work/b" -o "$work/b/again.html"
cmp "$work/b/report.html" "$work/b/again.html"

echo "== the page in headless Chromium"
mkdir -p docs
node "$tools/check.mjs" "$work/b/report.html" docs/report.png 4 3
echo "report browser test passed in $(( $(date +%s) - start )) s"
