#include "etcd/server.h"

#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "common/assert.h"

namespace tessera::etcd {

EtcdServer::EtcdServer(EtcdServerOptions options) : options_(std::move(options)) {
  TESSERA_ASSERT(options_.max_threads >= 2, "max_threads must be at least 2");
  TESSERA_ASSERT(options_.txn.max_ops > 0, "txn.max_ops must be positive");
}

EtcdServer::~EtcdServer() { Stop(); }

Status EtcdServer::Start(const std::string& addr, Backend* backend) {
  TESSERA_ASSERT(backend != nullptr, "backend required");
  std::lock_guard lock(mu_);
  TESSERA_ASSERT(!started_, "Start called twice");
  started_ = true;
  MemberStatus status;
  TESSERA_RETURN_IF_ERROR(backend->GetStatus(&status));
  identity_ = std::make_unique<MemberIdentity>(status);
  kv_ = std::make_unique<KvService>(backend, identity_.get(), options_.txn, options_.observer);
  maintenance_ = std::make_unique<MaintenanceService>(backend, identity_.get(), options_.observer);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(kv_.get());
  builder.RegisterService(maintenance_.get());
  grpc::ResourceQuota quota("tessera-etcd");
  quota.SetMaxThreads(options_.max_threads);
  builder.SetResourceQuota(quota);
  // etcd's own server policy (--grpc-keepalive-min-time 5 s): clients may ping active
  // connections every 5 s (etcdctl's --keepalive-time, 2 s, is raised to 10 s by grpc-go)
  // without being sent GOAWAY "too_many_pings".
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    server_.reset();
    return Status::IOError("etcd front door: cannot listen on " + addr);
  }
  port_ = port;
  return Status::OK();
}

void EtcdServer::Stop() {
  std::unique_ptr<grpc::Server> server;
  {
    std::lock_guard lock(mu_);
    server = std::move(server_);
  }
  if (server == nullptr) return;
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(options_.stop_grace_ms));
  server->Wait();
}

int EtcdServer::port() const {
  std::lock_guard lock(mu_);
  return port_;
}

}  // namespace tessera::etcd
