// Backend: what the etcd v3 front door needs from the store, and nothing more.
//
// The front door (src/etcd/) turns etcd's KV and Maintenance RPCs into these calls; the server
// wires it to the C++ client library (src/server/etcd_client_backend.h: each call routed to the
// shard leaders), the tests to an in-memory twin (MemoryBackend). Keys are etcd keys (arbitrary
// non-empty bytes, zero bytes included); the backend maps them into its own namespace.
//
// Revisions. Every write gets a revision from its shard: strictly increasing per shard and never
// lower than the revisions the shard's range held before (splits and merges carry them). There is
// no single counter across shards (docs/etcd.md): a key's revisions only grow, but two keys in
// different shards have unrelated revisions.
//
// Outcomes: OK; InvalidArgument (empty or oversized key, oversized value, inverted range);
// FailedPrecondition (an Atomic call whose ops fall in more than one shard); Unavailable (no
// route in time); Timeout (a write's outcome is unknown: it may have applied). Reads are
// linearizable unless `serializable`.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tessera::etcd {

struct KeyValue {
  std::string key;
  std::string value;            // empty in keys-only reads
  int64_t create_revision = 0;  // the revision of the key's last creation
  int64_t mod_revision = 0;     // the revision of the key's last write
  int64_t version = 0;          // writes since creation (1 after the creating put)
  bool operator==(const KeyValue&) const = default;
};

// A key range: the single key `key` when `end` is nullopt; otherwise [key, *end), where an empty
// *end means "to the end of the key space".
struct KeyRange {
  std::string key;
  std::optional<std::string> end;
  bool operator==(const KeyRange&) const = default;
};

struct ReadOptions {
  size_t limit = 0;           // the most pairs to return; 0: all
  bool reverse = false;       // descending key order (with a limit: the last `limit` keys)
  bool keys_only = false;     // values are left empty
  bool serializable = false;  // true: may be served stale from any replica
};

struct ReadResult {
  std::vector<KeyValue> kvs;  // in key order (descending when reverse)
  bool more = false;          // the range holds more keys than returned
  int64_t count = 0;          // the keys in the range, regardless of limit
  // The store revision the read saw: the largest revision of the shards it read (a read made
  // while no key in the range changed reports a revision at least as high as any mod_revision
  // it returns).
  int64_t revision = 0;
};

// One operation of an Atomic call. Every op of a call must fall in one shard.
struct Op {
  enum class Kind {
    // Writes `value` at range.key: mod_revision = the call's revision, version + 1, and
    // create_revision = the call's revision when the key was absent.
    kPut,
    // Deletes every key in `range`.
    kDeleteRange,
    // An assertion: range.key's mod_revision is `revision` (0: the key is absent).
    kAssertModRevision,
    // An assertion: nothing in the shard holding `range` was written after `revision` (a
    // revision a read of that shard returned). Guards reads of whole ranges.
    kAssertUnchangedSince,
  };
  Kind kind = Kind::kPut;
  KeyRange range;
  std::string value;     // kPut
  int64_t revision = 0;  // the assertions
  bool operator==(const Op&) const = default;
};

struct OpResult {
  std::optional<KeyValue> previous;  // kPut: the pair before (nullopt: the key was absent)
  std::vector<KeyValue> deleted;     // kDeleteRange: the pairs deleted, in key order
};

struct AtomicResult {
  // True: every assertion held and every write took effect, all at `revision`. False: some
  // assertion failed and nothing changed (`results` is then empty).
  bool applied = false;
  int64_t revision = 0;  // applied: the revision of the writes; otherwise the shard's revision
  std::vector<OpResult> results;  // one per op when applied (empty for assertions)
};

struct DeleteResult {
  std::vector<KeyValue> deleted;  // the pairs deleted, in key order
  int64_t revision = 0;           // the largest revision the deletes got
};

// What Maintenance.Status reports about the node the front door runs on.
struct MemberStatus {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;  // this node's id
  uint64_t leader_id = 0;  // the member etcd clients should treat as leader (docs/etcd.md)
  uint64_t raft_term = 0;
  uint64_t raft_index = 0;
  uint64_t raft_applied_index = 0;
  int64_t db_size = 0;  // bytes
  int64_t revision = 0;
  std::string version;  // the etcd API version the front door speaks, e.g. "3.4.0"
};

class Backend {
 public:
  virtual ~Backend() = default;

  // The keys in `range`, with the options' limit, order and consistency.
  virtual Status Read(const KeyRange& range, const ReadOptions& options, ReadResult* out) = 0;
  // Runs `ops` atomically in one shard: either every assertion holds and every write applies at
  // one new revision, or nothing changes (out->applied false). FailedPrecondition when the ops
  // span shards (nothing is applied).
  virtual Status Atomic(const std::vector<Op>& ops, AtomicResult* out) = 0;
  // Deletes every key in `range`, shard by shard (atomic within a shard only). want_values:
  // the deleted pairs carry their values.
  virtual Status DeleteRange(const KeyRange& range, bool want_values, DeleteResult* out) = 0;
  virtual Status GetStatus(MemberStatus* out) = 0;
};

}  // namespace tessera::etcd
