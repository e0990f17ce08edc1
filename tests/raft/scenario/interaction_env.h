// InteractionEnv: N RawNodes, each with its own MemoryStorage (its "disk"), SeededRandom and a
// toy state machine, wired by an in-memory network that the script controls step by step. It
// executes scenario directives (datadriven.h) and prints what happens, in the style of etcd
// raft's rafttest.InteractionEnv.
//
// Commands (ids are 1-based node ids; "ID" is a positional argument):
//   add-nodes N [voters=(..)] [learners=(..)] [index=I] [prevote=B] [checkquorum=B]
//             [read-only=safe|lease] [election-ticks=N] [heartbeat-ticks=N] [lease-ticks=N]
//             [max-msg-bytes=N] [max-inflight=N] [max-inflight-bytes=N]
//             [max-uncommitted-bytes=N] [max-entry-bytes=N] [max-committed-bytes=N]
//       Adds N nodes. With voters/learners the nodes bootstrap with that membership (at snapshot
//       index I, term 1, when I > 0); without, they start empty and learn it from a snapshot.
//       A group that empty nodes join later must bootstrap with I > 0: with I = 0 its membership
//       is in no log entry, so a joiner replaying the log from index 1 cannot learn it.
//       Defaults: election-ticks=3 heartbeat-ticks=1, other options as in raft::Config.
//   campaign ID | propose ID DATA (DATA "size:N": N bytes of 'x') | propose-conf-change ID
//   [transition=auto|implicit|explicit]
//       (input: "v2 l3 r4") | read-index ID CTX | transfer-leadership from=ID to=ID
//   report-unreachable ID PEER | report-snapshot ID PEER [failure]
//   tick ID [N] | tick-heartbeat ID | tick-election ID (2*election_ticks-1 ticks: enough for any
//       randomized timeout to fire on a follower, and for exactly one check-quorum on a leader)
//   process-ready ID... : handles one Ready per node: persists it to the node's storage, sends
//       its messages into the network, applies committed entries (ApplyConfChange for conf
//       changes), then Advance().
//   deliver-msgs ID... [type=MsgX] [drop=true] : steps (or drops) the queued messages for ID.
//   stabilize [ID...] : process-ready and deliver-msgs until nothing changes.
//   step ID type=MsgX from=ID [term=] [log-term=] [index=] [commit=] [reject=true]
//        [reject-hint=] [context=] [entries=(T/I,...)] [entry-type=conf] [data=]
//       Steps a hand-made message into a node (bad-input tests).
//   isolate ID : drops every message to or from ID (queued ones too) until `heal`.
//   heal : undoes every isolate.
//   restart ID : recreates the RawNode from its storage only, as after a crash; the state
//       machine restarts from the storage's snapshot.
//   compact ID INDEX : snapshots the state machine at INDEX (<= applied) and compacts the log.
//   raft-log ID | raft-state | status ID | log-level none|info
//
// Thread safety: none.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "datadriven.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"

namespace tessera::raft::scenario {

// One replica and its environment. Never moved (Config points into it).
struct EnvNode {
  Config config;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<RawNode> raw;
  // The state machine: the data of each applied normal entry, with its index (entries restored
  // from a snapshot carry the snapshot's index).
  std::vector<std::pair<LogIndex, std::string>> applied;
  // The membership in effect from each index on (for snapshots taken at an index).
  std::map<LogIndex, ConfState> conf_history;
};

class InteractionEnv {
 public:
  InteractionEnv() = default;
  InteractionEnv(const InteractionEnv&) = delete;
  InteractionEnv& operator=(const InteractionEnv&) = delete;

  // Executes one directive and returns its output (possibly empty).
  std::string Handle(const Directive& d);

 private:
  // Command handlers (interaction_env_handlers.cc); each appends to out_.
  Status HandleAddNodes(const Directive& d);
  Status HandleCampaign(const Directive& d);
  Status HandlePropose(const Directive& d);
  Status HandleProposeConfChange(const Directive& d);
  Status HandleReadIndex(const Directive& d);
  Status HandleTransferLeadership(const Directive& d);
  Status HandleReportUnreachable(const Directive& d);
  Status HandleReportSnapshot(const Directive& d);
  Status HandleTick(const Directive& d, int kind);
  Status HandleProcessReady(const Directive& d);
  Status HandleDeliverMsgs(const Directive& d);
  Status HandleStabilize(const Directive& d);
  Status HandleStep(const Directive& d);
  Status HandleIsolate(const Directive& d);
  Status HandleHeal(const Directive& d);
  Status HandleRestart(const Directive& d);
  Status HandleCompact(const Directive& d);
  Status HandleResumeAfterPause(const Directive& d);
  Status HandleRaftLog(const Directive& d);
  Status HandleRaftState(const Directive& d);
  Status HandleStatus(const Directive& d);
  Status HandleLogLevel(const Directive& d);

  // The machinery (interaction_env.cc).
  Result<EnvNode*> Node(NodeId id);
  Result<std::vector<NodeId>> NodeIds(const Directive& d, bool all_if_none);
  Status CreateRawNode(EnvNode& n);
  Status ProcessReady(EnvNode& n);
  void ApplyCommitted(EnvNode& n, const Entry& e);
  void RestoreStateMachine(EnvNode& n, const Snapshot& s);
  Snapshot SnapshotAt(const EnvNode& n, LogIndex index) const;
  void Send(const Message& m);
  bool Blocked(const Message& m) const;
  // Delivers (or drops) the queued messages to `to` of type `type` (all if nullopt).
  // Returns the number handled.
  size_t DeliverMsgs(NodeId to, std::optional<MessageType> type, bool drop);
  Status Stabilize(const std::vector<NodeId>& ids);

  // Output, indented by `indent_` spaces per line.
  void Print(std::string_view text);

  std::vector<std::unique_ptr<EnvNode>> nodes_;  // nodes_[i] has id i + 1
  std::deque<Message> network_;                  // sent, not yet delivered, in send order
  std::set<NodeId> isolated_;
  std::string out_;
  int indent_ = 0;
  bool quiet_ = false;
};

}  // namespace tessera::raft::scenario
