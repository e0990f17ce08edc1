// Compare: etcd's evaluation of one Txn comparison (etcd etcdserver/apply.go, applyCompare and
// compareKV).
//
// A comparison over a range holds when every key of the range satisfies it. Absent keys compare
// as a pair whose version, create and mod revisions and lease are 0, except that a VALUE
// comparison on a key or range with no key always fails (etcd: nil and "" cannot be told apart
// on the wire). An unset target_union compares against 0 or "". Leases are not supported, so
// every key's lease is 0.
#pragma once

#include <vector>

#include "etcd/backend.h"
#include "proto/etcd/rpc.pb.h"

namespace tessera::etcd {

// `kvs`: the pairs in the comparison's range (for a single key: none when it is absent).
bool CompareHolds(const etcdserverpb::Compare& c, const std::vector<KeyValue>& kvs);

}  // namespace tessera::etcd
