// MemoryBackend: the in-memory twin of Backend for tests (shared/style.md, item 7).
//
// A std::map of every pair under one mutex, divided into shards by split keys given to the
// constructor: shard i holds [split_keys[i-1], split_keys[i]) (the first from the start of the
// key space, the last to its end). Each shard has its own revision counter, starting at 1 and
// incremented by each call that writes in the shard, so revisions are strictly increasing per
// shard and unrelated across shards, as in the store.
//
//   Read         the pairs in range; revision = the largest of the shards it covers.
//   Atomic       every op in one shard, else FailedPrecondition. An Atomic that writes gets the
//                shard's next revision; one of assertions only changes nothing and reports the
//                shard's current revision. `results` has one entry per op (empty for
//                assertions). A failed assertion: applied false, the shard's current revision.
//   DeleteRange  shard by shard; each shard that loses keys gets its next revision; revision =
//                the largest of the shards the range covers, after the deletes.
//   GetStatus    the MemberStatus set by SetMemberStatus, with revision = the largest shard
//                revision and db_size = the bytes of every key and value.
//
// InvalidArgument for an empty key, a key over max_key_bytes, a value over max_value_bytes, an
// inverted range (end <= key), a kPut or kAssertModRevision on a range, or an empty op list.
// Tests can make the next calls fail (FailNext) and count calls.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "etcd/backend.h"

namespace tessera::etcd {

struct MemoryBackendLimits {
  // Longest key. Default: 511 bytes (the store's key limit).
  size_t max_key_bytes = 511;
  // Largest value. Default: 1.5 MiB (etcd's default --max-request-bytes).
  size_t max_value_bytes = 1536 * 1024;
};

class MemoryBackend : public Backend {  // not final: tests override methods to inject races
 public:
  // REQUIRES: split_keys sorted, distinct and non-empty.
  explicit MemoryBackend(std::vector<std::string> split_keys = {}, MemoryBackendLimits limits = {});

  Status Read(const KeyRange& range, const ReadOptions& options, ReadResult* out) override;
  Status Atomic(const std::vector<Op>& ops, AtomicResult* out) override;
  Status DeleteRange(const KeyRange& range, bool want_values, DeleteResult* out) override;
  Status GetStatus(MemberStatus* out) override;

  // What GetStatus reports (its revision and db_size are computed). Default: cluster 0x1000,
  // member 1, leader 1, term 1, index 1, applied index 1, version "3.4.0".
  void SetMemberStatus(const MemberStatus& status);
  // The next calls (of any method) return these statuses, one each, without effect.
  void FailNext(Status status);

  size_t shard_count() const { return split_keys_.size() + 1; }
  // The revision of shard `shard`. REQUIRES: shard < shard_count().
  int64_t ShardRevision(size_t shard) const;

  struct CallCounts {
    uint64_t read = 0, atomic = 0, delete_range = 0, get_status = 0;
  };
  CallCounts counts() const;

 private:
  struct ShardSpan {
    size_t first = 0;
    size_t last = 0;
  };

  Status CheckRange(const KeyRange& range) const;
  Status CheckOp(const Op& op) const;
  size_t ShardOf(const std::string& key) const;
  ShardSpan ShardsOf(const KeyRange& range) const;
  // The largest revision of the shards in `span`. REQUIRES: mu_ held.
  int64_t MaxRevision(ShardSpan span) const;
  // Pops an injected failure. REQUIRES: mu_ held.
  bool TakeFailure(Status* st);
  // REQUIRES: mu_ held.
  bool AssertionHolds(const Op& op, size_t shard) const;
  // Runs a write op at `revision`. REQUIRES: mu_ held.
  OpResult ApplyWrite(const Op& op, int64_t revision);
  // Erases the pairs of `range` and returns them in key order. REQUIRES: mu_ held.
  std::vector<KeyValue> EraseRange(const KeyRange& range);

  const std::vector<std::string> split_keys_;
  const MemoryBackendLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, KeyValue> data_;  // guarded by mu_
  std::vector<int64_t> revisions_;        // guarded by mu_; one per shard
  MemberStatus member_;                   // guarded by mu_
  std::deque<Status> failures_;           // guarded by mu_
  CallCounts counts_;                     // guarded by mu_
};

}  // namespace tessera::etcd
