// Optimistic Txn execution: a write that lands between a Txn's reads and its commit makes the
// commit fail and the Txn run again on the new state; endless contention ends in ABORTED with
// nothing applied. Also how Backend failures reach the client (errors.h): the outcome-unknown
// rule for writes.
#include <gtest/gtest.h>

#include <atomic>

#include "etcd/test_util.h"

namespace tessera::etcd::test {
namespace {

using C = pb::Compare;

// A MemoryBackend where another client writes `key` just before each of the next `races`
// Atomic calls, as a concurrent writer would between a Txn's reads and its commit.
class RacingBackend : public MemoryBackend {
 public:
  RacingBackend(std::string key, int races) : key_(std::move(key)), races_(races) {}

  Status Atomic(const std::vector<Op>& ops, AtomicResult* out) override {
    if (races_.fetch_sub(1) > 0) {
      AtomicResult ignored;
      const Op racer{Op::Kind::kPut, KeyRange{key_, std::nullopt}, "racer", 0};
      TESSERA_RETURN_IF_ERROR(MemoryBackend::Atomic({racer}, &ignored));
    }
    return MemoryBackend::Atomic(ops, out);
  }

 private:
  const std::string key_;
  std::atomic<int> races_;
};

// Increment-style txn: if version(k) == v then put k.
pb::TxnRequest CasOnVersion(int64_t version, const std::string& value) {
  pb::TxnRequest req;
  C c = Cmp("k", C::VERSION, C::EQUAL);
  c.set_version(version);
  *req.add_compare() = c;
  *req.add_success() = PutOp("k", value);
  *req.add_failure() = GetOp("k");
  return req;
}

TEST(TxnRetryTest, ARacingWriteMakesTheTxnRunAgainOnTheNewState) {
  RacingBackend backend("k", 1);
  Harness h(&backend);
  pb::TxnResponse resp;
  // The first attempt reads k absent (version 0) and picks success; the racer creates k before
  // the commit, whose assertion then fails; the second attempt sees version 1: failure branch.
  ASSERT_TRUE(h.Txn(CasOnVersion(0, "mine"), &resp).ok());
  EXPECT_FALSE(resp.succeeded());
  EXPECT_EQ(resp.responses(0).response_range().kvs(0).value(), "racer");
  // The racer's write and the failed commit; the second attempt wrote nothing and made one
  // read, which needs no commit.
  EXPECT_EQ(backend.counts().atomic, 2u);
}

TEST(TxnRetryTest, ARangeReadIsGuardedToo) {
  RacingBackend backend("p/z", 1);
  Harness h(&backend);
  pb::TxnRequest req;
  *req.add_success() = GetOp("p/", "p0");
  *req.add_success() = PutOp("p/a", "1");
  pb::TxnResponse resp;
  ASSERT_TRUE(h.Txn(req, &resp).ok());
  // The answer is the second attempt's: it saw the racer's key.
  ASSERT_EQ(resp.responses(0).response_range().kvs_size(), 1);
  EXPECT_EQ(resp.responses(0).response_range().kvs(0).key(), "p/z");
}

TEST(TxnRetryTest, EndlessContentionIsAbortedWithNothingApplied) {
  RacingBackend backend("k", 1 << 30);
  EtcdServerOptions options;
  options.txn.retry_deadline_ms = 30;
  Harness h(&backend, options);
  // Reads k and writes another key: every commit asserts k unchanged, and every commit loses.
  pb::TxnRequest req;
  *req.add_success() = GetOp("k");
  *req.add_success() = PutOp("mine", "x");
  pb::TxnResponse resp;
  grpc::Status st = h.Txn(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(resp.responses_size(), 0);
  EXPECT_EQ(h.MustGet("mine").kvs_size(), 0);
}

TEST(BackendErrorsTest, AWriteWithUnknownOutcomeIsNotReportedAsRetryable) {
  MemoryBackend backend;
  Harness h(&backend);
  pb::PutRequest put;
  put.set_key("k");
  pb::PutResponse presp;
  backend.FailNext(Status::Timeout("raft"));
  grpc::Status st = h.Put(put, &presp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(st.error_message(), "etcdserver: request timed out");

  // The same timeout on a read changed nothing: UNAVAILABLE, which clients retry.
  pb::RangeResponse rresp;
  backend.FailNext(Status::Timeout("raft"));
  st = h.Range(Harness::RangeOf("k"), &rresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);

  for (Status fail : {Status::Unavailable("no route"), Status::Busy("busy")}) {
    backend.FailNext(fail);
    EXPECT_EQ(h.Put(put, &presp).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  backend.FailNext(Status::Timeout("raft"));
  pb::DeleteRangeRequest del;
  del.set_key("k");
  pb::DeleteRangeResponse dresp;
  EXPECT_EQ(h.DeleteRange(del, &dresp).error_code(), grpc::StatusCode::UNKNOWN);

  // A txn whose commit timed out: UNKNOWN too.
  pb::TxnRequest txn;
  *txn.add_success() = PutOp("k", "v");
  pb::TxnResponse tresp;
  backend.FailNext(Status::Timeout("raft"));
  EXPECT_EQ(h.Txn(txn, &tresp).error_code(), grpc::StatusCode::UNKNOWN);
}

}  // namespace
}  // namespace tessera::etcd::test
