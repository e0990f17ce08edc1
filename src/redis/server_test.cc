// The TCP server over a real socket on 127.0.0.1 (port 0). No fixed sleeps: reads wait on poll()
// with a deadline, state changes are awaited with WaitFor.
#include "redis/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "redis/codec.h"
#include "redis/memory_backend.h"
#include "redis/test_util.h"

namespace tessera::redis {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): test helpers
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kDeadline{20000};

// Waits until cond() holds or the deadline passes; returns cond().
bool WaitFor(const std::function<bool()>& cond, milliseconds deadline = kDeadline) {
  auto end = Clock::now() + deadline;
  while (!cond()) {
    if (Clock::now() > end) return false;
    std::this_thread::yield();
  }
  return true;
}

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `n` bytes arrived, the peer closed, or the deadline passed.
  std::string Read(size_t n) {
    std::string got;
    auto end = Clock::now() + kDeadline;
    while (got.size() < n && !eof_) {
      if (!ReadSome(&got, end)) break;
    }
    return got;
  }

  // True when the peer closes within the deadline; *rest gets whatever arrived before.
  bool WaitClosed(std::string* rest = nullptr) {
    std::string got;
    auto end = Clock::now() + kDeadline;
    while (!eof_ && ReadSome(&got, end)) {
    }
    if (rest) *rest = got;
    return eof_;
  }

  // Sends a request and reads a reply of the expected length.
  std::string RoundTrip(std::string_view request, size_t reply_size) {
    if (!Send(request)) return "<send failed>";
    return Read(reply_size);
  }

 private:
  bool ReadSome(std::string* got, Clock::time_point end) {
    auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    got->append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
};

class RedisServerTest : public ::testing::Test {
 protected:
  void StartServer(RedisServerOptions o = {}) {
    o.listen_addr = "127.0.0.1:0";
    if (o.sweep_interval_ms == 1000) o.sweep_interval_ms = 0;
    server_ = std::make_unique<RedisServer>(&backend_, std::move(o));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  std::string Expect(Client& c, std::string_view request, const std::string& reply) {
    return c.RoundTrip(request, reply.size());
  }

  MemoryBackend backend_;
  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisServerTest, PipelinedCommands) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  std::string request = Request({"SET", "a", "1"}) + Request({"SET", "b", "2"}) +
                        Request({"GET", "a"}) + Request({"GET", "b"}) + Request({"INCR", "a"}) +
                        "PING\r\n" + Request({"GET", "a"});
  std::string reply = kOk + kOk + Bulk("1") + Bulk("2") + Int(2) + "+PONG\r\n" + Bulk("2");
  EXPECT_EQ(c.RoundTrip(request, reply.size()), reply);
  // A request split across writes, and many at once.
  std::string get = Request({"GET", "b"});
  ASSERT_TRUE(c.Send(get.substr(0, 7)));
  EXPECT_EQ(c.RoundTrip(get.substr(7), Bulk("2").size()), Bulk("2"));
  std::string many, want;
  for (int i = 0; i < 2000; ++i) {
    many += Request({"SET", "k" + std::to_string(i), std::to_string(i)});
    want += kOk;
  }
  for (int i = 0; i < 2000; ++i) {
    many += Request({"GET", "k" + std::to_string(i)});
    want += Bulk(std::to_string(i));
  }
  EXPECT_EQ(c.RoundTrip(many, want.size()), want);
  EXPECT_LT(backend_.counts().batch_put, 100u);  // grouped, not one Put per SET
}

TEST_F(RedisServerTest, LargeValue) {
  StartServer();
  Client c(server_->port());
  std::string big(3 << 20, 'v');
  EXPECT_EQ(c.RoundTrip(Request({"SET", "big", big}), kOk.size()), kOk);
  EXPECT_EQ(c.RoundTrip(Request({"GET", "big"}), Bulk(big).size()), Bulk(big));
}

TEST_F(RedisServerTest, ProtocolErrorClosesOnlyThatConnection) {
  StartServer();
  Client bad(server_->port()), good(server_->port());
  EXPECT_EQ(good.RoundTrip("PING\r\n", 7), "+PONG\r\n");
  ASSERT_TRUE(bad.Send("PING\r\n*1\r\n$x\r\n"));
  std::string rest;
  EXPECT_TRUE(bad.WaitClosed(&rest));
  EXPECT_EQ(rest, "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_EQ(good.RoundTrip(Request({"ECHO", "still"}), Bulk("still").size()), Bulk("still"));
  Client fresh(server_->port());
  EXPECT_EQ(fresh.RoundTrip("PING\r\n", 7), "+PONG\r\n");
}

TEST_F(RedisServerTest, QuitRepliesThenCloses) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send("PING\r\nQUIT\r\nPING\r\n"));
  std::string rest;
  EXPECT_TRUE(c.WaitClosed(&rest));
  EXPECT_EQ(rest, "+PONG\r\n+OK\r\n");
  EXPECT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }));
}

TEST_F(RedisServerTest, MaxConnections) {
  RedisServerOptions o;
  o.max_connections = 1;
  StartServer(o);
  auto first = std::make_unique<Client>(server_->port());
  EXPECT_EQ(first->RoundTrip("PING\r\n", 7), "+PONG\r\n");
  Client second(server_->port());
  std::string rest;
  EXPECT_TRUE(second.WaitClosed(&rest));
  EXPECT_EQ(rest, "-ERR max number of clients reached\r\n");
  first.reset();
  EXPECT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }));
  Client third(server_->port());
  EXPECT_EQ(third.RoundTrip("PING\r\n", 7), "+PONG\r\n");
}

TEST_F(RedisServerTest, QueryBufferLimit) {
  RedisServerOptions o;
  o.max_query_bytes = 1000;
  StartServer(o);
  Client c(server_->port());
  ASSERT_TRUE(c.Send("*2\r\n$3\r\nGET\r\n$5000\r\n" + std::string(2000, 'x')));
  std::string rest;
  EXPECT_TRUE(c.WaitClosed(&rest));
  EXPECT_EQ(rest, "-ERR Protocol error: query buffer limit exceeded\r\n");
}

TEST_F(RedisServerTest, StopClosesIdleClients) {
  StartServer();
  Client a(server_->port()), b(server_->port());
  EXPECT_EQ(a.RoundTrip("PING\r\n", 7), "+PONG\r\n");
  EXPECT_EQ(b.RoundTrip("PING\r\n", 7), "+PONG\r\n");
  server_->Stop();
  EXPECT_TRUE(a.WaitClosed());
  EXPECT_TRUE(b.WaitClosed());
  EXPECT_EQ(server_->connection_count(), 0u);
  server_->Stop();  // idempotent
}

TEST_F(RedisServerTest, SweeperDeletesExpiredKeys) {
  RedisServerOptions o;
  o.sweep_interval_ms = 1;
  StartServer(o);
  backend_.RawPut(EncodeKey("old"), EncodeValue("v", backend_.NowMs() - 1));
  backend_.RawPut(EncodeKey("live"), EncodeValue("v", 0));
  EXPECT_TRUE(WaitFor([&] { return backend_.Snapshot().size() == 1; }));
  EXPECT_TRUE(backend_.Snapshot().contains(EncodeKey("live")));
}

TEST_F(RedisServerTest, InfoReportsClientsAndPort) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Request({"INFO", "server", "clients"})));
  std::string all = c.Read(4);  // "$NNN" at least
  while (all.find("\r\n") == std::string::npos) {
    std::string more = c.Read(1);
    ASSERT_FALSE(more.empty());
    all += more;
  }
  ASSERT_EQ(all[0], '$');
  size_t header = all.find("\r\n") + 2;
  size_t len = std::stoul(all.substr(1));
  all += c.Read(header + len + 2 - all.size());
  ASSERT_EQ(all.size(), header + len + 2);
  EXPECT_NE(all.find("connected_clients:1\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find("tcp_port:" + std::to_string(server_->port())), std::string::npos);
}

TEST(RedisServerAddressTest, BadAddress) {
  MemoryBackend backend;
  RedisServerOptions o;
  o.listen_addr = "no-port";
  RedisServer s(&backend, o);
  EXPECT_TRUE(s.Start().Is(Status::Code::kInvalidArgument));
}

}  // namespace
}  // namespace tessera::redis
