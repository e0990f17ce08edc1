// KV.Put and KV.DeleteRange over gRPC: revisions, versions, prev_kv, the ignore flags, leases,
// deletes across shards, and bad input.
#include <gtest/gtest.h>

#include "etcd/test_util.h"

namespace tessera::etcd::test {
namespace {

const std::string kZero(1, '\0');

pb::PutRequest PutReq(const std::string& key, const std::string& value) {
  pb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  return req;
}

using PutTest = EtcdTest;

TEST_F(PutTest, RevisionsAndVersionsEvolveAsEtcds) {
  const int64_t r1 = h_.MustPut("k", "v1").header().revision();
  auto kv = h_.MustGet("k").kvs(0);
  EXPECT_EQ(kv.create_revision(), r1);
  EXPECT_EQ(kv.mod_revision(), r1);
  EXPECT_EQ(kv.version(), 1);

  const int64_t r2 = h_.MustPut("k", "v2").header().revision();
  EXPECT_GT(r2, r1);
  kv = h_.MustGet("k").kvs(0);
  EXPECT_EQ(kv.create_revision(), r1);
  EXPECT_EQ(kv.mod_revision(), r2);
  EXPECT_EQ(kv.version(), 2);

  pb::DeleteRangeRequest del;
  del.set_key("k");
  pb::DeleteRangeResponse dresp;
  ASSERT_TRUE(h_.DeleteRange(del, &dresp).ok());
  EXPECT_EQ(dresp.deleted(), 1);
  const int64_t r3 = dresp.header().revision();
  EXPECT_GT(r3, r2);

  const int64_t r4 = h_.MustPut("k", "v3").header().revision();
  EXPECT_GT(r4, r3);
  kv = h_.MustGet("k").kvs(0);
  EXPECT_EQ(kv.create_revision(), r4);  // a new life: version starts again
  EXPECT_EQ(kv.version(), 1);
}

TEST_F(PutTest, PrevKv) {
  auto req = PutReq("k", "v1");
  req.set_prev_kv(true);
  pb::PutResponse resp;
  ASSERT_TRUE(h_.Put(req, &resp).ok());
  EXPECT_FALSE(resp.has_prev_kv());
  req.set_value("v2");
  ASSERT_TRUE(h_.Put(req, &resp).ok());
  ASSERT_TRUE(resp.has_prev_kv());
  EXPECT_EQ(resp.prev_kv().value(), "v1");
  EXPECT_EQ(resp.prev_kv().version(), 1);
  EXPECT_EQ(resp.header().cluster_id(), 0x1000u);
  EXPECT_EQ(resp.header().member_id(), 1u);
}

TEST_F(PutTest, IgnoreValueAndIgnoreLease) {
  pb::PutRequest req;
  req.set_key("k");
  req.set_ignore_value(true);
  pb::PutResponse resp;
  grpc::Status st = h_.Put(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: key not found");

  h_.MustPut("k", "kept");
  req.set_prev_kv(true);
  ASSERT_TRUE(h_.Put(req, &resp).ok());
  EXPECT_EQ(resp.prev_kv().value(), "kept");
  auto kv = h_.MustGet("k").kvs(0);
  EXPECT_EQ(kv.value(), "kept");
  EXPECT_EQ(kv.version(), 2);
  EXPECT_EQ(kv.mod_revision(), resp.header().revision());

  req.set_value("x");  // a value with ignore_value
  st = h_.Put(req, &resp);
  EXPECT_EQ(st.error_message(), "etcdserver: value is provided");

  auto lease = PutReq("k", "new");
  lease.set_ignore_lease(true);
  ASSERT_TRUE(h_.Put(lease, &resp).ok());
  EXPECT_EQ(h_.MustGet("k").kvs(0).value(), "new");
  lease.set_lease(5);
  st = h_.Put(lease, &resp);
  EXPECT_EQ(st.error_message(), "etcdserver: lease is provided");
}

TEST_F(PutTest, LeasesAreNotSupported) {
  auto req = PutReq("k", "v");
  req.set_lease(42);
  pb::PutResponse resp;
  grpc::Status st = h_.Put(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "etcdserver: requested lease not found");
  EXPECT_EQ(h_.MustGet("k").kvs_size(), 0);
}

TEST_F(PutTest, BadInput) {
  pb::PutResponse resp;
  grpc::Status st = h_.Put(PutReq("", "v"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: key is not provided");
  st = h_.Put(PutReq(std::string(600, 'k'), "v"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: request is too large");
  st = h_.Put(PutReq("k", std::string(2 << 20, 'v')), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: request is too large");
  h_.MustPut("k", "still serving");
}

using DeleteTest = EtcdTest;

TEST_F(DeleteTest, PrevKvsAndCount) {
  for (const char* k : {"a", "b", "c", "d"}) h_.MustPut(k, std::string("v") + k);
  pb::DeleteRangeRequest req;
  req.set_key("b");
  req.set_range_end("d");
  req.set_prev_kv(true);
  pb::DeleteRangeResponse resp;
  ASSERT_TRUE(h_.DeleteRange(req, &resp).ok());
  EXPECT_EQ(resp.deleted(), 2);
  ASSERT_EQ(resp.prev_kvs_size(), 2);
  EXPECT_EQ(resp.prev_kvs(0).key(), "b");
  EXPECT_EQ(resp.prev_kvs(1).value(), "vc");
  EXPECT_EQ(Keys(h_.MustRange(Harness::RangeOf(kZero, kZero))),
            (std::vector<std::string>{"a", "d"}));

  req.set_key("a");
  req.set_range_end(kZero);
  req.set_prev_kv(false);
  ASSERT_TRUE(h_.DeleteRange(req, &resp).ok());
  EXPECT_EQ(resp.deleted(), 2);
  EXPECT_EQ(resp.prev_kvs_size(), 0);
}

TEST_F(DeleteTest, MissingKeyInvertedRangeAndEmptyKey) {
  h_.MustPut("b", "v");
  pb::DeleteRangeRequest req;
  req.set_key("zz");
  pb::DeleteRangeResponse resp;
  ASSERT_TRUE(h_.DeleteRange(req, &resp).ok());
  EXPECT_EQ(resp.deleted(), 0);
  req.set_key("c");
  req.set_range_end("a");  // inverted: deletes nothing, as etcd
  ASSERT_TRUE(h_.DeleteRange(req, &resp).ok());
  EXPECT_EQ(resp.deleted(), 0);
  EXPECT_GT(resp.header().revision(), 0);
  EXPECT_EQ(h_.MustGet("b").kvs_size(), 1);
  req.set_key("");
  grpc::Status st = h_.DeleteRange(req, &resp);
  EXPECT_EQ(st.error_message(), "etcdserver: key is not provided");
}

TEST(DeleteAcrossShardsTest, GoesShardByShard) {
  MemoryBackend backend({"m"});
  Harness h(&backend);
  for (const char* k : {"a", "b", "x", "y"}) h.MustPut(k, "v");
  pb::DeleteRangeRequest req;
  req.set_key("b");
  req.set_range_end("y");
  pb::DeleteRangeResponse resp;
  ASSERT_TRUE(h.DeleteRange(req, &resp).ok());
  EXPECT_EQ(resp.deleted(), 2);
  EXPECT_EQ(resp.header().revision(), std::max(backend.ShardRevision(0), backend.ShardRevision(1)));
  EXPECT_EQ(Keys(h.MustRange(Harness::RangeOf(kZero, kZero))),
            (std::vector<std::string>{"a", "y"}));
}

}  // namespace
}  // namespace tessera::etcd::test
