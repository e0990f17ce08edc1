#include "tests/sim/cluster/faults.h"

#include <algorithm>

#include "common/assert.h"

namespace tessera::sim {

FaultScheduler::FaultScheduler(SimCluster* cluster, const FaultOptions& opts, uint64_t seed,
                               std::vector<std::string>* violations)
    : cluster_(cluster), opts_(opts), rng_(seed), violations_(violations) {}

void FaultScheduler::RegisterDefaults() {
  Register({"isolate a node", 3, [this] { return IsolateNode(); }});
  Register({"partition a minority", 2, [this] { return PartitionMinority(); }});
  Register({"cut one link", 2, [this] { return CutOneLink(); }});
  Register({"crash a node", 3, [this] { return CrashNode(); }});
  Register({"lossy network", 2, [this] { return LossyNetwork(); }});
  Register({"duplicating network", 1, [this] { return DuplicatingNetwork(); }});
  Register({"slow network", 2, [this] { return SlowNetwork(); }});
  Register({"split a shard", 3, [this] { return SplitShard(); }});
  // Hooks for the cluster operations the Node does not expose yet. Each becomes one function
  // with a weight > 0 when it does: transfer leader, merge two adjacent shards, add or remove a
  // replica.
  Register({"transfer leader", 0, [this] { return TransferLeader(); }});
}

void FaultScheduler::Start(int64_t stop_nanos) {
  stop_nanos_ = stop_nanos;
  cluster_->net().faults() = opts_.base;
  const int64_t at = cluster_->now() + static_cast<int64_t>(rng_.Range(
                                           static_cast<uint64_t>(opts_.min_interval_nanos),
                                           static_cast<uint64_t>(opts_.max_interval_nanos)));
  cluster_->events().At(at, [this] { Fire(); });
}

void FaultScheduler::Fire() {
  if (cluster_->now() >= stop_nanos_) return;
  int total = 0;
  for (const Action& a : actions_) total += a.weight;
  // A few draws: an action that does not apply now (no node left to crash) gives way.
  for (int draw = 0; draw < 4 && total > 0; ++draw) {
    int pick = static_cast<int>(rng_.Uniform(static_cast<uint64_t>(total)));
    const Action* chosen = nullptr;
    for (const Action& a : actions_) {
      if (pick < a.weight) {
        chosen = &a;
        break;
      }
      pick -= a.weight;
    }
    TESSERA_ASSERT(chosen != nullptr, "weighted draw out of range");
    if (chosen->run()) {
      ++stats_.actions;
      break;
    }
  }
  const int64_t next = cluster_->now() + static_cast<int64_t>(rng_.Range(
                                             static_cast<uint64_t>(opts_.min_interval_nanos),
                                             static_cast<uint64_t>(opts_.max_interval_nanos)));
  cluster_->events().At(next, [this] { Fire(); });
}

int64_t FaultScheduler::Duration() {
  return static_cast<int64_t>(rng_.Range(static_cast<uint64_t>(opts_.min_duration_nanos),
                                         static_cast<uint64_t>(opts_.max_duration_nanos)));
}

void FaultScheduler::Later(std::function<void()> end) {
  const uint64_t gen = generation_;
  cluster_->events().At(cluster_->now() + Duration(), [this, gen, end = std::move(end)] {
    if (gen == generation_) end();
  });
}

bool FaultScheduler::IsolateNode() {
  const auto& all = cluster_->node_ids();
  const NodeId victim = all[rng_.Uniform(all.size())];
  auto links = SimNet::Between({victim}, all);
  cluster_->net().Cut(links);
  ++stats_.partitions;
  cluster_->trace().Note(cluster_->now(), "fault: node {} isolated", victim.value());
  Later([this, links, victim] {
    cluster_->net().Restore(links);
    cluster_->trace().Note(cluster_->now(), "heal: node {} reconnected", victim.value());
  });
  return true;
}

bool FaultScheduler::PartitionMinority() {
  std::vector<NodeId> all = cluster_->node_ids();
  if (all.size() < 3) return false;
  // A random minority: shuffle, take the first k.
  for (size_t i = all.size() - 1; i > 0; --i) std::swap(all[i], all[rng_.Uniform(i + 1)]);
  const size_t k = 1 + rng_.Uniform((all.size() - 1) / 2);
  std::vector<NodeId> side(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(side.begin(), side.end());
  auto links = SimNet::Between(side, cluster_->node_ids());
  cluster_->net().Cut(links);
  ++stats_.partitions;
  std::string names;
  for (NodeId n : side) names += " " + std::to_string(n.value());
  cluster_->trace().Note(cluster_->now(), "fault: minority{} partitioned", names);
  Later([this, links, names] {
    cluster_->net().Restore(links);
    cluster_->trace().Note(cluster_->now(), "heal: minority{} reconnected", names);
  });
  return true;
}

bool FaultScheduler::CutOneLink() {
  const auto& all = cluster_->node_ids();
  if (all.size() < 2) return false;
  const NodeId from = all[rng_.Uniform(all.size())];
  NodeId to = all[rng_.Uniform(all.size())];
  if (to == from) return false;
  std::vector<SimNet::Link> links{{from, to}};
  cluster_->net().Cut(links);
  ++stats_.partitions;
  cluster_->trace().Note(cluster_->now(), "fault: link {}->{} cut", from.value(), to.value());
  Later([this, links] { cluster_->net().Restore(links); });
  return true;
}

bool FaultScheduler::CrashNode() {
  const std::vector<NodeId> up = cluster_->UpNodes();
  const int down = static_cast<int>(cluster_->node_ids().size() - up.size());
  if (down >= opts_.max_down || up.empty()) return false;
  const NodeId victim = up[rng_.Uniform(up.size())];
  cluster_->Crash(victim);
  ++stats_.crashes;
  Later([this, victim] { RestartNode(victim); });
  return true;
}

void FaultScheduler::RestartNode(NodeId id) {
  if (cluster_->up(id)) return;
  const Status s = cluster_->Restart(id);
  if (!s.ok()) {
    violations_->push_back("node " + std::to_string(id.value()) +
                           " failed to recover after a crash: " + s.ToString());
    return;
  }
  ++stats_.restarts;
}

bool FaultScheduler::LossyNetwork() {
  const double p = 0.05 + 0.35 * static_cast<double>(rng_.Uniform(1000)) / 1000;
  cluster_->net().faults().drop = p;
  ++stats_.net_bursts;
  cluster_->trace().Note(cluster_->now(), "fault: {}% of batches lost", static_cast<int>(p * 100));
  Later([this] { cluster_->net().faults().drop = opts_.base.drop; });
  return true;
}

bool FaultScheduler::DuplicatingNetwork() {
  const double p = 0.1 + 0.4 * static_cast<double>(rng_.Uniform(1000)) / 1000;
  cluster_->net().faults().duplicate = p;
  ++stats_.net_bursts;
  cluster_->trace().Note(cluster_->now(), "fault: {}% of batches duplicated",
                         static_cast<int>(p * 100));
  Later([this] { cluster_->net().faults().duplicate = opts_.base.duplicate; });
  return true;
}

bool FaultScheduler::SlowNetwork() {
  const double p = 0.1 + 0.4 * static_cast<double>(rng_.Uniform(1000)) / 1000;
  cluster_->net().faults().long_delay = p;
  ++stats_.net_bursts;
  cluster_->trace().Note(cluster_->now(), "fault: {}% of batches delayed up to {} ms",
                         static_cast<int>(p * 100), opts_.base.long_delay_max_nanos / 1'000'000);
  Later([this] { cluster_->net().faults().long_delay = opts_.base.long_delay; });
  return true;
}

bool FaultScheduler::SplitShard() {
  const std::vector<NodeId> up = cluster_->UpNodes();
  if (up.empty() || split_keys_.empty()) return false;
  const std::vector<ShardDescriptor> shards = cluster_->node(up[rng_.Uniform(up.size())])->Shards();
  if (shards.empty() || static_cast<int>(shards.size()) >= opts_.max_shards) return false;
  const ShardDescriptor& d = shards[rng_.Uniform(shards.size())];
  std::vector<std::string> inside;
  for (const std::string& k : split_keys_) {
    if (d.ContainsKey(k) && k != d.start_key) inside.push_back(k);
  }
  if (inside.empty()) return false;
  const std::string key = inside[rng_.Uniform(inside.size())];
  ++stats_.splits_proposed;
  cluster_->trace().Note(cluster_->now(), "op: split shard {} at '{}'", d.id.value(), key);
  // Every live replica is asked with its own view of the epoch; only a leader proposes.
  for (NodeId id : up) {
    Node* n = cluster_->node(id);
    for (const ShardDescriptor& mine : n->Shards()) {
      if (mine.id != d.id) continue;
      std::weak_ptr<bool> alive = alive_;
      n->Split(d.id, mine.epoch, key, [this, alive, id, shard = d.id](multiraft::WriteResponse r) {
        if (alive.expired()) return;
        if (!r.status.ok()) {
          if (!r.status.Is(Status::Code::kNotLeader)) {
            cluster_->trace().Note(cluster_->now(), "op: split of shard {} through node {}: {}",
                                   shard.value(), id.value(), r.status.ToString());
          }
          return;
        }
        ++stats_.splits_done;
        // hint.current: the shard's new descriptor, then the shards split off it.
        std::string halves;
        for (const ShardDescriptor& h : r.hint.current) halves += " " + multiraft::DescribeShard(h);
        cluster_->trace().Note(cluster_->now(), "op: shard {} split through node {}:{}",
                               shard.value(), id.value(), halves);
      });
    }
  }
  return true;
}

bool FaultScheduler::TransferLeader() {
  // Node does not expose leader transfer yet; registered with weight 0 until it does.
  return false;
}

void FaultScheduler::HealAll() {
  ++generation_;
  cluster_->net().HealLinks();
  NetFaults calm = opts_.base;
  calm.drop = 0;
  calm.duplicate = 0;
  calm.long_delay = 0;
  cluster_->net().faults() = calm;
  for (NodeId id : cluster_->node_ids()) RestartNode(id);
  cluster_->trace().Note(cluster_->now(), "heal: every fault ends");
}

}  // namespace tessera::sim
