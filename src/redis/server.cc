#include "redis/server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "common/assert.h"
#include "common/logging.h"
#include "common/thread_name.h"
#include "redis/keyspace.h"

namespace tessera::redis {
namespace {

// Bytes read from a socket at a time.
constexpr size_t kReadChunk = 64 << 10;

bool SplitHostPort(std::string_view addr, std::string* host, std::string* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == addr.size()) return false;
  std::string_view h = addr.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  *host = std::string(h);
  *port = std::string(addr.substr(colon + 1));
  return true;
}

Status Listen(const std::string& addr, int* fd_out, int* port_out) {
  std::string host, port;
  if (!SplitHostPort(addr, &host, &port)) {
    return Status::InvalidArgument("listen address is not host:port: " + addr);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return Status::InvalidArgument(addr + ": " + gai_strerror(rc));
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 511) == 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      *port_out = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      *fd_out = fd;
      freeaddrinfo(res);
      return Status::OK();
    }
    last_error = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return Status::IOError("cannot listen on " + addr + ": " + last_error);
}

// Writes all of `data`; false when the peer is gone or the socket was shut down.
bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

RedisServer::RedisServer(Backend* backend, RedisServerOptions options)
    : backend_(backend), options_(std::move(options)) {
  TESSERA_ASSERT(backend_ != nullptr, "RedisServer needs a backend");
  TESSERA_ASSERT(options_.max_connections > 0 && options_.max_query_bytes > 0 &&
                     options_.sweep_keys_per_round > 0,
                 "RedisServerOptions limits must be positive");
  options_.executor.connected_clients = [this] { return static_cast<int64_t>(active_.load()); };
}

RedisServer::~RedisServer() { Stop(); }

Status RedisServer::Start() {
  TESSERA_ASSERT(!started_, "RedisServer::Start called twice");
  int port = 0;
  TESSERA_RETURN_IF_ERROR(Listen(options_.listen_addr, &listen_fd_, &port));
  if (pipe2(wake_fds_, O_CLOEXEC) != 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  port_ = port;
  options_.executor.tcp_port = port;
  executor_ = std::make_unique<CommandExecutor>(backend_, options_.executor);
  started_ = true;
  accept_thread_ = std::thread([this] {
    SetThreadName("redis-accept");
    AcceptLoop();
  });
  if (options_.sweep_interval_ms > 0) {
    sweep_thread_ = std::thread([this] {
      SetThreadName("redis-expiry");
      SweepLoop();
    });
  }
  Log().info("redis: listening on {} (port {})", options_.listen_addr, port);
  return Status::OK();
}

void RedisServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (!started_) return;
  char byte = 0;
  while (write(wake_fds_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  accept_thread_.join();  // no connection is added after this
  if (sweep_thread_.joinable()) sweep_thread_.join();
  std::list<std::unique_ptr<Connection>> conns;
  {
    std::lock_guard lock(mu_);
    for (auto& c : conns_) {
      if (c->fd >= 0) shutdown(c->fd, SHUT_RDWR);  // wakes its thread's recv or send
    }
    conns.swap(conns_);
  }
  for (auto& c : conns) c->thread.join();
  TESSERA_ASSERT(active_.load() == 0, "every connection thread ended");
  close(listen_fd_);
  close(wake_fds_[0]);
  close(wake_fds_[1]);
}

void RedisServer::ReapLocked(std::list<std::unique_ptr<Connection>>* finished) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->done) {
      finished->push_back(std::move(*it));
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void RedisServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    if (fds[0].revents != 0) Accept();
  }
}

void RedisServer::Accept() {
  int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      Log().warn("redis: accept: {}", std::strerror(errno));
    }
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mu_);
    ReapLocked(&finished);
    if (conns_.size() < options_.max_connections) {
      auto conn = std::make_unique<Connection>();
      conn->fd = fd;
      Connection* raw = conn.get();
      active_.fetch_add(1);
      conns_.push_back(std::move(conn));
      raw->thread = std::thread([this, raw] {
        SetThreadName("redis-conn");
        Serve(raw);
      });
      fd = -1;
    }
  }
  for (auto& c : finished) c->thread.join();  // threads that already returned
  if (fd >= 0) {
    (void)SendAll(fd, "-ERR max number of clients reached\r\n");
    close(fd);
  }
}

void RedisServer::Serve(Connection* conn) {
  int fd;
  {
    std::lock_guard lock(mu_);
    fd = conn->fd;
  }
  Session session;
  session.id = executor_->NewClientId();
  ServeLoop(fd, &session);
  {
    // Closed under mu_ so that Stop never shuts down a number the kernel gave to another file.
    std::lock_guard lock(mu_);
    close(conn->fd);
    conn->fd = -1;
    conn->done = true;
  }
  active_.fetch_sub(1);
}

void RedisServer::ServeLoop(int fd, Session* session) {
  RespParser parser(options_.parser);
  std::string buf;  // received bytes not parsed yet
  // recv lands here, then only the bytes read are appended to buf (resizing buf by a whole chunk
  // before each recv zero-filled 64 KiB per command: 5% of a node's CPU under redis-benchmark).
  std::unique_ptr<char[]> chunk(new char[kReadChunk]);
  std::string out;
  std::vector<std::string> args;
  std::vector<std::vector<std::string>> commands;
  // Each iteration reads at least one byte or returns.
  while (true) {
    ssize_t n = recv(fd, chunk.get(), kReadChunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // peer closed, error, or Stop's shutdown
    buf.append(chunk.get(), static_cast<size_t>(n));
    std::string protocol_error;
    size_t off = 0;
    while (true) {
      ParseResult r = parser.Parse(std::string_view(buf).substr(off), &args);
      if (r.status == ParseStatus::kError) {
        protocol_error = std::move(r.error);
        break;
      }
      off += r.consumed;
      if (r.status == ParseStatus::kNeedMore) break;
      commands.push_back(std::move(args));
    }
    buf.erase(0, off);
    executor_->ExecuteBatch(session, commands, &out);
    commands.clear();
    bool close_now = session->close;
    if (!close_now && !protocol_error.empty()) {
      ReplyWriter(&out).Error("ERR " + protocol_error);
      close_now = true;
    } else if (!close_now && buf.size() > options_.max_query_bytes) {
      ReplyWriter(&out).Error("ERR Protocol error: query buffer limit exceeded");
      close_now = true;
    }
    if (!SendAll(fd, out) || close_now) return;
    out.clear();
    if (buf.capacity() > 4 * kReadChunk && buf.size() < kReadChunk) buf.shrink_to_fit();
  }
}

void RedisServer::SweepLoop() {
  std::string resume;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(options_.sweep_interval_ms),
                      [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    SweepResult result;
    Status st = SweepExpired(backend_, options_.sweep_keys_per_round, resume, &result);
    if (st.ok()) {
      resume = std::move(result.resume_after);
    } else {
      Log().warn("redis: expiry sweep: {}", st.ToString());
    }
    lock.lock();
  }
}

}  // namespace tessera::redis
