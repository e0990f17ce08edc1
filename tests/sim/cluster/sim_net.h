// SimNet: the simulated network between the simulator's nodes. Unlike the synchronous
// multiraft::SimNetwork, every batch travels through the EventQueue: it is delivered after a
// random delay (so batches are reordered), and may be dropped or duplicated; directed links can
// be cut (partitions). Batches to a node that is down are lost. A batch lost to a cut link or a
// down node is reported back to the sender as unreachable, like a broken connection; a batch lost
// at random is not (a lost packet on a live connection).
//
// Everything is decided by the injected Random at send time and re-checked at delivery time (a
// partition that starts while a batch is in flight catches it). Single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "multiraft/transport.h"
#include "tests/sim/cluster/event_queue.h"
#include "tests/sim/cluster/trace.h"

namespace tessera::sim {

using multiraft::RaftBatch;
using multiraft::RaftBatchHandler;

// Random faults applied to every batch. The simulator changes them over a run.
struct NetFaults {
  double drop = 0;       // probability that a batch is lost
  double duplicate = 0;  // probability that a batch is delivered twice (the copy later)
  // Delay of a batch: uniform in [min_delay_nanos, max_delay_nanos]; with probability
  // `long_delay`, up to long_delay_max_nanos more (a stalled connection). Must be > 0 so that
  // nothing is delivered in the instant it was sent.
  int64_t min_delay_nanos = 100'000;
  int64_t max_delay_nanos = 2'000'000;
  double long_delay = 0;
  int64_t long_delay_max_nanos = 100'000'000;
};

struct NetStats {
  uint64_t sent = 0, delivered = 0, dropped = 0, duplicated = 0, cut = 0;
};

class SimNet {
 public:
  SimNet(EventQueue* events, const SimClock* clock, Random* rng, Trace* trace);
  ~SimNet();
  SimNet(const SimNet&) = delete;
  SimNet& operator=(const SimNet&) = delete;

  // The transport of node `id`: stable for the whole run (a restarted node gets the same one).
  multiraft::Transport* TransportFor(NodeId id);

  // Node `id` is up and receives through `handler` (not owned), or down (batches are lost).
  void Attach(NodeId id, RaftBatchHandler* handler);
  void Detach(NodeId id);

  // A directed link. Cuts nest: a link cut twice is restored by the second Restore.
  using Link = std::pair<NodeId, NodeId>;
  void Cut(const std::vector<Link>& links);
  void Restore(const std::vector<Link>& links);
  // The links between `side` and the other nodes of `all`, both directions.
  static std::vector<Link> Between(const std::vector<NodeId>& side, const std::vector<NodeId>& all);
  // Restores every link.
  void HealLinks() { cuts_.clear(); }
  bool Connected(NodeId from, NodeId to) const { return !cuts_.count({from, to}); }

  NetFaults& faults() { return faults_; }
  const NetStats& stats() const { return stats_; }

 private:
  class Endpoint;
  void Send(RaftBatch batch);
  void Deliver(RaftBatch batch);
  void ReportUnreachable(const RaftBatch& batch);
  int64_t Delay();

  EventQueue* const events_;
  const SimClock* const clock_;
  Random* const rng_;
  Trace* const trace_;
  NetFaults faults_;
  NetStats stats_;
  std::map<NodeId, std::unique_ptr<Endpoint>> endpoints_;
  std::map<NodeId, RaftBatchHandler*> handlers_;  // the nodes that are up
  std::map<Link, int> cuts_;                      // cut links, with how many cuts hold each
};

}  // namespace tessera::sim
