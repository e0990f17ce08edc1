// A minimal test client for the native API: one channel per node, retries NotLeader by following
// the leader hint. (The real client, with routing and backoff, is src/client/.)
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "proto/kv.grpc.pb.h"

namespace tessera::testing {

class KvTestClient {
 public:
  explicit KvTestClient(std::map<uint64_t, std::string> addresses);

  v1::Kv::Stub* stub(uint64_t node) { return stubs_.at(node).get(); }
  static v1::RequestHeader Header(uint64_t shard = 1, uint64_t conf_version = 0,
                                  uint64_t version = 0);

  // Puts through the leader, following NotLeader hints and retrying unavailability until the
  // deadline. Returns the last response's error (empty Error on success).
  v1::Error Put(const std::string& key, const std::string& value,
                std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // A strong read through the leader (same retry policy).
  std::optional<std::string> Get(const std::string& key, v1::Error* error = nullptr,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(15));

 private:
  std::map<uint64_t, std::unique_ptr<v1::Kv::Stub>> stubs_;
  uint64_t leader_guess_;
};

// An unused TCP port on 127.0.0.1 (bound once and released).
int FreePort();

}  // namespace tessera::testing
