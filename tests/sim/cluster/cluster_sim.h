// The deterministic cluster simulator (shared/architecture.md, testing tier 3; docs/simulation.md).
//
// One run, for one seed: a cluster of 3 to 5 Multi-Raft nodes with several shards on memory
// engines, one SimClock and a SimNet, in one thread. For `chaos_nanos` of simulated time a random
// KV workload runs while the FaultScheduler drops, delays, duplicates and reorders messages,
// partitions nodes and crashes and restarts them. Then every fault heals, crashed nodes restart,
// in-flight operations finish, a final strong read of every key is made, and the invariants are
// checked (tests/sim/cluster/invariants.h). Everything derives from the seed: the same seed
// gives the same run and the same trace hash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/cluster/faults.h"
#include "tests/sim/cluster/sim_cluster.h"
#include "tests/sim/cluster/workload.h"

namespace tessera::sim {

struct SimOptions {
  ClusterOptions cluster;
  WorkloadOptions workload;
  FaultOptions faults;
  // Simulated time with faults and workload.
  int64_t chaos_nanos = 3'000'000'000;
  // Bound on each wait after healing (operations to finish, final reads, replicas to catch up):
  // exceeding it is a liveness failure.
  int64_t settle_nanos = 20'000'000'000;
  // Epochs are sampled on every node this often.
  int64_t sample_every_nanos = 50'000'000;
  bool verbose = false;  // print the trace to stderr
};

struct SimResult {
  bool ok = true;
  std::vector<std::string> violations;
  bool check_unknown = false;  // the linearizability checker ran out of budget
  uint64_t trace_hash = 0;
  // For the report.
  uint64_t ops_ok = 0, ops_failed = 0, ops_unknown = 0, ops_dropped = 0, crashes = 0,
           partitions = 0, splits = 0, net_bursts = 0, batches_delivered = 0, batches_lost = 0,
           batches_duplicated = 0, history = 0, polls = 0, transfers = 0, conf_changes = 0,
           moves = 0, readds = 0, snapshots_sent = 0, snapshots_delivered = 0, hibernations = 0,
           merges = 0;
  int64_t end_nanos = 0;  // simulated time at the end

  std::string Failure() const;  // the violations, one per line
  std::string Summary() const;  // one line of counters
};

// The options of a seed in the default sweep (cluster shape, workload, faults: all from the
// seed, so that the seed alone replays a run).
SimOptions OptionsForSeed(uint64_t seed);

// Runs one seed. Never throws; violations are reported in the result.
SimResult RunClusterSim(uint64_t seed, const SimOptions& options);

// The command that replays a seed of the default sweep.
std::string ReplayCommand(uint64_t seed);

}  // namespace tessera::sim
