// `tessera ctl --pd ...` key-value commands, through the C++ client (include/tessera/client.h):
// routed by PD's shard map, retried within --timeout-ms.
//
//   get KEY [--consistency strong|follower|stale]
//   put KEY VALUE
//   del KEY                    (alias: delete)
//   scan [START [END]] [--limit N] [--reverse] [--keys-only]
//   cas KEY NEW [--expect VALUE | --expect-absent] [--delete]
//
// Output: readable lines, or JSON with --output json. Exit codes: 0 success, 1 an error (for
// writes a timeout says "outcome unknown"), 3 get of an absent key or a cas whose condition
// did not hold.
#pragma once

#include <optional>

#include "cmd/ctl_cmd.h"

namespace tessera::cmd {

// Runs the parsed key-value command through the client; nullopt when none was parsed.
std::optional<int> RunClientKv(const CtlFlags& flags);

}  // namespace tessera::cmd
