#!/usr/bin/env bash
# Starts a throwaway ClickHouse server and Redis server for tests, as plain processes listening
# on free 127.0.0.1 ports, with all state under BASE_DIR. Writes BASE_DIR/env.sh exporting
# TICKPIPE_TEST_CLICKHOUSE_URL and TICKPIPE_TEST_REDIS_URL. Stop with stop.sh BASE_DIR.
#
# Usage: scripts/services/start.sh BASE_DIR
#
# Idempotent: when both servers of BASE_DIR are already running and answer, it only reprints
# env.sh. Installs clickhouse-server, clickhouse-client and redis-server with apt-get when missing
# (Debian 12 ships ClickHouse 18.16, see /work/shared/infra.md §1).
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
  if ch_ping "${TICKPIPE_TEST_CLICKHOUSE_URL##*:}" && redis_ping "${TICKPIPE_TEST_REDIS_URL##*:}"; then
    cat "$BASE/env.sh"
    exit 0
  fi
fi
# Half-started or stale state: stop whatever the PID files name before starting afresh.
"$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true

export DEBIAN_FRONTEND=noninteractive
need=()
[ -x /usr/sbin/clickhouse-server ] || command -v clickhouse-server >/dev/null || need+=(clickhouse-server clickhouse-client)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
CH_BIN=/usr/sbin/clickhouse-server
[ -x "$CH_BIN" ] || CH_BIN=$(command -v clickhouse-server)

# Three distinct free loopback ports, all held open at once so they cannot collide.
read -r CH_HTTP CH_TCP REDIS_PORT < <(node -e '
const net = require("node:net");
const servers = [0, 1, 2].map(() => net.createServer().listen(0, "127.0.0.1"));
Promise.all(servers.map((s) => new Promise((r) => s.on("listening", r)))).then(() => {
  console.log(servers.map((s) => s.address().port).join(" "));
  servers.forEach((s) => s.close());
});')

mkdir -p "$BASE"/ch/{data,tmp,user_files,format_schemas,log} "$BASE"/redis
cat >"$BASE/ch/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$BASE/ch/log/server.log</log><errorlog>$BASE/ch/log/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$CH_TCP</tcp_port>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>536870912</mark_cache_size>
  <path>$BASE/ch/data/</path>
  <tmp_path>$BASE/ch/tmp/</tmp_path>
  <user_files_path>$BASE/ch/user_files/</user_files_path>
  <format_schema_path>$BASE/ch/format_schemas/</format_schema_path>
  <users_config>$BASE/ch/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
XML
# allow_experimental_low_cardinality_type belongs in the server profile: 18.16 needs it for
# LowCardinality, newer servers reject it when a client sends it.
cat >"$BASE/ch/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default>
    <max_memory_usage>4000000000</max_memory_usage>
    <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
  </default></profiles>
  <users><default>
    <password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML

"$CH_BIN" --config-file="$BASE/ch/config.xml" >"$BASE/ch/log/stdout.log" 2>&1 &
echo $! >"$BASE/ch/server.pid"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$BASE/redis" \
  --logfile "$BASE/redis/redis.log" --daemonize no >/dev/null 2>&1 &
echo $! >"$BASE/redis/redis.pid"

for _ in $(seq 1 150); do ch_ping "$CH_HTTP" && break; sleep 0.1; done
if ! ch_ping "$CH_HTTP"; then
  echo "clickhouse-server did not become ready on 127.0.0.1:$CH_HTTP" >&2
  tail -20 "$BASE/ch/log/stdout.log" "$BASE/ch/log/server.err.log" >&2 2>/dev/null || true
  "$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true
  exit 1
fi
for _ in $(seq 1 100); do redis_ping "$REDIS_PORT" && break; sleep 0.1; done
if ! redis_ping "$REDIS_PORT"; then
  echo "redis-server did not become ready on 127.0.0.1:$REDIS_PORT" >&2
  tail -20 "$BASE/redis/redis.log" >&2 2>/dev/null || true
  "$HERE/stop.sh" "$BASE" >/dev/null 2>&1 || true
  exit 1
fi

cat >"$BASE/env.sh" <<ENV
export TICKPIPE_TEST_CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP
export TICKPIPE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
ENV
cat "$BASE/env.sh"
