// snapshot_move: how long moving a shard's data to a new node by snapshot takes.
//
// Against a 4-node cluster bootstrapped with shard 1 on all four (bench/run_snapshot_move.sh):
// removes node 4 from shard 1 and waits until node 4 has destroyed its replica; loads --mib MiB
// of incompressible values into the shard (BatchPut through the leader); then adds node 4 back as
// a learner and measures the time until node 4 lists the shard again, which it does only once the
// snapshot (cut, sent in chunks at the default rate limit, verified, ingested) is installed.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proto/admin.grpc.pb.h"
#include "proto/kv.grpc.pb.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct NodeStubs {
  std::unique_ptr<v1::Kv::Stub> kv;
  std::unique_ptr<v1::Admin::Stub> admin;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Node `n`'s descriptor of shard 1, if it lists one.
std::optional<v1::ShardDescriptor> ShardOn(NodeStubs& n) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListShardsResponse resp;
  if (!n.admin->ListShards(&ctx, v1::ListShardsRequest{}, &resp).ok()) return std::nullopt;
  for (const auto& r : resp.replicas()) {
    if (r.shard().id() == 1) return r.shard();
  }
  return std::nullopt;
}

// Polls `pred` every 10 ms for up to `limit`; false on timeout.
template <typename Pred>
bool Await(Pred pred, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// Sends `change` to every node until the leader accepts it; returns the new descriptor.
std::optional<v1::ShardDescriptor> ChangeMembership(std::vector<NodeStubs>& nodes,
                                                    v1::MemberChangeType type, uint64_t node) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    for (NodeStubs& n : nodes) {
      auto d = ShardOn(n);
      if (!d) continue;
      v1::ChangeMembershipRequest req;
      req.mutable_header()->set_shard_id(1);
      *req.mutable_header()->mutable_epoch() = d->epoch();
      auto* c = req.add_changes();
      c->set_type(type);
      c->set_node_id(node);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::ChangeMembershipResponse resp;
      if (n.admin->ChangeMembership(&ctx, req, &resp).ok() && !resp.has_error()) {
        return resp.shard();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

int Run(int argc, char** argv) {
  CLI::App app{"snapshot_move: time to move a shard to a new node by snapshot"};
  std::string endpoints_flag;
  int mib = 64;
  app.add_option("--endpoints", endpoints_flag, "host:port of nodes 1 to 4, in id order")
      ->required();
  app.add_option("--mib", mib, "MiB of data in the shard");
  CLI11_PARSE(app, argc, argv);
  std::vector<NodeStubs> nodes;
  std::stringstream in(endpoints_flag);
  for (std::string e; std::getline(in, e, ',');) {
    auto ch = grpc::CreateChannel(e, grpc::InsecureChannelCredentials());
    nodes.push_back(NodeStubs{v1::Kv::NewStub(ch), v1::Admin::NewStub(ch)});
  }
  if (nodes.size() != 4) {
    std::fprintf(stderr, "snapshot_move: give 4 endpoints\n");
    return 2;
  }
  NodeStubs& fourth = nodes[3];
  if (!Await([&] { return ShardOn(nodes[0]).has_value(); }, std::chrono::seconds(30))) {
    std::fprintf(stderr, "snapshot_move: node 1 lists no shard 1\n");
    return 1;
  }
  if (!ChangeMembership(nodes, v1::MEMBER_CHANGE_REMOVE, 4) ||
      !Await([&] { return !ShardOn(fourth).has_value(); }, std::chrono::seconds(30))) {
    std::fprintf(stderr, "snapshot_move: could not remove node 4\n");
    return 1;
  }

  // The load: BatchPuts of 64 values of 1 KiB, to whichever node leads.
  std::mt19937_64 rng(7);
  std::string pool(1 << 20, '\0');
  for (char& c : pool) c = static_cast<char>(rng());
  const int kBatch = 64, kValue = 1024;
  const int batches = mib * (1 << 20) / (kBatch * kValue);
  size_t leader = 0;
  const auto load_start = Clock::now();
  for (int b = 0; b < batches;) {
    auto d = ShardOn(nodes[leader]);
    v1::BatchPutRequest req;
    req.mutable_header()->set_shard_id(1);
    if (d) *req.mutable_header()->mutable_epoch() = d->epoch();
    for (int i = 0; i < kBatch; ++i) {
      auto* kv = req.add_pairs();
      char key[32];
      std::snprintf(key, sizeof key, "move/%08d", b * kBatch + i);
      kv->set_key(key);
      kv->set_value(pool.substr(rng() % (pool.size() - kValue), kValue));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::BatchPutResponse resp;
    const grpc::Status st = nodes[leader].kv->BatchPut(&ctx, req, &resp);
    if (st.ok() && !resp.has_error()) {
      ++b;
    } else if (st.ok() && resp.error().has_not_leader() &&
               resp.error().not_leader().leader_node_id() != 0) {
      leader = (resp.error().not_leader().leader_node_id() - 1) % 3;
    } else {
      leader = (leader + 1) % 3;
    }
  }
  std::printf("loaded %d MiB (%d keys of %d B) in %.1f s\n", mib, batches * kBatch, kValue,
              Seconds(load_start));

  const auto start = Clock::now();
  auto added = ChangeMembership(nodes, v1::MEMBER_CHANGE_ADD_LEARNER, 4);
  if (!added) {
    std::fprintf(stderr, "snapshot_move: could not add node 4 back\n");
    return 1;
  }
  const double proposed = Seconds(start);
  if (!Await([&] { return ShardOn(fourth).has_value(); }, std::chrono::seconds(120))) {
    std::fprintf(stderr, "snapshot_move: node 4 did not get the shard within 120 s\n");
    return 1;
  }
  const double moved = Seconds(start);
  std::printf(
      "moved a %d MiB shard to a new node by snapshot in %.2f s (%.0f MiB/s; the "
      "membership change itself took %.3f s)\n",
      mib, moved, mib / moved, proposed);
  return 0;
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) { return tessera::bench::Run(argc, argv); }
