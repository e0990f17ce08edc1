// A first program with the Tessera C++ client: connect through PD, write, read, scan, swap.
//
//   build/examples/hello_client 127.0.0.1:20100      (the playground's PD; see README)
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "tessera/client.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PD_HOST:PORT [PD_HOST:PORT ...]\n", argv[0]);
    return 2;
  }
  tessera::client::ClientOptions options;
  for (int i = 1; i < argc; ++i) options.pd_endpoints.push_back(argv[i]);
  std::unique_ptr<tessera::client::Client> client;
  if (auto s = tessera::client::Client::Connect(options, &client); !s.ok()) {
    std::fprintf(stderr, "connect: %s\n", s.ToString().c_str());
    return 1;
  }

  // Writes are durable on a quorum when they return OK. A kTimeout means "outcome unknown".
  for (int i = 0; i < 5; ++i) {
    auto s = client->Put("hello/" + std::to_string(i), "world " + std::to_string(i));
    if (!s.ok()) {
      std::fprintf(stderr, "put: %s%s\n", s.ToString().c_str(),
                   s.outcome_unknown() ? " (it may have applied)" : "");
      return 1;
    }
  }

  std::optional<std::string> value;
  if (auto s = client->Get("hello/3", &value); !s.ok()) {
    std::fprintf(stderr, "get: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("hello/3 = %s\n", value ? value->c_str() : "(absent)");

  // A follower read: linearizable, served by any replica.
  tessera::client::ReadOptions follower;
  follower.consistency = tessera::client::Consistency::kFollower;
  if (client->Get("hello/0", &value, follower).ok() && value) {
    std::printf("hello/0 (follower read) = %s\n", value->c_str());
  }

  std::vector<tessera::client::KeyValue> pairs;
  if (auto s = client->Scan("hello/", "hello0", &pairs); !s.ok()) {
    std::fprintf(stderr, "scan: %s\n", s.ToString().c_str());
    return 1;
  }
  for (const auto& kv : pairs) std::printf("  %s = %s\n", kv.key.c_str(), kv.value.c_str());

  // Compare-and-swap: only one of several racing clients wins.
  tessera::client::CasResult cas;
  if (auto s = client->CompareAndSwap("hello/lock", std::nullopt, "me", &cas); !s.ok()) {
    std::fprintf(stderr, "cas: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("took the lock: %s\n", cas.succeeded ? "yes" : "no (someone holds it)");
  return 0;
}
