#!/usr/bin/env bash
# Stops the servers that start.sh started for BASE_DIR, by the PIDs in its PID files only
# (SIGTERM, wait up to 10 s, then SIGKILL), the cluster included. Safe to run when nothing runs.
#
# Usage: scripts/services/stop.sh BASE_DIR
set -euo pipefail

BASE=${1:?usage: stop.sh BASE_DIR}
[ -d "$BASE" ] || exit 0
"$(dirname "${BASH_SOURCE[0]}")/stop-cluster.sh" "$BASE/cluster"

for f in "$BASE/ch/server.pid" "$BASE/redis/redis.pid"; do
  [ -f "$f" ] || continue
  p=$(cat "$f")
  if [[ "$p" =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  fi
  rm -f "$f"
done
rm -f "$BASE/env.sh"
