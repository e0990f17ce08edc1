#include "tests/sim/cluster/sim_net.h"

#include <set>

namespace tessera::sim {

class SimNet::Endpoint final : public multiraft::Transport {
 public:
  explicit Endpoint(SimNet* net) : net_(net) {}
  void Send(RaftBatch batch) override { net_->Send(std::move(batch)); }

 private:
  SimNet* const net_;
};

SimNet::SimNet(EventQueue* events, const SimClock* clock, Random* rng, Trace* trace)
    : events_(events), clock_(clock), rng_(rng), trace_(trace) {}

SimNet::~SimNet() = default;

multiraft::Transport* SimNet::TransportFor(NodeId id) {
  auto& e = endpoints_[id];
  if (!e) e = std::make_unique<Endpoint>(this);
  return e.get();
}

void SimNet::Attach(NodeId id, RaftBatchHandler* handler) { handlers_[id] = handler; }

void SimNet::Detach(NodeId id) { handlers_.erase(id); }

void SimNet::Cut(const std::vector<Link>& links) {
  for (const Link& l : links) ++cuts_[l];
}

void SimNet::Restore(const std::vector<Link>& links) {
  for (const Link& l : links) {
    auto it = cuts_.find(l);
    if (it != cuts_.end() && --it->second == 0) cuts_.erase(it);
  }
}

std::vector<SimNet::Link> SimNet::Between(const std::vector<NodeId>& side,
                                          const std::vector<NodeId>& all) {
  const std::set<NodeId> in(side.begin(), side.end());
  std::vector<Link> links;
  for (NodeId a : all) {
    for (NodeId b : all) {
      if (in.count(a) != in.count(b)) links.emplace_back(a, b);
    }
  }
  return links;
}

int64_t SimNet::Delay() {
  TESSERA_ASSERT(faults_.min_delay_nanos > 0 && faults_.min_delay_nanos <= faults_.max_delay_nanos,
                 "network delays must be positive");
  int64_t d = static_cast<int64_t>(rng_->Range(static_cast<uint64_t>(faults_.min_delay_nanos),
                                               static_cast<uint64_t>(faults_.max_delay_nanos)));
  if (rng_->Chance(faults_.long_delay)) {
    d += static_cast<int64_t>(rng_->Uniform(static_cast<uint64_t>(faults_.long_delay_max_nanos)));
  }
  return d;
}

void SimNet::Send(RaftBatch batch) {
  ++stats_.sent;
  const int64_t now = clock_->NowNanos();
  if (!Connected(batch.from, batch.to)) {
    ++stats_.cut;
    ReportUnreachable(batch);
    return;
  }
  if (rng_->Chance(faults_.drop)) {
    ++stats_.dropped;
    return;
  }
  if (rng_->Chance(faults_.duplicate)) {
    ++stats_.duplicated;
    events_->At(now + Delay(), [this, copy = batch]() mutable { Deliver(std::move(copy)); });
  }
  events_->At(now + Delay(), [this, b = std::move(batch)]() mutable { Deliver(std::move(b)); });
}

void SimNet::Deliver(RaftBatch batch) {
  auto h = handlers_.find(batch.to);
  if (!Connected(batch.from, batch.to) || h == handlers_.end()) {
    ++stats_.cut;
    ReportUnreachable(batch);
    return;
  }
  ++stats_.delivered;
  trace_->Mix(static_cast<uint64_t>(clock_->NowNanos()));
  trace_->Mix(batch.from.value() << 32 | batch.to.value());
  for (const auto& m : batch.messages) {
    trace_->Mix(m.shard.value() << 8 | static_cast<uint64_t>(m.msg.type));
    trace_->Mix(m.msg.term.value() << 32 ^ m.msg.index.value());
  }
  h->second->HandleRaftBatch(std::move(batch));
}

void SimNet::ReportUnreachable(const RaftBatch& batch) {
  std::vector<ShardId> shards;
  for (const auto& m : batch.messages) shards.push_back(m.shard);
  // The sender learns it later, as from a connection that broke.
  events_->At(clock_->NowNanos() + Delay(), [this, from = batch.from, to = batch.to, shards] {
    auto h = handlers_.find(from);
    if (h != handlers_.end()) h->second->ReportUnreachable(to, shards);
  });
}

}  // namespace tessera::sim
