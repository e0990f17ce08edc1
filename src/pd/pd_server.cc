#include "pd/pd_server.h"

#include <chrono>

#include "common/logging.h"
#include "common/thread_name.h"

namespace tessera::pd {

Result<std::unique_ptr<PdServer>> PdServer::Start(const PdServerConfig& config) {
  if (!config.member_id) return Status::InvalidArgument("pd: member id required");
  if (config.data_dir.empty()) return Status::InvalidArgument("pd: data dir required");
  server::ServerConfig sc;
  sc.node_id = config.member_id;
  sc.data_dir = config.data_dir;
  sc.listen = config.listen;
  sc.initial_cluster = config.initial_members;
  sc.status_addr = config.status_addr;
  sc.node = config.raft;
  auto members = sc.InitialCluster();
  if (!members.ok()) return members.status();
  if (members->count(config.member_id) == 0) {
    return Status::InvalidArgument("pd: member " + std::to_string(config.member_id.value()) +
                                   " is not in initial_members");
  }
  if (members->size() != 1 && members->size() != 3) {
    return Status::InvalidArgument("pd: 1 or 3 members");
  }
  std::unique_ptr<PdServer> s(new PdServer());
  s->config_ = config;
  PdOptions po = config.pd;
  po.member_id = config.member_id;
  po.members = *members;
  PdServer* self = s.get();
  server::ServerExtras extras;
  extras.serve_kv = false;
  extras.services = [self, po](multiraft::Node* node) -> Result<std::vector<grpc::Service*>> {
    self->store_ = std::make_unique<NodeMetaStore>(node, /*timeout_ms=*/5000);
    self->core_ = std::make_unique<PdCore>(po, self->store_.get(), SystemClock::Default());
    if (self->config_.on_change) self->core_->SetChangeListener(self->config_.on_change);
    self->service_ = std::make_unique<PdService>(self->core_.get(), po);
    return std::vector<grpc::Service*>{self->service_.get()};
  };
  extras.metrics = [self](std::vector<server::Metric>* out) { self->AppendMetrics(out); };
  auto server = server::Server::Start(sc, std::move(extras));
  if (!server.ok()) return server.status();
  s->server_ = std::move(server).value();
  s->loop_ = std::thread([self] {
    SetThreadName("pd-loop");
    self->Loop();
  });
  Log().info("PD member {} serving on port {}", config.member_id.value(), s->port());
  return s;
}

void PdServer::AppendMetrics(std::vector<server::Metric>* out) const {
  using server::MetricType;
  if (core_ == nullptr) return;
  ClusterState& cluster = core_->cluster();
  out->push_back({"tessera_pd_leader", "1 when this PD member leads PD, else 0.",
                  MetricType::kGauge, int64_t{core_->IsLeader() ? 1 : 0}});
  out->push_back({"tessera_pd_nodes", "Nodes in PD's picture (the leader's is current).",
                  MetricType::kGauge, static_cast<int64_t>(cluster.Nodes().size())});
  out->push_back({"tessera_pd_shards", "Shards in PD's picture (the leader's is current).",
                  MetricType::kGauge, static_cast<int64_t>(cluster.shard_count())});
  out->push_back({"tessera_pd_operators_running", "Operators running now.", MetricType::kGauge,
                  static_cast<int64_t>(cluster.Operators().size())});
  for (const auto& [key, n] : cluster.operator_outcomes()) {
    out->push_back({"tessera_pd_operators_total",
                    "Operators started and ended, by the scheduler that made them and outcome.",
                    MetricType::kCounter,
                    n,
                    {{"scheduler", key.first}, {"outcome", key.second}}});
  }
  for (const auto& [scheduler, n] : core_->scheduler_decisions()) {
    out->push_back({"tessera_pd_scheduler_decisions_total",
                    "Operators the schedulers proposed (started or turned down by the limits).",
                    MetricType::kCounter,
                    n,
                    {{"scheduler", scheduler}}});
  }
}

void PdServer::Loop() {
  int64_t since_schedule_ms = 0;
  std::unique_lock l(mu_);
  while (!stop_) {
    l.unlock();
    const bool leader = core_->CheckLeadership();
    since_schedule_ms += config_.leadership_check_ms;
    if (leader && since_schedule_ms >= config_.schedule_interval_ms) {
      since_schedule_ms = 0;
      core_->Tick();
    }
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(config_.leadership_check_ms), [&] { return stop_; });
  }
}

void PdServer::Shutdown() {
  {
    std::lock_guard l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (server_) server_->Shutdown(1000);
}

PdServer::~PdServer() { Shutdown(); }

}  // namespace tessera::pd
