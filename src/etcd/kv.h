// KV: etcd's Range, Put and DeleteRange over a Backend (Txn is in txn.h). Each function validates
// its request as etcd does, calls the Backend, and fills the response but for the header's
// cluster_id, member_id and raft_term, which the service adds (service.h).
//
//   Range        one Backend::Read (range_request.h says what is pushed down); `revision` > 0 is
//                served only when it equals the revision the read saw (no history is kept).
//   Put          one Backend::Atomic with one kPut. With ignore_value or ignore_lease the value
//                depends on the current pair, so the Put runs as a one-op Txn (txn.h). A lease
//                is refused with etcd's "requested lease not found": leases are not supported.
//   DeleteRange  one Backend::DeleteRange: shard by shard, atomic within each shard only; the
//                header's revision is the largest the deletes got.
//
// Thread safety: reentrant; the Backend must be safe for concurrent use.
#pragma once

#include "common/status.h"
#include "etcd/backend.h"
#include "etcd/txn.h"
#include "proto/etcd/rpc.pb.h"

namespace tessera::etcd {

Status RunRange(Backend* backend, const etcdserverpb::RangeRequest& req,
                etcdserverpb::RangeResponse* resp);

Status RunPut(Backend* backend, const TxnOptions& txn_options, const etcdserverpb::PutRequest& req,
              etcdserverpb::PutResponse* resp);

Status RunDeleteRange(Backend* backend, const etcdserverpb::DeleteRangeRequest& req,
                      etcdserverpb::DeleteRangeResponse* resp);

}  // namespace tessera::etcd
