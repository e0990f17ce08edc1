#include "tests/sim/cluster/faults.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"
#include "multiraft/local_state.h"
#include "multiraft/worker.h"
#include "raft/conf_change.h"
#include "tests/sim/cluster/invariants.h"

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
  Register({"transfer leader", 2, [this] { return TransferLeader(); }});
  Register({"move a replica", 3, [this] { return MoveReplica(); }});
  Register({"remove and re-add a replica", 2, [this] { return RemoveAndReaddReplica(); }});
  Register({"merge two shards", 2, [this] { return MergeShards(); }});
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

bool FaultScheduler::MergeShards() {
  const std::vector<NodeId> up = cluster_->UpNodes();
  if (up.empty()) return false;
  std::vector<ShardDescriptor> shards = cluster_->node(up[rng_.Uniform(up.size())])->Shards();
  std::sort(shards.begin(), shards.end(), [](const ShardDescriptor& a, const ShardDescriptor& b) {
    return a.start_key < b.start_key;
  });
  // Adjacent pairs on the same nodes, as this node sees them.
  std::vector<std::pair<ShardDescriptor, ShardDescriptor>> pairs;
  for (size_t i = 0; i + 1 < shards.size(); ++i) {
    if (multiraft::CheckMergeShape(shards[i], shards[i + 1]).ok()) {
      pairs.emplace_back(shards[i], shards[i + 1]);
    }
  }
  if (pairs.empty()) return false;
  auto [source, target] = pairs[rng_.Uniform(pairs.size())];
  if (rng_.Uniform(2) == 0) std::swap(source, target);
  ++stats_.merges_proposed;
  cluster_->trace().Note(cluster_->now(), "op: merge shard {} into shard {}", source.id.value(),
                         target.id.value());
  for (NodeId id : up) {
    Node* n = cluster_->node(id);
    for (const ShardDescriptor& mine : n->Shards()) {
      if (mine.id != source.id) continue;
      std::weak_ptr<bool> alive = alive_;
      n->Merge(source.id, mine.epoch, target.id,
               [this, alive, id, s = source.id, t = target.id](multiraft::WriteResponse r) {
                 if (alive.expired() || r.status.Is(Status::Code::kNotLeader)) return;
                 if (r.status.ok()) ++stats_.merges_prepared;
                 cluster_->trace().Note(cluster_->now(),
                                        "op: merge of shard {} into {} through node {}: {}",
                                        s.value(), t.value(), id.value(), r.status.ToString());
               });
    }
  }
  return true;
}

namespace {

bool Has(const std::vector<NodeId>& v, NodeId n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}

template <typename T>
const T& Pick(SeededRandom& rng, const std::vector<T>& v) {
  return v[rng.Uniform(v.size())];
}

}  // namespace

bool FaultScheduler::TransferLeader() {
  const std::optional<ShardDescriptor> pick = RandomShard();
  if (!pick) return false;
  const ShardDescriptor& d = *pick;
  if (d.voters.size() < 2) return false;
  const NodeId to = Pick(rng_, d.voters);
  ++stats_.transfers;
  cluster_->trace().Note(cluster_->now(), "op: transfer leadership of shard {} to node {}",
                         d.id.value(), to.value());
  for (NodeId id : cluster_->UpNodes()) {
    for (const ShardDescriptor& mine : cluster_->node(id)->Shards()) {
      if (mine.id != d.id) continue;
      std::weak_ptr<bool> alive = alive_;
      cluster_->node(id)->TransferLeader(
          d.id, to, [this, alive, id, shard = d.id](multiraft::WriteResponse r) {
            if (alive.expired() || r.status.ok() || r.status.Is(Status::Code::kNotLeader)) return;
            cluster_->trace().Note(cluster_->now(),
                                   "op: leader transfer of shard {} at node {}: {}", shard.value(),
                                   id.value(), r.status.ToString());
          });
    }
  }
  return true;
}

int64_t FaultScheduler::Applied(NodeId node, ShardId shard) const {
  Node* n = cluster_->node(node);
  if (n == nullptr) return -1;
  bool holds = false;
  for (const ShardDescriptor& d : n->Shards()) holds = holds || d.id == shard;
  if (!holds) return -1;
  auto a = cluster_->engine(node)->Get(storage::Cf::kMeta, multiraft::ApplyStateKey(shard));
  if (!a.ok()) return -1;
  auto st = multiraft::DecodeApplyState(*a);
  if (!st.ok()) return -1;
  return static_cast<int64_t>(st->applied_index.value());
}

bool FaultScheduler::CaughtUp(NodeId node, ShardId shard) const {
  const int64_t mine = Applied(node, shard);
  if (mine < 0) return false;
  int64_t best = 0;
  for (NodeId id : cluster_->UpNodes()) best = std::max(best, Applied(id, shard));
  return mine + 3 >= best;
}

void FaultScheduler::EndSequence(const std::string& why) {
  sequence_ = false;
  cluster_->trace().Note(cluster_->now(), "op: membership sequence ends: {}", why);
}

void FaultScheduler::ProposeConf(ShardId shard, const std::string& change,
                                 std::function<void(bool)> then) {
  auto parsed = raft::ParseConfChanges(change);
  TESSERA_ASSERT(parsed.ok(), "bad conf change text");
  raft::ConfChange cc;
  cc.changes = std::move(parsed).value();
  ++stats_.conf_changes;
  cluster_->trace().Note(cluster_->now(), "op: shard {} membership change '{}'", shard.value(),
                         change);
  struct Pending {
    int waiting = 0;
    bool answered = false;
    std::function<void(bool)> then;
  };
  auto p = std::make_shared<Pending>();
  p->then = std::move(then);
  std::vector<std::pair<NodeId, multiraft::Epoch>> targets;
  for (NodeId id : cluster_->UpNodes()) {
    for (const ShardDescriptor& mine : cluster_->node(id)->Shards()) {
      if (mine.id == shard) targets.emplace_back(id, mine.epoch);
    }
  }
  if (targets.empty()) {
    p->then(false);
    return;
  }
  p->waiting = static_cast<int>(targets.size());
  const uint64_t gen = generation_;
  for (const auto& [id, epoch] : targets) {
    std::weak_ptr<bool> alive = alive_;
    cluster_->node(id)->ChangeMembership(
        shard, epoch, cc, [this, alive, p, gen, id, shard, change](multiraft::WriteResponse r) {
          if (alive.expired()) return;
          --p->waiting;
          if (!r.status.ok() && !r.status.Is(Status::Code::kNotLeader)) {
            cluster_->trace().Note(cluster_->now(), "op: shard {} change '{}' at node {}: {}",
                                   shard.value(), change, id.value(), r.status.ToString());
          }
          if (p->answered) return;
          if (r.status.ok() || p->waiting == 0) {
            p->answered = true;
            // Run the next step from the event queue, not from inside the node's callback.
            const bool ok = r.status.ok();
            cluster_->events().At(cluster_->now(), [this, alive, p, gen, ok] {
              if (alive.expired()) return;
              if (gen != generation_) return;  // HealAll abandoned the sequence
              p->then(ok);
            });
          }
        });
  }
}

void FaultScheduler::WaitFor(std::function<bool()> ready, int64_t deadline,
                             std::function<void()> then) {
  const uint64_t gen = generation_;
  cluster_->events().At(cluster_->now() + 20'000'000, [this, gen, ready, deadline, then] {
    if (gen != generation_) return;
    if (ready()) {
      then();
    } else if (cluster_->now() >= deadline) {
      EndSequence("timed out waiting");
    } else {
      WaitFor(ready, deadline, then);
    }
  });
}

std::optional<ShardDescriptor> FaultScheduler::RandomShard() {
  const auto newest = NewestDescriptors(*cluster_);
  if (newest.empty()) return std::nullopt;
  auto it = newest.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(rng_.Uniform(newest.size())));
  return it->second;
}

bool FaultScheduler::MoveReplica() {
  if (sequence_) return false;
  const std::optional<ShardDescriptor> pick = RandomShard();
  if (!pick) return false;
  const ShardDescriptor& d = *pick;
  if (!d.learners.empty() || d.voters.empty()) return false;
  std::vector<NodeId> free;
  for (NodeId n : cluster_->node_ids()) {
    if (!Has(d.voters, n)) free.push_back(n);
  }
  if (free.empty()) return false;
  const NodeId to = Pick(rng_, free);
  const ShardId shard = d.id;
  const int64_t deadline = cluster_->now() + 3'000'000'000;
  sequence_ = true;
  cluster_->trace().Note(cluster_->now(), "op: move a replica of shard {} to node {}",
                         shard.value(), to.value());
  ProposeConf(shard, "l" + std::to_string(to.value()), [=, this](bool ok) {
    if (!ok) return EndSequence("adding the learner failed");
    WaitFor([=, this] { return CaughtUp(to, shard); }, deadline,
            [=, this] {
              ProposeConf(shard, "v" + std::to_string(to.value()), [=, this](bool ok) {
                if (!ok) return EndSequence("promoting the learner failed");
                const auto now_desc = NewestDescriptors(*cluster_);
                auto n = now_desc.find(shard);
                if (n == now_desc.end()) return EndSequence("shard not found");
                std::vector<NodeId> others;
                for (NodeId v : n->second.voters) {
                  if (v != to) others.push_back(v);
                }
                if (others.empty()) return EndSequence("no voter to remove");
                const NodeId from = Pick(rng_, others);
                ProposeConf(shard, "r" + std::to_string(from.value()), [=, this](bool ok) {
                  if (!ok) return EndSequence("removing the old replica failed");
                  ++stats_.moves_done;
                  EndSequence(fmt::format("shard {} moved from node {} to node {}", shard.value(),
                                          from.value(), to.value()));
                });
              });
            });
  });
  return true;
}

bool FaultScheduler::RemoveAndReaddReplica() {
  if (sequence_) return false;
  const std::optional<ShardDescriptor> pick = RandomShard();
  if (!pick) return false;
  const ShardDescriptor& d = *pick;
  if (!d.learners.empty() || d.voters.size() < 3) return false;
  const NodeId victim = Pick(rng_, d.voters);
  const ShardId shard = d.id;
  const int64_t deadline = cluster_->now() + 3'000'000'000;
  sequence_ = true;
  cluster_->trace().Note(cluster_->now(),
                         "op: remove and re-add the replica of shard {} on node {}", shard.value(),
                         victim.value());
  const std::string n = std::to_string(victim.value());
  ProposeConf(shard, "r" + n, [=, this](bool ok) {
    if (!ok) return EndSequence("removing the replica failed");
    // Wait until the node dropped its replica (or is down: the add then waits for it).
    WaitFor([=, this] { return Applied(victim, shard) < 0; }, deadline,
            [=, this] {
              ProposeConf(shard, "l" + n, [=, this](bool ok) {
                if (!ok) return EndSequence("re-adding as a learner failed");
                WaitFor(
                    [=, this] { return CaughtUp(victim, shard); }, deadline,
                    [=, this] {
                      ProposeConf(shard, "v" + n, [=, this](bool ok) {
                        if (!ok) return EndSequence("promoting the learner failed");
                        ++stats_.readds_done;
                        EndSequence(fmt::format("shard {} re-added on node {}", shard.value(), n));
                      });
                    });
              });
            });
  });
  return true;
}

bool FaultScheduler::HasLearners() const {
  for (const auto& [id, d] : NewestDescriptors(*cluster_)) {
    if (!d.learners.empty()) return true;
  }
  return false;
}

void FaultScheduler::RemoveLearners() {
  for (const auto& [id, d] : NewestDescriptors(*cluster_)) {
    if (d.learners.empty()) continue;
    ProposeConf(id, "r" + std::to_string(d.learners.front().value()), [](bool) {});
  }
}

void FaultScheduler::HealAll() {
  ++generation_;
  if (sequence_) EndSequence("every fault heals");
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
