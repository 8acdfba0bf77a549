#!/usr/bin/env bash
# Starts one throwaway ClickHouse server as a plain process on free 127.0.0.1 ports, all state
# under DIR. Writes DIR/env.sh exporting TICKPIPE_TEST_CLICKHOUSE_URL. Stop it with
# `kill "$(cat DIR/server.pid)"` or stop.sh of the start.sh that started it.
#
# Usage: scripts/services/start-clickhouse.sh DIR
#
# Restartable: the ports are chosen once and kept in DIR/ports, so a test that stopped the
# server starts it again with this script on the same URL and data. Installs clickhouse-server
# with apt-get when missing (Debian 12: 18.16).
set -euo pipefail

DIR=${1:?usage: start-clickhouse.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# shellcheck source=clickhouse-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/clickhouse-common.sh"
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

export DEBIAN_FRONTEND=noninteractive
need=()
[ -x /usr/sbin/clickhouse-server ] || command -v clickhouse-server >/dev/null || need+=(clickhouse-server clickhouse-client)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
CH_BIN=/usr/sbin/clickhouse-server
[ -x "$CH_BIN" ] || CH_BIN=$(command -v clickhouse-server)

if [ ! -f "$DIR/ports" ]; then
  node -e '
const net = require("node:net");
const servers = [0, 1].map(() => net.createServer().listen(0, "127.0.0.1"));
Promise.all(servers.map((s) => new Promise((r) => s.on("listening", r)))).then(() => {
  console.log(servers.map((s) => s.address().port).join(" "));
  servers.forEach((s) => s.close());
});' >"$DIR/ports"
fi
read -r CH_HTTP CH_TCP <"$DIR/ports"

if ! alive "$DIR/server.pid"; then
  mkdir -p "$DIR"/{data,tmp,user_files,format_schemas,log}
  cat >"$DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$DIR/log/server.log</log><errorlog>$DIR/log/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$CH_TCP</tcp_port>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>536870912</mark_cache_size>
  <path>$DIR/data/</path>
  <tmp_path>$DIR/tmp/</tmp_path>
  <user_files_path>$DIR/user_files/</user_files_path>
  <format_schema_path>$DIR/format_schemas/</format_schema_path>
  <users_config>$DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
XML
  write_users_xml "$DIR" 4000000000
  "$CH_BIN" --config-file="$DIR/config.xml" >"$DIR/log/stdout.log" 2>&1 &
  echo $! >"$DIR/server.pid"
fi

for _ in $(seq 1 150); do ch_ping "$CH_HTTP" && break; sleep 0.1; done
if ! ch_ping "$CH_HTTP"; then
  echo "clickhouse-server did not become ready on 127.0.0.1:$CH_HTTP" >&2
  tail -20 "$DIR/log/stdout.log" "$DIR/log/server.err.log" >&2 2>/dev/null || true
  exit 1
fi
echo "export TICKPIPE_TEST_CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP" >"$DIR/env.sh"
cat "$DIR/env.sh"
