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
  // Required without PD (non-zero); with PD optional: a new node gets one from PD and keeps it in
  // its data directory (<data_dir>/ident).
  NodeId node_id;
  std::string data_dir;                    // required
  std::string listen = "127.0.0.1:20160";  // client API and Raft transport (one gRPC port)
  // The HTTP status port (/metrics, /healthz, /status; docs/observability.md), "host:port"
  // (port 0: any free port). Empty: none.
  std::string status_addr;
  // The Redis (RESP2) front door, "host:port" (docs/redis.md). Needs pd_endpoints: the front
  // door routes every key to its shard's leader through PD's map. Empty: none.
  std::string redis_addr;
  // The etcd v3 KV front door (gRPC), "host:port" (docs/etcd.md). Needs pd_endpoints, as the
  // Redis front door does. Empty: none.
  std::string etcd_addr;
  // Static bootstrap: "1=127.0.0.1:20160,2=127.0.0.1:20161,3=127.0.0.1:20162". Every node
  // started with the same list creates shard 1 over the whole key space on all of them.
  std::string initial_cluster;
  // Shards the static bootstrap creates, tiling the key space at the boundaries of
  // BootstrapShardStart (bootstrap_keys.h; 1: one shard over everything). A development and
  // benchmark setting.
  uint64_t initial_shards = 1;
  // The placement driver: "host:port,..." of its members (any subset). With it the node
  // registers, bootstraps the cluster when it is the first node, heartbeats, finds other nodes'
  // addresses and carries out PD's operators; without it (initial_cluster) the cluster is static.
  std::string pd_endpoints;
  // How often the node reports itself and the shards it leads to PD. Default: 1000 ms.
  int64_t pd_heartbeat_ms = 1000;
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
