// Options of one Raft replica, validated once by Validate() (shared/style.md, item 6).
#pragma once

#include <cstdint>

#include "common/ids.h"
#include "common/status.h"

namespace tessera {
class Random;
}

namespace tessera::raft {

class LogStorage;

enum class ReadOnlyOption : uint8_t {
  // ReadIndex confirms leadership with a heartbeat round to a quorum (thesis, section 6.4).
  kSafe,
  // ReadIndex is answered from the leader lease without a round trip while the lease holds, and
  // falls back to kSafe when it does not. Requires check_quorum (thesis, section 6.4.1).
  kLeaseBased,
};

struct Config {
  // This replica's id. Must not be zero.
  NodeId id;

  // Ticks without hearing from a leader before a follower campaigns. The actual timeout is drawn
  // uniformly from [election_ticks, 2 * election_ticks - 1] after each reset.
  // Default: 10. Must be greater than heartbeat_ticks.
  int election_ticks = 10;

  // Ticks between leader heartbeats. Default: 1.
  int heartbeat_ticks = 1;

  // Ticks a leader lease lasts, counted from the send time of the heartbeat round that a quorum
  // acknowledged. Must be shorter than election_ticks (so a follower that still honours the old
  // leader cannot have voted for a new one), and leaves margin for clock drift between nodes.
  // 0 means election_ticks - 2 (at least 1). Default: 0.
  int lease_ticks = 0;

  // The log, read-only for Raft. Not owned; must outlive the replica.
  LogStorage* storage = nullptr;

  // The source of randomness for election timeouts. Not owned; must outlive the replica.
  Random* random = nullptr;

  // The last applied index, when restarting. Default: 0 (Raft uses the snapshot index).
  LogIndex applied;

  // Upper bound on the bytes of entries in one append message. 0 means one entry per message.
  // Default: 1 MiB.
  uint64_t max_msg_bytes = 1 << 20;

  // Upper bound on the bytes of committed entries in one Ready. Default: 64 MiB.
  uint64_t max_committed_bytes_per_ready = 64ull << 20;

  // Upper bound on the payload bytes of entries appended but not yet committed on the leader.
  // Proposals beyond are refused with ProposalDropped. 0 means no limit. Default: 256 MiB.
  uint64_t max_uncommitted_entries_bytes = 256ull << 20;

  // Upper bound on the payload bytes of a single proposed entry; larger proposals are refused with
  // ProposalDropped. 0 means no limit. Default: 8 MiB.
  uint64_t max_entry_bytes = 8ull << 20;

  // Append messages in flight to one follower in the replicate state. Default: 256. Must be > 0.
  int max_inflight_msgs = 256;

  // Bytes of entries in flight to one follower. 0 means no limit. Default: 0.
  uint64_t max_inflight_bytes = 0;

  // A leader steps down when it has not heard from a quorum within an election timeout, and
  // followers ignore votes while they hear from a leader. Default: true.
  bool check_quorum = true;

  // Candidates first run a pre-vote that does not disturb the cluster (thesis, section 9.6).
  // Default: true.
  bool pre_vote = true;

  // How ReadIndex is served. Default: kSafe.
  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;

  // Followers refuse proposals instead of forwarding them to the leader. Default: false.
  bool disable_proposal_forwarding = false;

  // OK, or InvalidArgument naming the first bad field.
  Status Validate() const;

  // lease_ticks with the default applied.
  int EffectiveLeaseTicks() const;
};

}  // namespace tessera::raft
