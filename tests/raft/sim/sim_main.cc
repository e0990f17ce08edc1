// raft_sim: runs the randomized Raft simulation for one seed or a range of seeds.
//
//   raft_sim --seed 42 --verbose          replay one seed with a trace
//   raft_sim --seeds 100000 --start 1     sweep; options per seed as in the test suite
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "tests/raft/sim/simulator.h"

using tessera::raft::sim::OptionsForSeed;
using tessera::raft::sim::ReplayCommand;
using tessera::raft::sim::RunSimulation;
using tessera::raft::sim::SimOptions;

int main(int argc, char** argv) {
  CLI::App app{"Randomized simulation of the Tessera Raft core"};
  uint64_t seed = 0, seeds = 0, start = 1;
  int voters = 0, chaos_steps = 0;
  bool lease = false, verbose = false;
  app.add_option("--seed", seed, "Run this one seed");
  app.add_option("--seeds", seeds, "Run this many seeds (a sweep)");
  app.add_option("--start", start, "First seed of a sweep");
  app.add_option("--voters", voters, "Initial voters (3 or 5); default: derived from the seed");
  app.add_option("--chaos-steps", chaos_steps, "Steps with faults");
  app.add_flag("--lease-reads", lease, "Lease-based reads");
  app.add_flag("--verbose", verbose, "Print a trace");
  CLI11_PARSE(app, argc, argv);

  auto options_for = [&](uint64_t s) {
    SimOptions o = OptionsForSeed(s);
    if (voters != 0) o.voters = voters;
    if (chaos_steps != 0) o.chaos_steps = chaos_steps;
    if (lease) o.lease_reads = true;
    o.verbose = verbose;
    return o;
  };

  if (seeds == 0) {
    const SimOptions o = options_for(seed);
    const auto r = RunSimulation(seed, o);
    std::printf(
        "seed %llu: %s; steps %llu, messages %llu, committed %llu, leaders %llu, crashes %llu, "
        "conf changes %llu, snapshots %llu, reads %llu\n",
        static_cast<unsigned long long>(seed), r.ok ? "ok" : r.failure.c_str(),
        static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.messages),
        static_cast<unsigned long long>(r.committed), static_cast<unsigned long long>(r.leaders),
        static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.conf_changes),
        static_cast<unsigned long long>(r.snapshots), static_cast<unsigned long long>(r.reads));
    return r.ok ? 0 : 1;
  }

  const auto t0 = std::chrono::steady_clock::now();
  uint64_t failures = 0, committed = 0;
  for (uint64_t s = start; s < start + seeds; ++s) {
    const SimOptions o = options_for(s);
    const auto r = RunSimulation(s, o);
    committed += r.committed;
    if (!r.ok) {
      ++failures;
      std::printf("FAIL %s\n  replay: %s\n", r.failure.c_str(), ReplayCommand(s, o).c_str());
      std::fflush(stdout);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu seeds from %llu: %llu failed; %llu entries committed; %.1f s\n",
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(start),
              static_cast<unsigned long long>(failures), static_cast<unsigned long long>(committed),
              secs);
  return failures == 0 ? 0 : 1;
}
