// The typed errors of the native API as they cross the wire.
#include "server/kv_handler.h"

#include <gtest/gtest.h>

namespace tessera::server {
namespace {

// A message quoting a binary key (an etcd key under 0xFF 'e') must still parse on the client:
// protobuf refuses a `string` field that is not valid UTF-8, and the client then sees a broken
// response instead of a KeyNotInShard it would retry.
TEST(ToProtoErrorTest, MessagesQuotingBinaryKeysStayParsable) {
  const std::string key =
      "\xff"
      "e/perf/\x80\x01";
  for (const Status& s : {Status::KeyNotInShard("key " + key + " is not in shard 7"),
                          Status::InvalidArgument("key too large: " + key),
                          Status::ProposalDropped("dropped " + key), Status::Busy(key)}) {
    v1::GetResponse resp;
    ToProtoError(s, {}, ShardId(7), resp.mutable_error());
    std::string wire;
    ASSERT_TRUE(resp.SerializeToString(&wire));
    v1::GetResponse back;
    ASSERT_TRUE(back.ParseFromString(wire)) << s.ToString();
    EXPECT_NE(back.error().message().find("\\xffe/perf/\\x80"), std::string::npos)
        << back.error().message();
    EXPECT_NE(back.error().kind_case(), v1::Error::KIND_NOT_SET);
  }
}

TEST(ToProtoErrorTest, EachStatusGetsItsKind) {
  multiraft::RouteHint hint;
  hint.leader = NodeId(3);
  v1::Error e;
  ToProtoError(Status::NotLeader("x"), hint, ShardId(7), &e);
  EXPECT_EQ(e.not_leader().leader_node_id(), 3u);
  EXPECT_EQ(e.not_leader().shard_id(), 7u);
  e.Clear();
  ToProtoError(Status::Timeout("x"), {}, ShardId(7), &e);
  EXPECT_TRUE(e.has_timeout());
  e.Clear();
  ToProtoError(Status::InvalidArgument("bad"), {}, ShardId(7), &e);
  EXPECT_EQ(e.invalid_argument().message(), "bad");
  e.Clear();
  // Anything unexpected is a timeout: its outcome unknown to the client.
  ToProtoError(Status::IOError("disk"), {}, ShardId(7), &e);
  EXPECT_TRUE(e.has_timeout());
}

}  // namespace
}  // namespace tessera::server
