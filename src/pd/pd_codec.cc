#include "pd/pd_codec.h"

#include "server/raft_codec.h"

namespace tessera::pd {

namespace {

std::vector<NodeId> Ids(const google::protobuf::RepeatedField<uint64_t>& in) {
  std::vector<NodeId> out;
  for (uint64_t v : in) out.emplace_back(v);
  return out;
}

}  // namespace

void ToProto(const NodeStats& s, v1::PdNodeStats* out) {
  out->set_capacity_bytes(s.capacity_bytes);
  out->set_used_bytes(s.used_bytes);
  out->set_available_bytes(s.available_bytes);
  out->set_shard_count(s.shard_count);
  out->set_leader_count(s.leader_count);
  out->set_read_ops_per_sec(s.read_ops_per_sec);
  out->set_write_ops_per_sec(s.write_ops_per_sec);
  out->set_read_bytes_per_sec(s.read_bytes_per_sec);
  out->set_write_bytes_per_sec(s.write_bytes_per_sec);
  out->set_busy(s.busy);
}

NodeStats FromProto(const v1::PdNodeStats& s) {
  NodeStats n;
  n.capacity_bytes = s.capacity_bytes();
  n.used_bytes = s.used_bytes();
  n.available_bytes = s.available_bytes();
  n.shard_count = s.shard_count();
  n.leader_count = s.leader_count();
  n.read_ops_per_sec = s.read_ops_per_sec();
  n.write_ops_per_sec = s.write_ops_per_sec();
  n.read_bytes_per_sec = s.read_bytes_per_sec();
  n.write_bytes_per_sec = s.write_bytes_per_sec();
  n.busy = s.busy();
  return n;
}

v1::PdNodeState ToProto(NodeState s) {
  switch (s) {
    case NodeState::kUp:
      return v1::PD_NODE_STATE_UP;
    case NodeState::kDraining:
      return v1::PD_NODE_STATE_DRAINING;
    case NodeState::kTombstone:
      return v1::PD_NODE_STATE_TOMBSTONE;
  }
  return v1::PD_NODE_STATE_UP;
}

Result<NodeState> FromProto(v1::PdNodeState s) {
  switch (s) {
    case v1::PD_NODE_STATE_UP:
      return NodeState::kUp;
    case v1::PD_NODE_STATE_DRAINING:
      return NodeState::kDraining;
    case v1::PD_NODE_STATE_TOMBSTONE:
      return NodeState::kTombstone;
    default:
      return Status::InvalidArgument("unknown node state " + std::to_string(s));
  }
}

void ToProto(const ShardStats& s, v1::PdShardStats* out) {
  out->set_approximate_size_bytes(s.approximate_size_bytes);
  out->set_approximate_keys(s.approximate_keys);
  out->set_read_ops_per_sec(s.read_ops_per_sec);
  out->set_write_ops_per_sec(s.write_ops_per_sec);
  out->set_read_bytes_per_sec(s.read_bytes_per_sec);
  out->set_write_bytes_per_sec(s.write_bytes_per_sec);
}

ShardStats FromProto(const v1::PdShardStats& s) {
  ShardStats o;
  o.approximate_size_bytes = s.approximate_size_bytes();
  o.approximate_keys = s.approximate_keys();
  o.read_ops_per_sec = s.read_ops_per_sec();
  o.write_ops_per_sec = s.write_ops_per_sec();
  o.read_bytes_per_sec = s.read_bytes_per_sec();
  o.write_bytes_per_sec = s.write_bytes_per_sec();
  return o;
}

void ToProto(const Step& s, v1::OperatorStep* out) {
  out->set_kind(static_cast<v1::OperatorStep::Kind>(static_cast<int>(s.kind)));
  out->set_node_id(s.node.value());
  out->set_split_key(s.split_key);
  out->set_new_shard_id(s.new_shard.value());
  out->set_merge_target_id(s.merge_target.value());
}

Result<Step> FromProto(const v1::OperatorStep& s) {
  Step o;
  if (s.kind() < v1::OperatorStep::KIND_ADD_LEARNER || s.kind() > v1::OperatorStep::KIND_MERGE) {
    return Status::InvalidArgument("unknown operator step kind " + std::to_string(s.kind()));
  }
  o.kind = static_cast<Step::Kind>(s.kind());
  o.node = NodeId(s.node_id());
  o.split_key = s.split_key();
  o.new_shard = ShardId(s.new_shard_id());
  o.merge_target = ShardId(s.merge_target_id());
  const bool needs_node =
      o.kind == Step::Kind::kAddLearner || o.kind == Step::Kind::kPromoteLearner ||
      o.kind == Step::Kind::kRemoveReplica || o.kind == Step::Kind::kTransferLeader;
  if (needs_node && !o.node) return Status::InvalidArgument("operator step without a node");
  if (o.kind == Step::Kind::kSplit && !o.new_shard) {
    return Status::InvalidArgument("split step without a new shard id");
  }
  if (o.kind == Step::Kind::kMerge && !o.merge_target) {
    return Status::InvalidArgument("merge step without a target");
  }
  return o;
}

void ToProto(const Epoch& e, v1::ShardEpoch* out) {
  out->set_conf_version(e.conf_version);
  out->set_version(e.version);
}

Epoch FromProto(const v1::ShardEpoch& e) { return Epoch{e.conf_version(), e.version()}; }

void ToProto(const ShardInfo& s, v1::PdShard* out) {
  server::EncodeShardDescriptor(s.desc, out->mutable_shard());
  out->set_leader_node_id(s.leader.value());
  for (NodeId n : s.down_replicas) out->add_down_replicas(n.value());
  for (NodeId n : s.pending_replicas) out->add_pending_replicas(n.value());
  ToProto(s.stats, out->mutable_stats());
}

Result<ShardInfo> FromProto(const v1::PdShard& s) {
  ShardInfo o;
  auto d = server::DecodeShardDescriptor(s.shard());
  if (!d.ok()) return d.status();
  o.desc = std::move(d).value();
  o.leader = NodeId(s.leader_node_id());
  o.down_replicas = Ids(s.down_replicas());
  o.pending_replicas = Ids(s.pending_replicas());
  o.stats = FromProto(s.stats());
  return o;
}

void ToProto(const NodeInfo& n, v1::PdNode* out) {
  out->set_node_id(n.id.value());
  out->set_address(n.address);
  out->set_state(ToProto(n.state));
  ToProto(n.stats, out->mutable_stats());
}

Result<NodeInfo> FromProto(const v1::PdNode& n) {
  NodeInfo o;
  o.id = NodeId(n.node_id());
  o.address = n.address();
  auto st = FromProto(n.state());
  if (!st.ok()) return st.status();
  o.state = *st;
  o.stats = FromProto(n.stats());
  return o;
}

void ToProto(const ShardInfo& r, v1::ShardReport* out) {
  server::EncodeShardDescriptor(r.desc, out->mutable_shard());
  out->set_leader_node_id(r.leader.value());
  out->set_term(r.term);
  for (NodeId n : r.down_replicas) out->add_down_replicas(n.value());
  for (NodeId n : r.pending_replicas) out->add_pending_replicas(n.value());
  ToProto(r.stats, out->mutable_stats());
}

Result<ShardInfo> ReportFromProto(const v1::ShardReport& r) {
  ShardInfo o;
  auto d = server::DecodeShardDescriptor(r.shard());
  if (!d.ok()) return d.status();
  o.desc = std::move(d).value();
  o.leader = NodeId(r.leader_node_id());
  o.term = r.term();
  o.down_replicas = Ids(r.down_replicas());
  o.pending_replicas = Ids(r.pending_replicas());
  o.stats = FromProto(r.stats());
  return o;
}

void ToProto(const ShardCommand& c, v1::ShardCommand* out) {
  out->set_shard_id(c.shard.value());
  ToProto(c.epoch, out->mutable_epoch());
  ToProto(c.step, out->mutable_step());
}

Result<ShardCommand> FromProto(const v1::ShardCommand& c) {
  ShardCommand o;
  o.shard = ShardId(c.shard_id());
  if (!o.shard) return Status::InvalidArgument("shard command without a shard");
  o.epoch = FromProto(c.epoch());
  auto step = FromProto(c.step());
  if (!step.ok()) return step.status();
  o.step = std::move(step).value();
  return o;
}

void ToProto(const AdminRequest& a, v1::AdminOperatorRequest* out) {
  out->set_shard_id(a.shard.value());
  if (a.epoch) ToProto(*a.epoch, out->mutable_epoch());
  switch (a.kind) {
    case AdminRequest::Kind::kTransferLeader:
      out->set_transfer_leader_to(a.node.value());
      break;
    case AdminRequest::Kind::kAddReplica:
      out->set_add_replica_on(a.node.value());
      break;
    case AdminRequest::Kind::kRemoveReplica:
      out->set_remove_replica_on(a.node.value());
      break;
    case AdminRequest::Kind::kSplitAt:
      out->set_split_at(a.split_key);
      break;
    case AdminRequest::Kind::kSplitMiddle:
      out->set_split_in_middle(true);
      break;
    case AdminRequest::Kind::kMerge:
      out->set_merge_into(a.merge_target.value());
      break;
  }
}

Result<AdminRequest> FromProto(const v1::AdminOperatorRequest& r) {
  AdminRequest a;
  a.shard = ShardId(r.shard_id());
  if (r.has_epoch()) a.epoch = FromProto(r.epoch());
  using R = v1::AdminOperatorRequest;
  switch (r.op_case()) {
    case R::kTransferLeaderTo:
      a.kind = AdminRequest::Kind::kTransferLeader;
      a.node = NodeId(r.transfer_leader_to());
      break;
    case R::kAddReplicaOn:
      a.kind = AdminRequest::Kind::kAddReplica;
      a.node = NodeId(r.add_replica_on());
      break;
    case R::kRemoveReplicaOn:
      a.kind = AdminRequest::Kind::kRemoveReplica;
      a.node = NodeId(r.remove_replica_on());
      break;
    case R::kSplitAt:
      a.kind = AdminRequest::Kind::kSplitAt;
      a.split_key = r.split_at();
      break;
    case R::kSplitInMiddle:
      a.kind = AdminRequest::Kind::kSplitMiddle;
      break;
    case R::kMergeInto:
      a.kind = AdminRequest::Kind::kMerge;
      a.merge_target = ShardId(r.merge_into());
      break;
    default:
      return Status::InvalidArgument("no operation given");
  }
  return a;
}

}  // namespace tessera::pd
