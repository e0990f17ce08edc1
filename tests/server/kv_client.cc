#include "tests/server/kv_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/assert.h"

namespace tessera::testing {

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  TESSERA_ASSERT(fd >= 0, "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  TESSERA_ASSERT(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "bind");
  socklen_t len = sizeof a;
  TESSERA_ASSERT(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0, "getsockname");
  ::close(fd);
  return ntohs(a.sin_port);
}

KvTestClient::KvTestClient(std::map<uint64_t, std::string> addresses)
    : leader_guess_(addresses.begin()->first) {
  for (auto& [id, addr] : addresses) {
    stubs_[id] = v1::Kv::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  }
}

v1::RequestHeader KvTestClient::Header(uint64_t shard, uint64_t conf_version, uint64_t version) {
  v1::RequestHeader h;
  h.set_shard_id(shard);
  h.mutable_epoch()->set_conf_version(conf_version);
  h.mutable_epoch()->set_version(version);
  return h;
}

namespace {
// Moves to the hinted leader, or to the next node.
uint64_t NextGuess(const std::map<uint64_t, std::unique_ptr<v1::Kv::Stub>>& stubs, uint64_t cur,
                   const v1::Error& e) {
  if (e.has_not_leader() && stubs.count(e.not_leader().leader_node_id())) {
    return e.not_leader().leader_node_id();
  }
  auto it = stubs.upper_bound(cur);
  return it == stubs.end() ? stubs.begin()->first : it->first;
}
}  // namespace

v1::Error KvTestClient::Put(const std::string& key, const std::string& value,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  v1::Error last;
  last.set_message("no attempt");
  while (std::chrono::steady_clock::now() < deadline) {
    v1::PutRequest req;
    *req.mutable_header() = Header();
    req.set_key(key);
    req.set_value(value);
    v1::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::Status s = stubs_.at(leader_guess_)->Put(&ctx, req, &resp);
    if (s.ok() && !resp.has_error()) return v1::Error();
    if (s.ok()) last = resp.error();
    if (!s.ok()) last.set_message(s.error_message());
    // Only NotLeader, unavailability and dropped proposals are retried; typed errors are final.
    if (s.ok() && !resp.error().has_not_leader() && !resp.error().has_proposal_dropped() &&
        !resp.error().has_timeout() && !resp.error().has_server_is_busy()) {
      return last;
    }
    leader_guess_ = NextGuess(stubs_, leader_guess_, s.ok() ? resp.error() : v1::Error());
  }
  return last;
}

std::optional<std::string> KvTestClient::Get(const std::string& key, v1::Error* error,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  v1::Error last;
  last.set_message("no attempt");
  while (std::chrono::steady_clock::now() < deadline) {
    v1::GetRequest req;
    *req.mutable_header() = Header();
    req.set_key(key);
    v1::GetResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::Status s = stubs_.at(leader_guess_)->Get(&ctx, req, &resp);
    if (s.ok() && !resp.has_error()) {
      if (error) error->Clear();
      if (!resp.found()) return std::nullopt;
      return resp.value();
    }
    if (s.ok()) last = resp.error();
    if (!s.ok()) last.set_message(s.error_message());
    if (s.ok() && !resp.error().has_not_leader() && !resp.error().has_timeout() &&
        !resp.error().has_server_is_busy()) {
      break;
    }
    leader_guess_ = NextGuess(stubs_, leader_guess_, s.ok() ? resp.error() : v1::Error());
  }
  if (error) *error = last;
  return std::nullopt;
}

}  // namespace tessera::testing
