// Helpers for the etcd front door's tests: an EtcdServer on 127.0.0.1:0 over a Backend, with
// generated etcdserverpb stubs and request builders.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "etcd/memory_backend.h"
#include "etcd/server.h"
#include "proto/etcd/rpc.grpc.pb.h"

namespace tessera::etcd::test {

namespace pb = etcdserverpb;

// A server over `backend` (borrowed) and a client channel to it.
class Harness {
 public:
  explicit Harness(Backend* backend, EtcdServerOptions options = {}) : server_(options) {
    Status st = server_.Start("127.0.0.1:0", backend);
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.port()),
                                       grpc::InsecureChannelCredentials());
    kv_ = pb::KV::NewStub(channel);
    maintenance_ = pb::Maintenance::NewStub(channel);
  }

  int port() const { return server_.port(); }
  EtcdServer& server() { return server_; }
  pb::KV::Stub* kv() { return kv_.get(); }
  pb::Maintenance::Stub* maintenance() { return maintenance_.get(); }

  // A client context with a deadline, so that no call can hang a test.
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  grpc::Status Range(const pb::RangeRequest& req, pb::RangeResponse* resp) {
    return kv_->Range(Context().get(), req, resp);
  }
  grpc::Status Put(const pb::PutRequest& req, pb::PutResponse* resp) {
    return kv_->Put(Context().get(), req, resp);
  }
  grpc::Status DeleteRange(const pb::DeleteRangeRequest& req, pb::DeleteRangeResponse* resp) {
    return kv_->DeleteRange(Context().get(), req, resp);
  }
  grpc::Status Txn(const pb::TxnRequest& req, pb::TxnResponse* resp) {
    return kv_->Txn(Context().get(), req, resp);
  }

  // Puts key=value, expecting success; returns the response.
  pb::PutResponse MustPut(const std::string& key, const std::string& value) {
    pb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    pb::PutResponse resp;
    grpc::Status st = Put(req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  // Ranges, expecting success.
  pb::RangeResponse MustRange(const pb::RangeRequest& req) {
    pb::RangeResponse resp;
    grpc::Status st = Range(req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  // The single key `key`, expecting success.
  pb::RangeResponse MustGet(const std::string& key) { return MustRange(RangeOf(key)); }

  static pb::RangeRequest RangeOf(const std::string& key, const std::string& end = "") {
    pb::RangeRequest req;
    req.set_key(key);
    req.set_range_end(end);
    return req;
  }

 private:
  EtcdServer server_;
  std::unique_ptr<pb::KV::Stub> kv_;
  std::unique_ptr<pb::Maintenance::Stub> maintenance_;
};

// The keys of a range response, in order.
inline std::vector<std::string> Keys(const pb::RangeResponse& resp) {
  std::vector<std::string> out;
  for (const auto& kv : resp.kvs()) out.push_back(kv.key());
  return out;
}

// Txn building blocks.
inline pb::Compare Cmp(const std::string& key, pb::Compare::CompareTarget target,
                       pb::Compare::CompareResult result) {
  pb::Compare c;
  c.set_key(key);
  c.set_target(target);
  c.set_result(result);
  return c;
}
inline pb::RequestOp PutOp(const std::string& key, const std::string& value, bool prev_kv = false) {
  pb::RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  op.mutable_request_put()->set_prev_kv(prev_kv);
  return op;
}
inline pb::RequestOp GetOp(const std::string& key, const std::string& end = "") {
  pb::RequestOp op;
  *op.mutable_request_range() = Harness::RangeOf(key, end);
  return op;
}
inline pb::RequestOp DelOp(const std::string& key, const std::string& end = "",
                           bool prev_kv = false) {
  pb::RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  op.mutable_request_delete_range()->set_range_end(end);
  op.mutable_request_delete_range()->set_prev_kv(prev_kv);
  return op;
}

// A fixture with one unsplit MemoryBackend and a server over it.
class EtcdTest : public ::testing::Test {
 protected:
  MemoryBackend backend_;
  Harness h_{&backend_};
};

}  // namespace tessera::etcd::test
