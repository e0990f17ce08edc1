// KvHandler: the native client API (proto/kv.proto) on top of a Multi-Raft node, apart from any
// transport. KvService (kv_service.h) serves it over gRPC; the front doors' client reaches it
// in-process (client/local_kv.h) when the node it wants is this one.
//
// A request becomes a node Write or Read; the worker's callback fills the response and runs
// `done`, so no thread waits per request. Reads touch the store engine once the node says the
// read is safe (after the lease check or read index), in the worker's callback. Every error is a
// typed Error in the response (docs/protocol.md).
//
// Thread safety: the Serve overloads may be called concurrently; the node is thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "client/local_kv.h"
#include "multiraft/node.h"
#include "proto/kv.pb.h"
#include "server/request_metrics.h"

namespace tessera::server {

class KvHandler final : public client::LocalKv {
 public:
  // "host:port" of a node's client API, or "" when unknown; thread-safe.
  using AddressOf = std::function<std::string(NodeId)>;

  // `node` is not owned and must outlive the handler. `address_of`, when given, fills the
  // leader's address into NotLeader errors, so clients that know no route can follow the hint.
  explicit KvHandler(multiraft::Node* node, AddressOf address_of = {})
      : node_(node), address_of_(std::move(address_of)) {}

  // Graceful shutdown, first step: new requests are refused with ServerIsBusy ("shutting
  // down"), and the call waits until the requests in flight are answered or `timeout_ms` passes.
  // Returns the number still in flight.
  int Drain(int timeout_ms);
  // Requests, errors and latency by method (tessera_kv_*, both gRPC and in-process calls).
  const RequestMetrics& metrics() const { return metrics_; }

  NodeId node_id() const override;
  void Serve(const v1::GetRequest* req, v1::GetResponse* resp, Done done) override;
  void Serve(const v1::BatchGetRequest* req, v1::BatchGetResponse* resp, Done done) override;
  void Serve(const v1::ScanRequest* req, v1::ScanResponse* resp, Done done) override;
  void Serve(const v1::PutRequest* req, v1::PutResponse* resp, Done done) override;
  void Serve(const v1::BatchPutRequest* req, v1::BatchPutResponse* resp, Done done) override;
  void Serve(const v1::DeleteRequest* req, v1::DeleteResponse* resp, Done done) override;
  void Serve(const v1::DeleteRangeRequest* req, v1::DeleteRangeResponse* resp, Done done) override;
  void Serve(const v1::CompareAndSwapRequest* req, v1::CompareAndSwapResponse* resp,
             Done done) override;
  void Serve(const v1::AtomicRequest* req, v1::AtomicResponse* resp, Done done) override;

 private:
  // Proposes `cmd` and runs `done` when it is applied (or refused); `fill` copies op results
  // into the response.
  template <typename Resp>
  void Propose(const v1::RequestHeader& header, multiraft::WriteCommand cmd, Resp* resp, Done done,
               std::function<void(const multiraft::WriteResponse&)> fill = {});
  // Waits until a read of [start, end) (or the point `start`) is safe, then runs `read` with the
  // shard's end key, sets the response's revision and runs `done`.
  template <typename Resp>
  void ReadThen(const v1::RequestHeader& header, const v1::ReadOptions& opts, std::string start,
                std::string end, bool point, Resp* resp, Done done,
                std::function<void(const std::string& shard_end)> read);

  // Admission of a request: false (and `done` already run, with ServerIsBusy) when draining.
  // Every admitted request calls Finished() after running its `done`.
  template <typename Resp>
  bool Admit(const v1::RequestHeader& header, Resp* resp, const Done& done);
  void Finished();
  // The typed error for a refused request: ToProtoError plus the leader's address.
  void SetError(const Status& s, const multiraft::RouteHint& hint, ShardId shard,
                v1::Error* out) const;
  // `done`, recording the request's latency and outcome first.
  template <typename Resp>
  Done Timed(std::string_view method, const Resp* resp, Done done);

  multiraft::Node* node_;
  AddressOf address_of_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inflight_ = 0;       // guarded by mu_
  bool draining_ = false;  // guarded by mu_
  RequestMetrics metrics_{"tessera_kv",
                          "method",
                          "Native API requests",
                          {"get", "batch_get", "scan", "put", "batch_put", "delete", "delete_range",
                           "compare_and_swap", "atomic"}};
};

// Fills a proto Error from a Status and routing hints (exposed for tests).
void ToProtoError(const Status& s, const multiraft::RouteHint& hint, ShardId shard, v1::Error* out);
void ToProtoShard(const multiraft::ShardDescriptor& d, v1::ShardDescriptor* out);

}  // namespace tessera::server
