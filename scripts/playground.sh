#!/usr/bin/env bash
# `make playground`: starts a placement driver (PD) and 3 nodes on loopback and shows how to
# connect. Node 1 bootstraps the cluster (one shard over the whole key space); PD's replica checker
# then gives the shard replicas on nodes 2 and 3, and its schedulers split, balance and repair
# from there. Data, logs and pids live in .playground/; `make playground-stop` stops exactly the
# processes started here.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/tessera
DIR=.playground
BASE_PORT=${PLAYGROUND_PORT:-20160}
# Each node's HTTP status port (/metrics, /healthz, /status; docs/observability.md).
STATUS_BASE_PORT=$((BASE_PORT + 20))
PD_PORT=$((BASE_PORT + 10))
PD="127.0.0.1:${PD_PORT}"
mkdir -p "$DIR"

running() { [ -f "$DIR/pids" ] && while read -r pid; do kill -0 "$pid" 2>/dev/null || return 1; done <"$DIR/pids"; }

ENDPOINTS="127.0.0.1:${BASE_PORT},127.0.0.1:$((BASE_PORT + 1)),127.0.0.1:$((BASE_PORT + 2))"
if running; then
  echo "The playground is already running (pids $(tr '\n' ' ' <"$DIR/pids"))."
else
  rm -f "$DIR/pids"
  nohup "$B" pd --member-id 1 --data-dir "$DIR/pd" --listen "$PD" \
    --status-addr "127.0.0.1:$((STATUS_BASE_PORT + 3))" >"$DIR/pd.log" 2>&1 &
  echo $! >>"$DIR/pids"
  for i in 1 2 3; do
    port=$((BASE_PORT + i - 1))
    mkdir -p "$DIR/node$i"
    nohup "$B" server --node-id "$i" --data-dir "$DIR/node$i" --listen "127.0.0.1:$port" \
      --status-addr "127.0.0.1:$((STATUS_BASE_PORT + i - 1))" \
      --pd "$PD" >"$DIR/node$i.log" 2>&1 &
    echo $! >>"$DIR/pids"
  done
  # Ready when a write commits (the nodes elected a leader); give up after 30 s.
  if ! "$B" ctl --endpoints "$ENDPOINTS" --timeout-ms 30000 put playground ready >/dev/null; then
    echo "The cluster did not come up; see $DIR/pd.log and $DIR/node*.log" >&2
    exit 1
  fi
  echo "Started PD and 3 nodes (pids $(tr '\n' ' ' <"$DIR/pids")); logs in $DIR/."
fi
STATUS_URLS=""
for i in 1 2 3; do
  u="http://127.0.0.1:$((STATUS_BASE_PORT + i - 1))"
  STATUS_URLS+="  node $i: $u/metrics  $u/healthz  $u/status"$'\n'
done
u="http://127.0.0.1:$((STATUS_BASE_PORT + 3))"
STATUS_URLS+="  PD:     $u/metrics  $u/healthz  $u/status (PD's own Raft group)"$'\n'
cat <<MSG

Tessera playground: PD on port ${PD_PORT}, 3 nodes on ports ${BASE_PORT}-$((BASE_PORT + 2)).

  $B ctl --endpoints $ENDPOINTS put greeting hello
  $B ctl --endpoints $ENDPOINTS get greeting
  $B ctl --endpoints $ENDPOINTS get greeting --consistency follower
  $B ctl --endpoints $ENDPOINTS scan

Status pages (Prometheus metrics, health, shards as JSON; docs/observability.md):

${STATUS_URLS}
  curl -s http://127.0.0.1:${STATUS_BASE_PORT}/status

Kill a node (kill <pid> from $DIR/pids) and the others keep serving; start it again with
'make playground'. Stop everything with 'make playground-stop'.

PD's view and controls (docs/pd.md):

  $B ctl --pd $PD nodes
  $B ctl --pd $PD shards
  $B ctl --pd $PD operators

Not yet: redis-cli and etcdctl front doors (later issues).
MSG
