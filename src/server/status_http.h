// The status port of a node: a small HTTP server (cpp-httplib) beside the gRPC port, for
// monitoring and operators (docs/observability.md):
//
//   GET /metrics  the node's counters and gauges, Prometheus text format (metrics.h)
//   GET /healthz  200 "ok" while the node serves; 503 "shutting down" once shutdown began
//   GET /status   JSON: the node's id and address, and for each shard it hosts a replica of:
//                 id, range, epoch, members, applied index, a merge in progress, and the Raft
//                 log's term and last index; the number of replicas hibernating
//
// Every page is computed at request time from the parts of the server, which keep their own
// counters (there is no registry); nothing is cached and no page changes the node's state (a
// page never wakes a hibernating replica).
//
// Ownership and lifetime: StatusSources points at parts of the Server (not owned); they must
// outlive the StatusHttpServer, i.e. the Server stops it before destroying them.
//
// Thread safety: the pages run on the HTTP server's own threads and only call thread-safe
// methods of the sources. SetServing may be called from any thread; Stop from any thread that is
// not one of the server's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "common/result.h"
#include "server/metrics.h"
#include "server/request_metrics.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace tessera::multiraft {
class Node;
}  // namespace tessera::multiraft

namespace tessera::server {

class GrpcSnapshotSender;
class GrpcTransport;
class RaftTransportService;

// What the pages read. Every pointer is non-null and outlives the StatusHttpServer.
// What the Redis front door counts (Server fills them from the executor's observer).
struct StatusSources {
  std::string address;  // the node's gRPC address (host:port as bound), shown in /status
  multiraft::Node* node = nullptr;
  const GrpcTransport* transport = nullptr;
  const RaftTransportService* raft_service = nullptr;
  const GrpcSnapshotSender* snapshot_sender = nullptr;
  // Request metrics of the native API and the front doors, in page order; they outlive the
  // status port.
  std::vector<const RequestMetrics*> requests;
  // More metrics, appended last (a PD member's); may be empty.
  std::function<void(std::vector<Metric>*)> extra;
};

// The metrics of /metrics, in page order (each documented in docs/observability.md).
std::vector<Metric> NodeMetrics(const StatusSources& sources);
// The body of /status. Errors: the engine's, reading the replicas' metadata.
Result<std::string> NodeStatusJson(const StatusSources& sources);

class StatusHttpServer {
 public:
  // Listens on `addr` ("host:port"; port 0 takes a free port, see port()) and serves the pages
  // on its own threads until Stop. InvalidArgument for a malformed address, IOError when it
  // cannot be bound. Serving (for /healthz) from the start.
  static Result<std::unique_ptr<StatusHttpServer>> Start(const std::string& addr,
                                                         StatusSources sources);
  // Stops (see Stop()).
  ~StatusHttpServer();
  StatusHttpServer(const StatusHttpServer&) = delete;
  StatusHttpServer& operator=(const StatusHttpServer&) = delete;

  // The port bound.
  int port() const { return port_; }
  // /healthz answers 200 while serving, 503 otherwise (the server calls it as shutdown begins).
  void SetServing(bool serving) { serving_.store(serving, std::memory_order_relaxed); }
  // Closes the listening socket, waits for the requests in flight (each bounded by the read and
  // write timeouts, kIoTimeoutSec) and joins the threads. Afterwards no page runs and the
  // sources are not touched again. Idempotent.
  void Stop();

  // Seconds a connection may stay silent before its request, and the read and write timeouts.
  static constexpr int kIdleTimeoutSec = 1;
  static constexpr int kIoTimeoutSec = 5;
  // Threads serving requests.
  static constexpr int kThreads = 2;

 private:
  explicit StatusHttpServer(StatusSources sources);
  void Route();

  const StatusSources sources_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;  // runs the accept loop
  int port_ = 0;
  std::atomic<bool> serving_{true};
  std::mutex mu_;
  std::condition_variable cv_;
  bool listening_ = false;  // guarded by mu_: the accept loop runs (stop() takes effect)
  bool exited_ = false;     // guarded by mu_: the accept loop returned
  bool stopped_ = false;    // guarded by mu_
};

}  // namespace tessera::server
