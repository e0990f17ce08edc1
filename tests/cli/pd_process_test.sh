#!/usr/bin/env bash
# `tessera pd` and `tessera server --pd` as separate processes (label "cli"): PD and three nodes
# on free loopback ports form a cluster that serves writes; PD's status port answers; PD gives the third node a replica (a
# follower read there finds the write); with PD stopped the nodes still serve; PD restarted from
# its data dir knows the three nodes and the shards' replicas. Waits are the clients' own retries
# under deadlines (--timeout-ms). Stops only the processes it started, removes its directory.
#
# Usage: pd_process_test.sh TESSERA_BINARY
set -euo pipefail
T="$1"
WORK=$(mktemp -d /tmp/tessera-pd-process.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  tail -n 20 "$WORK"/*.log >&2 || true
  exit 1
}

read -r PD_PORT PD_STATUS P1 P2 P3 <<<"$(python3 -c "
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in socks))")"
PD="127.0.0.1:$PD_PORT"
ENDPOINTS="127.0.0.1:$P1,127.0.0.1:$P2,127.0.0.1:$P3"

start_pd() {
  "$T" pd --member-id 1 --data-dir "$WORK/pd" --listen "$PD" \
    --status-addr "127.0.0.1:$PD_STATUS" >>"$WORK/pd.log" 2>&1 &
  PD_PID=$!
  PIDS+=("$PD_PID")
}
start_pd
i=1
for port in "$P1" "$P2" "$P3"; do
  "$T" server --node-id "$i" --data-dir "$WORK/n$i" --listen "127.0.0.1:$port" --pd "$PD" \
    --log-level info >"$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
  i=$((i + 1))
done

"$T" ctl --endpoints "$ENDPOINTS" --timeout-ms 60000 put greeting hello >/dev/null ||
  fail "the cluster never took a write"
# Node 3 holds a replica only once PD's replica checker gave it one.
got=$("$T" ctl --endpoints "127.0.0.1:$P3" --timeout-ms 60000 get greeting --consistency follower) ||
  fail "node 3 never served the key"
[[ "$got" == "hello" ]] || fail "node 3 answered '$got'"
curl -sf "http://127.0.0.1:$PD_STATUS/healthz" >/dev/null || fail "PD's status port"
nodes=$("$T" ctl --pd "$PD" nodes) || fail "ctl nodes"
[[ $(grep -cE '^[123] +127\.0\.0\.1:[0-9]+ +up +yes' <<<"$nodes") == 3 ]] ||
  fail "PD does not list three live nodes: $nodes"

# Without PD the nodes keep serving.
kill -TERM "$PD_PID"
wait "$PD_PID" || fail "PD did not stop cleanly on SIGTERM"
"$T" ctl --endpoints "$ENDPOINTS" --timeout-ms 30000 put after pd-stopped >/dev/null ||
  fail "no write without PD"

# PD restarted from its data dir knows the nodes and the shards' replicas.
start_pd
nodes=$("$T" ctl --pd "$PD" --timeout-ms 30000 nodes) || fail "ctl nodes after PD's restart"
[[ $(grep -cE '^[123] +127\.0\.0\.1:[0-9]+ ' <<<"$nodes") == 3 ]] ||
  fail "PD lost its nodes across a restart: $nodes"
shards=$("$T" ctl --pd "$PD" shards) || fail "ctl shards"
grep -qE ' 1,2,3 ' <<<"$shards" || fail "PD lost the shards' replicas: $shards"
got=$("$T" ctl --endpoints "$ENDPOINTS" get after) || fail "read after PD's restart"
[[ "$got" == "pd-stopped" ]] || fail "read '$got'"
echo "PASS"
