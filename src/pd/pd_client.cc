#include "pd/pd_client.h"

#include <chrono>
#include <thread>

#include "pd/pd_codec.h"
#include "server/raft_codec.h"

namespace tessera::pd {

namespace {

Status FromPdError(const v1::PdError& e) {
  switch (e.kind_case()) {
    case v1::PdError::kNotLeader:
      return Status::NotLeader(e.message());
    case v1::PdError::kNotBootstrapped:
      return Status::NotFound("the cluster is not bootstrapped: " + e.message());
    case v1::PdError::kAlreadyBootstrapped:
      return Status::AlreadyExists(e.message());
    case v1::PdError::kNotFound:
      return Status::NotFound(e.message());
    case v1::PdError::kInvalidArgument:
      return Status::InvalidArgument(e.message());
    case v1::PdError::kStaleEpoch:
      return Status::EpochNotMatch(e.message());
    case v1::PdError::kUnavailable:
      return Status::Unavailable(e.message());
    default:
      return Status::Internal("PD answered an error this client does not know: " + e.message());
  }
}

}  // namespace

std::vector<std::string> SplitEndpoints(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const size_t end = comma == std::string::npos ? list.size() : comma;
    if (end > start) out.push_back(list.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

PdClient::PdClient(PdClientOptions opts) : opts_(std::move(opts)), cluster_id_(opts_.cluster_id) {}

uint64_t PdClient::cluster_id() const {
  std::lock_guard l(mu_);
  return cluster_id_;
}

v1::Pd::Stub* PdClient::StubFor(const std::string& address) {
  std::lock_guard l(mu_);
  auto& stub = stubs_[address];
  if (!stub) {
    stub = v1::Pd::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  return stub.get();
}

std::string PdClient::Target() {
  std::lock_guard l(mu_);
  if (!leader_.empty()) return leader_;
  if (opts_.endpoints.empty()) return "";
  return opts_.endpoints[next_endpoint_++ % opts_.endpoints.size()];
}

void PdClient::Redirect(const std::string& leader_address) {
  std::lock_guard l(mu_);
  leader_ = leader_address;
}

void PdClient::Forget(const std::string& address) {
  std::lock_guard l(mu_);
  if (leader_ == address) leader_.clear();
}

Status PdClient::CheckHeader(const v1::PdResponseHeader& h) {
  std::lock_guard l(mu_);
  if (h.cluster_id() != 0) {
    if (cluster_id_ == 0) cluster_id_ = h.cluster_id();
    if (cluster_id_ != h.cluster_id()) {
      return Status::Aborted("PD belongs to cluster " + std::to_string(h.cluster_id()) + ", not " +
                             std::to_string(cluster_id_));
    }
  }
  return Status::OK();
}

template <typename Req, typename Resp>
Status PdClient::Call(Method<Req, Resp> method, const Req& req, Resp* resp) {
  if (opts_.endpoints.empty()) return Status::InvalidArgument("no PD endpoints");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.call_deadline_ms);
  int backoff_ms = 20;
  Status last = Status::Unavailable("PD did not answer");
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string target = Target();
    grpc::ClientContext ctx;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::min(left, std::chrono::milliseconds(opts_.rpc_timeout_ms)));
    resp->Clear();
    grpc::Status g = (StubFor(target)->*method)(&ctx, req, resp);
    bool retry = false;
    if (!g.ok()) {
      Forget(target);
      last = Status::Unavailable("PD at " + target + ": " + g.error_message());
      retry = true;
    } else {
      TESSERA_RETURN_IF_ERROR(CheckHeader(resp->header()));
      if (!resp->header().has_error()) return Status::OK();
      const v1::PdError& e = resp->header().error();
      last = FromPdError(e);
      if (e.has_not_leader()) {
        const std::string& hint = e.not_leader().leader_address();
        if (!hint.empty() && hint != target) {
          Redirect(hint);
          continue;  // at once: a redirect is not a failure
        }
        Forget(target);
        retry = true;
      } else if (e.has_unavailable()) {
        retry = true;
      }
    }
    if (!retry) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 500);
  }
  return last.Is(Status::Code::kNotLeader)
             ? Status::Unavailable("PD has no leader: " + last.ToString())
             : last;
}

Result<std::vector<std::pair<NodeId, std::string>>> PdClient::Members(NodeId* leader) {
  v1::GetMembersRequest req;
  v1::GetMembersResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::GetMembers, req, &resp));
  std::vector<std::pair<NodeId, std::string>> out;
  for (const auto& m : resp.members()) out.emplace_back(NodeId(m.member_id()), m.address());
  if (leader != nullptr) *leader = NodeId(resp.leader_member_id());
  return out;
}

Result<std::optional<ShardDescriptor>> PdClient::FirstShard() {
  v1::IsBootstrappedRequest req;
  v1::IsBootstrappedResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::IsBootstrapped, req, &resp));
  if (!resp.bootstrapped()) return std::optional<ShardDescriptor>();
  auto d = server::DecodeShardDescriptor(resp.first_shard());
  if (!d.ok()) return Status::Corruption("PD's first shard: " + d.status().ToString());
  return std::optional<ShardDescriptor>(*d);
}

Status PdClient::Bootstrap(const NodeInfo& node, const ShardDescriptor& shard,
                           ShardDescriptor* existing) {
  v1::BootstrapRequest req;
  ToProto(node, req.mutable_node());
  server::EncodeShardDescriptor(shard, req.mutable_shard());
  v1::BootstrapResponse resp;
  Status s = Call(&v1::Pd::Stub::Bootstrap, req, &resp);
  if (s.Is(Status::Code::kAlreadyExists) && existing != nullptr &&
      resp.header().error().already_bootstrapped().has_first_shard()) {
    auto d =
        server::DecodeShardDescriptor(resp.header().error().already_bootstrapped().first_shard());
    if (d.ok()) *existing = *d;
  }
  return s;
}

Result<uint64_t> PdClient::AllocIds(uint32_t count) {
  v1::AllocIdsRequest req;
  req.set_count(count);
  v1::AllocIdsResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::AllocIds, req, &resp));
  if (resp.count() != count || resp.first_id() == 0) {
    return Status::Corruption("PD answered AllocIds with a wrong count");
  }
  return resp.first_id();
}

Result<NodeId> PdClient::RegisterNode(NodeId id, const std::string& address) {
  v1::RegisterNodeRequest req;
  req.mutable_node()->set_node_id(id.value());
  req.mutable_node()->set_address(address);
  v1::RegisterNodeResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::RegisterNode, req, &resp));
  if (resp.node_id() == 0) return Status::Corruption("PD registered a node without an id");
  return NodeId(resp.node_id());
}

Result<NodeState> PdClient::NodeHeartbeat(NodeId id, const NodeStats& stats) {
  v1::NodeHeartbeatRequest req;
  req.set_node_id(id.value());
  ToProto(stats, req.mutable_stats());
  v1::NodeHeartbeatResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::NodeHeartbeat, req, &resp));
  return FromProto(resp.state());
}

Result<std::vector<ShardCommand>> PdClient::ShardHeartbeat(NodeId id,
                                                           const std::vector<ShardInfo>& reports) {
  v1::ShardHeartbeatRequest req;
  req.set_node_id(id.value());
  for (const auto& r : reports) ToProto(r, req.add_shards());
  v1::ShardHeartbeatResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::ShardHeartbeat, req, &resp));
  std::vector<ShardCommand> out;
  for (const auto& c : resp.commands()) {
    auto cmd = FromProto(c);
    if (!cmd.ok()) return cmd.status();
    out.push_back(std::move(cmd).value());
  }
  return out;
}

Result<ShardInfo> PdClient::GetShardByKey(const std::string& key) {
  v1::GetShardByKeyRequest req;
  req.set_key(key);
  v1::GetShardResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::GetShardByKey, req, &resp));
  return FromProto(resp.shard());
}

Result<ShardInfo> PdClient::GetShardById(ShardId id) {
  v1::GetShardByIdRequest req;
  req.set_shard_id(id.value());
  v1::GetShardResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::GetShardById, req, &resp));
  return FromProto(resp.shard());
}

Result<std::vector<ShardInfo>> PdClient::ScanShards(const std::string& start,
                                                    const std::string& end, uint32_t limit) {
  v1::ScanShardsRequest req;
  req.set_start_key(start);
  req.set_end_key(end);
  req.set_limit(limit);
  v1::ScanShardsResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::ScanShards, req, &resp));
  std::vector<ShardInfo> out;
  for (const auto& s : resp.shards()) {
    auto info = FromProto(s);
    if (!info.ok()) return info.status();
    out.push_back(std::move(info).value());
  }
  return out;
}

Result<std::vector<PdNodeView>> PdClient::GetNodes() {
  v1::GetNodesRequest req;
  v1::GetNodesResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::GetNodes, req, &resp));
  std::vector<PdNodeView> out;
  for (const auto& n : resp.nodes()) {
    auto info = FromProto(n);
    if (!info.ok()) return info.status();
    PdNodeView v;
    v.info = std::move(info).value();
    v.heartbeat_age_ms = static_cast<int64_t>(n.last_heartbeat_ms());
    v.down = n.down();
    out.push_back(std::move(v));
  }
  return out;
}

Result<uint64_t> PdClient::GetTimestamps(uint32_t count) {
  v1::GetTimestampsRequest req;
  req.set_count(count);
  v1::GetTimestampsResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::GetTimestamps, req, &resp));
  if (resp.count() != count || resp.first() == 0) {
    return Status::Corruption("PD answered GetTimestamps with a wrong count");
  }
  return resp.first();
}

Result<std::string> PdClient::Admin(const AdminRequest& a) {
  v1::AdminOperatorRequest req;
  ToProto(a, &req);
  v1::AdminOperatorResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::AdminOperator, req, &resp));
  return resp.operator_();
}

Result<std::vector<OperatorView>> PdClient::ListOperators() {
  v1::ListOperatorsRequest req;
  v1::ListOperatorsResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::ListOperators, req, &resp));
  std::vector<OperatorView> out;
  for (const auto& o : resp.operators()) {
    out.push_back(OperatorView{ShardId(o.shard_id()), o.kind(), o.description(), o.current_step(),
                               o.step_count(), o.age_ms()});
  }
  return out;
}

Result<std::string> PdClient::CancelOperator(ShardId shard) {
  v1::CancelOperatorRequest req;
  req.set_shard_id(shard.value());
  v1::CancelOperatorResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::CancelOperator, req, &resp));
  return resp.cancelled();
}

Status PdClient::SetNodeState(NodeId id, NodeState state) {
  v1::SetNodeStateRequest req;
  req.set_node_id(id.value());
  req.set_state(ToProto(state));
  v1::SetNodeStateResponse resp;
  return Call(&v1::Pd::Stub::SetNodeState, req, &resp);
}

Result<std::string> PdClient::GetScheduleConfig() {
  v1::GetScheduleConfigRequest req;
  v1::ScheduleConfigResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::GetScheduleConfig, req, &resp));
  return resp.json();
}

Result<std::string> PdClient::SetScheduleConfig(const std::string& json) {
  v1::SetScheduleConfigRequest req;
  req.set_json(json);
  v1::ScheduleConfigResponse resp;
  TESSERA_RETURN_IF_ERROR(Call(&v1::Pd::Stub::SetScheduleConfig, req, &resp));
  return resp.json();
}

}  // namespace tessera::pd
