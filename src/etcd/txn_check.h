// TxnCheck: etcd's validation of Put and Txn requests before they run (etcd
// etcdserver/api/v3rpc/key.go: checkPutRequest, checkTxnRequest, checkIntervals), with the same
// errors in the same order, plus Tessera's one refusal: a nested txn (request_txn) is
// Unimplemented.
#pragma once

#include <cstddef>

#include "common/status.h"
#include "proto/etcd/rpc.pb.h"

namespace tessera::etcd {

// Empty key; ignore_value with a value; ignore_lease with a lease.
Status CheckPutRequest(const etcdserverpb::PutRequest& req);

// More than `max_ops` compares or ops in a branch; an empty key in a compare or an op; an empty
// op ("etcdserver: key not found", as etcd); a nested txn; in one branch, a key put twice or put
// inside a range the branch deletes ("duplicate key", judged on the raw keys as etcd does).
Status CheckTxnRequest(const etcdserverpb::TxnRequest& req, size_t max_ops);

}  // namespace tessera::etcd
