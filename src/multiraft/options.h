// Options of a Multi-Raft node, validated once (shared/style.md, item 6).
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"

namespace tessera::multiraft {

struct NodeOptions {
  // This node's id. Must not be zero.
  NodeId node_id;

  // Worker threads; each owns a fixed subset of the replicas (by shard id). Default: 2, sized for
  // a small machine. Must be in [1, 64].
  int workers = 2;

  // Threads of the apply pool (apply_pool.h): committed writes are applied and answered there
  // while the workers go on with their next rounds. 0: the workers apply everything themselves.
  // Default: 1. Must be in [0, 64].
  int apply_threads = 1;

  // Wall-clock length of one Raft tick. Default: 100 ms. Must be > 0.
  int tick_ms = 100;

  // Raft timing in ticks (raft::Config). Defaults: election 10 ticks (1 s), heartbeat 2 ticks.
  int election_ticks = 10;
  int heartbeat_ticks = 2;

  // Serve strong reads from the leader lease when it holds (ReadIndex otherwise). Default: true.
  bool lease_reads = true;

  // Bounded mailboxes: a worker refuses new requests with Busy (ServerIsBusy) beyond this many
  // queued tasks. Raft messages are never refused (they are dropped like lost packets when the
  // bound is exceeded four times over). Default: 65536.
  uint64_t mailbox_capacity = 65536;

  // Upper bound on the payload bytes of one proposed command. Default: 8 MiB.
  uint64_t max_command_bytes = 8ull << 20;

  // Upper bound on a shard's uncommitted bytes (raft::Config::max_uncommitted_entries_bytes).
  // Default: 64 MiB.
  uint64_t max_uncommitted_bytes = 64ull << 20;

  // Upper bound on the bytes of entries in one append message. Default: 1 MiB.
  uint64_t max_msg_bytes = 1ull << 20;

  // A write not applied within this time is answered with Timeout (its outcome is unknown: it may
  // still apply). Default: 10000 ms. Must be > 0.
  int write_timeout_ms = 10000;

  // Sync the Raft log at the end of each round that wrote entries or a vote. Turning this off
  // loses acknowledged writes on a machine crash; only for tests and experiments. Default: true.
  bool sync_log = true;

  // Split by size: the leader of a shard checks every split_check_interval_ms whether the
  // engine's approximate size or key count of the shard's range exceeds these bounds, and if so
  // proposes a split at the engine's middle key. 0 disables a bound. Defaults: 96 MiB, 960,000
  // keys, every 10 s.
  uint64_t split_size_bytes = 96ull << 20;
  uint64_t split_keys = 960'000;
  int split_check_interval_ms = 10'000;

  // Raft log GC: the leader of a shard checks every log_gc_interval_ms; once every follower has
  // at least log_gc_threshold entries beyond the first index, or the log holds more than
  // log_gc_count_limit entries (laggards then catch up by snapshot), it proposes compacting the
  // log through the log. Defaults: 10 s, 50 entries, 10,000 entries.
  int log_gc_interval_ms = 10'000;
  uint64_t log_gc_threshold = 50;
  uint64_t log_gc_count_limit = 10'000;

  // Hibernation: the leader of a shard with no request for hibernate_after_ms, whose Raft state
  // is quiescent (everything committed, applied and replicated), stops ticking and heartbeating,
  // and so do its followers; any request or message wakes it. 0 turns hibernation off. Default:
  // 3000 ms.
  int hibernate_after_ms = 3000;
  // Node liveness for hibernating shards: every node_heartbeat_interval_ms a worker sends an
  // empty batch to each node it shares a shard with; a hibernating follower wakes (and may
  // campaign) once its leader's node has been silent for node_dead_after_ms. Defaults: 500 ms and
  // 2000 ms (two election timeouts). dead_after must exceed twice the interval.
  int node_heartbeat_interval_ms = 500;
  int node_dead_after_ms = 2000;

  // Seeds the replicas' election randomness (each replica's generator is seeded from this and
  // its shard id). 0: a seed from the operating system's entropy. The deterministic simulator
  // sets it so that a run replays from its seed.
  uint64_t random_seed = 0;

  // Where time comes from (ticks, timeouts, stale-read freshness). Not owned; must outlive the
  // node. Default: the system's steady clock. The simulator passes a SimClock and drives the
  // node with Node::Poll instead of Start.
  Clock* clock = SystemClock::Default();

  Status Validate() const;
};

}  // namespace tessera::multiraft
