// Status: the one cheap error type of Tessera (modelled on leveldb's Status).
//
// Expected outcomes (not found, not leader, epoch mismatch, a dropped proposal) are Status values,
// never exceptions. Programmer errors are assertions that crash (see common/assert.h).
//
// An OK status holds no allocation; an error holds its code and a message on the heap.
// Thread safety: a Status is a value; distinct objects may be used from distinct threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tessera {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kCorruption,
    kInvalidArgument,
    kIOError,
    kNotSupported,
    kAborted,
    kBusy,
    kUnavailable,
    kOutOfRange,
    kAlreadyExists,
    kInternal,
    // Raft and replication outcomes.
    kProposalDropped,  // a proposal was not appended (no leader, too large, transfer in progress)
    kCompacted,        // the requested log entries were compacted away
    kNotLeader,        // the replica is not the leader of its shard
    kEpochNotMatch,    // the request names a stale shard epoch
    kKeyNotInShard,    // the key lies outside the shard's range
    kShardNotFound,    // this node has no replica of the shard
    kTimeout,          // no answer in time: the outcome is unknown (a write may still apply)
    kFailedPrecondition,  // the request is valid but cannot run in this state (e.g. spans shards)
  };

  Status() = default;
  Status(const Status& other) { *this = other; }
  Status& operator=(const Status& other) {
    if (this != &other) {
      code_ = other.code_;
      msg_ = other.msg_ ? std::make_unique<std::string>(*other.msg_) : nullptr;
    }
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view m = {}) { return Status(Code::kNotFound, m); }
  static Status Corruption(std::string_view m) { return Status(Code::kCorruption, m); }
  static Status InvalidArgument(std::string_view m) { return Status(Code::kInvalidArgument, m); }
  static Status IOError(std::string_view m) { return Status(Code::kIOError, m); }
  static Status NotSupported(std::string_view m) { return Status(Code::kNotSupported, m); }
  static Status Aborted(std::string_view m) { return Status(Code::kAborted, m); }
  static Status Busy(std::string_view m) { return Status(Code::kBusy, m); }
  static Status Unavailable(std::string_view m) { return Status(Code::kUnavailable, m); }
  static Status OutOfRange(std::string_view m) { return Status(Code::kOutOfRange, m); }
  static Status AlreadyExists(std::string_view m) { return Status(Code::kAlreadyExists, m); }
  static Status Internal(std::string_view m) { return Status(Code::kInternal, m); }
  static Status ProposalDropped(std::string_view m) { return Status(Code::kProposalDropped, m); }
  static Status Compacted(std::string_view m = {}) { return Status(Code::kCompacted, m); }
  static Status NotLeader(std::string_view m = {}) { return Status(Code::kNotLeader, m); }
  static Status EpochNotMatch(std::string_view m) { return Status(Code::kEpochNotMatch, m); }
  static Status KeyNotInShard(std::string_view m) { return Status(Code::kKeyNotInShard, m); }
  static Status ShardNotFound(std::string_view m) { return Status(Code::kShardNotFound, m); }
  static Status Timeout(std::string_view m) { return Status(Code::kTimeout, m); }
  static Status FailedPrecondition(std::string_view m) {
    return Status(Code::kFailedPrecondition, m);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool Is(Code c) const { return code_ == c; }
  std::string_view message() const { return msg_ ? std::string_view(*msg_) : std::string_view(); }

  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;

  static std::string_view CodeName(Code c);

 private:
  Status(Code code, std::string_view msg)
      : code_(code), msg_(msg.empty() ? nullptr : std::make_unique<std::string>(msg)) {}

  Code code_ = Code::kOk;
  std::unique_ptr<std::string> msg_;
};

inline bool operator==(const Status& a, const Status& b) {
  return a.code() == b.code() && a.message() == b.message();
}

}  // namespace tessera

// Returns the status from the enclosing function if it is not OK.
#define TESSERA_RETURN_IF_ERROR(expr) \
  do {                                \
    ::tessera::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)
