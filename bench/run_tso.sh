#!/usr/bin/env bash
# Timestamp oracle (issue 6 target: >= 1,000,000 timestamps/s to batched clients): starts PD
# (`tessera pd`, 1 member, or 3 with --members 3) on loopback in a temporary directory, then runs
# bench/tso_bench against it: threads asking for batches (direct) and threads asking for one
# timestamp at a time through a shared TimestampBatcher (batcher).
#
# Usage: bench/run_tso.sh [--build-dir DIR] [--members 1|3] [--seconds N] [--batch N]
#                         [--threads "1 4 16"]
# Defaults: build/, 1 member, 5 s per run, batches of 1000, 1, 4 and 16 threads. Only the
# processes this script started are stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD_DIR=build
MEMBERS=1
SECONDS_PER_RUN=5
BATCH=1000
THREADS="1 4 16"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --members) MEMBERS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$MEMBERS" == 1 || "$MEMBERS" == 3 ]] || { echo "--members: 1 or 3" >&2; exit 2; }
TESSERA="$BUILD_DIR/tessera"
BENCH="$BUILD_DIR/bench/tso_bench"
require_executables "$TESSERA" "$BENCH"
with_workdir tessera-tso

read -r -a PORTS <<<"$(free_ports "$MEMBERS")"
MEMBER_LIST=""
ENDPOINTS=""
for i in $(seq 1 "$MEMBERS"); do
  addr="127.0.0.1:${PORTS[$((i - 1))]}"
  MEMBER_LIST+="${MEMBER_LIST:+,}$i=$addr"
  ENDPOINTS+="${ENDPOINTS:+,}$addr"
done
for i in $(seq 1 "$MEMBERS"); do
  "$TESSERA" pd --member-id "$i" --data-dir "$WORK/pd$i" --listen "127.0.0.1:${PORTS[$((i - 1))]}" \
    --initial-members "$MEMBER_LIST" >"$WORK/pd$i.log" 2>&1 &
  PIDS+=($!)
done
echo "PD: $MEMBERS member(s) at $ENDPOINTS; $(nproc) CPUs; $(date -u +%FT%TZ)"
# shellcheck disable=SC2086
"$BENCH" --pd "$ENDPOINTS" --seconds "$SECONDS_PER_RUN" --batch "$BATCH" --threads $THREADS
