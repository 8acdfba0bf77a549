# Shared by start-clickhouse.sh and start-cluster.sh (sourced, not run): the readiness probe and
# the users.xml every test server gets.

# ch_ping PORT: true when the server on 127.0.0.1:PORT answers /ping.
ch_ping() { curl -fsS --max-time 2 "http://127.0.0.1:$1/ping" 2>/dev/null | grep -q 'Ok'; }

# write_users_xml DIR MAX_MEMORY_BYTES: the default user (no password, loopback only) and profile.
# allow_experimental_low_cardinality_type belongs in the server profile: 18.16 needs it for
# LowCardinality, newer servers reject it when a client sends it.
write_users_xml() {
  cat >"$1/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default>
    <max_memory_usage>$2</max_memory_usage>
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
}
