# Sourced by the benchmark and soak scripts: starts fake ComfyUI servers (the release build of
# examples/fake_comfyui) on free ports and stops them on exit.
#
#   source bench/fake.sh
#   start_fake --step-delay-ms 0      # sets FAKE_URL once the server answers
#   trap 'stop_fakes; rm -rf "$WORK"' EXIT

FAKE_BIN=${FAKE_BIN:-$PWD/target/release/examples/fake_comfyui}
FAKE_PIDS=()

stop_fakes() { for p in "${FAKE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }

start_fake() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$FAKE_BIN" --port "$port" "$@" >/dev/null 2>&1 &
  FAKE_PIDS+=($!)
  FAKE_URL="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    curl -sf "$FAKE_URL/system_stats" >/dev/null && return 0
    sleep 0.1
  done
  echo "the fake server on port $port did not start" >&2
  return 1
}
