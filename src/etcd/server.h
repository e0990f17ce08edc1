// EtcdServer: the etcd v3 front door as a gRPC server (docs/etcd.md). It serves etcdserverpb.KV
// and etcdserverpb.Maintenance.Status (service.h) over a Backend, so that etcdctl 3.4 and etcd's
// client libraries work against Tessera.
//
// gRPC's synchronous API: every call holds a thread while it waits on the Backend. The pool grows
// on demand up to EtcdServerOptions::max_threads (gRPC's ResourceQuota); a call beyond it is
// refused with RESOURCE_EXHAUSTED. `etcdctl check perf --load=l` keeps 500 calls in flight.
//
// Ownership: the server borrows the Backend, which must outlive it (or the last Stop).
// Thread safety: Start, Stop and port() may be called from any thread; Stop is idempotent and the
// destructor calls it.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "etcd/backend.h"
#include "etcd/service.h"
#include "etcd/txn.h"

namespace tessera::etcd {

struct EtcdServerOptions {
  // The most threads serving calls at once. Default: 1024 (etcdctl check perf --load=l opens
  // 500 clients, each with a call in flight).
  int max_threads = 1024;
  // How long Stop lets calls in flight finish before cancelling them. Default: 1000 ms.
  int64_t stop_grace_ms = 1000;
  // Txn execution (txn.h).
  TxnOptions txn;
  // Told of every call (service.h). Default: none.
  CallObserver observer;
};

class EtcdServer {
 public:
  // REQUIRES: options.max_threads >= 2; options.txn.max_ops > 0.
  explicit EtcdServer(EtcdServerOptions options = {});
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // Asks the Backend for the member's identity (GetStatus; its error is returned), then listens
  // on `addr` ("host:port"; port 0 picks a free port, see port()) and serves. IOError when the
  // address cannot be bound. REQUIRES: backend != nullptr; called once.
  Status Start(const std::string& addr, Backend* backend);
  // Stops listening, lets calls in flight finish (up to stop_grace_ms, then cancels them), and
  // waits for every handler to return.
  void Stop();

  // The bound port, after a successful Start; 0 before.
  int port() const;

 private:
  const EtcdServerOptions options_;
  mutable std::mutex mu_;
  bool started_ = false;                      // guarded by mu_
  int port_ = 0;                              // guarded by mu_
  std::unique_ptr<MemberIdentity> identity_;  // set once by Start
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<MaintenanceService> maintenance_;
  std::unique_ptr<grpc::Server> server_;  // guarded by mu_
};

}  // namespace tessera::etcd
