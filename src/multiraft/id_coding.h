// Encoding of node id lists (varint count, then varint ids), shared by the shard descriptor and
// the apply state formats (docs/storage_format.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/ids.h"

namespace tessera::multiraft {

inline void PutNodeIds(std::string* out, const std::vector<NodeId>& ids) {
  PutVarint64(out, ids.size());
  for (NodeId id : ids) PutVarint64(out, id.value());
}

// Returns false on truncated input or more than `max` ids.
inline bool GetNodeIds(std::string_view* in, std::vector<NodeId>* ids, uint64_t max = 1024) {
  uint64_t n = 0;
  if (!GetVarint64(in, &n) || n > max) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (!GetVarint64(in, &id)) return false;
    ids->push_back(NodeId(id));
  }
  return true;
}

}  // namespace tessera::multiraft
