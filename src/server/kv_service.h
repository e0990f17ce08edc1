// KvService: the native client API (proto/kv.proto) over gRPC's callback API, a thin adapter
// over KvHandler (kv_handler.h), which does the work: each RPC finishes when the handler's
// `done` runs, so no thread waits per request. gRPC status is OK unless the request could not be
// parsed at all; every other error is a typed Error in the response (docs/protocol.md).
//
// Thread safety: gRPC calls the handlers concurrently; KvHandler is thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include "proto/kv.grpc.pb.h"
#include "server/kv_handler.h"

namespace tessera::server {

class KvService final : public v1::Kv::CallbackService {
 public:
  // `handler` is not owned and must outlive the service.
  explicit KvService(KvHandler* handler) : handler_(handler) {}

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::GetResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* BatchGet(grpc::CallbackServerContext* ctx,
                                     const v1::BatchGetRequest* req,
                                     v1::BatchGetResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Scan(grpc::CallbackServerContext* ctx, const v1::ScanRequest* req,
                                 v1::ScanResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const v1::PutRequest* req,
                                v1::PutResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* BatchPut(grpc::CallbackServerContext* ctx,
                                     const v1::BatchPutRequest* req,
                                     v1::BatchPutResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const v1::DeleteRangeRequest* req,
                                        v1::DeleteRangeResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* CompareAndSwap(grpc::CallbackServerContext* ctx,
                                           const v1::CompareAndSwapRequest* req,
                                           v1::CompareAndSwapResponse* resp) override {
    return Forward(ctx, req, resp);
  }
  grpc::ServerUnaryReactor* Atomic(grpc::CallbackServerContext* ctx, const v1::AtomicRequest* req,
                                   v1::AtomicResponse* resp) override {
    return Forward(ctx, req, resp);
  }

 private:
  template <typename Req, typename Resp>
  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    handler_->Serve(req, resp, [reactor] { reactor->Finish(grpc::Status::OK); });
    return reactor;
  }

  KvHandler* handler_;
};

}  // namespace tessera::server
