// `tessera pd`: runs one placement driver member until SIGTERM or SIGINT.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace tessera::cmd {

struct PdFlags {
  uint64_t member_id = 0;
  std::string data_dir;
  std::string listen;
  std::string initial_members;
  std::string log_level = "info";
  std::string status_addr;
  uint32_t tick_ms = 0;
  uint32_t replicas = 0;
  int64_t max_node_down_time_ms = -1;
  uint64_t max_shard_size_bytes = 0;
  uint64_t max_shard_keys = 0;
};

CLI::App* AddPdCommand(CLI::App* app, PdFlags* flags);
int RunPd(const PdFlags& flags);

}  // namespace tessera::cmd
