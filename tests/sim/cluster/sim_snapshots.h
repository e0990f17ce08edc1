// SimSnapshotNet: the simulator's snapshot transport (multiraft::SnapshotSender). A snapshot
// travels through the EventQueue like a Raft batch: it is delivered after a random delay (a few
// ms, longer while the network is slow), and at delivery its directory is copied (files checked
// against the manifest) into a fresh directory under the destination's SnapshotDirs recv root,
// handed to the destination's SnapshotReceiver, and the sender's `done` gets OK. It is subject
// to the same faults as the SimNet: a cut link (either direction: a stream needs both), a
// destination that is down, or a random loss at the network's drop rate make `done` get
// Unavailable and leave no directory at the destination. A sender that crashed (or restarted)
// before delivery loses the transfer without a `done`: its node object is gone, and its send
// directory is left for its recovery to clean up (SnapshotDirs::CleanupAbandoned).
//
// Each node has one SnapshotDirs under the run's data directory; it is on disk, so a crash keeps
// its content, and the node's recovery sees what a crash left (pending installs included).
//
// Single-threaded, driven by the SimCluster's events.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/random.h"
#include "multiraft/snapshot_dirs.h"
#include "multiraft/snapshot_transport.h"
#include "tests/sim/cluster/event_queue.h"
#include "tests/sim/cluster/sim_net.h"
#include "tests/sim/cluster/trace.h"

namespace tessera::sim {

struct SnapshotNetStats {
  uint64_t sent = 0, delivered = 0, lost = 0, orphaned = 0;
};

class SimSnapshotNet {
 public:
  SimSnapshotNet(EventQueue* events, const SimClock* clock, SimNet* net, uint64_t seed,
                 Trace* trace);
  ~SimSnapshotNet();
  SimSnapshotNet(const SimSnapshotNet&) = delete;
  SimSnapshotNet& operator=(const SimSnapshotNet&) = delete;

  // The sender of node `id`: stable for the whole run.
  multiraft::SnapshotSender* SenderFor(NodeId id);

  // Node `id` is up in incarnation `incarnation` and receives into `dirs` through `receiver`
  // (both not owned), or down.
  void Attach(NodeId id, uint64_t incarnation, multiraft::SnapshotReceiver* receiver,
              multiraft::SnapshotDirs* dirs);
  void Detach(NodeId id);

  // Transfers scheduled and not yet delivered.
  size_t in_flight() const { return in_flight_; }
  const SnapshotNetStats& stats() const { return stats_; }

 private:
  class Sender;
  struct Peer {
    multiraft::SnapshotReceiver* receiver = nullptr;
    multiraft::SnapshotDirs* dirs = nullptr;
    uint64_t incarnation = 0;
    bool up = false;
  };
  struct Transfer {
    NodeId from, to;
    uint64_t from_incarnation = 0;
    multiraft::ShardMessage msg;
    std::string dir;
    std::function<void(Status)> done;
  };
  void Send(Transfer t);
  void Deliver(Transfer t);
  Result<std::string> CopyToReceiver(const Transfer& t, multiraft::SnapshotDirs* dirs);

  EventQueue* const events_;
  const SimClock* const clock_;
  SimNet* const net_;
  SeededRandom rng_;
  Trace* const trace_;
  std::map<NodeId, std::unique_ptr<Sender>> senders_;
  std::map<NodeId, Peer> peers_;
  size_t in_flight_ = 0;
  SnapshotNetStats stats_;
  // Scheduled deliveries hold a weak reference: the queue may outlive this object.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::sim
