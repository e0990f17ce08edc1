// PdService: proto/pd.proto's Pd service over a PdCore (synchronous gRPC handlers; each call
// blocks on the metadata store at most a few Raft round trips).
#pragma once

#include "pd/pd_core.h"
#include "proto/pd.grpc.pb.h"

namespace tessera::pd {

class PdService final : public v1::Pd::Service {
 public:
  // `core` is not owned and must outlive the service.
  PdService(PdCore* core, PdOptions opts) : core_(core), opts_(std::move(opts)) {}

  grpc::Status GetMembers(grpc::ServerContext*, const v1::GetMembersRequest*,
                          v1::GetMembersResponse*) override;
  grpc::Status IsBootstrapped(grpc::ServerContext*, const v1::IsBootstrappedRequest*,
                              v1::IsBootstrappedResponse*) override;
  grpc::Status Bootstrap(grpc::ServerContext*, const v1::BootstrapRequest*,
                         v1::BootstrapResponse*) override;
  grpc::Status AllocIds(grpc::ServerContext*, const v1::AllocIdsRequest*,
                        v1::AllocIdsResponse*) override;
  grpc::Status RegisterNode(grpc::ServerContext*, const v1::RegisterNodeRequest*,
                            v1::RegisterNodeResponse*) override;
  grpc::Status NodeHeartbeat(grpc::ServerContext*, const v1::NodeHeartbeatRequest*,
                             v1::NodeHeartbeatResponse*) override;
  grpc::Status ShardHeartbeat(grpc::ServerContext*, const v1::ShardHeartbeatRequest*,
                              v1::ShardHeartbeatResponse*) override;
  grpc::Status GetShardByKey(grpc::ServerContext*, const v1::GetShardByKeyRequest*,
                             v1::GetShardResponse*) override;
  grpc::Status GetShardById(grpc::ServerContext*, const v1::GetShardByIdRequest*,
                            v1::GetShardResponse*) override;
  grpc::Status ScanShards(grpc::ServerContext*, const v1::ScanShardsRequest*,
                          v1::ScanShardsResponse*) override;
  grpc::Status GetNodes(grpc::ServerContext*, const v1::GetNodesRequest*,
                        v1::GetNodesResponse*) override;
  grpc::Status GetTimestamps(grpc::ServerContext*, const v1::GetTimestampsRequest*,
                             v1::GetTimestampsResponse*) override;
  grpc::Status AdminOperator(grpc::ServerContext*, const v1::AdminOperatorRequest*,
                             v1::AdminOperatorResponse*) override;
  grpc::Status ListOperators(grpc::ServerContext*, const v1::ListOperatorsRequest*,
                             v1::ListOperatorsResponse*) override;
  grpc::Status CancelOperator(grpc::ServerContext*, const v1::CancelOperatorRequest*,
                              v1::CancelOperatorResponse*) override;
  grpc::Status SetNodeState(grpc::ServerContext*, const v1::SetNodeStateRequest*,
                            v1::SetNodeStateResponse*) override;
  grpc::Status GetScheduleConfig(grpc::ServerContext*, const v1::GetScheduleConfigRequest*,
                                 v1::ScheduleConfigResponse*) override;
  grpc::Status SetScheduleConfig(grpc::ServerContext*, const v1::SetScheduleConfigRequest*,
                                 v1::ScheduleConfigResponse*) override;

 private:
  // Fills the header: the cluster id, and the error when `s` is not OK. Always gRPC OK: PD's
  // errors travel in the response.
  grpc::Status Answer(const Status& s, v1::PdResponseHeader* h) const;

  PdCore* const core_;
  const PdOptions opts_;
};

}  // namespace tessera::pd
