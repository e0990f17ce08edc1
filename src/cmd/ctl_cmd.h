// `tessera ctl`: key-value commands against a cluster, through the native API.
//
//   tessera ctl --endpoints 127.0.0.1:20160,127.0.0.1:20161 put KEY VALUE
//   tessera ctl ... get KEY [--consistency strong|follower|stale]
//   tessera ctl ... del KEY                (alias: delete)
//   tessera ctl --pd ... cas KEY NEW [--expect VALUE | --expect-absent] [--delete]
//   tessera ctl ... scan [START [END]] [--limit N] [--reverse] [--keys-only]
//   tessera ctl ... shards                 the shards the nodes report (range, epoch)
//   tessera ctl ... split KEY              split the shard holding KEY at KEY
//
// With --pd the key-value commands go through the C++ client, routed by PD (ctl_kv.h). With
// --endpoints only (a static cluster), ctl routes by the union of the nodes' replica lists (the
// admin API's ListShards), refreshed on EpochNotMatch and KeyNotInShard; scans go shard by
// shard; NotLeader answers move on to the next endpoint. --output json prints JSON. Exit codes: 0
// success, 1 an error (printed with its type), 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cmd/pd_ctl.h"

namespace tessera::cmd {

struct CtlFlags {
  std::string endpoints = "127.0.0.1:20160";
  int timeout_ms = 10000;
  std::string consistency = "strong";
  uint32_t limit = 100;
  bool reverse = false, keys_only = false;
  std::string key, value, start, end;
  std::string output = "table";  // table | json
  std::string expect;            // cas: the value the key must hold
  bool expect_absent = false, cas_delete = false;
  CLI::App *put = nullptr, *get = nullptr, *del = nullptr, *scan = nullptr, *shards = nullptr,
           *split = nullptr, *merge = nullptr, *cas = nullptr;
  PdCtlFlags pd;  // --pd and the placement driver's commands (pd_ctl.h)
};

CLI::App* AddCtlCommand(CLI::App* app, CtlFlags* flags);
int RunCtl(const CtlFlags& flags);

}  // namespace tessera::cmd
