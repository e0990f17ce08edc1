// Ranges: how etcd's (key, range_end) pairs map onto the Backend's KeyRange, and the interval
// arithmetic the front door needs (containment, overlap).
//
// etcd's rules (api/etcdserverpb/rpc.proto, RangeRequest): an empty range_end names the single
// key `key`; range_end "\0" means every key >= key; otherwise the range is [key, range_end).
// etcd answers an inverted or empty range (range_end <= key) with nothing rather than an error,
// so we do too; the Backend refuses such ranges, hence `inverted` below.
#pragma once

#include <string_view>

#include "common/result.h"
#include "etcd/backend.h"

namespace tessera::etcd {

struct EtcdRange {
  // The backend range. When `inverted`, the single key `key` (read only for a revision).
  KeyRange range;
  // range_end <= key (and not "\0"): the range holds no key.
  bool inverted = false;
};

// InvalidArgument "etcdserver: key is not provided" when `key` is empty.
Result<EtcdRange> ToEtcdRange(std::string_view key, std::string_view range_end);

// Whether `key` lies in `range`.
bool RangeContains(const KeyRange& range, std::string_view key);

// Whether some key lies in both ranges.
bool RangesOverlap(const KeyRange& a, const KeyRange& b);

}  // namespace tessera::etcd
