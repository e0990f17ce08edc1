// LocalKv: the native KV API served in-process, for a client that lives inside a node (the
// front doors). Internal to the project; the public client API is include/tessera/client.h.
//
// A client made with NewClientWithLocal sends every attempt addressed to node_id() through this
// interface instead of gRPC: the same requests and responses (proto/kv.proto), no serialization,
// no socket, no gRPC call. Attempts to other nodes go over gRPC as usual.
//
// Contract of each Serve overload: `req` and `resp` stay valid until `done` runs; `done` runs
// exactly once, on any thread (a worker's, typically), after `resp` is filled; Serve never
// blocks waiting for the answer. Errors are typed in resp->error(), as over gRPC.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <functional>
#include <memory>

#include "common/ids.h"
#include "proto/kv.pb.h"
#include "tessera/client.h"

namespace tessera::client {

class LocalKv {
 public:
  using Done = std::function<void()>;
  virtual ~LocalKv() = default;

  // The node this interface serves.
  virtual NodeId node_id() const = 0;

  virtual void Serve(const v1::GetRequest* req, v1::GetResponse* resp, Done done) = 0;
  virtual void Serve(const v1::BatchGetRequest* req, v1::BatchGetResponse* resp, Done done) = 0;
  virtual void Serve(const v1::ScanRequest* req, v1::ScanResponse* resp, Done done) = 0;
  virtual void Serve(const v1::PutRequest* req, v1::PutResponse* resp, Done done) = 0;
  virtual void Serve(const v1::BatchPutRequest* req, v1::BatchPutResponse* resp, Done done) = 0;
  virtual void Serve(const v1::DeleteRequest* req, v1::DeleteResponse* resp, Done done) = 0;
  virtual void Serve(const v1::DeleteRangeRequest* req, v1::DeleteRangeResponse* resp,
                     Done done) = 0;
  virtual void Serve(const v1::CompareAndSwapRequest* req, v1::CompareAndSwapResponse* resp,
                     Done done) = 0;
  virtual void Serve(const v1::AtomicRequest* req, v1::AtomicResponse* resp, Done done) = 0;
};

// Like Client::Connect, with attempts to local->node_id() served by `local` (not owned; must
// outlive the client).
Status NewClientWithLocal(const ClientOptions& options, LocalKv* local,
                          std::unique_ptr<Client>* client);

}  // namespace tessera::client
