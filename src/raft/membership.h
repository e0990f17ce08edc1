// Membership: the voters (possibly joint) and learners of a group, and the rules for changing
// them (thesis, chapter 4). Internal to raft/. Pure: no progress, no I/O.
#pragma once

#include <set>
#include <vector>

#include "common/result.h"
#include "raft/conf_change.h"
#include "raft/quorum.h"
#include "raft/types.h"

namespace tessera::raft {

struct Membership {
  JointVoters voters;
  std::set<NodeId> learners;
  // Outgoing voters to become learners when the joint config is left (a voter demoted to
  // learner while joint must keep voting in the outgoing half until then).
  std::set<NodeId> learners_next;
  bool auto_leave = false;

  bool IsJoint() const { return voters.IsJoint(); }
  bool IsVoter(NodeId id) const { return voters.Contains(id); }
  bool IsMember(NodeId id) const {
    return voters.Contains(id) || learners.count(id) || learners_next.count(id);
  }
  // Every member: voters (both halves), learners and learners_next.
  std::set<NodeId> AllMembers() const;
  ConfState ToConfState() const;

  // Builds a membership from a ConfState; InvalidArgument if it breaks an invariant.
  static Result<Membership> FromConfState(const ConfState& cs);
  // OK, or InvalidArgument naming the broken invariant.
  Status Validate() const;
};

// Computes the membership that results from a change, without applying it.
//  - EnterJoint: copies the voters to the outgoing half, then applies the changes to the incoming.
//  - LeaveJoint: drops the outgoing half and turns learners_next into learners.
//  - Simple: applies at most one voter change outside a joint config.
// Every error is InvalidArgument and leaves nothing changed.
class Changer {
 public:
  explicit Changer(const Membership& current) : current_(current) {}
  Result<Membership> EnterJoint(bool auto_leave,
                                const std::vector<ConfChangeSingle>& changes) const;
  Result<Membership> LeaveJoint() const;
  Result<Membership> Simple(const std::vector<ConfChangeSingle>& changes) const;
  // Dispatches on the kind of change.
  Result<Membership> Apply(const ConfChange& cc) const;

 private:
  static Status ApplyChanges(Membership* m, const std::vector<ConfChangeSingle>& changes);
  const Membership& current_;
};

}  // namespace tessera::raft
