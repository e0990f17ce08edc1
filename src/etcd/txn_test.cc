// KV.Txn over gRPC: branches, every compare target (absent keys and ranges included), ops of a
// branch seeing the branch's earlier writes, etcd's request checks, and the one-shard limit.
#include <gtest/gtest.h>

#include "etcd/test_util.h"

namespace tessera::etcd::test {
namespace {

using C = pb::Compare;
using V = std::vector<std::string>;
const std::string kZero(1, '\0');

class TxnTest : public EtcdTest {
 protected:
  // Runs a txn of `compares` (success: a read of "k"); returns whether they held.
  bool Holds(std::vector<pb::Compare> compares) {
    pb::TxnRequest req;
    for (auto& c : compares) *req.add_compare() = std::move(c);
    *req.add_success() = GetOp("k");
    pb::TxnResponse resp;
    grpc::Status st = h_.Txn(req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.succeeded();
  }
  grpc::Status RunTxn(const pb::TxnRequest& req, pb::TxnResponse* resp) {
    return h_.Txn(req, resp);
  }
};

C WithVersion(C c, int64_t v) {
  c.set_version(v);
  return c;
}
C WithCreate(C c, int64_t v) {
  c.set_create_revision(v);
  return c;
}
C WithMod(C c, int64_t v) {
  c.set_mod_revision(v);
  return c;
}
C WithValue(C c, const std::string& v) {
  c.set_value(v);
  return c;
}
C WithEnd(C c, const std::string& end) {
  c.set_range_end(end);
  return c;
}

TEST_F(TxnTest, BranchesRunAtOneRevision) {
  h_.MustPut("k", "v1");
  pb::TxnRequest req;
  *req.add_compare() = WithValue(Cmp("k", C::VALUE, C::EQUAL), "v1");
  *req.add_success() = PutOp("k", "v2", /*prev_kv=*/true);
  *req.add_success() = PutOp("other", "x");
  *req.add_failure() = GetOp("k");
  pb::TxnResponse resp;
  ASSERT_TRUE(h_.Txn(req, &resp).ok());
  EXPECT_TRUE(resp.succeeded());
  ASSERT_EQ(resp.responses_size(), 2);
  EXPECT_EQ(resp.responses(0).response_put().prev_kv().value(), "v1");
  const int64_t rev = resp.header().revision();
  EXPECT_EQ(h_.MustGet("k").kvs(0).mod_revision(), rev);
  EXPECT_EQ(h_.MustGet("other").kvs(0).mod_revision(), rev);
  EXPECT_EQ(resp.header().member_id(), 1u);

  // Now the compare fails: the failure branch runs, nothing is written.
  ASSERT_TRUE(h_.Txn(req, &resp).ok());
  EXPECT_FALSE(resp.succeeded());
  ASSERT_EQ(resp.responses_size(), 1);
  EXPECT_EQ(resp.responses(0).response_range().kvs(0).value(), "v2");
  EXPECT_EQ(resp.header().revision(), rev);
}

TEST_F(TxnTest, CompareTargetsOnPresentKey) {
  h_.MustPut("k", "b");
  h_.MustPut("k", "b");  // version 2
  const auto kv = h_.MustGet("k").kvs(0);
  EXPECT_TRUE(Holds({WithVersion(Cmp("k", C::VERSION, C::EQUAL), 2)}));
  EXPECT_TRUE(Holds({WithVersion(Cmp("k", C::VERSION, C::GREATER), 1)}));
  EXPECT_FALSE(Holds({WithVersion(Cmp("k", C::VERSION, C::LESS), 2)}));
  EXPECT_TRUE(Holds({WithVersion(Cmp("k", C::VERSION, C::NOT_EQUAL), 3)}));
  EXPECT_TRUE(Holds({WithCreate(Cmp("k", C::CREATE, C::EQUAL), kv.create_revision())}));
  EXPECT_TRUE(Holds({WithCreate(Cmp("k", C::CREATE, C::LESS), kv.mod_revision())}));
  EXPECT_TRUE(Holds({WithMod(Cmp("k", C::MOD, C::EQUAL), kv.mod_revision())}));
  EXPECT_FALSE(Holds({WithMod(Cmp("k", C::MOD, C::GREATER), kv.mod_revision())}));
  EXPECT_TRUE(Holds({WithValue(Cmp("k", C::VALUE, C::GREATER), "a")}));
  EXPECT_TRUE(Holds({WithValue(Cmp("k", C::VALUE, C::LESS), "c")}));
  EXPECT_FALSE(Holds({WithValue(Cmp("k", C::VALUE, C::NOT_EQUAL), "b")}));
  EXPECT_TRUE(Holds({Cmp("k", C::LEASE, C::EQUAL)}));  // no lease: 0
  // A conjunction.
  EXPECT_FALSE(Holds({WithVersion(Cmp("k", C::VERSION, C::EQUAL), 2),
                      WithValue(Cmp("k", C::VALUE, C::EQUAL), "x")}));
}

TEST_F(TxnTest, CompareTargetsOnAbsentKey) {
  EXPECT_TRUE(Holds({WithVersion(Cmp("gone", C::VERSION, C::EQUAL), 0)}));
  EXPECT_TRUE(Holds({WithCreate(Cmp("gone", C::CREATE, C::EQUAL), 0)}));
  EXPECT_TRUE(Holds({WithMod(Cmp("gone", C::MOD, C::LESS), 1)}));
  // A value compare on an absent key always fails, whatever the operator.
  EXPECT_FALSE(Holds({WithValue(Cmp("gone", C::VALUE, C::EQUAL), "")}));
  EXPECT_FALSE(Holds({WithValue(Cmp("gone", C::VALUE, C::NOT_EQUAL), "x")}));
}

TEST_F(TxnTest, CompareOverRanges) {
  h_.MustPut("r/a", "1");
  h_.MustPut("r/b", "2");
  EXPECT_TRUE(Holds({WithVersion(WithEnd(Cmp("r/", C::VERSION, C::EQUAL), "r0"), 1)}));
  EXPECT_TRUE(Holds({WithValue(WithEnd(Cmp("r/", C::VALUE, C::GREATER), "r0"), "0")}));
  EXPECT_FALSE(Holds({WithValue(WithEnd(Cmp("r/", C::VALUE, C::EQUAL), "r0"), "1")}));
  EXPECT_TRUE(Holds({WithCreate(WithEnd(Cmp("r/", C::CREATE, C::GREATER), kZero), 0)}));
  // An empty range compares as one absent key; an inverted range too.
  EXPECT_TRUE(Holds({WithVersion(WithEnd(Cmp("s/", C::VERSION, C::EQUAL), "s0"), 0)}));
  EXPECT_FALSE(Holds({WithValue(WithEnd(Cmp("s/", C::VALUE, C::EQUAL), "s0"), "")}));
  EXPECT_TRUE(Holds({WithVersion(WithEnd(Cmp("r/b", C::VERSION, C::EQUAL), "r/a"), 0)}));
}

TEST_F(TxnTest, RangeSeesTheBranchsEarlierWrites) {
  h_.MustPut("p/a", "old");
  h_.MustPut("p/c", "c");
  const auto before = h_.MustGet("p/a").kvs(0);
  pb::TxnRequest req;
  *req.add_success() = GetOp("p/", "p0");  // before: a, c
  *req.add_success() = PutOp("p/a", "new");
  *req.add_success() = PutOp("p/b", "b");
  *req.add_success() = GetOp("p/", "p0");  // after the puts: a (new), b, c
  *req.add_success() = DelOp("p/c");
  pb::RequestOp limited = GetOp("p/", "p0");  // after the delete, limit 1, descending
  limited.mutable_request_range()->set_limit(1);
  limited.mutable_request_range()->set_sort_order(pb::RangeRequest::DESCEND);
  *req.add_success() = limited;
  *req.add_success() = GetOp("p/a");
  pb::TxnResponse resp;
  ASSERT_TRUE(RunTxn(req, &resp).ok());
  ASSERT_EQ(resp.responses_size(), 7);
  const int64_t rev = resp.header().revision();
  EXPECT_EQ(Keys(resp.responses(0).response_range()), (V{"p/a", "p/c"}));
  const auto& after = resp.responses(3).response_range();
  EXPECT_EQ(Keys(after), (V{"p/a", "p/b", "p/c"}));
  EXPECT_EQ(after.count(), 3);
  EXPECT_EQ(after.kvs(0).value(), "new");
  EXPECT_EQ(after.kvs(0).mod_revision(), rev);
  EXPECT_EQ(after.kvs(0).create_revision(), before.create_revision());
  EXPECT_EQ(after.kvs(0).version(), 2);
  EXPECT_EQ(after.kvs(1).create_revision(), rev);
  EXPECT_EQ(after.kvs(1).version(), 1);
  EXPECT_EQ(resp.responses(4).response_delete_range().deleted(), 1);
  const auto& last = resp.responses(5).response_range();
  EXPECT_EQ(Keys(last), (V{"p/b"}));
  EXPECT_TRUE(last.more());
  EXPECT_EQ(last.count(), 2);
  EXPECT_EQ(resp.responses(6).response_range().kvs(0).value(), "new");
  // And the store agrees.
  auto stored = h_.MustRange(Harness::RangeOf("p/", "p0"));
  EXPECT_EQ(Keys(stored), (V{"p/a", "p/b"}));
  EXPECT_EQ(stored.kvs(0).mod_revision(), rev);
}

TEST_F(TxnTest, PutWithIgnoreValueInsideTxn) {
  h_.MustPut("k", "kept");
  pb::TxnRequest req;
  pb::RequestOp op;
  op.mutable_request_put()->set_key("k");
  op.mutable_request_put()->set_ignore_value(true);
  *req.add_success() = op;
  *req.add_success() = GetOp("k");
  pb::TxnResponse resp;
  ASSERT_TRUE(RunTxn(req, &resp).ok());
  EXPECT_EQ(resp.responses(1).response_range().kvs(0).value(), "kept");
  EXPECT_EQ(resp.responses(1).response_range().kvs(0).version(), 2);
}

TEST_F(TxnTest, ReadOnlyTxnsAndEmptyTxn) {
  h_.MustPut("a", "1");
  h_.MustPut("b", "2");
  pb::TxnRequest req;
  *req.add_compare() = WithVersion(Cmp("a", C::VERSION, C::EQUAL), 1);
  *req.add_success() = GetOp("b");
  pb::TxnResponse resp;
  ASSERT_TRUE(RunTxn(req, &resp).ok());
  EXPECT_TRUE(resp.succeeded());
  EXPECT_EQ(resp.responses(0).response_range().kvs(0).value(), "2");
  const int64_t rev = backend_.ShardRevision(0);
  EXPECT_EQ(resp.header().revision(), rev);  // nothing written: no new revision

  ASSERT_TRUE(RunTxn(pb::TxnRequest(), &resp).ok());
  EXPECT_TRUE(resp.succeeded());
  EXPECT_EQ(resp.responses_size(), 0);
  EXPECT_EQ(resp.header().revision(), rev);
}

TEST_F(TxnTest, EtcdsRequestChecks) {
  pb::TxnResponse resp;
  pb::TxnRequest dup;
  *dup.add_success() = PutOp("k", "1");
  *dup.add_success() = PutOp("k", "2");
  grpc::Status st = RunTxn(dup, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: duplicate key given in txn request");

  pb::TxnRequest put_in_delete;
  *put_in_delete.add_failure() = DelOp("a", "c");
  *put_in_delete.add_failure() = PutOp("b", "1");
  EXPECT_EQ(RunTxn(put_in_delete, &resp).error_message(),
            "etcdserver: duplicate key given in txn request");

  pb::TxnRequest across_branches;  // the same key in both branches is fine
  *across_branches.add_success() = PutOp("k", "1");
  *across_branches.add_failure() = PutOp("k", "2");
  EXPECT_TRUE(RunTxn(across_branches, &resp).ok());

  pb::TxnRequest many;
  for (int i = 0; i < 129; ++i) *many.add_success() = GetOp("k" + std::to_string(i));
  st = RunTxn(many, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "etcdserver: too many operations in txn request");

  pb::TxnRequest nested;
  nested.add_success()->mutable_request_txn();
  st = RunTxn(nested, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);

  pb::TxnRequest empty_key;
  *empty_key.add_compare() = Cmp("", C::VERSION, C::EQUAL);
  EXPECT_EQ(RunTxn(empty_key, &resp).error_message(), "etcdserver: key is not provided");

  pb::TxnRequest empty_op;
  empty_op.add_success();
  EXPECT_EQ(RunTxn(empty_op, &resp).error_message(), "etcdserver: key not found");

  pb::TxnRequest lease;
  *lease.add_success() = PutOp("k", "v");
  lease.mutable_success(0)->mutable_request_put()->set_lease(7);
  st = RunTxn(lease, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);

  pb::TxnRequest history;
  *history.add_success() = GetOp("k");
  history.mutable_success(0)->mutable_request_range()->set_revision(1);
  h_.MustPut("k", "v");
  EXPECT_EQ(RunTxn(history, &resp).error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST(TxnAcrossShardsTest, IsRefusedWithFailedPrecondition) {
  MemoryBackend backend({"m"});
  Harness h(&backend);
  pb::TxnRequest req;
  *req.add_success() = PutOp("a", "1");
  *req.add_success() = PutOp("x", "1");
  pb::TxnResponse resp;
  grpc::Status st = h.Txn(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("span shards"), std::string::npos);
  EXPECT_EQ(h.MustGet("a").kvs_size(), 0);

  // A compare in one shard and a write in the other: refused too.
  pb::TxnRequest mixed;
  *mixed.add_compare() = WithVersion(Cmp("a", C::VERSION, C::EQUAL), 0);
  *mixed.add_success() = PutOp("x", "1");
  EXPECT_EQ(h.Txn(mixed, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Within one shard it runs.
  pb::TxnRequest local;
  *local.add_compare() = WithVersion(Cmp("x", C::VERSION, C::EQUAL), 0);
  *local.add_success() = PutOp("y", "1");
  ASSERT_TRUE(h.Txn(local, &resp).ok());
  EXPECT_TRUE(resp.succeeded());
  EXPECT_EQ(resp.header().revision(), backend.ShardRevision(1));
}

}  // namespace
}  // namespace tessera::etcd::test
