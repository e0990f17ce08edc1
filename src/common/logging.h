// Logging through spdlog. Every module logs with the vocabulary of shared/architecture.md
// (node, shard, replica, epoch, PD). The Raft core does not log through this: it reports what
// happened through its Ready and the caller logs.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace tessera {

// Sets the process-wide level from a name: trace, debug, info, warn, error, off.
// Returns false (and leaves the level unchanged) for an unknown name.
bool SetLogLevel(std::string_view level);

// The process-wide logger (stderr, colored when a terminal).
spdlog::logger& Log();

}  // namespace tessera
