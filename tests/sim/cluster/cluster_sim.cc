#include "tests/sim/cluster/cluster_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "common/random.h"
#include "tests/sim/cluster/invariants.h"
#include "tests/sim/cluster/trace.h"

namespace tessera::sim {
namespace {

uint64_t SubSeed(uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void Append(std::vector<std::string>* out, const std::vector<std::string>& more) {
  out->insert(out->end(), more.begin(), more.end());
}

// Samples the epochs of every node periodically, for the whole run.
void ScheduleEpochSampling(SimCluster* cluster, EpochTracker* epochs, int64_t every,
                           std::vector<std::string>* violations) {
  cluster->events().At(cluster->now() + every, [=] {
    epochs->ObserveAll(*cluster, violations);
    ScheduleEpochSampling(cluster, epochs, every, violations);
  });
}

// After the chaos: every fault ends, in-flight operations finish, every key is read through its
// leader, and the replicas catch up. Waits are bounded; exceeding one is a liveness failure.
void Settle(SimCluster& cluster, Workload& workload, FaultScheduler& faults, const SimOptions& o,
            std::vector<std::string>* violations) {
  faults.HealAll();
  const int64_t poll = 10'000'000;
  if (!cluster.RunUntil([&] { return workload.Idle(); },
                        cluster.now() + o.workload.op_timeout_nanos + 1'000'000'000, poll)) {
    violations->push_back("operations still in flight after their deadline");
  }
  workload.IssueFinalReads(cluster.now() + o.settle_nanos);
  cluster.RunUntil([&] { return workload.Idle(); }, cluster.now() + o.settle_nanos + 1, poll);
  for (const std::string& key : workload.final_read_failures()) {
    violations->push_back(
        fmt::format("liveness: the final read of '{}' did not succeed within {} ms after healing",
                    key, o.settle_nanos / 1'000'000));
  }
  // Membership: a sequence the healing abandoned may have left learners, and a change answered
  // Timeout may still commit and add one later: learners are removed until the cluster settles.
  int64_t next_try = 0;
  auto settled = [&] {
    if (faults.HasLearners()) {
      if (cluster.now() >= next_try) {
        faults.RemoveLearners();
        next_try = cluster.now() + 200'000'000;
      }
      return false;
    }
    return ReplicasCaughtUp(cluster) && CheckMembership(cluster).empty() &&
           cluster.snapshot_net().in_flight() == 0 && LeftoverSnapshotDirs(cluster).empty();
  };
  if (!cluster.RunUntil(settled, cluster.now() + o.settle_nanos, poll)) {
    if (faults.HasLearners()) {
      violations->push_back(fmt::format("liveness: learners could not be removed within {} ms",
                                        o.settle_nanos / 1'000'000));
    }
    if (!ReplicasCaughtUp(cluster)) {
      violations->push_back(
          fmt::format("liveness: replicas did not reach the same applied index within {} ms",
                      o.settle_nanos / 1'000'000));
    }
    if (!CheckMembership(cluster).empty()) {
      violations->push_back(fmt::format(
          "liveness: shards were not held by exactly their members within {} ms (below)",
          o.settle_nanos / 1'000'000));
    }
  }
}

void CheckEnd(SimCluster& cluster, Workload& workload, EpochTracker& epochs, SimResult* r) {
  epochs.ObserveAll(cluster, &r->violations);
  for (NodeId id : cluster.node_ids()) {
    if (!cluster.up(id)) {
      r->violations.push_back(fmt::format("node {} is down at the end", id.value()));
      continue;
    }
    const std::vector<ShardDescriptor> shards = cluster.node(id)->Shards();
    std::string layout;
    for (const ShardDescriptor& d : shards) layout += "\n  " + multiraft::DescribeShard(d);
    cluster.trace().Note(cluster.now(), "node {} ends with {} shards:{}", id.value(), shards.size(),
                         layout);
  }
  Append(&r->violations, CheckShardLayout(cluster));
  Append(&r->violations, CheckMembership(cluster));
  Append(&r->violations, CheckNoStrayData(cluster));
  Append(&r->violations, LeftoverSnapshotDirs(cluster));
  if (ReplicasCaughtUp(cluster)) Append(&r->violations, CheckReplicasIdentical(cluster));
  Append(&r->violations, CheckLinearizability(workload.history(), &r->check_unknown));
  Append(&r->violations, workload.violations());
}

}  // namespace

std::string SimResult::Failure() const {
  std::string s;
  for (const auto& v : violations) s += v + "\n";
  if (check_unknown) s += "linearizability check ran out of budget (unknown)\n";
  return s;
}

std::string SimResult::Summary() const {
  return fmt::format(
      "{} ms simulated; ops ok {}, fail {}, unknown {}, dropped {}; crashes {}, partitions {}, "
      "net bursts {}, splits {}, merges prepared {}, leader transfers {}, conf changes {} (moves "
      "{}, re-adds {}); "
      "snapshots sent {}, delivered {}; hibernations {}; batches delivered {}, lost {}, "
      "duplicated {}; polls {}; trace {:016x}",
      end_nanos / 1'000'000, ops_ok, ops_failed, ops_unknown, ops_dropped, crashes, partitions,
      net_bursts, splits, merges, transfers, conf_changes, moves, readds, snapshots_sent,
      snapshots_delivered, hibernations, batches_delivered, batches_lost, batches_duplicated, polls,
      trace_hash);
}

SimOptions OptionsForSeed(uint64_t seed) {
  SeededRandom r(SubSeed(seed, 1));
  SimOptions o;
  o.cluster.nodes = static_cast<int>(r.Range(3, 5));
  o.cluster.replicas = 3;
  // Small log GC settings, so that followers behind (and new replicas) catch up by snapshot.
  o.cluster.log_gc_interval_ms = static_cast<int>(r.Range(5, 50)) * 10;
  o.cluster.log_gc_threshold = r.Range(2, 30);
  o.cluster.log_gc_count_limit = r.Range(20, 200);
  o.cluster.shards = static_cast<int>(r.Range(1, 4));
  o.cluster.workers = static_cast<int>(r.Range(1, 2));
  o.cluster.lease_reads = r.Chance(0.5);
  o.workload.clients = static_cast<int>(r.Range(2, 5));
  o.workload.max_inflight = static_cast<int>(r.Range(1, 3));
  o.workload.keys = static_cast<int>(r.Range(3, 10));
  o.faults.max_down = std::max(1, (o.cluster.nodes - 1) / 2);
  o.faults.base.drop = r.Chance(0.5) ? 0.01 * static_cast<double>(r.Range(0, 3)) : 0;
  o.faults.base.duplicate = r.Chance(0.5) ? 0.01 * static_cast<double>(r.Range(0, 3)) : 0;
  o.faults.base.max_delay_nanos = static_cast<int64_t>(r.Range(1, 5)) * 1'000'000;
  o.faults.base.long_delay_max_nanos = static_cast<int64_t>(r.Range(20, 200)) * 1'000'000;
  o.chaos_nanos = static_cast<int64_t>(r.Range(2000, 4000)) * 1'000'000;
  // Most seeds let idle shards hibernate (after 30-300 ms, against 100 ms election timeouts).
  o.cluster.hibernate_after_ms = r.Chance(0.7) ? static_cast<int>(r.Range(3, 30)) * 10 : 0;
  // Most seeds apply through the apply pool (one lane, or one per worker), some on the workers.
  o.cluster.apply_threads = r.Chance(0.2) ? 0 : static_cast<int>(r.Range(1, 2));
  return o;
}

std::string ReplayCommand(uint64_t seed) {
  return fmt::format("build-asan/tests/sim/cluster/cluster_sim --seed {} --verbose", seed);
}

SimResult RunClusterSim(uint64_t seed, const SimOptions& o) {
  SimResult r;
  Trace trace(o.verbose);
  SimCluster cluster(o.cluster, seed, &trace);
  trace.Note(0,
             "seed {}: {} nodes, {} shards, {} workers, {} apply lanes, lease reads {}, {} clients",
             seed, o.cluster.nodes, o.cluster.shards, o.cluster.workers, o.cluster.apply_threads,
             o.cluster.lease_reads, o.workload.clients);
  Workload workload(&cluster, o.workload, SubSeed(seed, 2));
  FaultScheduler faults(&cluster, o.faults, SubSeed(seed, 3), &r.violations);
  faults.RegisterDefaults();
  std::vector<std::string> split_keys;
  for (const std::string& k : workload.keys()) {
    split_keys.push_back(k);        // the key moves to the right half
    split_keys.push_back(k + "0");  // the key stays in the left half
  }
  faults.SetSplitKeys(std::move(split_keys));
  EpochTracker epochs;
  ScheduleEpochSampling(&cluster, &epochs, o.sample_every_nanos, &r.violations);

  faults.Start(o.chaos_nanos);
  workload.Start(o.chaos_nanos);
  cluster.RunUntil(o.chaos_nanos);
  trace.Note(cluster.now(), "chaos ends");
  Settle(cluster, workload, faults, o, &r.violations);
  if (cluster.exhausted()) {
    r.violations.push_back(fmt::format(
        "liveness: the run exhausted its budget of {} node polls at {} ms (busy instants: {})",
        o.cluster.max_polls, cluster.now() / 1'000'000, cluster.stats().busy_instants));
  }
  CheckEnd(cluster, workload, epochs, &r);

  const WorkloadStats& ws = workload.stats();
  r.ops_ok = ws.ok;
  r.ops_failed = ws.failed;
  r.ops_unknown = ws.unknown;
  r.ops_dropped = ws.dropped;
  r.history = workload.history().size();
  r.crashes = faults.stats().crashes;
  r.partitions = faults.stats().partitions;
  r.net_bursts = faults.stats().net_bursts;
  r.splits = faults.stats().splits_done;
  r.merges = faults.stats().merges_prepared;
  r.transfers = faults.stats().transfers;
  r.conf_changes = faults.stats().conf_changes;
  r.moves = faults.stats().moves_done;
  r.readds = faults.stats().readds_done;
  r.snapshots_sent = cluster.snapshot_net().stats().sent;
  r.snapshots_delivered = cluster.snapshot_net().stats().delivered;
  const NetStats& ns = cluster.net().stats();
  r.batches_delivered = ns.delivered;
  r.batches_lost = ns.dropped + ns.cut;
  r.batches_duplicated = ns.duplicated;
  r.end_nanos = cluster.now();
  r.polls = cluster.stats().polls;
  r.hibernations = cluster.Hibernations();
  trace.Mix(r.end_nanos);
  trace.Mix(ns.delivered);
  r.trace_hash = trace.hash();
  r.ok = r.violations.empty() && !r.check_unknown;
  return r;
}

}  // namespace tessera::sim
