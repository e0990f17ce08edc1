#include "tests/sim/cluster/invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "check/linearizability.h"
#include "multiraft/local_state.h"
#include "storage/engine.h"

namespace tessera::sim {

using multiraft::ApplyState;
using multiraft::DescribeShard;
using multiraft::Epoch;
using storage::Cf;

namespace {

bool Older(const Epoch& a, const Epoch& b) {
  return a.version < b.version || a.conf_version < b.conf_version;
}

struct Replica {
  NodeId node;
  ShardDescriptor desc;
  ApplyState apply;
  bool apply_ok = false;
};

// The replicas of each shard: up nodes that hold a descriptor of it and are members of the
// newest descriptor any of them holds.
std::map<ShardId, std::vector<Replica>> CollectReplicas(const SimCluster& cluster) {
  std::map<ShardId, std::vector<Replica>> all;
  for (NodeId id : cluster.UpNodes()) {
    for (ShardDescriptor& d : cluster.node(id)->Shards()) {
      Replica r{id, std::move(d), {}, false};
      auto a = cluster.engine(id)->Get(Cf::kMeta, multiraft::ApplyStateKey(r.desc.id));
      if (a.ok()) {
        auto st = multiraft::DecodeApplyState(*a);
        if (st.ok()) {
          r.apply = std::move(st).value();
          r.apply_ok = true;
        }
      }
      all[r.desc.id].push_back(std::move(r));
    }
  }
  for (auto& [shard, rs] : all) {
    const ShardDescriptor* newest = &rs.front().desc;
    for (const Replica& r : rs) {
      if (Older(newest->epoch, r.desc.epoch)) newest = &r.desc;
    }
    const ShardDescriptor latest = *newest;
    auto member = [&latest](NodeId n) {
      return std::count(latest.voters.begin(), latest.voters.end(), n) +
                 std::count(latest.learners.begin(), latest.learners.end(), n) >
             0;
    };
    std::erase_if(rs, [&](const Replica& r) { return !member(r.node); });
  }
  return all;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

// The first difference between the data of two replicas in [start, end), or "".
std::string DiffData(storage::Engine* a, storage::Engine* b, const ShardDescriptor& d) {
  storage::IterOptions io{d.start_key, d.end_key};
  auto ia = a->NewIterator(Cf::kData, io);
  auto ib = b->NewIterator(Cf::kData, io);
  ia->SeekToFirst();
  ib->SeekToFirst();
  uint64_t n = 0;
  while (ia->Valid() || ib->Valid()) {
    if (!ia->Valid()) return fmt::format("only the second has key '{}'", Printable(ib->key()));
    if (!ib->Valid()) return fmt::format("only the first has key '{}'", Printable(ia->key()));
    if (ia->key() != ib->key()) {
      return fmt::format("keys differ at position {}: '{}' vs '{}'", n, Printable(ia->key()),
                         Printable(ib->key()));
    }
    if (ia->value() != ib->value()) {
      return fmt::format("values of '{}' differ: '{}' vs '{}'", Printable(ia->key()),
                         Printable(ia->value()), Printable(ib->value()));
    }
    ia->Next();
    ib->Next();
    ++n;
  }
  return "";
}

}  // namespace

void EpochTracker::Observe(NodeId node, uint64_t incarnation,
                           const std::vector<ShardDescriptor>& shards,
                           std::vector<std::string>* violations) {
  for (const ShardDescriptor& d : shards) {
    auto [it, inserted] = seen_.try_emplace({node, d.id}, Seen{incarnation, d.epoch});
    if (inserted) continue;
    Seen& s = it->second;
    if (s.incarnation == incarnation && Older(d.epoch, s.epoch)) {
      violations->push_back(fmt::format(
          "node {}: shard {} went back from epoch (conf {}, version {}) to (conf {}, version {})",
          node.value(), d.id.value(), s.epoch.conf_version, s.epoch.version, d.epoch.conf_version,
          d.epoch.version));
    }
    s = Seen{incarnation, d.epoch};
  }
}

void EpochTracker::ObserveAll(const SimCluster& cluster, std::vector<std::string>* violations) {
  for (NodeId id : cluster.UpNodes()) {
    Observe(id, cluster.incarnation(id), cluster.node(id)->Shards(), violations);
  }
}

std::vector<std::string> CheckTiling(NodeId node, std::vector<ShardDescriptor> shards) {
  std::vector<std::string> out;
  auto fail = [&](const std::string& what) {
    out.push_back(
        fmt::format("node {}: shard ranges do not tile the key space: {}", node.value(), what));
  };
  if (shards.empty()) {
    fail("no shards");
    return out;
  }
  std::sort(shards.begin(), shards.end(), [](const ShardDescriptor& a, const ShardDescriptor& b) {
    return a.start_key < b.start_key;
  });
  if (!shards.front().start_key.empty()) fail("gap before " + DescribeShard(shards.front()));
  for (size_t i = 0; i + 1 < shards.size(); ++i) {
    const ShardDescriptor& a = shards[i];
    const ShardDescriptor& b = shards[i + 1];
    if (a.end_key.empty() || a.end_key > b.start_key) {
      fail("overlap of " + DescribeShard(a) + " and " + DescribeShard(b));
    } else if (a.end_key < b.start_key) {
      fail("gap between " + DescribeShard(a) + " and " + DescribeShard(b));
    }
  }
  if (!shards.back().end_key.empty()) fail("gap after " + DescribeShard(shards.back()));
  return out;
}

bool ReplicasCaughtUp(const SimCluster& cluster) {
  for (const auto& [shard, rs] : CollectReplicas(cluster)) {
    for (const Replica& r : rs) {
      if (!r.apply_ok || r.apply.applied_index != rs.front().apply.applied_index) return false;
    }
  }
  return true;
}

std::vector<std::string> CheckReplicasIdentical(const SimCluster& cluster) {
  std::vector<std::string> out;
  for (const auto& [shard, rs] : CollectReplicas(cluster)) {
    const Replica& first = rs.front();
    for (const Replica& r : rs) {
      const std::string who = fmt::format("shard {}: nodes {} and {}", shard.value(),
                                          first.node.value(), r.node.value());
      if (!r.apply_ok) {
        out.push_back(fmt::format("shard {}: node {} has no readable apply state", shard.value(),
                                  r.node.value()));
        continue;
      }
      if (r.desc != first.desc) {
        out.push_back(who + " hold different descriptors: " + DescribeShard(first.desc) + " vs " +
                      DescribeShard(r.desc));
      }
      if (r.apply.applied_index != first.apply.applied_index) {
        out.push_back(fmt::format("{} applied different indexes: {} vs {}", who,
                                  first.apply.applied_index.value(),
                                  r.apply.applied_index.value()));
        continue;  // their data may legitimately differ
      }
      const std::string diff =
          DiffData(cluster.engine(first.node), cluster.engine(r.node), first.desc);
      if (!diff.empty()) {
        out.push_back(fmt::format("{} differ at applied index {}: {}", who,
                                  r.apply.applied_index.value(), diff));
      }
    }
  }
  return out;
}

std::map<ShardId, ShardDescriptor> NewestDescriptors(const SimCluster& cluster) {
  std::map<ShardId, ShardDescriptor> out;
  for (NodeId id : cluster.UpNodes()) {
    for (ShardDescriptor& d : cluster.node(id)->Shards()) {
      auto it = out.find(d.id);
      if (it == out.end()) {
        out.emplace(d.id, std::move(d));
      } else if (it->second.epoch.conf_version < d.epoch.conf_version ||
                 it->second.epoch.version < d.epoch.version) {
        it->second = std::move(d);
      }
    }
  }
  return out;
}

std::vector<std::string> CheckShardLayout(const SimCluster& cluster) {
  std::vector<std::string> out;
  std::vector<ShardDescriptor> newest;
  for (auto& [id, d] : NewestDescriptors(cluster)) newest.push_back(d);
  for (std::string& v : CheckTiling(NodeId(0), newest)) {
    out.push_back("the newest descriptors (node 0 = all nodes): " + v);
  }
  for (NodeId id : cluster.UpNodes()) {
    std::vector<ShardDescriptor> mine = cluster.node(id)->Shards();
    std::sort(mine.begin(), mine.end(), [](const ShardDescriptor& a, const ShardDescriptor& b) {
      return a.start_key < b.start_key;
    });
    for (size_t i = 0; i + 1 < mine.size(); ++i) {
      if (mine[i].end_key.empty() || mine[i].end_key > mine[i + 1].start_key) {
        out.push_back(fmt::format("node {} holds overlapping replicas {} and {}", id.value(),
                                  DescribeShard(mine[i]), DescribeShard(mine[i + 1])));
      }
    }
  }
  return out;
}

std::vector<std::string> CheckMembership(const SimCluster& cluster) {
  std::vector<std::string> out;
  const auto newest = NewestDescriptors(cluster);
  for (const auto& [id, d] : newest) {
    std::vector<NodeId> members = d.voters;
    members.insert(members.end(), d.learners.begin(), d.learners.end());
    std::sort(members.begin(), members.end());
    std::vector<NodeId> holders;
    for (NodeId n : cluster.UpNodes()) {
      for (const ShardDescriptor& mine : cluster.node(n)->Shards()) {
        if (mine.id == id) holders.push_back(n);
      }
    }
    if (holders != members) {
      auto list = [](const std::vector<NodeId>& v) {
        std::string s;
        for (NodeId n : v) s += " " + std::to_string(n.value());
        return s;
      };
      out.push_back(fmt::format("shard {}: held by nodes{} but its members are{} ({})", id.value(),
                                list(holders), list(members), DescribeShard(d)));
    }
    if (!d.learners.empty()) {
      out.push_back(fmt::format("shard {} ends with learners: {}", id.value(), DescribeShard(d)));
    }
  }
  return out;
}

std::vector<std::string> CheckNoStrayData(const SimCluster& cluster) {
  std::vector<std::string> out;
  for (NodeId n : cluster.UpNodes()) {
    const std::vector<ShardDescriptor> mine = cluster.node(n)->Shards();
    auto it = cluster.engine(n)->NewIterator(Cf::kData, storage::IterOptions{});
    uint64_t stray = 0;
    std::string first;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      bool owned = false;
      for (const ShardDescriptor& d : mine) owned = owned || d.ContainsKey(it->key());
      if (!owned && stray++ == 0) first = Printable(it->key());
    }
    if (stray > 0) {
      out.push_back(fmt::format("node {} keeps {} keys no replica of it owns (first: '{}')",
                                n.value(), stray, first));
    }
  }
  return out;
}

std::vector<std::string> LeftoverSnapshotDirs(const SimCluster& cluster) {
  std::vector<std::string> out;
  for (NodeId n : cluster.node_ids()) {
    const multiraft::SnapshotDirs& dirs = cluster.snapshot_dirs(n);
    for (const std::string& root : {dirs.send_root(), dirs.recv_root()}) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
        out.push_back(fmt::format("node {}: snapshot directory left behind: {}", n.value(),
                                  e.path().string()));
      }
    }
  }
  return out;
}

std::vector<std::string> CheckLinearizability(const KvHistory& history, bool* unknown) {
  *unknown = false;
  const SimKvModel model;
  check::CheckOptions o;
  o.timeout_nanos = 60'000'000'000;  // wall clock; far beyond what a seed's history needs
  auto r = check::CheckLinearizable(model, history, o);
  if (!r.ok()) return {"malformed history: " + r.status().ToString()};
  switch (r->verdict) {
    case check::Verdict::kLinearizable:
      return {};
    case check::Verdict::kUnknown:
      *unknown = true;
      return {};
    case check::Verdict::kNotLinearizable:
      return {"history not linearizable:\n" + check::DescribeCounterexample(model, history, *r)};
  }
  return {};
}

}  // namespace tessera::sim
