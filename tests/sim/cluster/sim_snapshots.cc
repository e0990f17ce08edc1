#include "tests/sim/cluster/sim_snapshots.h"

#include <utility>

#include "multiraft/snapshot.h"
#include "multiraft/snapshot_files.h"
#include "storage/fs_util.h"

namespace tessera::sim {

using multiraft::SnapshotDirs;
using multiraft::SnapshotManifest;

class SimSnapshotNet::Sender final : public multiraft::SnapshotSender {
 public:
  Sender(SimSnapshotNet* net, NodeId self) : net_(net), self_(self) {}
  void SendSnapshot(NodeId to, multiraft::ShardMessage msg, std::string dir,
                    std::function<void(Status)> done) override {
    net_->Send(Transfer{self_, to, 0, std::move(msg), std::move(dir), std::move(done)});
  }

 private:
  SimSnapshotNet* const net_;
  const NodeId self_;
};

SimSnapshotNet::SimSnapshotNet(EventQueue* events, const SimClock* clock, SimNet* net,
                               uint64_t seed, Trace* trace)
    : events_(events), clock_(clock), net_(net), rng_(seed), trace_(trace) {}

SimSnapshotNet::~SimSnapshotNet() = default;

multiraft::SnapshotSender* SimSnapshotNet::SenderFor(NodeId id) {
  auto& s = senders_[id];
  if (!s) s = std::make_unique<Sender>(this, id);
  return s.get();
}

void SimSnapshotNet::Attach(NodeId id, uint64_t incarnation, multiraft::SnapshotReceiver* receiver,
                            multiraft::SnapshotDirs* dirs) {
  peers_[id] = Peer{receiver, dirs, incarnation, true};
}

void SimSnapshotNet::Detach(NodeId id) {
  Peer& p = peers_[id];
  p.up = false;
  p.receiver = nullptr;
  p.dirs = nullptr;
}

void SimSnapshotNet::Send(Transfer t) {
  ++stats_.sent;
  t.from_incarnation = peers_[t.from].incarnation;
  // A stream takes longer than a batch: a few ms, and much longer on a slow network.
  const NetFaults& f = net_->faults();
  int64_t delay = static_cast<int64_t>(rng_.Range(1'000'000, 10'000'000));
  if (rng_.Chance(f.long_delay)) {
    delay += static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(f.long_delay_max_nanos)));
  }
  trace_->Note(clock_->NowNanos(), "snapshot of shard {} at index {}: node {} -> {}",
               t.msg.shard.value(),
               t.msg.msg.snapshot ? t.msg.msg.snapshot->metadata.index.value() : 0, t.from.value(),
               t.to.value());
  ++in_flight_;
  std::weak_ptr<bool> alive = alive_;
  events_->At(clock_->NowNanos() + delay, [this, alive, t = std::move(t)]() mutable {
    if (alive.expired()) return;
    --in_flight_;
    Deliver(std::move(t));
  });
}

void SimSnapshotNet::Deliver(Transfer t) {
  const Peer& from = peers_[t.from];
  if (!from.up || from.incarnation != t.from_incarnation) {
    // The sender crashed meanwhile: its callbacks are gone with it.
    ++stats_.orphaned;
    return;
  }
  const Peer& to = peers_[t.to];
  Status st;
  if (!to.up) {
    st = Status::Unavailable("snapshot to a node that is down");
  } else if (!net_->Connected(t.from, t.to) || !net_->Connected(t.to, t.from)) {
    st = Status::Unavailable("snapshot across a cut link");
  } else if (rng_.Chance(net_->faults().drop)) {
    st = Status::Unavailable("snapshot stream broken by the simulated network");
  }
  Result<std::string> copied = st.ok() ? CopyToReceiver(t, to.dirs) : Result<std::string>(st);
  trace_->Mix(static_cast<uint64_t>(clock_->NowNanos()) ^ (t.from.value() << 40) ^
              (t.to.value() << 48) ^ (copied.ok() ? 1 : 0));
  if (copied.ok()) {
    ++stats_.delivered;
    to.receiver->HandleSnapshot(t.from, std::move(t.msg), std::move(copied).value());
    t.done(Status::OK());
  } else {
    ++stats_.lost;
    trace_->Note(clock_->NowNanos(), "snapshot of shard {}: node {} -> {} lost: {}",
                 t.msg.shard.value(), t.from.value(), t.to.value(), copied.status().ToString());
    t.done(copied.status());
  }
}

Result<std::string> SimSnapshotNet::CopyToReceiver(const Transfer& t, SnapshotDirs* dirs) {
  TESSERA_ASSIGN_OR_RETURN(const SnapshotManifest m, multiraft::ReadSnapshotManifest(t.dir));
  TESSERA_RETURN_IF_ERROR(multiraft::CheckSnapshotMessage(t.from, t.to, t.msg, m));
  const std::string dst = dirs->NewRecvDir(m.desc.id, m.apply.applied_term, m.apply.applied_index);
  auto copy = [&]() -> Status {
    TESSERA_RETURN_IF_ERROR(storage::CreateNewDir(dst));
    for (const multiraft::SnapshotFile& f : m.files) {
      TESSERA_RETURN_IF_ERROR(multiraft::CopyFileVerified(t.dir + "/" + f.name, dst + "/" + f.name,
                                                          {f.size, f.checksum}));
    }
    TESSERA_ASSIGN_OR_RETURN(const multiraft::FileDigest d,
                             multiraft::DigestFile(t.dir + "/MANIFEST"));
    TESSERA_RETURN_IF_ERROR(multiraft::CopyFileVerified(t.dir + "/MANIFEST", dst + "/MANIFEST", d));
    return storage::SyncDir(dst);
  };
  const Status st = copy();
  if (!st.ok()) {
    (void)multiraft::RemoveAll(dst);
    return st;
  }
  return dst;
}

}  // namespace tessera::sim
