// RangeRequest: how one etcd Range is read from the Backend and turned into its RangeResponse,
// shared by KV.Range and the Range ops of a Txn.
//
// Pushed down to the Backend when it can answer exactly: key order (sort_target KEY, ascending or
// descending through ReadOptions.reverse), limit, keys_only, and count_only (a one-key read whose
// `count` is kept). Otherwise (the mod/create revision filters, or sorting by version, create,
// mod or value) the whole range is read and filtered, sorted and cut in memory, as etcd itself
// does (etcdserver/apply.go, Range): `count` stays the number of keys in the range, before the
// filters and the limit; `more` says the limit cut something.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "etcd/backend.h"
#include "proto/etcd/rpc.pb.h"

namespace tessera::etcd {

struct RangeRead {
  KeyRange range;         // what to read (the single key of an inverted range: see `inverted`)
  ReadOptions options;    // what the Backend is asked for
  bool inverted = false;  // the request's range holds no key: the answer is empty
  bool whole = false;     // `options` read the whole range in key order: finish in memory
};

// Validates `req` (empty key, sort options) and plans its read.
Result<RangeRead> PlanRangeRead(const etcdserverpb::RangeRequest& req);

// The same range read whole: ascending, no limit (values kept unless keys_only is enough).
// A Txn reads so when its earlier writes must be overlaid on the result.
RangeRead WholeRangeRead(const etcdserverpb::RangeRequest& req, RangeRead plan);

// etcd's `revision` field without history: 0 (or negative) reads the newest state; a positive
// revision is served only when it is the revision the read saw (`current`): a lower one has been
// "compacted", a higher one is "a future revision".
Status CheckRequestedRevision(int64_t requested, int64_t current);

// Fills resp's kvs, more and count (not the header) from what `plan` read.
// REQUIRES: `result` is the Backend's answer to `plan` (for a whole read, possibly with writes
// overlaid, `count` equal to kvs.size()).
void FinishRange(const etcdserverpb::RangeRequest& req, const RangeRead& plan, ReadResult result,
                 etcdserverpb::RangeResponse* resp);

// The wire form of a pair (lease always 0: leases are not supported).
void ToProto(const KeyValue& kv, bool keys_only, mvccpb::KeyValue* out);

}  // namespace tessera::etcd
