// Maintenance.Status and the response header every call carries.
#include <gtest/gtest.h>

#include "etcd/test_util.h"

namespace tessera::etcd::test {
namespace {

TEST(StatusTest, ReportsTheBackendsMemberStatus) {
  MemoryBackend backend;
  MemberStatus member;
  member.cluster_id = 77;
  member.member_id = 5;
  member.leader_id = 5;
  member.raft_term = 3;
  member.raft_index = 40;
  member.raft_applied_index = 39;
  member.version = "3.4.0";
  backend.SetMemberStatus(member);
  Harness h(&backend);
  h.MustPut("key", "value");

  pb::StatusResponse resp;
  grpc::Status st = h.maintenance()->Status(Harness::Context().get(), pb::StatusRequest(), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.version(), "3.4.0");
  EXPECT_EQ(resp.dbsize(), 8);
  EXPECT_EQ(resp.leader(), 5u);
  EXPECT_EQ(resp.raftindex(), 40u);
  EXPECT_EQ(resp.raftterm(), 3u);
  EXPECT_EQ(resp.raftappliedindex(), 39u);
  EXPECT_EQ(resp.header().cluster_id(), 77u);
  EXPECT_EQ(resp.header().member_id(), 5u);
  EXPECT_EQ(resp.header().raft_term(), 3u);
  EXPECT_EQ(resp.header().revision(), backend.ShardRevision(0));

  // A new term seen by Status shows in later headers.
  member.raft_term = 4;
  backend.SetMemberStatus(member);
  ASSERT_TRUE(h.maintenance()->Status(Harness::Context().get(), pb::StatusRequest(), &resp).ok());
  auto get = h.MustGet("key");
  EXPECT_EQ(get.header().raft_term(), 4u);
  EXPECT_EQ(get.header().cluster_id(), 77u);
  EXPECT_EQ(get.header().member_id(), 5u);
}

TEST(StatusTest, StartFailsWhenTheBackendCannotSayWhoItIs) {
  MemoryBackend backend;
  backend.FailNext(Status::Unavailable("no route"));
  EtcdServer server;
  EXPECT_TRUE(server.Start("127.0.0.1:0", &backend).Is(Status::Code::kUnavailable));
}

TEST(StatusTest, StartFailsOnABadAddress) {
  MemoryBackend backend;
  EtcdServer server;
  EXPECT_TRUE(server.Start("256.0.0.1:-5", &backend).Is(Status::Code::kIOError));
}

}  // namespace
}  // namespace tessera::etcd::test
