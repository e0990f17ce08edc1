// Membership change requests and their encoding in a log entry.
//
// A ConfChange with one change and the kAuto transition is a single-step change (thesis,
// section 4.1). Several changes, or an explicit joint transition, enter a joint configuration
// (thesis, section 4.3); an empty ConfChange with kAuto leaves it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace tessera::raft {

enum class ConfChangeType : uint8_t {
  kAddNode = 0,         // add (or promote) a voter
  kRemoveNode = 1,      // remove a voter or learner
  kAddLearnerNode = 2,  // add a learner (or demote a voter)
};

enum class ConfChangeTransition : uint8_t {
  // Single-step when possible (one change), otherwise joint with automatic leave.
  kAuto = 0,
  // Joint; the leader leaves the joint config by itself once it is applied.
  kJointImplicit = 1,
  // Joint; the application must propose an empty ConfChange to leave.
  kJointExplicit = 2,
};

struct ConfChangeSingle {
  ConfChangeType type = ConfChangeType::kAddNode;
  NodeId node_id;
  bool operator==(const ConfChangeSingle&) const = default;
};

struct ConfChange {
  ConfChangeTransition transition = ConfChangeTransition::kAuto;
  std::vector<ConfChangeSingle> changes;
  std::string context;  // opaque to Raft

  bool operator==(const ConfChange&) const = default;

  // True for the request to leave a joint configuration.
  bool IsLeaveJoint() const { return changes.empty() && transition == ConfChangeTransition::kAuto; }
  // True when the change must go through a joint configuration; sets *auto_leave.
  bool UsesJoint(bool* auto_leave) const;
};

// Versioned binary encoding (1 byte version, transition, varint count, per change type + id,
// length-prefixed context). Decoding never crashes: malformed input is InvalidArgument.
std::string EncodeConfChange(const ConfChange& cc);
Result<ConfChange> DecodeConfChange(std::string_view data);

// Parses "v2 l3 r4" style changes (v: add voter, l: add learner, r: remove), used by tests and
// tools. Malformed text is InvalidArgument.
Result<std::vector<ConfChangeSingle>> ParseConfChanges(std::string_view text);
std::string DescribeConfChange(const ConfChange& cc);

}  // namespace tessera::raft
