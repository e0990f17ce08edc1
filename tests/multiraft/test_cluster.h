// TestCluster: N Multi-Raft nodes in one process over a SimNetwork and memory engines, for the
// multiraft tests. Engines outlive node restarts (a restart keeps what was written).
// Helpers wait on conditions with deadlines; nothing sleeps a fixed time.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "multiraft/node.h"
#include "multiraft/sim_snapshot_transport.h"
#include "multiraft/sim_transport.h"
#include "multiraft/snapshot_dirs.h"
#include "storage/engine.h"

namespace tessera::multiraft::testing {

class TestCluster {
 public:
  // Starts `n` nodes (ids 1..n) and bootstraps `shards` shards replicated on all of them; shard
  // i covers keys starting with a fixed-width prefix so that shards tile the key space.
  // `tweak`, when set, adjusts every node's options before it opens.
  explicit TestCluster(int n, int shards = 1, int workers = 2, bool lease_reads = true,
                       std::function<void(NodeOptions*)> tweak = nullptr);
  ~TestCluster();

  // The newest descriptor of shard `id` the test has seen (bootstrapped, or learned from a split
  // or an EpochNotMatch hint).
  const ShardDescriptor& shard(ShardId id) const { return shards_.at(id); }
  // Remembers `d` if it is newer than what the test knows of its shard.
  void Learn(const ShardDescriptor& d);
  // A key that falls in shard `id`.
  std::string KeyIn(ShardId id, const std::string& suffix) const;

  Node* node(NodeId id) { return nodes_[id.value() - 1].get(); }
  SimNetwork& network() { return network_; }

  // The leader of a shard among the running nodes, waiting up to `timeout` for one.
  std::optional<NodeId> WaitForLeader(ShardId shard,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                      std::optional<NodeId> exclude = std::nullopt);

  // Synchronous requests to one node (Timeout when no answer within `timeout`).
  WriteResponse Write(NodeId on, ShardId shard, WriteCommand cmd,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  WriteResponse Put(NodeId on, ShardId shard, const std::string& key, const std::string& value,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads a key with the given consistency; nullopt value when absent.
  struct ReadResult {
    Status status;
    RouteHint hint;
    std::optional<std::string> value;
  };
  ReadResult Get(NodeId on, ShardId shard, const std::string& key,
                 ReadConsistency c = ReadConsistency::kStrong,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5),
                 uint64_t max_staleness_ms = 0);
  // Writes through whichever node leads, retrying NotLeader and dropped proposals until
  // `timeout`.
  // Splits `shard` at `key` through node `on` (its epoch as the test knows it); on success
  // learns both new descriptors.
  WriteResponse Split(NodeId on, ShardId shard, const std::string& key, ShardId new_shard,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Prepares the merge of `source` into `target` through node `on` (the source's epoch as the
  // test knows it); the merge then completes, or rolls back, by itself.
  WriteResponse Merge(NodeId on, ShardId source, ShardId target,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  WriteResponse PutAnywhere(ShardId shard, const std::string& key, const std::string& value,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Starts one more node (id n+1) with no replica; returns its id.
  NodeId AddNode();
  // Changes a shard's membership through node `on` (the test's epoch of the shard); on success
  // learns the new descriptor. Unavailable (not enough live voters yet) is retried until
  // `timeout`, then returned.
  WriteResponse ChangeMembership(NodeId on, ShardId shard, const std::string& changes,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  SimSnapshotNetwork& snapshot_network() { return snap_net_; }

  void StopNode(NodeId id);
  void RestartNode(NodeId id);
  bool running(NodeId id) const { return nodes_[id.value() - 1] != nullptr; }

 private:
  void StartNode(NodeId id);

  int n_;
  int workers_;
  bool lease_reads_;
  std::function<void(NodeOptions*)> tweak_;
  SimNetwork network_;
  SimSnapshotNetwork snap_net_;
  std::string dir_;  // snapshot directories of every node, removed with the cluster
  std::vector<std::unique_ptr<SnapshotDirs>> snap_dirs_;
  std::vector<std::unique_ptr<SnapshotSender>> snap_senders_;
  std::vector<std::unique_ptr<storage::Engine>> engines_;
  std::vector<std::unique_ptr<Transport>> transports_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<ShardId, ShardDescriptor> shards_;
};

// Waits until `pred` holds, up to 10 s; returns whether it does.
template <typename Pred>
bool WaitFor(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::yield();
  }
  return pred();
}

// Node `n`'s persisted descriptor of `shard` (an initialized replica), or nullopt.
inline std::optional<ShardDescriptor> ShardOn(Node* n, ShardId shard) {
  for (ShardDescriptor& d : n->Shards()) {
    if (d.id == shard) return std::move(d);
  }
  return std::nullopt;
}

// The value of `key` in node `n`'s engine (any replica's data), or nullopt.
inline std::optional<std::string> Stored(Node* n, const std::string& key) {
  auto v = n->engine()->Get(storage::Cf::kData, key);
  if (!v.ok()) return std::nullopt;
  return std::move(v).value();
}

}  // namespace tessera::multiraft::testing
