#!/usr/bin/env bash
# Shard scaling (issue 5 target): the write throughput of 64 clients spread over 512 active shards
# against the same clients over 8 shards, on a 3-node loopback cluster with fsync on. For each
# shard count a fresh cluster is bootstrapped with --initial-shards N and bench/kv_load --shards N
# sends single-key puts (100-byte values, 100,000 keys, key k to shard 1 + k % N); runs alternate
# 8, 512, 8, 512, ... so that both see the same machine.
#
# Usage: bench/run_shard_scaling.sh [--build-dir DIR] [--rounds N] [--duration-s N] [--clients N]
# Defaults: build/, 2 rounds, 10 s measured after 3 s of warm-up, 64 clients. Everything runs on
# 127.0.0.1 in a temporary directory removed on exit; only the processes this script started are
# stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD_DIR=build
ROUNDS=2
DURATION_S=10
CLIENTS=64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration-s) DURATION_S="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
KV_LOAD="$BUILD_DIR/bench/kv_load"
TESSERA_BIN="$BUILD_DIR/tessera"
require_executables "$KV_LOAD" "$TESSERA_BIN"

with_workdir tessera-shard-scaling

# Runs one cluster with $1 shards; writes "ops/s p99-us errors" to $WORK/result. Runs in this
# shell (not a subshell), so that an interrupt stops the servers it started.
run_one() {
  local shards=$1 dir="$WORK/run$RANDOM" ports i
  read -r -a ports <<<"$(free_ports 3)"
  local cluster="1=127.0.0.1:${ports[0]},2=127.0.0.1:${ports[1]},3=127.0.0.1:${ports[2]}"
  for i in 1 2 3; do
    "$TESSERA_BIN" server --node-id "$i" --data-dir "$dir/n$i" --listen "127.0.0.1:${ports[$((i - 1))]}" \
      --initial-cluster "$cluster" --initial-shards "$shards" --log-level warn \
      >"$dir.n$i.log" 2>&1 &
    PIDS+=($!)
  done
  # The warm-up covers elections; requests to a shard without a leader are retried.
  "$KV_LOAD" --target tessera --endpoints "$cluster" --shards "$shards" --clients "$CLIENTS" \
    --op put --keys 100000 --value-bytes 100 --warmup-s 3 --duration-s "$DURATION_S" \
    --output json --label "shards=$shards" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %.0f %d" % (r["ops_per_s"], r["latency_us"]["p99"], r["errors"]))' \
    >"$WORK/result"
  stop_pids
}

echo "machine: $(nproc) cores; $CLIENTS clients, single-key puts, fsync on"
declare -A SUM=([8]=0 [512]=0)
for r in $(seq "$ROUNDS"); do
  for n in 8 512; do
    run_one "$n"
    read -r ops p99 errors <"$WORK/result"
    echo "round $r, $n shards: $ops puts/s, p99 ${p99} us, $errors errors"
    SUM[$n]=$((SUM[$n] + ops))
  done
done
python3 -c "print(f'512 shards / 8 shards: {${SUM[512]} / ${SUM[8]}:.2f} (mean of $ROUNDS rounds each)')"
