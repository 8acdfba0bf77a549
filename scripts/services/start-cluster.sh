#!/usr/bin/env bash
# Starts a ClickHouse cluster for tests: one ZooKeeper and four clickhouse-server processes on
# free 127.0.0.1 ports, forming cluster `tickpipe_cluster` = 2 shards x 2 replicas
# (internal_replication true; nodes 1 and 2 replicate shard 01, nodes 3 and 4 shard 02), all
# state under BASE_DIR. Writes BASE_DIR/env.sh exporting
#   TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS   the four HTTP URLs, comma-separated, node 1 first
#   TICKPIPE_TEST_CLICKHOUSE_CLUSTER        the cluster name
# Stop with stop-cluster.sh BASE_DIR (nodes first, then ZooKeeper).
#
# Usage: scripts/services/start-cluster.sh BASE_DIR
#
# Idempotent and restartable: ports are chosen once and kept in BASE_DIR/ports; a second call
# starts only the processes that are not running (a test that killed a node restarts it this way,
# with the same ports and data). Installs clickhouse-server and zookeeper with apt-get when
# missing (Debian 12: ClickHouse 18.16, ZooKeeper 3.8). See docs/STORAGE.md, "Cluster".
set -euo pipefail

BASE=${1:?usage: start-cluster.sh BASE_DIR}
mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
CLUSTER=tickpipe_cluster

# shellcheck source=clickhouse-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/clickhouse-common.sh"
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# ZooKeeper accepts sessions only once `srvr` reports a mode; `ruok` answers earlier, and a
# clickhouse-server connecting in between can crash in its ZooKeeper handshake.
zk_ready() {
  { exec 3<>"/dev/tcp/127.0.0.1/$1" && echo srvr >&3 && timeout 2 cat <&3 | grep -q '^Mode:'; } 2>/dev/null
  local rc=$?
  exec 3>&- 2>/dev/null || true
  return $rc
}

export DEBIAN_FRONTEND=noninteractive
need=()
[ -x /usr/sbin/clickhouse-server ] || command -v clickhouse-server >/dev/null || need+=(clickhouse-server clickhouse-client)
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
command -v java >/dev/null || need+=(default-jre-headless)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
CH_BIN=/usr/sbin/clickhouse-server
[ -x "$CH_BIN" ] || CH_BIN=$(command -v clickhouse-server)

# 13 ports: ZooKeeper, then per node HTTP, TCP and interserver. Held open together so they differ.
if [ ! -f "$BASE/ports" ]; then
  node -e '
const net = require("node:net");
const servers = Array.from({ length: 13 }, () => net.createServer().listen(0, "127.0.0.1"));
Promise.all(servers.map((s) => new Promise((r) => s.on("listening", r)))).then(() => {
  console.log(servers.map((s) => s.address().port).join(" "));
  servers.forEach((s) => s.close());
});' >"$BASE/ports"
fi
read -r ZK_PORT H1 T1 I1 H2 T2 I2 H3 T3 I3 H4 T4 I4 <"$BASE/ports"
HTTP=("$H1" "$H2" "$H3" "$H4")
TCP=("$T1" "$T2" "$T3" "$T4")
INTER=("$I1" "$I2" "$I3" "$I4")

# ZooKeeper (Debian's `zookeeper` package ships the jar; no system service needed).
mkdir -p "$BASE/zk/conf" "$BASE/zk/data"
if ! alive "$BASE/zk/zk.pid"; then
  printf 'tickTime=2000\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\nmaxClientCnxns=0\n' \
    "$BASE/zk/data" "$ZK_PORT" >"$BASE/zk/conf/zoo.cfg"
  cp -n /etc/zookeeper/conf/log4j.properties "$BASE/zk/conf/" 2>/dev/null || true
  java -Xms32m -Xmx256m -XX:+UseSerialGC -Dzookeeper.log.dir="$BASE/zk" \
    -cp "$BASE/zk/conf:/usr/share/java/zookeeper.jar" org.apache.zookeeper.server.ZooKeeperServerMain \
    "$BASE/zk/conf/zoo.cfg" >"$BASE/zk/stdout.log" 2>&1 &
  echo $! >"$BASE/zk/zk.pid"
fi
for _ in $(seq 1 200); do zk_ready "$ZK_PORT" && break; sleep 0.1; done
if ! zk_ready "$ZK_PORT"; then
  echo "zookeeper did not become ready on 127.0.0.1:$ZK_PORT" >&2
  tail -20 "$BASE/zk/stdout.log" >&2 2>/dev/null || true
  exit 1
fi

shard_xml() {
  local a=$1 b=$2
  echo "<shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>${TCP[$a]}</port></replica><replica><host>127.0.0.1</host><port>${TCP[$b]}</port></replica></shard>"
}
REMOTE="<remote_servers><$CLUSTER>$(shard_xml 0 1)$(shard_xml 2 3)</$CLUSTER></remote_servers>"

for i in 0 1 2 3; do
  n=$((i + 1))
  dir="$BASE/node$n"
  if alive "$dir/server.pid"; then continue; fi
  shard=$(printf '%02d' $((i / 2 + 1)))
  mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log}
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${HTTP[$i]}</http_port>
  <tcp_port>${TCP[$i]}</tcp_port>
  <interserver_http_port>${INTER[$i]}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  $REMOTE
  <zookeeper><node index="1"><host>127.0.0.1</host><port>$ZK_PORT</port></node><session_timeout_ms>15000</session_timeout_ms></zookeeper>
  <macros><shard>$shard</shard><replica>node$n</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
XML
  write_users_xml "$dir" 1000000000
  "$CH_BIN" --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/server.pid"
done

for i in 0 1 2 3; do
  for _ in $(seq 1 150); do ch_ping "${HTTP[$i]}" && break; sleep 0.1; done
  if ! ch_ping "${HTTP[$i]}"; then
    echo "clickhouse node$((i + 1)) did not become ready on 127.0.0.1:${HTTP[$i]}" >&2
    tail -20 "$BASE/node$((i + 1))/log/stdout.log" "$BASE/node$((i + 1))/log/server.err.log" >&2 2>/dev/null || true
    exit 1
  fi
done

cat >"$BASE/env.sh" <<ENV
export TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS=http://127.0.0.1:$H1,http://127.0.0.1:$H2,http://127.0.0.1:$H3,http://127.0.0.1:$H4
export TICKPIPE_TEST_CLICKHOUSE_CLUSTER=$CLUSTER
ENV
cat "$BASE/env.sh"
