// Server: one `tessera server` process: the store engine, the Multi-Raft node, the gRPC
// transport, and one gRPC port serving both the client API (Kv) and the Raft transport; with
// status_addr set, an HTTP status port too (/metrics, /healthz, /status: status_http.h).
//
// Lifecycle: Start() opens everything, bootstraps the static cluster's first shard when
// initial_cluster is set, and starts serving; Shutdown() stops accepting requests, lets those in
// flight finish (up to a deadline), stops the node (answering what is left with Timeout), and
// closes the engine, whose writes are then all on disk. A restart recovers every replica. The
// status port serves from the end of Start() until the gRPC server and the node have stopped
// (before anything it reads is destroyed); its /healthz answers 503 once Shutdown() begins.
//
// Thread safety: Shutdown may be called from any thread, once.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "etcd/backend.h"
#include "multiraft/node.h"
#include "multiraft/snapshot_dirs.h"
#include "server/admin_service.h"
#include "server/config.h"
#include "server/grpc_transport.h"
#include "server/kv_service.h"
#include "server/pd_agent.h"
#include "server/raft_transport_service.h"
#include "server/snapshot_sender.h"
#include "server/snapshot_service.h"
#include "server/status_http.h"
#include "storage/engine.h"

namespace tessera::client {
class Client;
}
namespace tessera::etcd {
class EtcdServer;
}
namespace tessera::redis {
class RedisServer;
}

namespace tessera::server {

class ForwardingHandler;
class ClientBackend;
class EtcdClientBackend;

// What a process built on a Server adds to it (a PD member adds the PD service).
struct ServerExtras {
  // Serve the client API (Kv) on the port. Default: true.
  bool serve_kv = true;
  // Called once the node is open, before the gRPC port starts: more services for the port (not
  // owned: the caller keeps them alive until the Server is shut down).
  std::function<Result<std::vector<grpc::Service*>>(multiraft::Node*)> services;
  // More metrics for the status port's /metrics, appended after the node's (called on the
  // status port's threads while it serves). Default: none.
  std::function<void(std::vector<Metric>*)> metrics;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerConfig& config,
                                               ServerExtras extras = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Graceful shutdown; waits at most `grace_ms` for requests in flight. Idempotent.
  void Shutdown(int grace_ms = 5000);

  // The port actually bound (useful with "host:0").
  int port() const { return port_; }
  // The status port bound (useful with "host:0"); 0 without status_addr.
  int status_port() const { return status_port_; }
  // The Redis front door's port (useful with "host:0"); 0 without redis_addr.
  int redis_port() const;
  // The etcd front door's port (useful with "host:0"); 0 without etcd_addr.
  int etcd_port() const;
  multiraft::Node* node() const { return node_.get(); }
  // The node's id (with PD: from its ident file or PD).
  NodeId node_id() const { return config_.node_id; }
  // With pd_endpoints: the node's PD agent (its PD client); null otherwise.
  PdAgent* pd_agent() const { return pd_.get(); }
  // The Raft transport (its failpoints partition this node in tests).
  GrpcTransport* transport() const { return transport_.get(); }

 private:
  Server() = default;
  Status Open(const ServerConfig& config, const ServerExtras& extras);
  // The HTTP status port, once everything it reads is up.
  Status StartStatusPort(const std::string& addr);
  // The Redis front door on `addr`, over a client of the cluster's PD.
  Status StartRedis(const std::string& addr);
  // The etcd front door on `addr`, over the same client.
  Status StartEtcd(const std::string& addr);
  // The client the front doors share (created on first use).
  Status FrontDoorClient();
  // What Maintenance.Status reports about this node.
  etcd::MemberStatus EtcdMemberStatus();

  ServerConfig config_;
  // "host:port" other nodes and clients reach this node at (listen's host, the bound port).
  std::string Address() const;

  std::unique_ptr<PdAgent> pd_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<ForwardingHandler> forward_;
  std::unique_ptr<StaticAddressResolver> resolver_;
  std::unique_ptr<GrpcTransport> transport_;
  std::unique_ptr<multiraft::SnapshotDirs> snapshot_dirs_;
  std::unique_ptr<GrpcSnapshotSender> snapshot_sender_;
  std::unique_ptr<multiraft::Node> node_;
  std::unique_ptr<SnapshotService> snapshot_service_;
  std::unique_ptr<AdminService> admin_;
  std::function<void(std::vector<Metric>*)> extra_metrics_;  // ServerExtras::metrics
  std::unique_ptr<KvHandler> kv_handler_;
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<RaftTransportService> raft_service_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<StatusHttpServer> status_;
  // The front doors: a client routed by PD, shared by them.
  std::shared_ptr<client::Client> client_;
  std::unique_ptr<ClientBackend> redis_backend_;
  std::unique_ptr<redis::RedisServer> redis_;
  // The front doors' request metrics (made whether or not a front door is served: a page without
  // their traffic leaves them off).
  std::unique_ptr<RequestMetrics> redis_metrics_;
  std::unique_ptr<RequestMetrics> etcd_metrics_;
  std::unique_ptr<EtcdClientBackend> etcd_backend_;
  std::unique_ptr<etcd::EtcdServer> etcd_;
  int port_ = 0;
  int status_port_ = 0;
  bool stopped_ = false;
};

}  // namespace tessera::server
