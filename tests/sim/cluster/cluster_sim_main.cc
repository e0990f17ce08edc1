// cluster_sim: runs the deterministic cluster simulator for one seed or a range of seeds.
//
//   cluster_sim --seed 42 --verbose       replay one seed with its trace on stderr
//   cluster_sim --seeds 1000 --start 1    sweep; options per seed as in the test suite
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "common/logging.h"
#include "tests/sim/cluster/cluster_sim.h"

using tessera::sim::OptionsForSeed;
using tessera::sim::ReplayCommand;
using tessera::sim::RunClusterSim;
using tessera::sim::SimOptions;

int main(int argc, char** argv) {
  CLI::App app{"Deterministic simulation of a Tessera Multi-Raft cluster"};
  uint64_t seed = 1, seeds = 0, start = 1;
  bool verbose = false, no_sync = false;
  std::string log_level = "off";
  app.add_option("--seed", seed, "Run this one seed");
  app.add_option("--seeds", seeds, "Run this many seeds (a sweep)");
  app.add_option("--start", start, "First seed of a sweep");
  app.add_flag("--verbose", verbose, "Print the trace (faults, crashes, operations) to stderr");
  app.add_option("--log-level", log_level, "The nodes' log level (trace ... off)");
  app.add_flag("--no-sync-log", no_sync,
               "Nodes do not sync their Raft log (a known-unsafe setting: the checks must fail)");
  CLI11_PARSE(app, argc, argv);
  if (!tessera::SetLogLevel(log_level)) {
    std::fprintf(stderr, "unknown log level %s\n", log_level.c_str());
    return 2;
  }

  if (seeds == 0) {
    SimOptions o = OptionsForSeed(seed);
    o.verbose = verbose;
    o.cluster.sync_log = !no_sync;
    const auto r = RunClusterSim(seed, o);
    std::printf("seed %llu: %s; %s\n", static_cast<unsigned long long>(seed),
                r.ok ? "ok" : "FAILED", r.Summary().c_str());
    if (!r.ok) std::printf("%s", r.Failure().c_str());
    return r.ok ? 0 : 1;
  }

  const auto t0 = std::chrono::steady_clock::now();
  uint64_t failures = 0, ops = 0;
  for (uint64_t s = start; s < start + seeds; ++s) {
    SimOptions o = OptionsForSeed(s);
    o.verbose = verbose;
    o.cluster.sync_log = !no_sync;
    const auto r = RunClusterSim(s, o);
    ops += r.ops_ok + r.ops_failed + r.ops_unknown;
    if (!r.ok) {
      ++failures;
      std::printf("FAIL seed %llu: %s\n%s  replay: %s\n", static_cast<unsigned long long>(s),
                  r.Summary().c_str(), r.Failure().c_str(), ReplayCommand(s).c_str());
      std::fflush(stdout);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu seeds from %llu: %llu failed; %llu operations completed; %.1f s\n",
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(start),
              static_cast<unsigned long long>(failures), static_cast<unsigned long long>(ops),
              secs);
  return failures == 0 ? 0 : 1;
}
