// idle_shards: what many idle shards cost a running cluster, and how fast one wakes up.
//
// Against a cluster started with `--initial-shards N` (bench/run_idle_shards.sh starts 3 nodes
// with 10,000 shards each): after --settle-s seconds (elections and hibernation), it measures for
// --idle-s seconds the CPU time each server process uses (/proc/<pid>/stat) and their resident
// memory at the end; then it wakes --wakes random shards one at a time, each by one Put sent to
// the first endpoint and redirected to the leader on NotLeader, and reports the latency from the
// first send to the acknowledgement (the wake-up included: every replica of the shard sleeps).
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/proc_stats.h"
#include "proto/kv.grpc.pb.h"
#include "server/bootstrap_keys.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// A key in bootstrapped shard i.
std::string ShardKey(uint64_t i) { return server::BootstrapShardStart(i) + "x"; }

// One Put to shard `shard` at epoch 0/0, redirected on NotLeader. Returns the latency in
// microseconds, or -1 on failure.
int64_t TimedPut(std::vector<std::unique_ptr<v1::Kv::Stub>>& stubs,
                 const std::vector<std::string>& endpoints, uint64_t shard) {
  v1::PutRequest req;
  req.mutable_header()->set_shard_id(shard);
  req.mutable_header()->mutable_epoch();
  req.set_key(ShardKey(shard));
  req.set_value("woken");
  const auto start = Clock::now();
  size_t at = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::PutResponse resp;
    const grpc::Status st = stubs[at]->Put(&ctx, req, &resp);
    if (st.ok() && !resp.has_error()) {
      return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    }
    if (st.ok() && resp.error().has_not_leader() &&
        resp.error().not_leader().leader_node_id() != 0) {
      at = (resp.error().not_leader().leader_node_id() - 1) % endpoints.size();
    } else {
      at = (at + 1) % endpoints.size();  // no hint, an error, or a node not answering
    }
  }
  return -1;
}

int Run(int argc, char** argv) {
  CLI::App app{"idle_shards: CPU and memory of idle shards, and the latency of waking one"};
  std::string endpoints_flag, pids_flag;
  uint64_t shards = 10000;
  int settle_s = 30, idle_s = 60, wakes = 20;
  app.add_option("--endpoints", endpoints_flag, "host:port of nodes 1, 2, 3, ... in id order")
      ->required();
  app.add_option("--server-pids", pids_flag, "Comma-separated server pids")->required();
  app.add_option("--shards", shards, "Shards the cluster was bootstrapped with");
  app.add_option("--settle-s", settle_s, "Seconds before measuring (elections, hibernation)");
  app.add_option("--idle-s", idle_s, "Measured idle seconds");
  app.add_option("--wakes", wakes, "Shards woken one at a time");
  CLI11_PARSE(app, argc, argv);
  const std::vector<std::string> endpoints = Split(endpoints_flag);
  std::vector<int> pids;
  for (const std::string& p : Split(pids_flag)) pids.push_back(std::stoi(p));
  std::vector<std::unique_ptr<v1::Kv::Stub>> stubs;
  for (const std::string& e : endpoints) {
    stubs.push_back(v1::Kv::NewStub(grpc::CreateChannel(e, grpc::InsecureChannelCredentials())));
  }

  std::printf("settling for %d s (elections of %llu shards, then hibernation)\n", settle_s,
              static_cast<unsigned long long>(shards));
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(settle_s));
  std::vector<int64_t> cpu0;
  for (int pid : pids) cpu0.push_back(ProcessCpuMicros(pid));
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(idle_s));
  const double wall_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  for (size_t i = 0; i < pids.size(); ++i) {
    const int64_t used = ProcessCpuMicros(pids[i]) - cpu0[i];
    std::printf("node %zu (pid %d): idle CPU %.2f%% of one core over %d s, RSS %.1f MiB\n", i + 1,
                pids[i], 100.0 * static_cast<double>(used) / wall_us, idle_s,
                static_cast<double>(ProcessRssBytes(pids[i])) / (1 << 20));
  }

  std::mt19937_64 rng(42);
  std::vector<int64_t> lat;
  int failed = 0;
  for (int i = 0; i < wakes; ++i) {
    const uint64_t shard = 1 + rng() % shards;
    const int64_t us = TimedPut(stubs, endpoints, shard);
    if (us < 0) {
      ++failed;
    } else {
      lat.push_back(us);
    }
  }
  std::sort(lat.begin(), lat.end());
  if (!lat.empty()) {
    auto pct = [&](double p) {
      return static_cast<double>(lat[std::min(
                 lat.size() - 1, static_cast<size_t>(p * static_cast<double>(lat.size())))]) /
             1000.0;
    };
    std::printf(
        "wake + write of a sleeping shard (%zu shards, redirect included): p50 %.1f ms, "
        "p90 %.1f ms, max %.1f ms; %d failed\n",
        lat.size(), pct(0.5), pct(0.9), static_cast<double>(lat.back()) / 1000.0, failed);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) { return tessera::bench::Run(argc, argv); }
