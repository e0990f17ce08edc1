// SimSnapshotNetwork: the in-process snapshot transport for tests and the simulator. A send
// copies the snapshot directory (MANIFEST and every file, checked against the manifest) into a
// fresh directory under the destination's SnapshotDirs recv root, then calls the destination's
// SnapshotReceiver and the sender's `done`, all on the sending thread: synchronous and
// deterministic (fault decisions come from a seeded Random).
//
// Faults, as in SimNetwork: a partition or an isolated node drops every snapshot across it, and
// a loss rate drops each with a probability; a dropped snapshot leaves no directory at the
// destination and its `done` gets Unavailable. The receive limit
// (SnapshotLimits::max_concurrent_receives) applies as on a real node: a receive holds a slot
// from the start of the copy until the receiver returns. To let tests and the simulator hold
// transfers in flight, deferred mode queues sends (each holding its destination's receive slot
// from the moment it is queued; beyond the limit `done` gets Busy at once) until Deliver*() runs
// them in order.
//
// Thread safety: all methods are thread-safe. Callbacks (HandleSnapshot, done) run without the
// network's lock held, so they may call SendSnapshot again.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/random.h"
#include "multiraft/snapshot_dirs.h"
#include "multiraft/snapshot_transport.h"

namespace tessera::multiraft {

class SimSnapshotNetwork {
 public:
  // REQUIRES: limits.Validate().ok().
  explicit SimSnapshotNetwork(SnapshotLimits limits = {}, uint64_t seed = 1);

  // Registers node `id`: received snapshots go into dirs->recv_root() and to `receiver`. Both
  // must outlive the registration.
  void Register(NodeId id, SnapshotReceiver* receiver, SnapshotDirs* dirs);
  void Unregister(NodeId id);

  // The SnapshotSender of node `id`.
  std::unique_ptr<SnapshotSender> SenderFor(NodeId id);

  // Drops every snapshot between a node of `side` and a node outside it.
  void Partition(std::set<NodeId> side);
  void Isolate(NodeId id) { Partition({id}); }
  // Clears the partition and the loss rate.
  void Heal();
  // Drops each snapshot with probability p.
  void SetLossRate(double p);

  // Deferred mode (off by default): sends wait until DeliverNext/DeliverAll.
  void SetDeferred(bool deferred);
  // Runs the oldest queued send; false when none is queued.
  bool DeliverNext();
  // Runs every queued send (also those queued by callbacks meanwhile); returns how many ran.
  size_t DeliverAll();

  uint64_t delivered() const;
  uint64_t dropped() const;
  uint64_t refused_busy() const;
  // Receives holding a slot at `node` (queued sends count in deferred mode).
  uint32_t receives_in_flight(NodeId node) const;

 private:
  class Sender;
  struct Node {
    SnapshotReceiver* receiver = nullptr;
    SnapshotDirs* dirs = nullptr;
    std::unique_ptr<ReceiveSlots> slots;
  };
  struct Transfer {
    NodeId from, to;
    ShardMessage msg;
    std::string dir;
    std::function<void(Status)> done;
  };

  void Send(Transfer t);
  // Copies, verifies and delivers a transfer whose receive slot is held; releases the slot.
  Status Run(Transfer* t);
  // The destination's copy of the snapshot: a fresh verified directory, or an error (and none).
  Result<std::string> CopyToReceiver(const Transfer& t, SnapshotDirs* dirs);

  const SnapshotLimits limits_;
  mutable std::mutex mu_;
  std::map<NodeId, Node> nodes_;                             // guarded by mu_
  std::set<NodeId> side_;                                    // guarded by mu_
  double loss_ = 0;                                          // guarded by mu_
  SeededRandom rng_;                                         // guarded by mu_
  bool deferred_ = false;                                    // guarded by mu_
  std::deque<Transfer> queue_;                               // guarded by mu_
  uint64_t delivered_ = 0, dropped_ = 0, refused_busy_ = 0;  // guarded by mu_
};

}  // namespace tessera::multiraft
