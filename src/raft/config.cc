#include "raft/config.h"

#include "raft/log_storage.h"

namespace tessera::raft {

int Config::EffectiveLeaseTicks() const {
  if (lease_ticks > 0) return lease_ticks;
  return election_ticks > 2 ? election_ticks - 2 : 1;
}

Status Config::Validate() const {
  if (!id) return Status::InvalidArgument("raft config: id must not be zero");
  if (heartbeat_ticks <= 0)
    return Status::InvalidArgument("raft config: heartbeat_ticks must be > 0");
  if (election_ticks <= heartbeat_ticks) {
    return Status::InvalidArgument(
        "raft config: election_ticks must be greater than heartbeat_ticks");
  }
  if (lease_ticks < 0 || EffectiveLeaseTicks() >= election_ticks) {
    return Status::InvalidArgument("raft config: lease_ticks must be in [1, election_ticks)");
  }
  if (storage == nullptr) return Status::InvalidArgument("raft config: storage is required");
  if (random == nullptr) return Status::InvalidArgument("raft config: random is required");
  if (max_inflight_msgs <= 0) {
    return Status::InvalidArgument("raft config: max_inflight_msgs must be > 0");
  }
  if (max_inflight_bytes != 0 && max_inflight_bytes < max_msg_bytes) {
    return Status::InvalidArgument("raft config: max_inflight_bytes must be >= max_msg_bytes");
  }
  if (read_only_option == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return Status::InvalidArgument("raft config: lease-based reads require check_quorum");
  }
  return Status::OK();
}

}  // namespace tessera::raft
