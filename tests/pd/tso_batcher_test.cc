// The timestamp batcher against a real PD member over gRPC (label "pd"): many threads asking for
// one timestamp at a time get unique, per-thread increasing timestamps from far fewer requests,
// and a PD that is gone fails every waiting caller with an error instead of hanging them.
#include "pd/tso_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "pd_test_cluster.h"

namespace tessera::testing {
namespace {

TEST(TimestampBatcherTest, ManyThreadsGetUniqueIncreasingTimestampsFromFewRequests) {
  PdClusterOptions o;
  o.nodes = 0;
  PdTestCluster c(o);
  pd::TimestampBatcher batcher(&c.pd());
  constexpr int kThreads = 16, kEach = 300;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto ts = batcher.Get();
        ASSERT_TRUE(ts.ok()) << ts.status().ToString();
        got[t].push_back(*ts);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<uint64_t> all;
  for (const auto& g : got) {
    ASSERT_EQ(g.size(), static_cast<size_t>(kEach));
    EXPECT_TRUE(std::is_sorted(g.begin(), g.end()));
    EXPECT_EQ(std::adjacent_find(g.begin(), g.end()), g.end()) << "a thread got one twice";
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a timestamp went twice";
  // Callers that arrived while a request was in flight shared the next one.
  EXPECT_LT(batcher.requests(), static_cast<uint64_t>(kThreads * kEach));
  // Later timestamps from the oracle are larger than every one handed out.
  auto after = c.pd().GetTimestamps(1);
  ASSERT_TRUE(after.ok());
  EXPECT_GT(*after, all.back());
}

TEST(TimestampBatcherTest, APdThatIsGoneFailsTheCallersWithAnError) {
  PdClusterOptions o;
  o.nodes = 0;
  PdTestCluster c(o);
  pd::PdClientOptions co;
  co.endpoints = {c.pd_address(1)};
  co.call_deadline_ms = 1000;
  pd::PdClient client(co);
  pd::TimestampBatcher batcher(&client);
  ASSERT_TRUE(batcher.Get().ok());
  c.StopPd(1);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      if (!batcher.Get().ok()) ++failed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 4);
}

}  // namespace
}  // namespace tessera::testing
