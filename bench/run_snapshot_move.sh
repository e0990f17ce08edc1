#!/usr/bin/env bash
# Snapshot move (issue 5 target): 4 Tessera nodes on loopback (fsync on, default snapshot limits:
# 64 MiB/s, 2 concurrent sends and receives), shard 1 bootstrapped on all four; bench/snapshot_move
# removes node 4, loads --mib MiB into the shard, adds node 4 back as a learner and times the
# snapshot that brings the shard to it.
#
# Usage: bench/run_snapshot_move.sh [--build-dir DIR] [--mib N]
# Defaults: build/, 64 MiB. Runs on 127.0.0.1 in a temporary directory removed on exit; only the
# processes this script started are stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD_DIR=build
MIB=64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --mib) MIB="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
TOOL="$BUILD_DIR/bench/snapshot_move"
TESSERA_BIN="$BUILD_DIR/tessera"
require_executables "$TOOL" "$TESSERA_BIN"

with_workdir tessera-snapshot-move

read -r -a PORTS <<<"$(free_ports 4)"
CLUSTER="1=127.0.0.1:${PORTS[0]},2=127.0.0.1:${PORTS[1]},3=127.0.0.1:${PORTS[2]},4=127.0.0.1:${PORTS[3]}"
ENDPOINTS="127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]},127.0.0.1:${PORTS[3]}"
for i in 1 2 3 4; do
  "$TESSERA_BIN" server --node-id "$i" --data-dir "$WORK/n$i" --listen "127.0.0.1:${PORTS[$((i - 1))]}" \
    --initial-cluster "$CLUSTER" --log-level warn >"$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
done
echo "machine: $(nproc) cores; $MIB MiB shard, 4 nodes"
"$TOOL" --endpoints "$ENDPOINTS" --mib "$MIB"
