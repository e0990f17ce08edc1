#include "multiraft/sim_transport.h"

namespace tessera::multiraft {

class SimTransport final : public Transport {
 public:
  explicit SimTransport(SimNetwork* net) : net_(net) {}
  void Send(RaftBatch batch) override { net_->Deliver(std::move(batch)); }

 private:
  SimNetwork* net_;
};

void SimNetwork::Register(NodeId id, RaftBatchHandler* handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_[id] = handler;
}

void SimNetwork::Unregister(NodeId id) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_.erase(id);
}

void SimNetwork::Partition(std::set<NodeId> side) {
  std::lock_guard<std::mutex> lock(mu_);
  side_ = std::move(side);
}

void SimNetwork::Heal() {
  std::lock_guard<std::mutex> lock(mu_);
  side_.clear();
  loss_ = 0;
}

void SimNetwork::SetLossRate(double p) {
  std::lock_guard<std::mutex> lock(mu_);
  loss_ = p;
}

std::unique_ptr<Transport> SimNetwork::TransportFor(NodeId /*id*/) {
  return std::make_unique<SimTransport>(this);
}

uint64_t SimNetwork::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

uint64_t SimNetwork::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void SimNetwork::Deliver(RaftBatch batch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto to = handlers_.find(batch.to);
  const bool cut = !side_.empty() && side_.count(batch.from) != side_.count(batch.to);
  if (to == handlers_.end() || cut || rng_.Chance(loss_)) {
    ++dropped_;
    auto from = handlers_.find(batch.from);
    if (from != handlers_.end()) {
      std::vector<ShardId> shards;
      for (const auto& m : batch.messages) shards.push_back(m.shard);
      from->second->ReportUnreachable(batch.to, shards);
    }
    return;
  }
  ++delivered_;
  to->second->HandleRaftBatch(std::move(batch));
}

}  // namespace tessera::multiraft
