#!/usr/bin/env bash
# Every figure of the README's Performance table, in one command (issue 12):
#
#   bench/all.sh            # about 6 minutes after the release build; comfy-cli, comfy-sdk,
#                           # comfy-api-proxy and the MCP peers come from PyPI on first use
#
# Each script can also be run alone with its own RUNS argument (see its header).
set -euo pipefail
cd "$(dirname "$0")"
for b in startup per_job download ws_ingest batch convert v2 mcp; do
  echo "== bench/$b.sh"
  "./$b.sh"
  echo
done
