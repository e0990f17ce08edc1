// Plain C++ value types of the Raft core: entries, hard state, membership, snapshots, messages.
//
// No protobuf here (shared/architecture.md): the transport translates these structs to and from
// its wire format. Every field is documented with the message types that use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/shared_bytes.h"

namespace tessera::raft {

enum class EntryType : uint8_t {
  kNormal = 0,      // application data (or empty: the leader's entry at the start of its term)
  kConfChange = 1,  // an encoded ConfChange (see conf_change.h)
};

struct Entry {
  Term term;
  LogIndex index;
  EntryType type = EntryType::kNormal;
  SharedBytes data;  // copies share the bytes

  bool operator==(const Entry&) const = default;
};

// The bytes of an entry's payload that count against size limits (max_entry_bytes,
// max_uncommitted_entries_bytes). Empty entries cost nothing, so a new leader's entry always fits.
inline uint64_t PayloadBytes(const Entry& e) { return e.data.size(); }
uint64_t PayloadBytes(const std::vector<Entry>& entries);
// An estimate of an entry's encoded size, used for message and batch size limits.
inline uint64_t EntryBytes(const Entry& e) { return e.data.size() + 24; }

// The state that must be durable before messages that depend on it are sent.
struct HardState {
  Term term;
  NodeId vote;      // the candidate voted for in `term`, or none
  LogIndex commit;  // need not be synced for safety, but must never move backwards on disk

  bool operator==(const HardState&) const = default;
  bool IsEmpty() const { return *this == HardState{}; }
};

// Membership. While `voters_outgoing` is non-empty the group is in a joint configuration and
// decisions need a majority of both voter sets (Raft thesis, section 4.3).
struct ConfState {
  std::vector<NodeId> voters;           // sorted; the incoming voters
  std::vector<NodeId> learners;         // sorted; receive the log, never vote
  std::vector<NodeId> voters_outgoing;  // sorted; empty unless joint
  // Sorted; voters of the outgoing config that become learners when the joint config is left.
  std::vector<NodeId> learners_next;
  bool auto_leave = false;  // the leader proposes leaving the joint config by itself

  bool operator==(const ConfState&) const = default;
  // True if `id` is in any of the four sets (a voter of either joint half, or a learner).
  bool Contains(NodeId id) const;
};

struct SnapshotMetadata {
  ConfState conf_state;
  LogIndex index;  // the last entry the snapshot covers
  Term term;       // the term of that entry

  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  SnapshotMetadata metadata;
  std::string data;  // opaque to Raft: the application's state machine image

  bool IsEmpty() const { return metadata.index == LogIndex(0); }
  bool operator==(const Snapshot&) const = default;
};

enum class MessageType : uint8_t {
  // Local messages: created inside the node, never accepted from the network.
  kHup,          // start an election
  kBeat,         // leader: send heartbeats
  kUnreachable,  // the transport could not reach `from`
  kSnapStatus,   // the application reports the outcome of sending a snapshot to `from`
  kCheckQuorum,  // leader: step down unless a quorum was recently active
  // Network messages.
  kProp,            // proposal (forwarded to the leader)
  kApp,             // append entries
  kAppResp,         // append response
  kVote,            // request vote
  kVoteResp,        // vote response
  kPreVote,         // pre-vote request (Raft thesis, section 9.6)
  kPreVoteResp,     // pre-vote response
  kSnap,            // install snapshot
  kHeartbeat,       // leader heartbeat
  kHeartbeatResp,   // heartbeat response
  kTransferLeader,  // ask the leader to hand leadership to `from` (thesis, section 3.10)
  kTimeoutNow,      // leader to transferee: campaign now
  kReadIndex,       // read index request (thesis, section 6.4)
  kReadIndexResp,   // read index response
};

const char* MessageTypeName(MessageType t);
bool IsLocalMessage(MessageType t);
// Responses: messages a node sends to answer another (never forwarded).
bool IsResponseMessage(MessageType t);

struct Message {
  MessageType type = MessageType::kHup;
  NodeId to;
  NodeId from;
  Term term;  // the sender's term; zero for local messages
  // kApp: term and index of the entry before `entries`. kVote/kPreVote: the candidate's last entry.
  // kAppResp reject: term of the follower's entry at reject_hint (for backtracking by term).
  Term log_term;
  // kApp: index of the entry before `entries`. kAppResp: the follower's last matching index, or the
  // rejected index. kReadIndexResp: the read index.
  LogIndex index;
  std::vector<Entry> entries;  // kApp, kProp
  LogIndex commit;  // kApp, kHeartbeat: the leader's commit index (clamped for heartbeats)
  std::optional<Snapshot> snapshot;  // kSnap
  bool reject = false;               // kAppResp, kVoteResp, kPreVoteResp, kSnapStatus (failure)
  LogIndex reject_hint;              // kAppResp reject: a hint for the next index to probe
  // kReadIndex / kReadIndexResp / kHeartbeat / kHeartbeatResp: the read request's context.
  // kVote / kPreVote: "transfer" when campaigning because of a leadership transfer.
  std::string context;
  // kHeartbeat: the leader's tick count when sent; echoed by kHeartbeatResp. Leader leases are
  // measured from it (see RawNode::ReadIndex).
  uint64_t lease_tick = 0;

  bool operator==(const Message&) const = default;
};

// The answer to a ReadIndex request: once the application has applied up to `index`, a read of
// the state machine is linearizable.
struct ReadState {
  LogIndex index;
  std::string request_ctx;

  bool operator==(const ReadState&) const = default;
};

enum class StateRole : uint8_t { kFollower, kCandidate, kLeader, kPreCandidate };
const char* StateRoleName(StateRole r);

// Volatile state useful to the application (logging, routing); not persisted.
struct SoftState {
  NodeId lead;
  StateRole role = StateRole::kFollower;

  bool operator==(const SoftState&) const = default;
};

}  // namespace tessera::raft
