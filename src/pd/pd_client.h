// PdClient: how nodes, `tessera ctl` and the C++ client talk to the placement driver.
//
// Given the addresses of one or more PD members it finds the leader (any member redirects with
// its leader's address) and retries with backoff, up to a deadline per call, on transport errors,
// a missing leader, and PD's "unavailable" answers. Other PD errors come back as a Status:
// NotFound (no such node or shard, or the cluster is not bootstrapped), InvalidArgument,
// AlreadyExists (bootstrap), EpochNotMatch (admin request at a stale epoch), Unavailable (the
// deadline passed). It remembers the cluster id of the first answer and refuses (Aborted) a PD of
// another cluster.
//
// Thread-safe: calls may run concurrently (they share the leader's channel).
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "pd/messages.h"
#include "proto/pd.grpc.pb.h"

namespace tessera::pd {

struct PdClientOptions {
  std::vector<std::string> endpoints;  // "host:port" of PD members (at least one)
  // One attempt's deadline, and the whole call's (retries included). Defaults: 2 s, 10 s.
  int rpc_timeout_ms = 2000;
  int call_deadline_ms = 10000;
  // The cluster this client belongs to (0: whatever the first answer says).
  uint64_t cluster_id = 0;
};

// A node as GetNodes reports it.
struct PdNodeView {
  NodeInfo info;
  int64_t heartbeat_age_ms = 0;  // 0 when none
  bool down = false;
};

struct OperatorView {
  ShardId shard;
  std::string kind, description;
  uint32_t current_step = 0, step_count = 0;
  uint64_t age_ms = 0;
};

class PdClient {
 public:
  explicit PdClient(PdClientOptions opts);

  uint64_t cluster_id() const;
  // The members and the leader (from any member; no retry beyond one pass over the endpoints).
  Result<std::vector<std::pair<NodeId, std::string>>> Members(NodeId* leader = nullptr);

  // The shard the cluster was bootstrapped with; nullopt when it is not bootstrapped yet.
  Result<std::optional<ShardDescriptor>> FirstShard();
  // AlreadyExists with `*existing` set when another shard bootstrapped the cluster.
  Status Bootstrap(const NodeInfo& node, const ShardDescriptor& shard,
                   ShardDescriptor* existing = nullptr);
  Result<uint64_t> AllocIds(uint32_t count);
  Result<NodeId> RegisterNode(NodeId id, const std::string& address);
  Result<NodeState> NodeHeartbeat(NodeId id, const NodeStats& stats);
  Result<std::vector<ShardCommand>> ShardHeartbeat(NodeId id,
                                                   const std::vector<ShardInfo>& reports);
  Result<ShardInfo> GetShardByKey(const std::string& key);
  Result<ShardInfo> GetShardById(ShardId id);
  Result<std::vector<ShardInfo>> ScanShards(const std::string& start, const std::string& end,
                                            uint32_t limit = 0);
  Result<std::vector<PdNodeView>> GetNodes();
  // The first of `count` timestamps.
  Result<uint64_t> GetTimestamps(uint32_t count);
  Result<std::string> Admin(const AdminRequest& req);
  Result<std::vector<OperatorView>> ListOperators();
  // The cancelled operator's description; NotFound when the shard has none.
  Result<std::string> CancelOperator(ShardId shard);
  Status SetNodeState(NodeId id, NodeState state);
  Result<std::string> GetScheduleConfig();
  Result<std::string> SetScheduleConfig(const std::string& json);

 private:
  template <typename Req, typename Resp>
  using Method = grpc::Status (v1::Pd::Stub::*)(grpc::ClientContext*, const Req&, Resp*);
  // Calls `method` on the leader until it answers or the deadline passes.
  template <typename Req, typename Resp>
  Status Call(Method<Req, Resp> method, const Req& req, Resp* resp);
  v1::Pd::Stub* StubFor(const std::string& address);
  // The address to try next: the leader's when known, else the endpoints in turn.
  std::string Target();
  void Redirect(const std::string& leader_address);
  void Forget(const std::string& address);
  Status CheckHeader(const v1::PdResponseHeader& h);

  const PdClientOptions opts_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<v1::Pd::Stub>> stubs_;
  std::string leader_;  // "" : unknown
  size_t next_endpoint_ = 0;
  uint64_t cluster_id_ = 0;
};

// "host:port,host:port" -> endpoints.
std::vector<std::string> SplitEndpoints(const std::string& list);

}  // namespace tessera::pd
