// RedisServer: the TCP front door speaking RESP2 (docs/redis.md).
//
// One thread per connection (bounded by max_connections; beyond it a new client gets
// "-ERR max number of clients reached" and is closed), plus one accept thread and, when enabled,
// one expiry-sweeper thread. Each connection reads whatever arrived, parses every complete
// request, executes them in order as one pipeline (CommandExecutor::ExecuteBatch, which turns
// runs of plain SET / GET into one BatchPut / BatchGet) and writes all their replies at once.
// Malformed input gets "-ERR Protocol error: ..." and that connection is closed, as Redis does;
// so does a query buffer beyond max_query_bytes. A slow Backend call blocks only its connection.
//
// Ownership: the server borrows the Backend, which must outlive it.
// Thread safety: Start, Stop and the accessors may be called from any thread; Stop is idempotent
// and the destructor calls it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "redis/backend.h"
#include "redis/commands.h"
#include "redis/resp.h"

namespace tessera::redis {

struct RedisServerOptions {
  // "host:port" to listen on ("[::1]:6379" for IPv6; port 0 picks a free port, see port()).
  // Default: 127.0.0.1:6379.
  std::string listen_addr = "127.0.0.1:6379";
  // Connections served at once. Default: 1024.
  size_t max_connections = 1024;
  // Unparsed input one connection may hold (Redis: client-query-buffer-limit, 1 GiB).
  // Default: 128 MiB.
  size_t max_query_bytes = 128ull << 20;
  // Request limits (bulk string size, argument count, inline line length).
  ParserLimits parser;
  // Command execution; connected_clients and tcp_port are filled in by the server.
  ExecutorOptions executor;
  // Interval between two rounds of the expiry sweeper (SweepExpired); 0 disables it.
  // Default: 1000 ms.
  int64_t sweep_interval_ms = 1000;
  // Keys examined per sweeper round. Default: 1000.
  size_t sweep_keys_per_round = 1000;
};

class RedisServer {
 public:
  // REQUIRES: backend != nullptr; max_connections, max_query_bytes, sweep_keys_per_round > 0.
  RedisServer(Backend* backend, RedisServerOptions options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Binds, listens and starts serving. InvalidArgument for a malformed address, IOError when
  // the address cannot be bound. REQUIRES: called once.
  Status Start();
  // Closes the listener and every connection, and joins every thread.
  void Stop();

  // The bound port (after a successful Start).
  int port() const { return port_.load(); }
  // Connections being served now.
  size_t connection_count() const { return active_.load(); }

 private:
  struct Connection {
    int fd = -1;        // guarded by mu_; -1 once the connection's thread closed it
    bool done = false;  // guarded by mu_
    std::thread thread;
  };

  void AcceptLoop();
  void Accept();
  void Serve(Connection* conn);
  // Serves one connection until it closes; returns when the connection should be closed.
  void ServeLoop(int fd, Session* session);
  void SweepLoop();
  void ReapLocked(std::list<std::unique_ptr<Connection>>* finished);

  Backend* const backend_;
  RedisServerOptions options_;
  std::unique_ptr<CommandExecutor> executor_;
  std::atomic<int> port_{0};
  std::atomic<size_t> active_{0};
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // written by Stop to wake the accept thread
  std::thread accept_thread_;
  std::thread sweep_thread_;
  bool started_ = false;

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                         // guarded by mu_
  std::list<std::unique_ptr<Connection>> conns_;  // guarded by mu_
};

}  // namespace tessera::redis
