#include "pd/pd_service.h"

#include "common/utf8.h"
#include "pd/pd_codec.h"
#include "server/raft_codec.h"

namespace tessera::pd {

grpc::Status PdService::Answer(const Status& s, v1::PdResponseHeader* h) const {
  h->set_cluster_id(core_->cluster_id());
  if (s.ok()) return grpc::Status::OK;
  v1::PdError* e = h->mutable_error();
  // The kind carries the code; an unmapped code stays in the message ("Aborted: ...").
  e->set_message(ToValidUtf8(s.message()));
  switch (s.code()) {
    case Status::Code::kNotLeader: {
      auto* nl = e->mutable_not_leader();
      const NodeId leader = core_->LeaderHint();
      nl->set_leader_member_id(leader.value());
      auto it = opts_.members.find(leader);
      if (it != opts_.members.end()) nl->set_leader_address(it->second);
      break;
    }
    case Status::Code::kAlreadyExists:
      e->mutable_already_bootstrapped();
      break;
    case Status::Code::kNotFound:
      e->mutable_not_found();
      break;
    case Status::Code::kInvalidArgument:
      e->mutable_invalid_argument();
      break;
    case Status::Code::kEpochNotMatch:
      e->mutable_stale_epoch();
      break;
    default:
      e->set_message(ToValidUtf8(s.ToString()));
      e->mutable_unavailable();
      break;
  }
  return grpc::Status::OK;
}

grpc::Status PdService::GetMembers(grpc::ServerContext*, const v1::GetMembersRequest*,
                                   v1::GetMembersResponse* resp) {
  for (const auto& [id, addr] : opts_.members) {
    auto* m = resp->add_members();
    m->set_member_id(id.value());
    m->set_address(addr);
  }
  const NodeId leader = core_->LeaderHint();
  resp->set_leader_member_id(leader.value());
  auto it = opts_.members.find(leader);
  if (it != opts_.members.end()) resp->set_leader_address(it->second);
  return Answer(Status::OK(), resp->mutable_header());
}

grpc::Status PdService::IsBootstrapped(grpc::ServerContext*, const v1::IsBootstrappedRequest*,
                                       v1::IsBootstrappedResponse* resp) {
  auto r = core_->FirstShard();
  if (r.ok() && *r) {
    resp->set_bootstrapped(true);
    server::EncodeShardDescriptor(**r, resp->mutable_first_shard());
  }
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::Bootstrap(grpc::ServerContext*, const v1::BootstrapRequest* req,
                                  v1::BootstrapResponse* resp) {
  auto d = server::DecodeShardDescriptor(req->shard());
  if (!d.ok())
    return Answer(Status::InvalidArgument(d.status().ToString()), resp->mutable_header());
  NodeInfo n;
  n.id = NodeId(req->node().node_id());
  n.address = req->node().address();
  multiraft::ShardDescriptor existing;
  Status s = core_->Bootstrap(n, *d, &existing);
  grpc::Status g = Answer(s, resp->mutable_header());
  if (s.Is(Status::Code::kAlreadyExists) && existing.id) {
    server::EncodeShardDescriptor(existing, resp->mutable_header()
                                                ->mutable_error()
                                                ->mutable_already_bootstrapped()
                                                ->mutable_first_shard());
  }
  return g;
}

grpc::Status PdService::AllocIds(grpc::ServerContext*, const v1::AllocIdsRequest* req,
                                 v1::AllocIdsResponse* resp) {
  auto r = core_->AllocIds(req->count());
  if (r.ok()) {
    resp->set_first_id(*r);
    resp->set_count(req->count());
  }
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::RegisterNode(grpc::ServerContext*, const v1::RegisterNodeRequest* req,
                                     v1::RegisterNodeResponse* resp) {
  NodeInfo n;
  n.id = NodeId(req->node().node_id());
  n.address = req->node().address();
  auto r = core_->RegisterNode(n);
  if (r.ok()) resp->set_node_id(r->value());
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::NodeHeartbeat(grpc::ServerContext*, const v1::NodeHeartbeatRequest* req,
                                      v1::NodeHeartbeatResponse* resp) {
  auto r = core_->NodeHeartbeat(NodeId(req->node_id()), FromProto(req->stats()));
  if (r.ok()) resp->set_state(ToProto(*r));
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::ShardHeartbeat(grpc::ServerContext*, const v1::ShardHeartbeatRequest* req,
                                       v1::ShardHeartbeatResponse* resp) {
  std::vector<ShardInfo> reports;
  reports.reserve(req->shards_size());
  for (const auto& r : req->shards()) {
    auto rep = ReportFromProto(r);
    if (!rep.ok()) {
      return Answer(Status::InvalidArgument(rep.status().ToString()), resp->mutable_header());
    }
    reports.push_back(std::move(rep).value());
  }
  auto cmds = core_->ShardHeartbeat(NodeId(req->node_id()), reports);
  if (cmds.ok()) {
    for (const auto& c : *cmds) ToProto(c, resp->add_commands());
  }
  return Answer(cmds.status(), resp->mutable_header());
}

grpc::Status PdService::GetShardByKey(grpc::ServerContext*, const v1::GetShardByKeyRequest* req,
                                      v1::GetShardResponse* resp) {
  auto r = core_->ShardByKey(req->key());
  if (r.ok()) ToProto(*r, resp->mutable_shard());
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::GetShardById(grpc::ServerContext*, const v1::GetShardByIdRequest* req,
                                     v1::GetShardResponse* resp) {
  auto r = core_->ShardById(ShardId(req->shard_id()));
  if (r.ok()) ToProto(*r, resp->mutable_shard());
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::ScanShards(grpc::ServerContext*, const v1::ScanShardsRequest* req,
                                   v1::ScanShardsResponse* resp) {
  auto r = core_->ScanShards(req->start_key(), req->end_key(), req->limit());
  if (r.ok()) {
    for (const auto& s : *r) ToProto(s, resp->add_shards());
  }
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::GetNodes(grpc::ServerContext*, const v1::GetNodesRequest*,
                                 v1::GetNodesResponse* resp) {
  auto r = core_->Nodes();
  if (r.ok()) {
    const ClusterView v = core_->cluster().View(0);  // for the config only
    for (const auto& n : *r) {
      auto* out = resp->add_nodes();
      ToProto(n, out);
      const int64_t age =
          n.last_heartbeat_ms == 0 ? 0 : core_->NowMsForService() - n.last_heartbeat_ms;
      out->set_last_heartbeat_ms(static_cast<uint64_t>(std::max<int64_t>(age, 0)));
      out->set_down(n.last_heartbeat_ms == 0 || age > v.config.node_disconnected_ms);
    }
  }
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::GetTimestamps(grpc::ServerContext*, const v1::GetTimestampsRequest* req,
                                      v1::GetTimestampsResponse* resp) {
  auto r = core_->GetTimestamps(req->count());
  if (r.ok()) {
    resp->set_first(*r);
    resp->set_count(req->count());
  }
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::AdminOperator(grpc::ServerContext*, const v1::AdminOperatorRequest* req,
                                      v1::AdminOperatorResponse* resp) {
  auto a = FromProto(*req);
  if (!a.ok()) return Answer(a.status(), resp->mutable_header());
  auto r = core_->Admin(*a);
  if (r.ok()) resp->set_operator_(ToValidUtf8(*r));  // descriptions may quote binary keys
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::CancelOperator(grpc::ServerContext*, const v1::CancelOperatorRequest* req,
                                       v1::CancelOperatorResponse* resp) {
  auto r = core_->CancelOperator(ShardId(req->shard_id()));
  if (r.ok()) resp->set_cancelled(ToValidUtf8(*r));
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::ListOperators(grpc::ServerContext*, const v1::ListOperatorsRequest*,
                                      v1::ListOperatorsResponse* resp) {
  auto r = core_->Operators();
  if (r.ok()) {
    const int64_t now = core_->NowMsForService();
    for (const auto& op : *r) {
      auto* out = resp->add_operators();
      out->set_shard_id(op.op.shard.value());
      out->set_kind(op.op.kind);
      out->set_description(ToValidUtf8(op.op.Describe()));
      out->set_current_step(static_cast<uint32_t>(op.step));
      out->set_step_count(static_cast<uint32_t>(op.op.steps.size()));
      out->set_age_ms(static_cast<uint64_t>(std::max<int64_t>(now - op.created_ms, 0)));
    }
  }
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::SetNodeState(grpc::ServerContext*, const v1::SetNodeStateRequest* req,
                                     v1::SetNodeStateResponse* resp) {
  auto st = FromProto(req->state());
  if (!st.ok()) return Answer(st.status(), resp->mutable_header());
  return Answer(core_->SetNodeState(NodeId(req->node_id()), *st), resp->mutable_header());
}

grpc::Status PdService::GetScheduleConfig(grpc::ServerContext*, const v1::GetScheduleConfigRequest*,
                                          v1::ScheduleConfigResponse* resp) {
  auto r = core_->GetScheduleConfig();
  if (r.ok()) resp->set_json(ScheduleConfigToJson(*r));
  return Answer(r.status(), resp->mutable_header());
}

grpc::Status PdService::SetScheduleConfig(grpc::ServerContext*,
                                          const v1::SetScheduleConfigRequest* req,
                                          v1::ScheduleConfigResponse* resp) {
  auto cur = core_->GetScheduleConfig();
  if (!cur.ok()) return Answer(cur.status(), resp->mutable_header());
  auto next = ScheduleConfigFromJson(req->json(), *cur);
  if (!next.ok()) return Answer(next.status(), resp->mutable_header());
  Status s = core_->SetScheduleConfig(*next);
  if (s.ok()) resp->set_json(ScheduleConfigToJson(*next));
  return Answer(s, resp->mutable_header());
}

}  // namespace tessera::pd
