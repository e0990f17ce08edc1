#include "server/config.h"

#include <charconv>
#include <set>
// Parse errors are values here, not exceptions (shared/style.md, item 5).
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace tessera::server {
namespace {

Status Unknown(const toml::table& t, const std::set<std::string>& known, const std::string& where) {
  for (const auto& [k, v] : t) {
    if (!known.count(std::string(k.str()))) {
      return Status::InvalidArgument("config: unknown key '" + where + std::string(k.str()) + "'");
    }
  }
  return Status::OK();
}

template <typename T>
Status Read(const toml::table& t, const char* key, T* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::OK();
  if constexpr (std::is_same_v<T, bool>) {
    auto v = n->value<bool>();
    if (!v) return Status::InvalidArgument(std::string("config: ") + key + " must be a boolean");
    *out = *v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    auto v = n->value<std::string>();
    if (!v) return Status::InvalidArgument(std::string("config: ") + key + " must be a string");
    *out = *v;
  } else {
    auto v = n->value<int64_t>();
    if (!v || *v < 0) {
      return Status::InvalidArgument(std::string("config: ") + key +
                                     " must be a non-negative integer");
    }
    *out = static_cast<T>(*v);
  }
  return Status::OK();
}

Status ParseTable(const toml::table& root, ServerConfig* c) {
  TESSERA_RETURN_IF_ERROR(
      Unknown(root,
              {"node_id", "data_dir", "listen", "status_addr", "redis_addr", "etcd_addr",
               "initial_cluster", "initial_shards", "engine", "log_level", "raft", "limits",
               "shard", "pd_endpoints", "pd_heartbeat_ms"},
              ""));
  uint64_t id = 0;
  TESSERA_RETURN_IF_ERROR(Read(root, "node_id", &id));
  if (id != 0) c->node_id = NodeId(id);
  TESSERA_RETURN_IF_ERROR(Read(root, "data_dir", &c->data_dir));
  TESSERA_RETURN_IF_ERROR(Read(root, "listen", &c->listen));
  TESSERA_RETURN_IF_ERROR(Read(root, "status_addr", &c->status_addr));
  TESSERA_RETURN_IF_ERROR(Read(root, "redis_addr", &c->redis_addr));
  TESSERA_RETURN_IF_ERROR(Read(root, "etcd_addr", &c->etcd_addr));
  TESSERA_RETURN_IF_ERROR(Read(root, "initial_cluster", &c->initial_cluster));
  TESSERA_RETURN_IF_ERROR(Read(root, "initial_shards", &c->initial_shards));
  TESSERA_RETURN_IF_ERROR(Read(root, "engine", &c->engine));
  TESSERA_RETURN_IF_ERROR(Read(root, "log_level", &c->log_level));
  TESSERA_RETURN_IF_ERROR(Read(root, "pd_endpoints", &c->pd_endpoints));
  TESSERA_RETURN_IF_ERROR(Read(root, "pd_heartbeat_ms", &c->pd_heartbeat_ms));
  multiraft::NodeOptions& n = c->node;
  if (const toml::table* raft = root["raft"].as_table()) {
    TESSERA_RETURN_IF_ERROR(Unknown(*raft,
                                    {"workers", "apply_threads", "tick_ms", "election_ticks",
                                     "heartbeat_ticks", "lease_reads", "sync_log"},
                                    "raft."));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "workers", &n.workers));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "apply_threads", &n.apply_threads));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "tick_ms", &n.tick_ms));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "election_ticks", &n.election_ticks));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "heartbeat_ticks", &n.heartbeat_ticks));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "lease_reads", &n.lease_reads));
    TESSERA_RETURN_IF_ERROR(Read(*raft, "sync_log", &n.sync_log));
  }
  if (const toml::table* limits = root["limits"].as_table()) {
    TESSERA_RETURN_IF_ERROR(Unknown(*limits,
                                    {"mailbox_capacity", "max_command_bytes",
                                     "max_uncommitted_bytes", "max_msg_bytes", "write_timeout_ms"},
                                    "limits."));
    TESSERA_RETURN_IF_ERROR(Read(*limits, "mailbox_capacity", &n.mailbox_capacity));
    TESSERA_RETURN_IF_ERROR(Read(*limits, "max_command_bytes", &n.max_command_bytes));
    TESSERA_RETURN_IF_ERROR(Read(*limits, "max_uncommitted_bytes", &n.max_uncommitted_bytes));
    TESSERA_RETURN_IF_ERROR(Read(*limits, "max_msg_bytes", &n.max_msg_bytes));
    TESSERA_RETURN_IF_ERROR(Read(*limits, "write_timeout_ms", &n.write_timeout_ms));
  }
  if (const toml::table* shard = root["shard"].as_table()) {
    TESSERA_RETURN_IF_ERROR(
        Unknown(*shard,
                {"split_size_bytes", "split_keys", "split_check_interval_ms", "log_gc_interval_ms",
                 "log_gc_threshold", "log_gc_count_limit", "hibernate_after_ms",
                 "node_heartbeat_interval_ms", "node_dead_after_ms"},
                "shard."));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "split_size_bytes", &n.split_size_bytes));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "split_keys", &n.split_keys));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "split_check_interval_ms", &n.split_check_interval_ms));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "log_gc_interval_ms", &n.log_gc_interval_ms));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "log_gc_threshold", &n.log_gc_threshold));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "log_gc_count_limit", &n.log_gc_count_limit));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "hibernate_after_ms", &n.hibernate_after_ms));
    TESSERA_RETURN_IF_ERROR(
        Read(*shard, "node_heartbeat_interval_ms", &n.node_heartbeat_interval_ms));
    TESSERA_RETURN_IF_ERROR(Read(*shard, "node_dead_after_ms", &n.node_dead_after_ms));
  }
  return Status::OK();
}

}  // namespace

Result<std::map<NodeId, std::string>> ServerConfig::InitialCluster() const {
  std::map<NodeId, std::string> out;
  std::string_view rest = initial_cluster;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    uint64_t id = 0;
    if (eq == std::string_view::npos ||
        std::from_chars(item.data(), item.data() + eq, id).ptr != item.data() + eq || id == 0 ||
        eq + 1 >= item.size()) {
      return Status::InvalidArgument("initial_cluster: expected id=host:port items, got '" +
                                     std::string(item) + "'");
    }
    if (!out.emplace(NodeId(id), std::string(item.substr(eq + 1))).second) {
      return Status::InvalidArgument("initial_cluster: node " + std::to_string(id) + " twice");
    }
  }
  return out;
}

Status ServerConfig::Validate() const {
  if (!node_id && pd_endpoints.empty()) {
    return Status::InvalidArgument("config: node_id is required (non-zero) without pd_endpoints");
  }
  if (!pd_endpoints.empty() && !initial_cluster.empty()) {
    return Status::InvalidArgument(
        "config: pd_endpoints and initial_cluster exclude each other (PD bootstraps the cluster)");
  }
  if (!pd_endpoints.empty() && data_dir.empty()) {
    return Status::InvalidArgument("config: data_dir is required with pd_endpoints");
  }
  if (pd_heartbeat_ms < 10 || pd_heartbeat_ms > 60'000) {
    return Status::InvalidArgument("config: pd_heartbeat_ms must be in [10, 60000]");
  }
  if (data_dir.empty() && engine != "memory") {
    return Status::InvalidArgument("config: data_dir is required");
  }
  if (listen.find(':') == std::string::npos) {
    return Status::InvalidArgument("config: listen must be host:port");
  }
  if (!status_addr.empty() && status_addr.find(':') == std::string::npos) {
    return Status::InvalidArgument("config: status_addr must be host:port (or empty: none)");
  }
  for (const auto& [name, addr] :
       {std::pair{"redis_addr", &redis_addr}, {"etcd_addr", &etcd_addr}}) {
    if (addr->empty()) continue;
    if (addr->find(':') == std::string::npos) {
      return Status::InvalidArgument(std::string("config: ") + name +
                                     " must be host:port (or empty: none)");
    }
    if (pd_endpoints.empty()) {
      return Status::InvalidArgument(std::string("config: ") + name +
                                     " needs pd_endpoints (the front door routes keys through PD)");
    }
  }
  if (engine != "rocksdb" && engine != "lmdb" && engine != "memory") {
    return Status::InvalidArgument("config: engine must be rocksdb, lmdb or memory");
  }
  if (initial_shards < 1 || initial_shards > 99'999'999) {
    return Status::InvalidArgument("config: initial_shards must be in [1, 99999999]");
  }
  auto cluster = InitialCluster();
  if (!cluster.ok()) return cluster.status();
  if (!cluster->empty() && !cluster->count(node_id)) {
    return Status::InvalidArgument("config: initial_cluster does not list this node's id");
  }
  multiraft::NodeOptions n = node;
  n.node_id = node_id ? node_id : NodeId(1);  // with PD the id may come later
  return n.Validate();
}

Result<ServerConfig> ParseServerConfig(std::string_view text) {
  toml::parse_result parsed = toml::parse(text);
  if (!parsed) {
    return Status::InvalidArgument("config: " + std::string(parsed.error().description()) +
                                   " at line " +
                                   std::to_string(parsed.error().source().begin.line));
  }
  ServerConfig c;
  TESSERA_RETURN_IF_ERROR(ParseTable(parsed.table(), &c));
  return c;
}

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  toml::parse_result parsed = toml::parse_file(path);
  if (!parsed) {
    return Status::InvalidArgument("config " + path + ": " +
                                   std::string(parsed.error().description()) + " at line " +
                                   std::to_string(parsed.error().source().begin.line));
  }
  ServerConfig c;
  TESSERA_RETURN_IF_ERROR(ParseTable(parsed.table(), &c));
  return c;
}

}  // namespace tessera::server
