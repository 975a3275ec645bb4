# Helpers for the measurement scripts (bench-coldstart, bench-throughput,
# load-test, faults): release builds in their own target dir, free ports,
# moto on 127.0.0.1, waiting for a port. Sourced, not run.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
release="$CARGO_TARGET_DIR/release"
work="$(mktemp -d -t prove.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_http URL PID: until URL answers (any status) or PID dies.
wait_http() {
  for _ in $(seq 1 300); do
    curl -sS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "process $2 died before $1 answered" >&2; return 1; }
    sleep 0.1
  done
  echo "$1 did not answer" >&2; return 1
}

# Each binary is built by itself so that it links only its own features.
build_release() {
  cargo build --release --locked -q -p xtask --bin xtask
  cargo build --release --locked -q -p xtask --bin axum_hello
  cargo build --release --locked -q -p local
}

# start_moto: moto server (one request at a time: scripts/moto_server_serial.py)
# on a free port; sets moto_pid, moto_port and the AWS_* environment.
start_moto() {
  [ -x "$root/.venv/bin/moto_server" ] || . scripts/dev-env
  moto_port="${1:-$(free_port)}"
  "$root/.venv/bin/python3" scripts/moto_server_serial.py -H 127.0.0.1 -p "$moto_port" >"$work/moto-$moto_port.log" 2>&1 &
  moto_pid=$!
  pids+=("$moto_pid")
  wait_http "http://127.0.0.1:$moto_port/moto-api/" "$moto_pid"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
  # Every service on this one moto: not S3 on the test command's own
  # (boto3 here would follow it, the functions under the harness would not).
  unset AWS_ENDPOINT_URL_S3
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1
}

machine() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
