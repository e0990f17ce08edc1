// A deterministic, seeded simulation of one Raft group (shared/style.md, item 13).
//
// Voters (3 or 5), spare nodes that membership changes add as learners and voters, and a
// simulated network that drops, delays, duplicates and reorders messages and partitions nodes.
// Nodes crash (losing everything not yet written to their MemoryStorage, which plays the disk)
// and restart from it. After every step the simulator checks the safety properties of Raft:
//   - at most one leader per term (election safety);
//   - log matching: an (index, term) pair identifies one entry and one log prefix;
//   - committed entries are never lost or changed: every node applies the same entry at an index,
//     and a new leader's log holds every entry known to be committed (leader completeness);
//   - each node applies a gap-free sequence, and all applied sequences are prefixes of one another;
//   - no node votes for two candidates in one term, across restarts;
//   - read indexes are linearizable: no read index below a commit that preceded the request;
// and, after the faults stop and the network heals, that a leader commits within a bound.
//
// Everything derives from the seed: Run(seed) twice gives the same trace.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::raft::sim {

struct SimOptions {
  int voters = 3;            // initial voters (3 or 5)
  int spare_nodes = 2;       // extra nodes for membership changes
  int chaos_steps = 1500;    // steps with faults
  int heal_steps = 8000;     // upper bound on steps for the liveness check after healing
  bool lease_reads = false;  // ReadOnlyOption::kLeaseBased
  bool verbose = false;      // print the trace to stderr
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the violated property and context
  // Counters for the report.
  uint64_t steps = 0;
  uint64_t messages = 0;
  uint64_t committed = 0;
  uint64_t leaders = 0;
  uint64_t crashes = 0;
  uint64_t conf_changes = 0;
  uint64_t snapshots = 0;
  uint64_t reads = 0;
};

// Runs one simulation. Never throws; a violated property is reported in the result.
SimResult RunSimulation(uint64_t seed, const SimOptions& options);

// Derives the options of a seed in the default sweep (3 or 5 voters, lease reads on or off).
SimOptions OptionsForSeed(uint64_t seed);

// The command that replays a seed.
std::string ReplayCommand(uint64_t seed, const SimOptions& options);

}  // namespace tessera::raft::sim
