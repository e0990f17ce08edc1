// NodeLiveness: when this node last heard from each other node (any Raft batch, or the empty
// batches workers send as node-level heartbeats while shards hibernate).
//
// A hibernating shard sends no heartbeats, so its followers cannot tell a quiet leader from a dead
// one by the shard's own traffic; they ask this table instead and wake up (and campaign) only once
// the leader's node has been silent for the dead-after time. A node never heard from counts as
// heard at the table's creation (a grace period after start). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

#include "common/ids.h"

namespace tessera::multiraft {

class NodeLiveness {
 public:
  explicit NodeLiveness(int64_t created_ms) : created_ms_(created_ms) {}

  void Heard(NodeId node, int64_t now_ms) {
    std::lock_guard lock(mu_);
    int64_t& t = last_heard_ms_[node];
    if (now_ms > t) t = now_ms;
  }

  // True unless `node` has been silent for more than `dead_after_ms` (counting from creation for
  // a node never heard from).
  bool Alive(NodeId node, int64_t now_ms, int64_t dead_after_ms) const {
    std::lock_guard lock(mu_);
    auto it = last_heard_ms_.find(node);
    const int64_t last = it == last_heard_ms_.end() ? created_ms_ : it->second;
    return now_ms - last <= dead_after_ms;
  }

 private:
  const int64_t created_ms_;
  mutable std::mutex mu_;
  std::map<NodeId, int64_t> last_heard_ms_;
};

}  // namespace tessera::multiraft
