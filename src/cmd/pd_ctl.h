// `tessera ctl --pd ...`: the placement driver's view and controls.
//
//   tessera ctl --pd 127.0.0.1:20100 pd members         PD's members and its leader
//   tessera ctl --pd ... nodes                          nodes: address, state, liveness, load
//   tessera ctl --pd ... shards                         PD's shard map (range, epoch, leader,
//                                                       replicas, size)
//   tessera ctl --pd ... operator list                  operators in flight
//   tessera ctl --pd ... operator add transfer-leader SHARD NODE
//   tessera ctl --pd ... operator add add-replica SHARD NODE
//   tessera ctl --pd ... operator add remove-replica SHARD NODE
//   tessera ctl --pd ... operator add split SHARD [KEY]     at KEY, or in the middle
//   tessera ctl --pd ... operator add merge SHARD TARGET    SHARD folds into its neighbour TARGET
//   tessera ctl --pd ... operator cancel SHARD
//   tessera ctl --pd ... scheduler list                 each scheduler and whether it runs
//   tessera ctl --pd ... scheduler enable|disable NAME
//   tessera ctl --pd ... health [--wait-ms N]           PD, nodes and shards; exit 1 if unhealthy
//   tessera ctl --pd ... node-state NODE up|draining|tombstone
//   tessera ctl --pd ... tso [--count N]                timestamps from the oracle
//   tessera ctl --pd ... schedule [JSON]                the schedule configuration; with JSON,
//                                                       sets the fields it names
//
// --output json prints JSON instead of tables. Errors print PD's typed error (NotFound,
// InvalidArgument, EpochNotMatch, ...) and exit 1; bad usage exits 2.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace tessera::cmd {

struct PdCtlFlags {
  std::string pd;  // PD endpoints; the commands below need it
  int timeout_ms = 10000;
  uint32_t count = 1;
  int wait_ms = 0;  // health: keep checking this long
  uint64_t shard = 0, node = 0, target = 0;
  std::string key, state, json, op, scheduler;
  std::string output = "table";  // table | json (set by ctl's --output)
  CLI::App *pd_cmd = nullptr, *members = nullptr, *nodes = nullptr, *op_cmd = nullptr,
           *op_list = nullptr, *op_add = nullptr, *op_cancel = nullptr, *node_state = nullptr,
           *tso = nullptr, *schedule = nullptr, *scheduler_cmd = nullptr, *scheduler_list = nullptr,
           *scheduler_enable = nullptr, *scheduler_disable = nullptr, *health = nullptr;
};

// Adds the commands to `ctl` (whose "shards" command prints PD's map when --pd is given).
void AddPdCtlCommands(CLI::App* ctl, PdCtlFlags* flags);
// Runs the PD command that was parsed; nullopt when none was (`shards` is run by RunPdShards).
std::optional<int> RunPdCtl(const PdCtlFlags& flags);
// `ctl shards` with --pd: PD's shard map.
int RunPdShards(const PdCtlFlags& flags);

}  // namespace tessera::cmd
