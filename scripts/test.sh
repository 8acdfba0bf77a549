#!/usr/bin/env bash
# The test command (`npm test`, called by .ci/run): builds the CLI (end-to-end tests spawn it),
# starts a throwaway ClickHouse server, Redis server and ClickHouse cluster (2 shards x 2
# replicas + ZooKeeper) on free loopback ports (installing the Debian packages when missing),
# once for the whole suite, runs the vitest suite against them, and stops them.
# Extra arguments are passed to vitest (e.g. `npm test -- src/pipeline`).
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent build

# chdb (ClickHouse 26.x in-process) runs the store contract suite on a current ClickHouse. It is
# not in package.json: its npm package lists macOS/arm builds that this registry does not carry,
# which makes `npm ci` refuse the lock file. Installed here, without touching the lock file.
if ! node -e "require.resolve('chdb/connection')" >/dev/null 2>&1; then
  npm install --no-save --ignore-scripts --no-audit --no-fund chdb@3.4.0 >/dev/null
fi

BASE=""
CLUSTER_BASE=""
cleanup() {
  if [ -n "$BASE" ]; then
    bash scripts/services/stop.sh "$BASE" >/dev/null 2>&1 || true
    rm -rf "$BASE"
  fi
  if [ -n "$CLUSTER_BASE" ]; then
    bash scripts/services/stop-cluster.sh "$CLUSTER_BASE" >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_BASE"
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${TICKPIPE_TEST_CLICKHOUSE_URL:-}" ]; then
  BASE=$(mktemp -d /tmp/tickpipe-services.XXXXXX)
  bash scripts/services/start.sh "$BASE" >/dev/null
  # shellcheck disable=SC1091
  . "$BASE/env.sh"
elif [ -z "${TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS:-}" ]; then
  # Servers given from outside but no cluster: start the cluster alone.
  CLUSTER_BASE=$(mktemp -d /tmp/tickpipe-cluster.XXXXXX)
  bash scripts/services/start-cluster.sh "$CLUSTER_BASE" >/dev/null
  # shellcheck disable=SC1091
  . "$CLUSTER_BASE/env.sh"
fi
export TICKPIPE_TEST_CLICKHOUSE_URL TICKPIPE_TEST_REDIS_URL TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS TICKPIPE_TEST_CLICKHOUSE_CLUSTER
echo "ClickHouse for tests: $TICKPIPE_TEST_CLICKHOUSE_URL; cluster $TICKPIPE_TEST_CLICKHOUSE_CLUSTER: $TICKPIPE_TEST_CLICKHOUSE_CLUSTER_URLS"

RESULTS=$(mktemp /tmp/tickpipe-vitest.XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS" "$@" || status=$?
# A closing line that any CI log reader understands.
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' "$RESULTS" || status=1
rm -f "$RESULTS"
exit $status
