// NodeMetaStore: the MetaStore of a PD member, kept in shard 1 of the member's own Multi-Raft
// node (one shard over the whole key space, a replica on every PD member). Reads are strong
// (leader lease, else ReadIndex); writes go through the shard's log. Thread-safe; blocking.
#pragma once

#include <atomic>
#include <memory>

#include "multiraft/node.h"
#include "pd/meta_store.h"

namespace tessera::pd {

inline constexpr ShardId kPdShard{1};

class NodeMetaStore final : public MetaStore {
 public:
  // `node` is not owned and must outlive the store. `timeout_ms` bounds every call (Timeout).
  NodeMetaStore(multiraft::Node* node, int timeout_ms);

  Result<std::optional<std::string>> Get(const std::string& key) override;
  Result<std::vector<std::pair<std::string, std::string>>> Scan(const std::string& prefix) override;
  Status Write(const std::vector<Put>& puts, const std::vector<std::string>& deletes) override;
  Result<bool> CompareAndSwap(const std::string& key, const std::optional<std::string>& expected,
                              const std::string& value) override;
  NodeId leader_hint() const override { return NodeId(leader_hint_.load()); }

 private:
  // A strong read check of [start, end) (end empty with point=false: to the end).
  Status CheckRead(const std::string& start, const std::string& end, bool point);
  Result<multiraft::WriteResponse> Propose(multiraft::WriteCommand cmd);
  multiraft::Epoch CurrentEpoch() const;
  void NoteHint(const Status& s, const multiraft::RouteHint& hint);

  multiraft::Node* const node_;
  const int timeout_ms_;
  std::atomic<uint64_t> leader_hint_{0};
};

}  // namespace tessera::pd
