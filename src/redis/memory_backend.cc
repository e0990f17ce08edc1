#include "redis/memory_backend.h"

#include <utility>

#include "redis/codec.h"

namespace tessera::redis {
namespace {

Status CheckKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxStoreKeyBytes) {
    return Status::InvalidArgument("key is empty or longer than 511 bytes");
  }
  return Status::OK();
}

}  // namespace

bool MemoryBackend::TakeFailure(Status* st) {
  if (failures_.empty()) return false;
  *st = std::move(failures_.front());
  failures_.pop_front();
  return true;
}

void MemoryBackend::FailNext(Status status) {
  std::lock_guard lock(mu_);
  failures_.push_back(std::move(status));
}

std::map<std::string, std::string> MemoryBackend::Snapshot() const {
  std::lock_guard lock(mu_);
  return {data_.begin(), data_.end()};
}

void MemoryBackend::RawPut(std::string key, std::string value) {
  std::lock_guard lock(mu_);
  data_[std::move(key)] = std::move(value);
}

MemoryBackend::CallCounts MemoryBackend::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

Status MemoryBackend::Get(std::string_view key, std::optional<std::string>* value) {
  std::lock_guard lock(mu_);
  ++counts_.get;
  Status st;
  if (TakeFailure(&st)) return st;
  TESSERA_RETURN_IF_ERROR(CheckKey(key));
  auto it = data_.find(key);
  *value = it == data_.end() ? std::nullopt : std::optional<std::string>(it->second);
  return Status::OK();
}

Status MemoryBackend::BatchGet(const std::vector<std::string>& keys,
                               std::vector<std::optional<std::string>>* values) {
  std::lock_guard lock(mu_);
  ++counts_.batch_get;
  Status st;
  if (TakeFailure(&st)) return st;
  for (const auto& k : keys) TESSERA_RETURN_IF_ERROR(CheckKey(k));
  values->clear();
  values->reserve(keys.size());
  for (const auto& k : keys) {
    auto it = data_.find(k);
    values->push_back(it == data_.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  return Status::OK();
}

Status MemoryBackend::Put(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  ++counts_.put;
  Status st;
  if (TakeFailure(&st)) return st;
  TESSERA_RETURN_IF_ERROR(CheckKey(key));
  data_[std::string(key)] = std::string(value);
  return Status::OK();
}

Status MemoryBackend::BatchPut(const std::vector<KvPair>& pairs) {
  std::lock_guard lock(mu_);
  ++counts_.batch_put;
  Status st;
  if (TakeFailure(&st)) return st;
  for (const auto& p : pairs) TESSERA_RETURN_IF_ERROR(CheckKey(p.key));
  for (const auto& p : pairs) data_[p.key] = p.value;
  return Status::OK();
}

Status MemoryBackend::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  ++counts_.del;
  Status st;
  if (TakeFailure(&st)) return st;
  TESSERA_RETURN_IF_ERROR(CheckKey(key));
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
  return Status::OK();
}

Status MemoryBackend::CompareAndSwap(std::string_view key,
                                     const std::optional<std::string>& expected,
                                     const std::optional<std::string>& desired, bool* succeeded,
                                     std::optional<std::string>* previous) {
  std::lock_guard lock(mu_);
  ++counts_.cas;
  Status st;
  if (TakeFailure(&st)) return st;
  TESSERA_RETURN_IF_ERROR(CheckKey(key));
  auto it = data_.find(key);
  std::optional<std::string> current =
      it == data_.end() ? std::nullopt : std::optional<std::string>(it->second);
  *succeeded = current == expected;
  if (*succeeded) {
    if (desired.has_value()) {
      data_[std::string(key)] = *desired;
    } else if (it != data_.end()) {
      data_.erase(it);
    }
  }
  *previous = std::move(current);
  return Status::OK();
}

Status MemoryBackend::Scan(std::string_view start, std::string_view end, size_t limit,
                           bool keys_only, std::vector<KvPair>* out) {
  std::lock_guard lock(mu_);
  ++counts_.scan;
  Status st;
  if (TakeFailure(&st)) return st;
  out->clear();
  for (auto it = data_.lower_bound(start);
       it != data_.end() && out->size() < limit && (end.empty() || it->first < end); ++it) {
    out->push_back(KvPair{it->first, keys_only ? std::string() : it->second});
  }
  return Status::OK();
}

}  // namespace tessera::redis
