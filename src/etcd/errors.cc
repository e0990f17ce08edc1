#include "etcd/errors.h"

#include <string>

namespace tessera::etcd {
namespace errors {

Status EmptyKey() { return Status::InvalidArgument("etcdserver: key is not provided"); }
Status KeyNotFound() { return Status::InvalidArgument("etcdserver: key not found"); }
Status ValueProvided() { return Status::InvalidArgument("etcdserver: value is provided"); }
Status LeaseProvided() { return Status::InvalidArgument("etcdserver: lease is provided"); }
Status TooManyOps() {
  return Status::InvalidArgument("etcdserver: too many operations in txn request");
}
Status DuplicateKey() {
  return Status::InvalidArgument("etcdserver: duplicate key given in txn request");
}
Status RequestTooLarge() { return Status::InvalidArgument("etcdserver: request is too large"); }
Status Compacted() {
  return Status::OutOfRange("etcdserver: mvcc: required revision has been compacted");
}
Status FutureRevision() {
  return Status::OutOfRange("etcdserver: mvcc: required revision is a future revision");
}
Status LeaseNotFound() { return Status::NotFound("etcdserver: requested lease not found"); }

Status NestedTxn() {
  return Status::NotSupported("tessera: nested txn requests (request_txn) are not supported");
}
Status InvalidSort() {
  return Status::InvalidArgument("tessera: unknown sort_order or sort_target in range request");
}
Status CrossShardTxn() {
  return Status::FailedPrecondition(
      "tessera: the transaction's keys span shards; a txn (and every key it compares, reads or "
      "writes) must fall in one shard (docs/etcd.md)");
}
Status TxnContended() {
  return Status::Aborted(
      "tessera: txn aborted: the keys it read kept changing before it could commit; nothing was "
      "applied, retry");
}

}  // namespace errors

namespace {

constexpr std::string_view kTimedOut = "etcdserver: request timed out";

Status OutcomeUnknown(Access access) {
  return access == Access::kWrite ? Status::Timeout(kTimedOut) : Status::Unavailable(kTimedOut);
}

}  // namespace

Status FromBackend(const Status& st, Access access) {
  switch (st.code()) {
    case Status::Code::kOk:
      return Status::OK();
    case Status::Code::kInvalidArgument:
      return errors::RequestTooLarge();
    case Status::Code::kFailedPrecondition:
      return errors::CrossShardTxn();
    case Status::Code::kUnavailable:
      return Status::Unavailable("etcdserver: no leader");
    case Status::Code::kBusy:
      return Status::Unavailable("tessera: server is busy, retry later");
    case Status::Code::kTimeout:
      return OutcomeUnknown(access);
    default:
      // Not in the Backend's contract: assume the worst about a write.
      if (access == Access::kWrite) {
        return Status::Timeout(std::string(kTimedOut) + " (" + st.ToString() + ")");
      }
      return Status::Unavailable("tessera: backend error: " + st.ToString());
  }
}

grpc::Status ToGrpc(const Status& st) {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (st.code()) {
    case Status::Code::kOk:
      return grpc::Status::OK;
    case Status::Code::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case Status::Code::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case Status::Code::kOutOfRange:
      code = grpc::StatusCode::OUT_OF_RANGE;
      break;
    case Status::Code::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case Status::Code::kUnavailable:
    case Status::Code::kBusy:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case Status::Code::kAborted:
      code = grpc::StatusCode::ABORTED;
      break;
    case Status::Code::kNotSupported:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    default:
      code = grpc::StatusCode::UNKNOWN;
      break;
  }
  return grpc::Status(code, std::string(st.message()));
}

}  // namespace tessera::etcd
