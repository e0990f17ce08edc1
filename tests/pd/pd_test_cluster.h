// In-process clusters with a placement driver: PD members (PdServer) and nodes (server::Server
// with pd_endpoints) on free loopback ports, data in a temporary directory removed at the end,
// and a small routing client (PD lookups, NotLeader/EpochNotMatch retries) for the tests of the
// "pd" label.
//
// Nothing here sleeps: waits block on a ChangeSignal that every PD member's change listener
// (PdCore::SetChangeListener) bumps, with a deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pd/pd_client.h"
#include "pd/pd_server.h"
#include "proto/kv.grpc.pb.h"
#include "server/server.h"

namespace tessera::testing {

// A count of changes, and waits for the next one.
class ChangeSignal {
 public:
  void Notify();
  uint64_t count() const;
  // Blocks until the count passes `seen` or `deadline` comes; returns whether it passed.
  bool WaitPast(uint64_t seen, std::chrono::steady_clock::time_point deadline) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t count_ = 0;
};

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
  const std::string& pd_address(int member) const { return pd_addrs_.at(member); }

  // Bumped on every change any PD member sees (its leadership, nodes, shards, operators); tests
  // bump it too when their own threads make progress.
  ChangeSignal& changes() { return changes_; }
  // Evaluates `pred` now and after every change until it holds or `timeout` passes; returns
  // whether it holds.
  bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

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
  // One request routed by `key` (header filled from PD's route), retried until `timeout`.
  template <typename Request, typename Response>
  Status CallRouted(const std::string& key, std::chrono::milliseconds timeout, Request req,
                    Response* resp,
                    grpc::Status (v1::Kv::Stub::*method)(grpc::ClientContext*, const Request&,
                                                         Response*));

  PdClusterOptions opts_;
  ChangeSignal changes_;
  std::filesystem::path dir_;
  std::map<int, std::string> pd_addrs_;
  std::map<int, std::unique_ptr<pd::PdServer>> pds_;
  std::map<int, std::unique_ptr<server::Server>> nodes_;
  std::unique_ptr<pd::PdClient> pd_client_;
  std::map<std::string, std::unique_ptr<v1::Kv::Stub>> stubs_;
  std::map<NodeId, std::string> addresses_;
  static inline int counter_ = 0;
};

}  // namespace tessera::testing
