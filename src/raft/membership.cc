#include "raft/membership.h"

#include <algorithm>

namespace tessera::raft {
namespace {

std::vector<NodeId> Sorted(const std::set<NodeId>& s) { return {s.begin(), s.end()}; }

void MakeVoter(Membership* m, NodeId id) {
  m->learners.erase(id);
  m->learners_next.erase(id);
  m->voters.incoming.insert(id);
}

void MakeLearner(Membership* m, NodeId id) {
  if (m->learners.count(id)) return;
  m->voters.incoming.erase(id);
  m->learners_next.erase(id);
  // A voter of the outgoing half keeps voting there until the joint config is left.
  if (m->voters.outgoing.count(id)) {
    m->learners_next.insert(id);
  } else {
    m->learners.insert(id);
  }
}

void Remove(Membership* m, NodeId id) {
  m->voters.incoming.erase(id);
  m->learners.erase(id);
  m->learners_next.erase(id);
}

size_t SymmetricDifference(const VoterSet& a, const VoterSet& b) {
  size_t n = 0;
  for (NodeId id : a) n += b.count(id) ? 0 : 1;
  for (NodeId id : b) n += a.count(id) ? 0 : 1;
  return n;
}

}  // namespace

std::set<NodeId> Membership::AllMembers() const {
  std::set<NodeId> all = voters.All();
  all.insert(learners.begin(), learners.end());
  all.insert(learners_next.begin(), learners_next.end());
  return all;
}

ConfState Membership::ToConfState() const {
  return ConfState{Sorted(voters.incoming), Sorted(learners), Sorted(voters.outgoing),
                   Sorted(learners_next), auto_leave};
}

Result<Membership> Membership::FromConfState(const ConfState& cs) {
  Membership m;
  m.voters.incoming.insert(cs.voters.begin(), cs.voters.end());
  m.voters.outgoing.insert(cs.voters_outgoing.begin(), cs.voters_outgoing.end());
  m.learners.insert(cs.learners.begin(), cs.learners.end());
  m.learners_next.insert(cs.learners_next.begin(), cs.learners_next.end());
  m.auto_leave = cs.auto_leave;
  TESSERA_RETURN_IF_ERROR(m.Validate());
  return m;
}

Status Membership::Validate() const {
  for (const auto* set : {&voters.incoming, &voters.outgoing, &learners, &learners_next}) {
    if (set->count(NodeId(0))) return Status::InvalidArgument("node id 0 in the membership");
  }
  for (NodeId id : learners) {
    if (voters.Contains(id)) return Status::InvalidArgument("a learner is also a voter");
  }
  for (NodeId id : learners_next) {
    if (!voters.outgoing.count(id)) {
      return Status::InvalidArgument("learners_next holds a node outside the outgoing voters");
    }
    if (learners.count(id))
      return Status::InvalidArgument("a node is in learners and learners_next");
  }
  if (!IsJoint()) {
    if (!learners_next.empty())
      return Status::InvalidArgument("learners_next outside a joint config");
    if (auto_leave) return Status::InvalidArgument("auto_leave outside a joint config");
  }
  return Status::OK();
}

Status Changer::ApplyChanges(Membership* m, const std::vector<ConfChangeSingle>& changes) {
  for (const ConfChangeSingle& c : changes) {
    if (c.node_id == NodeId(0)) return Status::InvalidArgument("conf change names node 0");
    switch (c.type) {
      case ConfChangeType::kAddNode:
        MakeVoter(m, c.node_id);
        break;
      case ConfChangeType::kAddLearnerNode:
        MakeLearner(m, c.node_id);
        break;
      case ConfChangeType::kRemoveNode:
        Remove(m, c.node_id);
        break;
      default:
        return Status::InvalidArgument("unknown conf change type");
    }
  }
  if (m->voters.incoming.empty()) return Status::InvalidArgument("removed all voters");
  return Status::OK();
}

Result<Membership> Changer::EnterJoint(bool auto_leave,
                                       const std::vector<ConfChangeSingle>& changes) const {
  if (current_.IsJoint()) return Status::InvalidArgument("config is already joint");
  if (current_.voters.incoming.empty()) {
    return Status::InvalidArgument("can't make a zero-voter config joint");
  }
  Membership m = current_;
  m.voters.outgoing = m.voters.incoming;
  TESSERA_RETURN_IF_ERROR(ApplyChanges(&m, changes));
  m.auto_leave = auto_leave;
  TESSERA_RETURN_IF_ERROR(m.Validate());
  return m;
}

Result<Membership> Changer::LeaveJoint() const {
  if (!current_.IsJoint()) return Status::InvalidArgument("can't leave a non-joint config");
  Membership m = current_;
  m.learners.insert(m.learners_next.begin(), m.learners_next.end());
  m.learners_next.clear();
  m.voters.outgoing.clear();
  m.auto_leave = false;
  TESSERA_RETURN_IF_ERROR(m.Validate());
  return m;
}

Result<Membership> Changer::Simple(const std::vector<ConfChangeSingle>& changes) const {
  if (current_.IsJoint()) {
    return Status::InvalidArgument("can't apply a simple config change in a joint config");
  }
  Membership m = current_;
  TESSERA_RETURN_IF_ERROR(ApplyChanges(&m, changes));
  if (SymmetricDifference(current_.voters.incoming, m.voters.incoming) > 1) {
    return Status::InvalidArgument("more than one voter changed without entering a joint config");
  }
  TESSERA_RETURN_IF_ERROR(m.Validate());
  return m;
}

Result<Membership> Changer::Apply(const ConfChange& cc) const {
  if (cc.IsLeaveJoint()) return LeaveJoint();
  bool auto_leave = false;
  if (cc.UsesJoint(&auto_leave)) return EnterJoint(auto_leave, cc.changes);
  return Simple(cc.changes);
}

}  // namespace tessera::raft
