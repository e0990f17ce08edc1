#include "multiraft/options.h"

namespace tessera::multiraft {

Status NodeOptions::Validate() const {
  if (!node_id) return Status::InvalidArgument("node options: node_id must not be zero");
  if (workers < 1 || workers > 64) {
    return Status::InvalidArgument("node options: workers must be in [1, 64]");
  }
  if (apply_threads < 0 || apply_threads > 64) {
    return Status::InvalidArgument("node options: apply_threads must be in [0, 64]");
  }
  if (tick_ms <= 0) return Status::InvalidArgument("node options: tick_ms must be > 0");
  if (heartbeat_ticks <= 0 || election_ticks <= heartbeat_ticks) {
    return Status::InvalidArgument("node options: need 0 < heartbeat_ticks < election_ticks");
  }
  if (write_timeout_ms <= 0) {
    return Status::InvalidArgument("node options: write_timeout_ms must be > 0");
  }
  if (mailbox_capacity == 0) {
    return Status::InvalidArgument("node options: mailbox_capacity must be > 0");
  }
  if (max_command_bytes == 0) {
    return Status::InvalidArgument("node options: max_command_bytes must be > 0");
  }
  if (split_check_interval_ms <= 0) {
    return Status::InvalidArgument("node options: split_check_interval_ms must be > 0");
  }
  if (log_gc_interval_ms <= 0 || log_gc_count_limit == 0) {
    return Status::InvalidArgument(
        "node options: log_gc_interval_ms and log_gc_count_limit must be > 0");
  }
  if (hibernate_after_ms < 0) {
    return Status::InvalidArgument("node options: hibernate_after_ms must be >= 0");
  }
  if (node_heartbeat_interval_ms <= 0 || node_dead_after_ms <= 2 * node_heartbeat_interval_ms) {
    return Status::InvalidArgument(
        "node options: need 0 < node_heartbeat_interval_ms and node_dead_after_ms > twice it");
  }
  if (clock == nullptr) return Status::InvalidArgument("node options: clock must be set");
  return Status::OK();
}

}  // namespace tessera::multiraft
