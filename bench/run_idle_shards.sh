#!/usr/bin/env bash
# Idle shards (issue 5 target): 3 Tessera nodes on loopback, each with a replica of 10,000
# shards (static bootstrap, --initial-shards), fsync on, default options (hibernation after 3 s).
# bench/idle_shards then measures, after a settling time, the CPU the three server processes use
# while idle and their resident memory, then the latency of a write to a sleeping shard.
#
# Usage: bench/run_idle_shards.sh [--build-dir DIR] [--shards N] [--settle-s N] [--idle-s N]
#                                 [--log-level LEVEL]
# Defaults: build/ (tessera and bench/idle_shards from it), 10000 shards, 40 s settling, 60 s
# measured. Everything runs on 127.0.0.1 in a temporary directory removed on exit; only the
# processes this script started are stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD_DIR=build
SHARDS=10000
SETTLE_S=40
IDLE_S=60
LOG_LEVEL=warn
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    --settle-s) SETTLE_S="$2"; shift 2 ;;
    --idle-s) IDLE_S="$2"; shift 2 ;;
    --log-level) LOG_LEVEL="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
TOOL="$BUILD_DIR/bench/idle_shards"
TESSERA_BIN="$BUILD_DIR/tessera"
require_executables "$TOOL" "$TESSERA_BIN"

with_workdir tessera-idle-shards

read -r -a PORTS <<<"$(free_ports 3)"
CLUSTER="1=127.0.0.1:${PORTS[0]},2=127.0.0.1:${PORTS[1]},3=127.0.0.1:${PORTS[2]}"
ENDPOINTS="127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]}"
for i in 1 2 3; do
  "$TESSERA_BIN" server --node-id "$i" --data-dir "$WORK/n$i" --listen "127.0.0.1:${PORTS[$((i - 1))]}" \
    --initial-cluster "$CLUSTER" --initial-shards "$SHARDS" --log-level "$LOG_LEVEL" \
    >"$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $SHARDS shards x 3 nodes"
"$TOOL" --endpoints "$ENDPOINTS" --server-pids "$(IFS=,; echo "${PIDS[*]}")" --shards "$SHARDS" \
  --settle-s "$SETTLE_S" --idle-s "$IDLE_S"
echo "followers woken by node liveness: $(cat "$WORK"/n*.log | grep -c 'waking up' || true)"
