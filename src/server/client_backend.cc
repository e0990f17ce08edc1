#include "server/client_backend.h"

#include <chrono>

namespace tessera::server {

Status FromClientStatus(const client::Status& s) {
  switch (s.code()) {
    case client::Code::kOk:
      return Status::OK();
    case client::Code::kInvalidArgument:
      return Status::InvalidArgument(s.message());
    case client::Code::kTimeout:
      return Status::Timeout(s.message());
    case client::Code::kUnavailable:
      return Status::Unavailable(s.message());
    case client::Code::kInternal:
      return Status::Internal(s.message());
    case client::Code::kFailedPrecondition:
      return Status::FailedPrecondition(s.message());
  }
  return Status::Internal(s.message());
}

namespace {

// Linearizable reads served by any replica after a read index from the leader: the node's
// client serves them from the node's own replica when it has one (client/local_kv.h).
client::ReadOptions FrontDoorRead() {
  client::ReadOptions o;
  o.consistency = client::Consistency::kFollower;
  return o;
}

}  // namespace

Status ClientBackend::Get(std::string_view key, std::optional<std::string>* value) {
  return FromClientStatus(client_->Get(key, value, FrontDoorRead()));
}

Status ClientBackend::BatchGet(const std::vector<std::string>& keys,
                               std::vector<std::optional<std::string>>* values) {
  return FromClientStatus(client_->BatchGet(keys, values, FrontDoorRead()));
}

Status ClientBackend::Put(std::string_view key, std::string_view value) {
  return FromClientStatus(client_->Put(key, value));
}

Status ClientBackend::BatchPut(const std::vector<redis::KvPair>& pairs) {
  std::vector<client::KeyValue> kvs;
  kvs.reserve(pairs.size());
  for (const auto& p : pairs) kvs.push_back({p.key, p.value});
  return FromClientStatus(client_->BatchPut(kvs));
}

Status ClientBackend::Delete(std::string_view key) {
  return FromClientStatus(client_->Delete(key));
}

Status ClientBackend::CompareAndSwap(std::string_view key,
                                     const std::optional<std::string>& expected,
                                     const std::optional<std::string>& desired, bool* succeeded,
                                     std::optional<std::string>* previous) {
  client::CasResult r;
  Status s = FromClientStatus(client_->CompareAndSwap(key, expected, desired, &r));
  if (!s.ok()) return s;
  *succeeded = r.succeeded;
  *previous = std::move(r.previous);
  return Status::OK();
}

Status ClientBackend::Scan(std::string_view start, std::string_view end, size_t limit,
                           bool keys_only, std::vector<redis::KvPair>* out) {
  client::ScanOptions o;
  o.read = FrontDoorRead();
  o.limit = limit;
  o.keys_only = keys_only;
  std::vector<client::KeyValue> kvs;
  Status s = FromClientStatus(client_->Scan(start, end, &kvs, o));
  out->clear();
  if (!s.ok()) return s;
  out->reserve(kvs.size());
  for (auto& kv : kvs) out->push_back({std::move(kv.key), std::move(kv.value)});
  return Status::OK();
}

int64_t ClientBackend::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tessera::server
