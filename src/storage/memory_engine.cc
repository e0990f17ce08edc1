#include "storage/memory_engine.h"

#include <fmt/format.h>

#include <array>
#include <mutex>
#include <sstream>

#include "storage/export_file.h"
#include "storage/format_version.h"
#include "storage/fs_util.h"
#include "storage/iterators.h"
#include "storage/live_handles.h"
#include "storage/memory_tree.h"
#include "storage/write_batch.h"

namespace tessera::storage {
namespace {

using memtree::TreeRef;

// One immutable state of all Cfs. Snapshots and iterators share it.
struct Version {
  std::array<TreeRef, kNumCfs> roots;
};
using VersionRef = std::shared_ptr<const Version>;

constexpr std::string_view kManifestName = "MANIFEST";
constexpr std::string_view kManifestHeader = "tessera-memory-checkpoint 1";

class TreeIterator final : public Iterator {
 public:
  TreeIterator(TreeRef root, LiveHandles* live) : cursor_(std::move(root)), token_(live) {}
  bool Valid() const override { return cursor_.Valid(); }
  void SeekToFirst() override { cursor_.SeekToFirst(); }
  void SeekToLast() override { cursor_.SeekToLast(); }
  void Seek(std::string_view target) override { cursor_.Seek(target); }
  void SeekForPrev(std::string_view target) override { cursor_.SeekForPrev(target); }
  void Next() override { cursor_.Next(); }
  void Prev() override { cursor_.Prev(); }
  std::string_view key() const override { return cursor_.entry().key; }
  std::string_view value() const override { return cursor_.entry().value; }
  Status status() const override { return Status::OK(); }

 private:
  memtree::Cursor cursor_;
  LiveHandles::Token token_;
};

std::unique_ptr<Iterator> NewTreeIterator(TreeRef root, LiveHandles* live,
                                          const IterOptions& opts) {
  return NewBoundedIterator(std::make_unique<TreeIterator>(std::move(root), live), opts);
}

Result<std::string> GetFrom(const Version& v, Cf cf, std::string_view key) {
  const memtree::Entry* e = memtree::Find(v.roots[static_cast<size_t>(cf)], key);
  if (!e) return Status::NotFound();
  return e->value;
}

class MemorySnapshot final : public Snapshot {
 public:
  MemorySnapshot(VersionRef v, LiveHandles* live) : v_(std::move(v)), live_(live), token_(live) {}
  Result<std::string> Get(Cf cf, std::string_view key) const override {
    return GetFrom(*v_, cf, key);
  }
  std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) const override {
    return NewTreeIterator(v_->roots[static_cast<size_t>(cf)], live_, opts);
  }
  const VersionRef& version() const { return v_; }

 private:
  VersionRef v_;
  LiveHandles* live_;
  LiveHandles::Token token_;
};

class MemoryEngine final : public Engine {
 public:
  explicit MemoryEngine(const MemoryEngineOptions& opts)
      : track_durable_(opts.track_durable_state), current_(std::make_shared<const Version>()) {}
  ~MemoryEngine() override { live_.AssertNone(); }

  EngineKind kind() const override { return EngineKind::kMemory; }

  Result<std::string> Get(Cf cf, std::string_view key) override {
    return GetFrom(*Current(), cf, key);
  }

  Status Write(const WriteOptions& opts, const WriteBatch& batch) override {
    TESSERA_RETURN_IF_ERROR(batch.status());
    std::lock_guard<std::mutex> w(write_mu_);
    Version next = *Current();
    Status st = batch.ForEach([&next](const BatchOp& op) {
      TreeRef& root = next.roots[static_cast<size_t>(op.cf)];
      switch (op.kind) {
        case OpKind::kPut:
          root = memtree::Put(root, op.key, op.value);
          break;
        case OpKind::kDelete:
          root = memtree::Erase(root, op.key);
          break;
        case OpKind::kDeleteRange:
          root = memtree::EraseRange(root, op.key, op.value);
          break;
      }
      return Status::OK();
    });
    TESSERA_ASSERT(st.ok(), "applying a validated batch to the memory engine cannot fail");
    Publish(std::move(next), opts.sync);
    return Status::OK();
  }

  Result<std::unique_ptr<Snapshot>> GetSnapshot() override {
    return std::unique_ptr<Snapshot>(std::make_unique<MemorySnapshot>(Current(), &live_));
  }

  std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) override {
    return NewTreeIterator(Current()->roots[static_cast<size_t>(cf)], &live_, opts);
  }

  Result<RangeStats> ApproximateRange(Cf cf, std::string_view start,
                                      std::string_view end) override {
    const TreeRef root = Current()->roots[static_cast<size_t>(cf)];
    RangeStats stats;
    stats.approximate_keys = CountUpTo(root, end) - memtree::CountLess(root, start);
    stats.approximate_bytes = BytesUpTo(root, end) - memtree::BytesLess(root, start);
    return stats;
  }

  Result<std::string> SplitKey(Cf cf, std::string_view start, std::string_view end) override {
    const TreeRef root = Current()->roots[static_cast<size_t>(cf)];
    const uint64_t first = memtree::CountLess(root, start);
    const uint64_t limit = CountUpTo(root, end);
    if (limit < first + 2) return Status::NotFound("fewer than two keys in the range");
    const uint64_t b0 = memtree::BytesLess(root, start);
    const uint64_t b1 = BytesUpTo(root, end);
    const memtree::Entry& mid = memtree::SelectByBytes(root, b0 + (b1 - b0) / 2);
    uint64_t rank = memtree::CountLess(root, mid.key);
    if (rank == first) ++rank;  // never the first key: both halves must be non-empty
    TESSERA_ASSERT(rank > first && rank < limit, "split key outside its range");
    return memtree::SelectByRank(root, rank).key;
  }

  Result<std::vector<ExportedFile>> Export(const Snapshot& snap, Cf cf, std::string_view start,
                                           std::string_view end, const std::string& dir,
                                           const ExportOptions& opts) override {
    const auto* ms = dynamic_cast<const MemorySnapshot*>(&snap);
    if (!ms) return Status::InvalidArgument("snapshot of another engine");
    auto it = ms->NewIterator(cf, IterOptions{std::string(start), std::string(end)});
    return ExportToFiles(*it, cf, dir, opts);
  }

  Status Ingest(Cf cf, const std::vector<std::string>& paths) override {
    std::lock_guard<std::mutex> w(write_mu_);
    Version next = *Current();
    TreeRef& root = next.roots[static_cast<size_t>(cf)];
    for (const std::string& path : paths) {
      // The file is verified whole before the first record arrives; a bad later file discards
      // `next`, so nothing is ingested.
      TESSERA_RETURN_IF_ERROR(ReadExportFile(path, [&root](std::string_view k, std::string_view v) {
        root = memtree::Put(root, k, v);
        return Status::OK();
      }));
    }
    Publish(std::move(next), /*durable=*/true);  // Ingest is durable (engine.h)
    return Status::OK();
  }

  Status Checkpoint(const std::string& dir) override {
    TESSERA_RETURN_IF_ERROR(CreateNewDir(dir));
    MemorySnapshot snap(Current(), &live_);
    std::string manifest = std::string(kManifestHeader) + "\n";
    for (Cf cf : kAllCfs) {
      auto it = snap.NewIterator(cf, {});
      auto files = ExportToFiles(*it, cf, dir, ExportOptions{});
      if (!files.ok()) return files.status();
      for (const ExportedFile& f : *files) {
        manifest += fmt::format("{} {}\n", static_cast<int>(cf),
                                f.path.substr(f.path.find_last_of('/') + 1));
      }
    }
    // The MANIFEST is written last: a checkpoint without it is incomplete.
    TESSERA_RETURN_IF_ERROR(WriteNewFileSync(dir + "/" + std::string(kManifestName), manifest));
    return SyncDir(dir);
  }

  // CrashLoseUnsynced: back to the durable version (the roots are persistent, so O(1)).
  Status RevertToDurable() {
    if (!track_durable_) {
      return Status::InvalidArgument("memory engine opened without track_durable_state");
    }
    TESSERA_ASSERT(live_.count() == 0, "a simulated crash with a Snapshot or Iterator alive");
    std::lock_guard<std::mutex> w(write_mu_);
    std::lock_guard<std::mutex> l(mu_);
    TESSERA_ASSERT(durable_ != nullptr, "a tracking memory engine always has a durable version");
    current_ = durable_;
    return Status::OK();
  }
  // Marks the current version durable (the engine was just opened).
  void MarkDurable() {
    std::lock_guard<std::mutex> l(mu_);
    if (track_durable_) durable_ = current_;
  }

 private:
  VersionRef Current() const {
    std::lock_guard<std::mutex> l(mu_);
    return current_;
  }
  // REQUIRES: write_mu_ held. A durable version makes every earlier one durable too (one
  // sequence of versions, like a WAL synced up to its end).
  void Publish(Version v, bool durable) {
    auto next = std::make_shared<const Version>(std::move(v));
    std::lock_guard<std::mutex> l(mu_);
    current_ = std::move(next);
    if (durable && track_durable_) durable_ = current_;
  }
  static uint64_t CountUpTo(const TreeRef& root, std::string_view end) {
    return end.empty() ? memtree::Count(root) : memtree::CountLess(root, end);
  }
  static uint64_t BytesUpTo(const TreeRef& root, std::string_view end) {
    return end.empty() ? memtree::Bytes(root) : memtree::BytesLess(root, end);
  }

  LiveHandles live_;  // declared first: destroyed last
  const bool track_durable_;
  std::mutex write_mu_;    // serializes Write and Ingest (read, modify, publish)
  mutable std::mutex mu_;  // guards current_ and durable_ (held only to copy or swap pointers)
  VersionRef current_;
  VersionRef durable_;  // track_durable_ only: the state a crash reverts to
};

Status LoadCheckpoint(Engine& engine, const std::string& dir) {
  auto manifest = ReadWholeFile(dir + "/" + std::string(kManifestName), 1 << 20);
  if (!manifest.ok()) {
    return Status::Corruption(
        fmt::format("incomplete memory checkpoint {}: {}", dir, manifest.status().ToString()));
  }
  std::istringstream in(*manifest);
  std::string header;
  std::getline(in, header);
  if (header != kManifestHeader) return Status::Corruption("bad memory checkpoint MANIFEST");
  std::array<std::vector<std::string>, kNumCfs> files;
  uint32_t cf_num = 0;
  std::string name;
  while (in >> cf_num >> name) {
    Cf cf;
    if (!CfFromInt(cf_num, &cf) || name.find('/') != std::string::npos) {
      return Status::Corruption("bad memory checkpoint MANIFEST entry");
    }
    files[cf_num].push_back(dir + "/" + name);
  }
  if (!in.eof()) return Status::Corruption("bad memory checkpoint MANIFEST entry");
  for (Cf cf : kAllCfs) TESSERA_RETURN_IF_ERROR(engine.Ingest(cf, files[static_cast<size_t>(cf)]));
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Engine>> OpenMemoryEngine(const MemoryEngineOptions& opts) {
  auto engine = std::make_unique<MemoryEngine>(opts);
  TESSERA_RETURN_IF_ERROR(InitOrCheckFormatVersion(*engine));
  engine->MarkDurable();
  return std::unique_ptr<Engine>(std::move(engine));
}

Result<std::unique_ptr<Engine>> OpenMemoryEngineCheckpoint(const std::string& dir,
                                                           const MemoryEngineOptions& opts) {
  auto engine = std::make_unique<MemoryEngine>(opts);
  TESSERA_RETURN_IF_ERROR(LoadCheckpoint(*engine, dir));
  TESSERA_RETURN_IF_ERROR(InitOrCheckFormatVersion(*engine));
  engine->MarkDurable();
  return std::unique_ptr<Engine>(std::move(engine));
}

Status CrashLoseUnsynced(Engine* engine) {
  auto* memory = dynamic_cast<MemoryEngine*>(engine);
  if (memory == nullptr) return Status::InvalidArgument("CrashLoseUnsynced: not a memory engine");
  return memory->RevertToDurable();
}

}  // namespace tessera::storage
