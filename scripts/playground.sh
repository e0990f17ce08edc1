#!/usr/bin/env bash
# `make playground`: starts a 3-node Tessera cluster on loopback (static bootstrap: one shard over
# the whole key space, replicated on the three nodes) and shows how to connect. Data, logs and
# pids live in .playground/; `make playground-stop` stops exactly the processes started here.
# The placement driver (PD) does not exist yet: until it does, nodes form the cluster from
# --initial-cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/tessera
DIR=.playground
BASE_PORT=${PLAYGROUND_PORT:-20160}
# Each node's HTTP status port (/metrics, /healthz, /status; docs/observability.md).
STATUS_BASE_PORT=$((BASE_PORT + 20))
mkdir -p "$DIR"

running() { [ -f "$DIR/pids" ] && while read -r pid; do kill -0 "$pid" 2>/dev/null || return 1; done <"$DIR/pids"; }

ENDPOINTS="127.0.0.1:${BASE_PORT},127.0.0.1:$((BASE_PORT + 1)),127.0.0.1:$((BASE_PORT + 2))"
if running; then
  echo "The playground is already running (pids $(tr '\n' ' ' <"$DIR/pids"))."
else
  rm -f "$DIR/pids"
  CLUSTER="1=127.0.0.1:${BASE_PORT},2=127.0.0.1:$((BASE_PORT + 1)),3=127.0.0.1:$((BASE_PORT + 2))"
  for i in 1 2 3; do
    port=$((BASE_PORT + i - 1))
    nohup "$B" server --node-id "$i" --data-dir "$DIR/node$i" --listen "127.0.0.1:$port" \
      --status-addr "127.0.0.1:$((STATUS_BASE_PORT + i - 1))" \
      --initial-cluster "$CLUSTER" >"$DIR/node$i.log" 2>&1 &
    echo $! >>"$DIR/pids"
  done
  # Ready when a write commits (the nodes elected a leader); give up after 30 s.
  if ! "$B" ctl --endpoints "$ENDPOINTS" --timeout-ms 30000 put playground ready >/dev/null; then
    echo "The cluster did not come up; see $DIR/node*.log" >&2
    exit 1
  fi
  echo "Started 3 nodes (pids $(tr '\n' ' ' <"$DIR/pids")); logs in $DIR/."
fi
STATUS_URLS=""
for i in 1 2 3; do
  u="http://127.0.0.1:$((STATUS_BASE_PORT + i - 1))"
  STATUS_URLS+="  node $i: $u/metrics  $u/healthz  $u/status"$'\n'
done
cat <<MSG

Tessera playground: 3 nodes on loopback, ports ${BASE_PORT}-$((BASE_PORT + 2)).

  $B ctl --endpoints $ENDPOINTS put greeting hello
  $B ctl --endpoints $ENDPOINTS get greeting
  $B ctl --endpoints $ENDPOINTS get greeting --consistency follower
  $B ctl --endpoints $ENDPOINTS scan

Status pages of each node (Prometheus metrics, health, shards as JSON; docs/observability.md):

${STATUS_URLS}
  curl -s http://127.0.0.1:${STATUS_BASE_PORT}/status

Kill a node (kill <pid> from $DIR/pids) and the others keep serving; start it again with
'make playground'. Stop everything with 'make playground-stop'.

Not yet: PD, redis-cli and etcdctl front doors (later issues).
MSG
