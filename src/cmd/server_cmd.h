// `tessera server`: runs one node until SIGTERM or SIGINT, then shuts down gracefully (exit 0).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tessera::cmd {

struct ServerFlags {
  std::string config;  // a TOML file (docs/configuration.md); flags override its values
  uint64_t node_id = 0;
  uint64_t initial_shards = 0;
  std::string data_dir, listen, status_addr, redis_addr, etcd_addr, initial_cluster, engine,
      log_level, pd;
  int workers = 0, tick_ms = 0;
  int apply_threads = -1;  // -1: the config file's (or the default)
  bool no_sync = false;
};

// Registers the subcommand's flags.
CLI::App* AddServerCommand(CLI::App* app, ServerFlags* flags);
// Runs the server; returns the process exit code.
int RunServer(const ServerFlags& flags);

}  // namespace tessera::cmd
