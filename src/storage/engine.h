// storage::Engine: the one narrow interface between Tessera and a local storage engine.
//
// Three implementations pass one conformance suite (engine_conformance_test.cc):
//   - RocksDB (rocksdb_engine.h): the default, an LSM tree with one column family per Cf;
//   - memory (memory_engine.h): a persistent (path-copying) tree, for tests and the simulator;
//   - LMDB (lmdb_engine.h): the B+tree alternative, one named database per Cf.
// The on-disk layout, the limits and the export file format are described in
// docs/storage_format.md.
//
// Errors: every operation returns Status or Result<T> and never throws. Absent keys are
// NotFound. Keys and values over the limits below are InvalidArgument, detected by WriteBatch
// before the engine sees them. Corrupt files are Corruption, never served as data.
//
// Durability and fatal errors: a write with WriteOptions::sync == true is on stable storage when
// Write returns OK. If the engine reports an I/O error while making a write durable (a failed
// fsync, a failed WAL or page write other than "disk full"), the process stops through
// TESSERA_ASSERT with a message naming the engine and the operation. Such an error is never
// retried: after a failed fsync the kernel may have dropped the dirty pages, so a retry could
// report success for data that is gone ("fsyncgate"). A full disk (ENOSPC, LMDB's map full) is
// not fatal: the write returns IOError and what was written before stays intact.
//
// Thread safety: an Engine is safe to use from many threads at once. A Snapshot is safe to use
// from many threads at once. An Iterator must be used by one thread at a time.
//
// Ownership and lifetime: Open functions return the Engine as a unique_ptr; Snapshots and
// Iterators are unique_ptrs owned by the caller. Every Snapshot and Iterator must be destroyed
// before the Engine that created it (asserted in the Engine destructor). An Iterator created from
// a Snapshot keeps the snapshot's view alive and may outlive the Snapshot object itself.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace tessera::storage {

class WriteBatch;

// Column families ("key spaces"). Each is a separate ordered key space: the same key may exist in
// several. One WriteBatch may touch all of them and is still applied atomically.
enum class Cf : uint8_t {
  kData = 0,  // user data of all shards on the node
  kRaft = 1,  // raft logs and raft hard states (layout: docs/storage_format.md, log store)
  kMeta = 2,  // local metadata: format version, apply states, shard descriptors
};
inline constexpr size_t kNumCfs = 3;
inline constexpr std::array<Cf, kNumCfs> kAllCfs = {Cf::kData, Cf::kRaft, Cf::kMeta};
// "data", "raft", "meta": the names used on disk (RocksDB column family, LMDB database names).
std::string_view CfName(Cf cf);
// The Cf whose numeric value is `v`, or false when there is none.
bool CfFromInt(uint32_t v, Cf* cf);

// Limits, enforced by WriteBatch (InvalidArgument) so that every engine sees only keys and values
// that all engines accept. They are engine limits: layers above reserve room for their own
// prefixes and suffixes and publish smaller user-visible limits.
//
// kMaxKeyBytes is 511 because LMDB (as packaged by Debian, MDB_MAXKEYSIZE) stores no longer key,
// and all engines must accept the same keys: replicas of one shard may run different engines and
// must apply the same batches identically, and a key written on one node must be accepted by any
// node a shard moves to. Keys must also be non-empty (LMDB rejects empty keys). Raising the limit
// requires dropping LMDB or an overflow-key scheme in the LMDB engine.
inline constexpr size_t kMaxKeyBytes = 511;
// Large enough for a raft entry carrying a batch of user writes (the raft proposal size limit
// must stay below it), small enough that a single value never dominates a memtable or an export
// file, and that a read of one value is a bounded amount of memory.
inline constexpr size_t kMaxValueBytes = size_t{8} << 20;  // 8 MiB
// Bound on WriteBatch::ByteSize(): RocksDB batches use 32-bit offsets, and a batch is held in
// memory whole. A group commit of many shards stays far below it.
inline constexpr size_t kMaxBatchBytes = size_t{1} << 30;  // 1 GiB

// The reserved key in Cf::kMeta that holds the storage format version (docs/storage_format.md).
// Callers must not write keys that start with "storage/" in kMeta.
inline constexpr std::string_view kFormatVersionKey = "storage/format_version";
inline constexpr uint32_t kFormatVersion = 1;

struct WriteOptions {
  // When true, Write returns only after the batch is on stable storage (fsync); an I/O error
  // while syncing stops the process. When false, the batch survives a crash of the process but
  // may be lost (whole, never in part) on a crash of the machine.
  // Default: false.
  bool sync = false;
};

// Options of an iterator. Bounds are copied into the iterator.
struct IterOptions {
  // Inclusive lower bound; the iterator never returns a smaller key. Empty: no lower bound.
  // Default: empty.
  std::string lower_bound;
  // Exclusive upper bound; the iterator never returns a key >= it. Empty: no upper bound.
  // Default: empty.
  std::string upper_bound;
};

// A cursor over one Cf of a consistent view (a Snapshot, or an implicit snapshot taken when
// Engine::NewIterator is called). Keys ascend bytewise (memcmp order, shorter first on a tie).
//
// After any positioning call the iterator is either Valid() (on a key within the bounds) or not.
// key() and value() REQUIRE Valid() and stay valid until the next positioning call or the
// destruction of the iterator. An iterator that hit an error is not Valid() and status() says
// why; otherwise status() is OK, also at the end of the range.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target (and >= the lower bound).
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target (and < the upper bound).
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRE: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

// A consistent, read-only, point-in-time view of all Cfs. Writes after its creation are
// invisible to it and to iterators created from it. Thread-safe. Holding a snapshot pins old
// versions (RocksDB: obsolete versions survive compaction; LMDB: pages are not reused; memory:
// old tree nodes stay alive), so hold it no longer than needed.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  // The value of `key` in `cf` as of the snapshot; NotFound when absent.
  virtual Result<std::string> Get(Cf cf, std::string_view key) const = 0;
  // An iterator over `cf` as of the snapshot. Errors are reported through Iterator::status().
  virtual std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) const = 0;
};

// Approximate statistics of a key range.
struct RangeStats {
  uint64_t approximate_bytes = 0;  // stored size of keys and values (on disk: after compression)
  uint64_t approximate_keys = 0;
};

struct ExportOptions {
  // A new file is started once the current one holds at least this many bytes of keys and
  // values. Default: 64 MiB.
  uint64_t target_file_bytes = uint64_t{64} << 20;
};

// One file written by Engine::Export.
struct ExportedFile {
  std::string path;
  uint64_t keys = 0;
  uint64_t bytes = 0;    // keys plus values, uncompressed
  std::string smallest;  // first key in the file
  std::string largest;   // last key in the file
};

// What is known of an engine instance.
enum class EngineKind : uint8_t { kRocksDb, kMemory, kLmdb };
std::string_view EngineKindName(EngineKind kind);  // "rocksdb", "memory", "lmdb"

class Engine {
 public:
  // Asserts that no Snapshot or Iterator of this engine is alive; closes the engine.
  virtual ~Engine() = default;

  virtual EngineKind kind() const = 0;

  // The latest value of `key` in `cf`; NotFound when absent.
  virtual Result<std::string> Get(Cf cf, std::string_view key) = 0;

  // Applies all operations of `batch` atomically and in order: after a crash either all of them
  // are visible or none. A batch with a rejected operation (see WriteBatch) is not applied and
  // its first error is returned. Concurrent writers are serialized.
  virtual Status Write(const WriteOptions& opts, const WriteBatch& batch) = 0;

  // A consistent view of all Cfs as of now. Fails only if the engine is out of reader slots
  // (LMDB's max_readers): Busy.
  virtual Result<std::unique_ptr<Snapshot>> GetSnapshot() = 0;

  // An iterator over `cf` at an implicit snapshot taken now.
  virtual std::unique_ptr<Iterator> NewIterator(Cf cf, const IterOptions& opts) = 0;

  // Approximate size and key count of [start, end) in `cf` (empty `end`: to the end of `cf`).
  // The cost is engine-specific: RocksDB and memory O(log n); LMDB scans the range.
  virtual Result<RangeStats> ApproximateRange(Cf cf, std::string_view start,
                                              std::string_view end) = 0;

  // A key k in [start, end) of `cf` that cuts the range in two halves of about equal size
  // (keys plus values). k is an existing key and not the first key of the range, so that both
  // [start, k) and [k, end) are non-empty. NotFound when the range holds fewer than two keys.
  virtual Result<std::string> SplitKey(Cf cf, std::string_view start, std::string_view end) = 0;

  // Writes the keys of [start, end) in `cf`, as seen by `snap`, into new files in `dir` (created
  // if missing; existing files are not overwritten: AlreadyExists). RocksDB writes SST files;
  // memory and LMDB write the Tessera export format (docs/storage_format.md). Files are sorted
  // and do not overlap. An empty range produces no file. `snap` must come from this engine.
  virtual Result<std::vector<ExportedFile>> Export(const Snapshot& snap, Cf cf,
                                                   std::string_view start, std::string_view end,
                                                   const std::string& dir,
                                                   const ExportOptions& opts) = 0;

  // Adds the keys of files written by Export of an engine of the same kind to `cf`, atomically
  // and durably (as a sync write). Keys in the files overwrite existing ones; other keys are not
  // touched, so to replace a range, DeleteRange it first. Every file is verified first: a
  // corrupt or truncated file is Corruption and nothing is ingested. On success the files may
  // have been moved into the engine: the caller must not use them again.
  virtual Status Ingest(Cf cf, const std::vector<std::string>& paths) = 0;

  // Writes a consistent copy of the whole engine to `dir`, which must not exist yet. The copy
  // opens with the Open function of the same engine kind (memory: OpenMemoryEngineCheckpoint).
  virtual Status Checkpoint(const std::string& dir) = 0;

  // Convenience: a batch with the single DeleteRange(cf, start, end).
  Status DeleteRange(const WriteOptions& opts, Cf cf, std::string_view start, std::string_view end);
  // Convenience: a batch with a single Put / Delete.
  Status Put(const WriteOptions& opts, Cf cf, std::string_view key, std::string_view value);
  Status Delete(const WriteOptions& opts, Cf cf, std::string_view key);
};

}  // namespace tessera::storage
