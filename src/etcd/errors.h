// Errors: the front door's outcomes in etcd's own terms (docs/etcd.md, "Errors").
//
// Inside src/etcd/ every failure is a tessera Status whose message is already the one etcd sends
// (etcd api/v3rpc/rpctypes/error.go, byte for byte: etcd's clients recognise errors by message)
// and whose code maps one to one onto a gRPC code (ToGrpc). Backend outcomes are translated once,
// where the Backend is called (FromBackend).
//
// The outcome-unknown rule: a write whose outcome is unknown (Backend Timeout) is never reported
// with a code that clients retry on their own (UNAVAILABLE): it becomes UNKNOWN. A read that
// timed out changed nothing, so it is UNAVAILABLE like etcd's ErrTimeout.
#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace tessera::etcd {

// Whether a Backend call may have changed the store.
enum class Access { kRead, kWrite };

namespace errors {

// etcd's request errors, as [gRPC code] message:
//   EmptyKey         [INVALID_ARGUMENT] etcdserver: key is not provided
//   KeyNotFound      [INVALID_ARGUMENT] etcdserver: key not found
//   ValueProvided    [INVALID_ARGUMENT] etcdserver: value is provided
//   LeaseProvided    [INVALID_ARGUMENT] etcdserver: lease is provided
//   TooManyOps       [INVALID_ARGUMENT] etcdserver: too many operations in txn request
//   DuplicateKey     [INVALID_ARGUMENT] etcdserver: duplicate key given in txn request
//   RequestTooLarge  [INVALID_ARGUMENT] etcdserver: request is too large
//   Compacted        [OUT_OF_RANGE] etcdserver: mvcc: required revision has been compacted
//   FutureRevision   [OUT_OF_RANGE] etcdserver: mvcc: required revision is a future revision
//   LeaseNotFound    [NOT_FOUND] etcdserver: requested lease not found
Status EmptyKey();
Status KeyNotFound();
Status ValueProvided();
Status LeaseProvided();
Status TooManyOps();
Status DuplicateKey();
Status RequestTooLarge();
Status Compacted();
Status FutureRevision();
Status LeaseNotFound();

// Tessera's own, with messages outside etcd's table (so etcd's clients keep the gRPC code):
//   NestedTxn        [UNIMPLEMENTED] a request_txn inside a txn
//   InvalidSort      [INVALID_ARGUMENT] an unknown sort_order or sort_target
//   CrossShardTxn    [FAILED_PRECONDITION] the txn's keys span shards
//   TxnContended     [ABORTED] optimistic retries ran out of time; nothing was applied
Status NestedTxn();
Status InvalidSort();
Status CrossShardTxn();
Status TxnContended();

}  // namespace errors

// A Backend status in etcd's terms:
//   InvalidArgument    -> InvalidArgument "etcdserver: request is too large" (the front door
//                         refuses empty keys and inverted ranges itself, so only sizes are left)
//   FailedPrecondition -> errors::CrossShardTxn()
//   Unavailable        -> Unavailable "etcdserver: no leader"
//   Busy               -> Unavailable (not applied: safe to retry)
//   Timeout            -> kWrite: Timeout "etcdserver: request timed out" (gRPC UNKNOWN);
//                         kRead: Unavailable with the same message
//   anything else      -> kWrite: Timeout (outcome unknown); kRead: Unavailable
Status FromBackend(const Status& st, Access access);

// The gRPC status for a front-door Status; messages pass through unchanged.
//   OK -> OK; InvalidArgument -> INVALID_ARGUMENT; NotFound -> NOT_FOUND;
//   OutOfRange -> OUT_OF_RANGE; FailedPrecondition -> FAILED_PRECONDITION;
//   Unavailable, Busy -> UNAVAILABLE; Aborted -> ABORTED; NotSupported -> UNIMPLEMENTED;
//   Timeout and anything else -> UNKNOWN.
grpc::Status ToGrpc(const Status& st);

}  // namespace tessera::etcd
