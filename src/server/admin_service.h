// AdminService: the node's admin API (proto/admin.proto) over the gRPC callback API: shard
// splits, membership changes and leader transfers handed to the multiraft::Node (answered when
// the change has applied, or refused with a typed Error), the node's list of replicas, and the
// transport failpoints used by fault-injection tests.
//
// Thread safety: gRPC calls the methods concurrently; the node and transport are thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include "multiraft/node.h"
#include "proto/admin.grpc.pb.h"
#include "server/grpc_transport.h"

namespace tessera::server {

class AdminService final : public v1::Admin::CallbackService {
 public:
  // Neither is owned; both must outlive the service.
  AdminService(multiraft::Node* node, GrpcTransport* transport)
      : node_(node), transport_(transport) {}

  grpc::ServerUnaryReactor* SplitShard(grpc::CallbackServerContext* ctx,
                                       const v1::SplitShardRequest* req,
                                       v1::SplitShardResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeMembership(grpc::CallbackServerContext* ctx,
                                             const v1::ChangeMembershipRequest* req,
                                             v1::ChangeMembershipResponse* resp) override;
  grpc::ServerUnaryReactor* TransferLeader(grpc::CallbackServerContext* ctx,
                                           const v1::TransferLeaderRequest* req,
                                           v1::TransferLeaderResponse* resp) override;
  grpc::ServerUnaryReactor* MergeShards(grpc::CallbackServerContext* ctx,
                                        const v1::MergeShardsRequest* req,
                                        v1::MergeShardsResponse* resp) override;
  grpc::ServerUnaryReactor* ListShards(grpc::CallbackServerContext* ctx,
                                       const v1::ListShardsRequest* req,
                                       v1::ListShardsResponse* resp) override;
  grpc::ServerUnaryReactor* SetFailpoints(grpc::CallbackServerContext* ctx,
                                          const v1::SetFailpointsRequest* req,
                                          v1::SetFailpointsResponse* resp) override;

 private:
  multiraft::Node* const node_;
  GrpcTransport* const transport_;
};

}  // namespace tessera::server
