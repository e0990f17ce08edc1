#!/usr/bin/env bash
# `make playground`. Tessera has its consensus core, store engines and checker, but no server yet,
# so the playground shows what exists and runs a short demonstration of each. It becomes a live
# PD + 3 nodes cluster when `tessera server` and `tessera pd` land (see README.md, "Status").
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
echo
echo "Tessera $(${B}/tessera --version | awk '{print $2}') is built: ${B}/tessera"
echo
if [ -x "${B}/tests/raft/sim/raft_sim" ]; then
  echo "A randomized Raft simulation (5 voters, crashes, partitions, membership changes):"
  "${B}/tests/raft/sim/raft_sim" --seed 42 --voters 5
  echo
fi
echo "What you can run today:"
echo "  ${B}/tessera help                                 the command line"
echo "  ${B}/tests/raft/sim/raft_sim --seed 7 --verbose   one simulated run, with a trace"
echo "  ${B}/tests/raft/sim/raft_sim --seeds 1000         a sweep of seeds"
echo "  ${B}/bench/raft_bench                             Raft core throughput (committed entries/s)"
echo "  cd build-asan && ctest -L raft                    the Raft scenario tests and simulation"
echo
echo "Not yet: a live cluster (PD + 3 nodes), redis-cli / etcdctl front doors, tessera ctl."
