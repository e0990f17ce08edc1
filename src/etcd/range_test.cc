// KV.Range over gRPC: every option of etcd's RangeRequest against a MemoryBackend.
#include <gtest/gtest.h>

#include "etcd/test_util.h"

namespace tessera::etcd::test {
namespace {

using V = std::vector<std::string>;
const std::string kZero(1, '\0');

class RangeTest : public EtcdTest {
 protected:
  void SetUp() override {
    // Versions: a 1, b 3, c 2; created in order b, c, a; last modified: b, c, a.
    h_.MustPut("b", "vb1");
    h_.MustPut("c", "vc1");
    h_.MustPut("b", "vb2");
    h_.MustPut("b", "vb3");
    h_.MustPut("c", "vc2");
    h_.MustPut("a", "va1");
    h_.MustPut("z", "vz1");  // outside the prefix tests' ranges
  }
};

TEST_F(RangeTest, SingleKeyAndMissingKey) {
  auto resp = h_.MustGet("b");
  ASSERT_EQ(resp.kvs_size(), 1);
  EXPECT_EQ(resp.kvs(0).value(), "vb3");
  EXPECT_EQ(resp.kvs(0).version(), 3);
  EXPECT_EQ(resp.count(), 1);
  EXPECT_FALSE(resp.more());
  EXPECT_EQ(resp.header().revision(), backend_.ShardRevision(0));
  auto missing = h_.MustGet("nope");
  EXPECT_EQ(missing.kvs_size(), 0);
  EXPECT_EQ(missing.count(), 0);
}

TEST_F(RangeTest, PrefixFromKeyAndAllKeys) {
  EXPECT_EQ(Keys(h_.MustRange(Harness::RangeOf("a", "d"))), (V{"a", "b", "c"}));
  EXPECT_EQ(Keys(h_.MustRange(Harness::RangeOf("b", kZero))), (V{"b", "c", "z"}));
  EXPECT_EQ(Keys(h_.MustRange(Harness::RangeOf(kZero, kZero))), (V{"a", "b", "c", "z"}));
}

TEST_F(RangeTest, LimitMoreAndCount) {
  auto req = Harness::RangeOf(kZero, kZero);
  req.set_limit(2);
  auto resp = h_.MustRange(req);
  EXPECT_EQ(Keys(resp), (V{"a", "b"}));
  EXPECT_TRUE(resp.more());
  EXPECT_EQ(resp.count(), 4);
  req.set_limit(4);
  resp = h_.MustRange(req);
  EXPECT_FALSE(resp.more());
  EXPECT_EQ(resp.count(), 4);
}

TEST_F(RangeTest, KeysOnlyAndCountOnly) {
  auto req = Harness::RangeOf("a", "d");
  req.set_keys_only(true);
  auto resp = h_.MustRange(req);
  ASSERT_EQ(resp.kvs_size(), 3);
  for (const auto& kv : resp.kvs()) {
    EXPECT_TRUE(kv.value().empty());
    EXPECT_GT(kv.mod_revision(), 0);
  }
  req.set_keys_only(false);
  req.set_count_only(true);
  resp = h_.MustRange(req);
  EXPECT_EQ(resp.kvs_size(), 0);
  EXPECT_EQ(resp.count(), 3);
  EXPECT_FALSE(resp.more());
}

TEST_F(RangeTest, SortByKey) {
  auto req = Harness::RangeOf("a", "d");
  req.set_sort_order(pb::RangeRequest::DESCEND);
  EXPECT_EQ(Keys(h_.MustRange(req)), (V{"c", "b", "a"}));
  req.set_limit(2);
  auto resp = h_.MustRange(req);
  EXPECT_EQ(Keys(resp), (V{"c", "b"}));  // the last keys, as etcd
  EXPECT_TRUE(resp.more());
  EXPECT_EQ(resp.count(), 3);
  req.set_sort_order(pb::RangeRequest::ASCEND);
  EXPECT_EQ(Keys(h_.MustRange(req)), (V{"a", "b"}));
}

TEST_F(RangeTest, SortByOtherTargets) {
  auto req = Harness::RangeOf("a", "d");
  struct Case {
    pb::RangeRequest::SortTarget target;
    pb::RangeRequest::SortOrder order;
    V keys;
  };
  const Case cases[] = {
      {pb::RangeRequest::VERSION, pb::RangeRequest::ASCEND, {"a", "c", "b"}},
      {pb::RangeRequest::VERSION, pb::RangeRequest::DESCEND, {"b", "c", "a"}},
      {pb::RangeRequest::VERSION, pb::RangeRequest::NONE, {"a", "c", "b"}},  // NONE: ascending
      {pb::RangeRequest::CREATE, pb::RangeRequest::ASCEND, {"b", "c", "a"}},
      {pb::RangeRequest::CREATE, pb::RangeRequest::DESCEND, {"a", "c", "b"}},
      {pb::RangeRequest::MOD, pb::RangeRequest::ASCEND, {"b", "c", "a"}},
      {pb::RangeRequest::MOD, pb::RangeRequest::DESCEND, {"a", "c", "b"}},
      {pb::RangeRequest::VALUE, pb::RangeRequest::ASCEND, {"a", "b", "c"}},
      {pb::RangeRequest::VALUE, pb::RangeRequest::DESCEND, {"c", "b", "a"}},
  };
  for (const Case& c : cases) {
    req.set_sort_target(c.target);
    req.set_sort_order(c.order);
    req.set_limit(0);
    EXPECT_EQ(Keys(h_.MustRange(req)), c.keys) << c.target << " " << c.order;
    // The limit applies after sorting; count stays the range's.
    req.set_limit(1);
    auto resp = h_.MustRange(req);
    EXPECT_EQ(Keys(resp), V{c.keys.front()});
    EXPECT_TRUE(resp.more());
    EXPECT_EQ(resp.count(), 3);
  }
  // Sorting by value with keys_only still sorts by value, and sends no value.
  req.set_sort_target(pb::RangeRequest::VALUE);
  req.set_sort_order(pb::RangeRequest::DESCEND);
  req.set_limit(0);
  req.set_keys_only(true);
  auto resp = h_.MustRange(req);
  EXPECT_EQ(Keys(resp), (V{"c", "b", "a"}));
  EXPECT_TRUE(resp.kvs(0).value().empty());
}

TEST_F(RangeTest, RevisionFilters) {
  const auto b = h_.MustGet("b").kvs(0);
  const auto c = h_.MustGet("c").kvs(0);
  auto req = Harness::RangeOf("a", "d");
  req.set_min_mod_revision(c.mod_revision());
  EXPECT_EQ(Keys(h_.MustRange(req)), (V{"a", "c"}));
  req.clear_min_mod_revision();
  req.set_max_mod_revision(c.mod_revision());
  EXPECT_EQ(Keys(h_.MustRange(req)), (V{"b", "c"}));
  req.clear_max_mod_revision();
  req.set_min_create_revision(c.create_revision());
  EXPECT_EQ(Keys(h_.MustRange(req)), (V{"a", "c"}));
  req.clear_min_create_revision();
  req.set_max_create_revision(b.create_revision());
  auto resp = h_.MustRange(req);
  EXPECT_EQ(Keys(resp), (V{"b"}));
  EXPECT_EQ(resp.count(), 3);  // count ignores the filters, as etcd
  // With a limit: filtered first, then cut.
  req.clear_max_create_revision();
  req.set_min_mod_revision(c.mod_revision());
  req.set_limit(1);
  resp = h_.MustRange(req);
  EXPECT_EQ(Keys(resp), (V{"a"}));
  EXPECT_TRUE(resp.more());
}

TEST_F(RangeTest, BinaryKeysWithZeroBytes) {
  const std::string k1 = std::string("p\0a", 3), k2 = std::string("p\0\0", 3);
  const std::string v = std::string("\0v\0", 3);
  h_.MustPut(k1, v);
  h_.MustPut(k2, v);
  auto resp = h_.MustRange(Harness::RangeOf(std::string("p\0", 2), std::string("p\1", 2)));
  EXPECT_EQ(Keys(resp), (V{k2, k1}));
  EXPECT_EQ(resp.kvs(0).value(), v);
  EXPECT_EQ(h_.MustGet(k1).kvs(0).key(), k1);
}

TEST_F(RangeTest, InvertedRangeIsEmpty) {
  for (const char* end : {"a", "0"}) {
    auto resp = h_.MustRange(Harness::RangeOf("b", end));
    EXPECT_EQ(resp.kvs_size(), 0);
    EXPECT_EQ(resp.count(), 0);
    EXPECT_GT(resp.header().revision(), 0);
  }
}

TEST_F(RangeTest, RevisionWithoutHistory) {
  const int64_t now = h_.MustGet("a").header().revision();
  auto req = Harness::RangeOf("a");
  req.set_revision(now);
  EXPECT_EQ(h_.MustRange(req).kvs_size(), 1);
  pb::RangeResponse resp;
  req.set_revision(now - 1);
  grpc::Status st = h_.Range(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(st.error_message(), "etcdserver: mvcc: required revision has been compacted");
  req.set_revision(now + 1);
  st = h_.Range(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(st.error_message(), "etcdserver: mvcc: required revision is a future revision");
}

TEST_F(RangeTest, EmptyKeyAndBadSortAreRefused) {
  pb::RangeResponse resp;
  grpc::Status st = h_.Range(Harness::RangeOf("", "z"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: key is not provided");
  auto req = Harness::RangeOf("a");
  req.set_sort_order(static_cast<pb::RangeRequest::SortOrder>(7));
  EXPECT_EQ(h_.Range(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RangeTest, SerializableReads) {
  auto req = Harness::RangeOf("a");
  req.set_serializable(true);
  EXPECT_EQ(h_.MustRange(req).kvs(0).value(), "va1");
}

}  // namespace
}  // namespace tessera::etcd::test
