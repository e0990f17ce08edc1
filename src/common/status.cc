#include "common/status.h"

namespace tessera {

std::string_view Status::CodeName(Code c) {
  switch (c) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NotFound";
    case Code::kCorruption:
      return "Corruption";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kIOError:
      return "IOError";
    case Code::kNotSupported:
      return "NotSupported";
    case Code::kAborted:
      return "Aborted";
    case Code::kBusy:
      return "Busy";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kOutOfRange:
      return "OutOfRange";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kInternal:
      return "Internal";
    case Code::kProposalDropped:
      return "ProposalDropped";
    case Code::kCompacted:
      return "Compacted";
    case Code::kNotLeader:
      return "NotLeader";
    case Code::kEpochNotMatch:
      return "EpochNotMatch";
    case Code::kKeyNotInShard:
      return "KeyNotInShard";
    case Code::kShardNotFound:
      return "ShardNotFound";
    case Code::kTimeout:
      return "Timeout";
    case Code::kFailedPrecondition:
      return "FailedPrecondition";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(CodeName(code_));
  if (msg_) {
    s += ": ";
    s += *msg_;
  }
  return s;
}

}  // namespace tessera
