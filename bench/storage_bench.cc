// storage_bench: the raft log store's group commit, and the three engines side by side.
//
// (a) BM_GroupCommit/shards:S/group:G — one round appends one 256-byte entry and a hard state to
//     each of S shards of one LogStore on RocksDB, with sync. group:1 writes the round as ONE
//     LogWriteBatch (one engine write, one fsync); group:0 writes each shard's append on its own
//     (one fsync per append), the baseline. Counters: entries_per_sec, fsyncs_per_sec (sync engine
//     writes issued by the store, each exactly one WAL fsync), fsyncs_per_round; a group round
//     with any other number of fsyncs than one fails the benchmark.
// (b) BM_Engine{Put,Get,Scan}/<engine> — random put (100-byte values, 16-byte keys, one key per
//     write, sync off), random get and random scan (seek, then 100 nexts) over --storage_keys
//     keys (default 1M), for RocksDB, memory and LMDB. Put makes --storage_keys puts of random
//     keys into a fresh engine (db_bench fillrandom; LMDB: time-bound, see below); get and scan
//     run on an engine prefilled with every key of the key space.
// (c) RocksDB's own db_bench on the same workloads: bench/run_storage_bench.sh.
// Results and exact commands: docs/benchmarks.md ("Storage").
//
// Flags (before Google Benchmark's): --storage_keys=N, --storage_dir=DIR (default $TMPDIR or
// /tmp; the directory's file system is what the fsyncs measure), --storage_rounds=N (group
// commit: exactly N rounds in one run instead of time-bound runs, to count fsyncs with strace).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/assert.h"
#include "common/coding.h"
#include "common/random.h"
#include "storage/engine_factory.h"
#include "storage/raft_log_store.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

struct Flags {
  uint64_t keys = 1'000'000;
  uint64_t rounds = 0;  // group commit rounds per benchmark; 0: time-bound
  std::string dir;
};
Flags& flags() {
  static Flags f;
  return f;
}

// A fresh directory under --storage_dir, removed on destruction.
class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = flags().dir + "/tessera-storage-bench-XXXXXX";
    TESSERA_ASSERT(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Engine> MustOpen(EngineKind kind, const std::string& dir) {
  EngineOptions o;
  o.kind = kind;
  auto e = OpenEngine(dir, o);
  TESSERA_ASSERT(e.ok(), e.status().ToString().c_str());
  return std::move(e).value();
}

// ---- (a) group commit ----

void BM_GroupCommit(benchmark::State& state) {
  const uint64_t shards = static_cast<uint64_t>(state.range(0));
  const bool group = state.range(1) == 1;
  BenchDir dir;
  auto engine = MustOpen(EngineKind::kRocksDb, dir.path() + "/db");
  auto store_or = LogStore::Open(engine.get());
  TESSERA_ASSERT(store_or.ok(), "LogStore::Open");
  LogStore& store = **store_or;
  const SharedBytes payload(std::string(256, 'p'));
  const uint64_t syncs_before = store.sync_writes();
  uint64_t next = 1;
  for (auto _ : state) {
    LogWriteBatch batch;
    for (uint64_t s = 1; s <= shards; ++s) {
      batch.Append(ShardId(s),
                   {raft::Entry{Term(1), LogIndex(next), raft::EntryType::kNormal, payload}});
      batch.SetHardState(ShardId(s), raft::HardState{Term(1), NodeId(1), LogIndex(next - 1)});
      if (!group) {
        TESSERA_ASSERT(store.Write(batch).ok(), "write");
        batch.Clear();
      }
    }
    if (group) TESSERA_ASSERT(store.Write(batch).ok(), "write");
    ++next;
  }
  const auto rounds = static_cast<double>(state.iterations());
  const auto fsyncs = static_cast<double>(store.sync_writes() - syncs_before);
  state.counters["entries_per_sec"] =
      benchmark::Counter(rounds * static_cast<double>(shards), benchmark::Counter::kIsRate);
  state.counters["fsyncs_per_sec"] = benchmark::Counter(fsyncs, benchmark::Counter::kIsRate);
  state.counters["fsyncs_per_round"] = fsyncs / rounds;
  if (group && fsyncs != rounds) state.SkipWithError("a group round made more than one fsync");
}
void RegisterGroupCommitBenchmarks() {
  auto* b = benchmark::RegisterBenchmark("BM_GroupCommit", BM_GroupCommit)
                ->ArgsProduct({{1, 16, 256}, {1, 0}})
                ->ArgNames({"shards", "group"})
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
  // A fixed number of rounds, one run: for counting fsyncs from outside (strace -c).
  if (flags().rounds > 0) b->Iterations(static_cast<int64_t>(flags().rounds));
}

// ---- (b) engines ----

constexpr size_t kValueBytes = 100;
constexpr int kScanNexts = 100;

// 16-byte keys: the key number big-endian, then 8 filler bytes (db_bench's --key_size=16).
std::string Key(uint64_t n) {
  std::string k;
  PutBigEndian64(&k, n);
  k.append(8, 'k');
  return k;
}

// Random (incompressible) value bytes; values are 100-byte windows into this buffer.
const std::string& ValueSource() {
  static const std::string src = [] {
    SeededRandom rnd(42);
    std::string s(1 << 20, '\0');
    for (char& c : s) c = static_cast<char>(rnd.Uniform(256));
    return s;
  }();
  return src;
}
std::string_view Value(uint64_t n) {
  return std::string_view(ValueSource())
      .substr(n * 7919 % (ValueSource().size() - kValueBytes), kValueBytes);
}

// An engine holding every key of the key space, opened and filled once per process (in batches of
// 1000 keys, shuffled order), shared by the get and scan benchmarks of that engine.
struct FilledEngine {
  BenchDir dir;
  std::unique_ptr<Engine> engine;
};
std::map<EngineKind, std::unique_ptr<FilledEngine>>& FilledEngines() {
  static auto* engines = new std::map<EngineKind, std::unique_ptr<FilledEngine>>();
  return *engines;
}
Engine& Filled(EngineKind kind) {
  auto& slot = FilledEngines()[kind];
  if (slot) return *slot->engine;
  slot = std::make_unique<FilledEngine>();
  slot->engine = MustOpen(kind, slot->dir.path() + "/db");
  const uint64_t n = flags().keys;
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; ++i) order[i] = i;
  SeededRandom rnd(7);
  for (uint64_t i = n; i > 1; --i) std::swap(order[i - 1], order[rnd.Uniform(i)]);
  WriteBatch b;
  for (uint64_t i = 0; i < n; ++i) {
    TESSERA_ASSERT(b.Put(Cf::kData, Key(order[i]), Value(order[i])).ok(), "put");
    if (b.Count() == 1000 || i + 1 == n) {
      TESSERA_ASSERT(slot->engine->Write(WriteOptions{}, b).ok(), "fill");
      b.Clear();
    }
  }
  return *slot->engine;
}

void BM_EnginePut(benchmark::State& state, EngineKind kind) {
  BenchDir dir;
  auto engine = MustOpen(kind, dir.path() + "/db");
  SeededRandom rnd(1);
  const uint64_t n = flags().keys;
  for (auto _ : state) {
    const uint64_t k = rnd.Uniform(n);
    TESSERA_ASSERT(engine->Put(WriteOptions{.sync = false}, Cf::kData, Key(k), Value(k)).ok(),
                   "put");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(16 + kValueBytes));
}

void BM_EngineGet(benchmark::State& state, EngineKind kind) {
  Engine& engine = Filled(kind);
  SeededRandom rnd(2);
  const uint64_t n = flags().keys;
  for (auto _ : state) {
    auto v = engine.Get(Cf::kData, Key(rnd.Uniform(n)));
    TESSERA_ASSERT(v.ok() && v->size() == kValueBytes, "get");
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EngineScan(benchmark::State& state, EngineKind kind) {
  Engine& engine = Filled(kind);
  SeededRandom rnd(3);
  const uint64_t n = flags().keys;
  int64_t keys = 0;
  for (auto _ : state) {
    auto it = engine.NewIterator(Cf::kData, {});
    it->Seek(Key(rnd.Uniform(n)));
    for (int i = 0; i <= kScanNexts && it->Valid(); ++i, it->Next()) {
      benchmark::DoNotOptimize(it->value().data());
      ++keys;
    }
    TESSERA_ASSERT(it->status().ok(), "scan");
  }
  state.SetItemsProcessed(keys);  // keys per second
  state.counters["seeks_per_sec"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void RegisterEngineBenchmarks() {
  for (EngineKind kind : {EngineKind::kRocksDb, EngineKind::kMemory, EngineKind::kLmdb}) {
    const std::string name(EngineKindName(kind));
    // Like db_bench fillrandom: --storage_keys puts into a fresh engine, so the run includes the
    // flushes and compactions of the whole fill. LMDB syncs the data pages of every commit (see
    // lmdb_engine.h) and runs for the default time instead.
    auto* put = benchmark::RegisterBenchmark(("BM_EnginePut/" + name).c_str(), BM_EnginePut, kind);
    put->UseRealTime();
    if (kind != EngineKind::kLmdb) put->Iterations(static_cast<int64_t>(flags().keys));
    benchmark::RegisterBenchmark(("BM_EngineGet/" + name).c_str(), BM_EngineGet, kind)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_EngineScan/" + name).c_str(), BM_EngineScan, kind)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace tessera::storage

int main(int argc, char** argv) {
  using tessera::storage::flags;
  const char* tmp = std::getenv("TMPDIR");
  flags().dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--storage_keys=", 15) == 0) {
      flags().keys = std::strtoull(argv[i] + 15, nullptr, 10);
    } else if (std::strncmp(argv[i], "--storage_rounds=", 17) == 0) {
      flags().rounds = std::strtoull(argv[i] + 17, nullptr, 10);
    } else if (std::strncmp(argv[i], "--storage_dir=", 14) == 0) {
      flags().dir = argv[i] + 14;
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  TESSERA_ASSERT(flags().keys > 0, "--storage_keys must be positive");
  tessera::storage::RegisterGroupCommitBenchmarks();
  tessera::storage::RegisterEngineBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("storage_keys", std::to_string(flags().keys));
  benchmark::AddCustomContext("storage_dir", flags().dir);
  benchmark::RunSpecifiedBenchmarks();
  tessera::storage::FilledEngines().clear();  // close the engines, remove their directories
  benchmark::Shutdown();
  return 0;
}
