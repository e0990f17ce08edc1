#!/usr/bin/env bash
# `make playground`. Today Tessera has its consensus core but no server yet, so the playground
# shows what exists and how to exercise it. It becomes a live PD + 3 nodes cluster when
# `tessera server` and `tessera pd` land (see README.md, "Status").
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
echo
echo "Tessera $(${B}/tessera --version | awk '{print $2}') is built: ${B}/tessera"
echo
echo "What you can run today:"
echo "  ${B}/tessera help                           the command line (server, pd, ctl, playground, bench)"
if [ -x "${B}/tests/raft/raft_sim" ]; then
echo "  ${B}/tests/raft/raft_sim --seeds 100 --voters 5   randomized Raft simulation with invariant checks"
fi
if [ -x "${B}/bench/raft_bench" ]; then
echo "  ${B}/bench/raft_bench                       Raft core throughput (committed entries/s)"
fi
echo
echo "Not yet: a live cluster (PD + 3 nodes), redis-cli / etcdctl front doors, tessera ctl."
