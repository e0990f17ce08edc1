// The Tessera C++ client: the one public API of Tessera (docs/client.md).
//
// A Client connects to the placement driver (PD) with a list of PD endpoints, learns from PD
// which shard holds each key and which node leads it, and sends every request to the right node.
// Routes are cached and refreshed when a node answers NotLeader or EpochNotMatch (a split, merge
// or membership change), when a node is unreachable, or when a shard is gone. Failed attempts are
// retried with bounded exponential backoff until the call's deadline.
//
// Outcomes. Every call returns a tessera::client::Status:
//   kOk               the operation took effect (a read: it saw a linearizable, or for kStale a
//                     bounded-stale, state);
//   kInvalidArgument  the request is malformed (empty or oversized key, oversized value, an
//                     empty or inverted range); retrying fails the same way;
//   kTimeout          the deadline passed after a write was sent: its OUTCOME IS UNKNOWN (it may
//                     have applied, or may still apply). Never report such a write as failed;
//                     read the key back, or retry an idempotent write (Put, Delete, BatchPut,
//                     DeleteRange). A CompareAndSwap is never retried after an unknown outcome;
//   kUnavailable      the deadline passed and no attempt could have applied (no route, every
//                     replica unreachable before sending, every attempt refused);
//   kFailedPrecondition  the request is valid but cannot run as asked: an Atomic call whose
//                     operations fall in more than one shard; nothing was applied;
//   kInternal         a node answered with something this client does not understand.
//
// Multi-shard calls. BatchGet, BatchPut, Scan, ReverseScan and DeleteRange may span shards: the
// client splits them by shard and sends the parts in parallel (scans page through the shards in
// order). Each part is atomic within its shard; across shards there is no atomicity (a BatchPut
// that returns kTimeout may have applied some shards' parts and not others).
//
// Thread safety: a Client is safe for concurrent use by any number of threads; share one per
// process. It owns its connections and background work; destroying it waits for calls in flight
// to notice (do not destroy it while calls are running).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::client {

enum class Code {
  kOk = 0,
  kInvalidArgument,
  kTimeout,  // outcome unknown
  kUnavailable,
  kInternal,
  kFailedPrecondition,
};

// The client's error type: a code and a message (empty when ok).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status OK() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // True for kTimeout: a write may or may not have applied.
  bool outcome_unknown() const { return code_ == Code::kTimeout; }
  // "OK" or "<code>: <message>".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// How fresh a read must be.
enum class Consistency {
  kStrong,    // linearizable, served by the shard's leader (lease or ReadIndex). The default.
  kFollower,  // linearizable, served by any replica after a ReadIndex round with the leader
  kStale,     // any replica's applied state, at most max_staleness old
};

struct ReadOptions {
  Consistency consistency = Consistency::kStrong;
  // kStale only: the largest acceptable staleness. Default: 1 s.
  std::chrono::milliseconds max_staleness{1000};
  // The call's deadline, retries included. 0: ClientOptions::timeout.
  std::chrono::milliseconds timeout{0};
};

struct WriteOptions {
  // The call's deadline, retries included. 0: ClientOptions::timeout.
  std::chrono::milliseconds timeout{0};
};

struct ScanOptions {
  ReadOptions read;
  // The most pairs to return; 0: every pair in the range (paged from the nodes).
  size_t limit = 0;
  bool keys_only = false;  // values are left empty
};

struct KeyValue {
  std::string key;
  std::string value;
  bool operator==(const KeyValue&) const = default;
};

// What CompareAndSwap saw and did.
struct CasResult {
  bool succeeded = false;               // the condition held and the action applied
  std::optional<std::string> previous;  // the key's value before (nullopt: absent)
};

// What DeleteRange deleted, when asked.
struct DeleteRangeResult {
  std::vector<KeyValue> deleted;  // in key order
  uint64_t revision = 0;          // the largest revision the shards' deletes got
};

// One operation of an Atomic call (docs/client.md, "Atomic operations and revisions").
struct AtomicOp {
  enum class Type {
    kPut,
    kDelete,
    kDeleteRange,  // [key, end_key); end_key empty: to the end of the key space
    // Stores `value` with its revisions (create, mod, version), stamped by the shard.
    kPutVersioned,
    // Assertions: when one fails the call changes nothing. kAssertModRevision: `key` holds a
    // versioned value whose mod revision is `revision` (0: the key is absent).
    // kAssertUnchangedSince: nothing in the shard of [key, end_key) was written after `revision`.
    kAssertModRevision,
    kAssertUnchangedSince,
  };
  Type type = Type::kPut;
  std::string key;
  std::string end_key;    // kDeleteRange, kAssertUnchangedSince
  std::string value;      // kPut, kPutVersioned
  uint64_t revision = 0;  // the assertions
  // kPutVersioned: report the value before (in its stored, versioned form); kDeleteRange: report
  // the pairs deleted.
  bool want_previous = false;
};

struct AtomicOpResult {
  std::optional<std::string> previous;  // kPutVersioned with want_previous
  std::vector<KeyValue> deleted;        // kDeleteRange with want_previous
};

struct AtomicResult {
  bool applied = false;  // every assertion held and every write applied (false: nothing changed)
  // applied: the revision of the writes; otherwise the shard's current revision.
  uint64_t revision = 0;
  std::vector<AtomicOpResult> results;  // one per op when applied
};

struct ClientOptions {
  // "host:port" of PD members (one is enough: it names the others). Required.
  std::vector<std::string> pd_endpoints;
  // A call's deadline when its options give none. Default: 10 s.
  std::chrono::milliseconds timeout{10000};
  // One attempt's deadline (capped by what is left of the call's). Default: 2 s.
  std::chrono::milliseconds attempt_timeout{2000};
  // Backoff between failed attempts: starts here, doubles up to the maximum, with jitter.
  // Defaults: 5 ms, 500 ms.
  std::chrono::milliseconds backoff_initial{5};
  std::chrono::milliseconds backoff_max{500};
  // The most requests one multi-shard call sends at once. Default: 16.
  size_t max_parallel = 16;
};

class Client {
 public:
  // Validates the options and creates a client; it reaches PD lazily, on the first call (so a
  // client can be created before the cluster is up). kInvalidArgument for bad options.
  static Status Connect(const ClientOptions& options, std::unique_ptr<Client>* client);

  virtual ~Client() = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // *value = the key's value, or nullopt when the key is absent.
  virtual Status Get(std::string_view key, std::optional<std::string>* value,
                     const ReadOptions& options = {}) = 0;
  // (*values)[i] answers keys[i]. Keys may repeat and span shards.
  virtual Status BatchGet(const std::vector<std::string>& keys,
                          std::vector<std::optional<std::string>>* values,
                          const ReadOptions& options = {}) = 0;

  // Pairs with start <= key < end (end empty: to the end of the key space), ascending.
  // *revision (when given): the largest of the revisions the shards read reported (each shard's
  // part saw every write of that shard up to the revision it reported).
  virtual Status Scan(std::string_view start, std::string_view end, std::vector<KeyValue>* out,
                      const ScanOptions& options = {}, uint64_t* revision = nullptr) = 0;
  // The same range, descending from the largest key below `end`.
  virtual Status ReverseScan(std::string_view start, std::string_view end,
                             std::vector<KeyValue>* out, const ScanOptions& options = {},
                             uint64_t* revision = nullptr) = 0;

  virtual Status Put(std::string_view key, std::string_view value,
                     const WriteOptions& options = {}) = 0;
  // Atomic per shard; a later duplicate key wins.
  virtual Status BatchPut(const std::vector<KeyValue>& pairs, const WriteOptions& options = {}) = 0;
  virtual Status Delete(std::string_view key, const WriteOptions& options = {}) = 0;
  // Deletes every key in [start, end) (end empty: to the end of the key space), shard by shard.
  // *result (when given): the pairs deleted and the revision. Asking for them makes the call
  // non-idempotent: once an attempt's outcome is unknown it ends with kTimeout.
  virtual Status DeleteRange(std::string_view start, std::string_view end,
                             const WriteOptions& options = {},
                             DeleteRangeResult* result = nullptr) = 0;

  // Atomic on one key: when its value equals `expected` (nullopt: the key must be absent), set it
  // to `desired` (nullopt: delete it). *result says whether it did and what the value was.
  virtual Status CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                                const std::optional<std::string>& desired, CasResult* result,
                                const WriteOptions& options = {}) = 0;

  // Applies `ops` atomically, in one Raft entry of one shard: either every assertion holds and
  // every write applies, or nothing changes (result->applied false). kFailedPrecondition when
  // the ops fall in more than one shard. Never retried once an attempt's outcome is unknown.
  virtual Status Atomic(const std::vector<AtomicOp>& ops, AtomicResult* result,
                        const WriteOptions& options = {}) = 0;

 protected:
  Client() = default;
};

}  // namespace tessera::client
