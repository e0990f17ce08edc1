// `tessera ctl`: key-value commands against a cluster, through the native API.
//
//   tessera ctl --endpoints 127.0.0.1:20160,127.0.0.1:20161 put KEY VALUE
//   tessera ctl ... get KEY [--consistency strong|follower|stale]
//   tessera ctl ... delete KEY
//   tessera ctl ... scan [START [END]] [--limit N] [--reverse] [--keys-only]
//
// Until the placement driver exists, every request goes to shard 1 (the static bootstrap's
// whole key space); NotLeader answers are followed to the leader. Exit codes: 0 success, 1 an
// error (printed with its type), 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tessera::cmd {

struct CtlFlags {
  std::string endpoints = "127.0.0.1:20160";
  int timeout_ms = 10000;
  std::string consistency = "strong";
  uint32_t limit = 100;
  bool reverse = false, keys_only = false;
  std::string key, value, start, end;
  CLI::App *put = nullptr, *get = nullptr, *del = nullptr, *scan = nullptr;
};

CLI::App* AddCtlCommand(CLI::App* app, CtlFlags* flags);
int RunCtl(const CtlFlags& flags);

}  // namespace tessera::cmd
