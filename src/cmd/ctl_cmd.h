// `tessera ctl`: key-value commands against a cluster, through the native API.
//
//   tessera ctl --endpoints 127.0.0.1:20160,127.0.0.1:20161 put KEY VALUE
//   tessera ctl ... get KEY [--consistency strong|follower|stale]
//   tessera ctl ... delete KEY
//   tessera ctl ... scan [START [END]] [--limit N] [--reverse] [--keys-only]
//   tessera ctl ... shards                 the shards the nodes report (range, epoch)
//   tessera ctl ... split KEY              split the shard holding KEY at KEY
//
// Until the placement driver exists, ctl routes by the union of the nodes' replica lists (the
// admin API's ListShards), refreshed on EpochNotMatch and KeyNotInShard; scans go shard by
// shard; NotLeader answers move on to the next endpoint. Exit codes: 0 success, 1 an error
// (printed with its type), 2 bad usage.
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
  CLI::App *put = nullptr, *get = nullptr, *del = nullptr, *scan = nullptr, *shards = nullptr,
           *split = nullptr, *merge = nullptr;
  PdCtlFlags pd;  // --pd and the placement driver's commands (pd_ctl.h)
};

CLI::App* AddCtlCommand(CLI::App* app, CtlFlags* flags);
int RunCtl(const CtlFlags& flags);

}  // namespace tessera::cmd
