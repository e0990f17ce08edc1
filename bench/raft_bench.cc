// raft_bench: throughput of the Raft core alone (no I/O, no threads): committed entries per second
// through 3-voter groups driven by one thread, with messages delivered in memory and
// MemoryStorage as the "disk". See docs/benchmarks.md for results and how to read them.
//
// Each benchmark iteration is one round: every group's leader gets `batch` new entries (one
// ProposeBatch call when batched, `batch` Propose calls otherwise), then every node handles its
// Ready once and its messages are delivered. Rounds pipeline: commits trail proposals by a round
// or two, as they would in a node's worker loop.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "common/assert.h"
#include "common/random.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"

namespace tessera::raft {
namespace {

struct BenchNode {
  MemoryStorage storage;
  std::unique_ptr<SeededRandom> rng;
  std::unique_ptr<RawNode> node;
};

class Group {
 public:
  explicit Group(uint64_t seed) {
    ConfState cs;
    cs.voters = {NodeId(1), NodeId(2), NodeId(3)};
    for (int i = 0; i < 3; ++i) {
      auto& n = nodes_[i];
      n.storage.SetConfState(cs);
      n.rng = std::make_unique<SeededRandom>(seed * 3 + i);
      Config c;
      c.id = NodeId(i + 1);
      c.storage = &n.storage;
      c.random = n.rng.get();
      c.max_inflight_msgs = 1024;
      c.max_uncommitted_entries_bytes = 0;
      auto r = RawNode::Create(c);
      TESSERA_ASSERT(r.ok(), "RawNode::Create");
      n.node = std::move(r).value();
    }
    nodes_[0].node->Campaign();
    for (int i = 0; i < 50 && leader() == nullptr; ++i) Round();
    TESSERA_ASSERT(leader() != nullptr, "no leader elected");
    committed_ = 0;
  }

  RawNode* leader() {
    for (auto& n : nodes_) {
      if (n.node->soft_state().role == StateRole::kLeader) return n.node.get();
    }
    return nullptr;
  }

  // Handles every node's Ready once and delivers the messages.
  void Round() {
    for (auto& n : nodes_) {
      if (!n.node->HasReady()) continue;
      Ready rd = n.node->GetReady();
      for (auto& m : rd.messages) inbox_.push_back(std::move(m));
      if (rd.snapshot) (void)n.storage.ApplySnapshot(*rd.snapshot);
      if (!rd.entries.empty()) n.storage.Append(rd.entries);
      if (rd.hard_state) n.storage.SetHardState(*rd.hard_state);
      for (auto& m : rd.persisted_messages) inbox_.push_back(std::move(m));
      if (n.node.get() == leader_cache_) committed_ += rd.committed_entries.size();
      n.node->Advance();
    }
    std::vector<Message> batch;
    batch.swap(inbox_);
    for (auto& m : batch) (void)nodes_[m.to.value() - 1].node->Step(std::move(m));
    // Keep the logs bounded: compact what every node has applied.
    if (++rounds_ % 64 == 0) Compact();
  }

  void Propose(const std::string& payload, int batch, bool batched) {
    if (leader_cache_ == nullptr) leader_cache_ = leader();
    if (batched) {
      std::vector<std::string> data(static_cast<size_t>(batch), payload);
      (void)leader_cache_->ProposeBatch(std::move(data));
    } else {
      for (int i = 0; i < batch; ++i) (void)leader_cache_->Propose(payload);
    }
  }

  uint64_t committed() const { return committed_; }

 private:
  void Compact() {
    for (auto& n : nodes_) {
      const LogIndex applied = n.node->GetStatus().applied;
      if (applied > n.storage.FirstIndex()) (void)n.storage.Compact(applied);
    }
  }

  BenchNode nodes_[3];
  std::vector<Message> inbox_;
  RawNode* leader_cache_ = nullptr;
  uint64_t committed_ = 0;
  uint64_t rounds_ = 0;
};

// Args: groups, entry bytes, entries per round per group, batched (1) or not (0).
void BM_Commit(benchmark::State& state) {
  const auto groups = static_cast<int>(state.range(0));
  const std::string payload(static_cast<size_t>(state.range(1)), 'x');
  const auto batch = static_cast<int>(state.range(2));
  const bool batched = state.range(3) != 0;
  std::vector<std::unique_ptr<Group>> gs;
  for (int g = 0; g < groups; ++g) gs.push_back(std::make_unique<Group>(g + 1));
  for (auto _ : state) {
    for (auto& g : gs) g->Propose(payload, batch, batched);
    for (auto& g : gs) g->Round();
  }
  uint64_t committed = 0;
  for (auto& g : gs) committed += g->committed();
  state.counters["entries_per_sec"] =
      benchmark::Counter(static_cast<double>(committed), benchmark::Counter::kIsRate);
  state.counters["groups"] = groups;
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"groups", "bytes", "batch", "batched"});
  for (int groups : {1, 64}) {
    for (int bytes : {64, 1024}) {
      for (int batched : {1, 0}) b->Args({groups, bytes, 64, batched});
    }
  }
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Commit)->Apply(Args);

}  // namespace
}  // namespace tessera::raft

BENCHMARK_MAIN();
