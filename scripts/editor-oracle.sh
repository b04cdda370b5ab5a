#!/usr/bin/env bash
# Regenerates the editor golden files: what the real ComfyUI editor's Queue button sends
# (`app.graphToPrompt().output`) for every editor template whose node types the matching
# recorded server has. `cargo test` compares `comfyctl convert` with these files.
#
#   scripts/editor-oracle.sh            # all three editor/server pairs below
#   scripts/editor-oracle.sh 1.58.1     # only the pairs of that editor version
#   scripts/editor-oracle.sh --check    # regenerate aside and fail if the committed files differ
#
# Installs what it needs: Debian's chromium (apt-get), the editor (PyPI
# comfyui-frontend-package) and the templates (PyPI comfyui-workflow-templates-json); builds
# the fake server, which serves the editor's static files with the recorded /object_info of
# that server version (--front-end-root). The browser is kept on loopback.
#
# Writes tests/fixtures/editor-golden/FRONTEND-on-SERVER.jsonl and copies the templates they
# cover into tests/fixtures/editor-templates/ (minified; the same JSON documents).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/templates.sh

templates_version="${CORPUS_VERSION:-0.1.123}"
# Editor version, then the recorded server whose definitions it runs on: the newest editor and
# the one each recorded server pins in its requirements.txt.
pairs=("1.58.1 0.26.0" "1.45.19 0.26.0" "1.27.10 0.3.64")
check=""
[ "${1:-}" = "--check" ] && { check=1; shift; }
only="${1:-}"

# Without the registries, --check (CI) has nothing to compare with: it says so and passes,
# as scripts/corpus.sh does; a regeneration fails.
unreachable() {
  if [ -n "$check" ]; then
    echo "editor-oracle: SKIPPED ($1)"
    exit 0
  fi
  echo "editor-oracle: $1" >&2
  exit 1
}
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || unreachable "cannot install Debian's chromium"
fi
node --experimental-websocket -e 'if (typeof WebSocket !== "function") process.exit(1)' \
  || { echo "editor-oracle: Node.js with --experimental-websocket (20.10+) is needed" >&2; exit 1; }

work=target/editor-oracle
pypi_wheel comfyui-workflow-templates-json "$templates_version" "target/corpus/$templates_version" \
  || unreachable "cannot download comfyui-workflow-templates-json $templates_version"
templates="target/corpus/$templates_version/comfyui_workflow_templates_json/templates"

cargo build --quiet --example fake_comfyui --example corpus
fake=target/debug/examples/fake_comfyui
corpus=target/debug/examples/corpus

golden=tests/fixtures/editor-golden
copies=tests/fixtures/editor-templates
if [ -n "$check" ]; then
  golden="$work/check/editor-golden"
  copies="$work/check/editor-templates"
  rm -rf "$work/check"
fi
mkdir -p "$golden" "$copies" "$work"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

for pair in "${pairs[@]}"; do
  read -r frontend server <<<"$pair"
  [ -n "$only" ] && [ "$only" != "$frontend" ] && continue
  echo "== editor $frontend on ComfyUI $server's node definitions"
  pypi_wheel comfyui-frontend-package "$frontend" "$work/frontend-$frontend" \
    || unreachable "cannot download comfyui-frontend-package $frontend"
  static="$work/frontend-$frontend/comfyui_frontend_package/static"
  list="$work/templates-$server.txt"
  "$corpus" "$templates" "tests/fixtures/real-comfyui-$server/object_info.json" --eligible >"$list"
  echo "$(wc -l <"$list") templates whose node types ComfyUI $server has"

  old=()
  [ "$server" = "0.3.64" ] && old=(--old)
  log="$work/server-$frontend.log"
  "$fake" --port 0 "${old[@]}" --front-end-root "$static" 2>"$log" &
  server_pid=$!
  url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "editor-oracle: the fake server did not start" >&2; cat "$log" >&2; exit 1; }

  node --experimental-websocket --no-warnings scripts/editor-oracle/oracle.mjs \
    --url "$url" --templates "$templates" --list "$list" \
    --out "$golden/$frontend-on-$server.jsonl"
  stop_server

  python3 - "$templates" "$copies" "$list" <<'PY'
import json, sys
src, dst, names = sys.argv[1:4]
for name in open(names, encoding="utf-8").read().split():
    doc = json.load(open(f"{src}/{name}", encoding="utf-8"))
    with open(f"{dst}/{name}", "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
PY
done
echo "golden files in $golden, templates in $copies ($(du -sh "$golden" "$copies" | awk '{print $1}' | paste -sd' '))"
if [ -n "$check" ]; then
  status=0
  # The 1.45 editor's audio player URL ends in a random cache-buster (`&rand=0.68…`): the one
  # part of a recording that changes from run to run.
  for f in "$golden"/*.jsonl; do
    if ! python3 - "$f" "tests/fixtures/editor-golden/$(basename "$f")" <<'PY'
import re, sys
read = lambda p: re.sub(r"rand=[0-9.e-]+", "rand=*", open(p, encoding="utf-8").read())
sys.exit(0 if read(sys.argv[1]) == read(sys.argv[2]) else 1)
PY
    then
      echo "editor-oracle: $(basename "$f") differs from the committed golden file" >&2
      status=1
    fi
  done
  for f in "$copies"/*.json; do
    if ! cmp -s "$f" "tests/fixtures/editor-templates/$(basename "$f")"; then
      echo "editor-oracle: $(basename "$f") differs from its copy in tests/fixtures/editor-templates" >&2
      status=1
    fi
  done
  [ "$status" = 0 ] && echo "editor-oracle: the committed golden files are what the editors send"
  exit "$status"
fi
