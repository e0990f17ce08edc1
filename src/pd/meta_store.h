// MetaStore: PD's durable, linearizable key-value metadata, served by PD's own Raft group.
//
// Every call is linearizable and is answered only by the Raft leader: elsewhere it fails with
// NotLeader (and `leader_hint()` names the leader when known). A write is acknowledged once it
// is committed on a quorum and applied. Calls block; they are made from PD's request threads and
// its background loop, never from a Raft worker.
//
// Keys (docs/pd.md, "Metadata"): "c/..." cluster, "i/..." id allocator, "t/..." timestamp
// window, "n/<id>" node records, "s/<id>" shard records, "l/session" the leader's session.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace tessera::pd {

class MetaStore {
 public:
  struct Put {
    std::string key;
    std::string value;
  };

  virtual ~MetaStore() = default;
  // nullopt: absent.
  virtual Result<std::optional<std::string>> Get(const std::string& key) = 0;
  // Every pair whose key starts with `prefix`, in key order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> Scan(
      const std::string& prefix) = 0;
  // Atomically writes `puts` and deletes `deletes`.
  virtual Status Write(const std::vector<Put>& puts, const std::vector<std::string>& deletes) = 0;
  // Sets `key` to `value` if it holds `expected` (nullopt: absent). Returns whether it did.
  virtual Result<bool> CompareAndSwap(const std::string& key,
                                      const std::optional<std::string>& expected,
                                      const std::string& value) = 0;
  // The member this store believes leads (none when unknown), after a NotLeader.
  virtual NodeId leader_hint() const = 0;
};

// An in-memory MetaStore for tests: always the leader unless told otherwise. Thread-safe.
std::unique_ptr<MetaStore> NewMemoryMetaStore();

}  // namespace tessera::pd
