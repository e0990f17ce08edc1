// Helpers shared by the Raft unit tests (test-only).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "raft/types.h"

namespace tessera::raft::testutil {

inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

inline LogIndex I(uint64_t i) { return LogIndex(i); }
inline Term T(uint64_t t) { return Term(t); }
inline NodeId N(uint64_t id) { return NodeId(id); }

// A normal entry at (index, term).
inline Entry E(uint64_t index, uint64_t term, std::string data = "") {
  return Entry{Term(term), LogIndex(index), EntryType::kNormal, std::move(data)};
}

// (index, term) pairs: readable failures without printing payload bytes.
using IT = std::vector<std::pair<uint64_t, uint64_t>>;
inline IT Pairs(const std::vector<Entry>& ents) {
  IT out;
  for (const Entry& e : ents) out.emplace_back(e.index.value(), e.term.value());
  return out;
}

}  // namespace tessera::raft::testutil
