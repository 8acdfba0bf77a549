#!/usr/bin/env bash
# Starts the servers the test suite needs, as plain processes listening on free 127.0.0.1 ports,
# with all state under BASE_DIR: a ClickHouse server, a Redis server, and a ClickHouse cluster
# (2 shards x 2 replicas + ZooKeeper, start-cluster.sh into BASE_DIR/cluster). Writes
# BASE_DIR/env.sh exporting TICKPIPE_TEST_CLICKHOUSE_URL, TICKPIPE_TEST_REDIS_URL,
# TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS and TICKPIPE_TEST_CLICKHOUSE_CLUSTER. Stop with stop.sh BASE_DIR.
#
# Usage: scripts/services/start.sh BASE_DIR
#
# Idempotent: when the servers of BASE_DIR are already running and answer, it only reprints
# env.sh. Installs clickhouse-server, clickhouse-client, redis-server and zookeeper with apt-get
# when missing (Debian 12 ships ClickHouse 18.16; see docs/STORAGE.md).
set -euo pipefail

BASE=${1:?usage: start.sh BASE_DIR}
mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ch_ping() { curl -fsS --max-time 2 "http://127.0.0.1:$1/ping" 2>/dev/null | grep -q 'Ok'; }
redis_ping() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Already running for this BASE_DIR: reuse.
if [ -f "$BASE/env.sh" ] && alive "$BASE/ch/server.pid" && alive "$BASE/redis/redis.pid"; then
  # shellcheck disable=SC1091
  . "$BASE/env.sh"
  if ch_ping "${TICKPIPE_TEST_CLICKHOUSE_URL##*:}" && redis_ping "${TICKPIPE_TEST_REDIS_URL##*:}" &&
    "$HERE/start-cluster.sh" "$BASE/cluster" >/dev/null; then
    cat "$BASE/env.sh"
    exit 0
  fi
fi
# Half-started or stale state: stop whatever the PID files name before starting afresh.
"$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true

export DEBIAN_FRONTEND=noninteractive
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

REDIS_PORT=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
mkdir -p "$BASE/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$BASE/redis" \
  --logfile "$BASE/redis/redis.log" --daemonize no >/dev/null 2>&1 &
echo $! >"$BASE/redis/redis.pid"
for _ in $(seq 1 100); do redis_ping "$REDIS_PORT" && break; sleep 0.1; done
if ! redis_ping "$REDIS_PORT"; then
  echo "redis-server did not become ready on 127.0.0.1:$REDIS_PORT" >&2
  tail -20 "$BASE/redis/redis.log" >&2 2>/dev/null || true
  "$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true
  exit 1
fi

# Redis listens already, so no port is taken twice. A fresh start gets fresh ClickHouse ports too.
rm -f "$BASE/ch/ports"
if ! "$HERE/start-clickhouse.sh" "$BASE/ch" >/dev/null; then
  "$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true
  exit 1
fi
if ! "$HERE/start-cluster.sh" "$BASE/cluster" >/dev/null; then
  echo "the ClickHouse cluster did not start (logs under $BASE/cluster)" >&2
  "$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true
  exit 1
fi

{
  cat "$BASE/ch/env.sh"
  echo "export TICKPIPE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  cat "$BASE/cluster/env.sh"
} >"$BASE/env.sh"
cat "$BASE/env.sh"
