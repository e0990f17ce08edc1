// PdCore: the placement driver's logic, over a MetaStore: the leader's session, bootstrap, the id
// allocator, node registration and heartbeats, shard heartbeats and operators, routing, the
// timestamp oracle, administration and the scheduler tick. No gRPC here (pd_service.h converts).
//
// Leadership: a member serves only while it holds the session: the value of "l/session" in the
// metadata store is its own nonce. A member that finds itself Raft leader without the session
// takes it (compare-and-swap), then loads every record; a member whose store answers NotLeader,
// or finds another nonce, drops it. Every write goes through the store, so a deposed leader can
// never write; the timestamp oracle reads the session back (linearizably) before each batch of
// answers, so a deposed leader cannot hand out a timestamp after its successor handed out a
// larger one (docs/pd.md, "Timestamps").
//
// Thread-safe. Calls block on the metadata store.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "pd/cluster_state.h"
#include "pd/messages.h"
#include "pd/meta_store.h"
#include "pd/tso.h"

namespace tessera::pd {

struct PdOptions {
  NodeId member_id;                       // this member
  std::map<NodeId, std::string> members;  // every member's address (for leader redirects)
  // The timestamp window persisted ahead of the clock. Default: 3000 ms.
  int64_t tso_window_ms = 3000;
  // Ids reserved per metadata write. Default: 1000.
  uint64_t id_batch = 1000;
  // The schedule configuration a new cluster starts with.
  ScheduleConfig schedule;
};

class PdCore {
 public:
  // `store` and `clock` are not owned and must outlive the core.
  PdCore(const PdOptions& opts, MetaStore* store, Clock* clock);

  // Takes or drops the session (see above); PdServer calls it periodically. Returns whether this
  // member now serves as leader.
  bool CheckLeadership();
  // Called, with no lock held, after the session is taken or dropped and after anything
  // ClusterState::SetChangeListener describes. Set it before any other call.
  void SetChangeListener(std::function<void()> listener);
  bool IsLeader() const;
  // The member believed to lead (this one when IsLeader), none when unknown.
  NodeId LeaderHint() const;
  uint64_t cluster_id() const;

  // Every call below answers NotLeader unless this member holds the session.
  // The shard the cluster was bootstrapped with; nullopt when not bootstrapped yet.
  Result<std::optional<ShardDescriptor>> FirstShard();
  // AlreadyExists (with `*existing` set) when bootstrapped with another shard.
  Status Bootstrap(const NodeInfo& node, const ShardDescriptor& shard, ShardDescriptor* existing);
  // The first of `count` new ids.
  Result<uint64_t> AllocIds(uint64_t count);
  // Registers (or updates the address of) a node; node.id none: allocates one. Returns the id.
  Result<NodeId> RegisterNode(NodeInfo node);
  Result<NodeState> NodeHeartbeat(NodeId node, const NodeStats& stats);
  Result<std::vector<ShardCommand>> ShardHeartbeat(NodeId node,
                                                   const std::vector<ShardInfo>& reports);
  Result<ShardInfo> ShardByKey(std::string_view key);
  Result<ShardInfo> ShardById(ShardId id);
  Result<std::vector<ShardInfo>> ScanShards(std::string_view start, std::string_view end,
                                            size_t limit);
  Result<std::vector<NodeInfo>> Nodes();
  Status SetNodeState(NodeId node, NodeState state);
  // The first of `count` timestamps (1..kMaxLogical).
  Result<uint64_t> GetTimestamps(uint32_t count);
  // Starts an operator; returns its description.
  Result<std::string> Admin(const AdminRequest& req);
  Result<std::vector<RunningOperator>> Operators();
  // Cancels the shard's operator (NotFound when it has none); returns its description.
  Result<std::string> CancelOperator(ShardId shard);
  Result<ScheduleConfig> GetScheduleConfig();
  Status SetScheduleConfig(const ScheduleConfig& config);

  // One scheduling pass (the leader only; a no-op elsewhere): expires stale operators, runs the
  // schedulers, starts what they propose, and keeps the timestamp window ahead of the clock.
  // Returns how many operators started.
  size_t Tick();

  ClusterState& cluster() { return cluster_; }
  // Operators the schedulers proposed, by scheduler (started or not: the limits and a shard's
  // running operator may turn one down), since the process started.
  std::map<std::string, uint64_t> scheduler_decisions() const;
  // PD's monotonic clock in milliseconds (heartbeat and operator ages are measured on it).
  int64_t NowMsForService() const { return NowMs(); }

 private:
  Status RequireLeader() const;
  int64_t NowMs() const;
  int64_t WallMs() const;
  // Loads everything for a new session (called with no lock held, while leader_ is false; the
  // caller then sets leader_). Lock order: mu_, id_mu_, tso_mu_ (never two at once here).
  Status Load();
  void DropSession(const char* why);
  // Reserves ids below `end` in the store (a compare-and-swap on the allocator's record).
  // REQUIRES: id_mu_ held. NotLeader when another session moved the record.
  Status ReserveIdsBelowLocked(uint64_t end);
  // The answer to a bootstrap with `encoded` when the cluster is (or just became) bootstrapped:
  // OK for a retry of the same shard, AlreadyExists with `*existing` otherwise.
  Status AnswerBootstrapped(const ShardDescriptor& first, const std::string& encoded,
                            ShardDescriptor* existing);
  // Confirms, with a linearizable read started after the call began, that the session is still
  // ours; concurrent callers share one read.
  Status ConfirmSession();
  Status ExtendTimestampWindow(int64_t end_ms);
  Status PersistNode(const NodeInfo& node);
  Status StartOperator(Operator op);

  const PdOptions opts_;
  MetaStore* const store_;
  Clock* const clock_;
  std::function<void()> listener_;

  // The session. Held only briefly, never across a store call (every request checks it).
  mutable std::mutex mu_;
  bool leader_ = false;
  std::string nonce_;
  uint64_t cluster_id_ = 0;
  std::optional<ShardDescriptor> first_shard_;  // set once bootstrapped

  // The id allocator. Held across the store write that reserves the next batch: allocations are
  // serialized anyway, and only one in `id_batch` ids waits for a write.
  std::mutex id_mu_;
  uint64_t next_id_ = 0, id_end_ = 0;  // ids [next_id_, id_end_) are reserved for this leader
  bool id_key_present_ = false;        // the allocator's record exists (holds id_end_)

  // Session confirmation shared by concurrent timestamp requests.
  std::mutex confirm_mu_;
  std::condition_variable confirm_cv_;
  uint64_t confirms_started_ = 0, confirms_done_ = 0;
  bool confirm_running_ = false;
  Status confirm_status_;

  std::mutex tso_mu_;
  TimestampWindow tso_;

  ClusterState cluster_;
  SystemRandom random_;

  mutable std::mutex stats_mu_;  // a leaf: nothing else is locked under it
  std::map<std::string, uint64_t> decisions_;
};

// The schedule configuration as a JSON object, and back (fields absent from `json` keep their
// value in `base`; unknown fields are InvalidArgument).
std::string ScheduleConfigToJson(const ScheduleConfig& c);
Result<ScheduleConfig> ScheduleConfigFromJson(const std::string& json, ScheduleConfig base);

}  // namespace tessera::pd
