#!/usr/bin/env bash
# Runs the storage benchmarks recorded in docs/benchmarks.md ("Storage") in one go, on one file
# system: RocksDB's own db_bench (fillrandom, readrandom, seekrandom: the ceiling for the RocksDB
# engine), then bench/storage_bench (group commit of the raft log store; the three engines on
# random put, get and scan). db_bench comes from the Debian package rocksdb-tools, installed here
# when missing (it is not needed to build or test Tessera).
#
# Usage: bench/run_storage_bench.sh [build dir] [extra storage_bench flags...]
#   KEYS=N       key space (default 1000000): db_bench --num, storage_bench --storage_keys
#   READS=N      db_bench reads and seeks (default 200000)
#   BENCH_DIR=D  where the databases live (default ${TMPDIR:-/tmp})
set -euo pipefail

BUILD=${1:-build}
shift || true
KEYS=${KEYS:-1000000}
READS=${READS:-200000}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}

if ! command -v db_bench >/dev/null; then
  echo "run_storage_bench: installing rocksdb-tools (db_bench)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends rocksdb-tools
fi
if [ ! -x "$BUILD/bench/storage_bench" ]; then
  echo "run_storage_bench: $BUILD/bench/storage_bench not built (cmake --build $BUILD --target storage_bench)" >&2
  exit 1
fi

echo "== machine"
echo "nproc: $(nproc)"
grep -m1 "model name" /proc/cpuinfo || true
echo "memory: $(grep MemTotal /proc/meminfo | awk '{print $2/1024/1024 " GiB"}')"
echo "bench dir: $DIR"
df -hT "$DIR" | tail -1
lsblk -d -o NAME,SIZE,ROTA,MODEL 2>/dev/null || true
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rocksdb: $(dpkg-query -W -f='${Version}' librocksdb-dev 2>/dev/null || echo unknown)"

DB=$(mktemp -d "$DIR/tessera-db-bench-XXXXXX")
trap 'rm -rf "$DB"' EXIT

# The settings of Tessera's RocksDB engine (src/storage/rocksdb_options.cc): 16 KiB blocks, a
# 256 MiB block cache holding index and filter blocks, 10-bit bloom filters, 64 MiB memtables (up
# to 4), 4 background jobs, dynamic level sizes, WAL on, no sync. Values are incompressible
# (compression_ratio=1, as storage_bench's) and db_bench compresses nothing; the engine
# compresses only levels 2 and below, which random values leave uncompressed.
DB_BENCH_ARGS=(
  --db="$DB" --num="$KEYS" --reads="$READS" --key_size=16 --value_size=100 --threads=1
  --sync=false --disable_wal=false --compression_type=none --compression_ratio=1
  --block_size=16384 --cache_size=268435456 --cache_index_and_filter_blocks=true
  --bloom_bits=10 --write_buffer_size=67108864 --max_write_buffer_number=4
  --max_background_jobs=4 --level_compaction_dynamic_level_bytes=true --seek_nexts=100 --seed=1
)
echo "== db_bench ${DB_BENCH_ARGS[*]} --benchmarks=fillrandom,readrandom,seekrandom"
db_bench "${DB_BENCH_ARGS[@]}" --benchmarks=fillrandom,readrandom,seekrandom 2>&1 |
  grep -E "^(fillrandom|readrandom|seekrandom)|^Keys:|^Values:|^Entries:"

echo "== $BUILD/bench/storage_bench --storage_keys=$KEYS --storage_dir=$DIR $*"
"$BUILD/bench/storage_bench" --storage_keys="$KEYS" --storage_dir="$DIR" "$@"
