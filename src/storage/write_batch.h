// WriteBatch: an ordered list of puts, deletes and range deletes across Cfs, applied atomically
// by Engine::Write.
//
// Limits are checked here, before any engine sees the batch (engine.h: kMaxKeyBytes,
// kMaxValueBytes, kMaxBatchBytes; keys must be non-empty). A rejected operation is not added, its
// InvalidArgument is returned, and the batch remembers the first such error: Engine::Write of the
// batch then fails with it and applies nothing, so ignoring one rejected operation can never
// commit the rest of a batch partially.
//
// Representation: one contiguous buffer of records `kind:u8 cf:u8 varint key_len key
// varint value_len value` (for a range delete the "value" is the end key), so a batch costs one
// allocation that grows geometrically, not one per operation.
//
// Thread safety: a value type; not safe for concurrent mutation.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/engine.h"

namespace tessera::storage {

enum class OpKind : uint8_t { kPut = 1, kDelete = 2, kDeleteRange = 3 };

// One operation, viewing the batch's buffer.
struct BatchOp {
  OpKind kind;
  Cf cf;
  std::string_view key;    // the key; for kDeleteRange the inclusive start (may be empty)
  std::string_view value;  // the value; for kDeleteRange the exclusive end (empty: no end)
};

class WriteBatch {
 public:
  WriteBatch() = default;

  Status Put(Cf cf, std::string_view key, std::string_view value);
  Status Delete(Cf cf, std::string_view key);
  // Deletes every key k of `cf` with start <= k < end. An empty `start` means from the first key,
  // an empty `end` means to the last key. REQUIRES (else InvalidArgument): start < end when both
  // are given; each at most kMaxKeyBytes.
  Status DeleteRange(Cf cf, std::string_view start, std::string_view end);

  // Appends every operation of `other` after this batch's, and its remembered error if this batch
  // has none. InvalidArgument (remembered) when the result would exceed kMaxBatchBytes.
  Status AppendBatch(const WriteBatch& other);

  // Removes all operations and the remembered error.
  void Clear();

  size_t Count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Bytes of the representation, a close bound on the bytes of keys and values.
  size_t ByteSize() const { return rep_.size(); }
  // OK, or the first error returned by Put, Delete or DeleteRange since the last Clear.
  const Status& status() const { return status_; }

  // Calls fn on each operation in the order added; stops at the first non-OK status and returns
  // it. The views in BatchOp are valid during the call.
  Status ForEach(const std::function<Status(const BatchOp&)>& fn) const;
  // Like ForEach, for the operations from byte position *pos of the representation on (0: the
  // first; ByteSize(): none), and sets *pos past the last one visited. Lets a reader take in only
  // the operations added since its last call. REQUIRES: *pos is 0 or a value this call set, and
  // no Clear since.
  Status ForEachFrom(size_t* pos, const std::function<Status(const BatchOp&)>& fn) const;

 private:
  Status Reject(Status st);
  void Append(OpKind kind, Cf cf, std::string_view key, std::string_view value);

  std::string rep_;
  size_t count_ = 0;
  Status status_;
};

// Validation used by WriteBatch and by engines for keys coming from elsewhere (export files).
Status ValidateKey(std::string_view key);
Status ValidateValue(std::string_view value);

}  // namespace tessera::storage
