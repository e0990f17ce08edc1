// Unit tests for config.cc: Validate() rejects each bad field with InvalidArgument naming it.
#include "raft/config.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/random.h"
#include "raft/memory_storage.h"

namespace tessera::raft {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  Config Valid() {
    Config c;
    c.id = NodeId(1);
    c.storage = &storage_;
    c.random = &random_;
    return c;
  }

  MemoryStorage storage_;
  SeededRandom random_{1};
};

TEST_F(ConfigTest, DefaultsWithIdStorageAndRandomAreValid) {
  const Config c = Valid();
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  EXPECT_EQ(c.EffectiveLeaseTicks(), 8);  // election_ticks - 2
}

TEST_F(ConfigTest, RejectsEachBadField) {
  struct Case {
    const char* name;
    std::function<void(Config&)> mutate;
    const char* error;  // a substring of the message
  };
  const Case cases[] = {
      {"id 0", [](Config& c) { c.id = NodeId(0); }, "id must not be zero"},
      {"heartbeat 0", [](Config& c) { c.heartbeat_ticks = 0; }, "heartbeat_ticks"},
      {"heartbeat < 0", [](Config& c) { c.heartbeat_ticks = -1; }, "heartbeat_ticks"},
      {"election == heartbeat",
       [](Config& c) {
         c.heartbeat_ticks = 3;
         c.election_ticks = 3;
       },
       "election_ticks must be greater"},
      {"election < heartbeat",
       [](Config& c) {
         c.heartbeat_ticks = 5;
         c.election_ticks = 4;
       },
       "election_ticks must be greater"},
      {"lease == election", [](Config& c) { c.lease_ticks = 10; }, "lease_ticks"},
      {"lease > election", [](Config& c) { c.lease_ticks = 11; }, "lease_ticks"},
      {"lease < 0", [](Config& c) { c.lease_ticks = -1; }, "lease_ticks"},
      {"lease reads without check_quorum",
       [](Config& c) {
         c.read_only_option = ReadOnlyOption::kLeaseBased;
         c.check_quorum = false;
       },
       "check_quorum"},
      {"null storage", [](Config& c) { c.storage = nullptr; }, "storage"},
      {"null random", [](Config& c) { c.random = nullptr; }, "random"},
      {"inflight 0", [](Config& c) { c.max_inflight_msgs = 0; }, "max_inflight_msgs"},
      {"inflight < 0", [](Config& c) { c.max_inflight_msgs = -3; }, "max_inflight_msgs"},
      {"inflight bytes < msg bytes",
       [](Config& c) {
         c.max_msg_bytes = 1000;
         c.max_inflight_bytes = 999;
       },
       "max_inflight_bytes"},
  };
  for (const Case& c : cases) {
    Config cfg = Valid();
    c.mutate(cfg);
    const Status st = cfg.Validate();
    EXPECT_TRUE(st.Is(Status::Code::kInvalidArgument)) << c.name << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.error), std::string_view::npos)
        << c.name << ": " << st.ToString();
  }
}

TEST_F(ConfigTest, AcceptsBoundaryValues) {
  struct Case {
    const char* name;
    std::function<void(Config&)> mutate;
  };
  const Case cases[] = {
      {"election = heartbeat + 1",
       [](Config& c) {
         c.heartbeat_ticks = 3;
         c.election_ticks = 4;
       }},
      {"lease = election - 1", [](Config& c) { c.lease_ticks = 9; }},
      {"lease 1", [](Config& c) { c.lease_ticks = 1; }},
      {"lease reads with check_quorum",
       [](Config& c) { c.read_only_option = ReadOnlyOption::kLeaseBased; }},
      {"inflight bytes == msg bytes",
       [](Config& c) {
         c.max_msg_bytes = 1000;
         c.max_inflight_bytes = 1000;
       }},
      {"inflight bytes unlimited", [](Config& c) { c.max_inflight_bytes = 0; }},
      {"inflight 1", [](Config& c) { c.max_inflight_msgs = 1; }},
      {"election 2", [](Config& c) { c.election_ticks = 2; }},  // default lease is then 1
      {"no check_quorum with safe reads", [](Config& c) { c.check_quorum = false; }},
  };
  for (const Case& c : cases) {
    Config cfg = Valid();
    c.mutate(cfg);
    EXPECT_TRUE(cfg.Validate().ok()) << c.name << ": " << cfg.Validate().ToString();
  }
}

TEST_F(ConfigTest, EffectiveLeaseTicks) {
  Config c = Valid();
  c.lease_ticks = 4;
  EXPECT_EQ(c.EffectiveLeaseTicks(), 4);
  c.lease_ticks = 0;
  c.election_ticks = 3;
  EXPECT_EQ(c.EffectiveLeaseTicks(), 1);
  c.election_ticks = 2;
  EXPECT_EQ(c.EffectiveLeaseTicks(), 1);
  c.election_ticks = 20;
  EXPECT_EQ(c.EffectiveLeaseTicks(), 18);
}

}  // namespace
}  // namespace tessera::raft
