# Sourced by scripts/corpus.sh and scripts/editor-oracle.sh: downloads a PyPI wheel once and
# unpacks it under target/.
#
#   pypi_wheel NAME VERSION DIR    # unpacks NAME==VERSION into DIR; returns 1 when PyPI is out of reach

pypi_wheel() {
  local name=$1 version=$2 dir=$3
  [ -f "$dir/.unpacked" ] && return 0
  mkdir -p "$dir"
  # pip knows the machine's index and proxy settings; the JSON API is the fallback.
  if ! python3 -m pip download --quiet --no-deps -d "$dir" "$name==$version" 2>/dev/null; then
    local url
    url=$(curl -fsS --max-time 60 "https://pypi.org/pypi/$name/$version/json" 2>/dev/null \
      | python3 -c 'import json,sys; print(next(u["url"] for u in json.load(sys.stdin)["urls"] if u["filename"].endswith(".whl")))' 2>/dev/null) || url=""
    if [ -z "$url" ] || ! curl -fsS --max-time 300 -o "$dir/package.whl" "$url"; then
      return 1
    fi
  fi
  for wheel in "$dir"/*.whl; do
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$wheel" "$dir"
  done
  touch "$dir/.unpacked"
}
