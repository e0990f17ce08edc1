#include "server/admin_service.h"

#include <algorithm>
#include <set>

#include "server/kv_handler.h"

namespace tessera::server {

namespace {

multiraft::Epoch EpochOf(const v1::RequestHeader& h) {
  return multiraft::Epoch{h.epoch().conf_version(), h.epoch().version()};
}

Status CheckHeader(const v1::RequestHeader& h) {
  if (h.shard_id() == 0) return Status::InvalidArgument("request header: shard_id is required");
  if (!h.has_epoch()) return Status::InvalidArgument("request header: epoch is required");
  return Status::OK();
}

// Finishes `reactor` with the node's answer: the error (typed) or `on_ok`.
template <typename Resp>
multiraft::WriteCallback Answer(grpc::ServerUnaryReactor* reactor, ShardId shard, Resp* resp,
                                std::function<void(const multiraft::WriteResponse&)> on_ok) {
  return [reactor, shard, resp, on_ok = std::move(on_ok)](multiraft::WriteResponse r) {
    if (r.status.ok()) {
      on_ok(r);
    } else {
      ToProtoError(r.status, r.hint, shard, resp->mutable_error());
    }
    reactor->Finish(grpc::Status::OK);
  };
}

template <typename Resp>
grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const Status& s, ShardId shard,
                                 Resp* resp) {
  ToProtoError(s, {}, shard, resp->mutable_error());
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::SplitShard(grpc::CallbackServerContext* ctx,
                                                   const v1::SplitShardRequest* req,
                                                   v1::SplitShardResponse* resp) {
  const ShardId shard(req->header().shard_id());
  if (Status s = CheckHeader(req->header()); !s.ok()) return Refuse(ctx, s, shard, resp);
  auto* reactor = ctx->DefaultReactor();
  node_->Split(shard, EpochOf(req->header()), req->split_key(),
               Answer(reactor, shard, resp,
                      [resp](const multiraft::WriteResponse& r) {
                        // The shard and the new one (older split-offs follow in the hint).
                        for (size_t i = 0; i < r.hint.current.size() && i < 2; ++i) {
                          ToProtoShard(r.hint.current[i], resp->add_shards());
                        }
                      }),
               ShardId(req->new_shard_id()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ChangeMembership(grpc::CallbackServerContext* ctx,
                                                         const v1::ChangeMembershipRequest* req,
                                                         v1::ChangeMembershipResponse* resp) {
  const ShardId shard(req->header().shard_id());
  if (Status s = CheckHeader(req->header()); !s.ok()) return Refuse(ctx, s, shard, resp);
  if (req->changes().empty()) {
    return Refuse(ctx, Status::InvalidArgument("no membership change given"), shard, resp);
  }
  raft::ConfChange cc;
  for (const v1::MemberChange& c : req->changes()) {
    if (c.node_id() == 0) {
      return Refuse(ctx, Status::InvalidArgument("membership change: node id 0"), shard, resp);
    }
    raft::ConfChangeSingle one;
    one.node_id = NodeId(c.node_id());
    switch (c.type()) {
      case v1::MEMBER_CHANGE_ADD_VOTER:
        one.type = raft::ConfChangeType::kAddNode;
        break;
      case v1::MEMBER_CHANGE_ADD_LEARNER:
        one.type = raft::ConfChangeType::kAddLearnerNode;
        break;
      case v1::MEMBER_CHANGE_REMOVE:
        one.type = raft::ConfChangeType::kRemoveNode;
        break;
      default:
        return Refuse(ctx, Status::InvalidArgument("unknown membership change type"), shard, resp);
    }
    cc.changes.push_back(one);
  }
  auto* reactor = ctx->DefaultReactor();
  node_->ChangeMembership(shard, EpochOf(req->header()), std::move(cc),
                          Answer(reactor, shard, resp, [resp](const multiraft::WriteResponse& r) {
                            if (!r.hint.current.empty()) {
                              ToProtoShard(r.hint.current.front(), resp->mutable_shard());
                            }
                          }));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::TransferLeader(grpc::CallbackServerContext* ctx,
                                                       const v1::TransferLeaderRequest* req,
                                                       v1::TransferLeaderResponse* resp) {
  const ShardId shard(req->header().shard_id());
  if (Status s = CheckHeader(req->header()); !s.ok()) return Refuse(ctx, s, shard, resp);
  auto* reactor = ctx->DefaultReactor();
  node_->TransferLeader(shard, NodeId(req->to_node_id()),
                        Answer(reactor, shard, resp, [](const multiraft::WriteResponse&) {}));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::MergeShards(grpc::CallbackServerContext* ctx,
                                                    const v1::MergeShardsRequest* req,
                                                    v1::MergeShardsResponse* resp) {
  const ShardId shard(req->header().shard_id());
  if (Status s = CheckHeader(req->header()); !s.ok()) return Refuse(ctx, s, shard, resp);
  if (req->target_shard_id() == 0) {
    return Refuse(ctx, Status::InvalidArgument("target_shard_id is required"), shard, resp);
  }
  auto* reactor = ctx->DefaultReactor();
  node_->Merge(shard, EpochOf(req->header()), ShardId(req->target_shard_id()),
               Answer(reactor, shard, resp, [resp](const multiraft::WriteResponse& r) {
                 if (!r.hint.current.empty()) {
                   ToProtoShard(r.hint.current.front(), resp->mutable_source());
                 }
               }));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListShards(grpc::CallbackServerContext* ctx,
                                                   const v1::ListShardsRequest*,
                                                   v1::ListShardsResponse* resp) {
  auto shards = node_->Shards();
  std::sort(shards.begin(), shards.end(),
            [](const auto& a, const auto& b) { return a.start_key < b.start_key; });
  for (const auto& d : shards) ToProtoShard(d, resp->add_replicas()->mutable_shard());
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::SetFailpoints(grpc::CallbackServerContext* ctx,
                                                      const v1::SetFailpointsRequest* req,
                                                      v1::SetFailpointsResponse*) {
  std::set<NodeId> blocked;
  for (uint64_t id : req->blocked_node_ids()) blocked.insert(NodeId(id));
  transport_->SetBlockedPeers(std::move(blocked));
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace tessera::server
