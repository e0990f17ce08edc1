#include "multiraft/sim_snapshot_transport.h"

#include <utility>

#include "common/assert.h"
#include "multiraft/snapshot.h"
#include "multiraft/snapshot_files.h"
#include "storage/fs_util.h"

namespace tessera::multiraft {

class SimSnapshotNetwork::Sender final : public SnapshotSender {
 public:
  Sender(SimSnapshotNetwork* net, NodeId self) : net_(net), self_(self) {}
  void SendSnapshot(NodeId to, ShardMessage msg, std::string dir,
                    std::function<void(Status)> done) override {
    net_->Send(Transfer{self_, to, std::move(msg), std::move(dir), std::move(done)});
  }

 private:
  SimSnapshotNetwork* const net_;
  const NodeId self_;
};

SimSnapshotNetwork::SimSnapshotNetwork(SnapshotLimits limits, uint64_t seed)
    : limits_(limits), rng_(seed) {
  TESSERA_ASSERT(limits_.Validate().ok(), "invalid SnapshotLimits");
}

void SimSnapshotNetwork::Register(NodeId id, SnapshotReceiver* receiver, SnapshotDirs* dirs) {
  TESSERA_ASSERT(receiver != nullptr && dirs != nullptr, "receiver and dirs required");
  std::lock_guard<std::mutex> lock(mu_);
  Node& n = nodes_[id];
  n.receiver = receiver;
  n.dirs = dirs;
  if (!n.slots) n.slots = std::make_unique<ReceiveSlots>(limits_.max_concurrent_receives);
}

void SimSnapshotNetwork::Unregister(NodeId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  // The slots stay (queued transfers hold them); the node no longer receives.
  it->second.receiver = nullptr;
  it->second.dirs = nullptr;
}

std::unique_ptr<SnapshotSender> SimSnapshotNetwork::SenderFor(NodeId id) {
  return std::make_unique<Sender>(this, id);
}

void SimSnapshotNetwork::Partition(std::set<NodeId> side) {
  std::lock_guard<std::mutex> lock(mu_);
  side_ = std::move(side);
}

void SimSnapshotNetwork::Heal() {
  std::lock_guard<std::mutex> lock(mu_);
  side_.clear();
  loss_ = 0;
}

void SimSnapshotNetwork::SetLossRate(double p) {
  std::lock_guard<std::mutex> lock(mu_);
  loss_ = p;
}

void SimSnapshotNetwork::SetDeferred(bool deferred) {
  std::lock_guard<std::mutex> lock(mu_);
  deferred_ = deferred;
}

void SimSnapshotNetwork::Send(Transfer t) {
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto to = nodes_.find(t.to);
    if (to == nodes_.end() || !to->second.slots) {
      ++dropped_;
      refused = Status::Unavailable("snapshot to an unknown node");
    } else if (!to->second.slots->TryAcquire()) {
      ++refused_busy_;
      refused = Status::Busy("the receiving node is at its concurrent snapshot limit");
    } else if (deferred_) {
      queue_.push_back(std::move(t));
      return;
    }
  }
  if (!refused.ok()) {
    t.done(std::move(refused));
    return;
  }
  Status st = Run(&t);
  t.done(std::move(st));
}

bool SimSnapshotNetwork::DeliverNext() {
  Transfer t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) return false;
    t = std::move(queue_.front());
    queue_.pop_front();
  }
  Status st = Run(&t);
  t.done(std::move(st));
  return true;
}

size_t SimSnapshotNetwork::DeliverAll() {
  size_t n = 0;
  while (DeliverNext()) ++n;
  return n;
}

Status SimSnapshotNetwork::Run(Transfer* t) {
  SnapshotReceiver* receiver = nullptr;
  SnapshotDirs* dirs = nullptr;
  ReceiveSlots* slots = nullptr;
  bool drop = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Node& n = nodes_.at(t->to);  // a slot is held, so the entry exists
    slots = n.slots.get();
    receiver = n.receiver;
    dirs = n.dirs;
    const bool cut = !side_.empty() && side_.count(t->from) != side_.count(t->to);
    drop = receiver == nullptr || cut || rng_.Chance(loss_);
    if (drop) ++dropped_;
  }
  Status st = drop ? Status::Unavailable("snapshot dropped by the simulated network") : Status();
  Result<std::string> copied = st.ok() ? CopyToReceiver(*t, dirs) : Result<std::string>(st);
  if (copied.ok()) {
    receiver->HandleSnapshot(t->from, std::move(t->msg), std::move(copied).value());
    std::lock_guard<std::mutex> lock(mu_);
    ++delivered_;
  }
  slots->Release();
  return copied.ok() ? Status::OK() : copied.status();
}

Result<std::string> SimSnapshotNetwork::CopyToReceiver(const Transfer& t, SnapshotDirs* dirs) {
  TESSERA_ASSIGN_OR_RETURN(const SnapshotManifest m, ReadSnapshotManifest(t.dir));
  TESSERA_RETURN_IF_ERROR(CheckSnapshotMessage(t.from, t.to, t.msg, m));
  const std::string dst = dirs->NewRecvDir(m.desc.id, m.apply.applied_term, m.apply.applied_index);
  auto copy = [&]() -> Status {
    TESSERA_RETURN_IF_ERROR(storage::CreateNewDir(dst));
    for (const SnapshotFile& f : m.files) {
      TESSERA_RETURN_IF_ERROR(
          CopyFileVerified(t.dir + "/" + f.name, dst + "/" + f.name, {f.size, f.checksum}));
    }
    TESSERA_ASSIGN_OR_RETURN(const FileDigest d, DigestFile(t.dir + "/MANIFEST"));
    TESSERA_RETURN_IF_ERROR(CopyFileVerified(t.dir + "/MANIFEST", dst + "/MANIFEST", d));
    return storage::SyncDir(dst);
  };
  const Status st = copy();
  if (!st.ok()) {
    (void)RemoveAll(dst);
    return st;
  }
  return dst;
}

uint64_t SimSnapshotNetwork::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

uint64_t SimSnapshotNetwork::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

uint64_t SimSnapshotNetwork::refused_busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_busy_;
}

uint32_t SimSnapshotNetwork::receives_in_flight(NodeId node) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  return it == nodes_.end() || !it->second.slots ? 0 : it->second.slots->active();
}

}  // namespace tessera::multiraft
