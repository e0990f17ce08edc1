#!/usr/bin/env bash
# The front doors against their peers, side by side in one run (docs/benchmarks.md):
#   redis-benchmark -t set,get -c 50 -d 100 (and -P 16) against the playground's Redis front door
#   (on the node leading the keys' shard and on another node) and against Redis 7 with appendonly
#   yes + appendfsync always (every write fsynced, as Tessera's are), then
#   `etcdctl check perf --load=l` against the playground's etcd front door.
#
# usage: bench/run_front_doors.sh [REQUESTS]   (release build first: make build)
# Needs redis-server, redis-benchmark and etcdctl (Debian: redis-server, redis-tools,
# etcd-client).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${1:-100000}
T=build/tessera
require_executables "$T" /usr/bin/redis-server /usr/bin/redis-benchmark /usr/bin/etcdctl
with_workdir tessera-front-doors

# Redis 7, every write fsynced before the reply.
read -r RPORT < <(free_ports 1)
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$WORK" --appendonly yes \
  --appendfsync always --save "" --daemonize no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
# Redis logs "Ready to accept connections" once it listens: block on that line (30 s at most).
if ! timeout 30 grep -q "Ready to accept connections" \
  <(tail --pid="${PIDS[0]}" -n +1 -f "$WORK/redis.log"); then
  echo "redis-server did not come up" >&2
  cat "$WORK/redis.log" >&2
  exit 1
fi

# The playground (1 PD member, 3 nodes), on a base port whose 50 ports are free.
source scripts/playground_lib.sh
if ! start_playground "$T" "$WORK/pg.out" 30000 --data-dir "$WORK/pg"; then
  echo "the playground did not come up" >&2
  cat "$WORK/pg.out" >&2
  exit 1
fi
PIDS+=("$PG_PID")
RESP=$((B + 21))
ETCD="127.0.0.1:$((B + 31)),127.0.0.1:$((B + 32)),127.0.0.1:$((B + 33))"
# redis-benchmark's keys all fall in the playground's one shard: the node leading it serves SETs
# in-process, the others forward them over gRPC. Its RESP port: its native port + 10.
LEADER=$("$T" ctl --pd "127.0.0.1:$B" shards | awk 'NR == 2 {print $5}')
NATIVE=$("$T" ctl --pd "127.0.0.1:$B" nodes | awk -v l="$LEADER" '$1 == l {sub(/.*:/, "", $2); print $2}')
RESP_LEADER=$((NATIVE + 10))
if [ "$RESP_LEADER" = "$RESP" ]; then RESP=$((B + 22)); fi  # node 1 leads: measure node 2 too

bench() {  # bench NAME PORT ARGS...
  local name=$1 port=$2
  shift 2
  redis-benchmark -p "$port" -t set,get -c 50 -d 100 -n "$N" -q "$@" 2>/dev/null |
    tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests per second' | sed "s/^/$name /"
}

echo "== redis-benchmark -t set,get -c 50 -d 100 -n $N (machine: $(nproc) cores, $(uname -r))"
bench "redis7-appendfsync-always" "$RPORT"
bench "tessera-leader-node" "$RESP_LEADER"
bench "tessera-follower-node" "$RESP"
echo "== the same with -P 16"
bench "redis7-appendfsync-always" "$RPORT" -P 16
bench "tessera-leader-node" "$RESP_LEADER" -P 16
bench "tessera-follower-node" "$RESP" -P 16
echo "== etcdctl check perf --load=l against the playground"
ETCDCTL_API=3 etcdctl --endpoints "$ETCD" check perf --load=l >"$WORK/perf.out" 2>&1 || true
tr '\r' '\n' <"$WORK/perf.out" | grep -vE '^ *[0-9]+ / 60|^$' | tail -8
