// SimNetwork: an in-process network for tests: nodes register their RaftBatchHandler, and each
// node's SimTransport delivers batches straight into the destination's handler, unless a fault
// rule drops them (a partition, an isolated node, a random loss rate). Dropped batches are
// reported to the sender as unreachable, like a broken connection.
//
// Thread safety: all methods are thread-safe. Delivery happens on the sending thread, under the
// network's lock; handlers only enqueue, so this cannot deadlock.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "common/random.h"
#include "multiraft/transport.h"

namespace tessera::multiraft {

class SimNetwork {
 public:
  explicit SimNetwork(uint64_t seed = 1) : rng_(seed) {}

  void Register(NodeId id, RaftBatchHandler* handler);
  void Unregister(NodeId id);

  // Drops every batch between a node of `side` and a node outside it.
  void Partition(std::set<NodeId> side);
  // Drops everything to and from `id`.
  void Isolate(NodeId id) { Partition({id}); }
  void Heal();
  // Drops each batch with probability p.
  void SetLossRate(double p);

  std::unique_ptr<Transport> TransportFor(NodeId id);

  uint64_t delivered() const;
  uint64_t dropped() const;

 private:
  friend class SimTransport;
  void Deliver(RaftBatch batch);

  mutable std::mutex mu_;
  std::map<NodeId, RaftBatchHandler*> handlers_;  // guarded by mu_
  std::set<NodeId> side_;                         // guarded by mu_
  double loss_ = 0;                               // guarded by mu_
  SeededRandom rng_;                              // guarded by mu_
  uint64_t delivered_ = 0, dropped_ = 0;          // guarded by mu_
};

}  // namespace tessera::multiraft
