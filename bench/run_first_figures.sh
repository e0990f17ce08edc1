#!/usr/bin/env bash
# First figures (issue 4, item 7): a 3-node Tessera cluster next to a 3-member etcd 3.4 cluster,
# both on loopback with fsync on, driven by the same client (bench/kv_load) with the same client
# counts, in one run:
#   (a) put, 1 client: latency p50/p99
#   (b) put, 64 clients: throughput
#   (c) linearizable get, 64 clients, after loading the keys: throughput
#   (d) batched put, 64 clients, 16 keys per request (Tessera BatchPut; etcd: a Txn of 16 puts)
# Also reported: server CPU per operation (summed over the 3 processes, from /proc) and, when perf
# can count syscall tracepoints, writes per fsync (client write requests / average fsync +
# fdatasync calls per server process in the measured window).
#
# Usage: bench/run_first_figures.sh [--build-dir DIR] [--tessera-bin PATH] [--duration-s N]
#                                   [--warmup-s N] [--json-out FILE] [--server-arg ARG]...
# Defaults: --build-dir build (kv_load from DIR/bench/kv_load, tessera from DIR/tessera),
# --duration-s 10, --warmup-s 2. Installs etcd-server and etcd-client with apt when etcd is
# missing. Everything runs on 127.0.0.1 in a temporary directory that is removed on exit; only
# the processes this script started are stopped. Takes about 2 to 3 minutes.
set -euo pipefail

BUILD_DIR=build
TESSERA_BIN=""
DURATION_S=10
WARMUP_S=2
JSON_OUT=""
SERVER_ARGS=()  # extra `tessera server` arguments, e.g. --server-arg --apply-threads=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --tessera-bin) TESSERA_BIN="$2"; shift 2 ;;
    --duration-s) DURATION_S="$2"; shift 2 ;;
    --warmup-s) WARMUP_S="$2"; shift 2 ;;
    --json-out) JSON_OUT="$2"; shift 2 ;;
    --server-arg) SERVER_ARGS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
KV_LOAD="$BUILD_DIR/bench/kv_load"
TESSERA_BIN="${TESSERA_BIN:-$BUILD_DIR/tessera}"
for f in "$KV_LOAD" "$TESSERA_BIN"; do
  [[ -x "$f" ]] || { echo "missing executable: $f (build it first)" >&2; exit 1; }
done

# ---- etcd from Debian ---------------------------------------------------------------------------
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  echo "installing etcd-server and etcd-client with apt" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client >/dev/null
fi

# ---- Process bookkeeping: stop only what this script started ------------------------------------
WORK=$(mktemp -d /tmp/tessera-first-figures.XXXXXX)
PIDS=()       # the servers, stopped on exit
TRANSIENT=()  # the kv_load and perf of the run in progress (emptied once waited for)
cleanup() {
  local pid
  for pid in "${TRANSIENT[@]}" "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${TRANSIENT[@]}" "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nine distinct free loopback ports (all bound at once, then released).
read -r -a PORTS <<<"$(python3 -c '
import socket
socks = [socket.socket() for _ in range(9)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"

# ---- etcd: 3 members, default fsync behaviour ---------------------------------------------------
ETCD_CLUSTER="e1=http://127.0.0.1:${PORTS[3]},e2=http://127.0.0.1:${PORTS[4]},e3=http://127.0.0.1:${PORTS[5]}"
ETCD_ENDPOINTS="127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]}"
ETCD_PIDS=()
for i in 1 2 3; do
  c=${PORTS[$((i - 1))]}
  p=${PORTS[$((i + 2))]}
  etcd --name "e$i" --data-dir "$WORK/etcd$i" \
    --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
    --initial-cluster "$ETCD_CLUSTER" --initial-cluster-token first-figures \
    --initial-cluster-state new --logger zap --log-level warn >"$WORK/etcd$i.log" 2>&1 &
  PIDS+=($!)
  ETCD_PIDS+=($!)
done

# ---- Tessera: 3 nodes, fsync on (the default) ---------------------------------------------------
T_CLUSTER="1=127.0.0.1:${PORTS[6]},2=127.0.0.1:${PORTS[7]},3=127.0.0.1:${PORTS[8]}"
T_ENDPOINTS="$T_CLUSTER"
T_PIDS=()
for i in 1 2 3; do
  "$TESSERA_BIN" server --node-id "$i" --data-dir "$WORK/tessera$i" \
    --listen "127.0.0.1:${PORTS[$((i + 5))]}" --initial-cluster "$T_CLUSTER" \
    --log-level warn "${SERVER_ARGS[@]}" >"$WORK/tessera$i.log" 2>&1 &
  PIDS+=($!)
  T_PIDS+=($!)
done

join_by_comma() { local IFS=,; echo "$*"; }
ETCD_PID_LIST=$(join_by_comma "${ETCD_PIDS[@]}")
T_PID_LIST=$(join_by_comma "${T_PIDS[@]}")

# Waits until a short put run completes operations without errors.
wait_ready() {
  local target=$1 endpoints=$2 out
  for _ in $(seq 60); do
    out=$("$KV_LOAD" --target "$target" --endpoints "$endpoints" --clients 1 --duration-s 0.3 \
      --warmup-s 0 --timeout-ms 1000 --output json 2>/dev/null || true)
    if [[ "$out" == *'"errors": 0,'* && "$out" != *'"ops": 0,'* ]]; then return 0; fi
    sleep 0.5
  done
  echo "$target did not become ready; logs in $WORK" >&2
  tail -n 20 "$WORK"/*.log >&2
  return 1
}
wait_ready etcd "$ETCD_ENDPOINTS"
wait_ready tessera "$T_ENDPOINTS"
echo "etcd $(etcd --version | head -1 | awk '{print $3}') and tessera are up" >&2

# perf counts the fsync family per process with tracepoints (no ptrace, negligible overhead).
PERF_OK=0
if command -v perf >/dev/null &&
  perf stat -e syscalls:sys_enter_fdatasync -x, -- true >/dev/null 2>&1; then
  PERF_OK=1
fi

RESULTS="$WORK/results.jsonl"
# run LABEL TARGET KV_LOAD_ARGS...: one measured run; appends kv_load's JSON (plus fsyncs) to
# $RESULTS and prints the text form.
run() {
  local label=$1 target=$2
  shift 2
  local endpoints pids
  if [[ "$target" == etcd ]]; then endpoints=$ETCD_ENDPOINTS pids=$ETCD_PID_LIST
  else endpoints=$T_ENDPOINTS pids=$T_PID_LIST; fi
  local perf_out="$WORK/perf.$label.$target"
  local perf_pid=""
  # Load phase (if --preload) first: perf starts once kv_load reports the warm-up has begun, which
  # the script approximates by waiting for the preload to finish (kv_load prints a line).
  local log="$WORK/kv_load.$label.$target.err"
  : >"$log"
  "$KV_LOAD" --target "$target" --endpoints "$endpoints" --server-pids "$pids" \
    --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" --output json --label "$label" "$@" \
    >"$WORK/out.json" 2>"$log" &
  local kv_pid=$!
  TRANSIENT=("$kv_pid")
  if [[ " $* " == *" --preload "* ]]; then
    while kill -0 "$kv_pid" 2>/dev/null && ! grep -q preloaded "$log"; do sleep 0.05; done
  fi
  if [[ $PERF_OK -eq 1 ]]; then
    (sleep "$WARMUP_S"; exec perf stat -x, -o "$perf_out" \
      -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync -p "$pids" -- sleep "$DURATION_S") \
      >/dev/null 2>&1 &
    perf_pid=$!
    TRANSIENT+=("$perf_pid")
  fi
  local rc=0
  wait "$kv_pid" || rc=$?
  [[ -n "$perf_pid" ]] && { wait "$perf_pid" || true; }
  TRANSIENT=()
  if [[ $rc -ne 0 ]]; then
    echo "kv_load failed ($label, $target):" >&2
    cat "$log" >&2
    return 1
  fi
  local fsyncs=-1
  if [[ -s "$perf_out" ]]; then
    fsyncs=$(awk -F, '/syscalls:sys_enter_f/ { n += $1 } END { print n + 0 }' "$perf_out")
  fi
  sed "s/}\$/, \"fsyncs_all_nodes\": $fsyncs}/" "$WORK/out.json" >>"$RESULTS"
  cat "$log" >&2
}

A_ARGS=(--op put --clients 1 --value-bytes 100 --keys 100000)
B_ARGS=(--op put --clients 64 --value-bytes 100 --keys 100000)
C_ARGS=(--op get --clients 64 --value-bytes 100 --keys 10000 --preload)
D_ARGS=(--op put --clients 64 --value-bytes 100 --keys 100000 --batch 16)
for target in etcd tessera; do run a "$target" "${A_ARGS[@]}"; done
for target in etcd tessera; do run b "$target" "${B_ARGS[@]}"; done
for target in etcd tessera; do run c "$target" "${C_ARGS[@]}"; done
for target in etcd tessera; do run d "$target" "${D_ARGS[@]}"; done

[[ -n "$JSON_OUT" ]] && cp "$RESULTS" "$JSON_OUT"
echo
echo "Raw results (one JSON object per run):"
cat "$RESULTS"
echo
python3 - "$RESULTS" <<'EOF'
import json, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["label"], r["target"])] = r

def per_fsync(r):
    f = r["fsyncs_all_nodes"]
    if f is None or f <= 0 or r["op"] != "put":
        return "n/m" if f is None or f < 0 else "-"
    return "%.1f" % (r["ops"] / (f / 3.0))

names = {"a": "put, 1 client", "b": "put, 64 clients", "c": "get (linearizable), 64 clients",
         "d": "put batch 16 (etcd: Txn of 16), 64 clients"}
print("| workload | target | ops/s | keys/s | p50 ms | p99 ms | p999 ms | errors | server CPU us/op | writes/fsync |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for label in "abcd":
    for target in ("etcd", "tessera"):
        r = runs.get((label, target))
        if r is None:
            continue
        l = r["latency_us"]
        print("| %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %d | %.0f | %s |" % (
            names[label], target, r["ops_per_s"], r["keys_per_s"], l["p50"] / 1000,
            l["p99"] / 1000, l["p999"] / 1000, r["errors"], r["server_cpu_us_per_op"],
            per_fsync(r)))
print()

def ratio(a, b):
    return "%.2fx" % (a / b) if b else "n/a"

def get(label, target):
    return runs.get((label, target))

print("Ratios (tessera / etcd):")
a_e, a_t = get("a", "etcd"), get("a", "tessera")
if a_e and a_t:
    print("  put 1 client p50 latency:      %s (lower is better)" % ratio(a_t["latency_us"]["p50"], a_e["latency_us"]["p50"]))
    print("  put 1 client p99 latency:      %s (lower is better)" % ratio(a_t["latency_us"]["p99"], a_e["latency_us"]["p99"]))
for label, what in (("b", "put 64 clients throughput:    "), ("c", "get 64 clients throughput:    ")):
    e, t = get(label, "etcd"), get(label, "tessera")
    if e and t:
        print("  %s %s" % (what, ratio(t["ops_per_s"], e["ops_per_s"])))
d_t, b_e, d_e = get("d", "tessera"), get("b", "etcd"), get("d", "etcd")
if d_t and b_e:
    print("  BatchPut-16 keys/s vs etcd single-key puts/s: %s" % ratio(d_t["keys_per_s"], b_e["ops_per_s"]))
if d_t and d_e:
    print("  BatchPut-16 keys/s vs etcd Txn-16 keys/s:     %s" % ratio(d_t["keys_per_s"], d_e["keys_per_s"]))
for label in "bd":
    e, t = get(label, "etcd"), get(label, "tessera")
    if e and t and e["server_cpu_us_per_op"] > 0:
        print("  server CPU per op (%s):          %s (lower is better)" % (label, ratio(t["server_cpu_us_per_op"], e["server_cpu_us_per_op"])))
EOF
