// ServerConfig: the settings of `tessera server`, from a TOML file with command-line overrides.
// Every field is documented in docs/configuration.md; Validate() checks them once.
#pragma once

#include <map>
#include <string>

#include "common/ids.h"
#include "common/result.h"
#include "multiraft/options.h"
#include "server/bootstrap_keys.h"

namespace tessera::server {

struct ServerConfig {
  NodeId node_id;                          // required, non-zero
  std::string data_dir;                    // required
  std::string listen = "127.0.0.1:20160";  // client API and Raft transport (one gRPC port)
  // The HTTP status port (/metrics, /healthz, /status; docs/observability.md), "host:port"
  // (port 0: any free port). Empty: none.
  std::string status_addr;
  // Static bootstrap: "1=127.0.0.1:20160,2=127.0.0.1:20161,3=127.0.0.1:20162". Every node
  // started with the same list creates shard 1 over the whole key space on all of them.
  std::string initial_cluster;
  // Shards the static bootstrap creates, tiling the key space at the boundaries of
  // BootstrapShardStart (bootstrap_keys.h; 1: one shard over everything). A development and
  // benchmark setting.
  uint64_t initial_shards = 1;
  std::string engine = "rocksdb";  // rocksdb | lmdb | memory
  std::string log_level = "info";
  multiraft::NodeOptions node;  // [raft] and [limits] tables

  // The parsed initial cluster (node id -> address).
  Result<std::map<NodeId, std::string>> InitialCluster() const;
  Status Validate() const;
};

// Reads a TOML file. Unknown keys are errors (a typo must not be ignored silently).
Result<ServerConfig> LoadServerConfig(const std::string& path);
// Parses TOML text (for tests).
Result<ServerConfig> ParseServerConfig(std::string_view toml_text);

}  // namespace tessera::server
