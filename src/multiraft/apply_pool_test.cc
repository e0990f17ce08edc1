#include "multiraft/apply_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace tessera::multiraft {
namespace {

// A replica's entries go to one lane: its jobs must run in the order submitted.
TEST(ApplyPoolTest, ThreadedLaneRunsJobsInOrderAndFlushWaitsForThem) {
  ApplyPool pool(2);
  pool.Start();
  std::mutex mu;
  std::vector<int> lane0, lane1;
  for (int i = 0; i < 1000; ++i) {
    pool.Submit(0, [&, i] {
      std::lock_guard<std::mutex> lock(mu);
      lane0.push_back(i);
    });
    pool.Submit(1, [&, i] {
      std::lock_guard<std::mutex> lock(mu);
      lane1.push_back(i);
    });
  }
  pool.Flush(0);
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(lane0.size(), 1000u);  // everything submitted to lane 0 before Flush ran
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(lane0[i], i);
  }
  pool.Stop();
  ASSERT_EQ(lane1.size(), 1000u);  // Stop runs what is queued
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(lane1[i], i);
}

// Polled mode (the simulator): nothing runs until asked, then on the caller, in order.
TEST(ApplyPoolTest, PolledJobsWaitForRunPendingOrFlush) {
  ApplyPool pool(2);
  std::vector<int> ran;
  pool.Submit(0, [&] { ran.push_back(1); });
  pool.Submit(3, [&] { ran.push_back(2); });  // lane 3 % 2 = 1
  pool.Submit(0, [&] { ran.push_back(3); });
  EXPECT_TRUE(ran.empty());
  EXPECT_TRUE(pool.pending());
  pool.Flush(0);  // lane 0 only
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  EXPECT_TRUE(pool.RunPending());
  EXPECT_EQ(ran, (std::vector<int>{1, 3, 2}));
  EXPECT_FALSE(pool.pending());
  EXPECT_FALSE(pool.RunPending());
}

// A job answers requests: after Stop it still runs (on the caller) instead of being dropped.
TEST(ApplyPoolTest, JobsSubmittedAfterStopRunAtOnce) {
  ApplyPool pool(1);
  pool.Start();
  pool.Stop();
  bool ran = false;
  pool.Submit(0, [&] { ran = true; });
  EXPECT_TRUE(ran);
  pool.Flush(0);  // returns: nothing is left
}

}  // namespace
}  // namespace tessera::multiraft
