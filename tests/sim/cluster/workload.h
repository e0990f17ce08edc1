// Workload: simulated clients issuing a random key-value workload against the cluster and
// recording its history for the linearizability checker.
//
// Each client keeps up to max_inflight operations in flight on a small key set: get (strong from
// the leader, or a follower read from any replica), put, delete and compare-and-swap. A client
// routes by its RouteCache, follows NotLeader hints, refreshes routes on epoch errors and retries
// on another node after an error that proves the operation had no effect. Requests and answers
// travel with a random delay through the EventQueue; a node that is down does not answer (the
// client learns it after the delay, as from a refused connection).
//
// Outcomes (check/history.h): OK is ok; a compare-and-swap that found another value is fail
// with the value it found; Timeout from a node, a crash of the node holding the write, or the
// client's deadline passing while a request is out make the operation unknown (it returns at
// kNever, may or may not have taken effect) and a write is then never retried (a retry could
// apply it twice). Operations that certainly had no effect and observed nothing (a read that
// never succeeded, a write refused everywhere until its deadline) are left out of the history.
// Any other answer (InvalidArgument, Internal, ...) is a violation: the workload only sends
// valid requests.
//
// Single-threaded, driven by the SimCluster's events.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "multiraft/requests.h"
#include "tests/sim/cluster/kv_model.h"
#include "tests/sim/cluster/route_cache.h"
#include "tests/sim/cluster/sim_cluster.h"

namespace tessera::sim {

struct WorkloadOptions {
  int clients = 4;
  int max_inflight = 2;  // per client
  int keys = 8;          // spread over the bootstrapped shards
  // A client gives up on an operation this long after invoking it.
  int64_t op_timeout_nanos = 2'000'000'000;
  int64_t max_think_nanos = 20'000'000;  // pause after an operation completes
  // One-way delay between a client and a node.
  int64_t min_rpc_nanos = 50'000;
  int64_t max_rpc_nanos = 1'000'000;
  int64_t max_backoff_nanos = 20'000'000;  // before a retry
  // The mix, in percent; the rest are deletes.
  int get_pct = 35;
  int put_pct = 30;
  int cas_pct = 25;
  int follower_read_pct = 30;  // of gets
};

struct WorkloadStats {
  uint64_t invoked = 0, ok = 0, failed = 0, unknown = 0, dropped = 0, attempts = 0, retries = 0,
           final_reads_ok = 0;
};

class Workload {
 public:
  Workload(SimCluster* cluster, const WorkloadOptions& opts, uint64_t seed);

  const std::vector<std::string>& keys() const { return keys_; }
  // Starts the clients; they invoke no new operation from `stop_nanos` on.
  void Start(int64_t stop_nanos);
  // No operation in flight.
  bool Idle() const { return inflight_.empty(); }

  // One strong read of every key by a separate client, each retried until it succeeds or
  // `deadline_nanos`. They enter the history like any read, so the checker sees whether every
  // acknowledged write survived.
  void IssueFinalReads(int64_t deadline_nanos);
  // The keys whose final read did not succeed in time.
  const std::vector<std::string>& final_read_failures() const { return final_failures_; }

  const KvHistory& history() const { return history_; }
  const std::vector<std::string>& violations() const { return violations_; }
  const WorkloadStats& stats() const { return stats_; }

 private:
  struct Op {
    uint64_t id = 0;
    int client = 0;
    KvInput input;
    bool follower_read = false;
    bool final_read = false;
    int64_t call = 0;
    int64_t deadline = 0;
    uint32_t attempt = 0;      // attempts sent; an answer names the attempt it answers
    bool outstanding = false;  // the current attempt may still reach a node or be answered
  };
  struct Answer {
    Status status;
    multiraft::RouteHint hint;
    std::optional<int64_t> value;  // get: the value read; cas fail: the value found
    bool cas_failed = false;
  };

  bool IsWrite(const Op& op) const { return op.input.op != KvOp::kGet; }
  void Wake(int client);
  Op NewOp(int client);
  void Invoke(Op op);
  void Attempt(uint64_t id);
  void Send(uint64_t id, uint32_t attempt, NodeId target, multiraft::ShardDescriptor route);
  void OnAnswer(uint64_t id, uint32_t attempt, NodeId target, ShardId shard, Answer a);
  void Retry(Op& op);
  void Expire(uint64_t id);
  void Complete(Op& op, check::Outcome outcome, std::optional<int64_t> value);
  void Drop(Op& op);
  void Finish(Op& op);
  void RefreshRoutes();
  std::optional<int64_t> ParseValue(const std::string& bytes);
  int64_t RpcDelay();

  SimCluster* const cluster_;
  const WorkloadOptions opts_;
  SeededRandom rng_;
  std::vector<std::string> keys_;
  RouteCache routes_;
  int64_t stop_nanos_ = 0;
  uint64_t next_id_ = 1;
  std::vector<int> client_inflight_;
  std::map<std::pair<int, std::string>, std::optional<int64_t>> last_seen_;  // (client, key)
  std::map<uint64_t, Op> inflight_;
  KvHistory history_;
  std::vector<std::string> violations_;
  std::vector<std::string> final_failures_;
  WorkloadStats stats_;
  // Node callbacks hold a weak reference: a node stopping after the workload is gone (at the end
  // of a run) must not call into it.
  std::shared_ptr<bool> alive_;
};

}  // namespace tessera::sim
