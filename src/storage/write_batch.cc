#include "storage/write_batch.h"

#include <fmt/format.h>

#include "common/coding.h"

namespace tessera::storage {

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument(
        fmt::format("key of {} bytes exceeds the limit of {} bytes", key.size(), kMaxKeyBytes));
  }
  return Status::OK();
}

Status ValidateValue(std::string_view value) {
  if (value.size() > kMaxValueBytes) {
    return Status::InvalidArgument(fmt::format("value of {} bytes exceeds the limit of {} bytes",
                                               value.size(), kMaxValueBytes));
  }
  return Status::OK();
}

namespace {

// Bytes one record takes in the representation.
size_t RecordBytes(std::string_view key, std::string_view value) {
  return 2 + VarintLength(key.size()) + key.size() + VarintLength(value.size()) + value.size();
}

}  // namespace

Status WriteBatch::Reject(Status st) {
  if (status_.ok()) status_ = st;
  return st;
}

void WriteBatch::Append(OpKind kind, Cf cf, std::string_view key, std::string_view value) {
  rep_.push_back(static_cast<char>(kind));
  rep_.push_back(static_cast<char>(cf));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
  ++count_;
}

Status WriteBatch::AppendBatch(const WriteBatch& other) {
  if (!other.status_.ok()) return Reject(other.status_);
  if (rep_.size() + other.rep_.size() > kMaxBatchBytes) {
    return Reject(Status::InvalidArgument("write batch: appended batch exceeds kMaxBatchBytes"));
  }
  rep_ += other.rep_;
  count_ += other.count_;
  return Status::OK();
}

Status WriteBatch::Put(Cf cf, std::string_view key, std::string_view value) {
  if (Status st = ValidateKey(key); !st.ok()) return Reject(std::move(st));
  if (Status st = ValidateValue(value); !st.ok()) return Reject(std::move(st));
  if (rep_.size() + RecordBytes(key, value) > kMaxBatchBytes) {
    return Reject(Status::InvalidArgument(
        fmt::format("write batch would exceed the limit of {} bytes", kMaxBatchBytes)));
  }
  Append(OpKind::kPut, cf, key, value);
  return Status::OK();
}

Status WriteBatch::Delete(Cf cf, std::string_view key) {
  if (Status st = ValidateKey(key); !st.ok()) return Reject(std::move(st));
  if (rep_.size() + RecordBytes(key, {}) > kMaxBatchBytes) {
    return Reject(Status::InvalidArgument(
        fmt::format("write batch would exceed the limit of {} bytes", kMaxBatchBytes)));
  }
  Append(OpKind::kDelete, cf, key, {});
  return Status::OK();
}

Status WriteBatch::DeleteRange(Cf cf, std::string_view start, std::string_view end) {
  if (start.size() > kMaxKeyBytes || end.size() > kMaxKeyBytes) {
    return Reject(Status::InvalidArgument("range bound exceeds the key size limit"));
  }
  if (!start.empty() && !end.empty() && start >= end) {
    return Reject(Status::InvalidArgument("empty or inverted range: start >= end"));
  }
  if (rep_.size() + RecordBytes(start, end) > kMaxBatchBytes) {
    return Reject(Status::InvalidArgument(
        fmt::format("write batch would exceed the limit of {} bytes", kMaxBatchBytes)));
  }
  Append(OpKind::kDeleteRange, cf, start, end);
  return Status::OK();
}

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
  status_ = Status::OK();
}

Status WriteBatch::ForEach(const std::function<Status(const BatchOp&)>& fn) const {
  size_t pos = 0;
  size_t seen = 0;
  TESSERA_RETURN_IF_ERROR(ForEachFrom(&pos, [&](const BatchOp& op) {
    ++seen;
    return fn(op);
  }));
  TESSERA_ASSERT(seen == count_, "write batch count does not match its records");
  return Status::OK();
}

Status WriteBatch::ForEachFrom(size_t* pos, const std::function<Status(const BatchOp&)>& fn) const {
  TESSERA_ASSERT(*pos <= rep_.size(), "ForEachFrom past the end of the batch");
  std::string_view in = std::string_view(rep_).substr(*pos);
  while (!in.empty()) {
    TESSERA_ASSERT(in.size() >= 2, "truncated write batch record");
    BatchOp op{static_cast<OpKind>(in[0]), static_cast<Cf>(in[1]), {}, {}};
    in.remove_prefix(2);
    const bool ok = GetLengthPrefixed(&in, &op.key) && GetLengthPrefixed(&in, &op.value);
    TESSERA_ASSERT(ok, "malformed write batch record");
    *pos = rep_.size() - in.size();
    TESSERA_RETURN_IF_ERROR(fn(op));
  }
  return Status::OK();
}

}  // namespace tessera::storage
