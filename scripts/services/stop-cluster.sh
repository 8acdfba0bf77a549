#!/usr/bin/env bash
# Stops the cluster that start-cluster.sh started for BASE_DIR, by the PIDs in its PID files only:
# the ClickHouse nodes first (they keep retrying ZooKeeper and linger when it goes first), then
# ZooKeeper. SIGTERM, up to 10 s, then SIGKILL. Safe to run when nothing runs.
#
# Usage: scripts/services/stop-cluster.sh BASE_DIR
set -euo pipefail

BASE=${1:?usage: stop-cluster.sh BASE_DIR}
[ -d "$BASE" ] || exit 0

stop_pids() {
  local pids=() f p
  for f in "$@"; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    if [[ "$p" =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      pids+=("$p")
    fi
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  rm -f "$@"
}

stop_pids "$BASE"/node*/server.pid
stop_pids "$BASE/zk/zk.pid"
rm -f "$BASE/env.sh"
