// PdAgent: a node's side of the placement driver (docs/pd.md, "Nodes").
//
// Before the node opens: Identify() finds the node's id (its ident file, the configured id, or a
// new one from PD). Once the node serves: Join() registers its address, bootstraps the cluster
// when PD has none (the first node creates one shard over every key, itself its only voter), and
// starts a thread that every pd_heartbeat_ms
//   - sends the node heartbeat (disk space, replica and leader counts, request rates),
//   - sends one shard heartbeat with a report of every shard the node leads (descriptor, term,
//     down and pending replicas, approximate size and keys, request rates),
//   - carries out the operator steps PD answers with (membership changes, leader transfers,
//     splits with PD's shard id, merges) through the node's own admin operations,
//   - keeps the node's pool of PD shard ids filled (for the splits the node starts itself) and
//     the transport's address book up to date (GetNodes).
// Losing PD stops none of the node's work: only the reports and operators wait.
//
// Thread safety: Stop may be called from any thread; the rest from the server's start-up thread.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "multiraft/node.h"
#include "pd/pd_client.h"
#include "server/grpc_transport.h"

namespace tessera::server {

class PdAgent {
 public:
  struct Options {
    std::string endpoints;  // "host:port,..."
    std::string data_dir;
    NodeId configured_id;  // from the config; none: PD allocates
    int64_t heartbeat_ms = 1000;
  };
  explicit PdAgent(Options opts);
  ~PdAgent();

  // The node's id (from its ident file, or the config, or PD). Call before the node opens.
  Result<NodeId> Identify();
  // Registers `address`, bootstraps the cluster if needed, and starts the heartbeat thread.
  // `node` and `resolver` are not owned and must outlive Stop().
  Status Join(multiraft::Node* node, StaticAddressResolver* resolver, const std::string& address);
  void Stop();

  pd::PdClient* client() { return client_.get(); }

 private:
  Status BootstrapIfNeeded();
  void Loop();
  void HeartbeatOnce();
  void RefreshAddresses();
  void RefillShardIds();
  void Execute(const pd::ShardCommand& cmd);

  const Options opts_;
  std::unique_ptr<pd::PdClient> client_;
  NodeId id_;
  std::string address_;
  multiraft::Node* node_ = nullptr;
  StaticAddressResolver* resolver_ = nullptr;

  // Rates: the counters of each shard at the previous heartbeat.
  std::map<ShardId, multiraft::ReplicaCounters> last_counters_;
  // The size last reported for each led shard and what it was measured at. Measured again only
  // when the shard took writes, changed range or term since: while this node leads, data only
  // arrives through its own proposals (counted), a merge (new version) or another leader's term.
  struct MeasuredSize {
    uint64_t version = 0, term = 0, write_ops = 0;
    storage::RangeStats stats;
  };
  std::map<ShardId, MeasuredSize> sizes_;
  int64_t last_heartbeat_ms_ = 0;
  bool pd_failing_ = false;  // the last heartbeat failed
  // Steps handed to the node recently (shard -> when), so that a step PD repeats before the
  // node's change shows in a report is not started twice at once. Entries older than that
  // window are dropped at each heartbeat.
  std::map<ShardId, std::pair<std::string, int64_t>> started_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tessera::server
