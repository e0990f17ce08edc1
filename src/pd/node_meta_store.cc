#include "pd/node_meta_store.h"

#include <chrono>
#include <future>

#include "storage/engine.h"

namespace tessera::pd {

namespace {

using storage::Cf;

// The smallest key greater than every key with this prefix ("" : none, the prefix is all 0xff).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) != 0xff) {
      prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

template <typename T>
Result<T> WaitFor(std::future<T>& f, int timeout_ms) {
  if (f.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    return Status::Timeout("PD metadata store did not answer in time");
  }
  return f.get();
}

}  // namespace

NodeMetaStore::NodeMetaStore(multiraft::Node* node, int timeout_ms)
    : node_(node), timeout_ms_(timeout_ms) {}

multiraft::Epoch NodeMetaStore::CurrentEpoch() const {
  auto d = node_->ranges().Get(kPdShard);
  return d ? d->epoch : multiraft::Epoch{};
}

void NodeMetaStore::NoteHint(const Status& s, const multiraft::RouteHint& hint) {
  if (s.Is(Status::Code::kNotLeader)) leader_hint_.store(hint.leader.value());
}

Status NodeMetaStore::CheckRead(const std::string& start, const std::string& end, bool point) {
  multiraft::ReadRequest q;
  q.shard = kPdShard;
  q.epoch = CurrentEpoch();
  q.consistency = multiraft::ReadConsistency::kStrong;
  q.start_key = start;
  q.end_key = end;
  q.point = point;
  // The callback may run after a timeout returned: the promise lives in a shared_ptr.
  auto p = std::make_shared<std::promise<multiraft::ReadResponse>>();
  auto f = p->get_future();
  node_->Read(std::move(q), [p](multiraft::ReadResponse r) { p->set_value(std::move(r)); });
  auto r = WaitFor(f, timeout_ms_);
  if (!r.ok()) return r.status();
  NoteHint(r->status, r->hint);
  return r->status;
}

Result<multiraft::WriteResponse> NodeMetaStore::Propose(multiraft::WriteCommand cmd) {
  cmd.epoch = CurrentEpoch();
  auto p = std::make_shared<std::promise<multiraft::WriteResponse>>();
  auto f = p->get_future();
  node_->Write(kPdShard, std::move(cmd),
               [p](multiraft::WriteResponse r) { p->set_value(std::move(r)); });
  auto r = WaitFor(f, timeout_ms_);
  if (!r.ok()) return r.status();
  NoteHint(r->status, r->hint);
  if (!r->status.ok()) return r->status;
  return r;
}

Result<std::optional<std::string>> NodeMetaStore::Get(const std::string& key) {
  TESSERA_RETURN_IF_ERROR(CheckRead(key, "", true));
  auto v = node_->engine()->Get(Cf::kData, key);
  if (v.ok()) return std::optional<std::string>(std::move(v).value());
  if (v.status().Is(Status::Code::kNotFound)) return std::optional<std::string>();
  return v.status();
}

Result<std::vector<std::pair<std::string, std::string>>> NodeMetaStore::Scan(
    const std::string& prefix) {
  const std::string end = PrefixEnd(prefix);
  TESSERA_RETURN_IF_ERROR(CheckRead(prefix, end, false));
  storage::IterOptions io;
  io.lower_bound = prefix;
  io.upper_bound = end;
  auto it = node_->engine()->NewIterator(Cf::kData, io);
  std::vector<std::pair<std::string, std::string>> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  TESSERA_RETURN_IF_ERROR(it->status());
  return out;
}

Status NodeMetaStore::Write(const std::vector<Put>& puts, const std::vector<std::string>& deletes) {
  multiraft::WriteCommand cmd;
  for (const auto& p : puts) {
    multiraft::WriteOp op;
    op.type = multiraft::WriteOp::Type::kPut;
    op.key = p.key;
    op.value = p.value;
    cmd.ops.push_back(std::move(op));
  }
  for (const auto& k : deletes) {
    multiraft::WriteOp op;
    op.type = multiraft::WriteOp::Type::kDelete;
    op.key = k;
    cmd.ops.push_back(std::move(op));
  }
  if (cmd.ops.empty()) return Status::OK();
  return Propose(std::move(cmd)).status();
}

Result<bool> NodeMetaStore::CompareAndSwap(const std::string& key,
                                           const std::optional<std::string>& expected,
                                           const std::string& value) {
  multiraft::WriteCommand cmd;
  multiraft::WriteOp op;
  op.type = multiraft::WriteOp::Type::kCompareAndSwap;
  op.key = key;
  op.value = value;
  op.expected = expected;
  cmd.ops.push_back(std::move(op));
  auto r = Propose(std::move(cmd));
  if (!r.ok()) return r.status();
  TESSERA_CHECK(r->results.size() == 1);
  return r->results[0].succeeded;
}

}  // namespace tessera::pd
