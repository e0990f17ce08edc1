// KvService: the native client API (proto/kv.proto) on top of a Multi-Raft node.
//
// Built on gRPC's callback API: a request becomes a node Write or Read, and the worker's callback
// fills the response and finishes the RPC, so no thread waits per request. Reads touch the store
// engine once the node says the read is safe (after the lease check or read index), in the
// worker's callback. Every error is a typed Error in the response (docs/protocol.md); gRPC status
// is OK unless the request could not be parsed at all.
//
// Thread safety: gRPC calls the handlers concurrently; the node is thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "multiraft/node.h"
#include "proto/kv.grpc.pb.h"

namespace tessera::server {

class KvService final : public v1::Kv::CallbackService {
 public:
  // `node` is not owned and must outlive the service.
  explicit KvService(multiraft::Node* node) : node_(node) {}

  // Graceful shutdown, first step: new requests are refused with ServerIsBusy ("shutting
  // down"), and the call waits until the requests in flight are answered or `timeout_ms` passes.
  // Returns the number still in flight.
  int Drain(int timeout_ms);

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::GetResponse* resp) override;
  grpc::ServerUnaryReactor* BatchGet(grpc::CallbackServerContext* ctx,
                                     const v1::BatchGetRequest* req,
                                     v1::BatchGetResponse* resp) override;
  grpc::ServerUnaryReactor* Scan(grpc::CallbackServerContext* ctx, const v1::ScanRequest* req,
                                 v1::ScanResponse* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const v1::PutRequest* req,
                                v1::PutResponse* resp) override;
  grpc::ServerUnaryReactor* BatchPut(grpc::CallbackServerContext* ctx,
                                     const v1::BatchPutRequest* req,
                                     v1::BatchPutResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const v1::DeleteRangeRequest* req,
                                        v1::DeleteRangeResponse* resp) override;
  grpc::ServerUnaryReactor* CompareAndSwap(grpc::CallbackServerContext* ctx,
                                           const v1::CompareAndSwapRequest* req,
                                           v1::CompareAndSwapResponse* resp) override;
  grpc::ServerUnaryReactor* Atomic(grpc::CallbackServerContext* ctx, const v1::AtomicRequest* req,
                                   v1::AtomicResponse* resp) override;

 private:
  // Proposes `cmd` and finishes the RPC when it is applied (or refused); `fill` copies op
  // results into the response.
  template <typename Resp>
  grpc::ServerUnaryReactor* Propose(grpc::CallbackServerContext* ctx,
                                    const v1::RequestHeader& header, multiraft::WriteCommand cmd,
                                    Resp* resp,
                                    std::function<void(const multiraft::WriteResponse&)> fill = {});
  // Waits until a read of [start, end) (or the point `start`) is safe, then runs `read` with the
  // shard's end key, sets the response's revision and finishes the RPC.
  template <typename Resp>
  grpc::ServerUnaryReactor* ReadThen(grpc::CallbackServerContext* ctx,
                                     const v1::RequestHeader& header, const v1::ReadOptions& opts,
                                     std::string start, std::string end, bool point, Resp* resp,
                                     std::function<void(const std::string& shard_end)> read);

  // Admission of a request: false (and the RPC already finished with ServerIsBusy) when
  // draining. Every admitted request calls Done() after finishing its RPC.
  template <typename Resp>
  bool Admit(grpc::CallbackServerContext* ctx, const v1::RequestHeader& header, Resp* resp,
             grpc::ServerUnaryReactor** reactor);
  void Done();

  multiraft::Node* node_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inflight_ = 0;       // guarded by mu_
  bool draining_ = false;  // guarded by mu_
};

// Fills a proto Error from a Status and routing hints (exposed for tests).
void ToProtoError(const Status& s, const multiraft::RouteHint& hint, ShardId shard, v1::Error* out);
void ToProtoShard(const multiraft::ShardDescriptor& d, v1::ShardDescriptor* out);

}  // namespace tessera::server
