#include "server/server.h"

#include <atomic>
#include <chrono>
#include <filesystem>

#include "common/logging.h"
#include "etcd/server.h"
#include "pd/pd_client.h"
#include "redis/commands.h"
#include "redis/server.h"
#include "server/client_backend.h"
#include "server/etcd_client_backend.h"
#include "storage/engine_factory.h"

namespace tessera::server {

// Forwards transport feedback to the node, which is created after the transport.
class ForwardingHandler final : public multiraft::RaftBatchHandler {
 public:
  void Set(multiraft::RaftBatchHandler* h) { target_.store(h, std::memory_order_release); }
  void HandleRaftBatch(multiraft::RaftBatch batch) override {
    if (auto* h = target_.load(std::memory_order_acquire)) h->HandleRaftBatch(std::move(batch));
  }
  void ReportUnreachable(NodeId to, const std::vector<ShardId>& shards) override {
    if (auto* h = target_.load(std::memory_order_acquire)) h->ReportUnreachable(to, shards);
  }

 private:
  std::atomic<multiraft::RaftBatchHandler*> target_{nullptr};
};

Result<std::unique_ptr<Server>> Server::Start(const ServerConfig& config, ServerExtras extras) {
  TESSERA_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<Server> s(new Server());
  TESSERA_RETURN_IF_ERROR(s->Open(config, extras));
  return s;
}

Status Server::Open(const ServerConfig& config, const ServerExtras& extras) {
  config_ = config;
  auto cluster = config.InitialCluster();
  if (!cluster.ok()) return cluster.status();

  storage::EngineOptions eo;
  if (!storage::ParseEngineKind(config.engine, &eo.kind)) {
    return Status::InvalidArgument("unknown engine " + config.engine);
  }
  const std::string db_dir = config.data_dir + "/db";
  if (eo.kind != storage::EngineKind::kMemory) {
    std::error_code ec;
    std::filesystem::create_directories(db_dir, ec);
    if (ec) return Status::IOError("cannot create " + db_dir + ": " + ec.message());
  }
  auto engine = storage::OpenEngine(db_dir, eo);
  if (!engine.ok()) return engine.status();
  engine_ = std::move(engine).value();

  if (!config.pd_endpoints.empty()) {
    PdAgent::Options po;
    po.endpoints = config.pd_endpoints;
    po.data_dir = config.data_dir;
    po.configured_id = config.node_id;
    po.heartbeat_ms = config.pd_heartbeat_ms;
    pd_ = std::make_unique<PdAgent>(po);
    auto id = pd_->Identify();
    if (!id.ok()) return id.status();
    config_.node_id = *id;
  }

  forward_ = std::make_unique<ForwardingHandler>();
  resolver_ = std::make_unique<StaticAddressResolver>(*cluster);
  GrpcTransportOptions to;
  to.self = config_.node_id;
  transport_ = std::make_unique<GrpcTransport>(to, resolver_.get(), forward_.get());

  // Snapshots travel on their own stream, from directories under <data_dir>/snap.
  snapshot_dirs_ = std::make_unique<multiraft::SnapshotDirs>(config.data_dir);
  TESSERA_RETURN_IF_ERROR(snapshot_dirs_->Open());
  GrpcSnapshotSenderOptions so;
  so.self = config_.node_id;
  snapshot_sender_ = std::make_unique<GrpcSnapshotSender>(so, resolver_.get());

  multiraft::NodeOptions no = config.node;
  no.node_id = config_.node_id;
  auto node = multiraft::Node::Open(
      no, engine_.get(), transport_.get(),
      multiraft::SnapshotServices{snapshot_sender_.get(), snapshot_dirs_.get()});
  if (!node.ok()) return node.status();
  node_ = std::move(node).value();
  forward_->Set(node_.get());

  if (!cluster->empty()) {
    // Static bootstrap: shards 1..initial_shards tiling the key space (shard 1 over everything
    // by default), a replica on every listed node.
    std::vector<multiraft::ShardDescriptor> shards;
    for (uint64_t i = 1; i <= config.initial_shards; ++i) {
      multiraft::ShardDescriptor d;
      d.id = ShardId(i);
      d.start_key = BootstrapShardStart(i);
      d.end_key = i == config.initial_shards ? std::string() : BootstrapShardStart(i + 1);
      for (const auto& [id, addr] : *cluster) d.voters.push_back(id);
      shards.push_back(std::move(d));
    }
    TESSERA_RETURN_IF_ERROR(node_->Bootstrap(shards));
  }

  extra_metrics_ = extras.metrics;
  kv_handler_ = std::make_unique<KvHandler>(node_.get(), [r = resolver_.get()](NodeId n) {
    auto a = r->Resolve(n);  // Raft and the client API share the node's gRPC port
    return a.ok() ? *a : std::string();
  });
  redis_metrics_ = std::make_unique<RequestMetrics>(
      "tessera_redis", "command", "Redis front door commands", redis::CommandNames());
  etcd_metrics_ = std::make_unique<RequestMetrics>("tessera_etcd", "method",
                                                   "etcd front door calls", etcd::CallNames());
  kv_ = std::make_unique<KvService>(kv_handler_.get());
  admin_ = std::make_unique<AdminService>(node_.get(), transport_.get());
  RaftTransportServiceOptions ro;
  ro.self = config_.node_id;
  raft_service_ = std::make_unique<RaftTransportService>(ro, node_.get());
  SnapshotServiceOptions sso;
  sso.self = config_.node_id;
  snapshot_service_ = std::make_unique<SnapshotService>(sso, snapshot_dirs_.get(), node_.get());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(), &port_);
  if (extras.serve_kv) builder.RegisterService(kv_.get());
  builder.RegisterService(admin_.get());
  if (extras.services) {
    auto more = extras.services(node_.get());
    if (!more.ok()) return more.status();
    for (grpc::Service* service : *more) builder.RegisterService(service);
  }
  raft_service_->ConfigureBuilder(&builder);  // registers it, sets message size and keepalive
  snapshot_service_->ConfigureBuilder(&builder);
  grpc_ = builder.BuildAndStart();
  if (grpc_ == nullptr || port_ == 0) {
    return Status::IOError("cannot listen on " + config.listen);
  }
  node_->Start();
  if (pd_) TESSERA_RETURN_IF_ERROR(pd_->Join(node_.get(), resolver_.get(), Address()));
  if (!config.status_addr.empty()) TESSERA_RETURN_IF_ERROR(StartStatusPort(config.status_addr));
  if (!config.redis_addr.empty()) TESSERA_RETURN_IF_ERROR(StartRedis(config.redis_addr));
  if (!config.etcd_addr.empty()) TESSERA_RETURN_IF_ERROR(StartEtcd(config.etcd_addr));
  Log().info("node {} serving on port {} (engine {}, {} shards{})", config_.node_id.value(), port_,
             config.engine, node_->Shards().size(), pd_ ? ", with PD" : "");
  return Status::OK();
}

std::string Server::Address() const {
  return config_.listen.substr(0, config_.listen.rfind(':') + 1) + std::to_string(port_);
}

int Server::redis_port() const { return redis_ ? redis_->port() : 0; }

int Server::etcd_port() const { return etcd_ ? etcd_->port() : 0; }

Status Server::FrontDoorClient() {
  if (client_) return Status::OK();
  client::ClientOptions co;
  co.pd_endpoints = pd::SplitEndpoints(config_.pd_endpoints);
  std::unique_ptr<client::Client> cl;
  // Requests for shards this node leads are served in-process, the others over gRPC.
  if (auto s = client::NewClientWithLocal(co, kv_handler_.get(), &cl); !s.ok()) {
    return FromClientStatus(s);
  }
  client_ = std::move(cl);
  return Status::OK();
}

Status Server::StartEtcd(const std::string& addr) {
  TESSERA_RETURN_IF_ERROR(FrontDoorClient());
  etcd_backend_ =
      std::make_unique<EtcdClientBackend>(client_, [this] { return EtcdMemberStatus(); });
  etcd::EtcdServerOptions eo;
  eo.observer = [this](std::string_view method, std::chrono::nanoseconds latency, bool error) {
    etcd_metrics_->Record(method, latency, error);
  };
  etcd_ = std::make_unique<etcd::EtcdServer>(eo);
  TESSERA_RETURN_IF_ERROR(etcd_->Start(addr, etcd_backend_.get()));
  Log().info("node {}: etcd front door on port {}", config_.node_id.value(), etcd_->port());
  return Status::OK();
}

etcd::MemberStatus Server::EtcdMemberStatus() {
  etcd::MemberStatus m;
  m.cluster_id = pd_ ? pd_->client()->cluster_id() : 0;
  m.member_id = config_.node_id.value();
  m.version = "3.4.0";
  // Across this node's replicas: the highest term and revision, the applied entries in all; the
  // node counts as "leader" while it leads any shard (there is no single Raft group to lead).
  for (const multiraft::ReplicaReport& r : node_->Report(/*timeout_ms=*/1000)) {
    m.raft_term = std::max(m.raft_term, r.term);
    m.raft_index += r.applied_index;
    m.revision = std::max(m.revision, static_cast<int64_t>(r.revision));
    if (r.leader) m.leader_id = m.member_id;
  }
  m.raft_applied_index = m.raft_index;
  auto size = engine_->ApproximateRange(storage::Cf::kData, "", "");
  if (size.ok()) m.db_size = static_cast<int64_t>(size->approximate_bytes);
  return m;
}

Status Server::StartRedis(const std::string& addr) {
  TESSERA_RETURN_IF_ERROR(FrontDoorClient());
  redis_backend_ = std::make_unique<ClientBackend>(client_);
  redis::RedisServerOptions ro;
  ro.listen_addr = addr;
  ro.executor.observer = [this](std::string_view command, std::chrono::nanoseconds latency,
                                bool error) { redis_metrics_->Record(command, latency, error); };
  redis_ = std::make_unique<redis::RedisServer>(redis_backend_.get(), ro);
  TESSERA_RETURN_IF_ERROR(redis_->Start());
  Log().info("node {}: Redis front door on port {}", config_.node_id.value(), redis_->port());
  return Status::OK();
}

Status Server::StartStatusPort(const std::string& addr) {
  StatusSources ss;
  ss.address = Address();
  ss.node = node_.get();
  ss.transport = transport_.get();
  ss.raft_service = raft_service_.get();
  ss.requests = {&kv_handler_->metrics(), redis_metrics_.get(), etcd_metrics_.get()};
  ss.snapshot_sender = snapshot_sender_.get();
  ss.extra = extra_metrics_;
  auto status = StatusHttpServer::Start(addr, std::move(ss));
  if (!status.ok()) return status.status();
  status_ = std::move(status).value();
  status_port_ = status_->port();
  Log().info("node {}: status pages on port {} (/metrics, /healthz, /status)",
             config_.node_id.value(), status_port_);
  return Status::OK();
}

void Server::Shutdown(int grace_ms) {
  if (stopped_) return;
  stopped_ = true;
  Log().info("node {}: shutting down", config_.node_id.value());
  if (status_) status_->SetServing(false);  // /healthz: 503 from now on
  if (redis_) redis_->Stop();               // the front doors first: they call the nodes
  redis_.reset();
  redis_backend_.reset();
  if (etcd_) etcd_->Stop();
  etcd_.reset();
  etcd_backend_.reset();
  client_.reset();
  if (pd_) pd_->Stop();  // no more operators started from here on
  // Refuse new requests and let those in flight finish while the node still runs; then close
  // every stream at once (the Raft streams are long-lived and end only when cancelled).
  if (kv_) {
    const int left = kv_handler_->Drain(grace_ms);
    if (left > 0)
      Log().warn("node {}: {} requests still in flight at shutdown", config_.node_id.value(), left);
  }
  if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now());
  if (node_) node_->Stop();
  if (snapshot_sender_) snapshot_sender_->Stop();
  if (transport_) transport_->Stop();
  if (grpc_) grpc_->Wait();
  // No status page may run once the parts it reads start to go.
  if (status_) status_->Stop();
  status_.reset();
  node_.reset();
  snapshot_sender_.reset();
  transport_.reset();
  engine_.reset();  // closes the engine: everything written is on disk
  Log().info("node {}: stopped", config_.node_id.value());
}

Server::~Server() { Shutdown(0); }

}  // namespace tessera::server
