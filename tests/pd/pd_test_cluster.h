// In-process clusters with a placement driver: PD members (PdServer) and nodes (server::Server
// with pd_endpoints) on free loopback ports, data in a temporary directory removed at the end,
// and a small routing client (PD lookups, NotLeader/EpochNotMatch retries) for the tests of the
// "pd" label.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "pd/pd_client.h"
#include "pd/pd_server.h"
#include "proto/kv.grpc.pb.h"
#include "server/server.h"

namespace tessera::testing {

struct PdClusterOptions {
  int pd_members = 1;
  int nodes = 3;
  std::function<void(pd::PdServerConfig&)> tune_pd;
  std::function<void(server::ServerConfig&)> tune_node;
};

class PdTestCluster {
 public:
  explicit PdTestCluster(PdClusterOptions opts);
  ~PdTestCluster();

  void StartPd(int member);
  void StopPd(int member);
  // The member that serves as PD's leader now (0: none).
  int PdLeader() const;
  // Starts node slot i (1-based; its data dir is kept across restarts).
  void StartNode(int i);
  void StopNode(int i);
  server::Server* node(int i) const { return nodes_.at(i).get(); }
  NodeId node_id(int i) const { return nodes_.at(i)->node_id(); }
  pd::PdClient& pd() { return *pd_client_; }

  // Routed through PD's shard map to the shard's leader, retried (refreshing the route) until
  // the deadline. OK, or the last error.
  Status Put(const std::string& key, const std::string& value,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));
  Result<std::optional<std::string>> Get(
      const std::string& key, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // PD's shards, every one (empty on error).
  std::vector<pd::ShardInfo> Shards();

 private:
  v1::Kv::Stub* StubFor(const std::string& address);
  std::string AddressOf(NodeId node);

  PdClusterOptions opts_;
  std::filesystem::path dir_;
  std::map<int, std::string> pd_addrs_;
  std::map<int, std::unique_ptr<pd::PdServer>> pds_;
  std::map<int, std::unique_ptr<server::Server>> nodes_;
  std::unique_ptr<pd::PdClient> pd_client_;
  std::map<std::string, std::unique_ptr<v1::Kv::Stub>> stubs_;
  std::map<NodeId, std::string> addresses_;
  static inline int counter_ = 0;
};

// Polls `pred` every `poll_ms` until it holds or `timeout` passes; returns whether it holds.
bool PollUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
               int poll_ms = 20);

}  // namespace tessera::testing
